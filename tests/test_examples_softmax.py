"""Each softmax_regression example submission gets its exact score, and mistakes are named.

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
EXAMPLES = ROOT / "submissions" / "examples" / "softmax_regression"
STARTER = ROOT / "problems" / "softmax_regression" / "starter.py"
TOTAL = 100.0
N_TESTS = 31
ABS = 1e-6

# Names of the tests that several mistakes fail.
GRAD_FD = "softmax_gradients match finite differences of the mean cross-entropy"
GRAD_SHAPES = "softmax_gradients for other shapes"
GRAD_ONE = "softmax_gradients for a single example"
GRAD_LARGE = "softmax_gradients with logits in the hundreds"
ONE_EPOCH = "One full-batch epoch is one gradient step from zero"
FULL_BATCH = "Full-batch epochs with reg are gradient descent on the penalised loss"
BIG_BATCH = "batch_size larger than n means one batch of all examples"
UNEVEN = "A short last batch is still a step"
OBJECTIVE = "Mini-batch SGD minimises the regularised objective"
PUBLIC_ACC = "train_softmax reaches 85% test accuracy on the blobs"
BATCH_ONE = "SGD with batches of one example"
OTHER_DATA = "Accuracy on other datasets"
NLL_PUBLIC = "negative_log_likelihood is -log of the product of label probabilities"
NLL_SUM = "negative_log_likelihood of 40 examples"
NLL_LARGE = "negative_log_likelihood with logits of order 1e3"
SOFTMAX_SMALL = "softmax of a small matrix"
SOFTMAX_LARGE = "softmax of large logits"
SOFTMAX_EXTREME = "softmax of extreme logits (1e4, mixed signs, one class, one example)"
SOFTMAX_COLUMNS = "softmax normalises columns of square and thin matrices"

# file -> {test display name: (score it earns, text its output must contain, or None)}.
MISTAKES: dict[str, dict[str, tuple[float, str | None]]] = {
    "mistake_sum_not_mean.py": {
        "mse_gradient matches finite differences of J": (0.0, "n times too large"),
        "mse_hessian matches second differences of J": (0.0, "missing the factor 1/n"),
        GRAD_FD: (0.0, "n times too large"),
        # n = 1 is one of the four shapes, and there a sum is the mean.
        "mse_gradient for other shapes (n != d, d = 1, n = 1)": (1.0, "n times too large"),
        "mse_hessian for non-square X": (0.0, "missing the factor 1/n"),
        GRAD_SHAPES: (0.0, "n times too large"),
        GRAD_LARGE: (0.0, "n times too large"),
        ONE_EPOCH: (0.0, "sum of the batch's per-example gradients"),
        FULL_BATCH: (0.0, "sum of the batch's per-example gradients"),
        BIG_BATCH: (0.0, "sum of the batch's per-example gradients"),
        UNEVEN: (0.0, "sum of the batch's per-example gradients"),
        OBJECTIVE: (0.0, "batch's mean gradient"),
    },
    "mistake_transposed_gradient.py": {
        # dJ/db (weight 1 of 3 in each case) is right; only dJ/dW is transposed.
        GRAD_FD: (2.0, "Did you transpose it?"),
        GRAD_SHAPES: (2.0, "Did you transpose it?"),
        GRAD_ONE: (1.0, "Did you transpose it?"),
        GRAD_LARGE: (1.0, "Did you transpose it?"),
    },
    "mistake_gradient_sign.py": {
        GRAD_FD: (0.0, "has the wrong sign"),
        PUBLIC_ACC: (0.0, "Test accuracy after training is"),
        GRAD_SHAPES: (0.0, "has the wrong sign"),
        GRAD_ONE: (0.0, "has the wrong sign"),
        GRAD_LARGE: (0.0, "has the wrong sign"),
        ONE_EPOCH: (0.0, "the update climbed the loss"),
        FULL_BATCH: (0.0, "the update climbed the loss"),
        BIG_BATCH: (0.0, "the update climbed the loss"),
        UNEVEN: (0.0, "the update climbed the loss"),
        OBJECTIVE: (0.0, "a correct implementation reaches about"),
        BATCH_ONE: (0.0, "Test accuracy with batch_size=1"),
        OTHER_DATA: (0.0, "Test accuracy is"),
    },
    "mistake_naive_softmax.py": {
        SOFTMAX_LARGE: (0.0, "exp overflowed"),
        SOFTMAX_EXTREME: (0.0, "exp overflowed"),
        GRAD_LARGE: (0.0, "stable softmax"),
        NLL_LARGE: (0.0, "Compute log-probabilities directly"),
    },
    "mistake_nll_is_mean.py": {
        NLL_PUBLIC: (0.0, "the NLL is n times J_CE"),
        NLL_SUM: (0.0, "the NLL is n * J_CE"),
        NLL_LARGE: (0.0, "n * J_CE"),
    },
    "mistake_newton_step_factor.py": {
        "One Newton step lands on the least-squares solution": (0.0, "only 1/n of the way"),
        # Started at the optimum itself, the wrong step stays there: 1 of 6 parts.
        "Newton from several random starts reaches the least-squares solution": (
            1.0,
            "depends on the start",
        ),
    },
    "mistake_no_regularisation.py": {
        FULL_BATCH: (0.0, "reg had no effect"),
        BIG_BATCH: (0.0, "reg had no effect"),
        UNEVEN: (0.0, "reg had no effect"),
        OBJECTIVE: (0.0, "reg * W is added to W's gradient"),
    },
    "mistake_softmax_rows.py": {
        SOFTMAX_SMALL: (0.0, "softmax normalised each row"),
        SOFTMAX_LARGE: (0.0, "softmax normalised each row"),
        SOFTMAX_EXTREME: (0.0, "softmax normalised each row"),
        SOFTMAX_COLUMNS: (0.0, "softmax normalised each row"),
        "predict_proba for d != K != n": (0.0, "normalised rows instead of columns"),
        GRAD_FD: (0.0, None),
        GRAD_SHAPES: (0.0, None),
        GRAD_ONE: (0.0, None),
        GRAD_LARGE: (0.0, None),
        PUBLIC_ACC: (0.0, "softmax normalises columns"),
        ONE_EPOCH: (0.0, None),
        FULL_BATCH: (0.0, None),
        BIG_BATCH: (0.0, None),
        UNEVEN: (0.0, None),
        OBJECTIVE: (0.0, None),
        BATCH_ONE: (0.0, "Test accuracy with batch_size=1"),
        OTHER_DATA: (0.0, "Test accuracy is"),
    },
}

# What every deduction above adds up to, written out so a change in either is noticed.
EXPECTED_SCORES = {
    "correct.py": TOTAL,
    "correct_loops.py": TOTAL,
    "starter.py": 0.0,
    "mistake_sum_not_mean.py": 56.0,
    "mistake_transposed_gradient.py": 88.0,
    "mistake_gradient_sign.py": 55.0,
    "mistake_naive_softmax.py": 89.0,
    "mistake_nll_is_mean.py": 93.0,
    "mistake_newton_step_factor.py": 90.0,
    "mistake_no_regularisation.py": 87.0,
    "mistake_softmax_rows.py": 43.0,
}


@functools.cache
def _report(name: str) -> dict:
    return grade("softmax_regression", EXAMPLES / name)


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


@pytest.mark.parametrize("name", ["correct.py", "correct_loops.py"])
def test_correct_examples_pass_every_test(name):
    """A correct solution passes every public and hidden test in full."""
    tests = _report(name)["tests"]
    assert len(tests) == N_TESTS
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests)


def test_parts_of_the_correct_example_carry_the_readme_points():
    """The report's per-part breakdown of the correct solution is 25, 30, 15, 30."""
    parts = {p["id"]: p for p in _report("correct.py")["parts"]}
    assert {k: parts[k]["max_score"] for k in parts} == {"1": 25.0, "2": 30.0, "3": 15.0,
                                                         "4": 30.0}
    assert all(p["score"] == p["max_score"] for p in parts.values())


def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every test, each saying what was not implemented."""
    tests = _report("starter.py")["tests"]
    assert len(tests) == N_TESTS
    for test in tests:
        assert test["score"] == 0.0
        assert "NotImplementedError" in test["output"], test["name"]


def test_sum_not_mean_keeps_newton_right():
    """Dropping 1/n from both gradient and Hessian leaves the Newton step (part 1's 11 points)."""
    tests = {t["name"]: t for t in _report("mistake_sum_not_mean.py")["tests"]}
    for name in ("One Newton step lands on the least-squares solution",
                 "Newton from several random starts reaches the least-squares solution"):
        assert tests[name]["status"] == "passed"


def test_hidden_messages_do_not_reveal_expected_newton_values():
    """The Newton diagnosis names the mistake without printing the least-squares solution."""
    tests = {t["name"]: t for t in _report("mistake_newton_step_factor.py")["tests"]}
    output = tests["Newton from several random starts reaches the least-squares solution"]
    assert "expected" not in output["output"]


def test_starter_example_is_the_starter():
    """submissions/.../starter.py is a byte-for-byte copy of the assignment's starter."""
    assert (EXAMPLES / "starter.py").read_bytes() == STARTER.read_bytes()


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_file_names_its_mistake(name):
    """Every mistake example opens with a docstring that starts by naming the mistake."""
    doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text()))
    assert doc is not None and doc.startswith("Mistake: ")
