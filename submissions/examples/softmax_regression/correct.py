"""A correct solution: every code point expected.

Code only: with the typed answers beside it, as in complete/, it earns full marks.
"""

from __future__ import annotations

import numpy as np


def mse_gradient(X, y, w):
    n = X.shape[1]
    return X @ (X.T @ w - y) / n


def mse_hessian(X):
    return X @ X.T / X.shape[1]


def newton_step(X, y, w):
    return w - np.linalg.solve(mse_hessian(X), mse_gradient(X, y, w))


def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=0))
    return E / E.sum(axis=0)


def predict_proba(X, W, b):
    return softmax(W.T @ X + b[:, None])


def softmax_gradients(X, Y, W, b):
    n = X.shape[1]
    D = predict_proba(X, W, b) - Y  # y_hat - y, so the minus sign of the derivation is absorbed
    return {"W": X @ D.T / n, "b": D.sum(axis=1) / n}


def cross_entropy(Y, Y_hat):
    terms = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y_hat, 1.0)), 0.0)
    return float(-terms.sum() / Y.shape[1])


def negative_log_likelihood(X, Y, W, b):
    Z = W.T @ X + b[:, None]
    m = Z.max(axis=0)
    log_p = Z - m - np.log(np.exp(Z - m).sum(axis=0))
    return float(-np.sum(np.where(Y > 0, Y * log_p, 0.0)))


def train_softmax(X, Y, *, lr, reg, batch_size, epochs, seed=0):
    rng = np.random.default_rng(seed)
    n = X.shape[1]
    W = np.zeros((X.shape[0], Y.shape[0]))
    b = np.zeros(Y.shape[0])
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            g = softmax_gradients(X[:, batch], Y[:, batch], W, b)
            W = W - lr * (g["W"] + reg * W)
            b = b - lr * g["b"]
    return {"W": W, "b": b}


def predict(X, W, b):
    return np.argmax(W.T @ X + b[:, None], axis=0)
