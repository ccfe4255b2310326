"""The values a scalar formula can take (``grader.interval``): what error carried forward
accepts as a value a step could produce."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.answers import answer_specs, worked_ranges
from grader.assignment import resolve
from grader.interval import REALS, Interval, image
from grader.mathparse import SymbolTable, parse_expression

TABLE = SymbolTable.parse("x: scalar; y: scalar; a: scalar; b: scalar")
UNIT = Interval(0.0, 1.0, True, True)


def _image(text: str, **ranges: Interval) -> str:
    return str(image(parse_expression(text, TABLE), ranges))


@pytest.mark.parametrize(("text", "want"), [
    ("sigmoid(x + 2 y)", "(0, 1)"),
    ("1/(1 + exp(-x))", "(0, 1)"),
    ("tanh(x y)", "(-1, 1)"),
    ("2 sigmoid(2x) - 1", "(-1, 1)"),
    ("exp(x)", "(0, inf)"),
    ("e^x", "(0, inf)"),
    ("x^2", "[0, inf)"),
    ("(x - y)^2 + 1", "[1, inf)"),
    ("sqrt(x)", "[0, inf)"),
    ("log(x)", "(-inf, inf)"),
    ("cosh(x)", "[1, inf)"),
    ("sin(x) + 2", "[1, 3]"),
    ("x y", "(-inf, inf)"),
    ("3", "[3, 3]"),
    ("1/(1 + x^2)", "(0, 1]"),
    ("1/x^2", "(-inf, inf)"),           # x = 0 is allowed: no bound, rather than a wrong one
])
def test_image_of_free_formulas(text: str, want: str) -> None:
    """With every symbol free, the image is the range of the outermost functions."""
    assert _image(text) == want


@pytest.mark.parametrize(("text", "want"), [
    ("a (1 - a)", "(0, 1)"),            # wider than (0, 1/4]: never narrower than the truth
    ("1 - a^2", "(0, 1)"),
    ("a x", "(-inf, inf)"),
    ("2 a + 3", "(3, 5)"),
    ("1/a", "(1, inf)"),
    ("-a", "(-1, 0)"),
    ("log(a)", "(-inf, 0)"),
])
def test_image_with_ranges(text: str, want: str) -> None:
    """Symbols range over given intervals (a in (0, 1): an earlier sigmoid)."""
    assert _image(text, a=UNIT) == want


def test_a_reached_zero_end_is_reached_by_the_product() -> None:
    """[0, 1] times (0, 1) is [0, 1): x = 0 gives 0 for every y, though y's ends are open."""
    got = image(parse_expression("x y", TABLE), {"x": Interval(0.0, 1.0),
                                                 "y": Interval(0.0, 1.0, True, True)})
    assert got == Interval(0.0, 1.0, False, True)


@pytest.mark.parametrize("text", ["sigmoid(x) * tanh(y) + exp(x - y)", "(x + y)^3 / (1 + y^2)",
                                  "1 - tanh(a)^2", "sqrt(x^2 + 1) - cosh(y)", "a b - 2 a"])
def test_image_never_misses_a_value(text: str) -> None:
    """Every value at random points lies in the image (seeded): never narrower than the truth.

    Inputs stay moderate: in floating point tanh(25) is exactly 1, a value the real function
    never takes (and the image, of the real function, leaves out)."""
    expr = parse_expression(text, TABLE)
    got = image(expr, {})
    rng = np.random.default_rng(0)
    for _ in range(2000):
        point = {name: float(rng.normal(scale=rng.choice([0.1, 1, 4]))) for name in "xyab"}
        value = float(expr.evaluate(point, {}))
        if math.isfinite(value):
            assert got.contains(value), (text, point, value, str(got))


def test_infinite_ends_are_open() -> None:
    """An infinite end is a limit, never a value."""
    assert not REALS.contains(math.inf)
    assert Interval(0.0, math.inf).hi_open


def test_worked_network_ranges() -> None:
    """The ranges of mathml_hw4's worked steps: the activations are bounded, the rounded table
    reaches its rounded ends, the rest is unbounded (constants count as any real)."""
    a = resolve("mathml_hw4")
    steps = [s for s in answer_specs(a) if s.chain == "3.1"]
    ranges = worked_ranges(a.raw["worked"]["3.1"], steps)
    assert str(ranges["a3"]) == "(0, 1)"
    assert str(ranges["a4"]) == "(-1, 1)"
    assert str(ranges["L"]) == "[0, inf)"
    assert ranges["dW13"] == REALS
    assert not ranges["a3"].contains(0.0) and not ranges["a4"].contains(1.0)
