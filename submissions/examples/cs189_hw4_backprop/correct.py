"""Correct: a complete, vectorised float64 solution (expected: every code point).

Code only: with the typed answers beside it, as in complete/, it earns full marks.
"""

from __future__ import annotations

import numpy as np


def relu(s: np.ndarray) -> np.ndarray:
    return np.maximum(s, 0.0)


def relu_grad(s: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(s) > 0, 1.0, 0.0)


def softmax(s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, dtype=float)
    z = s - s.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _with_bias(v: np.ndarray) -> np.ndarray:
    return np.concatenate(([1.0], v))


def forward(x: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> dict[str, np.ndarray]:
    x0 = _with_bias(x)
    s1 = W1.T @ x0
    x1 = _with_bias(relu(s1))
    s2 = W2.T @ x1
    return {"x0": x0, "s1": s1, "x1": x1, "s2": s2, "x2": softmax(s2)}


def cross_entropy(x2: np.ndarray, y: np.ndarray) -> float:
    return float(-np.sum(y * np.log(x2)))


def output_delta(x2: np.ndarray, y: np.ndarray) -> np.ndarray:
    return x2 - y


def hidden_delta(s1: np.ndarray, W2: np.ndarray, delta2: np.ndarray) -> np.ndarray:
    return relu_grad(s1) * (W2[1:, :] @ delta2)


def _deltas(x, y, W1, W2):
    f = forward(x, W1, W2)
    d2 = output_delta(f["x2"], y)
    d1 = hidden_delta(f["s1"], W2, d2)
    return f, d1, d2


def gradients(x, y, W1, W2) -> dict[str, np.ndarray]:
    f, d1, d2 = _deltas(x, y, W1, W2)
    return {"W1": np.outer(f["x0"], d1), "W2": np.outer(f["x1"], d2)}


def sgd_step_per_weight(x, y, W1, W2, eta: float) -> dict[str, np.ndarray]:
    f, d1, d2 = _deltas(x, y, W1, W2)
    new1, new2 = W1.copy(), W2.copy()
    for i in range(W1.shape[0]):
        for j in range(W1.shape[1]):
            new1[i, j] -= eta * f["x0"][i] * d1[j]
    for i in range(W2.shape[0]):
        for j in range(W2.shape[1]):
            new2[i, j] -= eta * f["x1"][i] * d2[j]
    return {"W1": new1, "W2": new2}


def sgd_step(x, y, W1, W2, eta: float) -> dict[str, np.ndarray]:
    g = gradients(x, y, W1, W2)
    return {"W1": W1 - eta * g["W1"], "W2": W2 - eta * g["W2"]}


def batch_gradients(X, Y, W1, W2) -> dict[str, object]:
    n = X.shape[0]
    X0 = np.hstack([np.ones((n, 1)), X])
    S1 = X0 @ W1
    X1 = np.hstack([np.ones((n, 1)), relu(S1)])
    S2 = X1 @ W2
    P = softmax(S2)
    D2 = (P - Y) / n
    D1 = relu_grad(S1) * (D2 @ W2[1:, :].T)
    loss = -np.sum(Y * np.log(P)) / n
    return {"loss": float(loss), "W1": X0.T @ D1, "W2": X1.T @ D2}
