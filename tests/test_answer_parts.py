r"""Every typed-answer part of every assignment: right answers pass, typical wrong ones are named.

For each part: a correct answer in at least two written forms (plain text and LaTeX) earns full
points, and at least two typical wrong answers get their asserted diagnosis and exact score.
Every expected answer is checked against the reference solutions (not against the seeds, which
have mistakes): expressions are evaluated at random inputs and compared with ``reference.*``,
the worked network with ``reference.mathml_hw4``.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from grader.answers import answer_specs, grade_answers, worked_reference
from grader.assignment import Assignment, resolve
from grader.mathparse import SymbolTable, parse_expression
from grader.score import score_outcomes

ASSIGNMENTS = ("softmax_regression", "cs189_hw4_backprop", "cs229_ps2", "mathml_hw4")

# id -> (correct forms, [(wrong answer, diagnosis, exact score)]). "shape-error" stands for a
# shape-error verdict (which has no diagnosis).
SOFTMAX = {
    "1.gradient": (["(1/n) X (X^T w - y)", r"\frac{1}{n} X\left(X^\top w - y\right)",
                    "(X X^T w - X y)/n"],
                   [("X (X^T w - y)", "missing-1/n", 1.0), ("(1/n) X (y - X^T w)", "sign", 0.0),
                    ("(1/n) X^T (X w - y)", "shape-error", 0.0)]),
    "1.hessian": (["(1/n) X X^T", r"\frac{1}{n} X X^{\top}"],
                  [("X X^T", "missing-1/n", 1.0), ("(1/n) X^T X", "shape-error", 0.0)]),
    "1.newton": (["(X X^T)^{-1} X y", r"\left(X X^\top\right)^{-1} X y",
                  "w - (X X^T)^{-1} X (X^T w - y)"],
                 [("w - (1/n) (X X^T)^{-1} X (X^T w - y)", "mixed-1/n", 0.75),
                  ("(X^T X)^{-1} X^T y", "shape-error", 0.0),
                  ("w + (X X^T)^{-1} X (X^T w - y)", "ascent", 0.0)]),
    "2.dZ": (["(1/n)(Y_hat - Y)", r"\frac{\hat{Y} - Y}{n}"],
             [("Y_hat - Y", "missing-1/n", 0.0), ("(1/n)(Y - Y_hat)", "sign", 0.0)]),
    "2.grad_W": (["(1/n) X (Y_hat - Y)^T", r"\frac{1}{n} X (\hat{Y} - Y)^\top"],
                 [("X (Y_hat - Y)^T", "missing-1/n", 0.0), ("(1/n) X (Y - Y_hat)^T", "sign", 0.0),
                  ("(1/n) (Y_hat - Y) X^T", "transpose", 0.0)]),
    "2.grad_b": (["(1/n)(Y_hat - Y) ones", r"\frac{1}{n}(\hat{Y} - Y)\,\mathbf{ones}"],
                 [("(Y_hat - Y) ones", "missing-1/n", 0.0),
                  ("(1/n)(Y - Y_hat) ones", "sign", 0.0)]),
    "3.nll": (["n J", r"n \cdot J"], [("J", "extra-1/n", 0.0), ("-n J", "sign", 0.0)]),
    "4.grad_reg": (["(1/n) X (Y_hat - Y)^T + reg W",
                    r"\frac{1}{n} X (\hat{Y} - Y)^{\top} + \mathrm{reg}\, W"],
                   [("(1/n) X (Y_hat - Y)^T", "no-penalty", 0.0),
                    ("(1/n) X (Y_hat - Y)^T + (reg/2) W", "half-penalty", 1.0)]),
}
CS189 = {
    "1a.relu_prime_pos": (["1", r"1 \times 10^{0}"],
                          [("2.5", "relu-itself", 0.0), ("0", "flat", 0.0)]),
    "1a.relu_prime_neg": (["0", r"0 \cdot 10^{0}"],
                          [("1", "slope-one", 0.0), ("-1.5", "input-itself", 0.0)]),
    "1a.relu_prime_zero": (["0", r"\frac{0}{2}"],
                           [("1", "one-at-zero", 0.0), ("0.5", "half-at-zero", 0.0)]),
    "1c.delta_out": (["x2 - y", r"x_2 - y", r"\operatorname{softmax}(s_2) - y"],
                     [("y - x2", "sign", 0.0), ("x2", "prediction-only", 0.0)]),
    "1c.delta_hidden": ([r"g \odot (V delta2)", r"g \odot \left(V \delta_2\right)"],
                        [("V delta2", "missing-relu-prime", 0.0),
                         (r"a \odot (V delta2)", "activation-not-derivative", 0.0),
                         (r"g \odot (V^T delta2)", "shape-error", 0.0)]),
    "1c.grad_W1": (["x0 delta1^T", r"x_0 \delta_1^\top"],
                   [("delta1 x0^T", "transpose", 0.0), ("-x0 delta1^T", "sign", 0.0)]),
    "1d.update": (["W1 - eta x0 delta1^T", r"W_1 - \eta\, x_0 \delta_1^{T}"],
                  [("W1 + eta x0 delta1^T", "ascent", 0.0),
                   ("W1 - eta delta1 x0^T", "shape-error", 0.0)]),
}
_TWO_LAYER_DW1 = r"(2/n) X^T ((((o - y) \odot s2) W2^T) \odot s1)"
_TWO_LAYER_DB1 = r"(2/n) ((((o - y) \odot s2) W2^T) \odot s1)^T ones"
CS229 = {
    "4.lambda": (["sigma^2/eta^2", r"\frac{\sigma^2}{\eta^2}"],
                 [("eta^2/sigma^2", "inverted", 0.0), ("sigma/eta", "not-squared", 0.0)]),
    "4.map_gaussian": (["(X^T X + (sigma^2/eta^2) I)^{-1} X^T y",
                        r"\left(X^\top X + \frac{\sigma^2}{\eta^2} I\right)^{-1} X^\top y"],
                       [("(X^T X)^{-1} X^T y", "no-regulariser", 0.0),
                        ("(X^T X + (eta^2/sigma^2) I)^{-1} X^T y", "inverted", 1.0)]),
    "4.gamma": (["2 sigma^2 / b", r"\frac{2\sigma^2}{b}"],
                [("sigma^2/b", "missing-2", 1.0), ("b/(2 sigma^2)", "inverted", 0.0)]),
    "5.dW2": ([r"(2/n) h^T ((o - y) \odot s2)",
               r"\frac{2}{n} h^\top \left((o - y) \odot s_2\right)"],
              [("(2/n) h^T (o - y)", "missing-output-derivative", 0.0),
               (r"2 h^T ((o - y) \odot s2)", "missing-1/n", 0.0),
               (r"(1/n) h^T ((o - y) \odot s2)", "constant-factor", 0.75)]),
    "5.db2": ([r"(2/n) ones^T ((o - y) \odot s2)",
               r"\frac{2}{n} \mathbf{ones}^\top \left((o - y) \odot s_2\right)"],
              [("(2/n) ones^T (o - y)", "missing-output-derivative", 0.0),
               (r"2 ones^T ((o - y) \odot s2)", "missing-1/n", 0.0)]),
    "5.dW1": ([_TWO_LAYER_DW1,
               r"\frac{2}{n} X^\top \left(\left(\left((o - y) \odot s_2\right) W_2^\top\right)"
               r" \odot s_1\right)"],
              [(r"(2/n) X^T (((o - y) \odot s2) W2^T)", "missing-hidden-derivative", 0.0),
               (_TWO_LAYER_DW1.replace("(2/n)", "(1/n)"), "constant-factor", 0.75)]),
    "5.db1": ([_TWO_LAYER_DB1,
               r"\frac{2}{n} \left(\left(\left((o - y) \odot s_2\right) W_2^\top\right) \odot s_1"
               r"\right)^\top \mathbf{ones}"],
              [(r"(2/n) (((o - y) \odot s2) W2^T)^T ones", "missing-hidden-derivative", 0.0),
               (_TWO_LAYER_DB1.replace("(2/n)", "2"), "missing-1/n", 0.0)]),
    "6.dbeta": (["dy^T ones", r"\mathrm{dy}^\top \mathbf{ones}"],
                [(r"(dy \odot x_hat)^T ones", "dgamma-instead", 0.0),
                 ("ones^T dy", "transpose", 0.0)]),
    "6.dgamma": ([r"(dy \odot x_hat)^T ones", r"\left(\mathrm{dy} \odot \hat{x}\right)^\top ones"],
                 [("dy^T ones", "missing-x-hat", 0.0),
                  (r"ones^T (dy \odot x_hat)", "transpose", 0.0)]),
    "6.dx_hat": ([r"dy \odot (ones gamma^T)", r"\mathrm{dy} \odot (\mathbf{ones}\, \gamma^\top)"],
                 [("dy", "missing-gamma", 0.0), (r"-dy \odot (ones gamma^T)", "sign", 0.0)]),
}
_MLP_DW_H = r"(2/N) X^T (((Y_hat - Y) W_o^T) \odot D)"
_MLP_DB_H = r"(2/N) (((Y_hat - Y) W_o^T) \odot D)^T ones"
MATHML = {
    "1.1": (["M^T M", r"M^\top M"],
            [("2 M^T M", "constant-factor", 0.0), ("M M^T", "shape-error", 0.0)]),
    "1.2": (["M^T", r"M^{\top}"], [("M", "transpose", 0.0), ("2 M^T", "constant-factor", 0.0)]),
    "1.3": (["2 X", r"2\,X", "X + X"],
            [("X", "constant-factor", 0.0), ("2 X^T", "transpose", 0.0)]),
    "1.4": (["a b^T", r"a b^\top"], [("b a^T", "transpose", 0.0), ("a^T b", "shape-error", 0.0)]),
    "1.5": (["X (a b^T + b a^T)", r"X\left(ab^\top + ba^\top\right)", "X a b^T + X b a^T"],
            [("2 X b a^T", "symmetric-shortcut", 0.0), ("X b a^T", "one-term", 0.0)]),
    "2.1.gradient": (["-2 X^T (y - X beta) + 2 lambda beta",
                      r"2X^\top(X\beta - y) + 2\lambda\beta"],
                     [("-2 X^T (y - X beta)", "no-regulariser", 0.0),
                      ("-X^T (y - X beta) + lambda beta", "constant-factor", 1.0),
                      ("2 X^T (y - X beta) + 2 lambda beta", "data-term-sign", 0.0)]),
    "2.1.solution": (["(X^T X + lambda I)^{-1} X^T y", r"(X^\top X + \lambda I_d)^{-1} X^\top y"],
                     [("(X^T X)^{-1} X^T y", "no-regulariser", 0.0),
                      ("(X^T X + (lambda/2) I)^{-1} X^T y", "half-penalty", 1.0)]),
    "3.1.sigmoid_prime": (["sigmoid(z)(1 - sigmoid(z))", r"\frac{e^{-z}}{(1+e^{-z})^2}"],
                          [("1 - sigmoid(z)^2", "tanh-formula", 0.0),
                           ("sigmoid(z)", "sigmoid-itself", 0.0)]),
    "3.1.tanh_prime": (["1 - tanh(z)^2", r"1 - \tanh^2 z", "1/cosh(z)^2"],
                       [("1 - tanh(z)", "missing-square", 0.0),
                        ("tanh(z)(1 - tanh(z))", "sigmoid-formula", 0.0)]),
    "3.4.dW_o": (["(2/N) H^T (Y_hat - Y)", r"\frac{2}{N} H^\top (\hat{Y} - Y)"],
                 [("2 H^T (Y_hat - Y)", "missing-1/n", 0.0),
                  ("(1/N) H^T (Y_hat - Y)", "constant-factor", 0.75),
                  ("(2/N) (Y_hat - Y)^T H", "transpose", 0.0)]),
    "3.4.db_o": (["(2/N) (Y_hat - Y)^T ones", r"\frac{2}{N} (\hat{Y} - Y)^\top \mathbf{ones}"],
                 [("2 (Y_hat - Y)^T ones", "missing-1/n", 0.0),
                  ("(1/N) (Y_hat - Y)^T ones", "constant-factor", 0.75)]),
    "3.4.dW_h": ([_MLP_DW_H,
                  r"\frac{2}{N} X^\top \left(\left((\hat{Y} - Y) W_o^\top\right) \odot D\right)"],
                 [("(2/N) X^T ((Y_hat - Y) W_o^T)", "missing-sigmoid-derivative", 0.0),
                  (_MLP_DW_H.replace("(2/N)", "2"), "missing-1/n", 0.0)]),
    "3.4.db_h": ([_MLP_DB_H,
                  r"\frac{2}{N} \left(\left((\hat{Y} - Y) W_o^\top\right) \odot D\right)^\top"
                  r" \mathbf{ones}"],
                 [("(2/N) ((Y_hat - Y) W_o^T)^T ones", "missing-sigmoid-derivative", 0.0),
                  (_MLP_DB_H.replace("(2/N)", "(1/N)"), "constant-factor", 0.75)]),
    "3.4.update": (["P - lr G", r"P - \mathrm{lr}\, G"],
                   [("P + lr G", "ascent", 0.0), ("P - lr G^T", "shape-error", 0.0)]),
}
TABLES = {"softmax_regression": SOFTMAX, "cs189_hw4_backprop": CS189, "cs229_ps2": CS229,
          "mathml_hw4": MATHML}


def _assignment(name: str) -> Assignment:
    return _CACHE.setdefault(name, resolve(name))


_CACHE: dict[str, Assignment] = {}


def grade_one(name: str, answer_id: str, given: Any,
              others: dict[str, Any] | None = None) -> tuple[float, dict[str, Any], Any]:
    """Score, instructor detail and outcome of one answer (the others left unanswered)."""
    a = _assignment(name)
    outcomes = grade_answers(a, SimpleNamespace(answers={answer_id: given, **(others or {})}))
    scores = score_outcomes(outcomes, a.parts)
    index = next(i for i, o in enumerate(outcomes) if o.info.name == f"answer {answer_id}")
    detail = json.loads(outcomes[index].internal) if outcomes[index].internal else {}
    return scores.tests[index].score, detail, outcomes[index]


def _label(detail: dict[str, Any]) -> str | None:
    return "shape-error" if detail.get("verdict") == "shape-error" else detail.get("diagnosis")


def _cases(kind: str) -> list[Any]:
    out = []
    for name, table in TABLES.items():
        for answer_id, (correct, wrong) in table.items():
            if kind == "correct":
                out += [pytest.param(name, answer_id, text, id=f"{name}:{answer_id}:{i}")
                        for i, text in enumerate(correct)]
            else:
                out += [pytest.param(name, answer_id, *w, id=f"{name}:{answer_id}:{w[1]}")
                        for w in wrong]
    return out


def test_every_answer_part_has_cases() -> None:
    """Each non-worked answer part of each assignment has two correct forms and two wrong
    answers in the tables above (and the tables name no part that does not exist)."""
    for name in ASSIGNMENTS:
        specs = {s.id: s for s in answer_specs(_assignment(name)) if s.kind != "worked"}
        assert set(TABLES[name]) == set(specs), name
        for answer_id, (correct, wrong) in TABLES[name].items():
            # Numbers have no LaTeX of their own; their second form is a LaTeX product or power.
            assert len(correct) >= 2, answer_id
            assert any("\\" in c or "^" in c for c in correct), answer_id
            assert len(wrong) >= 2, answer_id


@pytest.mark.parametrize(("name", "answer_id", "text"), _cases("correct"))
def test_correct_answer_earns_full_points(name: str, answer_id: str, text: str) -> None:
    """A correct answer, in plain text or LaTeX, earns all the part's points."""
    score, detail, outcome = grade_one(name, answer_id, text)
    assert outcome.status == "passed", (outcome.messages, detail)
    assert score == outcome.info.points


@pytest.mark.parametrize(("name", "answer_id", "text", "diagnosis", "expected_score"),
                         _cases("wrong"))
def test_typical_wrong_answer_is_diagnosed(name: str, answer_id: str, text: str,
                                           diagnosis: str, expected_score: float) -> None:
    """A typical wrong answer gets its diagnosis, its exact score and a message."""
    score, detail, outcome = grade_one(name, answer_id, text)
    assert outcome.status == "failed"
    assert _label(detail) == diagnosis, (outcome.messages, detail)
    assert score == pytest.approx(expected_score, abs=1e-9)
    assert outcome.messages and outcome.messages[0]


# -- the worked network ---------------------------------------------------------------------


def _reference_chain(chain: str) -> dict[str, float]:
    """Every number of the worked network, from reference.mathml_hw4 (not from the TOML)."""
    import reference.mathml_hw4 as ref

    c = _assignment("mathml_hw4").raw["worked"][chain]
    W = {k: float(c[k]) for k in ref.WEIGHT_KEYS}
    x, t, lr = (c["x1"], c["x2"]), c["t"], c["lr"]
    f = ref.forward(x, W)
    out = {"a3": f["a3"], "a4": f["a4"], "a5": f["a5"], "L": ref.loss(f["a5"], t)}
    out |= {f"d{k}": v for k, v in ref.gradients(x, W, t).items()}
    new = ref.sgd_step(x, W, t, lr)
    out |= {f"{k}_new": v for k, v in new.items()}
    out |= {f"{k}_r": float(f"{v:.2f}") for k, v in new.items()}
    return out


def _worked_specs() -> list[Any]:
    return [s for s in answer_specs(_assignment("mathml_hw4")) if s.kind == "worked"]


@pytest.mark.parametrize("chain", ["3.1", "3.3"])
def test_worked_formulas_match_the_reference_network(chain: str) -> None:
    """The worked chain's formulas give the reference network's numbers (to 1e-12; the
    2-decimal table exactly), for the first step (3.1) and the second (3.3)."""
    steps = [s for s in _worked_specs() if s.chain == chain]
    constants = _assignment("mathml_hw4").raw["worked"][chain]
    got = worked_reference(constants, steps, {})
    want = _reference_chain(chain)
    assert set(got) == set(want)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-14), key


def test_worked_table_after_the_first_step_rounds_w23_up() -> None:
    """The 2-decimal table after step one has W23 = 1.89 (1.8878 rounded), not the handed-out
    1.88; 3.3 starts from the handed-out table as the README says."""
    want = _reference_chain("3.1")
    assert [want[f"{k}_r"] for k in ("W13", "W14", "W23", "W24", "W35", "W45")] == \
        [1.11, -1.02, 1.89, -2.98, 2.08, -0.73]
    assert _assignment("mathml_hw4").raw["worked"]["3.3"]["W23"] == 1.88


def _latex_number(x: float) -> str:
    if x == 0:
        return r"0 \times 10^{0}"
    e = math.floor(math.log10(abs(x)))
    return rf"{x / 10**e:.9f} \times 10^{{{e}}}"


@pytest.mark.parametrize("form", ["plain", "latex", "number"])
def test_worked_numbers_right_in_every_form(form: str) -> None:
    """Every worked number, right as plain text, in LaTeX (2.68941 \\times 10^{-1}) or as a TOML
    number, earns its full points."""
    a = _assignment("mathml_hw4")
    answers: dict[str, Any] = {}
    for spec in _worked_specs():
        value = _reference_chain(spec.chain)[spec.name]
        answers[spec.id] = {"plain": f"{value:.9g}", "latex": _latex_number(value),
                            "number": value}[form]
    outcomes = [o for o in grade_answers(a, SimpleNamespace(answers=answers))
                if o.info.name.removeprefix("answer ") in answers]
    assert len(outcomes) == 44
    failed = [(o.info.name, o.messages) for o in outcomes if o.status != "passed"]
    assert not failed


@pytest.mark.parametrize("spec", _worked_specs(), ids=lambda s: s.id)
def test_worked_number_wrong(spec: Any) -> None:
    """Each worked number with its sign flipped or a decimal slip (for the 2-decimal table: the
    unrounded value, or another value) earns 0 with the named diagnosis."""
    value = _reference_chain(spec.chain)[spec.name]
    if spec.decimals is None:
        wrong = [(-value, "sign"), (10 * value, "power-of-10")]
    else:
        unrounded = _reference_chain(spec.chain)[spec.name.replace("_r", "_new")]
        wrong = [(unrounded, "not-rounded"), (value + 0.07, None)]
    for given, diagnosis in wrong:
        score, detail, outcome = grade_one("mathml_hw4", spec.id, given)
        assert outcome.status == "failed"
        assert detail["diagnosis"] == diagnosis, (spec.id, given, outcome.messages)
        assert score == 0.0
        assert outcome.messages[0]


def test_worked_named_mistakes() -> None:
    """The worked network's named mistakes: tanh' taken as 1 - tanh, W23 copied from the
    handed-out table (half credit), an update in the wrong direction, the misread
    sigmoid(-1.54) of the source homework."""
    ref31 = _reference_chain("3.1")
    t, a5, a4 = 1.0, ref31["a5"], ref31["a4"]
    wrong_tanh = -2 * (t - a5) * -1.0 * (1 - a4) * 1.0
    score, detail, _ = grade_one("mathml_hw4", "3.1.grad.W14", wrong_tanh)
    assert (detail["diagnosis"], score) == ("tanh-derivative", 0.0)
    score, detail, _ = grade_one("mathml_hw4", "3.1.table.W23", "1.88")
    assert (detail["diagnosis"], score) == ("handed-out-table", 0.125)
    ascent = 1.0 + 0.1 * ref31["dW13"]
    score, detail, _ = grade_one("mathml_hw4", "3.1.new.W13", ascent)
    assert (detail["diagnosis"], score) == ("ascent", 0.0)
    score, detail, _ = grade_one("mathml_hw4", "3.3.a3", "0.1776535274")
    assert (detail["diagnosis"], score) == ("misread-value", 0.0)


# -- expected answers against the reference solutions ----------------------------------------


def _value(name: str, answer_id: str, values: dict[str, Any], dims: dict[str, int]) -> Any:
    spec = next(s for s in answer_specs(_assignment(name)) if s.id == answer_id)
    table = SymbolTable.parse(spec.symbols)
    point = {sym.name: v for k, v in values.items() if (sym := table.lookup(k)) is not None}
    return parse_expression(str(spec.expected), table).evaluate(point, dims)


def _col(v: Any) -> np.ndarray:
    return np.asarray(v, dtype=float).reshape(-1, 1)


def test_softmax_expected_answers_match_reference() -> None:
    """Newton step, gradient, Hessian, softmax gradients, regularised gradient and NLL = n J
    equal reference.softmax_regression at random inputs."""
    import reference.softmax_regression as ref

    rng = np.random.default_rng(0)
    d, n, K = 3, 7, 4
    X, y, w = rng.normal(size=(d, n)), rng.normal(size=n), rng.normal(size=d)
    dims = {"d": d, "n": n, "K": K}
    base = {"X": X, "y": _col(y), "w": _col(w), "n": float(n)}
    assert np.allclose(_value("softmax_regression", "1.gradient", base, dims),
                       _col(ref.mse_gradient(X, y, w)))
    assert np.allclose(_value("softmax_regression", "1.hessian", base, dims), ref.mse_hessian(X))
    assert np.allclose(_value("softmax_regression", "1.newton", base, dims),
                       _col(ref.newton_step(X, y, w)))
    W, b = rng.normal(size=(d, K)), rng.normal(size=K)
    Y = ref.one_hot(rng.integers(0, K, size=n), K)
    Y_hat = ref.predict_proba(X, W, b)
    vals = {"X": X, "Y": Y, "Y_hat": Y_hat, "W": W, "b": _col(b), "ones": np.ones((n, 1)),
            "n": float(n), "reg": 0.3}
    g = ref.softmax_gradients(X, Y, W, b)
    assert np.allclose(_value("softmax_regression", "2.grad_W", vals, dims), g["W"])
    assert np.allclose(_value("softmax_regression", "2.grad_b", vals, dims), _col(g["b"]))
    assert np.allclose(_value("softmax_regression", "4.grad_reg", vals, dims), g["W"] + 0.3 * W)
    J = ref.cross_entropy(Y, Y_hat)
    nll = _value("softmax_regression", "3.nll", {"J": J, "n": float(n)}, {})
    assert nll == pytest.approx(ref.negative_log_likelihood(X, Y, W, b), rel=1e-10)


def test_cs189_expected_answers_match_reference() -> None:
    """Output delta, hidden delta, dJ/dW1 and the SGD update equal reference.cs189_hw4_backprop,
    and relu' is the step with 0 at 0."""
    import reference.cs189_hw4_backprop as ref

    rng = np.random.default_rng(1)
    d0, d1, d2 = 3, 5, 4
    x, W1, W2 = rng.normal(size=d0), rng.normal(size=(d0 + 1, d1)), rng.normal(size=(d1 + 1, d2))
    y = np.eye(d2)[1]
    f = ref.forward(x, W1, W2)
    dims = {"d1": d1, "d2": d2, "m": d0 + 1}
    delta2 = ref.output_delta(f["x2"], y)
    assert np.allclose(_value("cs189_hw4_backprop", "1c.delta_out",
                              {"s2": _col(f["s2"]), "x2": _col(f["x2"]), "y": _col(y)}, dims),
                       _col(delta2))
    hidden = {"g": _col(ref.relu_grad(f["s1"])), "a": _col(ref.relu(f["s1"])), "V": W2[1:],
              "delta2": _col(delta2)}
    delta1 = ref.hidden_delta(f["s1"], W2, delta2)
    assert np.allclose(_value("cs189_hw4_backprop", "1c.delta_hidden", hidden, dims),
                       _col(delta1))
    x0 = ref.add_bias(x)
    grad = _value("cs189_hw4_backprop", "1c.grad_W1", {"x0": _col(x0), "delta1": _col(delta1)},
                  dims)
    assert np.allclose(grad, ref.gradients(x, y, W1, W2)["W1"])
    step = _value("cs189_hw4_backprop", "1d.update",
                  {"W1": W1, "x0": _col(x0), "delta1": _col(delta1), "eta": 0.1}, dims)
    assert np.allclose(step, ref.sgd_step(x, y, W1, W2, 0.1)["W1"])
    assert list(ref.relu_grad(np.array([2.5, -1.5, 0.0]))) == [1.0, 0.0, 0.0]


def test_cs229_expected_answers_match_reference() -> None:
    """MAP constants and estimate, the two-layer gradients and the batch-norm gradients equal
    reference.cs229_ps2."""
    import reference.cs229_ps2 as ref

    rng = np.random.default_rng(2)
    n, d, m = 6, 3, 4
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    sigma, eta, b = 0.7, 1.3, 0.4
    dims = {"n": n, "d": d, "m": m}
    lam = _value("cs229_ps2", "4.lambda", {"sigma": sigma, "eta": eta}, {})
    theta = _value("cs229_ps2", "4.map_gaussian", {"X": X, "y": _col(y), "sigma": sigma,
                                                   "eta": eta}, dims)
    assert np.allclose(theta, _col(ref.map_gaussian(X, y, sigma, eta)))
    assert np.allclose(theta, np.linalg.solve(X.T @ X + lam * np.eye(d), X.T @ y)[:, None])
    assert _value("cs229_ps2", "4.gamma", {"sigma": sigma, "b": b}, {}) == pytest.approx(
        ref.laplace_gamma(sigma, b))
    W1, b1, W2, b2 = rng.normal(size=(d, m)), rng.normal(size=m), rng.normal(size=m), 0.3
    fw = ref.two_layer_forward(X, W1, b1, W2, b2)
    h, o = fw["h"], fw["o"]
    vals = {"X": X, "y": _col(y), "o": _col(o), "s2": _col(o * (1 - o)), "h": h,
            "s1": h * (1 - h), "W1": W1, "b1": _col(b1), "W2": _col(W2), "b2": b2,
            "ones": np.ones((n, 1)), "n": float(n)}
    g = ref.two_layer_gradients(X, y, W1, b1, W2, b2)
    assert np.allclose(_value("cs229_ps2", "5.dW2", vals, dims), _col(g["dW2"]))
    assert float(np.asarray(_value("cs229_ps2", "5.db2", vals, dims)).reshape(-1)[0]) == \
        pytest.approx(g["db2"])
    assert np.allclose(_value("cs229_ps2", "5.dW1", vals, dims), g["dW1"])
    assert np.allclose(_value("cs229_ps2", "5.db1", vals, dims), _col(g["db1"]))
    xb, gamma, beta, dy = (rng.normal(size=(m, d)), rng.normal(size=d), rng.normal(size=d),
                           rng.normal(size=(m, d)))
    bn = ref.batchnorm_forward(xb, gamma, beta)
    back = ref.batchnorm_backward(dy, xb, gamma)
    bvals = {"dy": dy, "x_hat": bn["x_hat"], "gamma": _col(gamma), "beta": _col(beta),
             "ones": np.ones((m, 1))}
    bdims = {"m": m, "d": d}
    assert np.allclose(_value("cs229_ps2", "6.dbeta", bvals, bdims), _col(back["dbeta"]))
    assert np.allclose(_value("cs229_ps2", "6.dgamma", bvals, bdims), _col(back["dgamma"]))
    assert np.allclose(_value("cs229_ps2", "6.dx_hat", bvals, bdims), back["dx_hat"])


def test_mathml_expected_answers_match_reference() -> None:
    """The five warm-ups, the ridge gradient and solution, sigmoid'/tanh' and the MLP gradients
    equal reference.mathml_hw4 (warm-up 5 with a, b in R^m, as the README corrects it)."""
    import reference.mathml_hw4 as ref

    rng = np.random.default_rng(3)
    p, m, n = 4, 3, 5
    M, x = rng.normal(size=(p, m)), rng.normal(size=m)
    assert np.allclose(_value("mathml_hw4", "1.1", {"M": M, "x": _col(x)}, {"p": p, "m": m}),
                       ref.warmup1_jacobian(M, x))
    M2, X2 = rng.normal(size=(m, n)), rng.normal(size=(n, m))
    assert np.allclose(_value("mathml_hw4", "1.2", {"M": M2, "X": X2}, {"m": m, "n": n}),
                       ref.warmup2_gradient(M2, X2))
    assert np.allclose(_value("mathml_hw4", "1.3", {"X": X2}, {"m": m, "n": n}),
                       ref.warmup3_gradient(X2))
    X4, a4, b4 = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)
    assert np.allclose(_value("mathml_hw4", "1.4", {"X": X4, "a": _col(a4), "b": _col(b4)},
                              {"m": m, "n": n}), ref.warmup4_gradient(X4, a4, b4))
    a5, b5 = rng.normal(size=m), rng.normal(size=m)
    assert np.allclose(_value("mathml_hw4", "1.5", {"X": X2, "a": _col(a5), "b": _col(b5)},
                              {"m": m, "n": n}), ref.warmup5_gradient(X2, a5, b5))
    N, d, lam = 8, 3, 0.7
    X, y, beta = rng.normal(size=(N, d)), rng.normal(size=N), rng.normal(size=d)
    rv = {"X": X, "y": _col(y), "beta": _col(beta), "lambda": lam}
    assert np.allclose(_value("mathml_hw4", "2.1.gradient", rv, {"N": N, "d": d}),
                       _col(ref.ridge_gradient(X, y, beta, lam)))
    assert np.allclose(_value("mathml_hw4", "2.1.solution", rv, {"N": N, "d": d}),
                       _col(ref.ridge_solution(X, y, lam)))
    z, s = 0.37, ref.sigmoid(0.37)
    assert _value("mathml_hw4", "3.1.sigmoid_prime", {"z": z}, {}) == pytest.approx(s * (1 - s))
    assert _value("mathml_hw4", "3.1.tanh_prime", {"z": z}, {}) == pytest.approx(
        1 / math.cosh(z) ** 2)
    k, hidden = 2, 4
    Xm, Ym = rng.normal(size=(N, m)), rng.normal(size=(N, k))
    params = ref.mlp_init(m, hidden, k, seed=1)
    params["b_h"] = rng.normal(size=hidden)
    params["b_o"] = rng.normal(size=k)
    fw = ref.mlp_forward(Xm, params)
    H = fw["H"]
    vals = {"X": Xm, "Y": Ym, "Y_hat": fw["Y_hat"], "H": H, "D": H * (1 - H),
            "W_h": params["W_h"], "b_h": _col(params["b_h"]), "W_o": params["W_o"],
            "b_o": _col(params["b_o"]), "ones": np.ones((N, 1)), "N": float(N)}
    dims = {"N": N, "m": m, "n": hidden, "k": k}
    g = ref.mlp_gradients(Xm, Ym, params)
    assert np.allclose(_value("mathml_hw4", "3.4.dW_o", vals, dims), g["W_o"])
    assert np.allclose(_value("mathml_hw4", "3.4.db_o", vals, dims), _col(g["b_o"]))
    assert np.allclose(_value("mathml_hw4", "3.4.dW_h", vals, dims), g["W_h"])
    assert np.allclose(_value("mathml_hw4", "3.4.db_h", vals, dims), _col(g["b_h"]))


# -- the acceptance pairs -------------------------------------------------------------


def test_sigmoid_value_to_four_significant_figures() -> None:
    """0.26894 is accepted for 1/(1+e) at 4 significant figures, through the answer machinery
    (3.1.a3 is sigmoid(-1) = 1/(1+e)), and 0.2700 is not."""
    a = _assignment("mathml_hw4")
    raw = dict(next(r for r in a.answer_parts if r["id"] == "3.1.a3"))
    raw |= {"id": "a", "kind": "number", "expected": "1/(1+e)", "sig_figs": 4, "part": "3.1"}
    for key in ("chain", "name", "variants"):
        raw.pop(key, None)
    custom = Assignment(name=a.name, path=a.path, title=a.title, seed=a.seed, module=a.module,
                        limits=a.limits, parts=a.parts, answer_parts=(raw,), raw=a.raw)
    for given, ok in (("0.26894", True), (0.26894, True), (r"\frac{1}{1+e}", True),
                      ("0.2700", False)):
        [outcome] = grade_answers(custom, SimpleNamespace(answers={"a": given}))
        assert (outcome.status == "passed") is ok, given
    score, _, outcome = grade_one("mathml_hw4", "3.1.a3", "0.26894")
    assert outcome.status == "passed" and score == 0.25


def test_softmax_gradient_missing_one_over_n_on_several_n() -> None:
    """The softmax gradient without 1/n is diagnosed as missing-1/n, decided on several n."""
    score, detail, outcome = grade_one("softmax_regression", "2.grad_W", "X (Y_hat - Y)^T")
    assert detail["diagnosis"] == "missing-1/n" and score == 0.0
    ns = {part.split("n=")[1].split(",")[0] for part in detail["method"].split(";")}
    assert len(ns) >= 3, detail["method"]
    assert "1/n" in outcome.messages[0]
