"""Reference solution for ``mathml_hw4`` (seed 003).

Section 3.1/3.3, the worked 2-2-1 network: inputs x1, x2 (nodes 1, 2), node 3 = sigmoid,
node 4 = tanh, node 5 linear, no biases, squared loss L = (target - a5)^2.
Weights are a dict with keys ``W13 W14 W23 W24 W35 W45``.

Also: section 1 (matrix-derivative warm-ups, as gradient/Hessian functions), section 2 (ridge
regression), section 3.4 (one- and two-hidden-layer sigmoid MLPs with MSE) and section 4 (RMSE
of pseudo-inverse least squares, ridge and the MLP on one generated dataset).

Where the seed's own worked answers are wrong (checked in ``tests/test_reference_mathml.py``):
- warm-up 5, a^T X^T X b: the statement has b in R^n, which cannot multiply X (n x m); here
  a, b are in R^m. The gradient is X (a b^T + b a^T), not 2 X b a^T (equal only when a b^T is
  symmetric); the Hessian is kron(I_n, a b^T + b a^T), not 2 b a^T.
- warm-up 3: the second derivative of tr(X X^T) is 2 I (a Hessian), not the scalar 2.
- 3.1: the numbers are right, but rounding W23 = 1.8878 to two decimals gives 1.89; the
  handed-out table says 1.88, and section 3.3 starts from that table as given.
- 3.3: sigma(-1.54) is evaluated with 1 + 4.652 (e^{1.54} is 4.665), so a3 = 0.17765 instead of
  0.176535, a5 = -0.35988 instead of -0.362232, and the loss is written 5.56988 (the square
  of its own 2.35988 is 5.56905) instead of 5.580140;
  tanh'(3.92) is written 0.000157 instead of 0.001573. The rounded weight table after the
  second step (1.40, -1.02, 1.59, -2.98, 2.16, -0.26) happens to come out right.
- 3.4: the gradients are written as sums with "." products; as matrices they are
  dW_o = H^T dY, db_o = column sums of dY, dW_h = X^T dZ, db_h = column sums of dZ, with
  dY = -(2/N)(Y - Y_hat) and dZ = (dY W_o^T) * H * (1 - H).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reference._cache import memoize_by_value

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


# ---------------------------------------------------------------------------------------------
# Section 1: warm-up matrix derivatives.
#
# Conventions: the gradient of a scalar f(X) has the shape of X (denominator layout); the
# Jacobian of a vector-valued f(x) is J[i, j] = d f_i / d x_j; a Hessian with respect to a matrix
# X is taken over X flattened row by row (NumPy's ``X.ravel()``), so it is (X.size, X.size).
# ---------------------------------------------------------------------------------------------


def warmup1_jacobian(M: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Jacobian of f(x) = M^T M x: the constant matrix M^T M (x only fixes the dimension)."""
    M = np.asarray(M, dtype=float)
    return M.T @ M


def warmup2_gradient(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = tr(M X), M (m, n) and X (n, m): M^T, shaped like X."""
    return np.asarray(M, dtype=float).T.copy()


def warmup3_gradient(X: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = tr(X X^T) = sum of squares of X: 2 X (any shape)."""
    return 2.0 * np.asarray(X, dtype=float)


def warmup3_hessian(X: np.ndarray) -> np.ndarray:
    """Hessian of tr(X X^T) over the flattened X: 2 I of size X.size."""
    return 2.0 * np.eye(np.asarray(X).size)


def warmup4_gradient(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = a^T X b, X (m, n), a (m,), b (n,): the outer product a b^T."""
    return np.outer(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def warmup5_gradient(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gradient of f(X) = a^T X^T X b, X (n, m), a and b in R^m: X (a b^T + b a^T).

    The seed states b in R^n, which does not multiply; X b needs b in R^m.
    """
    X = np.asarray(X, dtype=float)
    S = np.outer(a, b) + np.outer(b, a)
    return X @ S


def warmup5_hessian(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hessian of a^T X^T X b over the row-major flattened X: kron(I_n, a b^T + b a^T).

    f = (X a) . (X b) is quadratic in X and couples only entries of the same row:
    d^2 f / dX_ij dX_kl = [i == k] (a_j b_l + b_j a_l).
    """
    X = np.asarray(X, dtype=float)
    S = np.outer(a, b) + np.outer(b, a)
    return np.kron(np.eye(X.shape[0]), S)


# ---------------------------------------------------------------------------------------------
# Section 2: ridge regression. y is a vector (N,), X is (N, d), beta is (d,).
# ---------------------------------------------------------------------------------------------


def ridge_loss(X: np.ndarray, y: np.ndarray, beta: np.ndarray, lam: float) -> float:
    """||y - X beta||^2 + lam ||beta||^2 (sums, not means, as in the statement)."""
    X, y, beta = (np.asarray(v, dtype=float) for v in (X, y, beta))
    r = y - X @ beta
    return float(r @ r + lam * (beta @ beta))


def ridge_gradient(X: np.ndarray, y: np.ndarray, beta: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of the ridge objective: -2 X^T (y - X beta) + 2 lam beta."""
    X, y, beta = (np.asarray(v, dtype=float) for v in (X, y, beta))
    return -2.0 * X.T @ (y - X @ beta) + 2.0 * lam * beta


def ridge_solution(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Closed-form minimiser (X^T X + lam I)^{-1} X^T y, computed by solving, not inverting."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    A = X.T @ X + lam * np.eye(X.shape[1])
    return np.linalg.solve(A, X.T @ y)


def ridge_fit(X: np.ndarray, y: np.ndarray, lam: float) -> dict[str, Any]:
    """Ridge with an unpenalised intercept: centre X and y, solve, then recover the intercept.

    Returns ``{"coef": (d,) array, "intercept": float}``. Penalising the intercept would make
    the fit depend on where the origin of y is, which no one wants.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    x_mean, y_mean = X.mean(axis=0), y.mean()
    coef = ridge_solution(X - x_mean, y - y_mean, lam)
    return {"coef": coef, "intercept": float(y_mean - x_mean @ coef)}


def ridge_predict(X: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray:
    """Predictions X coef + intercept, shape (N,)."""
    return np.asarray(X, dtype=float) @ np.asarray(coef, dtype=float) + float(intercept)


def ridge_path(X: np.ndarray, y: np.ndarray, lams: Sequence[float]) -> np.ndarray:
    """Coefficients of ``ridge_fit`` for each lambda: array (len(lams), d)."""
    return np.array([ridge_fit(X, y, lam)["coef"] for lam in lams])


# ---------------------------------------------------------------------------------------------
# Section 3.4: one-hidden-layer MLP, sigmoid hidden units, linear output, MSE.
# X is (N, m), Y is (N, k); params: W_h (m, n), b_h (n,), W_o (n, k), b_o (k,).
# MSE = (1/N) sum_i ||Y_i - Yhat_i||^2 (summed over outputs, averaged over samples).
# ---------------------------------------------------------------------------------------------

MLP_KEYS = ("W_h", "b_h", "W_o", "b_o")
MLP2_KEYS = ("W_h1", "b_h1", "W_h2", "b_h2", "W_o", "b_o")


def sigmoid_array(Z: np.ndarray) -> np.ndarray:
    """Elementwise logistic function without overflow warnings for large |Z|."""
    Z = np.asarray(Z, dtype=float)
    # exp(-|Z|) never overflows; 1/(1+e) is sigmoid(|Z|) and e/(1+e) is sigmoid(-|Z|). Whole-array
    # operations, no boolean indexing: training calls this thousands of times.
    e = np.exp(-np.abs(Z))
    r = 1.0 / (1.0 + e)
    return np.where(Z >= 0, r, e * r)


def mse(Y: np.ndarray, Y_hat: np.ndarray) -> float:
    """(1/N) sum over rows of the squared error, summed over output columns."""
    Y, Y_hat = np.asarray(Y, dtype=float), np.asarray(Y_hat, dtype=float)
    Y2 = Y.reshape(Y.shape[0], -1)
    return float(np.sum((Y2 - Y_hat.reshape(Y2.shape)) ** 2) / Y2.shape[0])


def mlp_init(n_inputs: int, n_hidden: int, n_outputs: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Small random weights (scaled by 1/sqrt(fan-in)) and zero biases."""
    rng = np.random.default_rng(seed)
    return {
        "W_h": rng.normal(size=(n_inputs, n_hidden)) / np.sqrt(n_inputs),
        "b_h": np.zeros(n_hidden),
        "W_o": rng.normal(size=(n_hidden, n_outputs)) / np.sqrt(n_hidden),
        "b_o": np.zeros(n_outputs),
    }


def mlp_forward(X: np.ndarray, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Hidden pre-activation Z_h, hidden activation H = sigmoid(X W_h + b_h), output Y_hat."""
    X = np.asarray(X, dtype=float)
    Z_h = X @ np.asarray(params["W_h"], dtype=float) + np.asarray(params["b_h"], dtype=float)
    H = sigmoid_array(Z_h)
    Y_hat = H @ np.asarray(params["W_o"], dtype=float) + np.asarray(params["b_o"], dtype=float)
    return {"Z_h": Z_h, "H": H, "Y_hat": Y_hat}


def mlp_gradients(X: np.ndarray, Y: np.ndarray, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Gradients of the MSE, each with the shape of its parameter."""
    X = np.asarray(X, dtype=float)
    return _mlp_backward(X, np.asarray(Y, dtype=float), params, mlp_forward(X, params))


def _mlp_backward(
    X: np.ndarray, Y: np.ndarray, params: Mapping[str, Any], f: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The backward pass from a forward pass ``f`` already computed (training reuses it)."""
    H = f["H"]
    dY = -2.0 / X.shape[0] * (Y - f["Y_hat"])  # (N, k)
    dZ = (dY @ np.asarray(params["W_o"], dtype=float).T) * H * (1.0 - H)  # (N, n)
    return {
        "W_h": X.T @ dZ,
        "b_h": dZ.sum(axis=0),
        "W_o": H.T @ dY,
        "b_o": dY.sum(axis=0),
    }


def mlp_step(
    X: np.ndarray, Y: np.ndarray, params: Mapping[str, Any], lr: float
) -> dict[str, np.ndarray]:
    """One full-batch gradient-descent update of every parameter from the same gradient."""
    g = mlp_gradients(X, Y, params)
    return {k: np.asarray(params[k], dtype=float) - lr * g[k] for k in MLP_KEYS}


# Tests train the reference on the same fixed data for every submission: once per process.
@memoize_by_value(maxsize=128)
def mlp_train(
    X: np.ndarray, Y: np.ndarray, params: Mapping[str, Any], lr: float, epochs: int
) -> tuple[dict[str, np.ndarray], list[float]]:
    """``epochs`` full-batch steps; returns the final params and the MSE before each step."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    p = {k: np.asarray(params[k], dtype=float) for k in MLP_KEYS}
    losses = []
    for _ in range(int(epochs)):
        f = mlp_forward(X, p)
        losses.append(mse(Y, f["Y_hat"]))
        g = _mlp_backward(X, Y, p, f)
        p = {k: p[k] - lr * g[k] for k in MLP_KEYS}
    return p, losses


class MLP:
    """The same network as an object: ``MLP(m, n, k, seed=0)``, ``fit``, ``predict``."""

    def __init__(self, n_inputs: int, n_hidden: int, n_outputs: int = 1, seed: int = 0) -> None:
        self.params = mlp_init(n_inputs, n_hidden, n_outputs, seed)

    def fit(self, X: np.ndarray, Y: np.ndarray, lr: float = 0.1, epochs: int = 100) -> list[float]:
        """Train in place by full-batch gradient descent; returns the MSE before each step."""
        self.params, losses = mlp_train(X, Y, self.params, lr, epochs)
        return losses

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network output, (N, k)."""
        return mlp_forward(X, self.params)["Y_hat"]


# Bonus: two sigmoid hidden layers. W_h1 (m, n1), b_h1 (n1,), W_h2 (n1, n2), b_h2 (n2,),
# W_o (n2, k), b_o (k,).


def mlp2_forward(X: np.ndarray, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Activations H1, H2 of the two hidden layers and the output Y_hat."""
    X = np.asarray(X, dtype=float)
    p = {k: np.asarray(params[k], dtype=float) for k in MLP2_KEYS}
    H1 = sigmoid_array(X @ p["W_h1"] + p["b_h1"])
    H2 = sigmoid_array(H1 @ p["W_h2"] + p["b_h2"])
    return {"H1": H1, "H2": H2, "Y_hat": H2 @ p["W_o"] + p["b_o"]}


def mlp2_gradients(
    X: np.ndarray, Y: np.ndarray, params: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Gradients of the MSE of the two-hidden-layer network, shaped like the parameters."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    p = {k: np.asarray(params[k], dtype=float) for k in MLP2_KEYS}
    f = mlp2_forward(X, p)
    H1, H2 = f["H1"], f["H2"]
    dY = -2.0 / X.shape[0] * (Y - f["Y_hat"])
    dZ2 = (dY @ p["W_o"].T) * H2 * (1.0 - H2)
    dZ1 = (dZ2 @ p["W_h2"].T) * H1 * (1.0 - H1)
    return {
        "W_h1": X.T @ dZ1,
        "b_h1": dZ1.sum(axis=0),
        "W_h2": H1.T @ dZ2,
        "b_h2": dZ2.sum(axis=0),
        "W_o": H2.T @ dY,
        "b_o": dY.sum(axis=0),
    }


def mlp2_step(
    X: np.ndarray, Y: np.ndarray, params: Mapping[str, Any], lr: float
) -> dict[str, np.ndarray]:
    """One full-batch gradient-descent update of the two-hidden-layer network."""
    g = mlp2_gradients(X, Y, params)
    return {k: np.asarray(params[k], dtype=float) - lr * g[k] for k in MLP2_KEYS}


# ---------------------------------------------------------------------------------------------
# Section 4: evaluation on one dataset (reference/data/mathml_regression.py).
# ---------------------------------------------------------------------------------------------


@memoize_by_value(maxsize=8)
def evaluation_data(
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test) of section 4; ``seed=None`` is the students' dataset
    (``problems/mathml_hw4/data/regression.csv``), other seeds give fresh draws."""
    from reference.data import mathml_regression

    return mathml_regression.load_split(mathml_regression.SEED if seed is None else seed)


def rmse(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Root mean squared error of two vectors of the same length."""
    y, y_hat = np.ravel(np.asarray(y, dtype=float)), np.ravel(np.asarray(y_hat, dtype=float))
    return float(np.sqrt(np.mean((y - y_hat) ** 2)))


def pinv_fit(X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Least squares with an intercept via the pseudo-inverse of [1, X] (minimum-norm if rank
    deficient). Returns ``{"coef": (d,), "intercept": float}``."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    w = np.linalg.pinv(A) @ y
    return {"coef": w[1:], "intercept": float(w[0])}


def linear_rmses(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    lam: float,
) -> dict[str, float]:
    """Test RMSE of pseudo-inverse least squares and of ridge (``lam``): the part of
    ``evaluate`` that has one right answer (the tests only bound the MLP's RMSE)."""
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    y_train, y_test = np.asarray(y_train, dtype=float), np.asarray(y_test, dtype=float)
    lin = pinv_fit(X_train, y_train)
    rid = ridge_fit(X_train, y_train, lam)
    return {
        "pinv": rmse(y_test, ridge_predict(X_test, lin["coef"], lin["intercept"])),
        "ridge": rmse(y_test, ridge_predict(X_test, rid["coef"], rid["intercept"])),
    }


# The slowest reference call (an MLP trained for 1200 epochs); the tests pass it the same two
# data sets for every submission, so it runs once per process.
@memoize_by_value(maxsize=16)
def evaluate(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    lam: float,
) -> dict[str, float]:
    """Test RMSE of pseudo-inverse least squares, ridge (``lam``) and a one-hidden-layer MLP.

    The MLP sees standardised inputs and targets (statistics of the training set only), the
    habit that lets one learning rate suit data in any units. On this dataset it is not needed:
    the features are of order 1 (sd about 1.1), and an MLP on the raw data (8-16 units, learning
    rate 0.08-0.3, 1000-2000 epochs, ten initial seeds) clears the tests' bar in 959 of 960 runs
    over the two graded draws, with a lower median RMSE than the standardised one. A learning
    rate of 0.1-0.15 is well inside the stable range here; at 0.5 about a fifth of the runs miss
    the bar, standardised or not, and unstandardised ones more often end worse than least squares.
    """
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    y_train, y_test = np.asarray(y_train, dtype=float), np.asarray(y_test, dtype=float)
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
    sd[sd == 0] = 1.0
    y_mu, y_sd = y_train.mean(), y_train.std() or 1.0
    model = MLP(X_train.shape[1], 8, 1, seed=0)
    model.fit((X_train - mu) / sd, ((y_train - y_mu) / y_sd)[:, None], lr=0.15, epochs=1200)
    y_mlp = model.predict((X_test - mu) / sd)[:, 0] * y_sd + y_mu
    return {**linear_rmses(X_train, y_train, X_test, y_test, lam), "mlp": rmse(y_test, y_mlp)}
