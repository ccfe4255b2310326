"""`grader verify`: run the derivation checks of ``reference.derivations`` and report them.

Each claim runs under a time limit: SymPy can spend minutes on an identity it cannot close, and a
hung check must read "timeout" in the table, not hang the command. A claim whose own code raises
is an "error" (a bug in the check, never a verdict about the mathematics).
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from grader.errors import UsageError

#: Seconds one claim may run before it is reported as "timeout".
DEFAULT_TIMEOUT = 30.0

VERDICTS = ("holds", "fails", "error", "timeout")


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of one derivation check."""

    name: str
    """The claim's function name, which states it (``ridge_minimiser_closed_form``)."""
    source: str
    """Where the seed makes the claim (``seed 003, section 2.1``)."""
    assignments: tuple[str, ...]
    """Assignments whose answers rest on the claim."""
    statement: str
    """The claim in one line of words."""
    method: str
    """``symbolic``, ``exact arithmetic``, ``numeric identity`` or ``finite differences``
    (empty when the check did not finish)."""
    verdict: str
    """``holds``, ``fails``, ``error`` (the check itself crashed) or ``timeout``."""
    detail: str
    """What was shown, or why it failed."""
    trials: int
    """Random or exact instances checked beyond any symbolic proof."""
    worst_error: float
    """Largest relative error over the numeric checks (``inf`` when a shape was wrong)."""
    seconds: float
    """Wall time of the check."""


class _ClaimTimeout(BaseException):
    """Raised inside a claim by the timer; a BaseException so SymPy's ``except Exception``
    blocks cannot swallow it."""


def _call_with_timeout(func: Callable[[], Any], timeout: float) -> Any:
    """Run ``func()``; raise ``_ClaimTimeout`` after ``timeout`` seconds."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        def on_alarm(signum: int, frame: object) -> None:
            raise _ClaimTimeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return func()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    # Off the main thread there is no alarm: run in a daemon thread and stop waiting for it.
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _ClaimTimeout
    if "error" in box:
        raise box["error"]
    return box["value"]


def run_claim(claim: Any, *, timeout: float = DEFAULT_TIMEOUT) -> ClaimResult:
    """Run one registered claim (a ``reference.derivations.Claim``) and record its outcome."""
    start = time.perf_counter()
    common = {"name": claim.name, "source": claim.source, "assignments": claim.assignments,
              "statement": claim.statement}
    try:
        evidence = _call_with_timeout(claim.check, timeout)
    except _ClaimTimeout:
        return ClaimResult(**common, method="", verdict="timeout",
                           detail=f"did not finish within {timeout:g} s", trials=0,
                           worst_error=math.nan, seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - a failing check is a verdict, not a crash
        return ClaimResult(**common, method="", verdict="error",
                           detail=f"the check raised {type(exc).__name__}: {exc}", trials=0,
                           worst_error=math.nan, seconds=time.perf_counter() - start)
    return ClaimResult(**common, method=evidence.method, verdict=evidence.verdict,
                       detail=evidence.detail, trials=evidence.trials,
                       worst_error=evidence.worst_error, seconds=time.perf_counter() - start)


def run_claims(assignments: list[str] | None = None, *,
               timeout: float = DEFAULT_TIMEOUT) -> list[ClaimResult]:
    """Run every claim, or those of the named assignments (an empty list means all).

    Raises ``UsageError`` for an assignment name that is not one of the four.
    """
    import sys

    from grader.assignment import PROJECT_ROOT

    # The derivation checks live in the course's checkout, not in the installed package.
    if (PROJECT_ROOT / "reference" / "__init__.py").is_file() and \
            str(PROJECT_ROOT) not in sys.path:
        sys.path.append(str(PROJECT_ROOT))
    try:
        from reference.derivations import ASSIGNMENTS, claims_for
    except ModuleNotFoundError:
        raise UsageError("the derivation checks (reference/derivations) are not installed "
                         "here; run grader verify from the course's checkout") from None

    names = list(assignments or [])
    unknown = [a for a in names if a not in ASSIGNMENTS]
    if unknown:
        raise UsageError(
            f"unknown assignment {unknown[0]!r}; expected one of {', '.join(sorted(ASSIGNMENTS))}")
    return [run_claim(c, timeout=timeout) for c in claims_for(names or None)]


def _method_text(r: ClaimResult) -> str:
    if not r.method:
        return "-"
    parts = [r.method]
    if r.trials:
        parts.append(f"{r.trials} trial{'s' if r.trials != 1 else ''}")
    if r.verdict == "holds" or math.isfinite(r.worst_error):
        parts.append(f"worst error {r.worst_error:.1e}" if r.worst_error else "worst error 0")
    return ", ".join(parts)


def format_table(results: Sequence[ClaimResult]) -> str:
    """A plain-text table (claim, source, method, verdict), a summary line, then the detail of
    every claim that did not hold."""
    header = ("claim", "source", "method", "verdict")
    rows = [(r.name, r.source, _method_text(r), r.verdict) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)]
    counts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    total = sum(r.seconds for r in results)
    out.append("")
    out.append(f"{len(results)} claims: {counts['holds']} hold, {counts['fails']} fail, "
               f"{counts['error']} error, {counts['timeout']} timeout ({total:.1f} s)")
    bad = [r for r in results if r.verdict != "holds"]
    if bad:
        out.append("")
        out.extend(f"{r.verdict.upper()} {r.name} ({r.source}): {r.detail}" for r in bad)
    return "\n".join(out)


def to_json(results: Sequence[ClaimResult]) -> list[dict[str, Any]]:
    """One dict per claim; ``worst_error`` is null when it is not a finite number (JSON has no
    inf or NaN)."""
    return [
        {
            "name": r.name,
            "source": r.source,
            "assignments": list(r.assignments),
            "statement": r.statement,
            "method": r.method,
            "verdict": r.verdict,
            "detail": r.detail,
            "trials": r.trials,
            "worst_error": r.worst_error if math.isfinite(r.worst_error) else None,
            "seconds": round(r.seconds, 3),
        }
        for r in results
    ]


def run_verify(assignments: list[str] | None, as_json: bool, out: TextIO) -> int:
    """Run the claims, print a table (or JSON) to ``out``; 0 only when every claim holds."""
    results = run_claims(assignments)
    if as_json:
        out.write(json.dumps(to_json(results), indent=2, allow_nan=False) + "\n")
    else:
        out.write(format_table(results) + "\n")
    return 0 if results and all(r.verdict == "holds" for r in results) else 1
