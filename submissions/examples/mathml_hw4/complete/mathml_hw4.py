"""Example submission for mathml_hw4: a complete, correct solution (expected: every code point;
with the typed answers beside it, as in complete/, full marks).

Written the way a student would, independently of the reference solution: vectorised NumPy,
explicit formulas from the derivations in README.md.
"""

from __future__ import annotations

import math

import numpy as np

# ---------------------------------------------------------------- section 1: warm-ups


def warmup1_jacobian(M, x):
    M = np.asarray(M, dtype=float)
    return M.T @ M


def warmup2_gradient(M, X):
    return np.asarray(M, dtype=float).T


def warmup3_gradient(X):
    return 2 * np.asarray(X, dtype=float)


def warmup3_hessian(X):
    return 2 * np.eye(np.size(X))


def warmup4_gradient(X, a, b):
    return np.outer(a, b)


def warmup5_gradient(X, a, b):
    X = np.asarray(X, dtype=float)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return np.outer(X @ b, a) + np.outer(X @ a, b)


def warmup5_hessian(X, a, b):
    n = np.shape(X)[0]
    S = np.outer(a, b) + np.outer(b, a)
    return np.kron(np.eye(n), S)


# ---------------------------------------------------------------- section 2: ridge


def ridge_loss(X, y, beta, lam):
    r = np.asarray(y, dtype=float) - np.asarray(X, dtype=float) @ np.asarray(beta, dtype=float)
    return float(np.sum(r**2) + lam * np.sum(np.asarray(beta, dtype=float) ** 2))


def ridge_gradient(X, y, beta, lam):
    X = np.asarray(X, dtype=float)
    beta = np.asarray(beta, dtype=float)
    return 2 * X.T @ (X @ beta - np.asarray(y, dtype=float)) + 2 * lam * beta


def ridge_solution(X, y, lam):
    X = np.asarray(X, dtype=float)
    d = X.shape[1]
    return np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ np.asarray(y, dtype=float))


def ridge_fit(X, y, lam):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    xm = X.mean(axis=0)
    ym = y.mean()
    coef = ridge_solution(X - xm, y - ym, lam)
    return {"coef": coef, "intercept": float(ym - xm @ coef)}


def ridge_predict(X, coef, intercept):
    return np.asarray(X, dtype=float) @ np.asarray(coef, dtype=float) + intercept


def ridge_path(X, y, lams):
    return np.vstack([ridge_fit(X, y, lam)["coef"] for lam in lams])


# ---------------------------------------------------------------- section 3.1 / 3.3


def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    return math.exp(z) / (1.0 + math.exp(z))


def forward(x, W):
    z3 = W["W13"] * x[0] + W["W23"] * x[1]
    z4 = W["W14"] * x[0] + W["W24"] * x[1]
    a3 = _sigmoid(z3)
    a4 = math.tanh(z4)
    a5 = W["W35"] * a3 + W["W45"] * a4
    return {"z3": z3, "z4": z4, "a3": a3, "a4": a4, "a5": a5}


def loss(prediction, target):
    return (target - prediction) ** 2


def gradients(x, W, target):
    f = forward(x, W)
    dL_da5 = -2 * (target - f["a5"])
    delta3 = dL_da5 * W["W35"] * f["a3"] * (1 - f["a3"])
    delta4 = dL_da5 * W["W45"] * (1 - f["a4"] ** 2)
    return {
        "W13": delta3 * x[0],
        "W23": delta3 * x[1],
        "W14": delta4 * x[0],
        "W24": delta4 * x[1],
        "W35": dL_da5 * f["a3"],
        "W45": dL_da5 * f["a4"],
    }


def sgd_step(x, W, target, lr):
    g = gradients(x, W, target)
    return {k: W[k] - lr * g[k] for k in W}


# ---------------------------------------------------------------- section 3.4


def _sigmoid_array(Z):
    return 0.5 * (1.0 + np.tanh(0.5 * Z))  # same function, no overflow for large |Z|


def mlp_forward(X, params):
    Z_h = np.asarray(X, dtype=float) @ params["W_h"] + params["b_h"]
    H = _sigmoid_array(Z_h)
    return {"Z_h": Z_h, "H": H, "Y_hat": H @ params["W_o"] + params["b_o"]}


def mse(Y, Y_hat):
    Y = np.asarray(Y, dtype=float)
    return float(np.sum((Y - np.asarray(Y_hat, dtype=float)) ** 2) / Y.shape[0])


def mlp_gradients(X, Y, params):
    X = np.asarray(X, dtype=float)
    out = mlp_forward(X, params)
    N = X.shape[0]
    dY = (2.0 / N) * (out["Y_hat"] - Y)
    dH = dY @ np.asarray(params["W_o"]).T
    dZ = dH * out["H"] * (1 - out["H"])
    return {
        "W_o": out["H"].T @ dY,
        "b_o": dY.sum(axis=0),
        "W_h": X.T @ dZ,
        "b_h": dZ.sum(axis=0),
    }


def mlp_step(X, Y, params, lr):
    g = mlp_gradients(X, Y, params)
    return {k: np.asarray(params[k], dtype=float) - lr * g[k] for k in ("W_h", "b_h", "W_o", "b_o")}


def mlp_train(X, Y, params, lr, epochs):
    losses = []
    for _ in range(epochs):
        losses.append(mse(Y, mlp_forward(X, params)["Y_hat"]))
        params = mlp_step(X, Y, params, lr)
    return params, losses


class MLP:
    def __init__(self, n_inputs, n_hidden, n_outputs=1, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {
            "W_h": rng.normal(0, 1 / np.sqrt(n_inputs), size=(n_inputs, n_hidden)),
            "b_h": np.zeros(n_hidden),
            "W_o": rng.normal(0, 1 / np.sqrt(n_hidden), size=(n_hidden, n_outputs)),
            "b_o": np.zeros(n_outputs),
        }

    def fit(self, X, Y, lr=0.1, epochs=100):
        self.params, losses = mlp_train(X, Y, self.params, lr, epochs)
        return losses

    def predict(self, X):
        return mlp_forward(X, self.params)["Y_hat"]


# ---------------------------------------------------------------- section 3.5 (bonus)


def mlp2_forward(X, params):
    H1 = _sigmoid_array(np.asarray(X, dtype=float) @ params["W_h1"] + params["b_h1"])
    H2 = _sigmoid_array(H1 @ params["W_h2"] + params["b_h2"])
    return {"H1": H1, "H2": H2, "Y_hat": H2 @ params["W_o"] + params["b_o"]}


def mlp2_gradients(X, Y, params):
    X = np.asarray(X, dtype=float)
    out = mlp2_forward(X, params)
    H1, H2 = out["H1"], out["H2"]
    dY = (2.0 / X.shape[0]) * (out["Y_hat"] - Y)
    dZ2 = (dY @ np.asarray(params["W_o"]).T) * H2 * (1 - H2)
    dZ1 = (dZ2 @ np.asarray(params["W_h2"]).T) * H1 * (1 - H1)
    return {
        "W_o": H2.T @ dY,
        "b_o": dY.sum(axis=0),
        "W_h2": H1.T @ dZ2,
        "b_h2": dZ2.sum(axis=0),
        "W_h1": X.T @ dZ1,
        "b_h1": dZ1.sum(axis=0),
    }


def mlp2_step(X, Y, params, lr):
    g = mlp2_gradients(X, Y, params)
    return {k: np.asarray(params[k], dtype=float) - lr * g[k] for k in g}


# ---------------------------------------------------------------- section 4


def rmse(y, y_hat):
    diff = np.ravel(y) - np.ravel(y_hat)
    return float(np.sqrt(np.mean(diff**2)))


def pinv_fit(X, y):
    X = np.asarray(X, dtype=float)
    A = np.column_stack([np.ones(len(X)), X])
    w = np.linalg.pinv(A) @ np.asarray(y, dtype=float)
    return {"coef": w[1:], "intercept": float(w[0])}


def evaluate(X_train, y_train, X_test, y_test, lam):
    X_train = np.asarray(X_train, dtype=float)
    X_test = np.asarray(X_test, dtype=float)
    y_train = np.asarray(y_train, dtype=float)
    lin = pinv_fit(X_train, y_train)
    rid = ridge_fit(X_train, y_train, lam)
    # The MLP trains on standardised inputs and targets; the statistics come from the
    # training set only.
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
    y_mu, y_sd = y_train.mean(), y_train.std()
    net = MLP(X_train.shape[1], 10, 1, seed=1)
    net.fit((X_train - mu) / sd, ((y_train - y_mu) / y_sd).reshape(-1, 1), lr=0.1, epochs=1500)
    y_mlp = net.predict((X_test - mu) / sd).ravel() * y_sd + y_mu
    return {
        "pinv": rmse(y_test, ridge_predict(X_test, lin["coef"], lin["intercept"])),
        "ridge": rmse(y_test, ridge_predict(X_test, rid["coef"], rid["intercept"])),
        "mlp": rmse(y_test, y_mlp),
    }
