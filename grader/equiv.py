"""Is a typed answer equal to the expected one, and if not, which common mistake is it?

Scalars are compared symbolically first (expand, cancel), then at random points,
because SymPy misses identities such as tanh(2) = (e^4 - 1)/(e^4 + 1). Matrix answers are
checked for shape, then by numeric identity tests at several concrete sizes of the named
dimensions with independent, well-conditioned random inputs (a matrix polynomial without
inverses is also tried symbolically). A wrong answer is then compared with the instructor's
named wrong variants and with the usual slips: sign, missing or extra 1/n, a constant factor,
a transpose.

Student text is parsed and evaluated in a forked child process with a wall-time limit and an
address-space limit; the child answers with plain JSON over a pipe, never pickle, so an
answer that is too expensive ends as a clear result instead of a hung or dead grader. All the
answers of one submission share one child (``run_isolated_many``), each with its own limits;
the assignment's own expressions are parsed in the trusted process, once per process.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import select
import signal
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, TextIO

import numpy as np

from grader.errors import AnswerParseError
from grader.mathparse import (
    MAX_INPUT_CHARS,
    AnswerShapeError,
    IllConditionedError,
    ParsedExpr,
    SymbolTable,
    parse_expression,
)

__all__ = [
    "AUTO_DIAGNOSES",
    "EquivResult",
    "IsolatedJob",
    "PreparedCheck",
    "Variant",
    "check_equivalent",
    "check_gradient",
    "check_number",
    "prepare_equivalent",
    "prepare_gradient",
    "run_equiv_cli",
    "run_isolated",
    "run_isolated_many",
]

AUTO_DIAGNOSES = ("sign", "missing-1/n", "extra-1/n", "constant-factor", "transpose")
"""Mistakes tried on every wrong answer; a ``Variant`` with one of these names and no
expression sets the credit and feedback for it."""

_RTOL = 1e-7
_SCALE_FLOOR = 1e-6
_MAX_REPLY = 1 << 20


@dataclass
class EquivResult:
    """The outcome of comparing an answer with the expected one."""

    verdict: str
    """``equivalent`` | ``not-equivalent`` | ``shape-error`` | ``parse-error`` (the last also
    when the answer could not be checked in time: diagnosis ``too-complex``)."""
    equivalent: bool
    """True exactly when the verdict is ``equivalent``."""
    diagnosis: str | None = None
    """``sign``, ``missing-1/n``, ``extra-1/n``, ``constant-factor``, ``transpose`` (joined with
    ``+`` when several apply), ``power-of-10`` for numbers, a variant's name, or None."""
    message: str = ""
    """What the student reads."""
    credit: float = 0.0
    """Suggested fraction of the points: 1 when equivalent, else the diagnosis' credit."""
    counterexample: dict[str, Any] | None = None
    """For a wrong answer: concrete dimensions and inputs with both results."""
    method: str = ""
    """How it was decided: ``symbolic (...)`` or ``numeric: K trials at dims ...``."""
    position: int | None = None
    """0-based character offset of a parse or shape error in the answer."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EquivResult:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Variant:
    """A known wrong answer declared by the assignment, with its credit and feedback."""

    name: str
    expression: str | None
    """The wrong answer (parsed like the expected one), or None to only set the credit and
    feedback of an automatic diagnosis named ``name`` (e.g. ``sign``)."""
    credit: float = 0.0
    feedback: str = ""


# ---------------------------------------------------------------------------------------------
# Isolation
# ---------------------------------------------------------------------------------------------


class _BudgetExceededError(Exception):
    pass


@dataclass(frozen=True)
class IsolatedJob:
    """One check for ``run_isolated_many``: a callable returning JSON-able data, and its limits."""

    key: str
    """Names the job's reply in the result."""
    run: Callable[[], dict[str, Any]]
    """Runs in the child; its dict goes back to the parent as JSON."""
    timeout: float
    """Wall seconds the job may take; its clock starts when the previous job has answered."""
    memory_mb: int
    """Address space the job may add to what the child holds when the job starts."""
    needs_sympy: bool = False
    """Import SymPy in the parent before forking, so that no child pays for the import."""


_MIB = 1024 * 1024


def run_isolated_many(jobs: Sequence[IsolatedJob], *, total_timeout: float = math.inf
                      ) -> dict[str, dict[str, Any]]:
    """Run ``jobs`` one after the other in one forked child; return each job's reply by key.

    One child for a whole submission's answers instead of one per answer: forking a process
    that holds NumPy and SymPy, and the first use of them in the fresh child, cost more than
    checking a typical answer. Every job keeps its own wall-time, CPU and memory limit. The
    child answers job by job, so when one job hangs, runs out of memory or kills the child,
    only that job gets ``{"internal": "timeout" | "memory" | "died"}`` and a new child is
    forked for the jobs after it. Jobs still waiting when ``total_timeout`` seconds have
    passed get ``{"internal": "budget", "seconds": total_timeout}``.
    """
    if any(job.needs_sympy for job in jobs):
        import sympy  # noqa: F401  (imported before fork so the children do not pay for it)

    results: dict[str, dict[str, Any]] = {}
    pending = list(jobs)
    deadline = time.monotonic() + total_timeout
    while pending:
        if time.monotonic() >= deadline:
            reason = "budget"
        else:
            replies, reason = _run_child(pending, deadline)
            for job, reply in zip(pending, replies, strict=False):
                results[job.key] = reply
            pending = pending[len(replies):]
        if not pending:
            break
        if reason == "budget":
            for job in pending:
                results[job.key] = {"internal": "budget", "seconds": total_timeout}
            break
        if reason != "restart":
            # The job the child was working on is to blame; the ones after it get a new child.
            results[pending[0].key] = {"internal": reason}
            pending = pending[1:]
    return results


def _run_child(
    jobs: Sequence[IsolatedJob], deadline: float
) -> tuple[list[dict[str, Any]], str]:
    """Fork one child for ``jobs``; return the replies it gave, in order, and why it stopped.

    The reason is ``done``, ``timeout`` (the current job overran, or its reply was too
    large), ``died`` (the child ended without answering it), ``restart`` (the child stopped
    on its own to free its memory; nobody is to blame) or ``budget`` (``deadline`` passed).
    """
    if not hasattr(os, "fork"):  # pragma: no cover - the grader runs on Linux
        return [_decode(_run_job(job)[0])["reply"] for job in jobs], "done"
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; its effects are tested from the parent
        os.close(read_fd)
        _serve(jobs, write_fd, deadline)
    os.close(write_fd)
    replies: list[dict[str, Any]] = []
    buffer = b""
    reason = "done"
    job_deadline = time.monotonic() + jobs[0].timeout
    try:
        while len(replies) < len(jobs) and reason == "done":
            now = time.monotonic()
            if now >= job_deadline:
                reason = "timeout"
                break
            if now >= deadline:
                reason = "budget"
                break
            ready, _, _ = select.select([read_fd], [], [], min(job_deadline, deadline) - now)
            if not ready:
                continue
            chunk = os.read(read_fd, 65536)
            if not chunk:
                reason = "died"
                break
            buffer += chunk
            while b"\n" in buffer and len(replies) < len(jobs):
                line, _, buffer = buffer.partition(b"\n")
                message = _decode(line)
                if message.get("restart"):
                    reason = "restart"
                    break
                replies.append(message["reply"])
                if len(replies) < len(jobs):
                    job_deadline = time.monotonic() + jobs[len(replies)].timeout
            if len(buffer) > _MAX_REPLY:
                reason = "timeout"
    finally:
        os.close(read_fd)
        # Always kill before reaping: after a timeout, an oversized reply or an interrupt in
        # the parent, the child must not live on (killing an exited child is harmless).
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return replies, reason


def _decode(line: bytes) -> dict[str, Any]:
    try:
        message: Any = json.loads(line)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        return {"reply": {"internal": "died"}}
    if message.get("restart"):
        return {"restart": True}
    reply = message.get("reply")
    return {"reply": reply if isinstance(reply, dict) else {"internal": "died"}}


def _serve(jobs: Sequence[IsolatedJob], write_fd: int,
           deadline: float) -> None:  # pragma: no cover - child only
    """The child's side of ``run_isolated_many``: run the jobs, one JSON line each; never return."""
    import gc
    import resource

    # Objects inherited from the parent are never garbage here; freezing them keeps the
    # child's collections from walking (and so copying) every page the parent holds.
    gc.freeze()
    code = 0
    try:
        hard = _cap(resource.RLIMIT_AS,
                    _address_space() + 2 * max(job.memory_mb for job in jobs) * _MIB)
        cpu_hard = _cap(resource.RLIMIT_CPU,
                        math.ceil(min(sum(job.timeout for job in jobs),
                                      max(deadline - time.monotonic(), 0.0))) + 2)
        for index, job in enumerate(jobs):
            soft = _address_space() + job.memory_mb * _MIB
            if soft > hard and index:
                # What earlier jobs left behind would eat into this job's allowance: a fresh
                # child gives it the full amount.
                _write_all(write_fd, b'{"restart": true}\n')
                break
            resource.setrlimit(resource.RLIMIT_AS, (min(soft, hard), hard))
            used = resource.getrusage(resource.RUSAGE_SELF)
            cpu = math.ceil(used.ru_utime + used.ru_stime + job.timeout) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (min(cpu, cpu_hard), cpu_hard))
            line, fresh = _run_job(job)
            _write_all(write_fd, line)
            if fresh and index + 1 < len(jobs):
                _write_all(write_fd, b'{"restart": true}\n')
                break
    except BaseException:  # noqa: BLE001 - whatever happens, the child must exit here
        code = 1
    finally:
        os._exit(code)


def _run_job(job: IsolatedJob) -> tuple[bytes, bool]:
    """The job's reply as one JSON line, and whether the child needs a fresh start after it."""
    try:
        return json.dumps({"reply": job.run()}, allow_nan=False).encode() + b"\n", False
    except MemoryError:
        # The heap may be left fragmented up to the limit: later jobs get a new child.
        reply: dict[str, Any] = {"internal": "memory"}
        fresh = True
    except BaseException as exc:  # noqa: BLE001 - a checker bug is that answer's result
        reply, fresh = {"internal": f"{type(exc).__name__}: {exc}"[:500]}, False
    return json.dumps({"reply": reply}).encode() + b"\n", fresh


def _write_all(fd: int, data: bytes) -> None:  # pragma: no cover - child only
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _cap(which: int, limit: int) -> int:  # pragma: no cover - child only
    """``limit``, or the hard limit this process already has if that is lower."""
    import resource

    hard = resource.getrlimit(which)[1]
    return limit if hard == resource.RLIM_INFINITY else min(limit, hard)


def _address_space() -> int:  # pragma: no cover - child only
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _run_isolated(job: Callable[[], dict[str, Any]], timeout: float, memory_mb: int) -> dict:
    """Run ``job`` in a forked child with time and memory limits; return its JSON reply."""
    return run_isolated_many([IsolatedJob("job", job, timeout, memory_mb)])["job"]


@contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Interrupt a SymPy step that runs too long (only where SIGALRM can be used)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise _BudgetExceededError

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def check_equivalent(
    expected: str,
    given: str,
    symbols: str | SymbolTable,
    *,
    variants: Iterable[Variant | tuple[Any, ...]] = (),
    timeout: float = 5.0,
) -> EquivResult:
    """Compare a typed answer with the expected one; diagnose common mistakes.

    ``expected``, ``symbols`` and ``variants`` come from the assignment (trusted): an error in
    them raises ``AnswerParseError``. ``given`` is the student's text: every problem with it
    becomes a result. ``variants`` are ``Variant``s or ``(name, expression, credit, feedback)``
    tuples.
    """
    return _check_alone(prepare_equivalent(expected, given, symbols, variants=variants,
                                           timeout=timeout))


@dataclass(frozen=True)
class PreparedCheck:
    """One answer's comparison, prepared in the trusted process: decided, or a job for a child.

    ``prepare_equivalent`` and ``prepare_gradient`` make these so that a caller can check many
    answers in one child (``run_isolated_many``); ``check_equivalent`` and ``check_gradient``
    run one alone.
    """

    result: EquivResult | None = None
    """Set when the answer was refused before anything ran (not text, too long)."""
    run: Callable[[], dict[str, Any]] | None = None
    """The comparison, to run in a forked child."""
    timeout: float = 5.0
    memory_mb: int = 1024
    needs_sympy: bool = False

    def job(self, key: str) -> IsolatedJob:
        """The comparison as a job of ``run_isolated_many``."""
        if self.run is None:
            raise ValueError("this answer was decided without a child process")
        return IsolatedJob(key, self.run, self.timeout, self.memory_mb, self.needs_sympy)

    def finish(self, reply: dict[str, Any] | None) -> EquivResult:
        """The result, from the child's reply; an error in the assignment's own text (expected
        answer, loss, variant) raises ``AnswerParseError``."""
        if self.result is not None:
            return self.result
        return _finish(reply or {"internal": "died"}, self.timeout)


def _check_alone(prepared: PreparedCheck) -> EquivResult:
    if prepared.result is not None:
        return prepared.result
    return prepared.finish(run_isolated_many([prepared.job("answer")])["answer"])


def _refused(given: Any) -> EquivResult | None:
    """The result for an answer refused before anything is forked or parsed."""
    if not isinstance(given, str):
        return _parse_error(f"an answer must be text, not {type(given).__name__}", None)
    if len(given) > MAX_INPUT_CHARS:
        return _parse_error(
            f"answer is too long ({len(given)} characters; the limit is {MAX_INPUT_CHARS})",
            MAX_INPUT_CHARS,
        )
    return None


def prepare_equivalent(
    expected: str,
    given: str,
    symbols: str | SymbolTable,
    *,
    variants: Iterable[Variant | tuple[Any, ...]] = (),
    timeout: float = 5.0,
) -> PreparedCheck:
    """``check_equivalent`` without running it: the assignment's text is parsed here (once per
    process, and an error in it raises ``AnswerParseError``), the student's in the child."""
    key = symbols if isinstance(symbols, str) else None
    table = _trusted_table(symbols) if isinstance(symbols, str) else symbols
    var_list = [_as_variant(v) for v in variants]
    refused = _refused(given)
    if refused is not None:
        return PreparedCheck(result=refused)
    exp = _expected(expected, key, table)
    if isinstance(exp, dict):
        raise AnswerParseError(exp["instructor"], position=exp.get("position"))
    if key is not None and _may_prove(exp):
        # SymPy's form of the expected answer is built here, before forking, so that every
        # child (every submission of a batch) starts with it.
        with contextlib.suppress(Exception):
            _trusted_sympy(expected, key)
    return PreparedCheck(
        run=lambda: _compare(expected, given, table, var_list, timeout, key),
        timeout=timeout, memory_mb=1024, needs_sympy=True)


def check_number(  # noqa: PLR0911, PLR0912  (one exit per verdict)
    given: str | float,
    expected: float,
    *,
    rtol: float = 1e-3,
    atol: float = 0.0,
    sig_figs: int | None = None,
    variants: Iterable[Variant | tuple[Any, ...]] = (),
    timeout: float = 5.0,
) -> EquivResult:
    """Compare a number (or a constant expression such as ``1/(1+e)``) with ``expected``.

    Correct when ``|given - expected| <= rtol * |expected| + atol``: a tolerance, not rounding.
    ``sig_figs=k`` sets ``rtol`` to half a unit in the k-th significant figure
    (``0.5 * 10**(1 - k)``), so 0.26894 is 1/(1+e) to 4 figures. ``variants`` give known wrong
    values (numbers or constant expressions) with their credit and feedback.
    """
    if sig_figs is not None:
        if sig_figs < 1:
            raise ValueError(f"sig_figs must be at least 1, got {sig_figs}")
        rtol = 0.5 * 10.0 ** (1 - sig_figs)
    expected = float(expected)
    if not math.isfinite(expected):
        raise ValueError(f"expected must be a finite number, got {expected}")
    var_list = [_as_variant(v) for v in variants]
    known: list[tuple[Variant, float]] = []
    for var in var_list:
        if var.expression is None:
            continue
        value = _constant_value(str(var.expression), f"variant '{var.name}'")
        known.append((var, value))
    if isinstance(given, bool) or not isinstance(given, (str, int, float)):
        return _parse_error(f"an answer must be a number or text, not {type(given).__name__}", None)
    if isinstance(given, str):
        if len(given) > MAX_INPUT_CHARS:
            return _parse_error(
                f"answer is too long ({len(given)} characters; the limit is {MAX_INPUT_CHARS})",
                MAX_INPUT_CHARS,
            )
        text = given
        reply = _run_isolated(lambda: _number_job(text), timeout, memory_mb=512)
        if "internal" in reply:
            return _finish(reply, timeout)
        if "error" in reply:
            return _parse_error(reply["error"], reply.get("position"))
        value = float(reply["value"])
    else:
        value = float(given)
    tol_text = f"relative tolerance {rtol:.2g}" + (f", {sig_figs} significant figures"
                                                   if sig_figs else "")
    method = f"number: {tol_text}" + (f", absolute {atol:.2g}" if atol else "")
    if not math.isfinite(value):
        return EquivResult("not-equivalent", False, None, "Your answer is not a finite number.",
                           0.0, {"given": str(value)}, method)

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= rtol * abs(b) + atol

    if close(value, expected):
        return EquivResult("equivalent", True, None,
                           f"Correct (within a {tol_text}).", 1.0, None, method)
    counter = {"given": value, "expected": expected,
               "relative_error": abs(value - expected) / abs(expected) if expected else None}
    for var, wrong in known:
        if close(value, wrong):
            return EquivResult("not-equivalent", False, var.name,
                               var.feedback or f"Not correct: this is the known mistake "
                               f"'{var.name}'.", var.credit, counter, method)
    diagnosis, message = None, "Not correct: the value is outside the tolerance."
    if expected and close(-value, expected):
        diagnosis, message = "sign", "Not correct: your value has the wrong sign."
    elif expected and value and 0 < value / expected < math.inf:
        # The ratio of 1e308 to 0.5 overflows to inf and of 1e-308 to 2 underflows to 0:
        # neither has a power of 10 to name (and round(inf) raises).
        k = round(math.log10(value / expected))
        if k and abs(k) < 300 and close(value / 10.0**k, expected):
            diagnosis = "power-of-10"
            message = (f"Not correct: your value is off by a factor of 10^{k} (a decimal point "
                       "or a percentage?).")
    credit = 0.0
    for var in var_list:
        if var.expression is None and var.name == diagnosis:
            credit, message = var.credit, var.feedback or message
    return EquivResult("not-equivalent", False, diagnosis, message, credit, counter, method)


def run_equiv_cli(symbols: str, expected: str, given: str, *, as_json: bool, out: TextIO) -> int:
    """``grader equiv``: print the verdict; exit 0 equivalent, 1 not, 2 unparseable input."""
    try:
        result = check_equivalent(expected, given, symbols)
    except AnswerParseError as exc:
        if as_json:
            out.write(json.dumps({"verdict": "error", "message": str(exc),
                                  "position": exc.position}, indent=2) + "\n")
        else:
            out.write(f"error: {exc}\n")
        return 2
    if as_json:
        out.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        out.write(f"verdict: {result.verdict}\n")
        if result.diagnosis:
            out.write(f"diagnosis: {result.diagnosis}\n")
        out.write(f"message: {result.message}\n")
        if result.method:
            out.write(f"method: {result.method}\n")
        if result.counterexample is not None:
            out.write("counterexample:\n")
            for key, value in result.counterexample.items():
                out.write(f"  {key}: {json.dumps(value)}\n")
    if result.equivalent:
        return 0
    return 2 if result.verdict == "parse-error" else 1


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


def _as_variant(v: Variant | tuple[Any, ...]) -> Variant:
    if isinstance(v, Variant):
        return v
    if not isinstance(v, (tuple, list)) or not 2 <= len(v) <= 4:
        raise AnswerParseError(
            f"a variant must be (name, expression, credit, feedback), got {v!r}"
        )
    name, expression, *rest = v
    credit = float(rest[0]) if rest else 0.0
    feedback = str(rest[1]) if len(rest) > 1 else ""
    if not 0.0 <= credit <= 1.0:
        raise AnswerParseError(f"variant '{name}': credit must be in [0, 1], got {credit}")
    return Variant(str(name), None if expression is None else str(expression), credit, feedback)


def _parse_error(message: str, position: int | None) -> EquivResult:
    return EquivResult("parse-error", False, None, f"Could not read your answer: {message}",
                       0.0, None, "parse", position)


def _finish(reply: dict[str, Any], timeout: float) -> EquivResult:
    internal = reply.get("internal")
    if internal is not None:
        if internal == "budget":
            return EquivResult(
                "parse-error", False, "not-checked",
                f"This answer was not checked: checking all your answers together may take "
                f"{reply.get('seconds', 0):g}s, and other answers used that time up; simplify "
                "the ones reported as too complex and hand in again.",
                0.0, None, "limit: total time of the submission's answers")
        if internal in {"timeout", "memory", "died"}:
            what = "memory" if internal == "memory" else f"{timeout:g}s"
            return EquivResult(
                "parse-error", False, "too-complex",
                f"Your answer is too complex to check in {what}; simplify it and try again.",
                0.0, None, "limit: " + internal)
        # A bug met by odd input must not take the grader down: it becomes a result, and the
        # detail goes to the method field for the instructor.
        return EquivResult(
            "parse-error", False, "internal-error",
            "Your answer could not be checked because of an error in the checker; "
            "your instructor can see the details.",
            0.0, None, f"internal error: {internal}",
        )
    if "instructor" in reply:
        raise AnswerParseError(reply["instructor"], position=reply.get("position"))
    return EquivResult.from_dict(reply["result"])


@functools.lru_cache(maxsize=1024)
def _constant_value(text: str, what: str) -> float:
    try:
        expr = parse_expression(text, SymbolTable())
        value = expr.evaluate({}, {})
    except AnswerParseError as exc:
        raise AnswerParseError(f"{what}: {exc}", position=exc.position) from None
    return float(value)


def _number_job(text: str) -> dict[str, Any]:
    try:
        expr = parse_expression(text, SymbolTable())
        if expr.is_matrix:
            return {"error": "a number is expected, not a matrix", "position": 0}
        value = float(expr.evaluate({}, {}))
    except AnswerParseError as exc:
        return {"error": str(exc), "position": exc.position}
    return {"value": value if math.isfinite(value) else str(value)}


# ---------------------------------------------------------------------------------------------
# The comparison (runs in the child)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Trial:
    dims: dict[str, int]
    values: dict[str, Any]
    expected: Any
    given: Any = None
    """None when the answer could not be evaluated here; ``problem`` says why."""
    problem: str | None = None
    variants: list[Any] = field(default_factory=list)


@functools.lru_cache(maxsize=256)
def _trusted_table(text: str) -> SymbolTable:
    """A symbol table of the assignment, read once per process (tables are never changed)."""
    return SymbolTable.parse(text)


@functools.lru_cache(maxsize=1024)
def _trusted_expr(text: str, symbols: str) -> ParsedExpr:
    """An expression of the assignment (expected answer, loss, definition), parsed once per
    process. Callers only read it: nothing may fit its shape or change it."""
    return parse_expression(text, _trusted_table(symbols))


@functools.lru_cache(maxsize=256)
def _trusted_sympy(text: str, symbols: str) -> Any:
    """SymPy's form of an expected answer, built once per process."""
    return _trusted_expr(text, symbols).to_sympy()


def _expected(expected: str, key: str | None, table: SymbolTable) -> ParsedExpr | dict[str, Any]:
    """The parsed expected answer, or the instructor's error."""
    try:
        exp = _trusted_expr(expected, key) if key is not None else parse_expression(expected,
                                                                                     table)
        exp.check_sizes_known()
    except AnswerParseError as exc:
        return {"instructor": f"expected answer: {exc}", "position": exc.position}
    return exp


def _read_given(  # noqa: PLR0917 - the two tables and the variants belong to one reading
    given: str, table: SymbolTable, target: tuple[Any, ...] | None, wrong_shape: str,
    variants: list[Variant], variant_table: SymbolTable,
) -> dict[str, Any] | tuple[ParsedExpr, bool, list[tuple[Variant, ParsedExpr | None]]]:
    """Parse the student's answer and the declared variants against the expected shape.

    Returns a verdict dict when the answer cannot be compared (parse or shape error, or a broken
    variant: an instructor error), else the parsed answer, whether it is the transpose of the
    expected shape, and the variants that have the answer's shape (others parsed as None).
    ``wrong_shape`` ends the message for an answer of another shape.
    """
    try:
        giv = parse_expression(given, table)
    except AnswerShapeError as exc:
        return _result("shape-error", message=f"Your answer has a shape error: {_strip(exc)}",
                       position=exc.position, method="shape check")
    except AnswerParseError as exc:
        return _result("parse-error", message=f"Could not read your answer: {exc}",
                       position=exc.position, method="parse")
    if target is not None:
        giv.fit_shape(target)
    try:
        giv.check_sizes_known()
    except AnswerShapeError as exc:
        return _result("shape-error", message=f"Your answer has a shape error: {_strip(exc)}",
                       position=exc.position, method="shape check")
    got = _norm_shape(giv.shape)
    transposed = False
    if got != target:
        if got is not None and target is not None and got == (target[1], target[0]):
            transposed = True
        else:
            return _result("shape-error", method="shape check",
                           message=f"Your answer is {_shape_words(got)}, but {wrong_shape}")
    parsed: list[tuple[Variant, ParsedExpr | None]] = []
    for var in variants:
        if var.expression is None:
            parsed.append((var, None))
            continue
        try:
            vexp = parse_expression(var.expression, variant_table)
        except AnswerParseError as exc:
            return {"instructor": f"variant '{var.name}': {exc}", "position": exc.position}
        if target is not None:
            vexp.fit_shape(target)
        parsed.append((var, vexp if _norm_shape(vexp.shape) == got else None))
    return giv, transposed, parsed


def _compare(  # noqa: PLR0917  (one exit per verdict)
    expected: str, given: str, table: SymbolTable, variants: list[Variant], timeout: float,
    key: str | None = None,
) -> dict[str, Any]:
    exp = _expected(expected, key, table)
    if isinstance(exp, dict):
        return exp
    target = _norm_shape(exp.shape)
    read = _read_given(given, table, target, f"the answer must be {_shape_words(target)}.",
                       variants, table)
    if isinstance(read, dict):
        return read
    giv, transposed, parsed_variants = read

    if not transposed:
        budget = min(2.0, 0.4 * timeout)
        how = _symbolic_equal(exp, giv, budget,
                              None if key is None else lambda: _trusted_sympy(expected, key))
        if how is not None:
            return _result("equivalent", message="Correct: your answer is equivalent to the "
                           "expected one.", credit=1.0, method=f"symbolic ({how})")

    seed = zlib.crc32(f"{expected}\x00{given}".encode())
    trials, method = _numeric_trials(exp, giv, table, [v for _, v in parsed_variants], seed)
    if not trials:
        return {"instructor": "expected answer: it could not be evaluated at any random point "
                "(undefined or singular everywhere tried)"}
    # A transposed shape is never equivalent, even when the values are exactly E^T.
    mismatched = [
        t for t in trials if transposed or not _close(t.given, _orient(t.expected, transposed))
    ]
    if not mismatched:
        return _result("equivalent", message="Correct: your answer is equivalent to the "
                       "expected one.", credit=1.0, method=method)
    diagnosis, credit, message = _diagnose(trials, table, parsed_variants, transposed)
    problems = [t.problem for t in mismatched if t.problem]
    if diagnosis is None and problems:
        if problems[0].startswith("singular"):
            what = problems[0].partition(": ")[2] or "a matrix"
            message = (f"Not equivalent: your answer inverts {what}, which is singular where "
                       "the expected answer is defined.")
        else:
            message = ("Not equivalent: your answer is undefined (not a finite number) at "
                       "values where the expected answer is defined.")
    counterexample = _counterexample(
        mismatched, exp, giv, table, transposed=transposed, seed=seed
    )
    return _result("not-equivalent", diagnosis=diagnosis, message=message, credit=credit,
                   counterexample=counterexample, method=method)


def _result(verdict: str, **fields: Any) -> dict[str, Any]:
    res = EquivResult(verdict, verdict == "equivalent", **fields)
    return {"result": res.to_dict()}


def _strip(exc: AnswerParseError) -> str:
    return str(exc).removeprefix("shape error: ")


def _norm_shape(shape: tuple[Any, Any] | None) -> tuple[Any, Any] | None:
    """A 1 x 1 result (w^T x) counts as a scalar."""
    return None if shape is None or tuple(shape) == (1, 1) else tuple(shape)  # type: ignore[return-value]


def _shape_words(shape: tuple[Any, Any] | None) -> str:
    return "a scalar" if shape is None else f"a {shape[0]} x {shape[1]} matrix"


# -- symbolic -------------------------------------------------------------------------------

_POLY_KINDS = {"num", "sym", "const", "ident", "neg", "add", "prod", "T", "matpow", "tr",
               "scalar_of"}


def _may_prove(p: ParsedExpr) -> bool:
    """False when ``_symbolic_equal`` never tries SymPy on an answer compared with ``p``."""
    if _has_matrix(p):
        return all(node_kind in _POLY_KINDS for node_kind in _kinds(p))
    return not p.has("softmax")


def _has_matrix(p: ParsedExpr) -> bool:
    return any(s.is_matrix for s in p.symbols()) or p.has("ident")


def _symbolic_equal(  # noqa: PLR0911, PLR0912  (one exit per proof method)
    exp: ParsedExpr, giv: ParsedExpr, budget: float,
    expected_sympy: Callable[[], Any] | None = None,
) -> str | None:
    """How the two were proved equal, or None when SymPy could not (quickly) prove it.

    ``expected_sympy`` gives SymPy's form of ``exp`` from a cache, when there is one.
    """
    import sympy as sp

    matrix = _has_matrix(exp) or _has_matrix(giv)
    if matrix:
        # Only matrix polynomials: SymPy's rewriting of inverses and elementwise functions
        # does not track which sizes are equal, so those are left to the numeric tests.
        for p in (exp, giv):
            if any(node_kind not in _POLY_KINDS for node_kind in _kinds(p)):
                return None
    elif exp.has("softmax") or giv.has("softmax"):
        return None
    try:
        with _time_budget(budget):
            e1 = expected_sympy() if expected_sympy is not None else exp.to_sympy()
            e2 = giv.to_sympy()
            if getattr(e1, "is_Matrix", False) != getattr(e2, "is_Matrix", False):
                e1 = sp.Trace(e1) if getattr(e1, "is_Matrix", False) else e1
                e2 = sp.Trace(e2) if getattr(e2, "is_Matrix", False) else e2
            if e1 == e2:
                return "identical"
            diff = e1 - e2
            if matrix:
                d = sp.expand(diff)
                if d == 0 or isinstance(d, sp.ZeroMatrix):
                    return "expand"
                return None
            if sp.expand(diff) == 0:
                return "expand"
            if sp.cancel(sp.together(diff)) == 0:
                return "cancel"
            if not diff.free_symbols:
                value = sp.N(diff, 40)
                scale = max(1.0, abs(float(sp.N(e1, 20))))
                if value.is_number and abs(complex(value)) < 1e-30 * scale:
                    return "constants agree to 30 digits"
                return None
            # simplify() is left out on purpose: it is slow, and where expand/cancel fail the
            # random-point test decides (and finds a counterexample when there is one).
    except (_BudgetExceededError, MemoryError, RecursionError, TypeError, ValueError,
            AttributeError, NotImplementedError, ZeroDivisionError, AnswerParseError):
        return None
    except Exception:  # noqa: BLE001 - SymPy raises many types on odd input; the numeric test still decides
        return None
    return None


def _kinds(p: ParsedExpr) -> set[str]:
    out: set[str] = set()
    stack = [p.root]
    while stack:
        node = stack.pop()
        out.add(node.kind)
        stack.extend(node.args)
    return out


# -- numeric --------------------------------------------------------------------------------


def _numeric_trials(
    exp: ParsedExpr, giv: ParsedExpr, table: SymbolTable, variants: Sequence[ParsedExpr | None],
    seed: int,
) -> tuple[list[_Trial], str]:
    rng = np.random.default_rng(seed)
    exprs = [exp, giv, *(v for v in variants if v is not None)]
    dim_names: list[str] = []
    for p in exprs:
        for d in p.dim_names():
            if d not in dim_names:
                dim_names.append(d)
    has_matrix = any(p.is_matrix or any(s.is_matrix for s in p.symbols()) for p in exprs)
    constant = not any(p.symbols() for p in exprs) and not dim_names
    n_sets, per_set = (3, 3) if dim_names else (1, 8 if not has_matrix else 6)
    if constant:
        n_sets, per_set = 1, 1
    pool = list(range(2, 2 + max(6, len(dim_names) + 3)))
    trials: list[_Trial] = []
    used_sets: list[dict[str, int]] = []
    for _attempt in range(12):
        if len(used_sets) >= n_sets:
            break
        dims = _draw_dims(rng, dim_names, pool, used_sets)
        got = _trials_at(exp, giv, table, variants, dims=dims, count=per_set, rng=rng)
        if got:
            used_sets.append(dims)
            trials.extend(got)
    if dim_names:
        where = "; ".join(",".join(f"{k}={v}" for k, v in d.items()) for d in used_sets)
        method = f"numeric: {len(trials)} trials at dims {where}"
    elif constant:
        method = "numeric: constants compared in floating point"
    else:
        method = f"numeric: {len(trials)} random points"
    return trials, method


def _draw_dims(
    rng: np.random.Generator, names: list[str], pool: list[int], used: list[dict[str, int]]
) -> dict[str, int]:
    # Dimensions differ from each other (so X^T X and X X^T cannot be confused) and from the
    # earlier sets (so a factor n is not mistaken for a constant).
    best: dict[str, int] = {}
    for _ in range(50):
        values = rng.choice(pool, size=len(names), replace=False)
        best = {n: int(v) for n, v in zip(names, values, strict=True)}
        if all(best[n] != u[n] for u in used for n in names):
            break
    return best


def _trials_at(
    exp: ParsedExpr, giv: ParsedExpr, table: SymbolTable, variants: Sequence[ParsedExpr | None],
    *, dims: dict[str, int], count: int, rng: np.random.Generator,
) -> list[_Trial]:
    out: list[_Trial] = []
    for attempt in range(4 * count):
        if len(out) >= count:
            break
        values = _draw_values(table, dims, rng, positive=attempt % 2 == 1 or attempt >= count)
        try:
            want = _norm_value(exp.evaluate(values, dims))
        except (IllConditionedError, FloatingPointError):
            continue
        if not _finite(want):
            continue
        got, problem = _safe_eval(giv, values, dims)
        trial = _Trial(dims, values, want, got, problem)
        trial.variants = [None if v is None else _safe_eval(v, values, dims)[0] for v in variants]
        out.append(trial)
    return out


def _safe_eval(
    p: ParsedExpr, values: dict[str, Any], dims: dict[str, int]
) -> tuple[Any, str | None]:
    """The value, or None and why it has none (``singular: ...`` or ``not finite``)."""
    try:
        value = _norm_value(p.evaluate(values, dims))
    except IllConditionedError as exc:
        return None, f"singular: {exc.what}"
    except (FloatingPointError, np.linalg.LinAlgError):
        return None, "singular"
    return (value, None) if _finite(value) else (None, "not finite")


def _draw_values(
    table: SymbolTable, dims: dict[str, int], rng: np.random.Generator, *, positive: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in table.specs.values():
        if spec.shape is None:
            if spec.name in dims:
                values[spec.name] = float(dims[spec.name])
            else:
                x = rng.uniform(0.3, 2.0)
                if not positive and spec.structure != "positive" and rng.random() < 0.5:
                    x = -x
                values[spec.name] = float(x)
            continue
        r, c = (d if isinstance(d, int) else dims.get(d, 3) for d in spec.shape)
        values[spec.name] = _random_matrix(rng, r, c, spec.structure)
    return values


def _random_matrix(rng: np.random.Generator, r: int, c: int, structure: str) -> np.ndarray:
    """A random matrix with singular values in [0.5, 2]: full rank and well-conditioned."""
    k = min(r, c)
    s = rng.uniform(0.5, 2.0, size=k)
    u, _ = np.linalg.qr(rng.normal(size=(r, k)))
    if structure in {"symmetric", "spd"}:
        if structure == "symmetric":
            s = s * rng.choice([-1.0, 1.0], size=k)
        return (u * s) @ u.T
    v, _ = np.linalg.qr(rng.normal(size=(c, k)))
    return (u * s) @ v.T


def _norm_value(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        if v.shape == (1, 1) or v.ndim == 0:
            return float(v.reshape(-1)[0])
        return v
    return float(v)


def _finite(v: Any) -> bool:
    return v is not None and bool(np.all(np.isfinite(v)))


def _orient(v: Any, transposed: bool) -> Any:
    return v.T if transposed and isinstance(v, np.ndarray) else v


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        return False
    scale = max(float(np.max(np.abs(b_arr), initial=0.0)),
                float(np.max(np.abs(a_arr), initial=0.0)), _SCALE_FLOOR)
    return float(np.max(np.abs(a_arr - b_arr), initial=0.0)) <= _RTOL * scale


# -- diagnosis ------------------------------------------------------------------------------


_MESSAGES = {
    "sign": "your answer has the opposite sign",
    "missing-1/n": "your answer is n times too large: the 1/n (the average over the n "
    "samples) seems to be missing",
    "extra-1/n": "your answer is n times too small: it has an extra factor 1/n",
    "transpose": "your answer is the transpose of the expected one",
}


def _diagnose(
    trials: list[_Trial], table: SymbolTable,
    variants: list[tuple[Variant, ParsedExpr | None]], transposed: bool,
) -> tuple[str | None, float, str]:
    for idx, (var, vexp) in enumerate(variants):
        # Where the variant is undefined (a singular inverse) the answer must be too.
        if vexp is not None and all(
            _close(t.given, t.variants[idx])
            or (t.given is None and t.variants[idx] is None)
            for t in trials
        ) and any(t.given is not None for t in trials):
            return var.name, var.credit, var.feedback or (
                f"Not equivalent: your answer matches the known mistake '{var.name}'."
            )
    found = _auto_diagnosis(trials, table, transposed)
    if found is None:
        return None, 0.0, ("Not equivalent: your answer differs from the expected one "
                           "(see the counterexample).")
    parts, factor_text = found
    name = "+".join(parts)
    phrases = []
    for part in parts:
        if part == "constant-factor":
            phrases.append(f"your answer is {factor_text} times the expected one (a constant "
                           "factor is off)")
        else:
            phrases.append(_MESSAGES[part])
    message = "Not equivalent: " + "; ".join(phrases) + "."
    credit = 0.0
    for var, _ in variants:
        if var.expression is None and var.name == name:
            credit = var.credit
            message = var.feedback or message
    return name, credit, message


def _auto_diagnosis(  # noqa: PLR0911, PLR0912  (one test per kind of mistake)
    trials: list[_Trial], table: SymbolTable, transposed: bool
) -> tuple[list[str], str] | None:
    if any(t.given is None for t in trials):
        return None
    n_spec = table.specs.get("n") or table.specs.get("N")
    n_name = n_spec.name if n_spec is not None and n_spec.shape is None else None
    orientations = [True] if transposed else [False, True]
    for flip in orientations:
        if flip and not all(isinstance(t.expected, np.ndarray) for t in trials):
            continue
        if flip and not transposed and not all(
            t.expected.shape[0] == t.expected.shape[1] for t in trials
        ):
            continue
        ratios = []
        for t in trials:
            base = t.expected.T if flip else t.expected
            r = _ratio(t.given, base)
            if r is None:
                break
            ratios.append(r)
        else:
            parts = ["transpose"] if flip else []
            if all(abs(r - 1.0) <= 1e-6 for r in ratios):
                return (parts, "1") if parts else None
            if all(abs(r + 1.0) <= 1e-6 for r in ratios):
                return ["sign", *parts], "-1"
            if n_name is not None:
                ns = [float(t.values[n_name]) for t in trials]
                if len(set(ns)) > 1:
                    for sign in (1.0, -1.0):
                        sign_part = ["sign"] if sign < 0 else []
                        if all(abs(r - sign * n) <= 1e-6 * n for r, n in zip(ratios, ns,
                                                                              strict=True)):
                            return [*sign_part, "missing-1/n", *parts], ""
                        if all(abs(r - sign / n) <= 1e-6 / n for r, n in zip(ratios, ns,
                                                                             strict=True)):
                            return [*sign_part, "extra-1/n", *parts], ""
            if all(abs(r - ratios[0]) <= 1e-6 * abs(ratios[0]) for r in ratios):
                return ["constant-factor", *parts], _nice_number(ratios[0])
    return None


def _ratio(given: Any, base: Any) -> float | None:
    """c such that given = c * base on this trial, if there is one."""
    g = np.asarray(given, dtype=float)
    b = np.asarray(base, dtype=float)
    if g.shape != b.shape:
        return None
    denom = float(np.sum(b * b))
    if denom <= 1e-24:
        return None
    c = float(np.sum(g * b)) / denom
    if c == 0 or not _close(g, c * b):
        return None
    return c


def _nice_number(x: float) -> str:
    frac = Fraction(x).limit_denominator(12)
    if abs(float(frac) - x) <= 1e-9 * max(1.0, abs(x)):
        return str(frac)
    return f"{x:.6g}"


# -- counterexample -------------------------------------------------------------------------


def _counterexample(
    mismatched: list[_Trial],
    exp: ParsedExpr,
    giv: ParsedExpr,
    table: SymbolTable,
    *,
    transposed: bool,
    seed: int,
) -> dict[str, Any]:
    trial = min(mismatched, key=lambda t: sum(t.dims.values()))
    # Small whole numbers make the counterexample checkable by hand; keep the random trial
    # when no such inputs show the difference.
    rng = np.random.default_rng(seed)
    trial = _integer_trial(trial, exp, giv, table, transposed=transposed, rng=rng) or trial
    used = {s.name: s for p in (exp, giv) for s in p.symbols()}
    out: dict[str, Any] = {}
    if trial.dims:
        out["dims"] = dict(trial.dims)
    values: dict[str, Any] = {}
    entries = sum(int(np.size(trial.values[name])) for name in used)
    for name, spec in used.items():
        v = trial.values[name]
        if spec.shape is None or entries <= 60:
            values[spec.display] = _round(v)
        else:
            values[spec.display] = f"random {v.shape[0]} x {v.shape[1]} matrix"
    out["values"] = values
    want, got = trial.expected, trial.given
    out["expected"] = _round(want) if np.size(want) <= 24 else "(large)"
    out["given"] = f"undefined ({trial.problem})" if got is None else (
        _round(got) if np.size(got) <= 24 else "(large)")
    if isinstance(want, np.ndarray) and isinstance(got, np.ndarray) and want.shape == got.shape:
        idx = np.unravel_index(int(np.argmax(np.abs(want - got))), want.shape)
        out["worst_entry"] = {"index": [int(i) for i in idx],
                              "expected": _round(want[idx]), "given": _round(got[idx])}
    return out


def _integer_trial(
    trial: _Trial,
    exp: ParsedExpr,
    giv: ParsedExpr,
    table: SymbolTable,
    *,
    transposed: bool,
    rng: np.random.Generator,
) -> _Trial | None:
    for _ in range(20):
        values = dict(trial.values)
        for name, spec in table.specs.items():
            if spec.shape is None:
                if name not in trial.dims:
                    signed = spec.structure != "positive"
                    values[name] = float(rng.choice([-2, -1, 1, 2, 3] if signed else [1, 2, 3]))
                continue
            r, c = (d if isinstance(d, int) else trial.dims.get(d, 3) for d in spec.shape)
            m = rng.integers(-2, 3, size=(r, c)).astype(float)
            if spec.structure == "spd":
                m = m @ m.T + np.eye(r)
            elif spec.structure == "symmetric":
                m = m + m.T
            values[name] = m
        try:
            want = _norm_value(exp.evaluate(values, trial.dims))
        except (IllConditionedError, FloatingPointError, np.linalg.LinAlgError):
            continue
        if not _finite(want):
            continue
        got, problem = _safe_eval(giv, values, trial.dims)
        if got is None and trial.given is not None:
            continue
        if transposed or not _close(got, want):
            return _Trial(trial.dims, values, want, got, problem)
    return None


def _round(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return [_round(x) for x in v.tolist()] if v.ndim else _round(float(v))
    if isinstance(v, list):
        return [_round(x) for x in v]
    x = float(v)
    if not math.isfinite(x):
        return str(x)
    return float(f"{x:.6g}")


# ---------------------------------------------------------------------------------------------
# Gradients of a declared loss
# ---------------------------------------------------------------------------------------------


def run_isolated(job: Callable[[], dict[str, Any]], timeout: float, memory_mb: int) -> dict:
    """Run ``job`` in a forked child with a wall-time and an address-space limit.

    The job must return a JSON-able dict; the parent gets it back, or ``{"internal": ...}``
    when the child timed out, ran out of memory or died. Other checkers of student text use
    this so that all of them share one set of limits.
    """
    return _run_isolated(job, timeout, memory_mb)


_FD_STEP = 1e-3
"""Step of the 5-point central difference: its error is O(h^4) ~ 1e-12 here, and rounding
error ~ 1e-16 / h stays near 1e-13, well inside the 1e-7 tolerance of the comparison."""


def check_gradient(
    loss: str,
    wrt: str,
    given: str,
    symbols: str,
    *,
    define: Iterable[tuple[str, str]] = (),
    helpers: str = "",
    variants: Iterable[Variant | tuple[Any, ...]] = (),
    timeout: float = 5.0,
) -> EquivResult:
    """Is ``given`` the gradient of the scalar ``loss`` with respect to the symbol ``wrt``?

    The answer is compared with central finite differences of the loss itself at random points
    (several sets of dimensions, independent inputs), never with a formula, so any correct form
    passes. ``symbols`` are what answers may use; ``helpers`` declares further symbols only the
    trusted expressions use. ``define`` gives symbols a value computed from others, in order
    (``("Y_hat", "softmax((W^T X)^T)^T")``): a define that depends on ``wrt`` is recomputed at
    every perturbed point, so the loss may be written through it while the answer uses its value
    at the point. Shape errors, the usual slips and ``variants`` are diagnosed as in
    ``check_equivalent``.
    """
    return _check_alone(prepare_gradient(loss, wrt, given, symbols, define=define,
                                         helpers=helpers, variants=variants, timeout=timeout))


def prepare_gradient(
    loss: str,
    wrt: str,
    given: str,
    symbols: str,
    *,
    define: Iterable[tuple[str, str]] = (),
    helpers: str = "",
    variants: Iterable[Variant | tuple[Any, ...]] = (),
    timeout: float = 5.0,
) -> PreparedCheck:
    """``check_gradient`` without running it: the loss and its definitions are parsed here
    (once per process; an error in them raises ``AnswerParseError``), the answer in the child."""
    full_text = symbols + ("; " + helpers if helpers.strip() else "")
    student = _trusted_table(symbols)
    _trusted_table(full_text)
    defines = tuple((str(n), str(e)) for n, e in define)
    var_list = [_as_variant(v) for v in variants]
    refused = _refused(given)
    if refused is not None:
        return PreparedCheck(result=refused)
    setting = _gradient_setting(loss, wrt, full_text, defines)
    if isinstance(setting, dict):
        raise AnswerParseError(setting["instructor"], position=setting.get("position"))
    return PreparedCheck(
        run=lambda: _compare_gradient(loss, wrt, given, student, full_text, defines, var_list),
        timeout=timeout, memory_mb=1024)


@dataclass(frozen=True)
class _GradientSetting:
    loss: ParsedExpr
    wrt: Any
    """The ``SymbolSpec`` of the variable."""
    defines: tuple[tuple[Any, ParsedExpr], ...]
    moving: tuple[bool, ...]
    """For each define: does its value change with the variable (so it is recomputed at every
    perturbed point)? The others are computed once per random point."""


@functools.lru_cache(maxsize=256)
def _gradient_setting_cached(loss: str, wrt: str, full_text: str,
                             defines: tuple[tuple[str, str], ...]) -> _GradientSetting:
    full = _trusted_table(full_text)
    loss_expr = _trusted_expr(loss, full_text)
    if loss_expr.is_matrix and not loss_expr.is_1x1:
        raise _SettingError(f"loss: it is {loss_expr.shape_text}, not a scalar")
    spec = full.lookup(wrt)
    if spec is None:
        raise _SettingError(f"wrt: '{wrt}' is not a declared symbol")
    parsed, moving = [], []
    changing = {spec.name}
    for name, text in defines:
        dspec = full.lookup(name)
        if dspec is None:
            raise _SettingError(f"define: '{name}' is not a declared symbol")
        dexpr = _trusted_expr(text, full_text)
        moves = dspec.name == spec.name or any(s.name in changing for s in dexpr.symbols())
        if moves:
            changing.add(dspec.name)
        parsed.append((dspec, dexpr))
        moving.append(moves)
    return _GradientSetting(loss_expr, spec, tuple(parsed), tuple(moving))


class _SettingError(Exception):
    pass


def _gradient_setting(loss: str, wrt: str, full_text: str,
                      defines: tuple[tuple[str, str], ...]) -> _GradientSetting | dict[str, Any]:
    """The parsed loss, variable and definitions of a gradient answer, or the instructor's
    error (as ``_compare_gradient`` reports it)."""
    try:
        return _gradient_setting_cached(loss, wrt, full_text, defines)
    except _SettingError as exc:
        return {"instructor": str(exc)}
    except AnswerParseError as exc:
        return {"instructor": f"gradient setting: {exc}", "position": exc.position}


def _compare_gradient(  # noqa: PLR0912, PLR0917  (one exit per verdict)
    loss: str, wrt: str, given: str, student: SymbolTable, full_text: str,
    defines: tuple[tuple[str, str], ...], variants: list[Variant],
) -> dict[str, Any]:
    setting = _gradient_setting(loss, wrt, full_text, defines)
    if isinstance(setting, dict):
        return setting
    full = _trusted_table(full_text)
    loss_expr, spec, parsed_defines = setting.loss, setting.wrt, list(setting.defines)
    target = _norm_shape(spec.shape)
    read = _read_given(given, student, target,
                       f"the gradient with respect to {spec.display} must be "
                       f"{_shape_words(target)} (the shape of {spec.display}).", variants, full)
    if isinstance(read, dict):
        return read
    giv, transposed, parsed_variants = read

    seed = zlib.crc32(f"{loss}\x00{wrt}\x00{given}".encode())
    rng = np.random.default_rng(seed)
    exprs = [loss_expr, giv, *(e for _, e in parsed_defines)]
    dim_names: list[str] = []
    for p in exprs:
        for d in p.dim_names():
            if d not in dim_names:
                dim_names.append(d)
    for dim in (spec.shape or ()):
        if isinstance(dim, str) and dim not in dim_names:
            dim_names.append(dim)
    # Each trial differentiates every entry of the variable (four loss evaluations each), so
    # fewer, smaller trials than check_equivalent: three sets of sizes, two points per set.
    n_sets, per_set = (3, 2) if dim_names else (1, 6)
    pool = list(range(2, 2 + max(5, len(dim_names) + 2)))
    trials: list[_Trial] = []
    used_sets: list[dict[str, int]] = []
    for _attempt in range(12):
        if len(used_sets) >= n_sets:
            break
        dims = _draw_dims(rng, dim_names, pool, used_sets)
        found = 0
        for attempt in range(4 * per_set):
            if found >= per_set:
                break
            values = _draw_values(full, dims, rng, positive=attempt % 2 == 1)
            trial = _gradient_trial(loss_expr, spec, giv, parsed_defines, setting.moving,
                                    parsed_variants, values, dims)
            if trial is not None:
                trials.append(trial)
                found += 1
        if found:
            used_sets.append(dims)
    if not trials:
        return {"instructor": "gradient setting: the loss could not be evaluated at any random "
                "point (undefined everywhere tried)"}
    where = "; ".join(",".join(f"{k}={v}" for k, v in d.items()) for d in used_sets)
    method = (f"finite differences of the loss: {len(trials)} trials"
              + (f" at dims {where}" if where else ""))
    mismatched = [
        t for t in trials if transposed or not _close(t.given, _orient(t.expected, transposed))
    ]
    if not mismatched:
        return _result("equivalent", message="Correct: your answer is the gradient of the loss.",
                       credit=1.0, method=method)
    diagnosis, credit, message = _diagnose(trials, student, parsed_variants, transposed)
    if diagnosis is None and any(t.problem for t in mismatched):
        message = ("Not correct: your answer is undefined (not a finite number) at points "
                   "where the loss has a gradient.")
    trial = min(mismatched, key=lambda t: sum(t.dims.values()))
    shown = {s.name: s for s in giv.symbols()}
    counter: dict[str, Any] = {}
    if trial.dims:
        counter["dims"] = dict(trial.dims)
    entries = sum(int(np.size(trial.values[name])) for name in shown)
    counter["values"] = {
        s.display: (_round(trial.values[name]) if s.shape is None or entries <= 60
                    else f"random {np.shape(trial.values[name])[0]} x "
                         f"{np.shape(trial.values[name])[1]} matrix")
        for name, s in shown.items()
    }
    counter["expected"] = (_round(trial.expected) if np.size(trial.expected) <= 24
                           else "(large)")
    counter["given"] = (f"undefined ({trial.problem})" if trial.given is None else
                        _round(trial.given) if np.size(trial.given) <= 24 else "(large)")
    return _result("not-equivalent", diagnosis=diagnosis, message=message, credit=credit,
                   counterexample=counter, method=method)


def _gradient_trial(  # noqa: PLR0917  (one random point needs all of these)
    loss: ParsedExpr, spec: Any, giv: ParsedExpr, defines: list[tuple[Any, ParsedExpr]],
    moving: Sequence[bool], variants: list[tuple[Variant, ParsedExpr | None]],
    values: dict[str, Any], dims: dict[str, int],
) -> _Trial | None:
    """Finite-difference gradient of the loss at one random point, with the answer there."""

    def with_defines(point: dict[str, Any], fixed: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
        out = dict(point)
        for (dspec, dexpr), moves in zip(defines, moving, strict=True):
            if fixed is not None and not moves:
                # Only the variable differs from the random point: this value cannot change.
                out[dspec.name] = fixed[dspec.name]
                continue
            value = dexpr.evaluate(out, dims)
            if dspec.shape is not None:
                value = np.asarray(value, dtype=float).reshape(
                    np.shape(out[dspec.name]) if dspec.name in out else np.shape(value))
            out[dspec.name] = value
        return out

    def f(point: dict[str, Any], fixed: dict[str, Any] | None = None) -> float:
        v = loss.evaluate(with_defines(point, fixed), dims)
        return float(np.asarray(v, dtype=float).reshape(-1)[0])

    try:
        base = with_defines(values)
        f0 = f(values)
    except (IllConditionedError, FloatingPointError, np.linalg.LinAlgError):
        return None
    if not math.isfinite(f0) or not all(_finite(np.asarray(base[s], dtype=float))
                                        for s in base):
        return None
    x0 = values[spec.name]
    scalar = spec.shape is None
    arr = np.atleast_2d(np.asarray(x0, dtype=float))
    grad = np.zeros_like(arr)
    h = _FD_STEP
    try:
        for idx in np.ndindex(arr.shape):
            fs = []
            for step in (2 * h, h, -h, -2 * h):
                moved = arr.copy()
                moved[idx] += step
                point = dict(values)
                point[spec.name] = float(moved[0, 0]) if scalar else moved
                fs.append(f(point, base))
            grad[idx] = (-fs[0] + 8 * fs[1] - 8 * fs[2] + fs[3]) / (12 * h)
    except (IllConditionedError, FloatingPointError, np.linalg.LinAlgError):
        return None
    if not _finite(grad):
        return None
    expected = float(grad[0, 0]) if scalar or grad.shape == (1, 1) else grad
    got, problem = _safe_eval(giv, base, dims)
    trial = _Trial(dims, base, expected, got, problem)
    trial.variants = [None if v is None else _safe_eval(v, base, dims)[0] for _, v in variants]
    return trial
