"""Each cs189_hw4_backprop example submission gets its exact score, and mistakes are named.

The examples are graded through the engine's public API, sandbox and all, exactly as a course
would grade them. Every test of the assignment not listed for a mistake must pass in full.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from grader import grade

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples" / "cs189_hw4_backprop"
STARTER = ROOT / "problems" / "cs189_hw4_backprop" / "starter.py"
TOTAL = 30.0
THIRD = 1.0 / 3.0

# file -> {test display name: (score it earns, text its output must contain, or None)}.
# Points and partial credit follow from each test's credit parts; see the tests' sources.
MISTAKES: dict[str, dict[str, tuple[float, str | None]]] = {
    "mistake_relu_grad.py": {
        "relu_grad on a fixed input": (0.0, "max(0, s), which is the ReLU itself"),
        "hidden delta of the fixed network": (0.0, "max(0, s1) as the ReLU's derivative"),
        "gradients of the fixed network": (1.0, "gradients()['W1']"),
        "vectorised SGD step on the fixed network": (0.5, "sgd_step()['W1']"),
        "per-weight SGD step on the fixed network": (0.5, "sgd_step_per_weight()['W1']"),
        "mini-batch gradients of two examples": (2 * THIRD, "batch_gradients()['W1']"),
        "relu_grad on random inputs and at s == 0": (0.0, "max(0, s), which is the ReLU itself"),
        "hidden delta for other sizes and s1 == 0": (0.0, "max(0, s1) as the ReLU's derivative"),
        "gradients for other sizes and weights": (1.5, "max(0, s1) in place of the ReLU's"),
        "vectorised SGD step for other sizes and learning rates": (
            1.0,
            "max(0, s1) in place of the ReLU's",
        ),
        "per-weight SGD step equals the vectorised step": (
            0.5,
            "max(0, s1) in place of the ReLU's",
        ),
        "mini-batch gradients for other sizes": (2 * THIRD, "batch_gradients()['W1']"),
        "mini-batch of one example": (2 * THIRD, "batch_gradients()['W1']"),
    },
    "mistake_delta_sign.py": {
        "output delta of the fixed network": (0.0, "output_delta has the wrong sign"),
        "gradients of the fixed network": (0.0, "has the wrong sign"),
        "vectorised SGD step on the fixed network": (0.0, "up the gradient"),
        "per-weight SGD step on the fixed network": (0.0, "up the gradient"),
        "output delta on random outputs": (0.0, "output_delta has the wrong sign"),
        "gradients for other sizes and weights": (0.0, "has the wrong sign"),
        "gradients with zero weights": (0.0, "has the wrong sign"),
        "vectorised SGD step for other sizes and learning rates": (0.0, "up the gradient"),
        "per-weight SGD step equals the vectorised step": (0.0, "up the gradient"),
    },
    "mistake_no_bias.py": {
        "forward pass of the fixed network": (0.5, "x1 is missing the bias unit"),
        "gradients of the fixed network": (0.0, "the row of the bias unit (row 0) is missing"),
        "vectorised SGD step on the fixed network": (0.0, None),
        "per-weight SGD step on the fixed network": (0.0, None),
        "forward pass for other sizes and weights": (0.0, "x1 is missing the bias unit"),
        "forward pass with output logits in the thousands": (0.0, "forward()['x2']"),
        "gradients for other sizes and weights": (0.0, "the row of the bias unit (row 0)"),
        "gradients with zero weights": (0.0, "the row of the bias unit (row 0) is missing"),
        "vectorised SGD step for other sizes and learning rates": (0.0, None),
        "per-weight SGD step equals the vectorised step": (0.0, None),
    },
    "mistake_naive_softmax.py": {
        "softmax of very large and very negative logits": (
            0.0,
            "subtract the largest logit before exponentiating",
        ),
        "forward pass with output logits in the thousands": (0.0, "the softmax overflowed"),
    },
    "mistake_transposed_gradient.py": {
        "gradients of the fixed network": (0.0, "is transposed"),
        "mini-batch gradients of two examples": (THIRD, "Did you transpose it?"),
        "gradients for other sizes and weights": (0.0, "Did you transpose it?"),
        "gradients with zero weights": (0.0, "Did you transpose it?"),
        "mini-batch gradients for other sizes": (THIRD, "Did you transpose it?"),
        "mini-batch of one example": (THIRD, "Did you transpose it?"),
    },
    "mistake_update_order.py": {
        "per-weight SGD step on the fixed network": (0.5, "already-updated W2"),
        "per-weight SGD step equals the vectorised step": (0.5, "already-updated W2"),
    },
}

# What every deduction above adds up to, written out so a change in either is noticed.
EXPECTED_SCORES = {
    "correct.py": TOTAL,
    "correct_float32_loops.py": TOTAL,
    "starter.py": 0.0,
    "mistake_relu_grad.py": 20.0,
    "mistake_delta_sign.py": 17.0,
    "mistake_no_bias.py": 15.5,
    "mistake_naive_softmax.py": 28.0,
    "mistake_transposed_gradient.py": 22.0,
    "mistake_update_order.py": 29.0,
}

# Scores are rounded to 1e-6 per test, so thirds of a point leave a few 1e-6 in a total.
ABS = 1e-5


@functools.cache
def _report(name: str) -> dict:
    return grade("cs189_hw4_backprop", EXAMPLES / name)


def test_every_example_has_an_expected_score():
    """Each example file is listed here with its score, and each listed file exists."""
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED_SCORES)


@pytest.mark.parametrize("name", sorted(EXPECTED_SCORES))
def test_example_total_score(name):
    """The example earns exactly its expected score out of 30."""
    report = _report(name)
    assert report["max_score"] == TOTAL
    assert report["score"] == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_deductions_sum_to_the_total(name):
    """The listed per-test deductions of a mistake add up to its expected total."""
    lost = 0.0
    for test in _report(name)["tests"]:
        if test["name"] in MISTAKES[name]:
            lost += test["max_score"] - MISTAKES[name][test["name"]][0]
    assert TOTAL - lost == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_listed_tests_with_named_messages(name):
    """A mistake loses points only in its listed tests, each with a message naming the cause."""
    expected = MISTAKES[name]
    tests = {t["name"]: t for t in _report(name)["tests"]}
    assert set(expected) <= set(tests), "a listed test name is not in the report"
    for test_name, test in tests.items():
        if test_name not in expected:
            assert test["status"] == "passed", (test_name, test["output"])
            assert test["score"] == test["max_score"]
            continue
        score, text = expected[test_name]
        assert test["status"] == "failed", test_name
        assert test["score"] == pytest.approx(score, abs=ABS), test_name
        if text is not None:
            assert text in test["output"], (test_name, test["output"])


@pytest.mark.parametrize("name", ["correct.py", "correct_float32_loops.py"])
def test_correct_examples_pass_every_test(name):
    """A correct solution passes every public and hidden test in full."""
    tests = _report(name)["tests"]
    assert len(tests) == 25
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests)


def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every test, each saying what was not implemented."""
    for test in _report("starter.py")["tests"]:
        assert test["score"] == 0.0
        assert "NotImplementedError" in test["output"], test["name"]


def test_relu_grad_mistake_loses_every_gradient_through_the_hidden_layer():
    """relu_grad = max(0, s) (the seed's formula) loses relu', hidden delta and every dJ/dW1."""
    parts = {p["id"]: p for p in _report("mistake_relu_grad.py")["parts"]}
    assert parts["1a"]["score"] == pytest.approx(4.0, abs=ABS)
    assert parts["1b"]["score"] == pytest.approx(6.0, abs=ABS)
    assert parts["1c"]["score"] == pytest.approx(5.5, abs=ABS)
    assert parts["1d"]["score"] == pytest.approx(2.5, abs=ABS)
    assert parts["1e"]["score"] == pytest.approx(2.0, abs=ABS)


def test_starter_example_is_the_starter():
    """submissions/.../starter.py is a byte-for-byte copy of the assignment's starter."""
    assert (EXAMPLES / "starter.py").read_bytes() == STARTER.read_bytes()


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_file_names_its_mistake(name):
    """Every mistake example opens with a docstring that starts by naming the mistake."""
    doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text()))
    assert doc is not None and doc.startswith("Mistake: ")
