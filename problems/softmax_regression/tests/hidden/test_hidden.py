"""Hidden tests for softmax_regression: other shapes, seeds, datasets and edge cases.

Expected values come from the reference (itself checked against finite differences, lstsq and
directly multiplied-out probabilities in the project's own tests). Known wrong answers are
recognised and named, so a student learns what went wrong without seeing the expected values.
Columns are examples: X is (d, n), Y and Y_hat are (K, n), W is (d, K), b is (K,).
"""

from __future__ import annotations

import numpy as np

from grader import check_array, check_scalar, check_true, points

# SGD over many steps accumulates rounding differently in different (valid) loop orders.
TRAIN_RTOL = 1e-5
TRAIN_ATOL = 1e-8

# make_blobs seeds of the hidden datasets (the public test trains on seed 1).
OBJECTIVE_SEED = 3
BATCH_OF_ONE_SEED = 5
ACCURACY_SEEDS = (3, 11)


def _close(value: object, target: object, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(target) and bool(np.allclose(got, target, rtol=rtol, atol=atol))


def _diagnose(
    value: object,
    expected: object,
    variants: list[tuple[object, str]],
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> None:
    """Fail with a named mistake when value is one of the known wrong answers."""
    if _close(value, expected, rtol, atol):
        return
    for wrong, message in variants:
        if not _close(wrong, expected, rtol, atol) and _close(value, wrong, rtol, atol):
            check_true(False, message)


def _finite(value: object, message: str) -> None:
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return  # not numbers at all: check_array explains that
    check_true(bool(np.all(np.isfinite(got))), message)


def _entry(result: object, key: str, func: str) -> object:
    check_true(
        isinstance(result, dict),
        f"{func} must return a dict with keys 'W' and 'b'; it returned {type(result).__name__}.",
    )
    assert isinstance(result, dict)
    check_true(key in result, f"{func} returned a dict without the key {key!r}.")
    return result[key]


def _problem(rng: np.random.Generator, d: int, K: int, n: int, scale: float = 1.0):
    X = rng.normal(size=(d, n))
    W = scale * rng.normal(size=(d, K))
    b = scale * rng.normal(size=K)
    Y = np.zeros((K, n))
    Y[rng.integers(0, K, size=n), np.arange(n)] = 1.0
    return X, Y, W, b


def _weights(model: object, shape: tuple[int, int], func: str = "train_softmax"):
    """W and b of a trained model as float arrays, after checking their shapes."""
    W, b = _entry(model, "W", func), _entry(model, "b", func)
    for value, want, name in ((W, shape, "W"), (b, (shape[1],), "b")):
        got = np.shape(value) if isinstance(value, np.ndarray | list | tuple) else None
        hint = " Did you transpose it?" if got == want[::-1] and len(want) == 2 else ""
        check_true(got == want, f"{func}(...)['{name}'] has shape {got}; expected {want}.{hint}")
    return np.asarray(W, dtype=float), np.asarray(b, dtype=float)


# ---------------------------------------------------------------- part 1: Newton


@points(4, name="mse_gradient for other shapes (n != d, d = 1, n = 1)", part="1")
def test_mse_gradient_shapes(submission, reference, rng, credit):
    """mse_gradient matches the reference for tall, square, one-feature and one-example X."""
    for d, n in ((5, 12), (1, 7), (6, 6), (4, 1)):
        with credit.part(f"d={d}, n={n}", weight=1):
            X, y, w = rng.normal(size=(d, n)), rng.normal(size=n), rng.normal(size=d)
            want = reference.mse_gradient(X, y, w)
            got = submission.mse_gradient(X, y, w)
            _diagnose(
                got,
                want,
                [
                    (n * want, "mse_gradient is n times too large: it sums over examples; J "
                               "averages them (factor 1/n)."),
                    (-want, "mse_gradient has the wrong sign."),
                    (2 * want, "mse_gradient is twice too large: J has the factor 1/(2n)."),
                    (X.T @ (X @ w - y) / n if d == n else want,
                     "mse_gradient used X^T where X belongs: each column of X is an example."),
                ],
            )
            check_array(got, want, name=f"mse_gradient for X of shape ({d}, {n})")


@points(3, name="mse_hessian for non-square X", part="1")
def test_mse_hessian_nonsquare(submission, reference, rng, credit):
    """mse_hessian is (d, d) and matches (1/n) X X^T for wide, tall and square X."""
    for d, n in ((4, 9), (3, 2), (5, 5)):
        with credit.part(f"d={d}, n={n}", weight=1):
            X = rng.normal(size=(d, n))
            want = reference.mse_hessian(X)
            got = submission.mse_hessian(X)
            if n != d:
                check_true(
                    np.shape(got) != (n, n),
                    f"mse_hessian(X) for X of shape ({d}, {n}) has shape ({n}, {n}): that is "
                    "X^T X. Columns of X are examples, so the Hessian is d x d.",
                )
            _diagnose(
                got,
                want,
                [
                    (n * want, "mse_hessian is n times too large: it is missing the factor 1/n."),
                    (X.T @ X / n, "mse_hessian returned (1/n) X^T X; with examples in columns "
                                  "the Hessian is (1/n) X X^T."),
                ],
            )
            check_array(got, want, name=f"mse_hessian for X of shape ({d}, {n})")


@points(6, name="Newton from several random starts reaches the least-squares solution", part="1")
def test_newton_several_starts(submission, reference, rng, credit):
    """newton_step from five starts (incl. far away and at the optimum) returns lstsq's w."""
    d, n = 5, 40
    X, y = rng.normal(size=(d, n)), rng.normal(size=n)
    optimum = reference.least_squares(X, y)
    starts = [rng.normal(size=d), 100.0 * rng.normal(size=d), np.zeros(d), optimum,
              rng.normal(size=d)]
    results = []
    for k, w0 in enumerate(starts):
        with credit.part(f"start {k + 1}", weight=1):
            got = submission.newton_step(X, y, w0)
            results.append(got)
            _diagnose(
                got,
                optimum,
                [
                    (w0 + (optimum - w0) / n,
                     "newton_step moved only 1/n of the way to the minimiser, so the result "
                     "depends on the start: the inverse of (1/n) X X^T is n (X X^T)^{-1}, and "
                     "that n cancels the 1/n of the gradient."),
                    (2 * w0 - optimum, "newton_step moved away from the minimiser: the update "
                                       "is w - H^{-1} grad J(w)."),
                ],
            )
            check_array(got, optimum, name=f"newton_step from start {k + 1} of 5")
    # n == d: the least-squares fit interpolates; one step must still land on it.
    with credit.part("square X (n = d)", weight=1):
        Xs, ys, w0 = rng.normal(size=(4, 4)), rng.normal(size=4), rng.normal(size=4)
        exact = reference.least_squares(Xs, ys)
        got = submission.newton_step(Xs, ys, w0)
        _diagnose(got, exact, [(w0 + (exact - w0) / 4,
                                "newton_step for a square X moved only 1/n of the way to the "
                                "minimiser: H^{-1} = n (X X^T)^{-1}.")], rtol=1e-5, atol=1e-7)
        check_array(got, exact, name="newton_step for a square X", rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- part 2: softmax, gradients


@points(3, name="softmax of extreme logits (1e4, mixed signs, one class, one example)", part="2")
def test_softmax_extreme(submission, reference):
    """softmax stays finite and exact for logits of size 1e4 and for K = 1 or n = 1."""
    cases = {
        "logits near +1e4": np.array([[1.0e4, 2.0], [1.0e4 - 1.0, 3.0], [1.0e4 - 40.0, 1.0]]),
        "logits near -1e4": np.array([[-1.0e4], [-1.0e4 + 2.0], [-1.0e4 - 5.0]]),
        "mixed +-1e4 in one column": np.array([[1.0e4, 0.0], [-1.0e4, 0.0], [0.0, 0.0]]),
        "one class (K = 1)": np.array([[5.0, -3.0, 1.0e4]]),
    }
    for label, Z in cases.items():
        got = submission.softmax(Z)
        _finite(
            got,
            f"softmax returned NaN or inf for {label}: exp overflowed or every exp underflowed "
            "to 0. Subtract each column's largest logit before exponentiating.",
        )
        want = reference.softmax(Z)
        if Z.shape[0] > 1:
            _diagnose(got, want, [(reference.softmax(Z.T).T,
                                   "softmax normalised each row; each column of Z is one "
                                   "example.")])
        check_array(got, want, name=f"softmax for {label}")


@points(1, name="softmax normalises columns of square and thin matrices", part="2")
def test_softmax_columns(submission, reference, rng):
    """softmax sums to 1 down each column for (4, 4), (5, 1) and (1, 5) inputs."""
    for shape in ((4, 4), (5, 1), (2, 6)):
        Z = 2.0 * rng.normal(size=shape)
        want = reference.softmax(Z)
        got = submission.softmax(Z)
        _diagnose(
            got,
            want,
            [(reference.softmax(Z.T).T,
              "softmax normalised each row; each column of Z is one example, so each column "
              "must sum to 1.")],
        )
        check_array(got, want, name=f"softmax for Z of shape {shape}")


@points(2, name="predict_proba for d != K != n", part="2")
def test_predict_proba(submission, reference, rng):
    """predict_proba returns softmax(W^T X + b), shape (K, n), with the bias in every column."""
    X, _, W, b = _problem(rng, 3, 5, 7)
    want = reference.predict_proba(X, W, b)
    got = submission.predict_proba(X, W, b)
    _diagnose(
        got,
        want,
        [(reference.softmax(W.T @ X), "predict_proba ignored the bias b."),
         (reference.softmax((W.T @ X + b[:, None]).T).T,
          "predict_proba normalised rows instead of columns.")],
    )
    check_array(got, want, name="predict_proba for d=3, K=5, n=7")


def _gradient_variants(reference, X, Y, W, b) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Gradients as typical mistakes compute them, each with its message."""
    right = reference.softmax_gradients(X, Y, W, b)
    n = X.shape[1]
    out: dict[str, list[tuple[np.ndarray, str]]] = {}
    for key in ("W", "b"):
        out[key] = [
            (-right[key], f"dJ/d{key} has the wrong sign: J_CE's gradient is "
                          "-(1/n) sum (y - y_hat) ..., i.e. built from (y_hat - y)."),
            (n * right[key], f"dJ/d{key} is n times too large: J_CE is the mean over examples, "
                             "so average the per-example gradients instead of summing them."),
        ]
    if W.shape[0] == W.shape[1]:
        # check_array names a transpose only when the shape changes; here it cannot.
        out["W"].append((right["W"].T, "dJ/dW is transposed: row i belongs to feature i and "
                                       "column k to class k, like W."))
    return out


def _check_gradients(submission, reference, credit, problem, label: str, **tol) -> None:
    X, Y, W, b = problem
    result = submission.softmax_gradients(X, Y, W, b)
    right = reference.softmax_gradients(X, Y, W, b)
    variants = _gradient_variants(reference, X, Y, W, b)
    for key in ("W", "b"):
        with credit.part(f"dJ/d{key}, {label}", weight=2 if key == "W" else 1):
            got = _entry(result, key, "softmax_gradients")
            _finite(got, f"dJ/d{key} contains NaN or inf for {label}: compute the "
                         "probabilities with a stable softmax.")
            _diagnose(got, right[key], variants[key])
            check_array(got, right[key], name=f"dJ/d{key} for {label}", **tol)


@points(6, name="softmax_gradients for other shapes", part="2")
def test_gradients_shapes(submission, reference, rng, credit):
    """dJ/dW is (d, K) and dJ/db is (K,) and both match for several (d, K, n), incl. d == K."""
    for d, K, n in ((7, 3, 11), (2, 5, 4), (4, 4, 6)):
        X, Y, W, b = _problem(rng, d, K, n)
        _check_gradients(submission, reference, credit, (X, Y, W, b), f"d={d}, K={K}, n={n}")


@points(3, name="softmax_gradients for a single example", part="2")
def test_gradients_one_example(submission, reference, rng, credit):
    """With n = 1 the gradients are x (y_hat - y)^T and y_hat - y; shapes stay (d, K) and (K,)."""
    for d, K in ((3, 4), (1, 2)):
        X, Y, W, b = _problem(rng, d, K, 1)
        _check_gradients(submission, reference, credit, (X, Y, W, b), f"n=1, d={d}, K={K}")


@points(3, name="softmax_gradients with logits in the hundreds", part="2")
def test_gradients_large_logits(submission, reference, rng, credit):
    """Gradients stay finite and correct when the logits are of order 1e3."""
    X, Y, W, b = _problem(rng, 4, 3, 8, scale=400.0)
    _check_gradients(submission, reference, credit, (X, Y, W, b), "logits of order 1e3",
                     rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- part 3: cross-entropy, NLL


def _random_probabilities(rng: np.random.Generator, K: int, n: int) -> np.ndarray:
    P = rng.uniform(0.05, 1.0, size=(K, n))
    return P / P.sum(axis=0)


@points(3, name="cross_entropy is a mean over examples", part="3")
def test_cross_entropy_mean(submission, reference, rng, credit):
    """cross_entropy matches the reference for n = 13 and n = 1 (mean, not sum)."""
    for K, n in ((4, 13), (2, 1), (3, 5)):
        with credit.part(f"K={K}, n={n}", weight=1):
            _, Y, _, _ = _problem(rng, 1, K, n)
            Y_hat = _random_probabilities(rng, K, n)
            want = reference.cross_entropy(Y, Y_hat)
            got = submission.cross_entropy(Y, Y_hat)
            _diagnose(
                got,
                want,
                [(n * want, "cross_entropy returned the sum over examples; it is the mean."),
                 (want * n / K, "cross_entropy divided by the number of classes; divide by the "
                                "number of examples (columns).")],
            )
            check_scalar(got, want, name=f"cross_entropy for K={K}, n={n}")


@points(2, name="cross_entropy where a wrong class has probability exactly 0", part="3")
def test_cross_entropy_zero_probability(submission, reference):
    """A zero probability where the target is 0 contributes 0 (0 log 0 = 0), not NaN."""
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    Y_hat = np.array([[0.7, 0.0, 0.5], [0.3, 0.6, 0.0], [0.0, 0.4, 0.5]])
    got = submission.cross_entropy(Y, Y_hat)
    _finite(got, "cross_entropy returned NaN or inf when a wrong class has probability 0: "
                 "0 * log(0) must count as 0, so skip (or mask) the terms whose target is 0.")
    check_scalar(got, reference.cross_entropy(Y, Y_hat), name="cross_entropy with zeros")


@points(2, name="negative_log_likelihood of 40 examples", part="3")
def test_nll_sum(submission, reference, rng):
    """The NLL of n = 40 examples is the sum of -log P(label | x), i.e. n * J_CE."""
    X, Y, W, b = _problem(rng, 4, 5, 40)
    want = reference.negative_log_likelihood(X, Y, W, b)
    got = submission.negative_log_likelihood(X, Y, W, b)
    _diagnose(
        got,
        want,
        [(want / 40, "negative_log_likelihood returned the mean cross-entropy J_CE; -log of a "
                     "product over n examples is a sum, so the NLL is n * J_CE.")],
    )
    check_scalar(got, want, name="negative_log_likelihood for n=40")


@points(2, name="negative_log_likelihood with logits of order 1e3", part="3")
def test_nll_large_logits(submission, reference, rng):
    """The NLL stays finite and exact when a label's probability underflows to 0 in float64."""
    X, Y, W, b = _problem(rng, 3, 4, 10, scale=500.0)
    want = reference.negative_log_likelihood(X, Y, W, b)
    got = submission.negative_log_likelihood(X, Y, W, b)
    _diagnose(got, want, [(want / 10, "negative_log_likelihood returned the mean; the NLL is the "
                                      "sum over examples, n * J_CE.")])
    _finite(got, "negative_log_likelihood returned NaN or inf for logits of order 1e3: the "
                 "probability of a label underflowed to 0. Compute log-probabilities directly: "
                 "log softmax(z)_k = z_k - max(z) - log sum_j exp(z_j - max(z)).")
    check_scalar(got, want, name="negative_log_likelihood with large logits")


# ---------------------------------------------------------------- part 4: SGD


def _gd(reference, X, Y, *, lr: float, reg: float, steps: int, variant: str = "") -> dict:
    """Full-batch gradient descent from zeros, or a known wrong variant of it."""
    W, b = np.zeros((X.shape[0], Y.shape[0])), np.zeros(Y.shape[0])
    for _ in range(steps):
        g = reference.softmax_gradients(X, Y, W, b)
        gW, gb = g["W"], g["b"]
        if variant == "sum":
            gW, gb = X.shape[1] * gW, X.shape[1] * gb
        if variant == "sign":
            gW, gb = -gW, -gb
        if variant == "no bias":
            gb = 0 * gb
        penalty = {"": reg * W, "sum": reg * W, "sign": reg * W, "no bias": reg * W,
                   "no reg": 0 * W, "double reg": 2 * reg * W, "reg b": reg * W}[variant]
        W = W - lr * (gW + penalty)
        b = b - lr * (gb + (reg * b if variant == "reg b" else 0))
    return {"W": W, "b": b}


_GD_MESSAGES = {
    "sum": "the update used the sum of the batch's per-example gradients; use their mean "
           "(the gradient of the batch's mean cross-entropy).",
    "sign": "the update climbed the loss: W <- W - lr * gradient.",
    "no bias": "b was never updated; b <- b - lr * dJ/db.",
    "no reg": "reg had no effect: the penalty (reg/2)||W||^2 adds reg * W to W's gradient.",
    "double reg": "the penalty's gradient came out as 2 * reg * W; the penalty is "
                  "(reg/2)||W||^2, whose gradient is reg * W.",
    "reg b": "the bias was regularised too; only W is penalised.",
}


def _compare_to_gd(reference, trained, X, Y, *, lr, reg, steps, label) -> None:
    """Trained (W, b) must equal `steps` full-batch GD steps; known wrong variants are named."""
    W, b = trained
    want = _gd(reference, X, Y, lr=lr, reg=reg, steps=steps)
    for variant, message in _GD_MESSAGES.items():
        wrong = _gd(reference, X, Y, lr=lr, reg=reg, steps=steps, variant=variant)
        matches = _close(W, wrong["W"], TRAIN_RTOL, TRAIN_ATOL) and _close(
            b, wrong["b"], TRAIN_RTOL, TRAIN_ATOL
        )
        if matches and not (_close(want["W"], wrong["W"]) and _close(want["b"], wrong["b"])):
            check_true(False, f"{label}: {message}")
    check_array(W, want["W"], name=f"W after {label}", rtol=TRAIN_RTOL, atol=TRAIN_ATOL)
    check_array(b, want["b"], name=f"b after {label}", rtol=TRAIN_RTOL, atol=TRAIN_ATOL)


def _check_full_batch(submission, reference, X, Y, *, lr, reg, batch_size, epochs, steps, label):
    model = submission.train_softmax(X, Y, lr=lr, reg=reg, batch_size=batch_size,
                                     epochs=epochs, seed=0)
    trained = _weights(model, (X.shape[0], Y.shape[0]))
    _compare_to_gd(reference, trained, X, Y, lr=lr, reg=reg, steps=steps, label=label)


@points(3, name="One full-batch epoch is one gradient step from zero", part="4")
def test_one_full_batch_epoch(submission, reference, rng):
    """batch_size = n, epochs = 1 gives W = -lr dJ/dW(0), b = -lr dJ/db(0)."""
    X, Y, _, _ = _problem(rng, 6, 3, 50)
    _check_full_batch(submission, reference, X, Y, lr=0.5, reg=0.1, batch_size=50, epochs=1,
                      steps=1, label="one full-batch epoch")


@points(4, name="Full-batch epochs with reg are gradient descent on the penalised loss", part="4")
def test_full_batch_with_reg(submission, reference, rng):
    """batch_size = n for 6 epochs with reg = 0.3 equals 6 steps of GD on J_CE + reg/2 ||W||^2."""
    X, Y, _, _ = _problem(rng, 5, 4, 40)
    X = X + 1.0  # a non-zero feature mean makes the bias gradient matter
    _check_full_batch(submission, reference, X, Y, lr=0.4, reg=0.3, batch_size=40, epochs=6,
                      steps=6, label="6 full-batch epochs with reg=0.3")


@points(2, name="batch_size larger than n means one batch of all examples", part="4")
def test_batch_larger_than_n(submission, reference, rng):
    """batch_size = 64 > n = 30 for 3 epochs equals 3 full-batch gradient steps."""
    X, Y, _, _ = _problem(rng, 4, 3, 30)
    model = submission.train_softmax(X, Y, lr=0.3, reg=0.05, batch_size=64, epochs=3, seed=0)
    W, _ = _weights(model, (4, 3))
    check_true(
        bool(np.any(W != 0)),
        "W is still zero after training with batch_size > n: the epoch must still take one "
        "step on a batch of all n examples (range(0, n, batch_size), not n // batch_size).",
    )
    _check_full_batch(submission, reference, X, Y, lr=0.3, reg=0.05, batch_size=64, epochs=3,
                      steps=3, label="3 epochs with batch_size > n")


@points(3, name="A short last batch is still a step", part="4")
def test_uneven_batches(submission, reference, rng):
    """n = 25 copies of one example, batch 10, 2 epochs: 6 steps (10, 10, 5 per epoch)."""
    # With identical examples every order gives the same batches, so the result is exact.
    x = rng.normal(size=(3, 1))
    X = np.repeat(x, 25, axis=1)
    Y = np.zeros((4, 25))
    Y[2] = 1.0
    model = submission.train_softmax(X, Y, lr=0.2, reg=0.1, batch_size=10, epochs=2, seed=0)
    W, b = _weights(model, (3, 4))
    dropped = _gd(reference, X, Y, lr=0.2, reg=0.1, steps=4)
    check_true(
        not (_close(W, dropped["W"], TRAIN_RTOL, TRAIN_ATOL)
             and _close(b, dropped["b"], TRAIN_RTOL, TRAIN_ATOL)),
        "The last, smaller batch of each epoch was skipped (4 steps instead of 6 for n=25, "
        "batch_size=10, 2 epochs): every example must be visited once per epoch.",
    )
    # Summing over a batch scales each step by the batch size, which differs between batches.
    W_s, b_s = np.zeros((3, 4)), np.zeros(4)
    for size in (10, 10, 5, 10, 10, 5):
        g = reference.softmax_gradients(X[:, :size], Y[:, :size], W_s, b_s)
        W_s, b_s = W_s - 0.2 * (size * g["W"] + 0.1 * W_s), b_s - 0.2 * size * g["b"]
    check_true(
        not (_close(W, W_s, TRAIN_RTOL, TRAIN_ATOL) and _close(b, b_s, TRAIN_RTOL, TRAIN_ATOL)),
        "Each step used the sum of the batch's per-example gradients; use their mean.",
    )
    # Every batch's mean gradient is the full-batch gradient, so 6 steps of GD are the answer.
    _compare_to_gd(reference, (W, b), X, Y, lr=0.2, reg=0.1, steps=6,
                   label="2 epochs of batches 10, 10, 5")


@points(4, name="Mini-batch SGD minimises the regularised objective", part="4")
def test_minibatch_objective(submission, reference):
    """With reg = 0.3, mini-batch SGD reaches the penalised objective the reference reaches."""
    data = reference.make_blobs(OBJECTIVE_SEED)
    X, Y = data["X_train"], data["Y_train"]
    settings = {"lr": 0.02, "reg": 0.3, "batch_size": 50, "epochs": 40}
    model = submission.train_softmax(X, Y, seed=0, **settings)
    W, b = _weights(model, (X.shape[0], Y.shape[0]))
    # Measured over shuffle seeds, the reference ends within 0.005 of its own value here; leaving
    # out the penalty ends 0.15 higher.
    ref = reference.train_softmax(X, Y, seed=1, **settings)
    target = reference.regularized_objective(X, Y, ref["W"], ref["b"], 0.3)
    got = reference.regularized_objective(X, Y, W, b, 0.3)
    check_true(
        bool(np.isfinite(got)) and got <= target + 0.03,
        f"After training with reg=0.3 the objective J_CE + (reg/2)||W||^2 is {got:.4f}; a "
        f"correct implementation reaches about {target:.3f}. Check that reg * W is added to "
        "W's gradient at every step and that each step uses the batch's mean gradient.",
    )


def _accuracy(reference, model: object, data: dict) -> float:
    W, b = _weights(model, (data["X_train"].shape[0], data["Y_train"].shape[0]))
    return float(np.mean(reference.predict(data["X_test"], W, b) == data["labels_test"]))


@points(3, name="SGD with batches of one example", part="4")
def test_batch_of_one(submission, reference):
    """batch_size = 1 (lr = 0.01, 3 epochs) reaches the accuracy threshold on hidden blobs."""
    data = reference.make_blobs(BATCH_OF_ONE_SEED)
    model = submission.train_softmax(data["X_train"], data["Y_train"], lr=0.01, reg=1e-3,
                                     batch_size=1, epochs=3, seed=0)
    accuracy = _accuracy(reference, model, data)
    check_true(
        accuracy >= reference.ACCURACY_THRESHOLD,
        f"Test accuracy with batch_size=1 is {accuracy:.3f}; a correct implementation reaches "
        f"about 0.95 here and the test needs {reference.ACCURACY_THRESHOLD}.",
    )


@points(3, name="Accuracy on other datasets", part="4")
def test_other_datasets(submission, reference, credit):
    """TRAIN_SETTINGS on two hidden blob datasets give test accuracy >= the threshold."""
    for seed in ACCURACY_SEEDS:
        with credit.part(f"hidden dataset {ACCURACY_SEEDS.index(seed) + 1}", weight=1):
            data = reference.make_blobs(seed)
            model = submission.train_softmax(data["X_train"], data["Y_train"], seed=seed,
                                             **reference.TRAIN_SETTINGS)
            accuracy = _accuracy(reference, model, data)
            check_true(
                accuracy >= reference.ACCURACY_THRESHOLD,
                f"Test accuracy is {accuracy:.3f}; a correct implementation reaches over 0.9 on "
                f"this dataset and the test needs {reference.ACCURACY_THRESHOLD}.",
            )


@points(1, name="train_softmax is reproducible given the seed", part="4")
def test_reproducible(submission, rng):
    """Two calls with the same arguments and seed return the same W and b."""
    X, Y, _, _ = _problem(rng, 3, 3, 35)
    kwargs = {"lr": 0.1, "reg": 0.01, "batch_size": 7, "epochs": 3, "seed": 42}
    first = submission.train_softmax(X, Y, **kwargs)
    second = submission.train_softmax(X, Y, **kwargs)
    for key in ("W", "b"):
        check_array(
            _entry(second, key, "train_softmax"), _entry(first, key, "train_softmax"),
            name=f"{key} of a second identical call", rtol=0.0, atol=0.0,
        )
