"""A test that stops on an unexpected exception: the student reads what went wrong in plain
words, the instructor gets the traceback through the test's own lines, and a test that cannot
even be set up marks the grade as the grader's problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.api import grade

TEST = '''
import pytest

from grader import points


@points(1, name="adds one")
def test_add(submission):
    total = submission.value() + 1
    assert total == 2, "value() + 1 is not 2"


@pytest.fixture
def table():
    raise ValueError("the data table is missing")


@points(1, name="uses the table")
def test_table(submission, table):
    assert submission.value() == table
'''


@pytest.fixture
def assignment(tiny_with) -> Path:
    return tiny_with("hidden/test_errors_here.py", TEST)


def _test(report: dict, name: str) -> dict:
    return next(t for t in report["tests"] if t["name"] == name)


def test_exception_in_the_test_code(assignment, write_sub):
    """value() returns a str, so the test's own `+ 1` raises TypeError: 0 points, the message
    names the exception, and the instructor's detail is the traceback down to the test's line."""
    report = grade(assignment, write_sub("def value(): return '1'\n", "tiny.py"))
    test = _test(report, "adds one")
    assert test["score"] == 0.0
    assert test["output"] == (
        'the test could not use your result (TypeError: can only concatenate str (not "int") '
        "to str); check the type and structure of what your function returns")
    detail = report["instructor"]["tests"][test["name"]]
    assert detail.startswith("Traceback (most recent call last):")
    assert 'test_errors_here.py", line 9, in test_add' in detail
    assert "total = submission.value() + 1" in detail
    assert detail.rstrip().endswith('TypeError: can only concatenate str (not "int") to str')
    assert "_pytest" not in detail and "pluggy" not in detail  # the test's frames only


def test_fixture_that_cannot_be_set_up(assignment, write_sub):
    """A broken fixture is the assignment's fault: the test scores 0 with a message that says
    so, the grade is marked internal-error, and the instructor sees the fixture's exception."""
    report = grade(assignment, write_sub("def value(): return 1\n", "tiny.py"))
    assert report["status"] == "internal-error"
    assert _test(report, "adds one")["score"] == 1.0
    test = _test(report, "uses the table")
    assert test["score"] == 0.0
    assert test["output"] == ("this test could not be set up (a problem in the grader or the "
                              "test, not in your code); your instructor can see why")
    detail = report["instructor"]["tests"][test["name"]]
    assert detail.rstrip().endswith("ValueError: the data table is missing")
    assert 'line 15, in table' in detail
