"""Reports: built from scores, valid against the shipped schema, invariants enforced."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from grader.report import build_report, validate
from grader.score import CaseInfo, Outcome, score_outcomes

ROOT = Path(__file__).parent.parent


def _report():
    info = CaseInfo(nodeid="x", name="t1", points=2, part="A", visibility="visible",
                    tags=("public",))
    scores = score_outcomes([Outcome(info=info, status="failed", fraction=0.5,
                                     messages=["half"])])
    return build_report(scores=scores, assignment="tiny", status="graded",
                        submission={"path": "s.py", "kind": "py", "sha256": "0" * 64},
                        execution_time=0.5, isolation={"level": "namespaces"},
                        grader_version="0.1.0")


def test_built_report_is_valid_and_gradescope_shaped():
    """A built report passes the schema and has Gradescope's keys."""
    r = _report()
    validate(r)
    assert {"score", "max_score", "execution_time", "output", "visibility", "stdout_visibility",
            "tests"} <= set(r)
    assert r["tests"][0]["status"] == "failed" and r["tests"][0]["score"] == 1.0


@pytest.mark.parametrize("mutate,fragment", [
    (lambda r: r["tests"][0].update(score=5), "out of"),
    (lambda r: r.update(score=99), "is greater than|out of|!="),
    (lambda r: r.update(status="great"), "is not one of"),
    (lambda r: r["tests"][0].update(status="partial"), "is not one of"),
    (lambda r: r.update(unexpected=1), "Additional properties"),
    (lambda r: r.update(execution_time="fast"), "is not of type"),
])
def test_invalid_reports_are_rejected(mutate, fragment):
    """Scores above max, unknown statuses and extra keys are schema errors."""
    r = copy.deepcopy(_report())
    mutate(r)
    with pytest.raises(jsonschema.ValidationError, match=fragment):
        validate(r)


def test_checked_in_sample_report_is_valid():
    """docs/sample-report.json (documented in the README) matches the schema."""
    validate(json.loads((ROOT / "docs" / "sample-report.json").read_text()))
