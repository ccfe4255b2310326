"""CS189 homework 4, problem 1: backpropagation for a two-layer ReLU/softmax network.

Hand in this file as ``backprop.py``. Read README.md for the conventions: bias units first,
W^(l) of shape (d^(l-1) + 1, d^(l)), rows of a batch are examples. Every function takes and
returns NumPy arrays (or floats / dicts of arrays) and must not change its arguments.
"""

from __future__ import annotations

import numpy as np


def relu(s: np.ndarray) -> np.ndarray:
    """ReLU, elementwise: max(0, s). Same shape as ``s`` (any shape)."""
    raise NotImplementedError


def relu_grad(s: np.ndarray) -> np.ndarray:
    """Derivative of the ReLU, elementwise, as floats. Same shape as ``s``.

    At s == 0 return 0.0.
    """
    raise NotImplementedError


def softmax(s: np.ndarray) -> np.ndarray:
    """Softmax along the last axis: a vector (d,) or a batch (n, d), one row per example.

    Must stay finite for large inputs such as [1000, 1001, 999].
    """
    raise NotImplementedError


def forward(x: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> dict[str, np.ndarray]:
    """Forward pass for one example ``x`` of shape (d0,).

    W1 has shape (d0 + 1, d1) and W2 has shape (d1 + 1, d2); row 0 of each holds the bias
    weights. Return a dict with:
      "s1": (d1,)      hidden pre-activations
      "x1": (d1 + 1,)  hidden activations with the bias unit 1 first
      "s2": (d2,)      output pre-activations
      "x2": (d2,)      softmax outputs
    """
    raise NotImplementedError


def cross_entropy(x2: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy J = -sum_j y_j ln x2_j of one output ``x2`` (d2,) against label ``y`` (d2,)."""
    raise NotImplementedError


def output_delta(x2: np.ndarray, y: np.ndarray) -> np.ndarray:
    """delta^(2) = dJ/ds^(2), shape (d2,), for softmax outputs ``x2`` and label ``y``."""
    raise NotImplementedError


def hidden_delta(s1: np.ndarray, W2: np.ndarray, delta2: np.ndarray) -> np.ndarray:
    """delta^(1) = dJ/ds^(1), shape (d1,), from s1 (d1,), W2 (d1 + 1, d2) and delta2 (d2,)."""
    raise NotImplementedError


def gradients(
    x: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of J for one example: {"W1": dJ/dW1, "W2": dJ/dW2}, shaped like W1 and W2."""
    raise NotImplementedError


def sgd_step_per_weight(
    x: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, eta: float
) -> dict[str, np.ndarray]:
    """One SGD step on one example, written with loops over every weight w_ij of each layer.

    Return the updated weights {"W1": ..., "W2": ...} as new arrays.
    """
    raise NotImplementedError


def sgd_step(
    x: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, eta: float
) -> dict[str, np.ndarray]:
    """The same SGD step, vectorised: W^(l) <- W^(l) - eta x^(l-1) (delta^(l))^T.

    Return the updated weights {"W1": ..., "W2": ...} as new arrays.
    """
    raise NotImplementedError


def batch_gradients(
    X: np.ndarray, Y: np.ndarray, W1: np.ndarray, W2: np.ndarray
) -> dict[str, object]:
    """Mean loss and mean gradients over a batch, X (n, d0) and Y (n, d2), one row per example.

    Return {"loss": float, "W1": (d0 + 1, d1) array, "W2": (d1 + 1, d2) array}.
    """
    raise NotImplementedError
