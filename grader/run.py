"""Run an assignment's tests against one submission, in this (trusted) process.

pytest and pytest-json-report run here; the submission runs in its own worker (``grader.sandbox``)
and the tests reach it through the ``submission`` fixture. The result is plain data
(``RunResult``) for ``grader.score`` and ``grader.report``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_jsonreport.plugin import JSONReport

import grader.plugin as fixtures_module
from grader import _jail, codec
from grader.assignment import Assignment
from grader.errors import CodecError, GraderInternalError
from grader.plugin import GraderPlugin, Sessions
from grader.sandbox import ImportFailure, Sandbox, SubmissionProxy
from grader.score import CaseInfo, Outcome


@dataclass
class RunResult:
    """Everything one grading run produced, as plain data."""

    outcomes: list[Outcome]
    """One per collected test, in collection order."""
    status: str
    """``graded``, ``import-error`` or ``load-error``."""
    message: str = ""
    """Student-facing summary of what went wrong (import or load error)."""
    detail: str = ""
    """Instructor-only detail (the student's traceback for an import error)."""
    isolation: dict[str, Any] = field(default_factory=dict)
    """Isolation layers active in the worker."""
    output: str = ""
    """What the submission printed (head only)."""
    events: list[str] = field(default_factory=list)
    """Worker deaths and restarts."""
    seconds: float = 0.0
    """Wall time of the run."""


def _pytest_args(paths: list[Path], assignment: Assignment, collect_only: bool) -> list[str]:
    args = [str(p) for p in paths if p.is_dir()]
    args += [
        "-c", os.devnull,  # the project's own pytest settings must not apply to assignment tests
        f"--rootdir={assignment.path}",
        "--import-mode=importlib",  # public/ and hidden/ may reuse file names
        "--assert=plain",  # rewritten asserts would show hidden tests' source to students
        "-p", "no:cacheprovider", "-p", "no:stepwise",
        # Per-test machinery the grader does not use (each costs time on every test of every
        # submission): output capture (student output is captured in the worker), log capture,
        # warning capture, unraisable-exception collection (a gc.collect per session) and
        # plugins for other test styles.
        "-s", "-p", "no:logging", "-p", "no:warnings", "-p", "no:unraisableexception",
        "-p", "no:threadexception", "-p", "no:faulthandler", "-p", "no:junitxml",
        "-p", "no:doctest", "-p", "no:pastebin", "-p", "no:nose", "-p", "no:unittest",
        "-p", "no:debugging", "-p", "no:setuponly", "-p", "no:setupplan",
        "-qq", "--tb=no",
        # Plugin autoloading is off (stray plugins must not change grading), so load it by name;
        # the instance that collects is the one passed to pytest.main.
        "-p", "pytest_jsonreport.plugin", "--json-report-file=none",
        "--json-report-omit", "collectors", "log", "streams", "warnings", "traceback",
        "-W", "ignore",
    ]
    if collect_only:
        args.append("--collect-only")
    return args


def _forget_modules_under(folder: Path) -> None:
    """Drop test modules imported from ``folder``: pytest's importlib mode names them after their
    path relative to the rootdir, so two assignments' ``tests/public/test_x.py`` share a name."""
    prefix = str(folder) + os.sep
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(prefix):
            del sys.modules[name]


def run_pytest(assignment: Assignment, sessions: Sessions | None, *, public_only: bool,
               collect_only: bool = False, hidden_only: bool = False) -> list[Outcome]:
    """Run (or only collect) the tests over every submission of ``sessions``.

    Returns one outcome per (submission, test), in run order; ``Outcome.index`` says which
    submission. With ``sessions=None`` the tests are only collected (one set of outcomes).
    ``public_only`` / ``hidden_only``: run only that set of tests.
    """
    paths = ([] if hidden_only else [assignment.public_tests]) + \
        ([] if public_only else [assignment.hidden_tests])
    state = GraderPlugin(assignment=assignment, sessions=sessions)
    json_report = JSONReport()
    sink = io.StringIO()
    root = assignment.reference_root
    if root is not None and str(root) not in sys.path:
        # Hidden tests may import the reference at module level (collection needs it).
        sys.path.append(str(root))
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            code = pytest.main(_pytest_args(paths, assignment, collect_only or sessions is None),
                               plugins=[fixtures_module, state, json_report])
    finally:
        _forget_modules_under(assignment.path)
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not state.infos:
        # Broken or missing assignment tests are the grader's fault, never the student's.
        detail = "\n".join([*state.collect_errors, sink.getvalue()[-3000:]]).strip()
        raise GraderInternalError(f"the tests of {assignment.name} could not run (pytest exit "
                                  f"code {int(code)}):\n{detail}")
    report = json_report.report or {}
    by_id = {t["nodeid"]: t for t in report.get("tests", [])}
    outcomes = []
    for nodeid, info in state.infos.items():
        entry = by_id.get(nodeid, {})
        result = state.results.get(nodeid)
        status = entry.get("outcome", "failed")
        if status not in ("passed", "failed", "skipped"):
            status = "error"
        duration = sum(entry.get(w, {}).get("duration", 0.0) for w in ("setup", "call",
                                                                          "teardown"))
        outcomes.append(Outcome(info=info, status=status, index=state.index_of.get(nodeid, 0),
                                fraction=result.fraction if result else None,
                                messages=list(result.messages) if result else [],
                                internal=result.internal if result else "", duration=duration))
    return outcomes


class _Sessions:
    """Workers for a run's submissions: each launched while the one before is being tested."""

    def __init__(self, sandboxes: list[Sandbox]) -> None:
        self.sandboxes = sandboxes
        self.failures: dict[int, ImportFailure | None] = {}
        self.runs: dict[int, RunResult] = {}

    def __len__(self) -> int:
        return len(self.sandboxes)

    def _launch(self, index: int) -> None:
        if index < len(self.sandboxes) and self.sandboxes[index].generation == 0:
            self.sandboxes[index].launch()

    def open(self, index: int) -> SubmissionProxy:
        self._launch(index)
        sandbox = self.sandboxes[index]
        self.failures[index] = sandbox.wait_ready()
        self._launch(index + 1)
        return SubmissionProxy(sandbox)

    def close(self, index: int) -> None:
        sandbox = self.sandboxes[index]
        sandbox.close()

    def close_all(self) -> None:
        for sandbox in self.sandboxes:
            sandbox.close()


def run_many(assignment: Assignment, sandboxes: list[Sandbox], *,
             public_only: bool = False, hidden_only: bool = False) -> list[RunResult]:
    """Grade several submissions (one sandbox each, not yet launched) in one pytest session."""
    sessions = _Sessions(sandboxes)
    try:
        outcomes = run_pytest(assignment, sessions, public_only=public_only,
                              hidden_only=hidden_only)
    finally:
        sessions.close_all()
    per_index: dict[int, list[Outcome]] = {i: [] for i in range(len(sandboxes))}
    for o in outcomes:
        per_index[o.index].append(o)
    results = []
    for i, sandbox in enumerate(sandboxes):
        result = RunResult(outcomes=per_index[i], status="graded", isolation=sandbox.isolation,
                           output=sandbox.output, events=list(sandbox.events))
        failure = sessions.failures.get(i)
        if failure is not None:
            result.status = "timeout" if failure.kind == "timeout" else "import-error"
            result.message = f"Your code could not be imported: {failure.message}"
            result.detail = failure.detail
            for o in result.outcomes:
                o.status = "failed"
                o.fraction = None
                o.messages = [result.message]
        if result.status == "graded" and any(o.status == "error" for o in result.outcomes):
            # Set-up errors come from the grader or the tests, never from the submission:
            # the grade cannot be trusted, and whoever runs the grader must hear of it.
            result.status = "internal-error"
            result.message = ("Some tests could not run because of a problem in the grader or "
                              "the assignment's tests, not in your work; you will be graded again.")
        result.seconds = sandbox.elapsed
        results.append(result)
    return results


def run_split(assignment: Assignment, sandbox: Sandbox, hidden_sandbox: Sandbox,
              meanwhile: Callable[[], object] | None = None) -> RunResult:
    """Grade one submission with its public and hidden tests at the same time, on two cores.

    This process runs the public tests against ``sandbox``; a forked copy of it runs the hidden
    tests against ``hidden_sandbox``, a second worker of the same submission (launched with
    ``drain=False``, so both workers start while the grader imports pytest). Each worker is as
    isolated as ever and neither sees the other. A single grade then waits for the longer of the
    two test sets instead of their sum. Call it before pytest runs here: the fork must not copy
    a running session. ``meanwhile`` runs here once the public tests are done, while the hidden
    half may still be running (the grader's own work that does not need the tests' results).
    """
    hidden_sandbox.worker_pid()  # known here: the forked copy cannot ask a zygote for it
    # The hidden half is over by then whatever its submission does (its worker's wall-time limits
    # end every call); past it, something in the grader is stuck, and waiting longer would hang.
    limits = hidden_sandbox.limits
    started = time.monotonic()
    deadline = started + limits.total_seconds + limits.import_seconds + _SPLIT_SLACK
    read_end, write_end = os.pipe()
    status_read, status_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked child; its result is checked by the parent
        payload = b""
        try:
            os.close(read_end)
            os.close(status_write)
            _jail.die_with_parent()
            sandbox.disown()
            hidden_sandbox.take_over(status_read)
            result = run_many(assignment, [hidden_sandbox], hidden_only=True)[0]
            payload = codec.encode({"result": dataclasses.asdict(result)})
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            payload = codec.encode({"error": traceback.format_exc()})
        finally:
            with contextlib.suppress(OSError), os.fdopen(write_end, "wb") as f:
                f.write(payload)
            os._exit(0)
    os.close(write_end)
    os.close(status_read)
    hidden_sandbox.hand_over(status_write)
    try:
        public = run_many(assignment, [sandbox], public_only=True)[0]
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        # Interrupted (or broken): do not wait for the hidden half to finish on its own.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        data, overran = _collect(pid, read_end, deadline)
        hidden_sandbox.reap()
    # Data only, never pickle: the result holds what the submission printed and said, and
    # the pipe is only as private as the processes' user ids make it.
    try:
        message = codec.decode(data)
    except CodecError:  # a child that died wrote nothing (or half)
        message = None
    try:
        return _merge(public, _run_result(message["result"]))  # type: ignore[index]
    except (TypeError, KeyError):
        error = message.get("error") if isinstance(message, dict) else None
        raise GraderInternalError(
            "the hidden tests could not run:\n"
            f"{error or 'the process running the hidden tests ended without a result'}"
            + (f" (stopped after {deadline - started:.0f} s)" if overran else "")) from None


#: Seconds the hidden half of a split grade may take beyond its worker's limits (pytest's own
#: set-up and teardown, the report of its tests).
_SPLIT_SLACK = 30.0


def _collect(pid: int, fd: int, deadline: float) -> tuple[bytes, bool]:
    """The hidden half's result (nothing if it died) and whether it overran ``deadline``, after
    which it is killed: past every limit of its worker it is stuck in the grader, and must not
    hang the grade."""
    data = _read_until(fd, deadline)
    if data is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return data or b"", data is None


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to ``fd`` until its end, or ``None`` if that does not come by
    ``deadline``. Closes ``fd``."""
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def _run_result(data: dict[str, Any]) -> RunResult:
    """A ``RunResult`` back from ``dataclasses.asdict`` (the forked copy's half of a split)."""
    outcomes = [Outcome(**{**o, "info": CaseInfo(**o["info"])}) for o in data["outcomes"]]
    return RunResult(**{**data, "outcomes": outcomes})


def _merge(public: RunResult, hidden: RunResult) -> RunResult:
    """One submission's result from its public and its hidden run."""
    order = ("internal-error", "timeout", "import-error", "graded")
    status = min(public.status, hidden.status, key=lambda s: order.index(s) if s in order else 0)
    both = [r for r in (public, hidden) if r.status == status]
    outputs = [r.output for r in (public, hidden) if r.output]
    return RunResult(
        outcomes=[*public.outcomes, *hidden.outcomes], status=status,
        message=both[0].message, detail=both[0].detail, isolation=public.isolation,
        output="\n".join(dict.fromkeys(outputs)),  # the same import-time output once
        events=[*public.events, *hidden.events], seconds=max(public.seconds, hidden.seconds))
