"""Backpropagation in matrix form (seeds 000, 002, 003), checked against central differences.

Each candidate is a NumPy function returning the gradients; the check perturbs every weight of a
random network (several sizes, none square where a transpose could hide) and compares.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reference.derivations._checks import FD_TOL, Checker, central_gradient
from reference.derivations._registry import Evidence, claim

Arr = np.ndarray
Grads = dict[str, Arr]


def _sigmoid(z: Arr) -> Arr:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(s: Arr) -> Arr:
    e = np.exp(s - s.max())
    return e / e.sum()


def _compare_all(chk: Checker, label: str, got: Grads, loss: Callable[[Grads], float],
                 params: Grads) -> None:
    for key, value in params.items():
        if key not in got:
            chk.failures.append(f"{label}: no gradient for {key}")
            continue

        def along(v: Arr, key: str = key) -> float:
            return loss({**params, key: v})

        chk.close(f"{label} d/d{key}", got[key], central_gradient(along, value), FD_TOL)


# --- seed 000: ReLU hidden layer, softmax output, cross-entropy, bias units --------------------

def _relu_step(s: Arr) -> Arr:
    return (s > 0).astype(float)


def _hidden_delta(s: Arr, W: Arr, delta: Arr, g_prime: Callable[[Arr], Arr]) -> Arr:
    # Row 0 of W carries the bias unit x_0 = 1, which has no incoming weights: no delta for it.
    return g_prime(s) * (W[1:, :] @ delta)


@claim(source="seed 000, problem 1", assignments=("cs189_hw4_backprop",))
def backprop_deltas_give_weight_gradients(
    *,
    g_prime: Callable[[Arr], Arr] = _relu_step,
    hidden_delta: Callable[..., Arr] = _hidden_delta,
    weight_gradient: Callable[[Arr, Arr], Arr] = np.outer,
    output_delta: Callable[[Arr, Arr], Arr] = lambda x, y: x - y,
) -> Evidence:
    """Two-layer net, x^(0) = [1; x], s^(l) = W^(l)T x^(l-1), ReLU hidden, softmax output,
    J = -sum y ln x^(2): with delta^(2) = x^(2) - y and
    delta^(1) = g'(s^(1)) * (W^(2)[1:] delta^(2)), dJ/dW^(l) = x^(l-1) delta^(l)T
    (W^(l) is (d^(l-1) + 1) x d^(l); row 0 holds the bias weights)."""
    chk = Checker("backprop_deltas_give_weight_gradients", "finite differences")
    for d0, d1, K in ((3, 5, 4), (4, 2, 3), (2, 6, 10)):
        for _ in chk.trial_range(3):
            x = chk.rng.normal(size=d0)
            y = np.eye(K)[chk.rng.integers(K)]
            params = {"W1": chk.rng.normal(size=(d0 + 1, d1)),
                      "W2": chk.rng.normal(size=(d1 + 1, K))}
            x0 = np.concatenate([[1.0], x])
            s1 = params["W1"].T @ x0
            if np.min(np.abs(s1)) < 1e-2:  # ReLU has a kink at 0: keep differences away from it
                continue
            x1 = np.concatenate([[1.0], np.maximum(0.0, s1)])
            x2 = _softmax(params["W2"].T @ x1)

            def loss(p: Grads, x0: Arr = x0, y: Arr = y) -> float:
                h = np.concatenate([[1.0], np.maximum(0.0, p["W1"].T @ x0)])
                return float(-np.sum(y * np.log(_softmax(p["W2"].T @ h))))

            d2 = chk.call("delta^(2)", output_delta, x2, y)
            d1_ = chk.call("delta^(1)", hidden_delta, s1, params["W2"], d2, g_prime)
            got = {"W1": chk.call("dJ/dW^(1)", weight_gradient, x0, d1_),
                   "W2": chk.call("dJ/dW^(2)", weight_gradient, x1, d2)}
            _compare_all(chk, f"(d0, d1, K)=({d0}, {d1}, {K})", got, loss, params)
    chk.note("The seed's g'(s) = max(0, s) is wrong (that is ReLU itself); the step function is "
             "used here")
    return chk.evidence("every entry of both weight gradients matches central differences on 9 "
                        "random networks of three shapes")


# --- seed 002: two-layer sigmoid network, squared loss ----------------------------------------

def _two_layer_grads(X: Arr, y: Arr, W1: Arr, W2: Arr) -> Grads:
    n = X.shape[0]
    H = _sigmoid(X @ W1.T)             # n x h
    o = H @ W2.T                       # n x 1
    r = (o[:, 0] - y) * 2.0 / n        # dL/do_i
    dZ = (r[:, None] * W2) * H * (1 - H)
    return {"W1": dZ.T @ X, "W2": (r @ H)[None, :]}


@claim(source="seed 002, section 5(a)", assignments=("cs229_ps2",))
def two_layer_sigmoid_network_gradients(
    *,
    gradients: Callable[[Arr, Arr, Arr, Arr], Grads] = _two_layer_grads,
) -> Evidence:
    """z = W1 x, h = sigma(z), o = W2 h, L = (1/n) sum_i (o_i - y_i)^2 (rows of X are samples,
    W1 is h x d, W2 is 1 x h): dL/dW2 = (2/n) sum_i (o_i - y_i) h_i^T (1 x h) and
    dL/dW1 = (2/n) sum_i (o_i - y_i) (W2^T * h_i * (1 - h_i)) x_i^T (h x d)."""
    chk = Checker("two_layer_sigmoid_network_gradients", "finite differences")
    for n, d, h in ((6, 3, 4), (5, 2, 3), (1, 4, 2)):
        for _ in chk.trial_range(3):
            X, y = chk.rng.normal(size=(n, d)), chk.rng.normal(size=n)
            params = {"W1": chk.rng.normal(size=(h, d)), "W2": chk.rng.normal(size=(1, h))}

            def loss(p: Grads, X: Arr = X, y: Arr = y) -> float:
                o = _sigmoid(X @ p["W1"].T) @ p["W2"].T
                return float(np.mean((o[:, 0] - y) ** 2))

            got = chk.call("the gradients", gradients, X, y, params["W1"], params["W2"])
            _compare_all(chk, f"(n, d, h)=({n}, {d}, {h})", got, loss, params)
    chk.note("The seed sets dL/dJ = 1, dropping the 1/n of the mean, and writes dL/dW1 as "
             "2(o - y) W2 x sigma'(...), a product whose shapes do not match; the outer product "
             "(W2^T * h(1-h)) x^T is the correct form")
    return chk.evidence("both gradients match central differences on 9 random networks")


# --- seed 003: one and two hidden sigmoid layers, linear output, MSE ---------------------------

def _mlp1_grads(X: Arr, Y: Arr, p: Grads) -> Grads:
    N = X.shape[0]
    H = _sigmoid(X @ p["Wh"] + p["bh"])            # N x n
    Yhat = H @ p["Wo"] + p["bo"]                    # N x k
    G = -2.0 / N * (Y - Yhat)                       # dMSE/dYhat, N x k
    dA = (G @ p["Wo"].T) * H * (1 - H)              # N x n
    return {"Wo": H.T @ G, "bo": G.sum(axis=0), "Wh": X.T @ dA, "bh": dA.sum(axis=0)}


def _mlp2_grads(X: Arr, Y: Arr, p: Grads) -> Grads:
    N = X.shape[0]
    H1 = _sigmoid(X @ p["W1"] + p["b1"])
    H2 = _sigmoid(H1 @ p["W2"] + p["b2"])
    Yhat = H2 @ p["Wo"] + p["bo"]
    G = -2.0 / N * (Y - Yhat)
    dA2 = (G @ p["Wo"].T) * H2 * (1 - H2)
    dA1 = (dA2 @ p["W2"].T) * H1 * (1 - H1)
    return {"Wo": H2.T @ G, "bo": G.sum(axis=0), "W2": H1.T @ dA2, "b2": dA2.sum(axis=0),
            "W1": X.T @ dA1, "b1": dA1.sum(axis=0)}


def _mse(Yhat: Arr, Y: Arr) -> float:
    return float(np.sum((Y - Yhat) ** 2) / Y.shape[0])


@claim(source="seed 003, section 3.4", assignments=("mathml_hw4",))
def one_hidden_layer_mlp_gradients(
    *,
    gradients: Callable[[Arr, Arr, Grads], Grads] = _mlp1_grads,
) -> Evidence:
    """X is N x m (rows are samples), H = sigma(X Wh + bh) (Wh: m x n), Yhat = H Wo + bo
    (Wo: n x k), MSE = (1/N) sum_i ||Y_i - Yhat_i||^2. With G = -(2/N)(Y - Yhat) (N x k) and
    A = (G Wo^T) * H * (1 - H) (N x n): dWo = H^T G (n x k), dbo = 1^T G (k),
    dWh = X^T A (m x n), dbh = 1^T A (n)."""
    chk = Checker("one_hidden_layer_mlp_gradients", "finite differences")
    for N, m, n, k in ((5, 3, 4, 2), (4, 2, 3, 1), (3, 4, 2, 3)):
        for _ in chk.trial_range(3):
            X, Y = chk.rng.normal(size=(N, m)), chk.rng.normal(size=(N, k))
            params = {"Wh": chk.rng.normal(size=(m, n)), "bh": chk.rng.normal(size=n),
                      "Wo": chk.rng.normal(size=(n, k)), "bo": chk.rng.normal(size=k)}

            def loss(p: Grads, X: Arr = X, Y: Arr = Y) -> float:
                return _mse(_sigmoid(X @ p["Wh"] + p["bh"]) @ p["Wo"] + p["bo"], Y)

            got = chk.call("the gradients", gradients, X, Y, params)
            _compare_all(chk, f"(N, m, n, k)=({N}, {m}, {n}, {k})", got, loss, params)
    chk.note("The seed writes dMSE/dWh as (dMSE/dh) h(1-h) X; the shapes only work as "
             "X^T [(G Wo^T) * h(1-h)]. For k > 1 outputs the MSE here sums over outputs")
    return chk.evidence("all four gradients match central differences on 9 random networks")


@claim(source="seed 003, section 3.4 (bonus)", assignments=("mathml_hw4",))
def two_hidden_layer_mlp_gradients(
    *,
    gradients: Callable[[Arr, Arr, Grads], Grads] = _mlp2_grads,
) -> Evidence:
    """H1 = sigma(X W1 + b1), H2 = sigma(H1 W2 + b2), Yhat = H2 Wo + bo, MSE as in 3.4:
    A2 = (G Wo^T) * H2 (1 - H2), A1 = (A2 W2^T) * H1 (1 - H1), dWo = H2^T G, dW2 = H1^T A2,
    dW1 = X^T A1, and each bias gradient is the column sum of its A (or of G)."""
    chk = Checker("two_hidden_layer_mlp_gradients", "finite differences")
    for N, m, n1, n2, k in ((5, 3, 4, 2, 2), (4, 2, 3, 5, 1), (3, 4, 2, 3, 3)):
        for _ in chk.trial_range(3):
            X, Y = chk.rng.normal(size=(N, m)), chk.rng.normal(size=(N, k))
            params = {"W1": chk.rng.normal(size=(m, n1)), "b1": chk.rng.normal(size=n1),
                      "W2": chk.rng.normal(size=(n1, n2)), "b2": chk.rng.normal(size=n2),
                      "Wo": chk.rng.normal(size=(n2, k)), "bo": chk.rng.normal(size=k)}

            def loss(p: Grads, X: Arr = X, Y: Arr = Y) -> float:
                H1 = _sigmoid(X @ p["W1"] + p["b1"])
                H2 = _sigmoid(H1 @ p["W2"] + p["b2"])
                return _mse(H2 @ p["Wo"] + p["bo"], Y)

            got = chk.call("the gradients", gradients, X, Y, params)
            _compare_all(chk, f"(N, m, n1, n2, k)=({N}, {m}, {n1}, {n2}, {k})", got, loss, params)
    chk.note("The seed's dMSE/dh1 = (dMSE/dh2) W_h2 skips layer 2's sigmoid derivative and the "
             "transpose; the correct back-propagated signal is (A2 W2^T)")
    return chk.evidence("all six gradients match central differences on 9 random networks")


def _sigmoid_output_grads(  # noqa: PLR0917  (the assignment's signature)
        X: Arr, y: Arr, W1: Arr, b1: Arr, W2: Arr, b2: float) -> Grads:
    n = X.shape[0]
    H = _sigmoid(X @ W1 + b1)          # n x m
    o = _sigmoid(H @ W2 + b2)          # n
    dz2 = 2.0 / n * (o - y) * o * (1 - o)
    dZ1 = np.outer(dz2, W2) * H * (1 - H)
    return {"dW1": X.T @ dZ1, "db1": dZ1.sum(axis=0), "dW2": H.T @ dz2, "db2": dz2.sum()}


@claim(source="seed 002, section 5(a), with biases and a sigmoid output",
       assignments=("cs229_ps2",))
def two_layer_sigmoid_output_network_gradients(
    *,
    gradients: Callable[..., Grads] = _sigmoid_output_grads,
) -> Evidence:
    """The assignment's form of the network: h = sigma(X W1 + b1), o = sigma(h W2 + b2),
    L = (1/n) sum_i (o_i - y_i)^2 (X n x d, W1 d x m, W2 and b1 of length m, b2 scalar).
    With dz2 = (2/n)(o - y) o (1 - o) and dZ1 = (dz2 W2^T) h (1 - h): dW2 = h^T dz2,
    db2 = sum dz2, dW1 = X^T dZ1, db1 = column sums of dZ1."""
    chk = Checker("two_layer_sigmoid_output_network_gradients", "finite differences")
    for n, d, m in ((6, 3, 4), (1, 2, 3), (4, 5, 2)):
        for _ in chk.trial_range(3):
            X, y = chk.rng.normal(size=(n, d)), chk.rng.integers(0, 2, size=n).astype(float)
            params = {"W1": chk.rng.normal(size=(d, m)), "b1": chk.rng.normal(size=m),
                      "W2": chk.rng.normal(size=m), "b2": np.array(chk.rng.normal())}

            def loss(p: Grads, X: Arr = X, y: Arr = y) -> float:
                o = _sigmoid(_sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
                return float(np.mean((o - y) ** 2))

            got = chk.call("the gradients", gradients, X, y, params["W1"], params["b1"],
                           params["W2"], float(params["b2"]))
            renamed = {k[1:]: np.asarray(v, dtype=float) for k, v in got.items()
                       if k in ("dW1", "db1", "dW2", "db2")}
            _compare_all(chk, f"(n, d, m)=({n}, {d}, {m})", renamed, loss, params)
    return chk.evidence("all four gradients match central differences on 9 random networks, "
                        "one with a single example")
