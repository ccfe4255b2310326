"""A correct solution written differently: explicit loops, an explicit inverse, clipped logs and
no shuffling (which the statement allows). Full marks expected."""

import math

import numpy as np


def mse_gradient(X, y, w):
    d, n = X.shape
    g = np.zeros(d)
    for i in range(n):
        x = X[:, i]
        g += x * (x @ w - y[i])
    return g / n


def mse_hessian(X):
    d, n = X.shape
    H = np.zeros((d, d))
    for i in range(n):
        H += np.outer(X[:, i], X[:, i])
    return H / n


def newton_step(X, y, w):
    return w - np.linalg.inv(mse_hessian(X)) @ mse_gradient(X, y, w)


def softmax(Z):
    Z = np.array(Z, dtype=float)
    out = np.empty_like(Z)
    for j in range(Z.shape[1]):
        z = Z[:, j] - Z[:, j].max()
        e = np.exp(z)
        out[:, j] = e / e.sum()
    return out


def predict_proba(X, W, b):
    return softmax(W.T @ X + b.reshape(-1, 1))


def softmax_gradients(X, Y, W, b):
    n = X.shape[1]
    P = predict_proba(X, W, b)
    gW = np.zeros_like(W, dtype=float)
    gb = np.zeros(len(b))
    for i in range(n):
        r = Y[:, i] - P[:, i]
        gW -= np.outer(X[:, i], r)
        gb -= r
    return {"W": gW / n, "b": gb / n}


def cross_entropy(Y, Y_hat):
    # Clipping keeps log finite; where Y is 0 the clipped term is multiplied by 0.
    return float(-np.sum(Y * np.log(np.clip(Y_hat, 1e-300, 1.0))) / Y.shape[1])


def negative_log_likelihood(X, Y, W, b):
    Z = W.T @ X + b.reshape(-1, 1)
    total = 0.0
    for i in range(Z.shape[1]):
        z = Z[:, i]
        m = z.max()
        lse = m + math.log(sum(math.exp(v - m) for v in z))
        total -= float(Y[:, i] @ (z - lse))
    return total


def train_softmax(X, Y, *, lr, reg, batch_size, epochs, seed=0):
    d, n = X.shape
    K = Y.shape[0]
    W = np.zeros((d, K))
    b = np.zeros(K)
    for _ in range(epochs):
        start = 0
        while start < n:
            stop = min(start + batch_size, n)
            g = softmax_gradients(X[:, start:stop], Y[:, start:stop], W, b)
            W = W - lr * g["W"] - lr * reg * W
            b = b - lr * g["b"]
            start = stop
    return {"W": W, "b": b}


def predict(X, W, b):
    return np.argmax(predict_proba(X, W, b), axis=0)
