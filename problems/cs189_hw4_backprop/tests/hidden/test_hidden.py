"""Hidden tests for cs189_hw4_backprop: other sizes, seeds and edge cases, against the reference.

Inputs come from ``reference.random_problem`` with the per-test ``rng``; expected values from the
reference (itself checked against finite differences of the loss in the project's own tests).
Known wrong answers are recognised and named, so a student learns what went wrong without being
shown the expected values.
"""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_scalar, check_true, points

# Float32 arithmetic is allowed, so values are compared at rtol 1e-4, not the 1e-6 default.
RTOL = 1e-4
ATOL = 1e-6
# Logits in the thousands lose about 1e-4 absolute in float32, which shows up in the softmax.
RTOL_LARGE = 1e-3

# (d0, d1, d2): inputs, hidden units, outputs. All different, sizes of 1, the homework's 10.
SIZES = ((4, 3, 5), (1, 6, 2), (7, 2, 10), (5, 8, 3))


def _close(value: object, target: np.ndarray, rtol: float = RTOL) -> bool:
    got = as_floats(value, np.shape(target))  # the shape first: no huge conversion
    return got is not None and bool(np.allclose(got, target, rtol=rtol, atol=ATOL))


def _diagnose(value: object, expected: np.ndarray, variants: list[tuple[np.ndarray, str]]) -> None:
    """Fail with a named mistake when ``value`` is one of the known wrong answers."""
    if _close(value, expected):
        return
    for wrong, message in variants:
        if _close(value, wrong):
            check_true(False, message)


def _finite(value: object, message: str) -> None:
    got = value if isinstance(value, np.ndarray) else np.asarray(value)
    if got.dtype.kind not in "fc":
        return  # integers and booleans are finite; not numbers at all: check_array says so
    check_true(bool(np.all(np.isfinite(got))), message)


def _entry(result: object, key: str, func: str) -> object:
    check_true(
        isinstance(result, dict),
        f"{func} must return a dict; it returned {type(result).__name__}.",
    )
    assert isinstance(result, dict)
    check_true(key in result, f"{func} returned a dict without the key {key!r}.")
    return result[key]


def _check_weights(got: object, want: np.ndarray, name: str) -> None:
    """check_array, after naming the missing bias row, the commonest shape mistake."""
    shape = np.shape(got) if isinstance(got, np.ndarray | list | tuple) else ()
    check_true(
        shape != (want.shape[0] - 1, want.shape[1]),
        f"{name} has shape {shape}, one row short of {want.shape}: the row of the bias unit "
        "(row 0) is missing. x^(l-1) must include the bias unit x_0 = 1.",
    )
    if want.ndim == 2 and want.shape[0] == want.shape[1] and not np.allclose(want, want.T):
        # check_array's shape message catches a transpose only when the shape changes.
        _diagnose(
            got,
            want,
            [
                (
                    want.T,
                    (f"{name} is transposed: row i belongs to unit i of layer l-1, as in W^(l)."),
                )
            ],
        )
    check_array(got, want, name=name, rtol=RTOL, atol=ATOL)


def _size_label(sizes: tuple[int, ...]) -> str:
    return "d0={}, d1={}, d2={}".format(*sizes)


def _gradient_variants(ref, p: dict[str, np.ndarray]) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Gradients as the typical mistakes compute them, each with its message."""
    f = ref.forward(p["x"], p["W1"], p["W2"])
    d2 = f["x2"] - p["y"]
    back = p["W2"][1:] @ d2
    right = ref.gradients(p["x"], p["y"], p["W1"], p["W2"])
    sign = "has the wrong sign (check delta^(2) = dJ/ds^(2))."
    return {
        "W1": [
            (
                np.outer(f["x0"], ref.relu(f["s1"]) * back),
                "dJ/dW1 is what max(0, s1) in place of the ReLU's derivative gives; the "
                "derivative is 1[s1 > 0].",
            ),
            (np.outer(f["x0"], back), "dJ/dW1 is missing the factor relu'(s1)."),
            (-right["W1"], f"dJ/dW1 {sign}"),
        ],
        "W2": [(-right["W2"], f"dJ/dW2 {sign}")],
    }


# ---------------------------------------------------------------- 1a: activations


@points(1, name="relu_grad on random inputs and at s == 0", part="1a")
def test_relu_grad_random_and_zero(submission, reference, rng):
    """relu_grad is 1[s > 0] on 1-D and 2-D inputs, and exactly 0 where s == 0."""
    for shape in ((9,), (4, 5)):
        s = rng.normal(size=shape)
        s.flat[::3] = 0.0  # the convention at the kink is part of the specification
        got = submission.relu_grad(s)
        want = reference.relu_grad(s)
        _diagnose(
            got,
            want,
            [
                (
                    np.maximum(s, 0.0),
                    "relu_grad(s) returned max(0, s), which is the ReLU itself, "
                    "not its derivative.",
                ),
            ],
        )
        # A boolean mask stands for 0.0/1.0, which is what it means (check_array and
        # as_floats take it as such, after checking its shape).
        if (not _close(got, want) and np.shape(got) == want.shape
                and _close(np.where(s == 0, want, got), want)):
            # Right everywhere but at the kink: heaviside(s, 0.5) or s >= 0, say.
            check_true(
                False,
                "relu_grad(s) is right where s != 0 but not at s == 0; the README fixes "
                "relu_grad(0) = 0.",
            )
        check_array(got, want, name=f"relu_grad(s) for s of shape {shape}")


@points(1, name="softmax on random vectors and batches", part="1a")
def test_softmax_random(submission, reference, rng):
    """softmax matches the reference along the last axis, for vectors and batches incl. n = 1."""
    for shape in ((7,), (1, 4), (5, 3), (2, 1)):
        s = 3.0 * rng.normal(size=shape)
        got = submission.softmax(s)
        want = reference.softmax(s)
        variants = []
        if len(shape) == 2 and shape[0] > 1:
            variants.append(
                (
                    reference.softmax(s.T).T,
                    ("softmax of a batch (n, d) normalised each column; each row is one example."),
                )
            )
        _diagnose(got, want, variants)
        check_array(got, want, name=f"softmax(s) for s of shape {shape}", rtol=RTOL, atol=ATOL)


@points(1, name="softmax of very large and very negative logits", part="1a")
def test_softmax_large_logits(submission, reference):
    """softmax stays finite and correct where exp(s) overflows or underflows."""
    cases = (
        np.array([1000.0, 1001.0, 999.0]),
        np.array([-1000.0, -1002.0, -999.5]),
        np.array([[800.0, 0.0, -800.0], [1.0e4, 1.0e4, 1.0e4 - 3.0]]),
    )
    for s in cases:
        got = submission.softmax(s)
        _finite(
            got,
            (
                "softmax returned NaN or inf for logits in the thousands: exp overflowed (or every "
                "exp underflowed to 0). softmax(s) = softmax(s - c) for any constant c; subtract "
                "the largest logit before exponentiating."
            ),
        )
        check_array(
            got, reference.softmax(s), name="softmax of large logits", rtol=RTOL_LARGE, atol=ATOL
        )


# ---------------------------------------------------------------- 1b: forward pass and loss


@points(1, name="forward pass for other sizes and weights", part="1b")
def test_forward_random(submission, reference, rng, credit):
    """forward matches the reference for sizes with d0, d1, d2 all different and sizes of 1."""
    for sizes in (*SIZES[:3], (3, 1, 1)):
        with credit.part(_size_label(sizes), weight=1):
            p = reference.random_problem(rng, *sizes)
            result = submission.forward(p["x"], p["W1"], p["W2"])
            want = reference.forward(p["x"], p["W1"], p["W2"])
            for key in ("s1", "x1", "s2", "x2"):
                got = _entry(result, key, "forward")
                if key == "x1":
                    _diagnose(
                        got,
                        want["x1"],
                        [
                            (want["x1"][1:], "x1 is missing the bias unit: x1 = [1, relu(s1)]."),
                            (np.roll(want["x1"], -1), "x1 has the bias unit last; it goes first."),
                        ],
                    )
                check_array(got, want[key], name=f"forward()[{key!r}]", rtol=RTOL, atol=ATOL)


@points(1, name="forward pass with output logits in the thousands", part="1b")
def test_forward_large_logits(submission, reference, rng, credit):
    """forward's x2 stays finite and correct when s2 is around +1000 or -1000."""
    for sign in (1.0, -1.0):
        with credit.part(f"s2 near {sign * 1000:+.0f}", weight=1):
            p = reference.random_problem(rng, 3, 4, 5)
            # Large bias weights push every logit to about +-1000 while their differences stay
            # of order 1, so x2 is not simply one-hot.
            p["W2"][0] += sign * 1000.0 + np.array([0.0, 1.0, -1.0, 0.5, -2.0])
            result = submission.forward(p["x"], p["W1"], p["W2"])
            want = reference.forward(p["x"], p["W1"], p["W2"])
            got = _entry(result, "x2", "forward")
            _finite(
                got,
                (
                    "forward()['x2'] is NaN or inf when the logits s2 are in the thousands: the "
                    "softmax overflowed. Subtract the largest logit before exponentiating."
                ),
            )
            check_array(got, want["x2"], name="forward()['x2']", rtol=RTOL_LARGE, atol=ATOL)


@points(1, name="cross-entropy on random outputs", part="1b")
def test_cross_entropy_random(submission, reference, rng):
    """cross_entropy matches -sum y ln x2 for one-hot and soft labels, d2 = 10 and d2 = 1."""
    for d2 in (10, 1):
        x2 = reference.softmax(rng.normal(size=d2))
        one_hot = np.eye(d2)[rng.integers(d2)]
        soft = reference.softmax(rng.normal(size=d2))
        for y in (one_hot, soft):
            want = reference.cross_entropy(x2, y)
            got = submission.cross_entropy(x2, y)
            check_true(
                not (
                    isinstance(got, float | int)
                    and np.isclose(got, -want, rtol=RTOL)
                    and want > ATOL
                ),
                "cross_entropy has the wrong sign; J = -sum_j y_j ln x2_j is never negative.",
            )
            check_scalar(got, want, name=f"cross_entropy for d2={d2}", rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- 1c: backward pass


@points(1, name="output delta on random outputs", part="1c")
def test_output_delta_random(submission, reference, rng):
    """output_delta is x2 - y for d2 = 10, 1 and 4, one-hot and soft labels."""
    for d2 in (10, 1, 4):
        x2 = reference.softmax(rng.normal(size=d2))
        y = reference.softmax(2.0 * rng.normal(size=d2)) if d2 == 4 else np.eye(d2)[0]
        want = reference.output_delta(x2, y)
        got = submission.output_delta(x2, y)
        _diagnose(
            got,
            want,
            [
                (
                    -want,
                    (
                        "output_delta has the wrong sign: delta^(2) = dJ/ds^(2), and J "
                        "decreases as the output of the true class grows."
                    ),
                )
            ],
        )
        check_array(got, want, name=f"output_delta for d2={d2}", rtol=RTOL, atol=ATOL)


@points(1, name="hidden delta for other sizes and s1 == 0", part="1c")
def test_hidden_delta_random(submission, reference, rng):
    """hidden_delta is relu'(s1) * (W2[1:] @ delta2), with relu'(0) = 0, for several sizes."""
    for d1, d2 in ((5, 3), (1, 4), (6, 1), (4, 10)):
        s1 = rng.normal(size=d1)
        if d1 > 1:
            s1[::2] = 0.0  # the kink, where relu'(0) = 0 is part of the specification
        W2 = rng.normal(size=(d1 + 1, d2))
        delta2 = rng.normal(size=d2)
        want = reference.hidden_delta(s1, W2, delta2)
        back = W2[1:] @ delta2
        got = submission.hidden_delta(s1, W2, delta2)
        _diagnose(
            got,
            want,
            [
                (
                    np.maximum(s1, 0.0) * back,
                    "hidden_delta used max(0, s1) as the ReLU's derivative; the derivative is "
                    "1[s1 > 0].",
                ),
                (back, "hidden_delta is missing the factor relu'(s1)."),
                (
                    (s1 > 0) * (W2[:-1] @ delta2),
                    "hidden_delta used the wrong rows of W2: row 0 holds the bias "
                    "weights, skip it.",
                ),
            ],
        )
        if (not _close(got, want) and np.shape(got) == want.shape
                and _close(np.where(s1 == 0, want, got), want)):
            check_true(
                False,
                "hidden_delta is right where s1 != 0 but not where s1 == 0; the README "
                "fixes relu'(0) = 0.",
            )
        check_array(got, want, name=f"hidden_delta for d1={d1}, d2={d2}", rtol=RTOL, atol=ATOL)


@points(3, name="gradients for other sizes and weights", part="1c")
def test_gradients_random(submission, reference, rng, credit):
    """gradients matches the (finite-difference-checked) reference for four size combinations."""
    for sizes in SIZES:
        p = reference.random_problem(rng, *sizes)
        want = reference.gradients(p["x"], p["y"], p["W1"], p["W2"])
        variants = _gradient_variants(reference, p)
        result = None
        for key in ("W1", "W2"):
            with credit.part(f"dJ/d{key}, {_size_label(sizes)}", weight=1):
                if result is None:
                    result = submission.gradients(p["x"], p["y"], p["W1"], p["W2"])
                got = _entry(result, key, "gradients")
                _diagnose(got, want[key], variants[key])
                _check_weights(got, want[key], f"gradients()[{key!r}]")


@points(1, name="gradients with zero weights", part="1c")
def test_gradients_zero_weights(submission, reference, rng, credit):
    """With W1 = 0 every s1 is exactly 0, so relu'(0) = 0 makes dJ/dW1 zero."""
    p = reference.random_problem(rng, 4, 3, 5)
    for label, W2 in (("W1 = 0", p["W2"]), ("W1 = 0 and W2 = 0", np.zeros_like(p["W2"]))):
        W1 = np.zeros_like(p["W1"])
        want = reference.gradients(p["x"], p["y"], W1, W2)
        with credit.part(label, weight=1):
            result = submission.gradients(p["x"], p["y"], W1, W2)
            variants = _gradient_variants(reference, {**p, "W1": W1, "W2": W2})
            for key in ("W1", "W2"):
                got = _entry(result, key, "gradients")
                if key == "W1" and np.shape(got) == want["W1"].shape:
                    # Every s1 is exactly 0 here, so only relu'(0) != 0 makes dJ/dW1 nonzero.
                    check_true(
                        _close(got, want["W1"]),
                        "with W1 = 0 every s1 is exactly 0, so dJ/dW1 must be 0: the README "
                        "fixes relu'(0) = 0.",
                    )
                _diagnose(got, want[key], variants[key])
                _check_weights(got, want[key], f"gradients()[{key!r}] ({label})")


# ---------------------------------------------------------------- 1d: SGD updates


def _step_variants(reference, p: dict[str, np.ndarray], eta: float) -> dict[str, list]:
    """Updates as the typical mistakes compute them, each with its message."""
    g = reference.gradients(p["x"], p["y"], p["W1"], p["W2"])
    f = reference.forward(p["x"], p["W1"], p["W2"])
    d2 = f["x2"] - p["y"]
    # The usual loop bug: update W2 first, then back-propagate delta^(2) through the new W2.
    new_W2 = p["W2"] - eta * g["W2"]
    stale = np.outer(f["x0"], reference.relu_grad(f["s1"]) * (new_W2[1:] @ d2))
    out: dict[str, list] = {}
    for key, wrong_gradients in _gradient_variants(reference, p).items():
        out[key] = [
            (p[key], f"{key} came back unchanged."),
            (p[key] + eta * g[key], f"{key} moved up the gradient; subtract eta * gradient."),
            *(
                (p[key] - eta * wrong, f"the update used a wrong gradient: {message}")
                for wrong, message in wrong_gradients
            ),
        ]
    out["W1"].append(
        (
            p["W1"] - eta * stale,
            (
                "the W1 update used deltas computed from the already-updated W2; compute "
                "every delta from the weights before the step, then update."
            ),
        )
    )
    return out


def _check_step_random(submission, reference, rng, credit, *, func: str, cases) -> None:
    for sizes, eta in cases:
        p = reference.random_problem(rng, *sizes)
        want = reference.sgd_step(p["x"], p["y"], p["W1"], p["W2"], eta)
        variants = _step_variants(reference, p, eta)
        result = None
        for key in ("W1", "W2"):
            with credit.part(f"{key}, {_size_label(sizes)}, eta={eta}", weight=1):
                if result is None:
                    result = getattr(submission, func)(p["x"], p["y"], p["W1"], p["W2"], eta)
                got = _entry(result, key, func)
                _diagnose(got, want[key], variants[key])
                _check_weights(got, want[key], f"{func}()[{key!r}]")


@points(2, name="vectorised SGD step for other sizes and learning rates", part="1d")
def test_sgd_step_random(submission, reference, rng, credit):
    """sgd_step returns W - eta x^(l-1) delta^(l)^T for several sizes and learning rates."""
    cases = ((SIZES[0], 0.1), (SIZES[2], 1.0), (SIZES[3], 0.01))
    _check_step_random(submission, reference, rng, credit, func="sgd_step", cases=cases)


@points(1, name="per-weight SGD step equals the vectorised step", part="1d")
def test_sgd_step_per_weight_random(submission, reference, rng, credit):
    """sgd_step_per_weight gives the vectorised update, also for a single hidden unit."""
    cases = (((3, 4, 2), 0.3), ((2, 1, 3), 0.05))
    _check_step_random(submission, reference, rng, credit, func="sgd_step_per_weight", cases=cases)


# ---------------------------------------------------------------- 1e: mini-batch


def _check_batch(submission, reference, p: dict[str, np.ndarray], credit, label: str) -> None:
    want = reference.batch_gradients(p["x"], p["y"], p["W1"], p["W2"])
    n = p["x"].shape[0]
    result = None
    for key in ("loss", "W1", "W2"):
        with credit.part(f"{key}, {label}", weight=1):
            if result is None:
                result = submission.batch_gradients(p["x"], p["y"], p["W1"], p["W2"])
            got = _entry(result, key, "batch_gradients")
            if n > 1:
                check_true(
                    not _close(got, n * np.asarray(want[key])),
                    f"batch_gradients()[{key!r}] is the sum over the batch; use the mean.",
                )
            if key == "loss":
                check_scalar(got, want[key], name="batch_gradients()['loss']", rtol=RTOL, atol=ATOL)
            else:
                _check_weights(got, want[key], f"batch_gradients()[{key!r}]")


@points(1, name="mini-batch gradients for other sizes", part="1e")
def test_batch_gradients_random(submission, reference, rng, credit):
    """batch_gradients gives the mean loss and gradients over n = 5 and n = 3 rows."""
    for sizes, n in ((SIZES[0], 5), ((2, 6, 3), 3)):
        p = reference.random_problem(rng, *sizes, n=n)
        _check_batch(submission, reference, p, credit, f"n={n}, {_size_label(sizes)}")


@points(1, name="mini-batch of one example", part="1e")
def test_batch_of_one(submission, reference, rng, credit):
    """A batch of one row gives that example's loss and gradients."""
    p = reference.random_problem(rng, *SIZES[2], n=1)
    _check_batch(submission, reference, p, credit, "n=1")
