"""Each mathml_hw4 example submission gets its exact score, and each mistake is named.

The examples are graded through the engine's public API (isolated worker and all), as a course
would grade them. For a mistake, every code test not listed for it must pass in full; a listed
test earns exactly the listed score and its output contains the listed text. Every report counts
the typed answers too (141.25 points in all): a code-only example earns 0 on each answer part
("no answer for ..."), the answers-only files earn their declared answer scores, and complete/
(the correct code with the correct answers.toml) earns full marks.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest

from grader import grade
from grader.assignment import resolve
from grader.load import load_submission

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples" / "mathml_hw4"
STARTER = ROOT / "problems" / "mathml_hw4" / "starter.py"
CODE_TOTAL = 115.0  # 100 points plus the 15 bonus points of parts 3.3 and 3.5
ANSWER_TOTAL = 26.25
TOTAL = CODE_TOTAL + ANSWER_TOTAL
N_ANSWERS = 58
THIRD = 1.0 / 3.0
# Scores are rounded to 1e-6 per test, so thirds of a point leave a few 1e-6 in a total.
ABS = 1e-5

TANH = "the derivative of tanh is 1 - tanh(z)^2"
TANH_UPDATE = "but your dL/dW14 is wrong"
NO_LAMBDA = "without the penalty: add lambda I to X^T X"
NOT_AVERAGED = "(= N) times too large: the MSE averages over the N samples"
OWN_GRADIENT = "the update rule is right, but that gradient is wrong"
SEED_W5 = "this is 2 X b a^T, which is only right when a b^T is symmetric"

# file -> {test display name: (score it earns, text its output must contain, or None)}.
MISTAKES: dict[str, dict[str, tuple[float, str | None]]] = {
    "tanh_derivative.py": {
        # Two of six weights in each gradient test; two of six weights in each update test.
        "3.1 backpropagation: the six weight gradients": (2.0, TANH),
        "3.1 backpropagation on unseen weights, inputs and targets": (2.0, TANH),
        "3.1 backpropagation: zero weights and saturated units": (4 * THIRD, TANH),
        "3.1 one gradient-descent update (lr 0.1)": (4 * THIRD, TANH_UPDATE),
        "3.1 gradient-descent update on unseen cases and learning rates": (2.0, TANH_UPDATE),
        "3.3 second iteration: gradients": (2 * THIRD, TANH),
        "3.3 second iteration: updated weights": (2 * THIRD, TANH_UPDATE),
        "3.3 two iterations with rounding in between, on unseen data": (4 * THIRD, "W14 after"),
    },
    "ridge_no_regularizer.py": {
        "2.1 closed-form ridge solution": (0.0, NO_LAMBDA),
        # lambda = 0 (plain least squares) is the one case the mistake gets right.
        "2.1 closed-form ridge solution: n < d, one sample, extreme lambdas": (0.75, NO_LAMBDA),
        "2.2 ridge fit with an unpenalised intercept": (0.0, "lambda was not used"),
        "2.2 ridge fit: n < d, shifted targets, one feature": (0.0, "lambda was not used"),
        "2.2 ridge path: coefficients for several lambdas": (0.0, "ridge path is wrong"),
        "2.2 effect of lambda: the ridge path": (0.0, "coefficients should be almost zero"),
        "4 test RMSE of the three models": (2.0, "ridge RMSE (lambda = 1) is wrong"),
        # Only the ridge third of each evaluation test is lost; pinv and the MLP are right.
        "4 test RMSE of the three models on fresh data": (4 * THIRD, "ridge RMSE (fresh data)"),
    },
    "mlp_not_averaged.py": {
        "3.4 gradients of the MSE": (0.0, NOT_AVERAGED),
        "3.4 gradients of the MSE on other shapes": (0.0, NOT_AVERAGED),
        "3.4 gradients of the MSE with saturated hidden units": (0.0, NOT_AVERAGED),
        "3.4 gradient-descent update rule": (0.0, OWN_GRADIENT),
        "3.4 update rule on other shapes and learning rates": (0.0, OWN_GRADIENT),
        "3.4 training loop": (0.0, "losses is wrong"),
        # The zero-epoch part still passes: nothing is trained.
        "3.4 training loop: longer run, one output": (1.0, "losses is NaN"),
        # Parameter shapes and predict() (from its own trained weights) are right.
        "3.4 MLP class: initialisation, fit and predict": (2.0, "losses returned by fit"),
        "3.4 MLP class: seeds, continued training, new inputs": (2.0, "after fit(20 epochs)"),
        "4 test RMSE of the three models": (2.0, "training diverged"),
        "4 test RMSE of the three models on fresh data": (4 * THIRD, "training diverged"),
    },
    "warmup5_seed_answer.py": {
        "1.5 gradient and Hessian of a^T X^T X b": (0.0, SEED_W5),
        "1.5 a^T X^T X b on other shapes": (0.0, SEED_W5),
    },
}

# The code points of each code-only example (these hand in no typed answers).
CODE_SCORES = {
    "correct.py": CODE_TOTAL,
    "correct.ipynb": CODE_TOTAL,
    "starter.py": 0.0,
    "broken_import.py": 0.0,
    "tanh_derivative.py": 109.0 + THIRD,
    "ridge_no_regularizer.py": 100.0 + 1.0 / 12.0,
    "mlp_not_averaged.py": 86.0 + THIRD,
    "warmup5_seed_answer.py": 112.0,
}
# Typed answers only (the score each file's header states); their code tests score 0.
ANSWER_SCORES = {
    "answers_correct.toml": ANSWER_TOTAL,
    "answers_mistakes.toml": 20.375,
}
COMPLETE = "complete"
EXPECTED_SCORES = {**CODE_SCORES, **ANSWER_SCORES, COMPLETE: TOTAL}


@functools.cache
def _report(name: str) -> dict:
    return grade("mathml_hw4", EXAMPLES / name)


def _is_answer(test: dict) -> bool:
    return "answer" in test["tags"]


def _code_tests(report: dict) -> list[dict]:
    return [t for t in report["tests"] if not _is_answer(t)]


def _answer_tests(report: dict) -> list[dict]:
    return [t for t in report["tests"] if _is_answer(t)]


def test_every_example_has_an_expected_score():
    """Each example (file or folder) is listed here with its score, and each listed one exists."""
    found = sorted(p.name for p in EXAMPLES.iterdir()
                   if p.suffix in {".py", ".toml", ".ipynb"}
                   or (p.is_dir() and p.name != "__pycache__"))  # left by importing an example
    assert found == sorted(EXPECTED_SCORES)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_SCORES))
def test_example_total_score(name):
    """The example earns exactly its expected score out of 141.25 (code and typed answers)."""
    report = _report(name)
    assert report["max_score"] == TOTAL
    assert report["score"] == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CODE_SCORES))
def test_code_only_example_earns_no_answer_points(name):
    """A code-only example earns exactly its code score; every answer part is 0, saying that no
    answer was handed in for it."""
    report = _report(name)
    code = _code_tests(report)
    assert len(code) == len(_test_maxima())
    assert sum(t["score"] for t in code) == pytest.approx(CODE_SCORES[name], abs=ABS)
    answers = _answer_tests(report)
    assert len(answers) == N_ANSWERS
    assert sum(t["max_score"] for t in answers) == pytest.approx(ANSWER_TOTAL)
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
    assert report["score"] == pytest.approx(ANSWER_SCORES[name], abs=ABS)
    assert f"{ANSWER_SCORES[name]:g} of {ANSWER_TOTAL:g}" in (EXAMPLES / name).read_text()
    answers = _answer_tests(report)
    assert len(answers) == N_ANSWERS
    assert sum(t["score"] for t in answers) == pytest.approx(ANSWER_SCORES[name], abs=ABS)
    for test in _code_tests(report):
        assert test["score"] == 0.0 and "No code was handed in" in test["output"], test["name"]


@pytest.mark.slow
def test_complete_example_earns_full_marks():
    """complete/ (code and answers.toml in one folder) passes every code test and every answer
    part in full: 141.25 of 141.25."""
    report = _report(COMPLETE)
    assert report["submission"]["kind"] == "folder"
    assert report["score"] == report["max_score"] == TOTAL
    assert len(_code_tests(report)) == len(_test_maxima())
    assert len(_answer_tests(report)) == N_ANSWERS
    for test in report["tests"]:
        assert test["status"] == "passed" and test["score"] == test["max_score"], test["name"]


def test_complete_example_is_correct_py_and_the_correct_answers():
    """complete/ holds correct.py under the module's name and the answers of
    answers_correct.toml."""
    a = resolve("mathml_hw4")
    folder = EXAMPLES / COMPLETE
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{a.module}.py", "answers.toml"])
    assert (folder / f"{a.module}.py").read_bytes() == (EXAMPLES / "correct.py").read_bytes()
    ids = [str(e["id"]) for e in a.answer_parts]
    complete = load_submission(folder, module=a.module, answer_ids=ids)
    answers = load_submission(EXAMPLES / "answers_correct.toml", module=a.module, answer_ids=ids)
    assert complete.answers == answers.answers and sorted(complete.answers) == sorted(ids)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_listed_tests_with_named_messages(name):
    """A mistake loses points only in its listed code tests, each with a message naming the
    cause (its answer parts are unanswered: see test_code_only_example_earns_no_answer_points)."""
    expected = MISTAKES[name]
    tests = {t["name"]: t for t in _code_tests(_report(name))}
    assert set(expected) <= set(tests), set(expected) - set(tests)
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


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_deductions_sum_to_the_expected_total(name):
    """The listed per-test deductions add up to the expected code total (needs test maxima
    only)."""
    maxima = _test_maxima()
    assert sum(maxima.values()) == CODE_TOTAL
    lost = sum(maxima[test] - score for test, (score, _) in MISTAKES[name].items())
    assert CODE_TOTAL - lost == pytest.approx(CODE_SCORES[name], abs=ABS)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["correct.py", "correct.ipynb"])
def test_correct_examples_pass_every_test(name):
    """A correct solution passes every public and hidden code test in full."""
    tests = _code_tests(_report(name))
    assert len(tests) == len(_test_maxima())
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests)


@pytest.mark.slow
def test_notebook_magics_are_reported_not_run():
    """The notebook's `!pip` and `%matplotlib` lines are neutralised and said to be skipped."""
    report = _report("correct.ipynb")
    notes = " ".join(report["submission"]["notes"])
    assert "!pip install numpy" in notes
    assert "%matplotlib inline" in notes


@pytest.mark.slow
def test_tanh_mistake_keeps_everything_but_the_node_4_weights():
    """tanh' = 1 - tanh loses only W14/W24 credit: parts other than 3.1 and 3.3 have all their
    code points."""
    report = _report("tanh_derivative.py")
    assert 0 < report["score"] < report["max_score"]
    code = dict.fromkeys((p["id"] for p in report["parts"]), 0.0)
    for test in _code_tests(report):
        code[test["part"]] += test["max_score"]
    for part in report["parts"]:
        if part["id"] not in {"3.1", "3.3"}:
            assert part["score"] == pytest.approx(code[part["id"]], abs=ABS), part["id"]
    failing = [t for t in _code_tests(report) if t["status"] == "failed"]
    for test in failing:
        mentioned = set(re.findall(r"W\d\d", test["output"]))
        assert mentioned <= {"W14", "W24"}, (test["name"], test["output"])


@pytest.mark.slow
def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every code test, each saying what was not
    implemented."""
    for test in _code_tests(_report("starter.py")):
        assert test["score"] == 0.0
        assert "NotImplementedError" in test["output"], test["name"]


@pytest.mark.slow
def test_broken_import_names_the_missing_module_and_line():
    """A submission importing a missing module scores 0 with the module's name and the line."""
    report = _report("broken_import.py")
    assert report["score"] == 0.0
    assert "mathml_hw4_helpers" in report["output"]
    assert "line 3" in report["output"]
    assert all(t["score"] == 0.0 for t in report["tests"])


def test_starter_example_is_the_starter_code():
    """submissions/.../starter.py is the assignment's starter with only its docstring changed."""
    example, starter = (ast.parse(p.read_text()) for p in (EXAMPLES / "starter.py", STARTER))
    assert ast.dump(_without_docstring(example)) == ast.dump(_without_docstring(starter))


def test_notebook_holds_the_same_solution_as_correct_py():
    """correct.ipynb defines the same functions and class, with the same code, as correct.py."""
    cells = json.loads((EXAMPLES / "correct.ipynb").read_text())["cells"]
    code_lines = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        code_lines += [line for line in source.splitlines() if line.lstrip()[:1] not in "%!"]
    notebook = _definitions(ast.parse("\n".join(code_lines)))
    script = _definitions(ast.parse((EXAMPLES / "correct.py").read_text()))
    assert notebook == script


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_example_opens_with_a_docstring_naming_it(path):
    """Every example file starts with a docstring saying which example it is."""
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc is not None and doc.startswith("Example submission for mathml_hw4: ")


def _definitions(tree: ast.Module) -> dict[str, str]:
    return {
        node.name: ast.dump(node)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }


def _without_docstring(tree: ast.Module) -> ast.Module:
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return ast.Module(body=body, type_ignores=[])


@functools.cache
def _test_maxima() -> dict[str, float]:
    """Display name -> points of every test of the assignment, read from the test sources."""
    maxima: dict[str, float] = {}
    for path in sorted((ROOT / "problems" / "mathml_hw4" / "tests").glob("*/test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for deco in node.decorator_list:
                    if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "points":
                        value = ast.literal_eval(deco.args[0])
                        name = next(k.value for k in deco.keywords if k.arg == "name")
                        maxima[ast.literal_eval(name)] = float(value)
    return maxima
