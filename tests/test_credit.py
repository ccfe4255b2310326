"""Partial credit within a test is never overstated: an unexpected exception inside a part costs
that part only, and a test stopped outside its parts earns nothing (the parts after the stop
never ran, so the fraction of those recorded would overstate it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.api import grade

TEST = '''
from grader import check_true, points


def _as_float(value):
    return float(value)  # an int of 400 digits raises OverflowError here


@points(6, name="three parts")
def test_parts(submission, credit):
    got = submission.values()
    for key in ("a", "b", "c"):
        with credit.part(key, weight=1):
            check_true(abs(_as_float(got[key]) - 1.0) < 1e-9, f"{key} is wrong")


@points(4, name="a call between parts")
def test_between(submission, credit):
    with credit.part("first", weight=1):
        check_true(submission.first() == 1, "first is wrong")
    second = submission.second()  # outside any part: if this raises, the test stops here
    with credit.part("second", weight=1):
        check_true(second == 2, "second is wrong")
'''


@pytest.fixture
def assignment(tiny_with) -> Path:
    return tiny_with("hidden/test_credit_parts.py", TEST)


def _scores(report: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in report["tests"]}


def _messages(report: dict, name: str) -> str:
    return next(t["output"] for t in report["tests"] if t["name"] == name)


def test_honest_submission_earns_every_part(assignment, write_sub):
    """The control: all parts right, full marks."""
    sub = write_sub("def values(): return {'a': 1.0, 'b': 1, 'c': 1.0}\n"
                    "def first(): return 1\ndef second(): return 2\n", "tiny.py")
    assert _scores(grade(assignment, sub)) == {"three parts": 6.0, "a call between parts": 4.0}


def test_overflow_inside_a_part_costs_only_that_part(assignment, write_sub):
    """A value that makes the check itself raise (an int too large for a float) fails its part;
    the other parts still count: 2 of 3 parts right is 4 of 6 points, not 6."""
    sub = write_sub("def values(): return {'a': 1.0, 'b': 10**400, 'c': 1.0}\n"
                    "def first(): return 1\ndef second(): return 2\n", "tiny.py")
    report = grade(assignment, sub)
    assert _scores(report)["three parts"] == 4.0
    assert ("b: the test could not use your result (OverflowError: int too large to convert "
            "to float)") in _messages(report, "three parts")


def test_test_stopped_between_parts_earns_nothing(assignment, write_sub):
    """A submission call that fails outside any part, after a passed part, scores the test 0
    (it scored full marks when only the recorded parts counted)."""
    sub = write_sub("def values(): return {'a': 1.0, 'b': 1.0, 'c': 1.0}\n"
                    "def first(): return 1\ndef second(): raise RuntimeError('boom')\n",
                    "tiny.py")
    report = grade(assignment, sub)
    assert _scores(report) == {"three parts": 6.0, "a call between parts": 0.0}
    assert "calling `second` raised RuntimeError: boom" in _messages(report,
                                                                    "a call between parts")
