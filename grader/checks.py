"""Checks that assignment tests use on what the submission returned.

Each check looks at the type first, then the shape, then the values, and fails with one message a
student can act on: what was wrong, where, and by how much. Default tolerances: ``rtol=1e-6``,
``atol=1e-8`` (|actual - expected| <= atol + rtol * |expected|, elementwise). NaN never equals
anything, so a diverged submission cannot pass by returning NaN where the reference does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

RTOL = 1e-6
ATOL = 1e-8


class CheckFailed(AssertionError):  # noqa: N818 - reads naturally in tests: raise CheckFailed
    """A check on the submission's result failed; the message is for the student."""


def _as_numeric_array(value: Any, name: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (bool, int, float, complex, list, tuple, np.generic)):
        try:
            arr = np.asarray(value)
        except ValueError:
            raise CheckFailed(f"{name} is a ragged nested list; return a NumPy array") from None
    else:
        raise CheckFailed(f"{name} should be an array of numbers, got {_describe(value)}")
    if arr.dtype.kind not in "biufc":
        raise CheckFailed(f"{name} should hold numbers, got an array of dtype {arr.dtype}")
    return arr


def as_floats(value: Any, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not numbers (or, with ``shape``, not of
    that shape). For test helpers that compare a result with a known wrong answer.

    Shape first, conversion after: a 120 MB boolean array of the wrong shape is rejected as it
    is, never turned into 960 MB of floats in the grader (the trusted side, outside every limit
    the worker has).
    """
    try:
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        if shape is not None and arr.shape != tuple(shape):
            return None
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None


def _describe(value: Any) -> str:
    if value is None:
        return "None (did you forget a return statement?)"
    name = type(value).__name__
    if name == "RemoteObject":
        return repr(value)
    return f"a {name}"


def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.8g}"
    return repr(x)


def check_array(actual: Any, expected: Any, *, name: str = "result", rtol: float = RTOL,
                atol: float = ATOL, shape: tuple[int, ...] | None = None) -> None:
    """``actual`` must have ``expected``'s shape (or ``shape``) and match it elementwise."""
    exp = np.asarray(expected)
    act = _as_numeric_array(actual, name)
    want_shape = tuple(shape) if shape is not None else exp.shape
    if act.shape != want_shape:
        hint = ""
        if act.ndim == 2 and act.shape[::-1] == want_shape:
            hint = " Did you transpose it?"
        elif act.size == int(np.prod(want_shape)):
            hint = " It has the right number of entries; check how you shaped it."
        raise CheckFailed(f"{name} has shape {act.shape}; expected {want_shape}.{hint}")
    if act.dtype.kind == "c" and exp.dtype.kind != "c":
        raise CheckFailed(f"{name} is complex; expected real numbers")
    act_f = act.astype(np.complex128 if act.dtype.kind == "c" else np.float64)
    exp_f = np.broadcast_to(exp.astype(act_f.dtype), want_shape)
    bad_nan = np.isnan(act_f) | np.isnan(exp_f)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(act_f - exp_f)
        tol = atol + rtol * np.abs(exp_f)
        bad = bad_nan | ~(err <= tol)
    if not bad.any():
        return
    with np.errstate(invalid="ignore"):
        excess = np.where(bad_nan, np.inf, np.nan_to_num(err - tol, nan=np.inf))
    worst = np.unravel_index(int(np.argmax(excess)), want_shape) if want_shape else ()
    where = f" at index {tuple(int(i) for i in worst)}" if want_shape else ""
    got, want = act_f[worst], exp_f[worst]
    count = int(bad.sum())
    of = f" ({count} of {bad.size} entries are off)" if bad.size > 1 else ""
    if np.isnan(got):
        raise CheckFailed(f"{name} is NaN{where}{of}; look for a division by zero, log of 0 or an "
                          "overflow")
    raise CheckFailed(f"{name} is wrong{where}: got {_fmt(got)}, expected {_fmt(want)}{of} "
                      f"(tolerance: rtol={rtol:g}, atol={atol:g})")


def check_scalar(actual: Any, expected: float, *, name: str = "result", rtol: float = RTOL,
                 atol: float = ATOL) -> None:
    """``actual`` must be one real number close to ``expected``."""
    if isinstance(actual, (list, tuple)) or (isinstance(actual, np.ndarray) and actual.size != 1):
        shape = np.shape(actual) if not isinstance(actual, np.ndarray) else actual.shape
        raise CheckFailed(f"{name} should be a single number, got an array of shape {shape}")
    if isinstance(actual, bool) or not isinstance(actual, (int, float, np.ndarray, np.generic)):
        raise CheckFailed(f"{name} should be a number, got {_describe(actual)}")
    check_array(np.asarray(actual).reshape(()), np.asarray(expected, dtype=float).reshape(()),
                name=name, rtol=rtol, atol=atol)


def check_true(condition: Any, message: str) -> None:
    """Fail with ``message`` unless ``condition`` is exactly ``True`` (a NumPy bool too)."""
    if not (condition is True or (isinstance(condition, np.bool_) and bool(condition))):
        raise CheckFailed(message)
