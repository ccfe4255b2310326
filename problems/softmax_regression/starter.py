"""Softmax regression and Newton's method: fill in every function.

Conventions: each column of X is one example. X is (d, n), y is (n,), w is (d,), W is (d, K),
b is (K,), logits Z = W^T X + b and probabilities Y_hat are (K, n), one-hot targets Y are (K, n).
Use NumPy and float64; see README.md for the exact definitions.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- part 1: Newton's method


def mse_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gradient of J(w) = 1/(2n) sum_i (x_i^T w - y_i)^2, shape (d,)."""
    raise NotImplementedError


def mse_hessian(X: np.ndarray) -> np.ndarray:
    """Hessian of J, shape (d, d)."""
    raise NotImplementedError


def newton_step(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """One Newton step w - H^{-1} grad J(w), shape (d,)."""
    raise NotImplementedError


# ---------------------------------------------------------------- part 2: softmax and gradients


def softmax(Z: np.ndarray) -> np.ndarray:
    """Numerically stable softmax of each column of Z, shape (K, n)."""
    raise NotImplementedError


def predict_proba(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Class probabilities softmax(W^T X + b), shape (K, n)."""
    raise NotImplementedError


def softmax_gradients(
    X: np.ndarray, Y: np.ndarray, W: np.ndarray, b: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy: {"W": (d, K) array, "b": (K,) array}."""
    raise NotImplementedError


# ---------------------------------------------------------------- part 3: cross-entropy and NLL


def cross_entropy(Y: np.ndarray, Y_hat: np.ndarray) -> float:
    """Mean over examples of -sum_k Y[k, i] log Y_hat[k, i] (0 log 0 counts as 0)."""
    raise NotImplementedError


def negative_log_likelihood(X: np.ndarray, Y: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
    """-log P(labels | X, W, b) for independent examples; finite for logits up to 1e3."""
    raise NotImplementedError


# ---------------------------------------------------------------- part 4: mini-batch SGD


def train_softmax(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    lr: float,
    reg: float,
    batch_size: int,
    epochs: int,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Mini-batch SGD from zeros on J_CE + (reg/2)||W||_F^2; returns {"W": (d, K), "b": (K,)}."""
    raise NotImplementedError


def predict(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Most probable class of each example, integer array of shape (n,)."""
    raise NotImplementedError
