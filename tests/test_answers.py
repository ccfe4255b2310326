"""Typed answers: loading (TOML, folder, tagged notebook cells), kinds, error carried forward,
limits, reports with answer parts, hostile answer text, and ``grader list``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.answers import ANSWER_TIMEOUT, answer_specs, grade_answers
from grader.assignment import Assignment, resolve
from grader.cli import main
from grader.errors import AssignmentError, LoadError
from grader.load import MAX_ANSWERS, load_submission
from grader.score import score_outcomes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples"


def _ids(name: str) -> list[str]:
    return [str(e["id"]) for e in resolve(name).answer_parts]


def _custom(answer_parts: list[dict[str, Any]], worked: dict[str, Any] | None = None
            ) -> Assignment:
    """mathml_hw4 with other answer parts (its parts and paths stay)."""
    a = resolve("mathml_hw4")
    raw = dict(a.raw)
    raw["worked"] = worked or {}
    return Assignment(name=a.name, path=a.path, title=a.title, seed=a.seed, module=a.module,
                      limits=a.limits, parts=a.parts, answer_parts=tuple(answer_parts), raw=raw)


def _by_id(outcomes: list[Any]) -> dict[str, Any]:
    return {o.info.name.removeprefix("answer "): o for o in outcomes}


def _diagnosis(outcome: Any) -> Any:
    return json.loads(outcome.internal).get("diagnosis") if outcome.internal else None


# -- loading ----------------------------------------------------------------------------------


def test_toml_file_reads_dotted_keys_quoted_keys_and_tables(tmp_path: Path) -> None:
    """A .toml submission holds answers only; dotted keys, quoted keys and [tables] all name
    the same dotted ids, and numbers become floats."""
    path = tmp_path / "answers.toml"
    path.write_text('1.1 = "M^T M"\n"2.1.solution" = \'(X^\\top X)^{-1}\'\n'
                    "[3.1]\na3 = 0.2689\n\n[3.1.grad]\nW13 = -1\n")
    sub = load_submission(path, module="mathml_hw4", answer_ids=_ids("mathml_hw4"))
    assert (sub.kind, sub.files, sub.has_code) == ("toml", {}, False)
    assert sub.answers == {"1.1": "M^T M", "2.1.solution": "(X^\\top X)^{-1}",
                           "3.1.a3": 0.2689, "3.1.grad.W13": -1.0}


def test_malformed_toml_is_a_load_error_with_line_and_column(tmp_path: Path) -> None:
    """Broken TOML raises LoadError naming the line and column and how to write an answer."""
    path = tmp_path / "a.toml"
    path.write_text('1.1 = "M^T M"\n1.2 = M^T\n')
    with pytest.raises(LoadError, match=r"line 2, column 7.*3\.1\.a5 = 0\.8337"):
        load_submission(path, module="hw")


def test_answer_that_is_not_text_or_number_is_refused(tmp_path: Path) -> None:
    """A list or a boolean as an answer is a load error naming the answer."""
    path = tmp_path / "a.toml"
    path.write_text("[3.1]\na3 = [0.2, 0.3]\n")
    with pytest.raises(LoadError, match=r"'3\.1\.a3' is a list"):
        load_submission(path, module="hw")


def test_too_many_answers_is_a_load_error(tmp_path: Path) -> None:
    """More than MAX_ANSWERS answers is refused before anything is graded."""
    path = tmp_path / "a.toml"
    path.write_text("".join(f"k{i} = {i}\n" for i in range(MAX_ANSWERS + 1)))
    with pytest.raises(LoadError, match="more than"):
        load_submission(path, module="hw")


def test_unknown_answer_ids_are_dropped_with_a_note(tmp_path: Path) -> None:
    """Ids the assignment does not have are ignored, and a note says so."""
    path = tmp_path / "a.toml"
    path.write_text('1.1 = "M^T M"\nwarmup1 = "M^T M"\n')
    sub = load_submission(path, module="mathml_hw4", answer_ids=_ids("mathml_hw4"))
    assert list(sub.answers) == ["1.1"]
    assert "warmup1" in sub.notes[0] and "grader list" in sub.notes[0]


def test_folder_with_code_and_answers_toml(tmp_path: Path) -> None:
    """A folder with code and answers.toml gives both the code and the answers."""
    (tmp_path / "hw.py").write_text("def f():\n    return 1\n")
    (tmp_path / "answers.toml").write_text('1.1 = "M^T M"\n')
    sub = load_submission(tmp_path, module="hw", answer_ids=["1.1"])
    assert sub.has_code and sub.answers == {"1.1": "M^T M"}


def test_folder_with_only_answers_has_no_code(tmp_path: Path) -> None:
    """A folder holding only answers.toml loads as an answers-only submission."""
    (tmp_path / "answers.toml").write_text('1.1 = "M^T M"\n')
    sub = load_submission(tmp_path, module="hw", answer_ids=["1.1"])
    assert not sub.has_code and sub.answers == {"1.1": "M^T M"}


def _notebook(tmp_path: Path, cells: list[Any]) -> Path:
    nb = new_notebook()
    nb.cells = cells
    path = tmp_path / "work.ipynb"
    nbformat.write(nb, path)
    return path


def _tag(cell: Any, tag: str) -> Any:
    cell.metadata["tags"] = [tag]
    return cell


def test_notebook_cells_tagged_with_an_answer_id_are_answers_not_code(tmp_path: Path) -> None:
    """Markdown and code cells tagged with an answer id are answers; the code module leaves
    them out (M^T is not Python), so it still compiles."""
    path = _notebook(tmp_path, [
        new_code_cell("def f():\n    return 1\n"),
        _tag(new_markdown_cell("$$M^\\top M$$"), "1.1"),
        _tag(new_code_cell("M^T"), "1.2"),
        _tag(new_code_cell("x = 1"), "not-an-answer"),
    ])
    sub = load_submission(path, module="hw", answer_ids=["1.1", "1.2"])
    assert sub.answers == {"1.1": "$$M^\\top M$$", "1.2": "M^T"}
    source = sub.files["hw.py"].decode()
    compile(source, "hw.py", "exec")
    assert "M^T" not in source and "x = 1" in source


def test_notebook_of_answer_cells_only_has_no_code(tmp_path: Path) -> None:
    """A notebook whose only cells are tagged answers is an answers-only submission."""
    path = _notebook(tmp_path, [new_markdown_cell("# My answers"),
                                _tag(new_code_cell("M^T M"), "1.1")])
    sub = load_submission(path, module="hw", answer_ids=["1.1"])
    assert not sub.has_code and sub.answers == {"1.1": "M^T M"}


def test_example_notebook_with_tagged_cells_grades_every_answer() -> None:
    """The example notebook's tagged cells (Markdown LaTeX and code cells) earn every point."""
    a = resolve("softmax_regression")
    sub = load_submission(EXAMPLES / "softmax_regression" / "answers_notebook.ipynb",
                          module=a.module, answer_ids=_ids(a.name))
    assert sub.has_code
    outcomes = grade_answers(a, sub)
    assert all(o.status == "passed" for o in outcomes), [o.messages for o in outcomes]


EXAMPLE_SCORES = {
    ("cs189_hw4_backprop", "answers_correct.toml"): 8.5,
    ("cs189_hw4_backprop", "answers_mistakes.toml"): 4.0,
    ("cs229_ps2", "answers_correct.toml"): 16.5,
    ("cs229_ps2", "answers_mistakes.toml"): 9.5,
    ("mathml_hw4", "answers_correct.toml"): 26.25,
    ("mathml_hw4", "answers_mistakes.toml"): 20.375,
    ("softmax_regression", "answers_correct.toml"): 18.0,
    ("softmax_regression", "answers_mistakes.toml"): 9.75,
}


def test_every_answer_example_is_listed() -> None:
    """Every answers_*.toml example has its expected score below."""
    found = {(p.parent.name, p.name) for p in EXAMPLES.glob("*/answers_*.toml")}
    assert found == set(EXAMPLE_SCORES)


@pytest.mark.parametrize(("name", "file"), sorted(EXAMPLE_SCORES))
def test_answer_example_scores(name: str, file: str) -> None:
    """Each answer example earns exactly its documented answer score (also stated in the
    file's header comment)."""
    a = resolve(name)
    path = EXAMPLES / name / file
    sub = load_submission(path, module=a.module, answer_ids=_ids(name))
    assert sub.notes == []
    scores = score_outcomes(grade_answers(a, sub), a.parts)
    assert scores.score == pytest.approx(EXAMPLE_SCORES[(name, file)], abs=1e-9)
    assert f"{EXAMPLE_SCORES[(name, file)]:g} of {scores.max_score:g}" in path.read_text()


# -- kinds ------------------------------------------------------------------------------------

NUMBER = {"id": "n", "part": "1", "points": 2, "kind": "number", "expected": "1/(1+e)"}


def test_number_uses_a_relative_tolerance_not_rounding() -> None:
    """A number is right within its relative tolerance (0.2689 for 1/(1+e) at 1e-3), not by
    its rounding; 0.27 is outside 1e-3 but inside 2 significant figures."""
    a = _custom([NUMBER, {**NUMBER, "id": "m", "sig_figs": 2}])
    got = _by_id(grade_answers(a, SimpleNamespace(answers={"n": "0.2689", "m": "0.27"})))
    assert got["n"].status == "passed" and got["m"].status == "passed"
    got = _by_id(grade_answers(a, SimpleNamespace(answers={"n": 0.27, "m": "0.3"})))
    assert got["n"].status == "failed" and got["m"].status == "failed"


def test_expression_shape_error_is_reported_as_such() -> None:
    """An expression whose shapes do not fit gets a shape-error message that names them."""
    a = _custom([{"id": "e", "part": "1", "points": 1, "kind": "expression",
                  "symbols": "X: n x d; y: n x 1", "expected": "X^T y"}])
    [o] = grade_answers(a, SimpleNamespace(answers={"e": "X y"}))
    assert o.status == "failed" and o.fraction == 0.0
    assert "shape" in o.messages[0] and "(n x d)" in o.messages[0]


def test_gradient_is_checked_against_the_loss_not_a_formula() -> None:
    """A gradient in an unexpected but correct form passes, because the check differentiates
    the loss numerically; a wrong one is diagnosed."""
    a = _custom([{"id": "g", "part": "1", "points": 1, "kind": "gradient",
                  "symbols": "A: n x n; x: n x 1", "loss": "x^T A x", "wrt": "x"}])
    [o] = grade_answers(a, SimpleNamespace(answers={"g": "A x + A^T x"}))
    assert o.status == "passed"
    [o] = grade_answers(a, SimpleNamespace(answers={"g": "2 A x"}))
    assert o.status == "failed"


def test_missing_answer_scores_zero_and_says_so() -> None:
    """An unanswered part earns 0 with "no answer for <id>" and how to write it."""
    [o] = grade_answers(_custom([NUMBER]), SimpleNamespace(answers={}))
    assert o.status == "failed" and o.fraction == 0.0
    assert o.messages[0].startswith("no answer for n") and "n = 0.1234" in o.messages[0]
    assert o.info.tags == ("answer",) and o.info.part == "1" and o.info.points == 2


def test_answer_outcome_metadata() -> None:
    """Each answer outcome is named "answer <id>", tagged "answer", in its part, with points."""
    a = resolve("cs189_hw4_backprop")
    outcomes = grade_answers(a, SimpleNamespace(answers={}))
    assert [o.info.name for o in outcomes] == [f"answer {i}" for i in _ids(a.name)]
    assert {o.info.tags for o in outcomes} == {("answer",)}
    assert sum(o.info.points for o in outcomes) == 8.5


# -- error carried forward ----------------------------------------------------------------------


def _mathml(answers: dict[str, Any]) -> dict[str, Any]:
    return _by_id(grade_answers(resolve("mathml_hw4"), SimpleNamespace(answers=answers)))


def test_later_step_from_own_wrong_value_earns_its_points() -> None:
    """With a wrong a5, the loss computed from it earns full points and says so; a loss that
    matches neither the truth nor the student's own a5 earns 0 and says both."""
    got = _mathml({"3.1.a5": -0.5, "3.1.loss": 2.25})
    assert got["3.1.a5"].fraction == 0.0
    loss = got["3.1.loss"]
    assert loss.status == "passed" and loss.fraction == 1.0
    assert "consistent with your a5 = -0.5, carried forward" in loss.messages[0]
    got = _mathml({"3.1.a5": -0.5, "3.1.loss": 3.0})
    assert got["3.1.loss"].fraction == 0.0
    assert "not consistent with your own a5 = -0.5" in got["3.1.loss"].messages[0]


def test_gradient_from_own_activations_carries_forward() -> None:
    """dL/dW13 computed from the student's own a3 and a5 earns full credit, naming both."""
    a3, a5 = 0.3, -0.4
    own = -2 * (1 - a5) * 2.0 * a3 * (1 - a3) * 1.0
    got = _mathml({"3.1.a3": a3, "3.1.a5": a5, "3.1.grad.W13": f"{own:.6f}"})
    assert got["3.1.grad.W13"].status == "passed"
    assert "a3 = 0.3" in got["3.1.grad.W13"].messages[0]
    assert "a5 = -0.4" in got["3.1.grad.W13"].messages[0]


def test_rounded_table_from_own_updated_weight_carries_forward() -> None:
    """The 2-decimal table entry of the student's own (wrong) updated weight earns its points;
    the right table value does too."""
    got = _mathml({"3.1.new.W13": 1.2049, "3.1.table.W13": 1.2})
    assert got["3.1.new.W13"].fraction == 0.0
    assert got["3.1.table.W13"].status == "passed"
    assert "carried forward" in got["3.1.table.W13"].messages[0]
    got = _mathml({"3.1.new.W13": 1.2049, "3.1.table.W13": 1.11})
    assert got["3.1.table.W13"].status == "passed"


def test_carried_forward_note_reaches_the_report_output(tmp_path: Path) -> None:
    """A report's output tells the student which answers earned points by carrying forward."""
    from grader.api import grade

    path = tmp_path / "a.toml"
    path.write_text("[3.1]\na5 = -0.5\nloss = 2.25\n")
    report = grade("mathml_hw4", path)
    assert "answer 3.1.loss: Correct for your own earlier values" in report["output"]
    loss = next(t for t in report["tests"] if t["name"] == "answer 3.1.loss")
    assert loss["score"] == loss["max_score"] == 0.25


# -- limits and hostile text --------------------------------------------------------------------

PATHOLOGICAL = {
    "tower": "9^9^9^9",
    "nested": "(" * 10_000 + "1" + ")" * 10_000,
    "huge": "x" * 5_000_000,
}


def test_pathological_answers_get_clear_errors_within_the_limit() -> None:
    """9^9^9^9, 10,000 nested brackets and a 5 MB string each fail with a clear message within
    the time limit, as numbers and as expressions, and the other answers are still graded."""
    parts = [{**NUMBER, "id": f"n.{k}"} for k in PATHOLOGICAL] + [
        {"id": f"e.{k}", "part": "1", "points": 1, "kind": "expression",
         "symbols": "x: scalar", "expected": "2 x"} for k in PATHOLOGICAL] + [
        {**NUMBER, "id": "ok"}]
    answers = {f"{kind}.{k}": v for k, v in PATHOLOGICAL.items() for kind in ("n", "e")}
    answers["ok"] = "0.26894"
    started = time.monotonic()
    got = _by_id(grade_answers(_custom(parts), SimpleNamespace(answers=answers)))
    assert time.monotonic() - started < 2 * ANSWER_TIMEOUT
    assert got["ok"].status == "passed"
    for key in answers:
        if key == "ok":
            continue
        assert got[key].status == "failed" and got[key].fraction == 0.0, key
        message = got[key].messages[0]
        assert message.startswith("Could not read your answer"), (key, message)
        assert len(message) < 400
    assert "too large" in got["n.tower"].messages[0]
    assert "too long" in got["e.huge"].messages[0]
    assert "nest" in got["e.nested"].messages[0] or "too long" in got["e.nested"].messages[0]


def test_five_megabyte_answer_in_a_toml_file_loads_and_fails_alone(tmp_path: Path) -> None:
    """A 5 MB answer in an answers file does not stop loading; only that answer fails."""
    path = tmp_path / "a.toml"
    path.write_text(f'1.1 = "M^T M"\n1.2 = "{"M" * 5_000_000}"\n')
    a = resolve("mathml_hw4")
    sub = load_submission(path, module=a.module, answer_ids=_ids(a.name))
    got = _by_id(grade_answers(a, sub))
    assert got["1.1"].status == "passed"
    assert "too long" in got["1.2"].messages[0]


HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "exec(\"open('{marker}', 'w')\")",
    "eval(\"__import__('pathlib').Path('{marker}').touch()\")",
    "(lambda: open('{marker}', 'w'))()",
    "().__class__.__bases__[0].__subclasses__()",
    "X.__class__",
]


def test_hostile_answer_text_never_executes(tmp_path: Path) -> None:
    """Python in an answer is only ever parsed as math: nothing runs, each is refused with a
    message, as a number, an expression and a gradient."""
    marker = tmp_path / "pwned"
    texts = [h.format(marker=marker) for h in HOSTILE]
    parts, answers = [], {}
    for i, text in enumerate(texts):
        parts += [{**NUMBER, "id": f"n{i}"},
                  {"id": f"e{i}", "part": "1", "points": 1, "kind": "expression",
                   "symbols": "X: n x n", "expected": "X^T"},
                  {"id": f"g{i}", "part": "1", "points": 1, "kind": "gradient",
                   "symbols": "X: n x n", "loss": "tr(X)", "wrt": "X"}]
        answers |= {f"n{i}": text, f"e{i}": text, f"g{i}": text}
    got = _by_id(grade_answers(_custom(parts), SimpleNamespace(answers=answers)))
    assert not marker.exists()
    for key, outcome in got.items():
        assert outcome.status == "failed" and outcome.fraction == 0.0, key
        assert outcome.messages[0].startswith("Could not read your answer"), key


# -- one child per submission -------------------------------------------------------------------


def _count_children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the children ``run_isolated_many`` forks (the list grows by one per child)."""
    from grader import equiv

    forked: list[int] = []
    real = equiv._run_child

    def counting(*args: Any, **kwargs: Any) -> Any:
        forked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(equiv, "_run_child", counting)
    return forked


def test_all_answers_of_a_submission_are_checked_in_one_child(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every expression, gradient and number text of a submission is checked in one forked
    child, not one child per answer."""
    forked = _count_children(monkeypatch)
    a = resolve("cs229_ps2")
    sub = load_submission(EXAMPLES / "cs229_ps2" / "answers_correct.toml", module=a.module,
                          answer_ids=_ids(a.name))
    outcomes = grade_answers(a, sub)
    assert len(outcomes) == 10 and all(o.status == "passed" for o in outcomes)
    assert len(forked) == 1


def test_answer_that_overruns_its_time_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer whose check overruns its own time limit is "too complex"; the child is killed
    and a new one checks the answers after it, which are graded as usual."""
    from grader import equiv

    real = equiv._compare

    def hangs_on_x_plus_x(expected: str, given: str, *args: Any) -> dict[str, Any]:
        if given == "x + x":
            time.sleep(30)
        return real(expected, given, *args)

    monkeypatch.setattr(equiv, "_compare", hangs_on_x_plus_x)
    forked = _count_children(monkeypatch)
    expr = {"part": "1", "points": 1, "kind": "expression", "symbols": "x: scalar",
            "expected": "2 x"}
    parts = [{**expr, "id": "a"}, {**expr, "id": "slow", "timeout": 0.5},
             {**expr, "id": "b"}, {**NUMBER, "id": "n"}]
    started = time.monotonic()
    got = _by_id(grade_answers(_custom(parts), SimpleNamespace(
        answers={"a": "2 x", "slow": "x + x", "b": "x*2", "n": "1/(1+e)"})))
    assert time.monotonic() - started < 5
    assert got["slow"].status == "failed" and "too complex" in got["slow"].messages[0]
    assert _diagnosis(got["slow"]) == "too-complex"
    assert all(got[k].status == "passed" for k in ("a", "b", "n"))
    assert len(forked) == 2


def test_answers_past_the_total_budget_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the submission's answers have used up ANSWERS_TOTAL_TIMEOUT, the answers left earn
    0 and say they were not checked (numbers and expressions alike)."""
    from grader import answers

    monkeypatch.setattr(answers, "ANSWERS_TOTAL_TIMEOUT", 0.0)
    parts = [{**NUMBER, "id": "n"}, {"id": "e", "part": "1", "points": 1, "kind": "expression",
                                     "symbols": "x: scalar", "expected": "2 x"}]
    got = _by_id(grade_answers(_custom(parts), SimpleNamespace(answers={"n": "0.2689",
                                                                        "e": "2 x"})))
    for key in ("n", "e"):
        assert got[key].status == "failed" and got[key].fraction == 0.0, key
        assert got[key].messages[0].startswith("This answer was not checked"), key
        assert _diagnosis(got[key]) == "not-checked"


def test_a_child_that_dies_blames_only_its_current_job() -> None:
    """A job that ends the child gets "died"; the jobs after it run in a new child."""
    import os

    from grader.equiv import IsolatedJob, run_isolated_many

    def pid() -> dict[str, Any]:
        return {"pid": os.getpid()}

    jobs = [IsolatedJob("a", pid, 5, 256), IsolatedJob("b", pid, 5, 256),
            IsolatedJob("die", lambda: os._exit(3), 5, 256), IsolatedJob("c", pid, 5, 256)]
    replies = run_isolated_many(jobs)
    assert replies["die"] == {"internal": "died"}
    assert replies["a"]["pid"] == replies["b"]["pid"] != replies["c"]["pid"]
    assert os.getpid() not in {replies[k]["pid"] for k in "abc"}


def test_memory_limit_holds_for_every_job_of_a_child() -> None:
    """Each job may add its own memory allowance: one that exceeds it gets "memory", and the
    job after it still gets the full allowance (in a fresh child)."""
    from grader.equiv import IsolatedJob, run_isolated_many

    def take(mb: int) -> dict[str, Any]:
        block = bytearray(mb * 1024 * 1024)
        return {"size": len(block) // (1024 * 1024)}

    jobs = [IsolatedJob("small", lambda: take(100), 10, 256),
            IsolatedJob("hog", lambda: take(8 * 1024), 10, 256),
            IsolatedJob("again", lambda: take(200), 10, 256)]
    replies = run_isolated_many(jobs)
    assert replies == {"small": {"size": 100}, "hog": {"internal": "memory"},
                       "again": {"size": 200}}


def test_hung_job_times_out_and_the_total_budget_stops_the_rest() -> None:
    """A hung job is killed at its own limit; the jobs left when the total budget is spent get
    "budget" without running."""
    from grader.equiv import IsolatedJob, run_isolated_many

    def hang() -> dict[str, Any]:
        time.sleep(30)
        return {}

    started = time.monotonic()
    replies = run_isolated_many(
        [IsolatedJob("hang", hang, 0.3, 256), IsolatedJob("ok", lambda: {"ok": 1}, 5, 256),
         IsolatedJob("late", hang, 5, 256), IsolatedJob("never", lambda: {}, 5, 256)],
        total_timeout=1.0)
    assert time.monotonic() - started < 3
    assert replies["hang"] == {"internal": "timeout"} and replies["ok"] == {"ok": 1}
    assert replies["late"] == replies["never"] == {"internal": "budget", "seconds": 1.0}


def test_assignment_expressions_are_parsed_once_per_process() -> None:
    """Grading a second submission parses none of the assignment's expected answers, losses or
    definitions again (they are cached in the trusted process, before any child is forked)."""
    from grader import equiv

    a = resolve("softmax_regression")
    answers = load_submission(EXAMPLES / a.name / "answers_mistakes.toml", module=a.module,
                              answer_ids=_ids(a.name)).answers
    grade_answers(a, SimpleNamespace(answers=answers))
    before = (equiv._trusted_expr.cache_info().misses,
              equiv._gradient_setting_cached.cache_info().misses)
    again = grade_answers(a, SimpleNamespace(answers=answers))
    assert (equiv._trusted_expr.cache_info().misses,
            equiv._gradient_setting_cached.cache_info().misses) == before
    scores = score_outcomes(again, a.parts)
    assert scores.score == pytest.approx(EXAMPLE_SCORES[(a.name, "answers_mistakes.toml")])


def test_error_in_an_expected_answer_is_raised_before_forking(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken expected answer is the instructor's error, raised in the trusted process: no
    child is started for it."""
    from grader import equiv
    from grader.errors import AnswerParseError

    forked = _count_children(monkeypatch)
    broken = _custom([{"id": "e", "part": "1", "points": 1, "kind": "expression",
                       "symbols": "X: n x n", "expected": "Z + X"}])
    with pytest.raises(AnswerParseError, match="expected answer: unknown symbol 'Z'"):
        grade_answers(broken, SimpleNamespace(answers={"e": "X"}))
    assert forked == []
    with pytest.raises(AnswerParseError, match="wrt: 'Q' is not a declared symbol"):
        equiv.prepare_gradient("tr(X)", "Q", "X", "X: n x n")


# -- reports ----------------------------------------------------------------------------------


def test_answers_only_report_is_schema_valid_and_scores_answers(tmp_path: Path) -> None:
    """An answers-only .toml gets a valid report: every code test fails with "no code was
    handed in", every answer part is a test tagged "answer", the score is the answers'."""
    from grader.api import grade

    report = grade("cs189_hw4_backprop", EXAMPLES / "cs189_hw4_backprop" / "answers_mistakes.toml")
    assert report["status"] == "graded"
    answers = [t for t in report["tests"] if "answer" in t["tags"]]
    code = [t for t in report["tests"] if "answer" not in t["tags"]]
    assert len(answers) == 7 and code
    assert all(t["score"] == 0 and "No code was handed in" in t["output"] for t in code)
    assert report["score"] == pytest.approx(4.0)
    assert report["max_score"] == pytest.approx(30 + 8.5)
    parts = {p["id"]: p for p in report["parts"]}
    assert parts["1a"]["max_score"] == pytest.approx(6 + 1.5)


def test_unreadable_submission_report_has_the_answer_parts(tmp_path: Path) -> None:
    """A submission that cannot be read still lists the answer parts (score 0), so every
    report of an assignment has the same maximum."""
    from grader.api import grade

    bad = tmp_path / "broken.ipynb"
    bad.write_text("{not json")
    report = grade("cs189_hw4_backprop", bad)
    assert report["status"] == "load-error"
    answers = [t for t in report["tests"] if "answer" in t["tags"]]
    assert len(answers) == 7 and all(t["score"] == 0 for t in answers)
    assert report["max_score"] == pytest.approx(38.5)


@pytest.mark.slow
def test_code_and_answers_in_one_folder(tmp_path: Path) -> None:
    """A folder with correct code and correct answers.toml earns full marks, answers included."""
    from grader.api import grade

    (tmp_path / "backprop.py").write_bytes((EXAMPLES / "cs189_hw4_backprop" /
                                            "correct.py").read_bytes())
    (tmp_path / "answers.toml").write_bytes((EXAMPLES / "cs189_hw4_backprop" /
                                             "answers_correct.toml").read_bytes())
    report = grade("cs189_hw4_backprop", tmp_path)
    assert report["score"] == report["max_score"] == pytest.approx(38.5)


def test_grade_check_leaves_answers_out() -> None:
    """grader check (public tests only) does not grade answers: the key stays hidden."""
    from grader.api import grade

    report = grade("cs189_hw4_backprop", EXAMPLES / "cs189_hw4_backprop" / "answers_correct.toml",
                   public_only=True)
    assert not [t for t in report["tests"] if "answer" in t["tags"]]


# -- the assignment's declarations --------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "essay"}, "kind 'essay'"),
    ({"part": "9"}, "not a \\[\\[parts\\]\\] id"),
    ({"expected": None}, "needs 'expected'"),
    ({"colour": "red"}, "unknown keys"),
    ({"variants": [{"name": "x", "credit": 2}]}, "credit must be in"),
])
def test_bad_answer_declarations_are_assignment_errors(change: dict[str, Any],
                                                       message: str) -> None:
    """Mistakes in an [[answers]] table are reported with what is wrong."""
    entry = {k: v for k, v in {**NUMBER, **change}.items() if v is not None}
    with pytest.raises(AssignmentError, match=message):
        answer_specs(_custom([entry]))


def test_answer_id_that_prefixes_another_is_refused() -> None:
    """Ids "a" and "a.b" cannot both be written in TOML, so the assignment may not use both."""
    with pytest.raises(AssignmentError, match="prefix"):
        answer_specs(_custom([{**NUMBER, "id": "a"}, {**NUMBER, "id": "a.b"}]))


@pytest.mark.parametrize("name", ["softmax_regression", "cs189_hw4_backprop", "cs229_ps2",
                                  "mathml_hw4"])
def test_every_assignment_declares_valid_answer_parts(name: str) -> None:
    """Each assignment's answer parts load, belong to its parts and declare the shape shown to
    students."""
    specs = answer_specs(resolve(name))
    assert specs
    for s in specs:
        if s.kind in {"expression", "gradient"}:
            assert s.shape and s.symbols and s.prompt, s.id


# -- grader list ------------------------------------------------------------------------------


def test_grader_list_shows_forms_and_never_the_answers(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """grader list prints every id with kind, points, symbols and shapes, and no expected
    answer or variant."""
    assert main(["list", "softmax_regression"]) == 0
    out = capsys.readouterr().out
    for answer_id in _ids("softmax_regression"):
        assert answer_id in out
    assert "X: d x n" in out and "[gradient, 3 pt, part 2]" in out
    assert "(1/n) X (Y_hat - Y)^T" not in out and "half-penalty" not in out


def test_grader_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    """grader list --json gives the same information as data."""
    assert main(["list", "mathml_hw4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["assignment"] == "mathml_hw4" and len(data["answers"]) == 58
    first = data["answers"][0]
    assert first["id"] == "1.1" and first["kind"] == "expression" and first["points"] == 1.0
    assert {"name": "M", "shape": "p x m"} in first["symbols"]
    worked = next(e for e in data["answers"] if e["id"] == "3.1.a3")
    assert worked["given"]["W13"] == 1.0 and "4 significant figures" in worked["form"]
    assert all("expected" not in e and "variants" not in e for e in data["answers"])


# -- numbers that are no value, error carried forward from impossible values --------------------


@pytest.mark.parametrize(("given", "fragment"), [
    (float("inf"), "inf is not a finite number"),
    (float("-inf"), "-inf is not a finite number"),
    (float("nan"), "nan is not a finite number"),
    (10**400, "it is a number of 401 digits, too large to compute with"),
    (10**5000, "it is a number of thousands of digits, too large to compute with"),
    (True, "an answer must be a number or text, not a bool"),
    ([1.0], "an answer must be a number or text, not a list"),
], ids=["inf", "-inf", "nan", "400-digits", "5000-digits", "bool", "list"])
def test_number_that_is_no_value_fails_that_answer_alone(given: Any, fragment: str) -> None:
    """inf, nan, a 400-digit int (as TOML reads them) or a non-number is that answer's error,
    read once: every part still gets its outcome and the other answers are graded."""
    for answer_id in ("3.1.a3", "3.1.a5", "3.1.table.W13", "1.1"):
        got = _mathml({answer_id: given, "3.1.a4": 0.964028})
        assert got[answer_id].fraction == 0.0
        assert len(got[answer_id].messages) == 1
        assert got[answer_id].messages[0].startswith(f"Could not read your answer: {fragment}")
        assert _diagnosis(got[answer_id]) == "unreadable"
        assert got["3.1.a4"].status == "passed"


def test_huge_but_finite_numbers_are_graded_without_carrying_infinities() -> None:
    """1e308 for a5 makes the loss computed from it infinite: nothing is carried from it (an
    infinite carried value would match every loss), and rounding 1e308 to 2 decimals does not
    raise (math.floor(inf)): the table entry copied from a 1e308 update is ordinary error
    carried forward."""
    for loss in (1e308, 0.5, 1e300):
        given = {"3.1.a5": 1e308, "3.1.loss": loss, "3.1.new.W13": 1e308,
                 "3.1.table.W13": 1e308, "3.1.grad.W35": -1e308}
        got = _mathml(given)
        assert {k: got[k].fraction for k in given} == {
            "3.1.a5": 0.0, "3.1.loss": 0.0, "3.1.new.W13": 0.0, "3.1.table.W13": 1.0,
            "3.1.grad.W35": 0.0}, loss
    # 1e308 / 0.2689 overflows: no "off by a power of 10" diagnosis (round(inf) raised)
    assert _mathml({"3.1.a3": 1e308})["3.1.a3"].messages == [
        "Not correct: the value is outside the tolerance. 1e+308 is not a value this step can "
        "take (it lies in (0, 1) whatever it is computed from), so later steps are not graded "
        "from it."]


def test_toml_numbers_reach_the_grader_as_written(tmp_path: Path) -> None:
    """The loader keeps TOML's numbers as they are (a 400-digit int, inf); grading reports
    each as that answer's error and still grades the rest."""
    path = tmp_path / "answers.toml"
    path.write_text(f'[3.1]\na3 = {"9" * 400}\na4 = inf\na5 = nan\nloss = 2.03389\n')
    sub = load_submission(path, module="mathml_hw4", answer_ids=_ids("mathml_hw4"))
    assert sub.answers["3.1.a3"] == int("9" * 400)
    got = _by_id(grade_answers(resolve("mathml_hw4"), sub))
    assert "a number of 400 digits" in got["3.1.a3"].messages[0]
    assert "inf is not a finite number" in got["3.1.a4"].messages[0]
    assert "nan is not a finite number" in got["3.1.a5"].messages[0]
    assert got["3.1.loss"].status == "passed"


@pytest.mark.parametrize(("text", "fragment"), [
    ('"3.1.a3" = ' + "9" * 5000 + "\n", "the number on line 1 has too many digits"),
    ("x = 1\n" + '"3.1.a3" = ' + "1_" * 4400 + "1\n", "the number on line 2 has too many digits"),
    ('"3.1.a3" = ' + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
    ("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n", "nested too deeply"),
])
def test_toml_python_cannot_read_is_a_load_error(tmp_path: Path, text: str,
                                                 fragment: str) -> None:
    """More than 4,300 digits (Python's int-str limit) or nesting past the recursion limit:
    a LoadError that says what and how to write an answer, never another exception."""
    path = tmp_path / "answers.toml"
    path.write_text(text)
    with pytest.raises(LoadError, match=fragment):
        load_submission(path, module="mathml_hw4", answer_ids=_ids("mathml_hw4"))


IMPOSSIBLE_CHAIN = {
    # a3 = sigmoid(...) = 0 and a4 = tanh(...) = 1: no input gives either. Every number below
    # follows from them: derivatives through a3 and a4 are 0, the weights stay unchanged.
    "3.1.a3": 0.0, "3.1.a4": 1.0, "3.1.a5": -1.0, "3.1.loss": 4.0,
    "3.1.grad.W13": 0.0, "3.1.grad.W14": 0.0, "3.1.grad.W23": 0.0, "3.1.grad.W24": 0.0,
    "3.1.grad.W35": 0.0, "3.1.grad.W45": -4.0,
    "3.1.new.W13": 1.0, "3.1.new.W14": -1.0, "3.1.new.W23": 2.0, "3.1.new.W24": -3.0,
    "3.1.new.W35": 2.0, "3.1.new.W45": -0.6,
    "3.1.table.W13": 1.0, "3.1.table.W14": -1.0, "3.1.table.W23": 2.0, "3.1.table.W24": -3.0,
    "3.1.table.W35": 2.0, "3.1.table.W45": -0.6,
}


def test_values_a_step_cannot_produce_are_not_carried_forward() -> None:
    """sigmoid = 0 and tanh = 1 are not carried, nor what follows only from them: the chain
    earns 0 (5.5 points before), and each refused step says why."""
    got = _mathml(IMPOSSIBLE_CHAIN)
    assert {k: got[k].fraction for k in IMPOSSIBLE_CHAIN} == dict.fromkeys(IMPOSSIBLE_CHAIN, 0.0)
    assert got["3.1.a3"].messages[0].endswith(
        "0 is not a value this step can take (it lies in (0, 1) whatever it is computed "
        "from), so later steps are not graded from it.")
    assert "it lies in (-1, 1) whatever" in got["3.1.a4"].messages[0]
    assert got["3.1.a5"].messages[0].endswith(
        "It follows from your a3 = 0, a4 = 1, which no input can give, so later steps are not "
        "graded from it either.")
    assert got["3.1.new.W13"].messages[0].endswith(
        "It follows from your a3 = 0, a4 = 1, which no input can give, so later steps are not "
        "graded from it either.")


def test_ordinary_slips_are_still_carried_forward() -> None:
    """A wrong but possible a3 (a slip) is carried: the derivative and the update computed from
    it earn their points, as before."""
    a3, a5 = 0.3, -0.4
    d13 = -2 * (1 - a5) * 2.0 * a3 * (1 - a3) * 1.0
    got = _mathml({"3.1.a3": a3, "3.1.a5": a5, "3.1.grad.W13": d13,
                   "3.1.new.W13": 1.0 - 0.1 * d13})
    assert got["3.1.grad.W13"].status == got["3.1.new.W13"].status == "passed"
    assert got["3.1.a3"].fraction == 0.0
    assert "not a value this step can take" not in got["3.1.a3"].messages[0]


def test_value_near_the_truth_is_carried_even_at_the_edge_of_the_range() -> None:
    """A rounded correct value is never refused: tanh(2) = 0.96403 written as 0.9640 counts."""
    got = _mathml({"3.1.a4": 0.9640, "3.1.a5": -0.426145})
    assert got["3.1.a4"].status == got["3.1.a5"].status == "passed"


def test_folder_with_unreadable_answers_file_keeps_its_code(tmp_path: Path) -> None:
    """An answers.toml Python cannot read next to the code: the code is still loaded, a note
    says why the answers were not, and every answer part earns 0 with that reason."""
    (tmp_path / "mathml_hw4.py").write_text("x = 1\n")
    (tmp_path / "answers.toml").write_text('"3.1.a3" = ' + "[" * 50_000 + "]" * 50_000 + "\n")
    sub = load_submission(tmp_path, module="mathml_hw4", answer_ids=_ids("mathml_hw4"))
    assert sub.has_code and sub.answers == {}
    reason = ("answers.toml: its arrays or tables are nested too deeply to be read; write one "
              "number or text per answer, such as 3.1.a5 = 0.8337")
    assert sub.answers_error == reason
    assert sub.notes == [f"{reason} (your code was graded; your typed answers were not)"]
    outcomes = grade_answers(resolve("mathml_hw4"), sub)
    assert {o.fraction for o in outcomes} == {0.0}
    assert {m for o in outcomes for m in o.messages} == {
        f"Your answers could not be read: {reason}"}


def test_folder_of_only_an_unreadable_answers_file_is_a_load_error(tmp_path: Path) -> None:
    """With nothing else to grade, the unreadable answers file is the folder's load error."""
    (tmp_path / "answers.toml").write_text('"3.1.a3" = ' + "9" * 5000 + "\n")
    with pytest.raises(LoadError, match="answers.toml: the number on line 1 has too many"):
        load_submission(tmp_path, module="mathml_hw4", answer_ids=_ids("mathml_hw4"))


FUZZ_PIECES = ["X", "M^T", "\\frac{", "}", "{", "(", ")", "^", "-1", "1e308", "1e-308", "inf",
               "nan", "0", "/0", "\ud83d", "sigmoid(", "tanh(", "exp(", "log(", "sqrt(", "-",
               "*", "@", "\\odot", "I", "I_n", "ones", "a b^T", "^{-1}", "'", ".T", "det(",
               "tr(", "softmax(", ",", "9" * 400, "\x00", "\u202e", "λ", "\\left(", "\\right)",
               "e", "pi", "W35", "a3", "lr", "x1"]
FUZZ_VALUES = [0.0, -0.0, 1e308, -1e308, 5e-324, 1e-300, 0.5, float("inf"), float("nan"),
               10**400, 7, -3, True, [1], {"a": 1}, None]


@pytest.mark.parametrize("name", ["mathml_hw4", "cs189_hw4_backprop", "softmax_regression",
                                  "cs229_ps2"])
def test_fuzzed_answers_always_give_one_outcome_each(name: str) -> None:
    """Seeded random answers (text pieces, extreme and non-numbers, lone surrogates, missing
    ids): grading never raises, every part gets one outcome and every message is UTF-8."""
    import random

    a = resolve(name)
    ids = _ids(name)
    rng = random.Random(14)
    for _ in range(6):
        answers: dict[str, Any] = {}
        for i in ids:
            r = rng.random()
            if r < 0.3:
                answers[i] = "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(0, 12)))
            elif r < 0.6:
                answers[i] = rng.choice(FUZZ_VALUES)
            elif r < 0.8:
                answers[i] = rng.uniform(-3, 3)
        outcomes = grade_answers(a, SimpleNamespace(answers=answers))
        assert [o.info.name for o in outcomes] == [f"answer {i}" for i in ids]
        for o in outcomes:
            assert 0.0 <= o.fraction <= 1.0
            json.dumps([o.messages, o.internal], ensure_ascii=False).encode("utf-8")
