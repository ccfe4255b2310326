"""reference._cache: results are keyed by exact argument value and handed out as copies."""

from __future__ import annotations

import numpy as np
import pytest

from reference._cache import memoize_by_value, value_key


def _counting():
    """A memoised function that records how often it really ran."""
    calls = []

    @memoize_by_value(maxsize=2)
    def f(x, scale=1.0):
        calls.append(1)
        return {"y": np.asarray(x, dtype=float) * scale, "n": [len(calls)]}

    return f, calls


def test_same_value_is_computed_once():
    """A second call with equal (not identical) arguments is a hit and does not run again."""
    f, calls = _counting()
    a = f(np.arange(3.0), scale=2.0)
    b = f(np.arange(3.0), scale=2.0)
    assert len(calls) == 1
    np.testing.assert_array_equal(a["y"], b["y"])
    assert f.cache_info()["hits"] == 1 and f.cache_info()["misses"] == 1


def test_callers_get_independent_copies():
    """Editing a returned result changes neither the cache nor another caller's result."""
    f, _ = _counting()
    first = f([1.0, 2.0])
    first["y"][0] = 99.0
    first["n"].append(5)
    again = f([1.0, 2.0])
    assert again["y"][0] == 1.0 and again["n"] == [1]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (0.0, -0.0),
        (1.0, 1.0 + 2**-52),
        (np.zeros(3), np.zeros((3, 1))),
        (np.zeros(3), np.zeros(3, dtype=np.float32)),
        (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-15])),
        ({"a": 1.0, "b": 2.0}, {"b": 2.0, "a": 1.0}),
        ([1.0, 2.0], (1.0, 2.0)),
        (True, 1),
    ],
)
def test_values_that_differ_at_all_get_different_keys(left, right):
    """Keys differ for -0.0/0.0, one ulp, shape, dtype, dict order, list/tuple, bool/int."""
    assert value_key(left) != value_key(right)


def test_equal_values_get_equal_keys():
    """Equal arrays, floats given as int or float, and nested containers share a key."""
    assert value_key({"W": np.eye(2), "b": [0.5, 1]}) == value_key({"W": np.eye(2), "b": [0.5, 1]})
    assert value_key(3) == value_key(np.int64(3))


def test_unkeyable_arguments_run_uncached():
    """An argument with no value key (an object) is passed through, computed every time."""
    calls = []

    @memoize_by_value()
    def g(obj):
        calls.append(obj)
        return len(calls)

    token = object()
    assert g(token) == 1 and g(token) == 2


def test_least_recently_used_entry_is_dropped_beyond_maxsize():
    """With maxsize 2, a third distinct argument evicts the oldest one."""
    f, calls = _counting()
    f([1.0])
    f([2.0])
    f([3.0])
    f([2.0])
    assert len(calls) == 3
    f([1.0])
    assert len(calls) == 4


def test_calls_with_a_large_array_run_uncached():
    """An array over MAX_KEY_ARRAY_BYTES (a submission's huge weights) is neither hashed nor kept:
    the call runs each time and the cache stays empty."""
    from reference._cache import MAX_KEY_ARRAY_BYTES

    f, calls = _counting()
    big = np.zeros(MAX_KEY_ARRAY_BYTES // 8 + 1)
    f(big)
    f(big)
    assert len(calls) == 2
    assert f.cache_info()["size"] == 0
    f(np.zeros(MAX_KEY_ARRAY_BYTES // 8))  # at the limit: cached as before
    f(np.zeros(MAX_KEY_ARRAY_BYTES // 8))
    assert len(calls) == 3
