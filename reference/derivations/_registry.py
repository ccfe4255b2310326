"""The claim registry: what a derivation check is, what it returns, and where it comes from."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

#: Assignment name -> the seed document it is built from.
ASSIGNMENTS: dict[str, str] = {
    "cs189_hw4_backprop": "000",
    "softmax_regression": "001",
    "cs229_ps2": "002",
    "mathml_hw4": "003",
}

#: The ways a claim can be shown, strongest first.
METHODS = ("symbolic", "exact arithmetic", "numeric identity", "finite differences")


@dataclass(frozen=True)
class Evidence:
    """What one claim showed and how."""

    method: str
    """How it was shown: one of ``METHODS`` (the strongest one that carried the verdict)."""
    holds: bool
    """True when every check passed."""
    trials: int
    """Number of independent random (or exact) instances checked, beyond any symbolic proof."""
    worst_error: float
    """Largest relative error seen over the numeric checks (0.0 for an exact proof)."""
    detail: str
    """One or two sentences a person can read: what was compared, and why it failed if it did."""

    @property
    def verdict(self) -> str:
        """``holds`` or ``fails``."""
        return "holds" if self.holds else "fails"


@dataclass(frozen=True)
class Claim:
    """A registered derivation check."""

    name: str
    """The function's name, which states the claim (``newton_one_step_reaches_least_squares``)."""
    source: str
    """Where the claim is made, e.g. ``seed 001, section 1``."""
    assignments: tuple[str, ...]
    """The assignments whose answers rest on it."""
    statement: str
    """One line in words: the first line of the function's docstring."""
    check: Callable[[], Evidence]
    """Runs the check with the correct formulas and returns the evidence."""


class CandidateError(Exception):
    """A candidate formula raised (shape mismatch, bad argument): the claim fails, no crash."""

    def __init__(self, message: str, *, method: str) -> None:
        super().__init__(message)
        self.method = method


#: Every claim, in registration order (module import order, then definition order).
REGISTRY: dict[str, Claim] = {}


def claim(*, source: str, assignments: tuple[str, ...]) -> Callable[
    [Callable[..., Evidence]], Callable[..., Evidence]
]:
    """Register a claim function.

    The function takes only keyword arguments, each a candidate formula whose default is the
    correct one, so tests can plant a wrong formula and watch the same checks reject it. A candidate
    that raises makes the claim fail with the reason, rather than escape as an exception.
    """
    unknown = [a for a in assignments if a not in ASSIGNMENTS]
    if unknown:
        raise ValueError(f"unknown assignment(s) {unknown}; known: {sorted(ASSIGNMENTS)}")

    def decorate(func: Callable[..., Evidence]) -> Callable[..., Evidence]:
        @functools.wraps(func)
        def run(**candidates: object) -> Evidence:
            try:
                return func(**candidates)
            except CandidateError as exc:
                return Evidence(
                    method=exc.method,
                    holds=False,
                    trials=0,
                    worst_error=float("inf"),
                    detail=str(exc),
                )

        if func.__name__ in REGISTRY:
            raise ValueError(f"claim {func.__name__!r} registered twice")
        doc = (func.__doc__ or "").strip().splitlines()
        REGISTRY[func.__name__] = Claim(
            name=func.__name__,
            source=source,
            assignments=tuple(assignments),
            statement=doc[0] if doc else func.__name__,
            check=run,
        )
        return run

    return decorate
