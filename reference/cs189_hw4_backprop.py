"""Reference solution for ``cs189_hw4_backprop`` (seed 000, Problem 1).

A network with L = 2 layers of weights: ReLU hidden layer, softmax output, cross-entropy loss.
Conventions (the seed's):

* ``x^(0)`` is the input with the bias unit ``x_0 = 1`` prepended; the hidden layer also gets a
  bias unit, the output layer does not.
* ``W^(l)`` has shape ``(d^(l-1) + 1, d^(l))``: entry ``[i, j]`` is ``w_ij^(l)``, the weight from
  unit ``i`` of layer ``l-1`` to unit ``j`` of layer ``l``; row 0 holds the bias weights.
* ``s^(l) = W^(l)^T x^(l-1)``, ``x^(1) = [1, relu(s^(1))]``, ``x^(2) = softmax(s^(2))``.
* ``delta^(l) = dJ/ds^(l)``; ``dJ/dW^(l) = x^(l-1) (delta^(l))^T`` (an outer product).

The seed states ``g'(s) = max(0, s)`` for the ReLU. That is the ReLU itself, not its derivative;
the derivative is the step ``1[s > 0]``, taken as 0 at ``s = 0`` (the convention the tests use).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def _f(a: ArrayLike) -> Array:
    return np.asarray(a, dtype=np.float64)


def relu(s: ArrayLike) -> Array:
    """Elementwise max(0, s)."""
    return np.maximum(_f(s), 0.0)


def relu_grad(s: ArrayLike) -> Array:
    """Elementwise derivative of the ReLU: 1.0 where s > 0, else 0.0 (0.0 at s == 0)."""
    return (_f(s) > 0).astype(np.float64)


def softmax(s: ArrayLike) -> Array:
    """Softmax along the last axis; subtracting the maximum keeps exp from overflowing."""
    s = _f(s)
    e = np.exp(s - np.max(s, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(s: ArrayLike) -> Array:
    """log(softmax(s)) along the last axis, as s - logsumexp(s) (no log of a rounded 0)."""
    s = _f(s)
    m = np.max(s, axis=-1, keepdims=True)
    return s - m - np.log(np.sum(np.exp(s - m), axis=-1, keepdims=True))


def add_bias(x: ArrayLike) -> Array:
    """Prepend the bias unit 1 to a vector (or to every row of a matrix)."""
    x = _f(x)
    ones = np.ones((*x.shape[:-1], 1))
    return np.concatenate([ones, x], axis=-1)


def forward(x: ArrayLike, W1: ArrayLike, W2: ArrayLike) -> dict[str, Array]:
    """Forward pass for one example ``x`` of shape (d0,).

    Returns ``x0`` (d0+1,), ``s1`` (d1,), ``x1`` (d1+1,) with the bias unit first,
    ``s2`` (d2,) and ``x2`` (d2,) = softmax(s2).
    """
    W1, W2 = _f(W1), _f(W2)
    x0 = add_bias(x)
    s1 = W1.T @ x0
    x1 = add_bias(relu(s1))
    s2 = W2.T @ x1
    x2 = softmax(s2)
    return {"x0": x0, "s1": s1, "x1": x1, "s2": s2, "x2": x2}


def cross_entropy(x2: ArrayLike, y: ArrayLike) -> float:
    """J = -sum_j y_j ln x2_j for one example (x2 > 0 wherever y > 0)."""
    x2, y = _f(x2), _f(y)
    mask = y != 0  # 0 ln 0 = 0: an output that underflowed to 0 costs nothing if its label is 0
    return float(-np.sum(y[mask] * np.log(x2[mask])))


def loss(x: ArrayLike, y: ArrayLike, W1: ArrayLike, W2: ArrayLike) -> float:
    """Cross-entropy of the network's output, through log-softmax so it stays finite."""
    s2 = forward(x, W1, W2)["s2"]
    return float(-np.sum(_f(y) * log_softmax(s2)))


def output_delta(x2: ArrayLike, y: ArrayLike) -> Array:
    """delta^(2) = dJ/ds^(2) = x2 - y for softmax + cross-entropy (labels summing to 1)."""
    return _f(x2) - _f(y)


def hidden_delta(s1: ArrayLike, W2: ArrayLike, delta2: ArrayLike) -> Array:
    """delta^(1)_i = relu'(s1_i) * sum_j w_ij^(2) delta2_j for i = 1..d1 (the bias row is skipped:
    no weight feeds the bias unit, so it has no delta)."""
    return relu_grad(s1) * (_f(W2)[1:, :] @ _f(delta2))


def gradients(x: ArrayLike, y: ArrayLike, W1: ArrayLike, W2: ArrayLike) -> dict[str, Array]:
    """dJ/dW1 and dJ/dW2 for one example, same shapes as W1 and W2."""
    f = forward(x, W1, W2)
    d2 = output_delta(f["x2"], y)
    d1 = hidden_delta(f["s1"], W2, d2)
    return {"W1": np.outer(f["x0"], d1), "W2": np.outer(f["x1"], d2)}


def sgd_step(
    x: ArrayLike, y: ArrayLike, W1: ArrayLike, W2: ArrayLike, eta: float
) -> dict[str, Array]:
    """One SGD step on one example, vectorised: W <- W - eta x^(l-1) (delta^(l))^T."""
    g = gradients(x, y, W1, W2)
    return {"W1": _f(W1) - eta * g["W1"], "W2": _f(W2) - eta * g["W2"]}


def sgd_step_per_weight(
    x: ArrayLike, y: ArrayLike, W1: ArrayLike, W2: ArrayLike, eta: float
) -> dict[str, Array]:
    """The same step written weight by weight, w_ij <- w_ij - eta x_i^(l-1) delta_j^(l).

    Both layers use deltas from the weights before the step, as the vectorised form does.
    """
    f = forward(x, W1, W2)
    d2 = output_delta(f["x2"], y)
    d1 = hidden_delta(f["s1"], W2, d2)
    new = {"W1": _f(W1).copy(), "W2": _f(W2).copy()}
    for key, prev, delta in (("W1", f["x0"], d1), ("W2", f["x1"], d2)):
        W = new[key]
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                W[i, j] = W[i, j] - eta * prev[i] * delta[j]
    return new


def batch_gradients(X: ArrayLike, Y: ArrayLike, W1: ArrayLike, W2: ArrayLike) -> dict[str, object]:
    """Mean loss and mean gradients over the rows of X (n, d0) and Y (n, d2)."""
    X, Y, W1, W2 = _f(X), _f(Y), _f(W1), _f(W2)
    X0 = add_bias(X)
    S1 = X0 @ W1
    X1 = add_bias(relu(S1))
    S2 = X1 @ W2
    n = X.shape[0]
    D2 = softmax(S2) - Y
    D1 = relu_grad(S1) * (D2 @ W2[1:, :].T)
    return {
        "loss": float(-np.sum(Y * log_softmax(S2)) / n),
        "W1": X0.T @ D1 / n,
        "W2": X1.T @ D2 / n,
    }


def random_problem(
    rng: np.random.Generator, d0: int, d1: int, d2: int, *, n: int | None = None, scale: float = 1.0
) -> dict[str, Array]:
    """Random inputs, one-hot labels and weights of the given sizes (``n`` rows if given).

    Weights are scaled by 1/sqrt(fan-in). For the first (or only) example, hidden units with an
    even index are active (s1 > 0) and odd ones inactive: with few hidden units a random draw
    often leaves them all inactive, and then dJ/dW1 = 0 whatever relu' a submission uses.
    """
    shape = (d0,) if n is None else (n, d0)
    x = rng.normal(size=shape)
    labels = rng.integers(d2, size=shape[:-1])
    y = np.eye(d2)[labels]
    W1 = scale * rng.normal(size=(d0 + 1, d1)) / np.sqrt(d0 + 1)
    W2 = scale * rng.normal(size=(d1 + 1, d2)) / np.sqrt(d1 + 1)
    s1 = W1.T @ add_bias(x if n is None else x[0])
    wanted = np.where(np.arange(d1) % 2 == 0, 1.0, -1.0)
    W1 *= np.where(np.sign(s1) == wanted, 1.0, -1.0)  # flipping a column flips the sign of s1_j
    return {"x": x, "y": y, "W1": W1, "W2": W2}
