"""Each cs229_ps2 example submission gets its exact score, and mistakes are named.

The examples are graded through the engine's public API, sandbox and all, as a course would
grade them. A mistake may lose points only in the tests listed for it, each with a message that
names the cause; every other test must pass in full.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from grader import grade

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples" / "cs229_ps2"
STARTER = ROOT / "problems" / "cs229_ps2" / "starter.py"
TOTAL = 100.0
N_TESTS = 28
ABS = 1e-6

# file -> {test display name: (score it earns, text its output must contain)}.
# Partial scores follow from each test's credit parts (see problems/cs229_ps2/tests).
MISTAKES: dict[str, dict[str, tuple[float, str]]] = {
    "mistake_nb_no_smoothing.py": {
        # Only the two log_phi parts fail; the priors (1 of 5 and 1 of 3 weights) are right.
        "nb_fit with Laplace smoothing": (1.0, "needs Laplace smoothing"),
        "nb_fit on a corpus worked by hand (alpha = 0.5)": (1.0, "(Laplace) smoothing"),
        "the whole pipeline classifies unseen messages": (0.0, "with Laplace smoothing reaches"),
    },
    "mistake_map_lambda_inverted.py": {
        "MAP estimate with a Gaussian prior": (0.0, "the ratio is inverted"),
        "Gaussian-prior MAP with more features than examples, n = 1, large eta": (
            0.0,
            "lambda = eta^2 / sigma^2",
        ),
    },
    "mistake_batchnorm_missing_mean_term.py": {
        "gradient for x: every path, a batch of one, one feature": (
            0.0,
            "dx is missing the path through the mean",
        ),
    },
    "mistake_gradients_summed.py": {
        # The loss part (1 of 5) and the batch of one (n = 1: sum == mean, 1 of 4) still pass.
        "gradients of the mean squared loss": (1.0, "n = 4 times too large"),
        "gradients for a batch of one and for a single hidden unit": (1.0, "times too large"),
        "gradients agree with finite differences of the loss": (0.0, "instead of summing them"),
    },
    "mistake_perceptron_sign_at_zero.py": {
        "one pass of the kernelised perceptron": (0.0, "g(0) = 1"),
        "perceptron_train on other data, sigma and lr, and on one example": (0.0, "g(0) = 1"),
        # perceptron_predict is given the reference's beta, but s == 0 never occurs there, and
        # rbf vs. dot accuracy is unaffected; only the non-PSD part (1 of 3) fails.
        "predictions, and RBF vs. dot vs. non-PSD on ring data": (2.0, "g(0) = 1"),
    },
}

# What every deduction above adds up to, written out so a change in either is noticed.
EXPECTED_SCORES = {
    "correct.py": TOTAL,
    "correct_alt.py": TOTAL,
    "starter.py": 0.0,
    "mistake_nb_no_smoothing.py": 92.0,
    "mistake_map_lambda_inverted.py": 93.0,
    "mistake_batchnorm_missing_mean_term.py": 95.0,
    "mistake_gradients_summed.py": 90.0,
    "mistake_perceptron_sign_at_zero.py": 92.0,
}

# The part each mistake lives in, and that part's score.
MISTAKE_PART_SCORES = {
    "mistake_nb_no_smoothing.py": ("2", 12.0),
    "mistake_map_lambda_inverted.py": ("4", 8.0),
    "mistake_batchnorm_missing_mean_term.py": ("6", 10.0),
    "mistake_gradients_summed.py": ("5", 5.0),
    "mistake_perceptron_sign_at_zero.py": ("3", 7.0),
}


@functools.cache
def _report(name: str) -> dict:
    return grade("cs229_ps2", EXAMPLES / name)


def test_every_example_has_an_expected_score():
    """Each example file is listed here with its score, and each listed file exists."""
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED_SCORES)


@pytest.mark.parametrize("name", sorted(EXPECTED_SCORES))
def test_example_total_score(name):
    """The example earns exactly its expected score out of 100."""
    report = _report(name)
    assert report["max_score"] == TOTAL
    assert report["score"] == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_deductions_sum_to_the_total(name):
    """The listed per-test deductions of a mistake add up to its expected total."""
    lost = sum(
        test["max_score"] - MISTAKES[name][test["name"]][0]
        for test in _report(name)["tests"]
        if test["name"] in MISTAKES[name]
    )
    assert pytest.approx(EXPECTED_SCORES[name], abs=ABS) == TOTAL - lost


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
        assert text in test["output"], (test_name, test["output"])


@pytest.mark.parametrize("name", sorted(MISTAKE_PART_SCORES))
def test_mistake_costs_points_only_in_its_own_part(name):
    """Every part but the mistake's own is full; the mistake's part has the expected score."""
    part_id, score = MISTAKE_PART_SCORES[name]
    for part in _report(name)["parts"]:
        if part["id"] == part_id:
            assert part["score"] == pytest.approx(score, abs=ABS)
        else:
            assert part["score"] == part["max_score"], part["id"]


@pytest.mark.parametrize("name", ["correct.py", "correct_alt.py"])
def test_correct_examples_pass_every_test(name):
    """Both correct solutions (two different routes) pass every public and hidden test in full."""
    tests = _report(name)["tests"]
    assert len(tests) == N_TESTS
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests)


def test_points_are_as_the_statement_says():
    """Part maxima are 20, 20, 15, 15, 15, 15, and public tests carry 45 of the 100 points."""
    report = _report("correct.py")
    maxima = {p["id"]: p["max_score"] for p in report["parts"]}
    assert maxima == {"1": 20.0, "2": 20.0, "3": 15.0, "4": 15.0, "5": 15.0, "6": 15.0}
    public = sum(t["max_score"] for t in report["tests"] if "public" in t["tags"])
    assert public == pytest.approx(45.0)


def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every test, each saying what was not implemented."""
    tests = _report("starter.py")["tests"]
    assert len(tests) == N_TESTS
    for test in tests:
        assert test["score"] == 0.0
        assert "NotImplementedError" in test["output"], test["name"]


def test_starter_example_is_the_starter():
    """submissions/.../starter.py is a byte-for-byte copy of the assignment's starter."""
    assert (EXAMPLES / "starter.py").read_bytes() == STARTER.read_bytes()


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_file_names_its_mistake(name):
    """Every mistake example opens with a docstring that starts by naming the mistake."""
    doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text()))
    assert doc is not None and doc.startswith("Mistake (part ")
