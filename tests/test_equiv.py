"""Tests for grader.equiv: equivalence of typed answers, diagnosis, isolation, numbers, CLI."""

from __future__ import annotations

import io
import json
import math
import re
import time
import tomllib
from pathlib import Path

import pytest

from grader.equiv import (
    EquivResult,
    Variant,
    _run_isolated,
    check_equivalent,
    check_number,
    run_equiv_cli,
)
from grader.errors import AnswerParseError

CASES = tomllib.loads((Path(__file__).parent / "data" / "equiv_cases.toml").read_text())["case"]

SOFTMAX = "X: n x d; W: d x k; Y: n x k; n: scalar"
SOFTMAX_GRAD = "\\frac{1}{n} X^T (\\operatorname{softmax}(XW) - Y)"
RIDGE = "X: n x d; y: n x 1; sigma, eta: scalar positive"
RIDGE_MAP = "(X^TX + \\frac{\\sigma^2}{\\eta^2} I)^{-1} X^T y"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict) -> None:
    """Every pair in tests/data/equiv_cases.toml gets its listed verdict and diagnosis."""
    result = check_equivalent(case["expected"], case["given"], case["symbols"])
    assert result.verdict == case["verdict"], result.message
    assert result.equivalent == (case["verdict"] == "equivalent")
    if "diagnosis" in case:
        assert result.diagnosis == case["diagnosis"], result.message


def test_math_verify_false_positive_2xbat_is_rejected_with_counterexample() -> None:
    """2Xba^T vs X(ab^T + ba^T) is not equivalent, and the counterexample shows both results."""
    result = check_equivalent("X(ab^T + ba^T)", "2Xba^T", "X: n x m; a, b: m x 1")
    assert result.verdict == "not-equivalent"
    cx = result.counterexample
    assert cx is not None
    assert set(cx["dims"]) == {"n", "m"}
    assert set(cx["values"]) == {"X", "a", "b"}
    assert cx["expected"] != cx["given"]
    assert result.method.startswith("numeric: 9 trials at dims")


def test_gram_matrix_mixup_names_the_bad_product() -> None:
    """(X^TX)^{-1}X^Ty with X: d x n says which product does not fit and where."""
    result = check_equivalent("(XX^T)^{-1}Xy", "(X^TX)^{-1}X^Ty", "X: d x n; y: n x 1")
    assert result.verdict == "shape-error"
    assert "cannot multiply (X^TX)^{-1}X^T (n x d) by y (n x 1)" in result.message
    assert result.position == 14


def test_gram_matrix_mixup_with_square_data_is_a_value_error() -> None:
    """With X square both forms are well-typed; the wrong one is then caught by value."""
    result = check_equivalent("(XX^T)^{-1}Xy", "(X^TX)^{-1}X^Ty", "X: n x n; y: n x 1")
    assert result.verdict == "not-equivalent"
    assert result.counterexample is not None


def test_wrong_result_shape_is_stated_in_words() -> None:
    """A well-formed answer of the wrong shape says both shapes."""
    result = check_equivalent("X^T y", "X X^T y", "X: n x d; y: n x 1")
    assert result.verdict == "shape-error"
    assert result.message == (
        "Your answer is a n x 1 matrix, but the answer must be a d x 1 matrix."
    )


def test_missing_one_over_n_on_softmax_gradient_over_several_n() -> None:
    """Dropping 1/n from the softmax-regression gradient is diagnosed, with n varied."""
    result = check_equivalent(SOFTMAX_GRAD, "X^T(softmax(X W) - Y)", SOFTMAX)
    assert result.verdict == "not-equivalent"
    assert result.diagnosis == "missing-1/n"
    assert "1/n" in result.message
    n_values = {int(v) for v in re.findall(r"n=(\d+)", result.method)}
    assert len(n_values) >= 2, result.method


def test_softmax_gradient_correct_forms() -> None:
    """The softmax gradient written with 1/n in front, at the end, or as a fraction is accepted."""
    for given in (
        "X^T (softmax(XW) - Y) / n",
        "(1/n) * X.T @ (softmax(X @ W) - Y)",
        "\\frac{X^\\top(\\mathrm{softmax}(XW) - Y)}{n}",
    ):
        result = check_equivalent(SOFTMAX_GRAD, given, SOFTMAX)
        assert result.equivalent, (given, result.message)


def test_constant_factor_reports_the_factor() -> None:
    """A gradient that is half the expected one is 'constant-factor' and the message says 1/2."""
    result = check_equivalent("2 X^T (Xw - y)", "X^T(Xw - y)", "X: n x d; y: n x 1; w: d x 1")
    assert result.diagnosis == "constant-factor"
    assert "1/2 times" in result.message


def test_named_variant_wins_with_its_credit_and_feedback() -> None:
    """A wrong answer matching a declared variant gets the variant's name, credit, feedback."""
    variants = [
        ("no-regulariser", "(X^TX)^{-1}X^Ty", 0.25, "You dropped the prior's term."),
        ("ratio-inverted", "(X^TX + \\frac{\\eta^2}{\\sigma^2} I)^{-1} X^T y", 0.5,
         "The ratio sigma^2/eta^2 is upside down."),
    ]
    result = check_equivalent(
        RIDGE_MAP, "(X^T X + eta^2/sigma^2 I)^{-1} X^T y", RIDGE, variants=variants
    )
    assert (result.diagnosis, result.credit) == ("ratio-inverted", 0.5)
    assert result.message == "The ratio sigma^2/eta^2 is upside down."
    result = check_equivalent(RIDGE_MAP, "inv(X.T @ X) @ X.T @ y", RIDGE, variants=variants)
    assert (result.diagnosis, result.credit) == ("no-regulariser", 0.25)


def test_variant_without_expression_sets_credit_of_automatic_diagnosis() -> None:
    """Variant('sign', None, ...) gives the automatic sign diagnosis its credit and feedback."""
    result = check_equivalent(
        "X^T(Xw - y)", "X^T(y - Xw)", "X: n x d; y: n x 1; w: d x 1",
        variants=[Variant("sign", None, 0.5, "Check the sign of the residual.")],
    )
    assert (result.diagnosis, result.credit) == ("sign", 0.5)
    assert result.message == "Check the sign of the residual."


def test_equivalent_answer_is_not_taken_for_a_variant() -> None:
    """A correct answer is equivalent even if the instructor listed variants."""
    result = check_equivalent(
        RIDGE_MAP, "X^T (X X^T + \\sigma^2/\\eta^2 I)^{-1} y", RIDGE,
        variants=[("no-regulariser", "(X^TX)^{-1}X^Ty", 0.25, "")],
    )
    assert result.equivalent and result.credit == 1.0 and result.diagnosis is None


@pytest.mark.parametrize(
    ("latex", "plain"),
    [
        ("\\left( \\mathbf{X}^\\top \\mathbf{X} + \\lambda \\mathbf{I} \\right)^{-1} "
         "\\mathbf{X}^\\top \\mathbf{y}", "inv(X.T@X + lam*I)@X.T@y"),
        ("\\frac{1}{n} X^{T}(\\hat{y} - y)", "X.T*(y_hat - y)/n"),
        ("\\boldsymbol{\\beta}^{\\top} X^T X \\boldsymbol{\\beta}", "beta.T @ X.T @ X @ beta"),
        ("\\lambda \\, \\|", None),
        ("e^{-\\lambda} \\cdot \\sqrt{\\lambda}", "exp(-lambda) * lambda**0.5"),
        ("\\frac{\\sigma^2}{\\eta^2}", "sigma^2 / eta^2"),
        ("\\ln\\left(1 + e^{\\lambda}\\right)", "log(1 + exp(lam))"),
        ("\\mathrm{tr}(X^\\top X) \\times 2", "2 trace(X.T @ X)"),
        ("\\hat{y} \\odot y", "yhat ⊙ y"),
    ],
)
def test_latex_and_plain_forms_are_equivalent(latex: str, plain: str | None) -> None:
    """The LaTeX and plain-text spellings of an answer are equivalent."""
    symbols = ("X: n x d; y, y_hat: n x 1; beta: d x 1; lambda: scalar positive; n: scalar; "
               "sigma, eta: scalar positive")
    if plain is None:
        # A norm bar is refused with a message, not silently dropped.
        result = check_equivalent("lambda", latex, symbols)
        assert result.verdict == "parse-error" and "norms" in result.message
        return
    result = check_equivalent(latex, plain, symbols)
    assert result.equivalent, result.message


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("9^9^9^9", "is too large"),
        ("(" * 10_000 + "x" + ")" * 10_000, "too long"),
        ("x" * 5_000_000, "too long"),
        ("__import__('os')", "unknown symbol '__import__'"),
        ("().__class__.__bases__", "unexpected character '.'"),
        ("exec('import os')", "unknown symbol 'c' in 'exec'"),
        ("open('/etc/passwd').read()", "unknown symbol 'open'"),
        ("(" * 120 + "x" + ")" * 120, "nested too deeply"),
        ("10^400", "too large"),
        ("2^(2^(2^(2^(2^(2^2)))))", "too large"),
    ],
)
def test_pathological_input_is_refused_quickly(given: str, fragment: str) -> None:
    """Hostile answers get a clear parse error within a second and nothing is executed."""
    start = time.monotonic()
    result = check_equivalent("x", given, "x: scalar")
    assert time.monotonic() - start < 1.5
    assert result.verdict == "parse-error"
    assert fragment in result.message


def test_huge_answer_is_refused_without_forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5 MB answer is rejected by length before any child process starts."""
    from grader import equiv

    def no_fork(*args: object, **kwargs: object) -> dict:
        raise AssertionError("forked for an over-long answer")

    monkeypatch.setattr(equiv, "_run_isolated", no_fork)
    result = check_equivalent("x", "x" * 5_000_000, "x: scalar")
    assert result.verdict == "parse-error" and "5000000 characters" in result.message


def test_timeout_gives_too_complex_result() -> None:
    """When the child does not answer in time the result says the answer is too complex."""
    result = check_equivalent("x", "x + 1", "x: scalar", timeout=0.001)
    assert result.verdict == "parse-error"
    assert result.diagnosis == "too-complex"
    assert "too complex to check in 0.001s" in result.message


def test_isolated_job_is_killed_at_the_time_limit() -> None:
    """A child that hangs is killed at the wall-time limit; the parent gets 'timeout'."""
    start = time.monotonic()
    reply = _run_isolated(lambda: time.sleep(30) or {}, 0.3, 256)
    assert reply == {"internal": "timeout"}
    assert time.monotonic() - start < 3


def test_isolated_job_has_an_address_space_limit() -> None:
    """A child that tries to allocate far beyond its limit fails with 'memory', not the parent."""

    def hog() -> dict:
        block = bytearray(8 * 1024**3)
        return {"size": len(block)}

    assert _run_isolated(hog, 10, 256) == {"internal": "memory"}


def test_isolated_reply_is_json_data_only() -> None:
    """The child's reply comes back through JSON: plain data survives, objects do not."""
    assert _run_isolated(lambda: {"a": [1, 2.5, "x", None]}, 5, 256) == {"a": [1, 2.5, "x", None]}
    reply = _run_isolated(lambda: {"obj": object()}, 5, 256)
    assert "TypeError" in reply["internal"]


def test_expected_answer_error_is_raised_for_the_instructor() -> None:
    """A broken expected answer raises AnswerParseError instead of blaming the student."""
    with pytest.raises(AnswerParseError, match="expected answer: unknown symbol 'Z'"):
        check_equivalent("Z + X", "X", "X: n x n")
    with pytest.raises(AnswerParseError, match="symbol table"):
        check_equivalent("X", "X", "X = n x n")
    with pytest.raises(AnswerParseError, match="variant 'bad'"):
        check_equivalent("X", "X + X", "X: n x n", variants=[("bad", "X +", 0, "")])


def test_given_parse_error_has_message_and_position() -> None:
    """An unreadable answer is a parse-error result with the position of the problem."""
    result = check_equivalent("X a", "X Z", "X: n x m; a: m x 1")
    assert result.verdict == "parse-error"
    assert result.position == 2
    assert "unknown symbol 'Z' at position 2; declared symbols are X, a" in result.message


def test_result_round_trips_through_json() -> None:
    """EquivResult.to_dict is plain JSON and from_dict restores it."""
    result = check_equivalent("X^T(Xw - y)", "X^T(y - Xw)", "X: n x d; y: n x 1; w: d x 1")
    data = json.loads(json.dumps(result.to_dict()))
    assert EquivResult.from_dict(data) == result


def test_scalar_symbolic_method_is_reported() -> None:
    """A polynomial identity is proved symbolically and says so."""
    result = check_equivalent("(x + 1)^2", "x^2 + 2x + 1", "x: scalar")
    assert result.equivalent and result.method.startswith("symbolic")


def test_scalar_wrong_answer_has_point_counterexample() -> None:
    """A wrong scalar answer gives the point and both values."""
    result = check_equivalent("x^2 + 1", "x^2 + x", "x: scalar")
    assert result.verdict == "not-equivalent"
    cx = result.counterexample
    assert cx is not None and set(cx["values"]) == {"x"}
    x = cx["values"]["x"]
    assert cx["expected"] == pytest.approx(x * x + 1, rel=1e-5)
    assert cx["given"] == pytest.approx(x * x + x, rel=1e-5)


def test_singular_inverse_in_answer_is_explained() -> None:
    """Inverting X X^T (rank d < n) where the expected answer is fine is reported as such."""
    result = check_equivalent(
        "(X^TX)^{-1}X^Ty", "X^T (X X^T)^{-1} y", "X: n x 3; y: n x 1"
    )
    assert result.verdict == "not-equivalent"
    assert "singular" in result.message


# -- numbers -------------------------------------------------------------------------------


def test_number_to_four_significant_figures() -> None:
    """0.26894 is 1/(1+e) to 4 significant figures, as text or as a float."""
    want = 1 / (1 + math.e)
    assert check_number("0.26894", want, sig_figs=4).equivalent
    assert check_number(0.26894, want, sig_figs=4).equivalent
    assert check_number("0.2689", want, sig_figs=4).equivalent


def test_number_tolerance_is_relative_not_rounding() -> None:
    """0.2689 is not 1/(1+e) to 6 significant figures; 0.2694 is off at 4."""
    want = 1 / (1 + math.e)
    assert not check_number("0.2689", want, sig_figs=6).equivalent
    assert not check_number("0.2694", want, sig_figs=4).equivalent
    assert check_number("100.05", 100.0, rtol=1e-3).equivalent
    assert not check_number("100.2", 100.0, rtol=1e-3).equivalent


def test_number_given_as_expression() -> None:
    """The given number may be 1/(1+e) or \\frac{1}{1+e}, parsed with the same parser."""
    want = 1 / (1 + math.e)
    assert check_number("1/(1+e)", want, rtol=1e-12).equivalent
    assert check_number("\\frac{1}{1+e}", want, rtol=1e-12).equivalent
    assert check_number("\\sigma(-1)", want, rtol=1e-12).equivalent


def test_number_diagnoses_sign_and_power_of_ten() -> None:
    """A negated value is 'sign'; a percentage for a fraction is 'power-of-10'."""
    assert check_number("-0.25", 0.25).diagnosis == "sign"
    result = check_number("25", 0.25)
    assert result.diagnosis == "power-of-10" and "10^2" in result.message


def test_number_variant_and_bad_input() -> None:
    """A known wrong value is named; text with a symbol or a NaN is not a number."""
    result = check_number("0.7311", 1 / (1 + math.e), sig_figs=3,
                          variants=[("sigma(1)", "1/(1+e^{-1})", 0.5, "That is sigma(+1).")])
    assert (result.diagnosis, result.credit) == ("sigma(1)", 0.5)
    assert check_number("x + 1", 1.0).verdict == "parse-error"
    assert not check_number(float("nan"), 1.0).equivalent


# -- CLI -------------------------------------------------------------------------------------


def test_cli_exit_codes() -> None:
    """run_equiv_cli returns 0 equivalent, 1 not equivalent or shape error, 2 unparseable."""
    sym = "X: n x m; a, b: m x 1"
    assert run_equiv_cli(sym, "X(ab^T+ba^T)", "X a b^T + X b a^T", as_json=False,
                         out=io.StringIO()) == 0
    assert run_equiv_cli(sym, "X(ab^T+ba^T)", "2Xba^T", as_json=False, out=io.StringIO()) == 1
    assert run_equiv_cli(sym, "X(ab^T+ba^T)", "XX", as_json=False, out=io.StringIO()) == 1
    assert run_equiv_cli(sym, "X(ab^T+ba^T)", "X(ab^T", as_json=False, out=io.StringIO()) == 2
    assert run_equiv_cli(sym, "Q", "X", as_json=False, out=io.StringIO()) == 2


def test_cli_text_output_shows_verdict_diagnosis_and_counterexample() -> None:
    """The text output names the verdict, the diagnosis and the counterexample."""
    out = io.StringIO()
    run_equiv_cli("X: n x d; y: n x 1; w: d x 1", "X^T(Xw - y)", "X^T(y - Xw)",
                  as_json=False, out=out)
    text = out.getvalue()
    assert "verdict: not-equivalent" in text
    assert "diagnosis: sign" in text
    assert "counterexample:" in text and "dims:" in text


def test_cli_json_output_is_the_result() -> None:
    """--json prints the EquivResult as a JSON object."""
    out = io.StringIO()
    code = run_equiv_cli("x: scalar", "x^2", "x*x", as_json=True, out=out)
    data = json.loads(out.getvalue())
    assert code == 0 and data["verdict"] == "equivalent" and data["equivalent"] is True


def test_counterexample_prefers_small_whole_numbers() -> None:
    """The counterexample uses small integer inputs when they show the difference."""
    result = check_equivalent("x^2 + 1", "x^2 + x", "x: scalar")
    cx = result.counterexample
    assert cx is not None and float(cx["values"]["x"]).is_integer()
    result = check_equivalent("X(ab^T + ba^T)", "2Xba^T", "X: n x m; a, b: m x 1")
    cx = result.counterexample
    assert cx is not None
    assert all(float(v).is_integer() for row in cx["values"]["X"] for v in row)


def test_constants_only_method_is_stated() -> None:
    """Comparing two constants says so instead of claiming random points."""
    result = check_equivalent("1/(1+e)", "0.26894", "")
    assert result.verdict == "not-equivalent"
    assert result.method == "numeric: constants compared in floating point"


def test_checker_bug_becomes_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error inside the child is reported as a result, not raised."""
    from grader import equiv

    def boom(*args: object, **kwargs: object) -> dict:
        raise KeyError("broken")

    monkeypatch.setattr(equiv, "_compare", boom)
    result = check_equivalent("x", "x", "x: scalar")
    assert result.verdict == "parse-error" and result.diagnosis == "internal-error"
    assert "KeyError" in result.method
