"""Public tests for cs189_hw4_backprop: one small fixed network, values given here.

The network: d0 = 2 inputs, d1 = 3 hidden ReLU units, d2 = 2 softmax outputs. Weight matrices
have the bias row first (see README.md). The expected values were computed by the course's
reference solution and checked by finite differences.
"""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_scalar, check_true, points

# Float32 arithmetic is allowed, so values are compared at rtol 1e-4, not the 1e-6 default.
RTOL = 1e-4
ATOL = 1e-6

X = [1.0, -2.0]
Y = [0.0, 1.0]
W1 = [[0.1, -0.2, 0.0], [0.5, 0.3, -0.4], [-0.25, 0.6, -0.5]]
W2 = [[0.2, -0.1], [0.7, -0.3], [-0.5, 0.4], [0.1, 0.8]]
ETA = 0.5

S1 = [1.1, -1.1, 0.6]
X1 = [1.0, 1.1, 0.0, 0.6]
S2 = [1.03, 0.05]
X2 = [0.7271082163411295, 0.27289178365887046]
DELTA2 = [0.7271082163411295, -0.7271082163411295]
DELTA1 = [0.7271082163411295, 0.0, -0.5089757514387907]
GRAD_W1 = [
    [0.7271082163411295, 0.0, -0.5089757514387907],
    [0.7271082163411295, 0.0, -0.5089757514387907],
    [-1.454216432682259, 0.0, 1.0179515028775814],
]
GRAD_W2 = [
    [0.7271082163411295, -0.7271082163411295],
    [0.7998190379752426, -0.7998190379752426],
    [0.0, 0.0],
    [0.43626492980467774, -0.43626492980467774],
]
NEW_W1 = [
    [-0.2635541081705648, -0.2, 0.25448787571939535],
    [0.13644589182943523, 0.3, -0.14551212428060467],
    [0.47710821634112954, 0.6, -1.0089757514387907],
]
NEW_W2 = [
    [-0.16355410817056476, 0.2635541081705648],
    [0.3000904810123787, 0.09990951898762129],
    [-0.5, 0.4],
    [-0.11813246490233886, 1.0181324649023389],
]

BATCH_X = [[1.0, -2.0], [0.5, 1.5]]
BATCH_Y = [[0.0, 1.0], [1.0, 0.0]]
BATCH_LOSS = 1.1255576059099281
BATCH_W1 = [
    [0.36355410817056477, 0.2763898392496028, -0.25448787571939535],
    [0.36355410817056477, 0.1381949196248014, -0.25448787571939535],
    [-0.7271082163411295, 0.4145847588744042, 0.5089757514387907],
]
BATCH_W2 = [
    [0.05645428678211717, -0.056454286782117225],
    [0.3999095189876213, -0.3999095189876213],
    [-0.26103484818018047, 0.2610348481801804],
    [0.21813246490233887, -0.21813246490233887],
]


def _arr(value: list) -> np.ndarray:
    return np.array(value, dtype=np.float64)


def _close(value: object, target: np.ndarray) -> bool:
    got = as_floats(value, target.shape)  # the shape first: no huge conversion
    return got is not None and bool(np.allclose(got, target, rtol=RTOL, atol=ATOL))


def _diagnose(value: object, expected: np.ndarray, variants: list[tuple[np.ndarray, str]]) -> None:
    """Fail with a named mistake when ``value`` is one of the known wrong answers."""
    if _close(value, expected):
        return
    for wrong, message in variants:
        if _close(value, wrong):
            check_true(False, message)


def _entry(result: object, key: str, func: str) -> object:
    check_true(
        isinstance(result, dict),
        f"{func} must return a dict; it returned {type(result).__name__}.",
    )
    assert isinstance(result, dict)
    check_true(key in result, f"{func} returned a dict without the key {key!r}.")
    return result[key]


def _check_weights(got: object, want: np.ndarray, name: str) -> None:
    """check_array, after naming the two commonest shape mistakes of a weight-shaped result."""
    shape = np.shape(got) if isinstance(got, np.ndarray | list | tuple) else ()
    check_true(
        shape != (want.shape[0] - 1, want.shape[1]),
        f"{name} has shape {shape}, one row short of {want.shape}: the row of the bias unit "
        "(row 0) is missing. x^(l-1) must include the bias unit x_0 = 1.",
    )
    if want.shape[0] == want.shape[1]:
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


@points(1, name="relu on a fixed input", part="1a")
def test_relu_small(submission):
    """relu is max(0, s) elementwise, on a 2-D input."""
    s = _arr([[-2.0, -0.5], [0.5, 3.0]])
    check_array(submission.relu(s), _arr([[0.0, 0.0], [0.5, 3.0]]), name="relu(s)")


@points(1, name="relu_grad on a fixed input", part="1a")
def test_relu_grad_small(submission):
    """relu_grad is the step 1[s > 0], not max(0, s)."""
    s = _arr([-2.0, -0.5, 0.5, 3.0])
    got = submission.relu_grad(s)
    want = _arr([0.0, 0.0, 1.0, 1.0])
    _diagnose(
        got,
        want,
        [
            (
                np.maximum(s, 0.0),
                (
                    "relu_grad(s) returned max(0, s), which is the ReLU itself, not its "
                    "derivative. The slope of max(0, s) is 1 where s > 0 and 0 where s < 0."
                ),
            )
        ],
    )
    check_array(got, want, name="relu_grad(s)")  # a boolean mask stands for 0.0/1.0


@points(1, name="softmax of a vector and of a batch", part="1a")
def test_softmax_small(submission):
    """softmax normalises along the last axis, for a vector and for a batch of rows."""
    check_array(
        submission.softmax(_arr([1.0, 2.0, 3.0])),
        _arr([0.09003057317038046, 0.24472847105479764, 0.6652409557748218]),
        name="softmax([1, 2, 3])",
        rtol=RTOL,
        atol=ATOL,
    )
    batch = _arr([[0.0, 0.0], [1.0, -1.0]])
    got = submission.softmax(batch)
    want = _arr([[0.5, 0.5], [0.8807970779778823, 0.11920292202211755]])
    by_column = np.exp(batch) / np.exp(batch).sum(axis=0, keepdims=True)
    _diagnose(
        got,
        want,
        [
            (
                by_column,
                (
                    "softmax of a batch (n, d) normalised each column; each row is one example, so "
                    "normalise along the last axis."
                ),
            )
        ],
    )
    check_array(got, want, name="softmax of a batch", rtol=RTOL, atol=ATOL)


@points(2, name="forward pass of the fixed network", part="1b")
def test_forward_small(submission, credit):
    """forward returns s1, x1 (bias unit first), s2 and x2 of the fixed network."""
    result = submission.forward(_arr(X), _arr(W1), _arr(W2))
    x1_variants = [
        (_arr(X1[1:]), "x1 is missing the bias unit: it must be [1, relu(s1)], shape (d1 + 1,)."),
        (_arr([*X1[1:], 1.0]), "x1 has the bias unit last; it goes first: x1 = [1, relu(s1)]."),
    ]
    for key, want, variants in (
        ("s1", S1, []),
        ("x1", X1, x1_variants),
        ("s2", S2, []),
        ("x2", X2, []),
    ):
        with credit.part(key, weight=1):
            got = _entry(result, key, "forward")
            _diagnose(got, _arr(want), variants)
            check_array(got, _arr(want), name=f"forward()[{key!r}]", rtol=RTOL, atol=ATOL)


@points(1, name="cross-entropy of fixed outputs", part="1b")
def test_cross_entropy_small(submission):
    """cross_entropy is -sum y ln x2, for a one-hot and a soft label."""
    x2 = _arr([0.2, 0.5, 0.3])
    for y, want in (
        ([0.0, 1.0, 0.0], 0.6931471805599453),
        ([0.5, 0.0, 0.5], 1.4067053583800182),
    ):
        got = submission.cross_entropy(x2, _arr(y))
        check_true(
            not (isinstance(got, float | int) and got < 0),
            "cross_entropy is negative; J = -sum_j y_j ln x2_j is never negative.",
        )
        check_scalar(got, want, name=f"cross_entropy(x2, y={y})", rtol=RTOL, atol=ATOL)


@points(1, name="output delta of the fixed network", part="1c")
def test_output_delta_small(submission):
    """output_delta is dJ/ds2 for softmax with cross-entropy."""
    got = submission.output_delta(_arr(X2), _arr(Y))
    _diagnose(
        got,
        _arr(DELTA2),
        [
            (
                -_arr(DELTA2),
                (
                    "output_delta has the wrong sign: delta^(2) is the derivative of the loss J "
                    "with respect to s^(2), and J decreases as the output of the true class grows."
                ),
            )
        ],
    )
    check_array(got, _arr(DELTA2), name="output_delta(x2, y)", rtol=RTOL, atol=ATOL)


@points(1, name="hidden delta of the fixed network", part="1c")
def test_hidden_delta_small(submission):
    """hidden_delta is relu'(s1) times the back-propagated output delta, bias row skipped."""
    got = submission.hidden_delta(_arr(S1), _arr(W2), _arr(DELTA2))
    back = _arr(W2)[1:] @ _arr(DELTA2)
    _diagnose(
        got,
        _arr(DELTA1),
        [
            (
                np.maximum(_arr(S1), 0.0) * back,
                "hidden_delta used max(0, s1) as the ReLU's derivative; the derivative "
                "is 1[s1 > 0].",
            ),
            (back, "hidden_delta is missing the factor relu'(s1)."),
            (
                _arr(W2)[:-1] @ _arr(DELTA2) * (_arr(S1) > 0),
                "hidden_delta used the wrong rows of W2: row 0 holds the bias weights, skip it.",
            ),
        ],
    )
    check_array(got, _arr(DELTA1), name="hidden_delta(s1, W2, delta2)", rtol=RTOL, atol=ATOL)


@points(2, name="gradients of the fixed network", part="1c")
def test_gradients_small(submission, credit):
    """gradients returns dJ/dW1 and dJ/dW2, shaped like W1 and W2."""
    result = submission.gradients(_arr(X), _arr(Y), _arr(W1), _arr(W2))
    for key, want in (("W1", _arr(GRAD_W1)), ("W2", _arr(GRAD_W2))):
        with credit.part(f"dJ/d{key}", weight=1):
            got = _entry(result, key, "gradients")
            _diagnose(got, want, [(-want, f"gradients()[{key!r}] has the wrong sign.")])
            _check_weights(got, want, f"gradients()[{key!r}]")


def _check_step(result: object, func: str, credit) -> None:
    # The usual loop bug: update W2 first, then back-propagate delta^(2) through the new W2.
    stale_delta1 = (_arr(S1) > 0) * (_arr(NEW_W2)[1:] @ _arr(DELTA2))
    stale_W1 = _arr(W1) - ETA * np.outer([1.0, *X], stale_delta1)
    for key, old, want in (("W1", W1, NEW_W1), ("W2", W2, NEW_W2)):
        with credit.part(key, weight=1):
            got = _entry(result, key, func)
            uphill = 2 * _arr(old) - _arr(want)
            _diagnose(
                got,
                _arr(want),
                [
                    (_arr(old), f"{func} returned {key} unchanged."),
                    (uphill, f"{func} moved {key} up the gradient; subtract eta * gradient."),
                    (
                        stale_W1,
                        (
                            f"{func} updated W1 with deltas computed from the already-updated W2; "
                            "compute every delta from the weights before the step, then update."
                        ),
                    ),
                ],
            )
            _check_weights(got, _arr(want), f"{func}()[{key!r}]")


@points(1, name="vectorised SGD step on the fixed network", part="1d")
def test_sgd_step_small(submission, credit):
    """sgd_step returns W - eta * gradient for both layers."""
    result = submission.sgd_step(_arr(X), _arr(Y), _arr(W1), _arr(W2), ETA)
    _check_step(result, "sgd_step", credit)


@points(1, name="per-weight SGD step on the fixed network", part="1d")
def test_sgd_step_per_weight_small(submission, credit):
    """sgd_step_per_weight gives the same update as the vectorised step."""
    result = submission.sgd_step_per_weight(_arr(X), _arr(Y), _arr(W1), _arr(W2), ETA)
    _check_step(result, "sgd_step_per_weight", credit)


@points(1, name="mini-batch gradients of two examples", part="1e")
def test_batch_gradients_small(submission, credit):
    """batch_gradients returns the mean loss and mean gradients over the rows."""
    result = submission.batch_gradients(_arr(BATCH_X), _arr(BATCH_Y), _arr(W1), _arr(W2))
    n = len(BATCH_X)
    with credit.part("loss", weight=1):
        got = _entry(result, "loss", "batch_gradients")
        check_true(
            not _close(got, np.float64(n * BATCH_LOSS)),
            "batch_gradients()['loss'] is the sum over the batch; use the mean.",
        )
        check_scalar(got, BATCH_LOSS, name="batch_gradients()['loss']", rtol=RTOL, atol=ATOL)
    for key, want in (("W1", _arr(BATCH_W1)), ("W2", _arr(BATCH_W2))):
        with credit.part(key, weight=1):
            got = _entry(result, key, "batch_gradients")
            _diagnose(
                got,
                want,
                [
                    (
                        n * want,
                        (f"batch_gradients()[{key!r}] is the sum over the batch; use the mean."),
                    )
                ],
            )
            _check_weights(got, want, f"batch_gradients()[{key!r}]")
