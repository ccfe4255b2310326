"""Each mathml_hw4 example submission gets its exact score, and each mistake is named.

The examples are graded through the engine's public API (isolated worker and all), as a course
would grade them. For a mistake, every test not listed for it must pass in full; a listed test
earns exactly the listed score and its output contains the listed text.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest

from grader import grade

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples" / "mathml_hw4"
STARTER = ROOT / "problems" / "mathml_hw4" / "starter.py"
TOTAL = 115.0  # 100 points plus the 15 bonus points of parts 3.3 and 3.5
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

EXPECTED_SCORES = {
    "correct.py": TOTAL,
    "correct.ipynb": TOTAL,
    "starter.py": 0.0,
    "broken_import.py": 0.0,
    "tanh_derivative.py": 109.0 + THIRD,
    "ridge_no_regularizer.py": 100.0 + 1.0 / 12.0,
    "mlp_not_averaged.py": 86.0 + THIRD,
    "warmup5_seed_answer.py": 112.0,
}


@functools.cache
def _report(name: str) -> dict:
    return grade("mathml_hw4", EXAMPLES / name)


def test_every_example_has_an_expected_score():
    """Each example file is listed here with its score, and each listed file exists."""
    files = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in {".py", ".ipynb"})
    assert files == sorted(EXPECTED_SCORES)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_SCORES))
def test_example_total_score(name):
    """The example earns exactly its expected score out of 115."""
    report = _report(name)
    assert report["max_score"] == TOTAL
    assert report["score"] == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_listed_tests_with_named_messages(name):
    """A mistake loses points only in its listed tests, each with a message naming the cause."""
    expected = MISTAKES[name]
    tests = {t["name"]: t for t in _report(name)["tests"]}
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
    """The listed per-test deductions add up to the expected total (needs test maxima only)."""
    maxima = _test_maxima()
    lost = sum(maxima[test] - score for test, (score, _) in MISTAKES[name].items())
    assert TOTAL - lost == pytest.approx(EXPECTED_SCORES[name], abs=ABS)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["correct.py", "correct.ipynb"])
def test_correct_examples_pass_every_test(name):
    """A correct solution passes every public and hidden test in full."""
    tests = _report(name)["tests"]
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
    """tanh' = 1 - tanh loses only W14/W24 credit: parts other than 3.1 and 3.3 are full."""
    report = _report("tanh_derivative.py")
    assert 0 < report["score"] < report["max_score"]
    parts = {p["id"]: p for p in report["parts"]}
    for part_id, part in parts.items():
        if part_id not in {"3.1", "3.3"}:
            assert part["score"] == part["max_score"], part_id
    failing = [t for t in report["tests"] if t["status"] == "failed"]
    for test in failing:
        mentioned = set(re.findall(r"W\d\d", test["output"]))
        assert mentioned <= {"W14", "W24"}, (test["name"], test["output"])


@pytest.mark.slow
def test_starter_fails_every_test_pointing_at_not_implemented():
    """The unmodified starter scores 0 in every test, each saying what was not implemented."""
    for test in _report("starter.py")["tests"]:
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
