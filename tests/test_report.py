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


def _scored(messages_per_test: list[list[str]]):
    outcomes = [Outcome(info=CaseInfo(nodeid=f"n{i}", name=f"t{i}", points=1, part="A",
                                      visibility="visible", tags=("public",)),
                        status="failed", messages=m)
                for i, m in enumerate(messages_per_test)]
    return score_outcomes(outcomes)


def _build(scores, **kw):
    args = {"assignment": "tiny", "status": "graded",
            "submission": {"path": "s.py", "kind": "py", "sha256": "0" * 64},
            "execution_time": 0.5, "isolation": {"level": "namespaces"},
            "grader_version": "0.1.0", **kw}
    return build_report(scores=scores, **args)


def test_lone_surrogates_anywhere_still_give_a_utf8_report():
    """A surrogate in a message, a note, a path, the instructor section (key or value): the
    report is valid, and its JSON encodes as UTF-8 with each surrogate as its escape."""
    from grader.report import to_json

    report = _build(_scored([["raised ValueError: \ud800"]]), message="bad \udfff",
                    notes=["note \ud800"],
                    submission={"path": "s\udcff.py", "kind": "py", "sha256": "0" * 64},
                    instructor={"tests": {"t0\ud800": "Traceback \ud800"}})
    validate(report)
    data = to_json(report).encode("utf-8")
    back = json.loads(data)
    assert back["tests"][0]["output"] == "raised ValueError: \\ud800"
    assert "bad \\udfff" in back["output"] and "Note: note \\ud800" in back["output"]
    assert back["submission"]["path"] == "s\\udcff.py"
    assert back["instructor"]["tests"] == {"t0\\ud800": "Traceback \\ud800"}


def test_to_json_cleans_a_report_built_elsewhere():
    """A report dict that never went through build_report (a batch's failure report, say) with
    a surrogate in it still serialises to text that encodes as UTF-8."""
    from grader.report import to_json

    out = to_json({"output": "x\ud800", "tests": []})
    assert json.loads(out.encode("utf-8")) == {"output": "x\\ud800", "tests": []}


def test_each_test_and_the_whole_report_are_held_to_their_budgets():
    """A test's text is cut at TEST_CHARS with a marker; over many tests, the report's student
    text stays near REPORT_CHARS, each later test keeping FLOOR_CHARS."""
    from grader import text

    huge = "y" * 1_000_000
    report = _build(_scored([[huge]] * 200))
    validate(report)
    first = report["tests"][0]["output"]
    assert first == "y" * text.TEST_CHARS + f"\n[... {1_000_000 - text.TEST_CHARS} more " \
        "characters cut]"
    last = report["tests"][-1]["output"]
    assert last == "y" * text.FLOOR_CHARS + f"\n[... {1_000_000 - text.FLOOR_CHARS} more " \
        "characters cut]"
    total = sum(len(t["output"]) for t in report["tests"])
    assert total < text.REPORT_CHARS + 200 * (text.FLOOR_CHARS + 40)
    assert len(json.dumps(report)) < 2_000_000


def test_notes_and_the_instructor_section_are_bounded():
    """Thousands of notes and a megabyte of instructor detail per test: the report stays
    under its fixed size, the cuts marked."""
    from grader import text

    report = _build(_scored([["m"]] * 3), notes=["magic line"] * 10_000,
                    submission={"path": "s.py", "kind": "py", "sha256": "0" * 64,
                                "notes": ["magic line"] * 10_000},
                    instructor={"stdout": "o" * 5_000_000,
                                "tests": {f"t{i}": "T" * 1_000_000 for i in range(3)}})
    validate(report)
    assert report["output"].count("Note: magic line") == text.MAX_NOTES
    assert "[... 9950 more notes cut]" in report["output"]
    assert report["submission"]["notes"][-1] == "[... 9950 more notes cut]"
    assert report["instructor"]["stdout"].startswith("[... 4900000 more characters cut]\n")
    assert len(json.dumps(report)) < 1_000_000


def test_text_that_json_escapes_six_fold_still_fits():
    """Control characters (six characters each in JSON) and astral characters everywhere a
    student's text can be: the budgets shrink until the report's JSON is under its maximum."""
    from grader import text

    nasty = "\x01\U0001f600" * 500_000
    report = _build(_scored([[nasty]] * 100), message=nasty, notes=[nasty] * 100,
                    submission={"path": "s.py", "kind": "py", "sha256": "0" * 64,
                                "notes": [nasty] * 100},
                    instructor={"stdout": nasty, "tests": {f"t{i}": nasty for i in range(100)}})
    validate(report)
    assert len(json.dumps(report)) <= text.MAX_REPORT_CHARS
    assert len(json.dumps(report, ensure_ascii=False).encode("utf-8")) <= text.MAX_REPORT_CHARS
    assert report["tests"][0]["output"].endswith("more characters cut]")
