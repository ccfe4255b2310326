"""Reference solution for ``mathml_hw4`` (seed 003).

Section 3.1/3.3, the worked 2-2-1 network: inputs x1, x2 (nodes 1, 2), node 3 = sigmoid,
node 4 = tanh, node 5 linear, no biases, squared loss L = (target - a5)^2.
Weights are a dict with keys ``W13 W14 W23 W24 W35 W45``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

WEIGHT_KEYS = ("W13", "W14", "W23", "W24", "W35", "W45")


def sigmoid(z: float) -> float:
    """Logistic function, written to avoid overflow for large negative z."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def forward(x: Sequence[float], W: Mapping[str, float]) -> dict[str, float]:
    """Pre-activations z3, z4 and activations a3, a4, a5 of the worked network."""
    x1, x2 = float(x[0]), float(x[1])
    z3 = W["W13"] * x1 + W["W23"] * x2
    z4 = W["W14"] * x1 + W["W24"] * x2
    a3 = sigmoid(z3)
    a4 = math.tanh(z4)
    a5 = W["W35"] * a3 + W["W45"] * a4
    return {"z3": z3, "z4": z4, "a3": a3, "a4": a4, "a5": a5}


def loss(prediction: float, target: float) -> float:
    """Squared loss (target - prediction)^2, as in the seed (no 1/2 factor)."""
    return (float(target) - float(prediction)) ** 2


def gradients(x: Sequence[float], W: Mapping[str, float], target: float) -> dict[str, float]:
    """dL/dW for the six weights, by the chain rule."""
    x1, x2 = float(x[0]), float(x[1])
    f = forward(x, W)
    dL_da5 = -2.0 * (float(target) - f["a5"])
    d3 = dL_da5 * W["W35"] * f["a3"] * (1.0 - f["a3"])  # sigma' = sigma (1 - sigma)
    d4 = dL_da5 * W["W45"] * (1.0 - f["a4"] ** 2)  # tanh' = 1 - tanh^2
    return {
        "W13": d3 * x1,
        "W23": d3 * x2,
        "W14": d4 * x1,
        "W24": d4 * x2,
        "W35": dL_da5 * f["a3"],
        "W45": dL_da5 * f["a4"],
    }


def sgd_step(
    x: Sequence[float], W: Mapping[str, float], target: float, lr: float
) -> dict[str, float]:
    """One gradient-descent update W - lr * dL/dW (all six weights from the same gradient)."""
    g = gradients(x, W, target)
    return {k: float(W[k]) - float(lr) * g[k] for k in WEIGHT_KEYS}
