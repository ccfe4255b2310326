"""Each cs189_hw4_backprop example submission gets its exact score, and mistakes are named.

The examples are graded through the engine's public API, sandbox and all, exactly as a course
would grade them. Every code test of the assignment not listed for a mistake must pass in full.
Every report counts the typed answers too (38.5 points in all): a code-only example earns 0 on
each answer part ("no answer for ..."), the answers-only files earn their declared answer
scores, and complete/ (the correct code with the correct answers.toml) earns full marks.
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
EXAMPLES = ROOT / "submissions" / "examples" / "cs189_hw4_backprop"
STARTER = ROOT / "problems" / "cs189_hw4_backprop" / "starter.py"
CODE_TOTAL = 30.0
ANSWER_TOTAL = 8.5
TOTAL = CODE_TOTAL + ANSWER_TOTAL
N_CODE_TESTS = 25
N_ANSWERS = 7
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

# The code points of each code-only example: what every deduction above adds up to, written
# out so a change in either is noticed. These examples hand in no typed answers.
CODE_SCORES = {
    "correct.py": CODE_TOTAL,
    "correct_float32_loops.py": CODE_TOTAL,
    "starter.py": 0.0,
    "mistake_relu_grad.py": 20.0,
    "mistake_delta_sign.py": 17.0,
    "mistake_no_bias.py": 15.5,
    "mistake_naive_softmax.py": 28.0,
    "mistake_transposed_gradient.py": 22.0,
    "mistake_update_order.py": 29.0,
}
# Typed answers only (the score each file's header states); their code tests score 0.
ANSWER_SCORES = {
    "answers_correct.toml": ANSWER_TOTAL,
    "answers_mistakes.toml": 4.0,
}
COMPLETE = "complete"
EXPECTED_SCORES = {**CODE_SCORES, **ANSWER_SCORES, COMPLETE: TOTAL}

# Scores are rounded to 1e-6 per test, so thirds of a point leave a few 1e-6 in a total.
ABS = 1e-5


@functools.cache
def _report(name: str) -> dict:
    return grade("cs189_hw4_backprop", EXAMPLES / name)


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
    """The example earns exactly its expected score out of 38.5 (code and typed answers)."""
    report = _report(name)
    assert report["max_score"] == TOTAL
    assert report["score"] == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.parametrize("name", sorted(CODE_SCORES))
def test_code_only_example_earns_no_answer_points(name):
    """A code-only example earns exactly its code score; every answer part is 0, saying that no
    answer was handed in for it."""
    report = _report(name)
    code = _code_tests(report)
    assert len(code) == N_CODE_TESTS
    assert sum(t["score"] for t in code) == pytest.approx(CODE_SCORES[name], abs=ABS)
    answers = _answer_tests(report)
    assert sum(t["max_score"] for t in answers) == ANSWER_TOTAL
    assert len(answers) == N_ANSWERS
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


def test_complete_example_earns_full_marks():
    """complete/ (code and answers.toml in one folder) passes every code test and every answer
    part in full: 38.5 of 38.5."""
    report = _report(COMPLETE)
    assert report["submission"]["kind"] == "folder"
    assert report["score"] == report["max_score"] == TOTAL
    assert len(_code_tests(report)) == N_CODE_TESTS
    assert len(_answer_tests(report)) == N_ANSWERS
    for test in report["tests"]:
        assert test["status"] == "passed" and test["score"] == test["max_score"], test["name"]


def test_complete_example_is_correct_py_and_the_correct_answers():
    """complete/ holds correct.py under the module's name and the answers of
    answers_correct.toml."""
    a = resolve("cs189_hw4_backprop")
    folder = EXAMPLES / COMPLETE
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


@pytest.mark.parametrize("name", ["correct.py", "correct_float32_loops.py"])
def test_correct_examples_pass_every_test(name):
    """A correct solution passes every public and hidden code test in full."""
    tests = _code_tests(_report(name))
    assert len(tests) == N_CODE_TESTS
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests)


def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every code test, each saying what was not
    implemented."""
    tests = _code_tests(_report("starter.py"))
    assert len(tests) == N_CODE_TESTS
    for test in tests:
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
