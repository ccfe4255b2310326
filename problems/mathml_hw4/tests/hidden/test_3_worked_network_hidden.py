"""Hidden tests, sections 3.1 and 3.3: the worked network on weights, inputs and targets the
student has not seen, including all-zero weights and saturated (large) pre-activations."""

from __future__ import annotations

import math

import numpy as np

from grader import brief, check_scalar, check_true, keys_of, points

KEYS = ("W13", "W14", "W23", "W24", "W35", "W45")
FORWARD_KEYS = ("z3", "z4", "a3", "a4", "a5")


def _random_case(rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float], float]:
    """Inputs as a NumPy array (the public tests use lists), weights and target at unit scale."""
    x = rng.normal(scale=1.5, size=2)
    W = {key: float(v) for key, v in zip(KEYS, rng.normal(scale=1.5, size=6), strict=True)}
    return x, W, float(rng.normal(scale=2.0))


def _extreme_cases(rng: np.random.Generator) -> list[tuple[list[float], dict[str, float], float]]:
    """All-zero weights, and pre-activations around +-40 to +-55 where sigmoid and tanh saturate.

    Saturation is where tanh'(z) = 1 - tanh(z)^2 vanishes but 1 - tanh(z) does not (for z < 0),
    and where a naive exp() would overflow for |z| in the hundreds (we stay below that).
    """
    zero = {key: 0.0 for key in KEYS}
    x0 = [float(v) for v in rng.normal(size=2)]
    big = {"W13": 10.0, "W23": -8.0, "W14": -9.0, "W24": 6.0, "W35": 1.5, "W45": -2.0}
    big2 = {"W13": -12.0, "W23": 9.5, "W14": 8.0, "W24": -7.0, "W35": -2.5, "W45": 1.25}
    return [
        (x0, zero, float(rng.normal(scale=2.0))),
        ([2.5, -3.0], big, 1.5),  # z3 = 49, z4 = -40.5
        ([2.0, -3.0], big2, -0.5),  # z3 = -52.5, z4 = 37
    ]


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


@points(2, name="3.1 forward pass on unseen weights and inputs", part="3.1")
def test_forward_unseen(submission, reference, rng, credit):
    """forward() is right on random weights and NumPy-array inputs."""
    cases = [_random_case(rng) for _ in range(4)]
    results = [submission.forward(x, W) for x, W, _ in cases]
    for key in FORWARD_KEYS:
        with credit.part(key, weight=1):
            for (x, W, _), got in zip(cases, results, strict=True):
                check_scalar(_entry(got, key, "forward"), reference.forward(x, W)[key], name=key)


@points(1, name="3.1 forward pass: zero weights and saturated units", part="3.1")
def test_forward_extremes(submission, reference, rng, credit):
    """forward() is right for all-zero weights and for pre-activations of size 40 to 55."""
    for index, (x, W, _) in enumerate(_extreme_cases(rng)):
        with credit.part(f"case {index + 1}", weight=1):
            got = submission.forward(x, W)
            want = reference.forward(x, W)
            for key in FORWARD_KEYS:
                value = _entry(got, key, "forward")
                check_true(
                    math.isfinite(_as_float(value)),
                    f"{key} is {brief(value)} for a pre-activation around 50: compute sigmoid and "
                    f"tanh so that they do not overflow",
                )
                check_scalar(value, want[key], name=key)


@points(1, name="3.1 loss on unseen predictions and targets", part="3.1")
def test_loss_unseen(submission, reference, rng):
    """loss() is (target - prediction)^2 for random pairs, including prediction > target."""
    pairs = [(float(p), float(t)) for p, t in rng.normal(scale=3.0, size=(5, 2))]
    pairs.append((2.5, 2.5))
    for prediction, target in pairs:
        got = submission.loss(prediction, target)
        check_scalar(got, reference.loss(prediction, target), name="loss")


@points(3, name="3.1 backpropagation on unseen weights, inputs and targets", part="3.1")
def test_gradients_unseen(submission, reference, rng, credit):
    """gradients() is right for each weight on random cases."""
    cases = [_random_case(rng) for _ in range(4)]
    results = [submission.gradients(x, W, t) for x, W, t in cases]
    for key in KEYS:
        with credit.part(f"dL/d{key}", weight=1):
            for (x, W, t), got in zip(cases, results, strict=True):
                _check_gradient(got, key, x=x, W=W, target=t, reference=reference)


@points(2, name="3.1 backpropagation: zero weights and saturated units", part="3.1")
def test_gradients_extremes(submission, reference, rng, credit):
    """gradients() is right for all-zero weights and saturated units (tiny or zero slopes)."""
    cases = _extreme_cases(rng)
    results = [submission.gradients(x, W, t) for x, W, t in cases]
    for key in KEYS:
        with credit.part(f"dL/d{key}", weight=1):
            for (x, W, t), got in zip(cases, results, strict=True):
                _check_gradient(got, key, x=x, W=W, target=t, reference=reference)


@points(3, name="3.1 gradient-descent update on unseen cases and learning rates", part="3.1")
def test_update_unseen(submission, reference, rng, credit):
    """sgd_step() is W - lr * dL/dW for random cases and learning rates."""
    cases = [(*_random_case(rng), float(rng.uniform(0.01, 0.5))) for _ in range(4)]
    results = [submission.sgd_step(x, W, t, lr) for x, W, t, lr in cases]
    owns = [_own_gradients(submission, x, W, t) for x, W, t, _ in cases]
    for key in KEYS:
        with credit.part(key, weight=1):
            for (x, W, t, lr), got, own in zip(cases, results, owns, strict=True):
                _check_update(
                    got, key, x=x, W=W, target=t, lr=lr, reference=reference, own_gradients=own
                )


@points(2, name="3.3 two iterations with rounding in between, on unseen data", part="3.3")
def test_two_iterations_unseen(submission, reference, rng, credit):
    """Step, round the weights to 2 decimals, step again on new data: each weight is right twice.

    The second step is judged from the submission's own rounded weights (error carried
    forward), so a wrong first step is not charged again in the second.
    """
    x1, W, t1 = _random_case(rng)
    x2, _, t2 = _random_case(rng)
    first = submission.sgd_step(x1, W, t1, 0.1)
    check_true(isinstance(first, dict), "sgd_step() must return a dict of the six weights")
    rounded = {key: round(_as_float(first.get(key)), 2) for key in KEYS}
    second = submission.sgd_step(x2, rounded, t2, 0.1)
    want_first = reference.sgd_step(x1, W, t1, 0.1)
    want_second = reference.sgd_step(x2, rounded, t2, 0.1)
    for key in KEYS:
        with credit.part(key, weight=1):
            value = _entry(first, key, "sgd_step")
            check_scalar(value, want_first[key], name=f"{key} after the first step")
            value = _entry(second, key, "sgd_step")
            check_scalar(value, want_second[key], name=f"{key} after the second step")
