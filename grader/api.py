"""The Python API course scripts call: ``grade(...)`` returns a validated report dict."""

from __future__ import annotations

import functools
import os
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import __version__, policy
from grader.assignment import Assignment, resolve
from grader.errors import GraderInternalError, IsolationRefusedError, LoadError
from grader.load import Submission, load_submission
from grader.report import build_report, validate
from grader.sandbox import Launcher, LeakProbe, Sandbox
from grader.score import score_outcomes

if TYPE_CHECKING:
    from grader.run import RunResult

# grader.run (and with it pytest, ~0.35 s) is imported only after the worker is launched, so the
# worker's interpreter start and NumPy import overlap the grader's own imports.


def grade(assignment: str | Path | Assignment, submission: str | Path, *,
          public_only: bool = False, namespaces: bool = True, disable: Iterable[str] = (),
          extra_hide: tuple[str, ...] = (), validate_report: bool = True,
          split: bool = True, require_isolation: bool | None = None) -> dict[str, Any]:
    """Grade one submission and return its report (validated against the schema by default).

    ``assignment``: a name under ``problems/``, a folder, or an ``Assignment``.
    ``public_only``: run only the public tests (what ``grader check`` does).
    ``namespaces``: allow Linux namespaces for the worker (``False``: the other layers only).
    ``disable``: layers of the worker's confinement not to apply (``namespaces``, ``landlock``,
    ``seccomp``; all three leaves process limits only), for tests of each platform's layers.
    ``extra_hide``: more folders the submission must not see (e.g. a batch's other submissions).
    ``validate_report``: check the report against the JSON Schema (on by default; the CLI turns it
    off unless asked, to save the validator's import time).
    ``split``: run the public and the hidden tests at the same time, each against a worker of
    its own (two cores; ``False``: one worker, one after the other).
    ``require_isolation``: ``None`` (default) requires what the assignment's ``[isolation]
    require`` lists (by default: hidden tests and reference unreadable, network unreachable),
    verified by each worker's leak probe before the submission is imported; ``False`` allows an
    unisolated grade (the report still says what the probe found); ``True`` requires both
    whatever the assignment says. ``public_only`` grades require nothing. When the probe misses
    a requirement, nothing is graded: the report has status ``internal-error``, every test
    scores 0, and ``instructor.refused`` says which layer is missing and how to get it.

    A broken or hostile submission never raises here: it gets a report with status and message.
    """
    return grade_many(assignment, [submission], public_only=public_only, namespaces=namespaces,
                      disable=disable,
                      extra_hide=extra_hide, validate_report=validate_report, split=split,
                      require_isolation=require_isolation)[0]


def grade_many(  # noqa: PLR0912, PLR0915 - one flow: load, launch, run, report (each a few lines)
        assignment: str | Path | Assignment, submissions: Sequence[str | Path], *,
        public_only: bool = False, namespaces: bool = True, disable: Iterable[str] = (),
        extra_hide: tuple[str, ...] = (),
        validate_report: bool = True, launcher: Launcher | None = None, split: bool = True,
        on_report: Callable[[int, dict[str, Any]], None] | None = None,
        on_error: Callable[[int, str], None] | None = None,
        require_isolation: bool | None = None) -> list[dict[str, Any]]:
    """Grade several submissions in one pytest session (faster than ``grade`` in a loop).

    Each submission still gets its own fresh, isolated worker; only the trusted side (pytest's
    collection and set-up, the reference module) is shared. Returns the reports in the order of
    ``submissions``. ``launcher``: how workers start (e.g. a ``grader.pool.Zygote`` kept across
    calls); by default a zygote for this call when there are several submissions.
    ``split``: for a single submission, its public and hidden tests run at the same time in two
    processes, each with a worker of its own (see ``grader.run.run_split``).

    ``on_report``: called with (index, report) as soon as each report is built, rather than at
    the end of the session; the reports then go only there and the returned list is empty.
    ``on_error``: an exception while building one submission's report goes there, with its
    traceback, and the others are graded on (without it, it propagates). An exception of the
    session itself (before all reports were given) still propagates.
    ``require_isolation``: as for ``grade``; a refusal gives every submission not yet reported
    its refusal report.
    """
    started = time.monotonic()
    a = assignment if isinstance(assignment, Assignment) else resolve(assignment)
    reports: list[dict[str, Any] | None] = [None] * len(submissions)
    given: set[int] = set()

    def give(i: int, build: Callable[[], dict[str, Any]]) -> None:
        given.add(i)
        try:
            report = build()
        except Exception:
            if on_error is None:
                raise
            on_error(i, traceback.format_exc())
            return
        if on_report is not None:
            on_report(i, report)
        else:
            reports[i] = report

    loaded: list[tuple[int, Submission]] = []
    answer_ids = [str(entry.get("id")) for entry in a.answer_parts]
    for i, path in enumerate(submissions):
        try:
            sub = load_submission(path, module=a.module, answer_ids=answer_ids)
        except LoadError as exc:
            give(i, functools.partial(_load_error_report, a, Path(path), str(exc), started,
                                      public_only, validate_report))
            continue
        except Exception:
            if on_error is None:
                raise
            on_error(i, traceback.format_exc())
            continue
        if sub.has_code:
            loaded.append((i, sub))
        else:
            give(i, functools.partial(_answers_only_report, a, sub, started, public_only,
                                      validate_report))
    # One submission graded alone: its hidden tests get a second worker (see run_split).
    split = (split and len(loaded) == 1 and launcher is None and not public_only
             and _can_split(a))
    # Several workers (a batch, or a split grade's two): fork them from a zygote that has
    # imported NumPy once. One worker alone starts directly (fastest to its first result).
    zygote = None
    if launcher is None and (len(loaded) > 1 or split):
        from grader.pool import Zygote

        launcher = zygote = Zygote()
    answers: list[list[Any]] = []
    probe = _probe(a, _required(a, public_only=public_only, require_isolation=require_isolation))

    def finished(k: int, run: RunResult) -> None:
        i, sub = loaded[k]
        give(i, lambda: _report(a, sub, run, run.seconds, public_only, validate_report,
                                answers=answers[0] if answers else None))

    try:
        sandboxes = [Sandbox(sub.files, sub.entry, limits=a.limits, namespaces=namespaces,
                             disable=disable, hide=_hidden(a, sub, extra_hide), launcher=launcher,
                             probe=probe)
                     for _, sub in loaded]
        hidden_sandbox = Sandbox(loaded[0][1].files, loaded[0][1].entry, limits=a.limits,
                                 namespaces=namespaces, disable=disable,
                                 hide=sandboxes[0].hide,
                                 launcher=launcher, probe=probe) if split else None
        # A split grade checks the typed answers while its hidden half finishes.
        # Streaming: each report is built as soon as its tests are done, inside the session.
        runs = _run(a, sandboxes, hidden_sandbox, public_only, meanwhile=lambda: answers.append(
            _answer_outcomes(a, loaded[0][1], public_only)),
            on_result=finished if on_report is not None else None)
    except IsolationRefusedError as exc:
        for i, sub in loaded:
            if i not in given:
                give(i, functools.partial(_refused_report, a, sub, exc, started,
                                          validate_report))
        return [r for r in reports if r is not None]
    finally:
        if zygote is not None:
            zygote.close()
    if on_report is None:
        for k, run in enumerate(runs):
            finished(k, run)
    return [r for r in reports if r is not None]


def _run(a: Assignment, sandboxes: list[Sandbox], hidden_sandbox: Sandbox | None,
         public_only: bool, *, meanwhile: Callable[[], object] | None = None,
         on_result: Callable[[int, RunResult], None] | None = None) -> list[RunResult]:
    """Launch the first worker(s), then import pytest and run the tests. ``on_result``: gets
    each submission's result as soon as its tests are done."""
    try:
        if sandboxes:
            sandboxes[0].launch()
        if hidden_sandbox is not None:
            hidden_sandbox.launch(drain=False)
        from grader.run import run_many, run_split

        # Both halves' workers have probed what they can reach by now (pytest's import took
        # longer than their start): refuse before any test runs, hidden or public.
        for sandbox in [*sandboxes[:1], *([hidden_sandbox] if hidden_sandbox else [])]:
            if sandbox.probe.require:
                try:
                    sandbox.wait_jailed()
                except IsolationRefusedError:
                    if hidden_sandbox is not None:
                        hidden_sandbox.close()  # not handed to a forked copy yet: ours to stop
                    raise
                except GraderInternalError:
                    pass  # a worker that did not start: wait_ready reports it as before
        if hidden_sandbox is not None:
            results = [run_split(a, sandboxes[0], hidden_sandbox, meanwhile)]
            if on_result is not None:
                on_result(0, results[0])
            return results
        return run_many(a, sandboxes, public_only=public_only,
                        on_result=on_result) if sandboxes else []
    finally:
        for sandbox in sandboxes:
            sandbox.close()  # already closed unless interrupted; closing twice does nothing


def _required(a: Assignment, *, public_only: bool,
             require_isolation: bool | None) -> frozenset[str]:
    """What a grade requires the leak probe to verify (see ``grade``)."""
    if public_only or require_isolation is False:
        return frozenset()
    if require_isolation:
        return frozenset(policy.REQUIREMENTS)
    return a.require


def _probe(a: Assignment, require: frozenset[str]) -> LeakProbe:
    """The trusted material a worker must not reach: the real files, not a stand-in (a canary
    would only show how its own folder is protected): one hidden test and the hidden tests'
    folder, the reference solution, and the answer key (assignment.toml) when there is one."""
    hidden = sorted(a.hidden_tests.glob("*.py")) if a.hidden_tests.is_dir() else []
    files = [str(p) for p in hidden[:1]]
    root = a.reference_root
    if root is not None:
        base = root.joinpath(*a.reference_module.split("."))
        files += [str(p) for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()]
    if a.answer_parts:
        files.append(str(a.path / "assignment.toml"))
    return LeakProbe(files=tuple(files), folders=(str(a.hidden_tests),) if hidden else (),
                     require=require)


def _refused_report(a: Assignment, sub: Submission, exc: IsolationRefusedError,
                    started: float, validate_report: bool) -> dict[str, Any]:
    """Nothing graded: every test 0 with a message that the grading set-up is at fault, and the
    instructor's error (which layer is missing, how to get it) in ``instructor.refused``."""
    from grader.run import run_pytest

    outcomes = run_pytest(a, None, public_only=False, collect_only=True)
    outcomes += _answer_outcomes(a, None, False)
    for o in outcomes:
        o.status = "failed"
        o.fraction = None
        o.messages = [policy.STUDENT_MESSAGE]
    isolation = dict(exc.isolation)
    isolation["limits"] = dict(vars(a.limits))
    report = build_report(
        scores=score_outcomes(outcomes, a.parts), assignment=a.name, status="internal-error",
        submission={"path": sub.path, "kind": sub.kind, "sha256": sub.sha256, "notes": sub.notes},
        execution_time=time.monotonic() - started, isolation=isolation,
        message=policy.STUDENT_MESSAGE, instructor={"refused": str(exc)},
        grader_version=__version__, public_only=False)
    if validate_report:
        validate(report)
    return report


def _can_split(a: Assignment) -> bool:
    """Whether a single grade can run its public and hidden tests at once (``run_split``):
    both test sets exist, and processes can fork."""
    return (hasattr(os, "fork") and any(a.public_tests.glob("test_*.py"))
            and any(a.hidden_tests.glob("test_*.py")))


def _hidden(a: Assignment, sub: Submission, extra_hide: tuple[str, ...]) -> set[str]:
    from grader.assignment import PROJECT_ROOT

    return {str(a.path), str(PROJECT_ROOT / "reference"), str(PROJECT_ROOT / "problems"),
            str(PROJECT_ROOT / "tests"), str(PROJECT_ROOT / "submissions"),
            *_beside(Path(sub.path).resolve()), *extra_hide}


def _beside(path: Path) -> list[str]:
    """The submission's folder (other students' work often lies beside it), or, where that
    folder also holds the interpreter (Gradescope's /autograder holds both submission/ and the
    venv), the submission and every neighbour that does not."""
    from grader._jail import interpreter_paths

    parent = path.parent
    needed = interpreter_paths()
    if not any(n == str(parent) or n.startswith(str(parent) + os.sep) for n in needed):
        return [str(parent)]
    try:
        children = [str(c) for c in parent.iterdir() if c.is_dir() and not c.is_symlink()]
    except OSError:
        children = []
    return [str(path)] + [c for c in children
                          if not any(n == c or n.startswith(c + os.sep) for n in needed)]


def _report(a: Assignment, sub: Submission, run: RunResult, seconds: float,  # noqa: PLR0917
            public_only: bool, validate_report: bool = True, *,
            answers: list[Any] | None = None) -> dict[str, Any]:
    """``answers``: the typed answers' outcomes, if already graded."""
    if answers is None:
        answers = _answer_outcomes(a, sub, public_only)
    outcomes = [*run.outcomes, *answers]
    scores = score_outcomes(outcomes, a.parts)
    instructor: dict[str, Any] = {"stdout": run.output, "events": run.events}
    if run.detail.strip():
        instructor["detail"] = run.detail.strip()
    details = {o.info.name: o.internal for o in outcomes if o.internal}
    if details:
        instructor["tests"] = details
    isolation = dict(run.isolation)
    isolation["limits"] = {k: v for k, v in vars(a.limits).items()}
    report = build_report(
        scores=scores, assignment=a.name, status=run.status,
        submission={"path": sub.path, "kind": sub.kind, "sha256": sub.sha256, "notes": sub.notes},
        execution_time=seconds, isolation=isolation, message=run.message,
        notes=[*sub.notes, *_passed_notes(outcomes)], instructor=instructor,
        grader_version=__version__,
        public_only=public_only)
    if validate_report:
        validate(report)
    return report


def _load_error_report(a: Assignment, path: Path, message: str, started: float,  # noqa: PLR0917
                       public_only: bool, validate_report: bool = True) -> dict[str, Any]:
    from grader.run import run_pytest

    outcomes = run_pytest(a, None, public_only=public_only, collect_only=True)
    outcomes += _answer_outcomes(a, None, public_only)
    text = f"Your submission could not be read: {message}"
    for o in outcomes:
        o.status = "failed"
        o.messages = [text]
    scores = score_outcomes(outcomes, a.parts)
    kind = {".py": "py", ".ipynb": "ipynb", ".toml": "toml"}.get(
        path.suffix, "folder" if path.is_dir() else "unknown")
    report = build_report(
        scores=scores, assignment=a.name, status="load-error",
        submission={"path": str(path), "kind": kind, "sha256": ""},
        execution_time=time.monotonic() - started, isolation={"level": "none"}, message=text,
        grader_version=__version__, public_only=public_only)
    if validate_report:
        validate(report)
    return report


def _answer_outcomes(a: Assignment, sub: Submission | None, public_only: bool) -> list[Any]:
    """Outcomes of the typed-answer parts (none for ``grader check``: the answer key stays with
    the instructor, as hidden tests do)."""
    if public_only or not a.answer_parts:
        return []
    from grader.answers import grade_answers

    return grade_answers(a, sub)


def _passed_notes(outcomes: Sequence[Any]) -> list[str]:
    """Messages of passed outcomes (an answer earning its points by error carried forward says
    so), which the per-test output leaves out for passed tests."""
    return [f"{o.info.name}: {m}" for o in outcomes if o.status == "passed" for m in o.messages]


def _answers_only_report(a: Assignment, sub: Submission, started: float, public_only: bool,
                         validate_report: bool = True) -> dict[str, Any]:
    """A submission of typed answers only: code tests fail as "no code", answers are graded."""
    from grader.run import run_pytest

    outcomes = run_pytest(a, None, public_only=public_only, collect_only=True)
    for o in outcomes:
        o.status = "failed"
        o.messages = [f"No code was handed in (this submission holds only typed answers), so "
                      f"this test could not run; hand in {a.module}.py for it."]
    outcomes += _answer_outcomes(a, sub, public_only)
    scores = score_outcomes(outcomes, a.parts)
    details = {o.info.name: o.internal for o in outcomes if o.internal}
    kind = sub.kind if sub.kind in {"py", "ipynb", "folder", "toml"} else "unknown"
    report = build_report(
        scores=scores, assignment=a.name, status="graded",
        submission={"path": sub.path, "kind": kind, "sha256": sub.sha256, "notes": sub.notes},
        execution_time=time.monotonic() - started, isolation={"level": "none"},
        message="Only typed answers were handed in; the tests of code score 0.",
        notes=[*sub.notes, *_passed_notes(outcomes)],
        instructor={"tests": details} if details else {},
        grader_version=__version__, public_only=public_only)
    if validate_report:
        validate(report)
    return report
