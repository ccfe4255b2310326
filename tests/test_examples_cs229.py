"""Each cs229_ps2 example submission gets its exact score, and mistakes are named.

The examples are graded through the engine's public API, sandbox and all, as a course would
grade them. A mistake may lose points only in the code tests listed for it, each with a message
that names the cause; every other code test must pass in full. Every report counts the typed
answers too (116.5 points in all): a code-only example earns 0 on each answer part ("no answer
for ..."), the answers-only files earn their declared answer scores, and complete/ (the correct
code with the correct answers.toml) earns full marks.
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
EXAMPLES = ROOT / "submissions" / "examples" / "cs229_ps2"
STARTER = ROOT / "problems" / "cs229_ps2" / "starter.py"
CODE_TOTAL = 100.0
ANSWER_TOTAL = 16.5
TOTAL = CODE_TOTAL + ANSWER_TOTAL
N_TESTS = 28
N_ANSWERS = 10
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

# The code points of each code-only example: what every deduction above adds up to, written
# out so a change in either is noticed. These examples hand in no typed answers.
CODE_SCORES = {
    "correct.py": CODE_TOTAL,
    "correct_alt.py": CODE_TOTAL,
    "starter.py": 0.0,
    "mistake_nb_no_smoothing.py": 92.0,
    "mistake_map_lambda_inverted.py": 93.0,
    "mistake_batchnorm_missing_mean_term.py": 95.0,
    "mistake_gradients_summed.py": 90.0,
    "mistake_perceptron_sign_at_zero.py": 92.0,
}
# Typed answers only (the score each file's header states); their code tests score 0.
ANSWER_SCORES = {
    "answers_correct.toml": ANSWER_TOTAL,
    "answers_mistakes.toml": 9.5,
}
COMPLETE = "complete"
EXPECTED_SCORES = {**CODE_SCORES, **ANSWER_SCORES, COMPLETE: TOTAL}

# The part each mistake lives in, and that part's code score.
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


def _is_answer(test: dict) -> bool:
    return "answer" in test["tags"]


def _code_tests(report: dict) -> list[dict]:
    return [t for t in report["tests"] if not _is_answer(t)]


def _answer_tests(report: dict) -> list[dict]:
    return [t for t in report["tests"] if _is_answer(t)]


def _code_maxima(report: dict) -> dict[str, float]:
    """Part id -> the points of its code tests (the part's maximum without typed answers)."""
    out = {p["id"]: 0.0 for p in report["parts"]}
    for test in _code_tests(report):
        out[test["part"]] += test["max_score"]
    return out


def test_every_example_has_an_expected_score():
    """Each example (file or folder) is listed here with its score, and each listed one exists."""
    found = sorted(p.name for p in EXAMPLES.iterdir()
                   if p.suffix in {".py", ".toml", ".ipynb"} or p.is_dir())
    assert found == sorted(EXPECTED_SCORES)


@pytest.mark.parametrize("name", sorted(EXPECTED_SCORES))
def test_example_total_score(name):
    """The example earns exactly its expected score out of 116.5 (code and typed answers)."""
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


def test_complete_example_earns_full_marks():
    """complete/ (code and answers.toml in one folder) passes every code test and every answer
    part in full: 116.5 of 116.5."""
    report = _report(COMPLETE)
    assert report["submission"]["kind"] == "folder"
    assert report["score"] == report["max_score"] == TOTAL
    assert len(_code_tests(report)) == N_TESTS
    assert len(_answer_tests(report)) == N_ANSWERS
    for test in report["tests"]:
        assert test["status"] == "passed" and test["score"] == test["max_score"], test["name"]


def test_complete_example_is_correct_py_and_the_correct_answers():
    """complete/ holds correct.py under the module's name and the answers of
    answers_correct.toml."""
    a = resolve("cs229_ps2")
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
    lost = sum(
        test["max_score"] - MISTAKES[name][test["name"]][0]
        for test in _report(name)["tests"]
        if test["name"] in MISTAKES[name]
    )
    assert pytest.approx(CODE_SCORES[name], abs=ABS) == CODE_TOTAL - lost


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
        assert text in test["output"], (test_name, test["output"])


@pytest.mark.parametrize("name", sorted(MISTAKE_PART_SCORES))
def test_mistake_costs_points_only_in_its_own_part(name):
    """Every part but the mistake's own has all its code points; the mistake's part has the
    expected score (the answer parts are unanswered, so parts never reach their maximum)."""
    part_id, score = MISTAKE_PART_SCORES[name]
    report = _report(name)
    code_maxima = _code_maxima(report)
    for part in report["parts"]:
        if part["id"] == part_id:
            assert part["score"] == pytest.approx(score, abs=ABS)
        else:
            assert part["score"] == code_maxima[part["id"]], part["id"]


@pytest.mark.parametrize("name", ["correct.py", "correct_alt.py"])
def test_correct_examples_pass_every_test(name):
    """Both correct solutions (two different routes) pass every public and hidden code test in
    full."""
    tests = _code_tests(_report(name))
    assert len(tests) == N_TESTS
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests)


def test_points_are_as_the_statement_says():
    """Code tests carry 20, 20, 15, 15, 15, 15 points by part, public tests 45 of those 100;
    typed answers add 6, 6 and 4.5 points to parts 4, 5 and 6."""
    report = _report("correct.py")
    code_maxima = _code_maxima(report)
    assert code_maxima == {"1": 20.0, "2": 20.0, "3": 15.0, "4": 15.0, "5": 15.0, "6": 15.0}
    maxima = {p["id"]: p["max_score"] for p in report["parts"]}
    answers = {k: maxima[k] - code_maxima[k] for k in maxima}
    assert answers == {"1": 0.0, "2": 0.0, "3": 0.0, "4": 6.0, "5": 6.0, "6": 4.5}
    public = sum(t["max_score"] for t in report["tests"] if "public" in t["tags"])
    assert public == pytest.approx(45.0)


def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every code test, each saying what was not
    implemented."""
    tests = _code_tests(_report("starter.py"))
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
