"""CS229 problem set 2 (``cs229_ps2``): fill in every function; README.md has the definitions.

Hand this file in as ``cs229_ps2.py``. Use NumPy only. Return plain data: NumPy arrays and
Python floats, ints, bools, strings, lists and dicts of those.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """1 / (1 + exp(-z)) elementwise, without overflow for large |z| (a helper; not graded)."""
    raise NotImplementedError


# ---------------------------------------------------------------- 1. logistic regression


def logistic_gradient(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float = 0.0
) -> np.ndarray:
    """Gradient (d,) of the mean cross-entropy plus (reg / 2) ||theta||^2."""
    raise NotImplementedError


def logistic_regression(
    X: np.ndarray,
    y: np.ndarray,
    *,
    lr: float = 1.0,
    reg: float = 0.0,
    max_iter: int = 10_000,
    tol: float = 1e-6,
) -> dict[str, object]:
    """Gradient descent from theta = 0; returns {"theta", "converged", "iterations"}."""
    raise NotImplementedError


# ---------------------------------------------------------------- 2. naive Bayes for spam


def tokenize(message: str) -> list[str]:
    """Lower-case the message and split it on whitespace."""
    raise NotImplementedError


def build_vocab(messages: Sequence[str], min_messages: int = 5) -> list[str]:
    """Sorted tokens that occur in at least ``min_messages`` different messages."""
    raise NotImplementedError


def count_matrix(messages: Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    """(n, V) integer counts of each vocabulary token in each message."""
    raise NotImplementedError


def nb_fit(counts: np.ndarray, labels: np.ndarray, alpha: float = 1.0) -> dict[str, object]:
    """{"log_phi_spam", "log_phi_ham", "log_prior_spam", "log_prior_ham"} (multinomial model)."""
    raise NotImplementedError


def nb_predict(model: Mapping[str, object], counts: np.ndarray) -> np.ndarray:
    """(n,) labels: 1 where the spam posterior is strictly larger, else 0."""
    raise NotImplementedError


def top_tokens(model: Mapping[str, object], vocab: Sequence[str], k: int = 5) -> list[str]:
    """The k tokens with the largest log(phi_spam / phi_ham), largest first."""
    raise NotImplementedError


# ---------------------------------------------------------------- 3. kernelised perceptron


def kernel_matrix(
    A: np.ndarray, B: np.ndarray, kernel: str, *, sigma: float = 1.0
) -> np.ndarray:
    """(len(A), len(B)) matrix of K(A[i], B[j]) for kernel "dot", "rbf" or "non_psd"."""
    raise NotImplementedError


def perceptron_train(
    X: np.ndarray, y: np.ndarray, kernel: str, *, lr: float = 0.5, sigma: float = 1.0
) -> np.ndarray:
    """One pass of the kernelised perceptron over the examples in order; returns beta (n,)."""
    raise NotImplementedError


def perceptron_predict(
    X_train: np.ndarray,
    beta: np.ndarray,
    X_new: np.ndarray,
    kernel: str,
    *,
    sigma: float = 1.0,
) -> np.ndarray:
    """(m,) labels in {0, 1} for the rows of X_new."""
    raise NotImplementedError


# ---------------------------------------------------------------- 4. MAP estimation


def map_gaussian(X: np.ndarray, y: np.ndarray, sigma: float, eta: float) -> np.ndarray:
    """MAP estimate (d,) for Gaussian noise sigma and Gaussian prior N(0, eta^2 I)."""
    raise NotImplementedError


def laplace_gamma(sigma: float, b: float) -> float:
    """The L1 weight gamma of the Laplace-prior MAP objective."""
    raise NotImplementedError


def map_laplace_objective(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, sigma: float, b: float
) -> float:
    """||y - X theta||^2 + gamma ||theta||_1."""
    raise NotImplementedError


def map_laplace(X: np.ndarray, y: np.ndarray, sigma: float, b: float) -> np.ndarray:
    """The minimiser (d,) of map_laplace_objective."""
    raise NotImplementedError


# ---------------------------------------------------------------- 5. two-layer network


def two_layer_forward(
    X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: float
) -> dict[str, np.ndarray]:
    """{"z1", "h", "z2", "o"} of the sigmoid-sigmoid network."""
    raise NotImplementedError


def two_layer_gradients(  # noqa: PLR0917 (the parameters mirror the math)
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: float
) -> dict[str, object]:
    """{"loss", "dW1", "db1", "dW2", "db2"} for the mean squared loss."""
    raise NotImplementedError


# ---------------------------------------------------------------- 6. batch normalisation


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5
) -> dict[str, np.ndarray]:
    """{"y", "x_hat", "mu", "var"} of batch normalisation over the rows of x."""
    raise NotImplementedError


def batchnorm_backward(
    dy: np.ndarray, x: np.ndarray, gamma: np.ndarray, *, eps: float = 1e-5
) -> dict[str, np.ndarray]:
    """{"dbeta", "dgamma", "dx_hat", "dvar", "dmu", "dx"} given dy = dL/dy."""
    raise NotImplementedError
