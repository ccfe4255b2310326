"""Correct, another way: float32 arithmetic, explicit loops, boolean masks (expected: full marks).

Shows that the tolerances accept a single-precision, loop-based implementation that returns
float32 arrays, and a log-sum-exp softmax.
"""

from __future__ import annotations

import numpy as np

F = np.float32


def relu(s):
    s = np.asarray(s, dtype=F)
    return s * (s > 0)


def relu_grad(s):
    return np.asarray(s) > 0


def softmax(s):
    s = np.asarray(s, dtype=F)
    m = np.max(s, axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(s - m), axis=-1, keepdims=True))
    return np.exp(s - lse)


def forward(x, W1, W2):
    W1, W2 = np.asarray(W1, dtype=F), np.asarray(W2, dtype=F)
    x0 = np.ones(len(x) + 1, dtype=F)
    x0[1:] = x
    s1 = np.zeros(W1.shape[1], dtype=F)
    for j in range(W1.shape[1]):
        for i in range(W1.shape[0]):
            s1[j] += W1[i, j] * x0[i]
    x1 = np.ones(len(s1) + 1, dtype=F)
    x1[1:] = relu(s1)
    s2 = np.zeros(W2.shape[1], dtype=F)
    for j in range(W2.shape[1]):
        for i in range(W2.shape[0]):
            s2[j] += W2[i, j] * x1[i]
    return {"s1": s1, "x1": x1, "s2": s2, "x2": softmax(s2)}


def cross_entropy(x2, y):
    total = F(0)
    for xj, yj in zip(np.asarray(x2, dtype=F), np.asarray(y, dtype=F), strict=True):
        if yj != 0:
            total -= yj * np.log(xj)
    return float(total)


def output_delta(x2, y):
    return np.asarray(x2, dtype=F) - np.asarray(y, dtype=F)


def hidden_delta(s1, W2, delta2):
    W2 = np.asarray(W2, dtype=F)
    out = np.zeros(len(s1), dtype=F)
    mask = relu_grad(s1)
    for i in range(len(s1)):
        if mask[i]:
            out[i] = sum(W2[i + 1, j] * F(delta2[j]) for j in range(W2.shape[1]))
    return out


def gradients(x, y, W1, W2):
    f = forward(x, W1, W2)
    d2 = output_delta(f["x2"], y)
    d1 = hidden_delta(f["s1"], W2, d2)
    x0 = np.concatenate([[1.0], x]).astype(F)
    g1 = np.array([[x0[i] * d1[j] for j in range(len(d1))] for i in range(len(x0))], dtype=F)
    g2 = np.array(
        [[f["x1"][i] * d2[j] for j in range(len(d2))] for i in range(len(f["x1"]))], dtype=F
    )
    return {"W1": g1, "W2": g2}


def sgd_step_per_weight(x, y, W1, W2, eta):
    g = gradients(x, y, W1, W2)
    new = {"W1": np.array(W1, dtype=F), "W2": np.array(W2, dtype=F)}
    for key in ("W1", "W2"):
        for i in range(new[key].shape[0]):
            for j in range(new[key].shape[1]):
                new[key][i, j] -= F(eta) * g[key][i, j]
    return new


def sgd_step(x, y, W1, W2, eta):
    g = gradients(x, y, W1, W2)
    return {"W1": (W1 - eta * g["W1"]).astype(F), "W2": (W2 - eta * g["W2"]).astype(F)}


def batch_gradients(X, Y, W1, W2):
    n = len(X)
    acc = {"loss": 0.0, "W1": np.zeros_like(W1, dtype=F), "W2": np.zeros_like(W2, dtype=F)}
    for x, y in zip(X, Y, strict=True):
        acc["loss"] += cross_entropy(forward(x, W1, W2)["x2"], y) / n
        g = gradients(x, y, W1, W2)
        acc["W1"] += g["W1"] / n
        acc["W2"] += g["W2"] / n
    return acc
