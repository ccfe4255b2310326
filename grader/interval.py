"""The values a scalar formula can take: interval arithmetic over a parsed formula's tree.

Error carried forward gives a later step of a worked computation its points when it is
computed correctly from the student's own earlier numbers, but only from numbers the earlier
step's formula could produce at all: a sigmoid output of exactly 0 or a tanh output of 1 makes
every later derivative 0, and "unchanged" weights would then be carried forward for full marks.

``image`` returns an interval holding every value of a formula whose symbols range over given
intervals (all reals when not given). Interval arithmetic forgets that two occurrences of a
symbol are the same number, so the interval may be wider than the true set of values, never
narrower: a value outside it is truly impossible, and a value inside it is merely possible.
The image is that of the real-number formula: floating point saturates at open ends (tanh(25)
is exactly 1.0), a value no hand computation gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["REALS", "Interval", "image", "point"]


@dataclass(frozen=True)
class Interval:
    """The reals between ``lo`` and ``hi``; an open end is not included (infinite ends never)."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def __post_init__(self) -> None:
        if math.isinf(self.lo):
            object.__setattr__(self, "lo_open", True)
        if math.isinf(self.hi):
            object.__setattr__(self, "hi_open", True)

    def contains(self, x: float) -> bool:
        """Whether ``x`` (a finite float) lies in the interval."""
        return ((x > self.lo or (x == self.lo and not self.lo_open))
                and (x < self.hi or (x == self.hi and not self.hi_open)))

    def __str__(self) -> str:
        return (f"{'(' if self.lo_open else '['}{_show(self.lo)}, {_show(self.hi)}"
                f"{')' if self.hi_open else ']'}")


REALS = Interval(-math.inf, math.inf)


def point(x: float) -> Interval:
    """The interval holding only ``x``."""
    return Interval(x, x)


def _show(x: float) -> str:
    return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x + 0.0:g}"  # no -0


def _make(lo: float, hi: float, lo_open: bool, hi_open: bool) -> Interval:
    """An interval, or all reals when arithmetic on infinities left no sensible one."""
    if math.isnan(lo) or math.isnan(hi) or lo > hi or lo == math.inf or hi == -math.inf:
        return REALS
    return Interval(lo, hi, lo_open, hi_open)


def image(expr: Any, ranges: Mapping[str, Interval]) -> Interval:
    """Every value the scalar formula ``expr`` (a ``grader.mathparse.ParsedExpr``) can take
    when each symbol (by canonical name) lies in ``ranges``; symbols not given are any real."""
    return _node(expr.root, ranges)


def _node(  # noqa: PLR0911, PLR0912  (one branch per node kind)
        node: Any, ranges: Mapping[str, Interval]) -> Interval:
    if node.shape is not None:
        return REALS  # matrix-valued parts are not bounded here (never narrower, as promised)
    if node.const is not None:
        return point(float(node.const))
    kind = node.kind
    if kind == "num":
        return point(float(node.value))
    if kind == "const":
        return point(math.e if node.value == "e" else math.pi)
    if kind == "sym":
        return ranges.get(node.value.name, REALS)
    args = [_node(a, ranges) for a in node.args]
    if kind == "neg":
        return _neg(args[0])
    if kind == "add":
        out = args[0]
        for a in args[1:]:
            out = _make(out.lo + a.lo, out.hi + a.hi, out.lo_open or a.lo_open,
                        out.hi_open or a.hi_open)
        return out
    if kind in {"prod", "had"} and all(a.shape is None for a in node.args):
        out = args[0]
        for a in args[1:]:
            out = _mul(out, a)
        return out
    if kind == "recip":
        return _recip(args[0])
    if kind == "pow":
        return _pow(args[0], args[1])
    if kind == "fn":
        return _function(node.value, args[0])
    return REALS


def _neg(a: Interval) -> Interval:
    return Interval(-a.hi, -a.lo, a.hi_open, a.lo_open)


def _times(x: float, y: float) -> float:
    # An infinite end is a limit never reached; next to an end at 0 the product tends to 0.
    return 0.0 if x == 0 or y == 0 else x * y


def _scale(a: Interval, c: float) -> Interval:
    if c == 0:
        return point(0.0)
    lo, hi = _times(a.lo, c), _times(a.hi, c)
    return Interval(lo, hi, a.lo_open, a.hi_open) if c > 0 else Interval(hi, lo, a.hi_open,
                                                                          a.lo_open)


def _mul(a: Interval, b: Interval) -> Interval:
    if a.lo == a.hi:
        return _scale(b, a.lo)
    if b.lo == b.hi:
        return _scale(a, b.lo)
    # x*y on a box takes its extremes at corners; a corner whose end is a reached 0 gives 0
    # along the whole edge, so that 0 is reached even when the other end is open.
    corners = []
    for x, x_open in ((a.lo, a.lo_open), (a.hi, a.hi_open)):
        for y, y_open in ((b.lo, b.lo_open), (b.hi, b.hi_open)):
            reached = ((not x_open and not y_open) or (x == 0 and not x_open)
                       or (y == 0 and not y_open))
            corners.append((_times(x, y), reached))
    lo = min(v for v, _ in corners)
    hi = max(v for v, _ in corners)
    return _make(lo, hi, not any(r for v, r in corners if v == lo),
                 not any(r for v, r in corners if v == hi))


def _inverse(x: float) -> float:
    return 0.0 if math.isinf(x) else math.inf if x == 0 else 1.0 / x


def _recip(a: Interval) -> Interval:
    if a.lo > 0 or (a.lo == 0 and a.lo_open):
        return _make(_inverse(a.hi), _inverse(a.lo), a.hi_open, a.lo_open)
    if a.hi < 0 or (a.hi == 0 and a.hi_open):
        return _neg(_recip(_neg(a)))
    return REALS  # 0 inside: both signs, unbounded


def _power(x: float, p: float) -> float:
    try:
        return float(x**p)
    except OverflowError:
        return math.inf if x > 0 or p % 2 == 0 else -math.inf
    except ZeroDivisionError:
        return math.inf


def _pow(base: Interval, exponent: Interval) -> Interval:
    if exponent.lo == exponent.hi:
        return _pow_constant(base, exponent.lo)
    if base.lo == base.hi and base.lo > 0:
        c = base.lo
        lo, hi = _power(c, exponent.lo), _power(c, exponent.hi)
        if c > 1:
            return _make(lo, hi, exponent.lo_open, exponent.hi_open)
        if c < 1:
            return _make(hi, lo, exponent.hi_open, exponent.lo_open)
        return point(1.0)
    return REALS


def _pow_constant(base: Interval, p: float) -> Interval:  # noqa: PLR0911  (one per case of p)
    if p == 0:
        return point(1.0)
    if p < 0:
        return _recip(_pow_constant(base, -p))
    if p != int(p):
        if base.hi < 0:
            return REALS  # not real; the evaluation says so
        if base.lo < 0:
            base = Interval(0.0, base.hi, False, base.hi_open)
        return _make(_power(base.lo, p), _power(base.hi, p), base.lo_open, base.hi_open)
    if int(p) % 2 == 1 or base.lo >= 0:
        return _make(_power(base.lo, p), _power(base.hi, p), base.lo_open, base.hi_open)
    if base.hi <= 0:
        return _make(_power(base.hi, p), _power(base.lo, p), base.hi_open, base.lo_open)
    ends = [(_power(base.lo, p), base.lo_open), (_power(base.hi, p), base.hi_open)]
    hi = max(v for v, _ in ends)
    return _make(0.0, hi, False, all(o for v, o in ends if v == hi))


def _safe(f: Callable[[float], float], x: float) -> float:
    try:
        return f(x)
    except OverflowError:  # exp, sinh, cosh of a large end: infinite, with its sign
        return math.copysign(math.inf, x) if f is not math.cosh else math.inf


def _sigmoid(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))


_INCREASING: dict[str, Callable[[float], float]] = {
    "exp": math.exp, "tanh": math.tanh, "sigmoid": _sigmoid, "sinh": math.sinh,
    "log": lambda x: -math.inf if x == 0 else math.log(x),
    "sqrt": math.sqrt,
}
_DOMAIN_LO = {"log": 0.0, "sqrt": 0.0}
"""Functions defined from this value up (log: excluded, sqrt: included)."""


def _function(name: str, a: Interval) -> Interval:  # noqa: PLR0911  (one per function family)
    if name in _DOMAIN_LO:
        if a.hi < 0 or (a.hi == 0 and (a.hi_open or name == "log")):
            return REALS  # nowhere defined: not real; the evaluation says so
        if a.lo < 0 or (a.lo == 0 and name == "log"):
            a = Interval(0.0, a.hi, name == "log", a.hi_open)
    f = _INCREASING.get(name)
    if f is not None:
        return _make(_safe(f, a.lo), _safe(f, a.hi), a.lo_open, a.hi_open)
    if name == "cosh":
        def cosh(x: float) -> float:
            return _safe(math.cosh, x)

        if a.lo >= 0:
            return _make(cosh(a.lo), cosh(a.hi), a.lo_open, a.hi_open)
        if a.hi <= 0:
            return _make(cosh(a.hi), cosh(a.lo), a.hi_open, a.lo_open)
        ends = [(cosh(a.lo), a.lo_open), (cosh(a.hi), a.hi_open)]
        hi = max(v for v, _ in ends)
        return _make(1.0, hi, False, all(o for v, o in ends if v == hi))
    if name in {"sin", "cos"}:
        return Interval(-1.0, 1.0)
    return REALS
