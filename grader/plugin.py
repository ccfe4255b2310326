"""The pytest side of grading: ``@points``, the fixtures tests use, and what each test produced.

This module holds the stateful pytest hooks (collecting points and messages as tests run); turning
outcomes into scores is ``grader.score`` and writing the report is ``grader.report``, both pure.
It runs in the trusted grading process. The submission is reached only through the ``submission``
fixture (a proxy to the isolated worker), so nothing the student does can touch these hooks.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

try:
    import resource
except ImportError:  # not on Windows: no memory budget there
    resource = None  # type: ignore[assignment]

import _pytest
import numpy as np
import pluggy
import pytest

from grader import codec as codec_module
from grader import sandbox as sandbox_module
from grader.assignment import Assignment, import_reference
from grader.checks import CheckFailed
from grader.errors import SubmissionError
from grader.score import CaseInfo

F = TypeVar("F", bound=Callable[..., Any])

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def points(value: float, *, name: str | None = None, part: str | None = None,
           visibility: str = "visible", tags: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Declare a test's points, display name, part and visibility (see docs/authoring.md)."""
    if not value >= 0:
        raise ValueError(f"points must be >= 0, got {value!r}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    return pytest.mark.grader(points=float(value), name=name, part=part, visibility=visibility,
                              tags=tuple(tags))


R = TypeVar("R")
S = TypeVar("S")


def side_by_side(student: Callable[[], R], trusted: Callable[[], S]) -> tuple[R, S]:
    """``(student(), trusted())``, run at the same time: the submission's call runs in its
    worker (on another core) while ``trusted`` computes the expected value here.

    For tests where both sides take a while (training a model, say): the test then waits for
    the slower of the two instead of their sum. ``student`` must be the only one of the two that
    calls the submission. Exceptions are raised as if the two had run one after the other: the
    student's first, and only after both have finished.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = student()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's own thread
            box["error"] = exc

    # The worker is waited on in select(), which releases the GIL, so ``trusted`` runs meanwhile.
    thread = threading.Thread(target=run, name="grader-student-call", daemon=True)
    thread.start()
    try:
        want = trusted()
    except BaseException:
        _join(thread)  # never leave a request to the worker running behind the next one
        if "error" in box:
            raise box["error"] from None  # the student's error comes first, as documented
        raise
    _join(thread)
    if "error" in box:
        raise box["error"]
    return box["value"], want


def _join(thread: threading.Thread) -> None:
    """Wait for ``thread`` (the student's call) to end. The trusted budget's signal is put off
    while this runs (see ``_TrustedBudget._on_signal``): a call left running would take the
    next test's replies."""
    thread.join()


@dataclass
class Credit:
    """Partial credit within one test: ``with credit.part("dL/dW13", weight=1): ...``."""

    parts: list[tuple[str, float, bool, str]] = field(default_factory=list)
    """(label, weight, passed, message) for every part run so far."""
    internal: list[str] = field(default_factory=list)
    """Instructor-only detail of unexpected exceptions inside parts."""

    @contextmanager
    def part(self, label: str, weight: float = 1.0) -> Iterator[None]:
        """Run a block as one part: its failure is recorded, and the test goes on."""
        if not weight > 0:
            raise ValueError("a part's weight must be > 0")
        try:
            yield
        except MemoryError:
            raise  # the grader's own memory (see _TrustedBudget), never the student's doing
        except (AssertionError, SubmissionError) as exc:
            self.parts.append((label, float(weight), False, student_message(exc)))
        except Exception as exc:  # noqa: BLE001 - e.g. a value too large to compare
            # Anything else raised inside a part costs that part only: escaping, it would end
            # the test with the parts not yet run unrecorded (and so not counted against it).
            self.parts.append((label, float(weight), False, student_message(exc)))
            self.internal.append(f"part {label!r}: {type(exc).__name__}: {exc}"[:2000])
        else:
            self.parts.append((label, float(weight), True, ""))

    @property
    def fraction(self) -> float | None:
        total = sum(w for _, w, _, _ in self.parts)
        if not total:
            return None
        return sum(w for _, w, ok, _ in self.parts if ok) / total

    def failures(self) -> list[str]:
        return [f"{label}: {msg}" for label, _, ok, msg in self.parts if not ok]


def student_message(exc: BaseException) -> str:
    """What a student may see of an exception raised while testing their code."""
    if isinstance(exc, SubmissionError):
        return exc.student_message
    if isinstance(exc, CheckFailed):
        return str(exc)
    if isinstance(exc, AssertionError):
        # Assertion rewriting is off in graded runs, so this is only the author's own message.
        text = str(exc).strip()
        return text or "a check on your result failed"
    return (f"the test could not use your result ({type(exc).__name__}: {str(exc)[:300]}); "
            "check the type and structure of what your function returns")


@dataclass
class CaseResult:
    """What one test produced, beyond pass/fail (which pytest-json-report records)."""

    messages: list[str] = field(default_factory=list)
    """Student-facing messages."""
    fraction: float | None = None
    """Partial credit earned, when the test used ``credit``."""
    internal: str = ""
    """Instructor-only detail: a grader or test bug, or the student's traceback."""
    budget_exceeded: bool = False
    """The test's trusted code overran its time or memory budget (an error, not a failure)."""


class TrustedBudgetExceeded(BaseException):
    """A test's own code (reference, checks: the trusted side) ran past its time or memory
    budget. A ``BaseException``, so that a test's ``except Exception`` cannot swallow it."""


class _TrustedBudget:
    """The budget of one test's trusted code: CPU time of this process (``ITIMER_PROF``: the
    worker's time is not counted, waiting for it costs nothing), a wall-clock bound against a
    hang, and an address-space bound on top of what the process already holds.

    The timers work only in the main thread of a POSIX process; the memory bound only where
    ``RLIMIT_AS`` can be lowered and raised again (Linux). Elsewhere the test runs unbounded.
    """

    def __init__(self, *, cpu_seconds: float, wall_seconds: float, memory_mb: int) -> None:
        self.cpu_seconds = cpu_seconds
        self.wall_seconds = wall_seconds
        self.memory_mb = memory_mb
        self.armed = False
        self.saved: list[tuple[int, Any]] = []
        self.old_as: tuple[int, int] | None = None

    def _on_signal(self, signum: int, frame: Any) -> None:
        if not self.armed:
            return
        f = frame
        while f is not None:
            if f.f_code.co_filename in _PROTOCOL_FILES or f.f_code is _join.__code__:
                # Mid-exchange with the worker (or waiting for one): an exception here would
                # cut a frame in half or leave a call running, and the next reply would go to
                # the wrong request. Try again a little later.
                signal.setitimer(signal.ITIMER_PROF if signum == signal.SIGPROF
                                 else signal.ITIMER_REAL, 0.05)
                return
            f = f.f_back
        self.armed = False
        if signum == signal.SIGPROF:
            raise TrustedBudgetExceeded(
                f"the test's own code (reference solution, checks) used more than "
                f"{self.cpu_seconds:g} s of the grader's CPU time (limits.trusted_seconds); "
                "reject inputs that would make it this slow before computing with them")
        raise TrustedBudgetExceeded(
            f"the test ran for more than {self.wall_seconds:g} s of wall time")

    def __enter__(self) -> _TrustedBudget:
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            for signum in (signal.SIGPROF, signal.SIGALRM):
                self.saved.append((signum, signal.signal(signum, self._on_signal)))
            self.armed = True
            signal.setitimer(signal.ITIMER_PROF, self.cpu_seconds)
            signal.setitimer(signal.ITIMER_REAL, self.wall_seconds)
        self.old_as = _limit_address_space(self.memory_mb)
        return self

    def __exit__(self, *exc: object) -> None:
        self.armed = False  # first: a signal arriving from here on is ignored
        if self.saved:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in self.saved:
                signal.signal(signum, handler)
        if self.old_as is not None:
            resource.setrlimit(resource.RLIMIT_AS, self.old_as)


#: Where the grader talks to a worker: the budget's signals never interrupt code there.
_PROTOCOL_FILES = frozenset(m.__file__ for m in (sandbox_module, codec_module) if m.__file__)

_STATM: list[int] = []  # [pid, fd]: /proc/self/statm kept open (opening it cost 20 us a test)


def _statm() -> int:
    """A descriptor of this process's /proc/self/statm (reopened after a fork: the inherited one
    names the parent)."""
    if not _STATM or _STATM[0] != os.getpid():
        if _STATM:
            os.close(_STATM[1])
        _STATM[:] = [os.getpid(), os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)]
    return _STATM[1]


def _limit_address_space(extra_mb: int) -> tuple[int, int] | None:
    """Lower this process's soft ``RLIMIT_AS`` to what it maps now plus ``extra_mb``; return the
    limits to restore, or None where that cannot be done (no /proc, or already lower)."""
    if resource is None or not extra_mb > 0:
        return None
    try:
        mapped = int(os.pread(_statm(), 64, 0).split()[0]) * os.sysconf("SC_PAGE_SIZE")
        old = resource.getrlimit(resource.RLIMIT_AS)
        want = mapped + extra_mb * 1024 * 1024
        soft, hard = old
        if (soft != resource.RLIM_INFINITY and soft <= want) or \
                (hard != resource.RLIM_INFINITY and hard < want):
            return None
        # Only the soft limit: raising it back afterwards needs no privilege.
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (OSError, ValueError):
        return None
    return old


class Sessions(Protocol):
    """Gives the ``submission`` fixture one proxy per submission of a run."""

    def __len__(self) -> int: ...

    def open(self, index: int) -> Any:
        """The proxy for submission ``index`` (its worker ready, or failed to import)."""

    def close(self, index: int) -> None:
        """Stop submission ``index``'s worker; its tests have all run."""


_STATE = pytest.StashKey["GraderPlugin"]()


class GraderPlugin:
    """Hooks and state for one pytest session, which grades one or more submissions in turn.

    ``submission`` is a session-scoped fixture parametrized over the submissions, so pytest runs
    every test for submission 0, closes its worker, then moves on to submission 1, and so on:
    collection and fixture set-up happen once per session, not once per submission.
    """

    def __init__(self, *, assignment: Assignment, sessions: Sessions | None) -> None:
        self.assignment = assignment
        self.sessions = sessions
        public_dir, hidden_dir = str(assignment.public_tests), str(assignment.hidden_tests)
        self.public_dir = public_dir
        self.hidden_dir = hidden_dir
        self.infos: dict[str, CaseInfo] = {}
        self.index_of: dict[str, int] = {}
        self.results: dict[str, CaseResult] = {}
        self.collect_errors: list[str] = []
        self.item: pytest.Item | None = None
        """The test being set up or run."""

    # -- collection ----------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[_STATE] = self
        _ACTIVE.append(self)
        # Nobody reads pytest's terminal output (it went to a buffer), and its reporter costs
        # time on every test of every submission. Collection errors, the one thing of it an
        # instructor needs, are kept by pytest_collectreport below.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)
        config.addinivalue_line("markers", "grader(points, name, part, visibility, tags): "
                                           "points and display data of a graded test")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.item = item  # before any fixture of the test is set up

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"ERROR collecting {report.nodeid}:\n"
                                       f"{report.longreprtext[-3000:]}")

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "submission" in metafunc.fixturenames:
            n = len(self.sessions) if self.sessions is not None else 1
            metafunc.parametrize("submission", range(n), indirect=True, scope="session",
                                 ids=[f"s{i}" for i in range(n)])

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            # pytest renders every failed test's traceback (parsing the test file's source for
            # each frame), for a terminal nobody reads here; messages come from the hooks below.
            item.repr_failure = _failure_line  # type: ignore[method-assign]
            self.infos[item.nodeid] = info_for(item, self.public_dir, self.hidden_dir)
            callspec = getattr(item, "callspec", None)
            self.index_of[item.nodeid] = callspec.params.get("submission", 0) if callspec else 0

    # -- outcomes ------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report = outcome.get_result()
        result = self.results.setdefault(item.nodeid, CaseResult())
        credit: Credit | None = getattr(item, "_grader_credit", None)
        if call.when == "call" and credit is not None and credit.parts:
            result.fraction = credit.fraction
            result.messages.extend(credit.failures())
            result.internal += "".join(f"{line}\n" for line in credit.internal)
            if call.excinfo is not None and not _is_skip(call.excinfo.value):
                # The test stopped outside its parts: the parts after that point never ran, so
                # the fraction of those recorded would overstate it. A stopped test earns 0,
                # as it does without parts.
                result.fraction = None
            elif credit.fraction is not None and credit.fraction < 1 and report.passed:
                # A test whose parts failed has not passed, even though nothing escaped it.
                report.outcome = "failed"
                report.longrepr = "partial credit"
        if call.excinfo is None:
            return
        exc = call.excinfo.value
        if isinstance(exc, TrustedBudgetExceeded):
            # The grader's side of the test overran: the test author's to fix, never the
            # student's fault; the run becomes an internal error and the student is told so.
            result.budget_exceeded = True
            result.fraction = None
            result.messages = ["this test could not finish (a problem in the grader or the "
                               "test, not in your code); your instructor can see why"]
            result.internal += f"trusted-side budget exceeded: {exc}\n"
            return
        if call.when == "call":
            if not _is_skip(exc):
                result.messages.append(student_message(exc))
            if isinstance(exc, SubmissionError) and exc.detail:
                result.internal += exc.detail
            elif not isinstance(exc, (AssertionError, SubmissionError)):
                result.internal += _traceback(call.excinfo)
        elif not _is_skip(exc):
            result.messages.append("this test could not be set up (a problem in the grader or "
                                   "the test, not in your code); your instructor can see why")
            result.internal += _traceback(call.excinfo)

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Any:
        """Run the test function under its trusted-side budget. An exception raised here
        (after the test returned, or converted from MemoryError) is the test's own outcome."""
        limits = self.assignment.limits
        budget = _TrustedBudget(
            cpu_seconds=float(limits.trusted_seconds), memory_mb=int(limits.trusted_memory_mb),
            wall_seconds=float(limits.total_seconds) + float(limits.trusted_seconds) + 60.0)
        try:
            with budget:
                return (yield)
        except MemoryError:
            raise TrustedBudgetExceeded(
                f"the test's own code (reference solution, checks) needed more than "
                f"{limits.trusted_memory_mb} MB of the grader's memory "
                "(limits.trusted_memory_mb); check the size of what the submission returned "
                "before computing with it") from None

    @pytest.hookimpl(tryfirst=True)
    def pytest_json_runtest_stage(self, report: pytest.TestReport) -> dict[str, Any]:
        """The stage data ``grader.run`` reads, and no more: pytest-json-report's own version
        renders every stage's failure text, on every test of every submission."""
        return {"duration": report.duration, "outcome": report.outcome}


def _failure_line(excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
    """A failed test's longrepr in pytest's reports: the exception's type only (its text may be
    long, and nothing in the grader reads it)."""
    return excinfo.typename


def _traceback(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """An exception's traceback for the instructor: the frames of the tests, fixtures and
    helpers, not pytest's own (Python's format: pytest's parses the whole test file again for
    each frame, which cost more than the test)."""
    exc = excinfo.value
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_FRAMEWORK)]
    text = ("Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
            + "".join(traceback.format_exception_only(exc)))
    return text[-4000:]


_FRAMEWORK = tuple(os.path.dirname(m.__file__ or "") + os.sep for m in (_pytest, pluggy))


def _state(request: pytest.FixtureRequest) -> GraderPlugin:
    return request.config.stash[_STATE]


@pytest.fixture(scope="session")
def submission() -> Iterator[Any]:
    """The student's module, running in the isolated worker (one per submission)."""
    item = _current_item()
    state = _ACTIVE[-1]
    # The parameter pytest_generate_tests gave this test (read from the test, not from
    # ``request``: see _ACTIVE); pytest calls this once per value and caches the result.
    index = item.callspec.params["submission"]  # type: ignore[attr-defined]
    if state.sessions is None:
        yield None
        return
    try:
        yield state.sessions.open(index)
    finally:
        state.sessions.close(index)


@pytest.fixture(scope="session", autouse=True)
def _graded_for_each_submission(submission: Any) -> None:
    """Puts ``submission`` in every test's fixtures, so that every test is parametrized over
    the session's submissions: a test that never calls the submission (a check of the data
    files, say) is still in each student's report, not only in the first student's. (Session
    scope: set up once per submission, not once per test.)"""


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> Any:
    """The reference solution module (trusted)."""
    return import_reference(_state(request).assignment)


# The function-scoped fixtures below take no ``request``: pytest builds a fixture definition for
# every ``request`` a fixture asks for, on every test of every submission, which cost more than
# the fixtures themselves. They read the running session's current test from here instead (one
# graded session at a time runs in a process).
_ACTIVE: list[GraderPlugin] = []


def _current_item() -> pytest.Item:
    if not _ACTIVE or _ACTIVE[-1].item is None:
        raise RuntimeError("grader fixtures are only available in a graded test session")
    return _ACTIVE[-1].item


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded from the assignment and the test's name: same inputs every run."""
    item = _current_item()
    return rng_for(_ACTIVE[-1].assignment.name, getattr(item, "originalname", item.name))


def rng_for(assignment: str, test: str) -> np.random.Generator:
    """The generator ``rng`` gives the test function named ``test`` of ``assignment``."""
    key = f"{assignment}:{test}".encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


@pytest.fixture
def credit() -> Credit:
    """Partial credit within one test."""
    c = Credit()
    _current_item()._grader_credit = c  # type: ignore[attr-defined]
    return c


def _is_skip(exc: BaseException) -> bool:
    return isinstance(exc, pytest.skip.Exception)


def info_for(item: pytest.Item, public_dir: str, hidden_dir: str) -> CaseInfo:
    marker = item.get_closest_marker("grader")
    kw = marker.kwargs if marker else {}
    path = str(getattr(item, "path", ""))
    origin = "hidden" if path.startswith(hidden_dir) else "public" if path.startswith(public_dir) \
        else "other"
    tags = (*kw.get("tags", ()), origin)
    return CaseInfo(nodeid=item.nodeid, name=kw.get("name") or item.name,
                    points=float(kw.get("points", 0.0)), part=kw.get("part"),
                    visibility=kw.get("visibility", "visible"), tags=tags)
