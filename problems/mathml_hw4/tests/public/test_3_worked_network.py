"""Public tests, sections 3.1 and 3.3: the worked 2-2-1 network on the homework's own numbers."""

from __future__ import annotations

import math

from grader import check_scalar, check_true, points

KEYS = ("W13", "W14", "W23", "W24", "W35", "W45")
FORWARD_KEYS = ("z3", "z4", "a3", "a4", "a5")

# Section 3.1: the initial weights, inputs and target of the homework.
W_START = {"W13": 1.0, "W14": -1.0, "W23": 2.0, "W24": -3.0, "W35": 2.0, "W45": -1.0}
X_START = [1.0, -1.0]
TARGET_START = 1.0
LR = 0.1

# Section 3.3: the second iteration starts from the weight table handed out after 3.1.
W_SECOND = {"W13": 1.11, "W14": -1.02, "W23": 1.88, "W24": -2.98, "W35": 2.08, "W45": -0.73}
X_SECOND = [2.0, -2.0]
TARGET_SECOND = 2.0


def _as_float(value: object) -> float:
    """``value`` as a float, or NaN when it is not a real number (NaN never compares equal)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _close(got: object, want: float) -> bool:
    """True when ``got`` is a real number within the default tolerances of ``want``."""
    return math.isclose(_as_float(got), want, rel_tol=1e-6, abs_tol=1e-8)


def _entry(result: object, key: str, function: str) -> object:
    """``result[key]``, failing with a clear message when the result is not such a dict."""
    check_true(
        isinstance(result, dict), f"{function}() must return a dict; got {type(result).__name__}"
    )
    assert isinstance(result, dict)
    check_true(key in result, f"{function}() returned no '{key}' entry (keys: {sorted(result)})")
    return result[key]


def _tanh_slope_mistake(x, W, target, reference) -> dict[str, float]:
    """dL/dW14 and dL/dW24 when tanh'(z) is written as 1 - tanh(z) instead of 1 - tanh(z)^2."""
    f = reference.forward(x, W)
    d4 = -2.0 * (target - f["a5"]) * W["W45"] * (1.0 - f["a4"])
    return {"W14": d4 * x[0], "W24": d4 * x[1]}


def _check_gradient(got: object, key: str, *, x, W, target, reference) -> None:
    """Check one gradient, naming the mistake when it is a known one."""
    want = reference.gradients(x, W, target)
    value = _entry(got, key, "gradients")
    if not _close(value, want[key]):
        wrong = _tanh_slope_mistake(x, W, target, reference)
        if key in wrong and _close(value, wrong[key]):
            check_true(
                False,
                "this uses tanh'(z) = 1 - tanh(z), but the derivative of tanh is "
                "1 - tanh(z)^2: fix the node-4 factor shared by dL/dW14 and dL/dW24",
            )
        if _close(value, -want[key]):
            check_true(False, "the sign is wrong: dL/da5 = -2 (target - a5)")
        if _close(value, want[key] / 2):
            check_true(
                False,
                "this is half the right value: the loss has no 1/2 factor, "
                "so dL/da5 = -2 (target - a5)",
            )
    check_scalar(value, want[key], name=f"dL/d{key}")


def _own_gradients(submission, x, W, target) -> object:
    """The submission's own gradients, only to explain a wrong update; None if they fail."""
    try:
        return submission.gradients(x, W, target)
    except Exception:  # the update is graded on its own; a broken gradients() is reported elsewhere
        return None


def _check_update(got: object, key: str, *, x, W, target, lr, reference, own_gradients) -> None:
    """Check one updated weight; when wrong, say whether the rule or the gradient is at fault."""
    want = reference.sgd_step(x, W, target, lr)
    value = _entry(got, key, "sgd_step")
    if not _close(value, want[key]):
        g = reference.gradients(x, W, target)
        if _close(value, W[key] + lr * g[key]):
            check_true(
                False, "the weight moved uphill: the update is W - lr * dL/dW, not W + lr * dL/dW"
            )
        if isinstance(own_gradients, dict) and _close(
            value, W[key] - lr * _as_float(own_gradients.get(key))
        ):
            check_true(
                False,
                f"this is W - lr * (your dL/d{key}): the update rule is right, "
                f"but your dL/d{key} is wrong (see the gradient tests)",
            )
    check_scalar(value, want[key], name=f"{key} after one step")


@points(2, name="3.1 forward pass on the homework's weights", part="3.1")
def test_forward_seed(submission, reference, credit):
    """forward() gives the right z3, z4, a3, a4, a5 on the homework's initial weights."""
    got = submission.forward(X_START, W_START)
    want = reference.forward(X_START, W_START)
    for key in FORWARD_KEYS:
        with credit.part(key, weight=1):
            check_scalar(_entry(got, key, "forward"), want[key], name=key)


@points(1, name="3.1 loss of the first prediction", part="3.1")
def test_loss_seed(submission, reference):
    """loss() gives (target - a5)^2 for the homework's first prediction."""
    a5 = reference.forward(X_START, W_START)["a5"]
    got = submission.loss(a5, TARGET_START)
    want = reference.loss(a5, TARGET_START)
    if _close(got, want / 2):
        check_true(False, "loss is half the right value: this loss is (target - a5)^2, no 1/2")
    check_scalar(got, want, name="loss")


@points(3, name="3.1 backpropagation: the six weight gradients", part="3.1")
def test_gradients_seed(submission, reference, credit):
    """gradients() gives dL/dW for each of the six weights on the homework's numbers."""
    got = submission.gradients(X_START, W_START, TARGET_START)
    for key in KEYS:
        with credit.part(f"dL/d{key}", weight=1):
            _check_gradient(
                got, key, x=X_START, W=W_START, target=TARGET_START, reference=reference
            )


@points(2, name="3.1 one gradient-descent update (lr 0.1)", part="3.1")
def test_update_seed(submission, reference, credit):
    """sgd_step() moves each weight by -0.1 times its gradient."""
    got = submission.sgd_step(X_START, W_START, TARGET_START, LR)
    own = _own_gradients(submission, X_START, W_START, TARGET_START)
    for key in KEYS:
        with credit.part(key, weight=1):
            _check_update(
                got,
                key,
                x=X_START,
                W=W_START,
                target=TARGET_START,
                lr=LR,
                reference=reference,
                own_gradients=own,
            )


@points(1, name="3.3 second iteration: prediction and loss", part="3.3")
def test_second_iteration_forward(submission, reference, credit):
    """On the rounded weights with inputs (2, -2), a5 and the loss against target 2 are right."""
    want = reference.forward(X_SECOND, W_SECOND)
    with credit.part("a5", weight=1):
        got = submission.forward(X_SECOND, W_SECOND)
        check_scalar(_entry(got, "a5", "forward"), want["a5"], name="a5 (second iteration)")
    with credit.part("loss", weight=1):
        got_loss = submission.loss(want["a5"], TARGET_SECOND)
        check_scalar(
            got_loss, reference.loss(want["a5"], TARGET_SECOND), name="loss (second iteration)"
        )


@points(1, name="3.3 second iteration: gradients", part="3.3")
def test_second_iteration_gradients(submission, reference, credit):
    """The six gradients of the second iteration are right."""
    got = submission.gradients(X_SECOND, W_SECOND, TARGET_SECOND)
    for key in KEYS:
        with credit.part(f"dL/d{key}", weight=1):
            _check_gradient(
                got, key, x=X_SECOND, W=W_SECOND, target=TARGET_SECOND, reference=reference
            )


@points(1, name="3.3 second iteration: updated weights", part="3.3")
def test_second_iteration_update(submission, reference, credit):
    """The weights after the second update are right (to full precision, not only 2 decimals)."""
    got = submission.sgd_step(X_SECOND, W_SECOND, TARGET_SECOND, LR)
    own = _own_gradients(submission, X_SECOND, W_SECOND, TARGET_SECOND)
    for key in KEYS:
        with credit.part(key, weight=1):
            _check_update(
                got,
                key,
                x=X_SECOND,
                W=W_SECOND,
                target=TARGET_SECOND,
                lr=LR,
                reference=reference,
                own_gradients=own,
            )
