"""Scores -> the JSON report. Pure functions plus schema validation.

The report is a superset of Gradescope's ``results.json``: Gradescope's keys at the top level and
per test, plus ours (assignment, submission, grader version, status, isolation, parts, details
for the instructor). ``grader/schema/report.schema.json`` is the contract; every report is
validated against it before it is written.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from grader import text
from grader.score import Scores

SCHEMA_VERSION = 1


def build_report(*, scores: Scores, assignment: str, status: str, submission: dict[str, Any],
                 execution_time: float, isolation: dict[str, Any], message: str = "",
                 notes: list[str] | None = None, instructor: dict[str, Any] | None = None,
                 grader_version: str, public_only: bool = False) -> dict[str, Any]:
    """The report for one submission (plain JSON-able dict).

    Every string in it is valid Unicode, and student-derived text is held to the budgets of
    ``grader.text`` (per test, per report, instructor section): here, in one place, whatever
    the caller passes. The budgets count characters; a report whose JSON is still over
    ``text.MAX_REPORT_CHARS`` (text made of characters JSON escapes to six each) is built again
    with every budget divided by 4, until it fits.
    """
    args: dict[str, Any] = {
        "scores": scores, "assignment": assignment, "status": status, "submission": submission,
        "execution_time": execution_time, "isolation": isolation, "message": message,
        "notes": list(notes or ()), "instructor": instructor or {},
        "grader_version": grader_version, "public_only": public_only}
    for shrink in (1, 4, 16, 64, 256):
        report = _assemble(shrink=shrink, **args)
        if len(json.dumps(report)) <= text.MAX_REPORT_CHARS:
            break
    return report


def _assemble(*, scores: Scores, assignment: str, status: str,
              submission: dict[str, Any], execution_time: float, isolation: dict[str, Any],
              message: str, notes: list[str], instructor: dict[str, Any], grader_version: str,
              public_only: bool, shrink: int) -> dict[str, Any]:
    """The report, with every text budget divided by ``shrink``."""
    lines = [f"Score: {_num(scores.score)} / {_num(scores.max_score)}"]
    if message:
        lines.append(text.cut(message, text.TEST_CHARS // shrink))
    for note in text.bound_notes(notes, text.NOTE_CHARS // shrink):
        lines.append(f"Note: {note}")
    if public_only:
        lines.append("Only the public tests were run; the final grade also uses hidden tests.")
    outputs = _bounded_outputs([t.output for t in scores.tests], shrink)
    submission = dict(submission)
    if isinstance(submission.get("notes"), list):
        submission["notes"] = text.bound_notes(submission["notes"], text.NOTE_CHARS // shrink)
    report = {
        "score": scores.score,
        "max_score": scores.max_score,
        "execution_time": round(execution_time, 3),
        "output": "\n".join(lines),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": t.name, "number": t.number, "score": t.score, "max_score": t.max_score,
                "status": t.status, "output": output, "visibility": t.visibility,
                "tags": list(t.tags), **({"part": t.part} if t.part else {}),
            }
            for t, output in zip(scores.tests, outputs, strict=True)
        ],
        "schema_version": SCHEMA_VERSION,
        "assignment": assignment,
        "status": status,
        "submission": submission,
        "grader_version": grader_version,
        "isolation": isolation,
        "parts": [
            {"id": p.id, "title": p.title, "score": p.score, "max_score": p.max_score,
             "passed": p.passed, "tests": p.tests}
            for p in scores.parts
        ],
        "public_only": public_only,
        "instructor": {},
    }
    # Everything else (names, paths, ids) cleaned and held to a size of its own, then the
    # instructor section to its budget: tracebacks keep their ends.
    report = text.clean_tree(report, text.INSTRUCTOR_STRING_CHARS // shrink)
    report["instructor"] = text.bound_tree(instructor, text.INSTRUCTOR_CHARS // shrink,
                                           text.INSTRUCTOR_STRING_CHARS // shrink)
    return dict(report)


def _bounded_outputs(outputs: list[str], shrink: int = 1) -> list[str]:
    """Each test's output within ``TEST_CHARS`` and all of them within ``REPORT_CHARS``; a test
    after the report's budget is spent keeps ``FLOOR_CHARS`` (the start of why it failed)."""
    left = text.REPORT_CHARS // shrink
    out = []
    for output in outputs:
        kept = text.cut(output, max(min(text.TEST_CHARS // shrink, left),
                                    text.FLOOR_CHARS // shrink))
        left -= len(kept)
        out.append(kept)
    return out


def _num(x: float) -> str:
    return f"{x:g}"


@functools.cache
def schema() -> dict[str, Any]:
    """The report's JSON Schema (shipped in the package)."""
    text = resources.files("grader").joinpath("schema/report.schema.json").read_text()
    return dict(json.loads(text))


def _inline_refs(node: Any, root: dict[str, Any]) -> Any:
    """The schema with its local ``#/$defs/...`` references replaced by what they name: resolving
    a reference for every test of every report was a third of validation's time."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline_refs(root["$defs"][ref.rsplit("/", 1)[1]], root)
        return {k: _inline_refs(v, root) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, root) for v in node]
    return node


@functools.cache
def _validator() -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(_inline_refs(schema(), schema()))


def validate(report: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``report`` matches the schema, and check the
    invariants a schema cannot express (scores within bounds, totals add up)."""
    import jsonschema

    # One validator for the process: jsonschema.validate() would rebuild it (and re-check the
    # schema) on every call, which cost more than grading a small submission.
    if not _validator().is_valid(report):
        raise jsonschema.exceptions.best_match(_validator().iter_errors(report))
    for t in report["tests"]:
        if not 0 <= t["score"] <= t["max_score"]:
            raise jsonschema.ValidationError(f"test {t['name']!r} score out of [0, max_score]")
    if not 0 <= report["score"] <= report["max_score"]:
        raise jsonschema.ValidationError("score out of [0, max_score]")
    total = round(sum(t["score"] for t in report["tests"]), 4)
    if abs(total - report["score"]) > 1e-4:
        raise jsonschema.ValidationError(f"score {report['score']} != sum of tests {total}")


def to_json(report: dict[str, Any]) -> str:
    """Serialise a report (stable key order as built, two-space indent).

    The text returned can always be encoded as UTF-8: a report built elsewhere than
    ``build_report`` (by a batch's failure path, say) with a lone surrogate in it is cleaned
    here rather than failing when written.
    """
    out = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        out = json.dumps(text.clean_tree(report, len(out)), indent=2, ensure_ascii=False,
                         allow_nan=False) + "\n"
    return out
