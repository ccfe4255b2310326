"""The kernelised perceptron (seed 002, section 3).

The claim has two halves: the parameter after any number of updates is a linear combination of the
feature vectors seen so far, theta_i = sum_j beta_j phi(x_j), and so the prediction
g(theta^T phi(x)) needs only kernel values K(x_j, x) = phi(x_j)^T phi(x). It is checked with a
kernel whose feature map is known in closed form, K(x, z) = (1 + x^T z)^2 on R^2, by running the
perceptron twice side by side, once on explicit features and once on kernel values only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp

from reference.derivations._checks import NUMERIC_TOL, Checker, sym_array
from reference.derivations._registry import Evidence, claim

Arr = np.ndarray


def _feature_map(x: Arr) -> list[sp.Expr]:
    r2 = sp.sqrt(2)
    return [sp.Integer(1), r2 * x[0], r2 * x[1], x[0] ** 2, x[1] ** 2, r2 * x[0] * x[1]]


def _phi(x: Arr) -> Arr:
    """The same feature map in floats (kept in step with ``_feature_map`` by the symbolic check)."""
    r2 = np.sqrt(2.0)
    return np.array([1.0, r2 * x[0], r2 * x[1], x[0] ** 2, x[1] ** 2, r2 * x[0] * x[1]])


def _step(z: float) -> float:
    # g(0) = 1, so the first update from theta = 0 is alpha (y - 1), as in the seed.
    return 1.0 if z >= 0 else 0.0


def _kernel_score(betas: Sequence[float], seen: Sequence[Arr], x: Arr,
                  kernel: Callable[[Arr, Arr], float]) -> float:
    return float(sum(b * kernel(xj, x) for b, xj in zip(betas, seen, strict=True)))


@claim(source="seed 002, section 3(a)", assignments=("cs229_ps2",))
def kernel_perceptron_stays_in_span(
    *,
    kernel: Callable[[Arr, Arr], object] = lambda x, z: (1 + x @ z) ** 2,
    score: Callable[..., float] = _kernel_score,
) -> Evidence:
    """The perceptron theta <- theta + alpha (y - g(theta^T phi(x))) phi(x), started at 0, keeps
    theta = sum_j beta_j phi(x_j) with beta_i = alpha (y_i - g(sum_{j<i} beta_j K(x_j, x_i))), so
    predictions need only kernel values."""
    chk = Checker("kernel_perceptron_stays_in_span", "numeric identity")
    x, z = sym_array("x", 2), sym_array("z", 2)
    inner = sp.Add(*[a * b for a, b in zip(_feature_map(x), _feature_map(z), strict=True)])
    probe = np.array([0.3, -1.7])
    chk.close("float feature map", _phi(probe), [float(v) for v in _feature_map(probe)])
    if not chk.zero("phi(x)^T phi(z) - K(x, z)", inner - chk.call("the kernel", kernel, x, z)):
        return chk.evidence("")
    alpha = 0.5
    for _ in chk.trial_range(4):
        X = chk.rng.normal(size=(15, 2))
        y = (np.sum(X**2, axis=1) < 1.2).astype(float)  # a circle: needs the quadratic features
        test = chk.rng.normal(size=(10, 2))
        theta = np.zeros(6)
        betas: list[float] = []
        for i in range(len(X)):
            explicit = theta @ _phi(X[i])
            kernelised = chk.call("the kernel score", score, betas, list(X[:i]), X[i], kernel)
            if not chk.close(f"score on training point {i}", kernelised, explicit, NUMERIC_TOL):
                break
            beta = alpha * (y[i] - _step(kernelised))
            theta = theta + alpha * (y[i] - _step(explicit)) * _phi(X[i])
            betas.append(beta)
            span = sum(b * _phi(xj) for b, xj in zip(betas, X[: i + 1], strict=True))
            chk.close(f"theta after update {i} vs sum_j beta_j phi(x_j)", theta, span, NUMERIC_TOL)
        for t in test:
            chk.close("prediction score on a new point",
                      chk.call("the kernel score", score, betas, list(X), t, kernel),
                      theta @ _phi(t), NUMERIC_TOL)
    return chk.evidence(
        "phi(x)^T phi(z) = (1 + x^T z)^2 symbolically; on 4 random streams of 15 points the "
        "explicit-feature perceptron and the kernel-only one agree on every score, theta equals "
        "sum_j beta_j phi(x_j) after every update, and predictions on new points match")
