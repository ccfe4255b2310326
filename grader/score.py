"""Outcomes -> points. Pure: plain data in, plain data out, no submission needed to test it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from grader.assignment import Part


@dataclass
class CaseInfo:
    """What the test declares about itself (from ``@points``) plus where it lives."""

    nodeid: str
    """pytest's id for the test."""
    name: str
    """Display name."""
    points: float
    """Points it is worth."""
    part: str | None
    """Part id it belongs to."""
    visibility: str
    """Gradescope visibility."""
    tags: tuple[str, ...]
    """Tags, including ``public`` or ``hidden``."""


@dataclass
class Outcome:
    """One test's result, ready for scoring."""

    info: CaseInfo
    """What the test declares (name, points, part, visibility, tags)."""
    status: str
    """``passed``, ``failed``, ``error`` (setup broke) or ``skipped``."""
    fraction: float | None = None
    """Partial credit, when the test used ``credit``."""
    messages: list[str] = field(default_factory=list)
    """Student-facing messages."""
    internal: str = ""
    """Instructor-only detail."""
    duration: float = 0.0
    """Seconds spent in the test."""
    index: int = 0
    """Which submission of a multi-submission run the outcome belongs to."""


@dataclass(frozen=True)
class CaseScore:
    """One test's score as it appears in the report."""

    name: str
    """Display name."""
    number: str
    """Gradescope's ordering label, e.g. ``3.1.2``."""
    score: float
    """Points earned, within [0, max_score]."""
    max_score: float
    """Points the test is worth."""
    status: str
    """``passed`` or ``failed`` (Gradescope's two values)."""
    output: str
    """Student-facing message (empty when passed)."""
    visibility: str
    """Gradescope visibility."""
    tags: tuple[str, ...]
    """Tags, including ``public``/``hidden``."""
    part: str | None
    """Part id."""


@dataclass(frozen=True)
class PartScore:
    """Points of one part, summed over its tests."""

    id: str
    """Part id."""
    title: str
    """Part title."""
    score: float
    """Points earned."""
    max_score: float
    """Points available."""
    passed: int
    """Tests of the part that passed."""
    tests: int
    """Tests of the part."""


@dataclass(frozen=True)
class Scores:
    """A whole submission's scores."""

    tests: tuple[CaseScore, ...]
    """Per test, in order."""
    parts: tuple[PartScore, ...] = field(default_factory=tuple)
    """Per part, in the assignment's order, then any parts only tests mention."""
    score: float = 0.0
    """Total earned."""
    max_score: float = 0.0
    """Total available."""


def clamp(value: float, low: float, high: float) -> float:
    """``value`` within [low, high]; NaN counts as ``low`` (a NaN score is never full marks)."""
    if math.isnan(value):
        return low
    return min(max(value, low), high)


def earned_fraction(outcome: Outcome) -> float:
    """Share of a test's points earned: 1 if passed, its partial credit if it used ``credit``."""
    if outcome.status == "passed":
        return 1.0 if outcome.fraction is None else clamp(outcome.fraction, 0.0, 1.0)
    if outcome.status == "failed" and outcome.fraction is not None:
        return clamp(outcome.fraction, 0.0, 1.0)
    return 0.0


def score_outcomes(outcomes: Sequence[Outcome], parts: Sequence[Part] = ()) -> Scores:
    """Turn outcomes into per-test, per-part and total scores (rounded to 1e-6 points)."""
    tests = []
    exact: list[float] = []  # unrounded, so thirds of a point add up to whole points
    counters: dict[str, int] = {}
    for o in outcomes:
        max_score = max(o.info.points, 0.0)
        exact.append(clamp(max_score * earned_fraction(o), 0.0, max_score))
        earned = round(exact[-1], 6)
        key = o.info.part or ""
        counters[key] = counters.get(key, 0) + 1
        number = f"{key}.{counters[key]}" if key else str(counters[key])
        full = o.status == "passed" and earned == max_score
        tests.append(CaseScore(
            name=o.info.name, number=number, score=earned, max_score=max_score,
            status="passed" if full else "failed",
            # A passed test keeps its feedback (e.g. "carried forward from your a5").
            output="\n".join(o.messages) if full else "\n".join(o.messages) or _default_message(o),
            visibility=o.info.visibility, tags=o.info.tags, part=o.info.part))
    order = [p.id for p in parts] + [t.part for t in tests
                                     if t.part and t.part not in {p.id for p in parts}]
    titles = {p.id: p.title for p in parts}
    part_scores = []
    for pid in dict.fromkeys(order):
        members = [t for t in tests if t.part == pid]
        if not members:
            continue
        part_scores.append(PartScore(
            id=pid, title=titles.get(pid, pid),
            score=round(sum(e for e, t in zip(exact, tests, strict=True) if t.part == pid), 6),
            max_score=round(sum(t.max_score for t in members), 6),
            passed=sum(t.status == "passed" for t in members), tests=len(members)))
    total = round(sum(exact), 6)
    max_total = round(sum(t.max_score for t in tests), 6)
    return Scores(tests=tuple(tests), parts=tuple(part_scores),
                  score=clamp(total, 0.0, max_total), max_score=max_total)


def _default_message(o: Outcome) -> str:
    if o.status == "skipped":
        return "this test was skipped"
    if o.status == "error":
        return "this test could not run (a problem in the grader or the test, not in your code)"
    return "this test failed"
