"""Check helpers: shape and type first, then the worst element; NaN is never equal."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import CheckFailed, check_array, check_scalar, check_true


def test_equal_arrays_pass_within_default_tolerance():
    """Values within rtol=1e-6 pass."""
    check_array(np.ones(3) * (1 + 1e-7), np.ones(3))


def test_shape_is_checked_before_values_with_transpose_hint():
    """A transposed result is reported as a shape problem with a hint."""
    with pytest.raises(CheckFailed, match=r"shape \(3, 2\); expected \(2, 3\)\. Did you transpose"):
        check_array(np.zeros((3, 2)), np.zeros((2, 3)), name="W1")


def test_worst_element_reported_with_index_and_count():
    """The message names the worst element, its index, and how many entries are off."""
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[1, 2] = 5.0
    actual[0, 0] = 0.1
    with pytest.raises(CheckFailed, match=r"at index \(1, 2\): got 5, expected 0 \(2 of 6"):
        check_array(actual, expected, name="grad")


def test_nan_never_equals_nan():
    """A NaN result fails even where the expected value is NaN."""
    with pytest.raises(CheckFailed, match="NaN"):
        check_array(np.array([np.nan]), np.array([np.nan]))


def test_none_result_hints_at_missing_return():
    """None gets a hint about a missing return statement."""
    with pytest.raises(CheckFailed, match="forget a return"):
        check_array(None, np.zeros(2))


def test_non_numeric_array_refused():
    """Arrays of strings are not numbers."""
    with pytest.raises(CheckFailed, match="should hold numbers"):
        check_array(np.array(["a"]), np.zeros(1))


def test_scalar_checks():
    """check_scalar accepts numbers and 1-element arrays; refuses vectors and bools."""
    check_scalar(2.0, 2.0)
    check_scalar(np.array([2.0]), 2.0)
    with pytest.raises(CheckFailed, match="single number"):
        check_scalar(np.zeros(3), 0.0)
    with pytest.raises(CheckFailed, match="should be a number"):
        check_scalar(True, 1.0)
    with pytest.raises(CheckFailed, match="got 3, expected 2"):
        check_scalar(3, 2, name="x")


def test_check_true_requires_a_real_true():
    """Truthy non-bools (a lying object, a non-empty list) do not count as True."""
    check_true(True, "m")
    check_true(np.bool_(True), "m")
    for value in ([1], 1, "yes", np.array([True, True])):
        with pytest.raises(CheckFailed, match="m"):
            check_true(value, "m")
