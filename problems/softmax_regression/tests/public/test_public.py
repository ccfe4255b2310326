"""Public tests for softmax_regression: run them to check your work before you hand it in.

They need nothing but NumPy: expected values come from independent routes (finite differences of
the loss written out below, numpy.linalg.lstsq, probabilities multiplied out directly), not from a
reference solution. Columns are examples: X is (d, n), Y and Y_hat are (K, n), W is (d, K).
"""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_scalar, check_true, points

# Derivatives compared with central differences carry O(h^2) + O(eps/h) error.
FD_RTOL = 1e-5
FD_ATOL = 1e-7


def _mse(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    r = X.T @ w - y
    return float(r @ r) / (2 * X.shape[1])


def _mean_cross_entropy(X: np.ndarray, Y: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
    Z = W.T @ X + b[:, None]
    Z = Z - Z.max(axis=0)
    log_p = Z - np.log(np.exp(Z).sum(axis=0))
    return float(-np.sum(Y * log_p) / X.shape[1])


def _numeric_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function f at x, one entry at a time."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _one_hot(labels: np.ndarray, K: int) -> np.ndarray:
    Y = np.zeros((K, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def _blobs(seed: int, d: int = 10, K: int = 4, n_train: int = 300, n_test: int = 200):
    """The README's dataset: K Gaussian blobs around a common offset, one column per example."""
    rng = np.random.default_rng(seed)
    offset = rng.normal(0.0, 2.0, size=(d, 1))
    means = offset + rng.normal(0.0, 1.25, size=(d, K))
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, K, size=n)
        out[f"X_{split}"] = means[:, labels] + rng.normal(size=(d, n))
        out[f"Y_{split}"] = _one_hot(labels, K)
        out[f"labels_{split}"] = labels
    return out


def _close(value: object, target: np.ndarray, rtol: float, atol: float) -> bool:
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(target) and bool(np.allclose(got, target, rtol=rtol, atol=atol))


def _diagnose(
    value: object,
    expected: np.ndarray,
    variants: list[tuple[np.ndarray, str]],
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> None:
    """Fail with a named mistake when value is one of the known wrong answers."""
    if _close(value, expected, rtol, atol):
        return
    for wrong, message in variants:
        if _close(value, wrong, rtol, atol):
            check_true(False, message)


def _check_shape(value: object, shape: tuple[int, ...], name: str) -> None:
    got = np.shape(value) if isinstance(value, np.ndarray | list | tuple) else None
    check_true(got == shape, f"{name} should be an array of shape {shape}; got {got}.")


def _entry(result: object, key: str, func: str) -> object:
    check_true(isinstance(result, dict), f"{func} must return a dict with keys 'W' and 'b'.")
    assert isinstance(result, dict)
    check_true(key in result, f"{func} returned a dict without the key {key!r}.")
    return result[key]


# ---------------------------------------------------------------- part 1


@points(4, name="mse_gradient matches finite differences of J", part="1")
def test_mse_gradient(submission):
    """mse_gradient equals the central-difference gradient of J(w) = 1/(2n)||X^T w - y||^2."""
    rng = np.random.default_rng(101)
    X, y, w = rng.normal(size=(3, 8)), rng.normal(size=8), rng.normal(size=3)
    want = _numeric_gradient(lambda v: _mse(X, y, v), w)
    got = submission.mse_gradient(X, y, w)
    _diagnose(
        got, want,
        [
            (8 * want, "mse_gradient is n times too large: J averages over the n examples, so "
                       "its gradient has a factor 1/n."),
            (-want, "mse_gradient has the wrong sign: it points downhill instead of uphill."),
            (2 * want, "mse_gradient is twice too large: J has a factor 1/(2n), not 1/n."),
        ],
        FD_RTOL, FD_ATOL,
    )
    check_array(
        got, want, name="mse_gradient(X, y, w) with X of shape (3, 8)",
        rtol=FD_RTOL, atol=FD_ATOL,
    )


@points(3, name="mse_hessian matches second differences of J", part="1")
def test_mse_hessian(submission):
    """mse_hessian equals the finite-difference Hessian of J (exact for a quadratic)."""
    rng = np.random.default_rng(102)
    X, y, w = rng.normal(size=(3, 8)), rng.normal(size=8), rng.normal(size=3)
    h = 1e-3
    E = np.eye(3) * h
    want = np.array(
        [
            [
                (_mse(X, y, w + E[i] + E[j]) - _mse(X, y, w + E[i] - E[j])
                 - _mse(X, y, w - E[i] + E[j]) + _mse(X, y, w - E[i] - E[j])) / (4 * h * h)
                for j in range(3)
            ]
            for i in range(3)
        ]
    )
    got = submission.mse_hessian(X)
    check_true(
        np.shape(got) != (8, 8),
        "mse_hessian(X) has shape (n, n) = (8, 8): that is X^T X. Columns of X are examples, "
        "so the Hessian is (d, d).",
    )
    _diagnose(
        got, want,
        [(8 * want, "mse_hessian is n times too large: it is missing the factor 1/n.")],
        FD_RTOL, FD_ATOL,
    )
    check_array(
        got, want, name="mse_hessian(X) with X of shape (3, 8)",
        rtol=FD_RTOL, atol=FD_ATOL,
    )


@points(5, name="One Newton step lands on the least-squares solution", part="1")
def test_newton_step(submission):
    """newton_step from a random start returns the least-squares w (numpy.linalg.lstsq)."""
    rng = np.random.default_rng(103)
    X, y = rng.normal(size=(4, 30)), rng.normal(size=30)
    want = np.linalg.lstsq(X.T, y, rcond=None)[0]
    w0 = rng.normal(size=4)
    got = submission.newton_step(X, y, w0)
    _diagnose(
        got, want,
        [
            (w0 + (want - w0) / 30, "newton_step moved only 1/n of the way to the minimiser: "
                                    "the inverse of (1/n) X X^T is n (X X^T)^{-1}, and that n "
                                    "cancels the 1/n of the gradient."),
            (w0 - (want - w0), "newton_step moved away from the minimiser: w - H^{-1} grad, "
                               "with a minus sign."),
        ],
    )
    check_array(
        got, want,
        name="newton_step(X, y, w0) (expected: the minimiser of J)",
    )


# ---------------------------------------------------------------- part 2


@points(3, name="softmax of a small matrix", part="2")
def test_softmax_small(submission):
    """softmax normalises each column of a (3, 2) matrix of moderate logits."""
    Z = np.array([[1.0, -1.0], [2.0, 0.0], [0.5, 3.0]])
    want = np.exp(Z) / np.exp(Z).sum(axis=0)
    got = submission.softmax(Z)
    _diagnose(
        got, want,
        [(np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True),
          "softmax normalised each row; each column of Z is one example, so each column must "
          "sum to 1.")],
    )
    check_array(got, want, name="softmax(Z) for Z of shape (3, 2)")


@points(3, name="softmax of large logits", part="2")
def test_softmax_large(submission):
    """softmax stays finite and exact for logits around +-1000, where exp overflows."""
    Z = np.array([[1000.0, -1000.0], [1001.0, -1002.0], [998.0, -999.0]])
    got = submission.softmax(Z)
    want = np.exp(Z - Z.max(axis=0)) / np.exp(Z - Z.max(axis=0)).sum(axis=0)
    arr = as_floats(got, want.shape)  # the shape first: no huge conversion
    finite = arr is None or bool(np.all(np.isfinite(arr)))  # not numbers: check_array says so
    check_true(
        finite,
        "softmax returned NaN or inf for logits near +-1000: exp overflowed. Subtract each "
        "column's largest logit before exponentiating (softmax does not change).",
    )
    rows = np.exp(Z - Z.max(axis=1, keepdims=True))
    _diagnose(
        got, want,
        [(rows / rows.sum(axis=1, keepdims=True),
          "softmax normalised each row; each column of Z is one example.")],
    )
    check_array(got, want, name="softmax(Z) for logits near +-1000")


@points(6, name="softmax_gradients match finite differences of the mean cross-entropy", part="2")
def test_softmax_gradients(submission, credit):
    """dJ/dW (d, K) and dJ/db (K,) equal central differences of J_CE, for d=3, K=4, n=5."""
    rng = np.random.default_rng(104)
    d, K, n = 3, 4, 5
    X, W, b = rng.normal(size=(d, n)), rng.normal(size=(d, K)), rng.normal(size=K)
    Y = _one_hot(rng.integers(0, K, size=n), K)
    result = submission.softmax_gradients(X, Y, W, b)
    with credit.part("dJ/dW", weight=2):
        want = _numeric_gradient(lambda V: _mean_cross_entropy(X, Y, V, b), W)
        got = _entry(result, "W", "softmax_gradients")
        _diagnose(got, want, _gradient_variants(want, "dJ/dW", n), FD_RTOL, FD_ATOL)
        check_array(
            got, want, name="dJ/dW (d=3, K=4)",
            rtol=FD_RTOL, atol=FD_ATOL,
        )
    with credit.part("dJ/db", weight=1):
        want = _numeric_gradient(lambda c: _mean_cross_entropy(X, Y, W, c), b)
        got = _entry(result, "b", "softmax_gradients")
        _diagnose(got, want, _gradient_variants(want, "dJ/db", n), FD_RTOL, FD_ATOL)
        check_array(
            got, want, name="dJ/db (K=4)",
            rtol=FD_RTOL, atol=FD_ATOL,
        )


def _gradient_variants(want: np.ndarray, name: str, n: int) -> list[tuple[np.ndarray, str]]:
    return [
        (-want, f"{name} has the wrong sign: the gradient of the cross-entropy is "
                "-(1/n) sum (y - y_hat) ..., i.e. it uses (y_hat - y)."),
        (n * want, f"{name} is n times too large: J_CE is the mean over examples, so its "
                   "gradient is the mean, not the sum, of the per-example gradients."),
    ]


# ---------------------------------------------------------------- part 3


@points(3, name="cross_entropy of a worked example", part="3")
def test_cross_entropy(submission):
    """cross_entropy of two examples with true-class probabilities 0.5 and 0.25 is log(8)/2."""
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    Y_hat = np.array([[0.5, 0.25], [0.3, 0.5], [0.2, 0.25]])
    got = submission.cross_entropy(Y, Y_hat)
    _diagnose(
        got, np.log(8.0) / 2,
        [(np.log(8.0), "cross_entropy returned the sum over examples; it is the mean.")],
    )
    check_scalar(got, np.log(8.0) / 2, name="cross_entropy(Y, Y_hat)")


@points(3, name="negative_log_likelihood is -log of the product of label probabilities", part="3")
def test_negative_log_likelihood(submission):
    """NLL equals -log prod_i P(label_i | x_i), the probabilities multiplied out directly."""
    rng = np.random.default_rng(105)
    d, K, n = 3, 3, 6
    X, W, b = rng.normal(size=(d, n)), rng.normal(size=(d, K)), rng.normal(size=K)
    labels = rng.integers(0, K, size=n)
    Z = W.T @ X + b[:, None]
    P = np.exp(Z) / np.exp(Z).sum(axis=0)
    want = -np.log(np.prod(P[labels, np.arange(n)]))
    got = submission.negative_log_likelihood(X, _one_hot(labels, K), W, b)
    _diagnose(
        got, want,
        [(want / n, "negative_log_likelihood returned the mean cross-entropy: -log of a product "
                    "over n examples is a sum of n terms, so the NLL is n times J_CE.")],
    )
    check_scalar(
        got, want,
        name="negative_log_likelihood for n=6 examples",
    )


# ---------------------------------------------------------------- part 4


@points(5, name="train_softmax reaches 85% test accuracy on the blobs", part="4")
def test_train_accuracy(submission):
    """Training on the seed-1 blobs (lr=0.1, reg=1e-3, batch 20, 30 epochs) gives >= 0.85."""
    data = _blobs(1)
    model = submission.train_softmax(
        data["X_train"], data["Y_train"], lr=0.1, reg=1e-3, batch_size=20, epochs=30, seed=0
    )
    W, b = _entry(model, "W", "train_softmax"), _entry(model, "b", "train_softmax")
    _check_shape(W, (10, 4), "train_softmax(...)['W']")
    _check_shape(b, (4,), "train_softmax(...)['b']")
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    accuracy = float(np.mean(np.argmax(W.T @ data["X_test"] + b[:, None], axis=0)
                             == data["labels_test"]))
    check_true(
        accuracy >= 0.85,
        f"Test accuracy after training is {accuracy:.3f}; a correct implementation reaches "
        "0.96-0.97 here and the test needs 0.85. Check that softmax normalises columns, the "
        "gradients' sign, and the update W <- W - lr * (gradient + reg * W).",
    )


@points(2, name="predict returns the most probable class", part="4")
def test_predict(submission):
    """predict returns argmax_k of W^T x + b for each column, as integers of shape (n,)."""
    rng = np.random.default_rng(106)
    X, W, b = rng.normal(size=(5, 9)), rng.normal(size=(5, 3)), rng.normal(size=3)
    got = submission.predict(X, W, b)
    check_true(
        isinstance(got, np.ndarray) and got.dtype.kind in "iu",
        "predict must return an integer NumPy array of class indices (use np.argmax).",
    )
    check_array(got, np.argmax(W.T @ X + b[:, None], axis=0), name="predict(X, W, b)")
