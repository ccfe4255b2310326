"""Example submission for mathml_hw4: the starter file handed in unchanged (expected: score 0)."""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------------------------------------
# Section 1: warm-up matrix derivatives (10 points)
# ---------------------------------------------------------------------------------------------


def warmup1_jacobian(M: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Jacobian of f(x) = M^T M x with respect to x, shape (m, m)."""
    raise NotImplementedError


def warmup2_gradient(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = tr(M X), M (m, n), X (n, m); same shape as X."""
    raise NotImplementedError


def warmup3_gradient(X: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = tr(X X^T); same shape as X."""
    raise NotImplementedError


def warmup3_hessian(X: np.ndarray) -> np.ndarray:
    """Hessian of tr(X X^T) over X flattened row by row, shape (X.size, X.size)."""
    raise NotImplementedError


def warmup4_gradient(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = a^T X b, X (m, n), a (m,), b (n,); same shape as X."""
    raise NotImplementedError


def warmup5_gradient(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = a^T X^T X b, X (n, m), a (m,), b (m,); same shape as X."""
    raise NotImplementedError


def warmup5_hessian(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hessian of a^T X^T X b over X flattened row by row, shape (X.size, X.size)."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Section 2: ridge regression (20 points)
# ---------------------------------------------------------------------------------------------


def ridge_loss(X: np.ndarray, y: np.ndarray, beta: np.ndarray, lam: float) -> float:
    """||y - X beta||^2 + lam ||beta||^2."""
    raise NotImplementedError


def ridge_gradient(X: np.ndarray, y: np.ndarray, beta: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of ridge_loss with respect to beta, shape (d,)."""
    raise NotImplementedError


def ridge_solution(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """The beta (d,) that minimises ridge_loss (no intercept)."""
    raise NotImplementedError


def ridge_fit(X: np.ndarray, y: np.ndarray, lam: float) -> dict:
    """Ridge with an unpenalised intercept: {"coef": array (d,), "intercept": float}."""
    raise NotImplementedError


def ridge_predict(X: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray:
    """Predictions for the rows of X, shape (N,)."""
    raise NotImplementedError


def ridge_path(X: np.ndarray, y: np.ndarray, lams: list) -> np.ndarray:
    """ridge_fit's coefficients for each lambda in lams, shape (len(lams), d)."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Section 3.1 / 3.3: the worked 2-2-1 network (20 points + 5 bonus)
# W is a dict with keys "W13", "W14", "W23", "W24", "W35", "W45"; x is [x1, x2].
# ---------------------------------------------------------------------------------------------


def forward(x, W: dict) -> dict:
    """{"z3", "z4", "a3", "a4", "a5"}: pre-activations and activations of nodes 3, 4, 5."""
    raise NotImplementedError


def loss(prediction: float, target: float) -> float:
    """(target - prediction)^2."""
    raise NotImplementedError


def gradients(x, W: dict, target: float) -> dict:
    """dL/dW for the six weights, keyed like W."""
    raise NotImplementedError


def sgd_step(x, W: dict, target: float, lr: float) -> dict:
    """The six weights after one gradient-descent step with learning rate lr."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Section 3.4: one-hidden-layer MLP (40 points)
# X (N, m), Y (N, k); params {"W_h": (m, n), "b_h": (n,), "W_o": (n, k), "b_o": (k,)}.
# ---------------------------------------------------------------------------------------------


def mlp_forward(X: np.ndarray, params: dict) -> dict:
    """{"Z_h": X W_h + b_h, "H": sigmoid(Z_h), "Y_hat": H W_o + b_o}."""
    raise NotImplementedError


def mse(Y: np.ndarray, Y_hat: np.ndarray) -> float:
    """(1/N) * sum of squared errors over all rows and output columns."""
    raise NotImplementedError


def mlp_gradients(X: np.ndarray, Y: np.ndarray, params: dict) -> dict:
    """Gradients of the MSE keyed like params, each with its parameter's shape."""
    raise NotImplementedError


def mlp_step(X: np.ndarray, Y: np.ndarray, params: dict, lr: float) -> dict:
    """The parameters after one full-batch gradient-descent step."""
    raise NotImplementedError


def mlp_train(X: np.ndarray, Y: np.ndarray, params: dict, lr: float, epochs: int) -> tuple:
    """(final params, list of the MSE before each of the `epochs` steps)."""
    raise NotImplementedError


class MLP:
    """One-hidden-layer MLP with its own random initialisation."""

    def __init__(self, n_inputs: int, n_hidden: int, n_outputs: int = 1, seed: int = 0) -> None:
        raise NotImplementedError

    def fit(self, X: np.ndarray, Y: np.ndarray, lr: float = 0.1, epochs: int = 100) -> list:
        """Train self.params in place; return the MSE before each step."""
        raise NotImplementedError

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network output, shape (N, k)."""
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Section 3.5 (bonus): two hidden layers (10 points)
# params {"W_h1": (m, n1), "b_h1": (n1,), "W_h2": (n1, n2), "b_h2": (n2,),
#         "W_o": (n2, k), "b_o": (k,)}
# ---------------------------------------------------------------------------------------------


def mlp2_forward(X: np.ndarray, params: dict) -> dict:
    """{"H1", "H2", "Y_hat"}: both hidden activations and the output."""
    raise NotImplementedError


def mlp2_gradients(X: np.ndarray, Y: np.ndarray, params: dict) -> dict:
    """Gradients of the MSE keyed like params, each with its parameter's shape."""
    raise NotImplementedError


def mlp2_step(X: np.ndarray, Y: np.ndarray, params: dict, lr: float) -> dict:
    """The parameters after one full-batch gradient-descent step."""
    raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Section 4: evaluation (10 points)
# ---------------------------------------------------------------------------------------------


def rmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Root mean squared error."""
    raise NotImplementedError


def pinv_fit(X: np.ndarray, y: np.ndarray) -> dict:
    """Least squares with an intercept via the pseudo-inverse: {"coef", "intercept"}."""
    raise NotImplementedError


def evaluate(X_train, y_train, X_test, y_test, lam: float) -> dict:
    """Test-set RMSE of the three models: {"pinv": ..., "ridge": ..., "mlp": ...}."""
    raise NotImplementedError
