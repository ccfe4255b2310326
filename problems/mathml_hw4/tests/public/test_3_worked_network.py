"""Public tests, sections 3.1 and 3.3: the worked 2-2-1 network on the homework's own numbers.

Every expected value is written out below: these tests need only the standard library and the
grader, so they run the same in the student kit as in the course's checkout.
"""

from __future__ import annotations

import math

from grader import check_scalar, check_true, keys_of, points

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

# Expected results, to full float64 precision: forward pass, loss, gradients and the weights
# after one step with LR, for each of the two iterations.
FORWARD_START = {
    "z3": -1.0,
    "z4": 2.0,
    "a3": 0.2689414213699951,
    "a4": 0.9640275800758169,
    "a5": -0.4261447373358267,
}
LOSS_START = 2.033888811830674
GRADIENTS_START = {
    "W13": -1.121588295559049,
    "W14": 0.20151660410555136,
    "W23": 1.121588295559049,
    "W24": -0.20151660410555136,
    "W35": -0.7670987854768712,
    "W45": -2.7496857199434372,
}
UPDATE_START = {
    "W13": 1.1121588295559048,
    "W14": -1.0201516604105552,
    "W23": 1.8878411704440952,
    "W24": -2.979848339589445,
    "W35": 2.076709878547687,
    "W45": -0.7250314280056562,
}
FORWARD_SECOND = {
    "z3": -1.5399999999999996,
    "z4": 3.92,
    "a3": 0.17653527477911676,
    "a4": 0.999212971747347,
    "a5": -0.36223209783500043,
}
LOSS_SECOND = 5.580140484041946
GRADIENTS_SECOND = {
    "W13": -2.8570799309907673,
    "W14": 0.010853124918592865,
    "W23": 2.8570799309907673,
    "W24": -0.010853124918592865,
    "W35": -0.8340345849667024,
    "W45": -4.720745908869361,
}
UPDATE_SECOND = {
    "W13": 1.3957079930990768,
    "W14": -1.0210853124918593,
    "W23": 1.5942920069009232,
    "W24": -2.9789146875081407,
    "W35": 2.16340345849667,
    "W45": -0.25792540911306383,
}


def _as_float(value: object) -> float:
    """``value`` as a float, or NaN when it is not a real number (NaN never compares equal)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
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
    check_true(key in result, f"{function}() returned no '{key}' entry (keys: {keys_of(result)})")
    return result[key]


def _tanh_slope_mistake(x, W, target, forward: dict[str, float]) -> dict[str, float]:
    """dL/dW14 and dL/dW24 when tanh'(z) is written as 1 - tanh(z) instead of 1 - tanh(z)^2."""
    d4 = -2.0 * (target - forward["a5"]) * W["W45"] * (1.0 - forward["a4"])
    return {"W14": d4 * x[0], "W24": d4 * x[1]}


def _check_gradient(got: object, key: str, *, x, W, target, forward, want) -> None:
    """Check one gradient against ``want``, naming the mistake when it is a known one."""
    value = _entry(got, key, "gradients")
    if not _close(value, want[key]):
        wrong = _tanh_slope_mistake(x, W, target, forward)
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
    # The update is graded on its own; a broken gradients() is reported by its own test.
    except Exception:  # noqa: BLE001 - a student's function may raise anything
        return None


def _check_update(got: object, key: str, *, W, lr, want, gradients, own_gradients) -> None:
    """Check one updated weight against ``want``; when wrong, say whether the rule or the
    gradient is at fault (``gradients`` are the right ones, ``own_gradients`` the submission's)."""
    value = _entry(got, key, "sgd_step")
    if not _close(value, want[key]):
        if _close(value, W[key] + lr * gradients[key]):
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
def test_forward_seed(submission, credit):
    """forward() gives the right z3, z4, a3, a4, a5 on the homework's initial weights."""
    got = submission.forward(X_START, W_START)
    for key in FORWARD_KEYS:
        with credit.part(key, weight=1):
            check_scalar(_entry(got, key, "forward"), FORWARD_START[key], name=key)


@points(1, name="3.1 loss of the first prediction", part="3.1")
def test_loss_seed(submission):
    """loss() gives (target - a5)^2 for the homework's first prediction."""
    got = submission.loss(FORWARD_START["a5"], TARGET_START)
    if _close(got, LOSS_START / 2):
        check_true(False, "loss is half the right value: this loss is (target - a5)^2, no 1/2")
    check_scalar(got, LOSS_START, name="loss")


@points(3, name="3.1 backpropagation: the six weight gradients", part="3.1")
def test_gradients_seed(submission, credit):
    """gradients() gives dL/dW for each of the six weights on the homework's numbers."""
    got = submission.gradients(X_START, W_START, TARGET_START)
    for key in KEYS:
        with credit.part(f"dL/d{key}", weight=1):
            _check_gradient(
                got,
                key,
                x=X_START,
                W=W_START,
                target=TARGET_START,
                forward=FORWARD_START,
                want=GRADIENTS_START,
            )


@points(2, name="3.1 one gradient-descent update (lr 0.1)", part="3.1")
def test_update_seed(submission, credit):
    """sgd_step() moves each weight by -0.1 times its gradient."""
    got = submission.sgd_step(X_START, W_START, TARGET_START, LR)
    own = _own_gradients(submission, X_START, W_START, TARGET_START)
    for key in KEYS:
        with credit.part(key, weight=1):
            _check_update(
                got,
                key,
                W=W_START,
                lr=LR,
                want=UPDATE_START,
                gradients=GRADIENTS_START,
                own_gradients=own,
            )


@points(1, name="3.3 second iteration: prediction and loss", part="3.3")
def test_second_iteration_forward(submission, credit):
    """On the rounded weights with inputs (2, -2), a5 and the loss against target 2 are right."""
    with credit.part("a5", weight=1):
        got = submission.forward(X_SECOND, W_SECOND)
        check_scalar(
            _entry(got, "a5", "forward"), FORWARD_SECOND["a5"], name="a5 (second iteration)"
        )
    with credit.part("loss", weight=1):
        got_loss = submission.loss(FORWARD_SECOND["a5"], TARGET_SECOND)
        check_scalar(got_loss, LOSS_SECOND, name="loss (second iteration)")


@points(1, name="3.3 second iteration: gradients", part="3.3")
def test_second_iteration_gradients(submission, credit):
    """The six gradients of the second iteration are right."""
    got = submission.gradients(X_SECOND, W_SECOND, TARGET_SECOND)
    for key in KEYS:
        with credit.part(f"dL/d{key}", weight=1):
            _check_gradient(
                got,
                key,
                x=X_SECOND,
                W=W_SECOND,
                target=TARGET_SECOND,
                forward=FORWARD_SECOND,
                want=GRADIENTS_SECOND,
            )


@points(1, name="3.3 second iteration: updated weights", part="3.3")
def test_second_iteration_update(submission, credit):
    """The weights after the second update are right (to full precision, not only 2 decimals)."""
    got = submission.sgd_step(X_SECOND, W_SECOND, TARGET_SECOND, LR)
    own = _own_gradients(submission, X_SECOND, W_SECOND, TARGET_SECOND)
    for key in KEYS:
        with credit.part(key, weight=1):
            _check_update(
                got,
                key,
                W=W_SECOND,
                lr=LR,
                want=UPDATE_SECOND,
                gradients=GRADIENTS_SECOND,
                own_gradients=own,
            )
