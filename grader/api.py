"""The Python API course scripts call: ``grade(...)`` returns a validated report dict."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignment import Assignment, resolve
from grader.errors import LoadError
from grader.load import Submission, load_submission
from grader.report import build_report, validate
from grader.run import RunResult, grade_submission, run_pytest
from grader.score import score_outcomes


def grade(assignment: str | Path | Assignment, submission: str | Path, *,
          public_only: bool = False, namespaces: bool = True,
          extra_hide: tuple[str, ...] = ()) -> dict[str, Any]:
    """Grade one submission and return its report (already validated against the schema).

    ``assignment``: a name under ``problems/``, a folder, or an ``Assignment``.
    ``public_only``: run only the public tests (what ``grader check`` does).
    ``namespaces``: allow Linux namespaces for the worker (``False`` forces process limits only).
    ``extra_hide``: more folders the submission must not see (e.g. a batch's other submissions).

    A broken or hostile submission never raises here: it gets a report with status and message.
    """
    started = time.monotonic()
    a = assignment if isinstance(assignment, Assignment) else resolve(assignment)
    try:
        sub = load_submission(submission, module=a.module)
    except LoadError as exc:
        return _load_error_report(a, Path(submission), str(exc), started, public_only)
    run = grade_submission(a, sub, public_only=public_only, extra_hide=extra_hide,
                           namespaces=namespaces)
    return _report(a, sub, run, started, public_only)


def _report(a: Assignment, sub: Submission, run: RunResult, started: float,
            public_only: bool) -> dict[str, Any]:
    scores = score_outcomes(run.outcomes, a.parts)
    instructor: dict[str, Any] = {"stdout": run.output, "events": run.events}
    if run.detail.strip():
        instructor["detail"] = run.detail.strip()
    details = {o.info.name: o.internal for o in run.outcomes if o.internal}
    if details:
        instructor["tests"] = details
    isolation = dict(run.isolation)
    isolation["limits"] = {k: v for k, v in vars(a.limits).items()}
    report = build_report(
        scores=scores, assignment=a.name, status=run.status,
        submission={"path": sub.path, "kind": sub.kind, "sha256": sub.sha256, "notes": sub.notes},
        execution_time=time.monotonic() - started, isolation=isolation, message=run.message,
        notes=sub.notes, instructor=instructor, grader_version=__version__,
        public_only=public_only)
    validate(report)
    return report


def _load_error_report(a: Assignment, path: Path, message: str, started: float,
                       public_only: bool) -> dict[str, Any]:
    outcomes = run_pytest(a, None, public_only=public_only, collect_only=True)
    text = f"Your submission could not be read: {message}"
    for o in outcomes:
        o.status = "failed"
        o.messages = [text]
    scores = score_outcomes(outcomes, a.parts)
    kind = {".py": "py", ".ipynb": "ipynb"}.get(path.suffix, "folder" if path.is_dir() else
                                                 "unknown")
    report = build_report(
        scores=scores, assignment=a.name, status="load-error",
        submission={"path": str(path), "kind": kind, "sha256": ""},
        execution_time=time.monotonic() - started, isolation={"level": "none"}, message=text,
        grader_version=__version__, public_only=public_only)
    validate(report)
    return report
