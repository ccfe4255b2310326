"""Pure scoring: outcomes -> points, clamped, with parts; no submission is run here."""

from __future__ import annotations

import math

import pytest

from grader.assignment import Part
from grader.score import CaseInfo, Outcome, clamp, score_outcomes


def _o(points=1.0, status="passed", fraction=None, part="A", messages=()):
    info = CaseInfo(nodeid=f"t{points}{status}", name="t", points=points, part=part,
                    visibility="visible", tags=("hidden",))
    return Outcome(info=info, status=status, fraction=fraction, messages=list(messages))


@pytest.mark.parametrize("outcome,earned,status", [
    (_o(2, "passed"), 2.0, "passed"),
    (_o(2, "failed"), 0.0, "failed"),
    (_o(2, "error"), 0.0, "failed"),
    (_o(2, "skipped"), 0.0, "failed"),
    (_o(3, "failed", fraction=0.5), 1.5, "failed"),
    (_o(3, "passed", fraction=1.0), 3.0, "passed"),
    (_o(3, "failed", fraction=7.0), 3.0, "failed"),    # clamped, and a failed test is failed
    (_o(3, "failed", fraction=-1.0), 0.0, "failed"),
    (_o(3, "failed", fraction=math.nan), 0.0, "failed"),
    (_o(3, "error", fraction=1.0), 0.0, "failed"),     # setup errors earn nothing
    (_o(0, "passed"), 0.0, "passed"),
])
def test_single_outcome_scores(outcome, earned, status):
    """Each status/fraction combination earns the documented points, never above max."""
    s = score_outcomes([outcome])
    assert s.tests[0].score == earned
    assert s.tests[0].status == status
    assert 0 <= s.score <= s.max_score


def test_parts_sum_their_tests_in_assignment_order():
    """Part scores add up their tests, ordered as the assignment lists them."""
    outcomes = [_o(1, "passed", part="B"), _o(2, "failed", fraction=0.5, part="A"),
                _o(4, "passed", part="C")]
    s = score_outcomes(outcomes, [Part("A", "first"), Part("B", "second")])
    assert [(p.id, p.score, p.max_score) for p in s.parts] == \
        [("A", 1.0, 2.0), ("B", 1.0, 1.0), ("C", 4.0, 4.0)]
    assert (s.score, s.max_score) == (6.0, 7.0)


def test_numbers_count_within_part():
    """Test numbers are part-relative: A.1, A.2, B.1."""
    s = score_outcomes([_o(part="A"), _o(part="A"), _o(part="B"), _o(part=None)])
    assert [t.number for t in s.tests] == ["A.1", "A.2", "B.1", "1"]


def test_failed_message_defaults():
    """A failed test always has an output; a passed one keeps only feedback it was given."""
    s = score_outcomes([_o(status="failed"), _o(status="passed"),
                        _o(status="passed", messages=["carried forward from your a5"])])
    assert s.tests[0].output == "this test failed"
    assert s.tests[1].output == ""
    assert s.tests[2].output == "carried forward from your a5"


@pytest.mark.parametrize("value,expected", [(5, 3), (-1, 0), (1.5, 1.5), (math.nan, 0)])
def test_clamp(value, expected):
    """clamp bounds values and maps NaN to the lower bound."""
    assert clamp(value, 0, 3) == expected


def test_thirds_add_up_to_whole_points():
    """Three tests each earning a third of a point total exactly 1, not 0.999999 or 1.000001."""
    s = score_outcomes([_o(1, "failed", fraction=1 / 3, part="A") for _ in range(3)]
                       + [_o(1, "failed", fraction=2 / 3, part="A") for _ in range(3)])
    assert s.score == 3.0
    assert s.parts[0].score == 3.0
