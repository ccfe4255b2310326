"""Each softmax_regression example submission gets its exact score, and mistakes are named.

The examples are graded through the engine's public API, sandbox and all, exactly as a course
would grade them. Every code test of the assignment not listed for a mistake must pass in full.
Every report counts the typed answers too (118 points in all): a code-only example earns 0 on
each answer part ("no answer for ..."), the answers-only files earn their declared answer
scores, and the two complete examples (complete/, the correct code with the correct
answers.toml, and answers_notebook.ipynb, code and tagged answer cells) earn full marks.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from grader import grade
from grader.assignment import resolve
from grader.load import load_submission

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples" / "softmax_regression"
STARTER = ROOT / "problems" / "softmax_regression" / "starter.py"
CODE_TOTAL = 100.0
ANSWER_TOTAL = 18.0
TOTAL = CODE_TOTAL + ANSWER_TOTAL
N_TESTS = 31
N_ANSWERS = 8
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

# The code points of each code-only example: what every deduction above adds up to, written
# out so a change in either is noticed. These examples hand in no typed answers.
CODE_SCORES = {
    "correct.py": CODE_TOTAL,
    "correct_loops.py": CODE_TOTAL,
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
# Typed answers only (the score each file's header states); their code tests score 0.
ANSWER_SCORES = {
    "answers_correct.toml": ANSWER_TOTAL,
    "answers_mistakes.toml": 9.75,
}
# Code and typed answers together: full marks.
COMPLETE = ("complete", "answers_notebook.ipynb")
EXPECTED_SCORES = {**CODE_SCORES, **ANSWER_SCORES, **dict.fromkeys(COMPLETE, TOTAL)}


@functools.cache
def _report(name: str) -> dict:
    return grade("softmax_regression", EXAMPLES / name)


def _is_answer(test: dict) -> bool:
    return "answer" in test["tags"]


def _code_tests(report: dict) -> list[dict]:
    return [t for t in report["tests"] if not _is_answer(t)]


def _answer_tests(report: dict) -> list[dict]:
    return [t for t in report["tests"] if _is_answer(t)]


def test_every_example_has_an_expected_score():
    """Each example (file or folder) is listed here with its score, and each listed one exists."""
    found = sorted(p.name for p in EXAMPLES.iterdir()
                   if p.suffix in {".py", ".toml", ".ipynb"} or p.is_dir())
    assert found == sorted(EXPECTED_SCORES)


@pytest.mark.parametrize("name", sorted(EXPECTED_SCORES))
def test_example_total_score(name):
    """The example earns exactly its expected score out of 118 (code and typed answers)."""
    report = _report(name)
    assert report["max_score"] == TOTAL
    assert report["score"] == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.parametrize("name", sorted(CODE_SCORES))
def test_code_only_example_earns_no_answer_points(name):
    """A code-only example earns exactly its code score; every answer part is 0, saying that no
    answer was handed in for it."""
    report = _report(name)
    code = _code_tests(report)
    assert len(code) == N_TESTS
    assert sum(t["score"] for t in code) == pytest.approx(CODE_SCORES[name], abs=ABS)
    answers = _answer_tests(report)
    assert len(answers) == N_ANSWERS
    assert sum(t["max_score"] for t in answers) == ANSWER_TOTAL
    for test in answers:
        assert test["status"] == "failed" and test["score"] == 0.0, test["name"]
        answer_id = test["name"].removeprefix("answer ")
        assert test["output"].startswith(f"no answer for {answer_id}"), test["output"]


@pytest.mark.parametrize("name", sorted(ANSWER_SCORES))
def test_answers_only_example_earns_its_declared_answer_score(name):
    """An answers-only file scores its answers exactly (as its header says) and 0 on every code
    test, which says no code was handed in."""
    report = _report(name)
    assert report["submission"]["kind"] == "toml"
    assert f"{ANSWER_SCORES[name]:g} of {ANSWER_TOTAL:g}" in (EXAMPLES / name).read_text()
    answers = _answer_tests(report)
    assert len(answers) == N_ANSWERS
    assert sum(t["score"] for t in answers) == pytest.approx(ANSWER_SCORES[name], abs=ABS)
    for test in _code_tests(report):
        assert test["score"] == 0.0 and "No code was handed in" in test["output"], test["name"]


@pytest.mark.parametrize("name", COMPLETE)
def test_complete_examples_earn_full_marks(name):
    """complete/ (code and answers.toml in one folder) and the notebook with code and tagged
    answer cells pass every code test and every answer part in full: 118 of 118."""
    report = _report(name)
    assert report["submission"]["kind"] == ("folder" if name == "complete" else "ipynb")
    assert report["score"] == report["max_score"] == TOTAL
    assert len(_code_tests(report)) == N_TESTS
    assert len(_answer_tests(report)) == N_ANSWERS
    for test in report["tests"]:
        assert test["status"] == "passed" and test["score"] == test["max_score"], test["name"]


def test_complete_example_is_correct_py_and_the_correct_answers():
    """complete/ holds correct.py under the module's name and the answers of
    answers_correct.toml."""
    a = resolve("softmax_regression")
    folder = EXAMPLES / "complete"
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{a.module}.py", "answers.toml"])
    assert (folder / f"{a.module}.py").read_bytes() == (EXAMPLES / "correct.py").read_bytes()
    ids = [str(e["id"]) for e in a.answer_parts]
    complete = load_submission(folder, module=a.module, answer_ids=ids)
    answers = load_submission(EXAMPLES / "answers_correct.toml", module=a.module, answer_ids=ids)
    assert complete.answers == answers.answers and sorted(complete.answers) == sorted(ids)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_deductions_sum_to_the_total(name):
    """The listed per-test deductions of a mistake add up to its expected code total."""
    lost = 0.0
    for test in _report(name)["tests"]:
        if test["name"] in MISTAKES[name]:
            lost += test["max_score"] - MISTAKES[name][test["name"]][0]
    assert CODE_TOTAL - lost == pytest.approx(CODE_SCORES[name], abs=ABS)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_listed_tests_with_named_messages(name):
    """A mistake loses points only in its listed code tests, each with a message naming the
    cause (its answer parts are unanswered: see test_code_only_example_earns_no_answer_points)."""
    expected = MISTAKES[name]
    tests = {t["name"]: t for t in _code_tests(_report(name))}
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
    """A correct solution passes every public and hidden code test in full."""
    tests = _code_tests(_report(name))
    assert len(tests) == N_TESTS
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests)


def test_parts_of_the_correct_example_carry_the_readme_points():
    """The per-part breakdown is 25, 30, 15, 30 code points plus 7, 7, 2, 2 answer points; the
    correct (code-only) solution has every code point of every part."""
    report = _report("correct.py")
    code = dict.fromkeys((p["id"] for p in report["parts"]), 0.0)
    for test in _code_tests(report):
        code[test["part"]] += test["max_score"]
    assert code == {"1": 25.0, "2": 30.0, "3": 15.0, "4": 30.0}
    parts = {p["id"]: p for p in report["parts"]}
    assert {k: parts[k]["max_score"] - code[k] for k in parts} == {"1": 7.0, "2": 7.0,
                                                                   "3": 2.0, "4": 2.0}
    assert all(p["score"] == code[k] for k, p in parts.items())


def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every code test, each saying what was not
    implemented."""
    tests = _code_tests(_report("starter.py"))
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
