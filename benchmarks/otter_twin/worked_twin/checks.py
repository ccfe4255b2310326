"""The checks of mathml_hw4's worked-network tests (sections 3.1 and 3.3), for Otter-Grader.

Each public function here is one part (one ``credit.part``) of one test in
``problems/mathml_hw4/tests/{public,hidden}/test_3_worked_network*.py``: it takes the global
namespace the submission left in Otter's kernel, calls the submission's function on the same inputs,
compares with the same tolerance (|got - want| <= 1e-8 + 1e-6 |want|, NaN never equal) and raises
AssertionError with the same message when it fails. An Otter OK test case is one call to one of
them. Expected values come from ``reference.py`` beside this file, which ``benchmarks/otter.py``
extracts from ``reference/mathml_hw4.py`` when it builds the autograder, and the unseen cases are
drawn from generators seeded exactly as our ``rng`` fixture seeds them, so both graders see the same
numbers.

Runs inside Otter's kernel, next to the submission: standard library, NumPy and ``reference`` only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import reference

ASSIGNMENT = "mathml_hw4"
KEYS = ("W13", "W14", "W23", "W24", "W35", "W45")
FORWARD_KEYS = ("z3", "z4", "a3", "a4", "a5")
RTOL = 1e-6
ATOL = 1e-8

# Section 3.1: the homework's initial weights, inputs and target; section 3.3 starts from the
# weight table handed out after 3.1 (as the public tests do).
W_START = {"W13": 1.0, "W14": -1.0, "W23": 2.0, "W24": -3.0, "W35": 2.0, "W45": -1.0}
X_START = [1.0, -1.0]
TARGET_START = 1.0
W_SECOND = {"W13": 1.11, "W14": -1.02, "W23": 1.88, "W24": -2.98, "W35": 2.08, "W45": -0.73}
X_SECOND = [2.0, -2.0]
TARGET_SECOND = 2.0
LR = 0.1

Namespace = Mapping[str, Any]


# -- helpers shared by every check ---------------------------------------------------------------
def rng(test: str) -> np.random.Generator:
    """The generator our ``rng`` fixture gives test function ``test`` of this assignment."""
    key = f"{ASSIGNMENT}:{test}".encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def _function(ns: Namespace, name: str) -> Callable[..., Any]:
    """The submission's function ``name``, failing as our loader does when it is missing."""
    fn = ns.get(name)
    if not callable(fn):
        raise AssertionError(f"the submission defines no function {name}()")
    return fn


def _as_float(value: object) -> float:
    """``value`` as a float, or NaN when it is not a real number (NaN never compares equal)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _close(got: object, want: float) -> bool:
    """True when ``got`` is a real number within the default tolerances of ``want``."""
    return math.isclose(_as_float(got), want, rel_tol=1e-6, abs_tol=1e-8)


def check_true(condition: object, message: str) -> None:
    """Fail with ``message`` unless ``condition`` is exactly True (a NumPy bool too)."""
    if not (condition is True or (isinstance(condition, np.bool_) and bool(condition))):
        raise AssertionError(message)


def check_scalar(actual: object, expected: float, *, name: str) -> None:
    """``actual`` must be one real number with |actual - expected| <= ATOL + RTOL |expected|."""
    if isinstance(actual, (list, tuple)) or (isinstance(actual, np.ndarray) and actual.size != 1):
        raise AssertionError(f"{name} should be a single number, got shape {np.shape(actual)}")
    if isinstance(actual, bool) or not isinstance(actual, (int, float, np.ndarray, np.generic)):
        raise AssertionError(f"{name} should be a number, got a {type(actual).__name__}")
    arr = np.asarray(actual).reshape(())
    if arr.dtype.kind not in "biuf":
        raise AssertionError(f"{name} should be a real number, got dtype {arr.dtype}")
    got = float(arr)
    if math.isnan(got) or math.isnan(expected):
        raise AssertionError(f"{name} is NaN; look for a division by zero, log of 0 or an overflow")
    if not abs(got - expected) <= ATOL + RTOL * abs(expected):
        raise AssertionError(f"{name} is wrong: got {got:.8g}, expected {expected:.8g} "
                             f"(tolerance: rtol={RTOL:g}, atol={ATOL:g})")


def _entry(result: object, key: str, function: str) -> object:
    """``result[key]``, failing with a clear message when the result is not such a dict."""
    check_true(isinstance(result, dict),
               f"{function}() must return a dict; got {type(result).__name__}")
    assert isinstance(result, dict)
    check_true(key in result, f"{function}() returned no '{key}' entry (keys: {sorted(result)})")
    return result[key]


def _random_case(gen: np.random.Generator) -> tuple[np.ndarray, dict[str, float], float]:
    """Inputs as a NumPy array, weights and target at unit scale (as the hidden tests draw them)."""
    x = gen.normal(scale=1.5, size=2)
    W = {key: float(v) for key, v in zip(KEYS, gen.normal(scale=1.5, size=6), strict=True)}
    return x, W, float(gen.normal(scale=2.0))


def _extreme_cases(gen: np.random.Generator) -> list[tuple[list[float], dict[str, float], float]]:
    """All-zero weights, and pre-activations around +-40 to +-55 where sigmoid and tanh saturate."""
    zero = {key: 0.0 for key in KEYS}
    x0 = [float(v) for v in gen.normal(size=2)]
    big = {"W13": 10.0, "W23": -8.0, "W14": -9.0, "W24": 6.0, "W35": 1.5, "W45": -2.0}
    big2 = {"W13": -12.0, "W23": 9.5, "W14": 8.0, "W24": -7.0, "W35": -2.5, "W45": 1.25}
    return [
        (x0, zero, float(gen.normal(scale=2.0))),
        ([2.5, -3.0], big, 1.5),
        ([2.0, -3.0], big2, -0.5),
    ]


def _tanh_slope_mistake(x, W, target) -> dict[str, float]:
    """dL/dW14 and dL/dW24 when tanh'(z) is written as 1 - tanh(z) instead of 1 - tanh(z)^2."""
    f = reference.forward(x, W)
    d4 = -2.0 * (target - f["a5"]) * W["W45"] * (1.0 - f["a4"])
    return {"W14": d4 * x[0], "W24": d4 * x[1]}


def _check_gradient(got: object, key: str, *, x, W, target) -> None:
    """Check one gradient, naming the mistake when it is a known one."""
    want = reference.gradients(x, W, target)
    value = _entry(got, key, "gradients")
    if not _close(value, want[key]):
        wrong = _tanh_slope_mistake(x, W, target)
        if key in wrong and _close(value, wrong[key]):
            check_true(False, "this uses tanh'(z) = 1 - tanh(z), but the derivative of tanh is "
                              "1 - tanh(z)^2: fix the node-4 factor shared by dL/dW14 and dL/dW24")
        if _close(value, -want[key]):
            check_true(False, "the sign is wrong: dL/da5 = -2 (target - a5)")
        if _close(value, want[key] / 2):
            check_true(False, "this is half the right value: the loss has no 1/2 factor, "
                              "so dL/da5 = -2 (target - a5)")
    check_scalar(value, want[key], name=f"dL/d{key}")


def _own_gradients(ns: Namespace, x, W, target) -> object:
    """The submission's own gradients, only to explain a wrong update; None if they fail."""
    try:
        return _function(ns, "gradients")(x, W, target)
    except Exception:  # noqa: BLE001 - the update is graded on its own
        return None


def _check_update(got: object, key: str, *, x, W, target, lr, own_gradients) -> None:
    """Check one updated weight; when wrong, say whether the rule or the gradient is at fault."""
    want = reference.sgd_step(x, W, target, lr)
    value = _entry(got, key, "sgd_step")
    if not _close(value, want[key]):
        g = reference.gradients(x, W, target)
        if _close(value, W[key] + lr * g[key]):
            check_true(False, "the weight moved uphill: the update is W - lr * dL/dW, "
                              "not W + lr * dL/dW")
        if isinstance(own_gradients, dict) and _close(
            value, W[key] - lr * _as_float(own_gradients.get(key))
        ):
            check_true(False, f"this is W - lr * (your dL/d{key}): the update rule is right, "
                              f"but your dL/d{key} is wrong (see the gradient tests)")
    check_scalar(value, want[key], name=f"{key} after one step")


# -- public tests (tests/public/test_3_worked_network.py) ----------------------------------------
def forward_seed(ns: Namespace, key: str) -> None:
    """test_forward_seed, part ``key``: forward() on the homework's initial weights."""
    got = _function(ns, "forward")(X_START, W_START)
    check_scalar(_entry(got, key, "forward"), reference.forward(X_START, W_START)[key], name=key)


def loss_seed(ns: Namespace) -> None:
    """test_loss_seed: loss() of the homework's first prediction."""
    a5 = reference.forward(X_START, W_START)["a5"]
    want = reference.loss(a5, TARGET_START)
    got = _function(ns, "loss")(a5, TARGET_START)
    if _close(got, want / 2):
        check_true(False, "loss is half the right value: this loss is (target - a5)^2, no 1/2")
    check_scalar(got, want, name="loss")


def gradients_seed(ns: Namespace, key: str) -> None:
    """test_gradients_seed, part dL/d``key``."""
    got = _function(ns, "gradients")(X_START, W_START, TARGET_START)
    _check_gradient(got, key, x=X_START, W=W_START, target=TARGET_START)


def update_seed(ns: Namespace, key: str) -> None:
    """test_update_seed, part ``key``: one step with lr 0.1."""
    got = _function(ns, "sgd_step")(X_START, W_START, TARGET_START, LR)
    own = _own_gradients(ns, X_START, W_START, TARGET_START)
    _check_update(got, key, x=X_START, W=W_START, target=TARGET_START, lr=LR, own_gradients=own)


def second_iteration_forward(ns: Namespace, part: str) -> None:
    """test_second_iteration_forward, part ``a5`` or ``loss``."""
    a5 = reference.forward(X_SECOND, W_SECOND)["a5"]
    if part == "a5":
        got = _function(ns, "forward")(X_SECOND, W_SECOND)
        check_scalar(_entry(got, "a5", "forward"), a5, name="a5 (second iteration)")
    else:
        got = _function(ns, "loss")(a5, TARGET_SECOND)
        check_scalar(got, reference.loss(a5, TARGET_SECOND), name="loss (second iteration)")


def second_iteration_gradients(ns: Namespace, key: str) -> None:
    """test_second_iteration_gradients, part dL/d``key``."""
    got = _function(ns, "gradients")(X_SECOND, W_SECOND, TARGET_SECOND)
    _check_gradient(got, key, x=X_SECOND, W=W_SECOND, target=TARGET_SECOND)


def second_iteration_update(ns: Namespace, key: str) -> None:
    """test_second_iteration_update, part ``key``."""
    got = _function(ns, "sgd_step")(X_SECOND, W_SECOND, TARGET_SECOND, LR)
    own = _own_gradients(ns, X_SECOND, W_SECOND, TARGET_SECOND)
    _check_update(got, key, x=X_SECOND, W=W_SECOND, target=TARGET_SECOND, lr=LR, own_gradients=own)


# -- hidden tests (tests/hidden/test_3_worked_network_hidden.py) ---------------------------------
def forward_unseen(ns: Namespace, key: str) -> None:
    """test_forward_unseen, part ``key``: four random cases, NumPy-array inputs."""
    gen = rng("test_forward_unseen")
    cases = [_random_case(gen) for _ in range(4)]
    forward = _function(ns, "forward")
    for (x, W, _), got in zip(cases, [forward(x, W) for x, W, _ in cases], strict=True):
        check_scalar(_entry(got, key, "forward"), reference.forward(x, W)[key], name=key)


def forward_extremes(ns: Namespace, index: int) -> None:
    """test_forward_extremes, part ``case index+1``: zero weights or saturated units."""
    x, W, _ = _extreme_cases(rng("test_forward_extremes"))[index]
    got = _function(ns, "forward")(x, W)
    want = reference.forward(x, W)
    for key in FORWARD_KEYS:
        value = _entry(got, key, "forward")
        check_true(math.isfinite(_as_float(value)),
                   f"{key} is {value!r} for a pre-activation around 50: compute sigmoid and "
                   f"tanh so that they do not overflow")
        check_scalar(value, want[key], name=key)


def loss_unseen(ns: Namespace) -> None:
    """test_loss_unseen: (target - prediction)^2 on random pairs and one exact hit."""
    gen = rng("test_loss_unseen")
    pairs = [(float(p), float(t)) for p, t in gen.normal(scale=3.0, size=(5, 2))]
    pairs.append((2.5, 2.5))
    loss = _function(ns, "loss")
    for prediction, target in pairs:
        check_scalar(loss(prediction, target), reference.loss(prediction, target), name="loss")


def gradients_unseen(ns: Namespace, key: str) -> None:
    """test_gradients_unseen, part dL/d``key``: four random cases."""
    gen = rng("test_gradients_unseen")
    cases = [_random_case(gen) for _ in range(4)]
    gradients = _function(ns, "gradients")
    for (x, W, t), got in zip(cases, [gradients(x, W, t) for x, W, t in cases], strict=True):
        _check_gradient(got, key, x=x, W=W, target=t)


def gradients_extremes(ns: Namespace, key: str) -> None:
    """test_gradients_extremes, part dL/d``key``: zero weights and saturated units."""
    cases = _extreme_cases(rng("test_gradients_extremes"))
    gradients = _function(ns, "gradients")
    for (x, W, t), got in zip(cases, [gradients(x, W, t) for x, W, t in cases], strict=True):
        _check_gradient(got, key, x=x, W=W, target=t)


def update_unseen(ns: Namespace, key: str) -> None:
    """test_update_unseen, part ``key``: four random cases and learning rates."""
    gen = rng("test_update_unseen")
    cases = [(*_random_case(gen), float(gen.uniform(0.01, 0.5))) for _ in range(4)]
    sgd_step = _function(ns, "sgd_step")
    results = [sgd_step(x, W, t, lr) for x, W, t, lr in cases]
    owns = [_own_gradients(ns, x, W, t) for x, W, t, _ in cases]
    for (x, W, t, lr), got, own in zip(cases, results, owns, strict=True):
        _check_update(got, key, x=x, W=W, target=t, lr=lr, own_gradients=own)


def two_iterations_unseen(ns: Namespace, key: str) -> None:
    """test_two_iterations_unseen, part ``key``: step, round to 2 decimals, step again; the second
    step is judged from the submission's own rounded weights (error carried forward)."""
    gen = rng("test_two_iterations_unseen")
    x1, W, t1 = _random_case(gen)
    x2, _, t2 = _random_case(gen)
    sgd_step = _function(ns, "sgd_step")
    first = sgd_step(x1, W, t1, 0.1)
    check_true(isinstance(first, dict), "sgd_step() must return a dict of the six weights")
    rounded = {k: round(_as_float(first.get(k)), 2) for k in KEYS}
    second = sgd_step(x2, rounded, t2, 0.1)
    check_scalar(_entry(first, key, "sgd_step"), reference.sgd_step(x1, W, t1, 0.1)[key],
                 name=f"{key} after the first step")
    check_scalar(_entry(second, key, "sgd_step"), reference.sgd_step(x2, rounded, t2, 0.1)[key],
                 name=f"{key} after the second step")
