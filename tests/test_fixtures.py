"""The fixtures graded tests use: ``rng`` is seeded from the assignment and the test's name (the
same inputs on every run and for every submission), ``credit`` belongs to its own test, and
``submission`` is each student's own module."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.api import grade_many

TEST = '''
import numpy as np

from grader import check_true, points
from grader.plugin import rng_for


@points(1, name="rng is seeded from the test's name")
def test_seeded(rng):
    check_true(np.array_equal(rng.normal(size=4), rng_for("tiny", "test_seeded").normal(size=4)),
               "rng is not the documented generator")


@points(1, name="rng differs between tests")
def test_other(rng):
    check_true(not np.array_equal(rng.normal(size=4),
                                  rng_for("tiny", "test_seeded").normal(size=4)),
               "two tests got the same generator")


@points(2, name="credit is per test")
def test_credit(submission, credit):
    with credit.part("one", weight=1):
        check_true(submission.value() == 1, "value is not 1")
    with credit.part("two", weight=1):
        check_true(False, "always fails")
'''


@pytest.fixture
def assignment(tiny_with) -> Path:
    return tiny_with("public/test_fixtures_here.py", TEST)


def test_fixtures_give_each_test_and_submission_its_own(assignment, tmp_path):
    """Over three submissions in one session: rng is the documented generator for each test,
    credit counts per test (1 of 2 parts: 1 point), and each submission answers for itself."""
    subs = []
    for i, value in enumerate([1, 2, 1]):
        path = tmp_path / f"s{i}" / "tiny.py"
        path.parent.mkdir()
        path.write_text(f"def value(): return {value}\n")
        subs.append(path)
    reports = grade_many(assignment, subs)
    scores = [{t["name"]: t["score"] for t in r["tests"]} for r in reports]
    assert scores == [
        {"rng is seeded from the test's name": 1.0, "rng differs between tests": 1.0,
         "credit is per test": 1.0},
        {"rng is seeded from the test's name": 1.0, "rng differs between tests": 1.0,
         "credit is per test": 0.0},
        {"rng is seeded from the test's name": 1.0, "rng differs between tests": 1.0,
         "credit is per test": 1.0},
    ]
