"""Tests for grader.mathparse: the restricted tokenizer, parser, shape rules and limits."""

from __future__ import annotations

import ast
import builtins
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from grader.errors import AnswerParseError
from grader.mathparse import (
    MAX_DEPTH,
    AnswerShapeError,
    IllConditionedError,
    SymbolTable,
    parse_expression,
)

ML = ("X: d x n; y: n x 1; w: d x 1; lambda: scalar; n: scalar; y_hat: n x 1; "
      "sigma, eta: scalar positive; beta: d x 1; A, B: d x d; a, b: d x 1")


def shape(text: str, symbols: str = ML) -> str:
    return parse_expression(text, symbols).shape_text


def sym(text: str, symbols: str = ML) -> sp.Basic:
    return parse_expression(text, symbols).to_sympy()


def error(text: str, symbols: str = ML) -> AnswerParseError:
    with pytest.raises(AnswerParseError) as info:
        parse_expression(text, symbols)
    return info.value


# -- symbol table ----------------------------------------------------------------------------


def test_symbol_table_reads_shapes_scalars_and_shared_declarations() -> None:
    """'X: d x n; a, b: m x 1; lambda: scalar' gives matrix, vector and scalar specs."""
    table = SymbolTable.parse("X: d x n; a, b: m x 1; lambda: scalar\nS: 3 x 3 spd")
    assert table.specs["X"].shape == ("d", "n")
    assert table.specs["a"].shape == table.specs["b"].shape == ("m", 1)
    assert table.specs["lambda"].shape is None
    assert table.specs["S"].structure == "spd"
    assert table.dim_names == ["d", "n", "m"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("X d x n", "needs a ':'"),
        ("X: d by", "cannot read shape"),
        ("X: d x n x k", "cannot read shape"),
        ("X: 0 x 2", "number from 1 to 64"),
        ("S: d x n spd", "must be square"),
        ("X: d x n; X: n x n", "declared twice"),
        ("2X: d x n", "not a valid name"),
        ("X: n x d; n: d x 1", "both as a dimension and as a matrix"),
    ],
)
def test_symbol_table_errors_are_clear(text: str, fragment: str) -> None:
    """A malformed symbol table raises AnswerParseError naming the problem."""
    with pytest.raises(AnswerParseError, match=fragment):
        SymbolTable.parse(text)


def test_greek_spellings_are_one_symbol() -> None:
    """lambda, \\lambda, lam and λ are the same symbol, however it was declared."""
    for declared in ("lambda: scalar", "lam: scalar", "\\lambda: scalar"):
        exprs = {sym(t, declared) for t in ("lambda", "\\lambda", "lam", "λ")}
        assert len(exprs) == 1, declared


def test_case_is_significant_and_hinted() -> None:
    """x and X are different symbols; the error for x suggests X."""
    err = error("x", "X: 2 x 2")
    assert "unknown symbol 'x' at position 0" in str(err)
    assert "did you mean 'X'" in str(err)


# -- reading answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_shape"),
    [
        ("X^T w", "n x 1"),
        ("X.T @ w", "n x 1"),
        ("X'w", "n x 1"),
        ("X**T*w", "n x 1"),
        ("Xy", "d x 1"),
        ("y w^T", "n x d"),
        ("w^T X y", "1 x 1"),
        ("inv(X@X.T + lam*I)@X@y", "d x 1"),
        ("(XX^T + \\lambda I)^{-1}Xy", "d x 1"),
        ("\\left( \\mathbf{X}\\mathbf{X}^\\top + \\lambda \\mathbf{I} \\right)^{-1} "
         "\\mathbf{X} \\mathbf{y}", "d x 1"),
        ("X^{\\top}", "n x d"),
        ("X^{T}", "n x d"),
        ("X^\\intercal", "n x d"),
        ("X^{\\mathsf{T}}", "n x d"),
        ("A^{-T}", "d x d"),
        ("A^{-1}", "d x d"),
        ("A^2", "d x d"),
        ("\\frac{1}{n} X (y - \\hat{y})", "d x 1"),
        ("X(y - yhat)/n", "d x 1"),
        ("\\boldsymbol{\\beta}^\\top \\beta", "1 x 1"),
        ("\\mathrm{tr}(A B)", "scalar"),
        ("\\operatorname{tr}\\left(A^T A\\right)", "scalar"),
        ("trace(A)", "scalar"),
        ("det(A)", "scalar"),
        ("a \\odot b", "d x 1"),
        ("\\sigma(X^T w)", "n x 1"),
        ("sigmoid(X^T w) - y", "n x 1"),
        ("\\exp(-\\lambda) \\cdot \\sqrt{\\eta} \\times \\log \\sigma", "scalar"),
        ("\\tanh^2(\\lambda)", "scalar"),
        ("e^{\\lambda}", "scalar"),
        ("\\frac12 \\lambda", "scalar"),
        ("2.5e-3 \\,\\lambda\\;", "scalar"),
        ("6.02 \\times 10^{23}", "scalar"),
        ("$\\lambda$", "scalar"),
        ("{X}^T{w}", "n x 1"),
        ("I_d a", "d x 1"),
        ("(w^T w) X", "d x n"),
    ],
)
def test_accepted_answers_and_their_shapes(text: str, expected_shape: str) -> None:
    """Plain-text and LaTeX answers parse to the right shape."""
    assert shape(text) == expected_shape


def test_implicit_multiplication_splits_declared_names() -> None:
    """2Xba^T reads as 2 * X * b * a^T, with ^T binding to a only."""
    table = "X: n x m; a, b: m x 1"
    got = sym("2Xba^T", table)
    assert got == sym("2 * X @ b @ a.T", table) == sym("2 X b a^T", table)
    assert parse_expression("2Xba^T", table).shape == ("n", "m")


def test_matrix_products_keep_their_order() -> None:
    """AB and BA are different SymPy expressions (matrices do not commute)."""
    assert sym("A B") != sym("B A")
    assert sym("A B") == sym("A @ B")


def test_transpose_is_never_dropped() -> None:
    """a^T b is 1 x 1 while a b is a shape error: ^T changes the meaning."""
    assert shape("a^T b") == "1 x 1"
    with pytest.raises(AnswerShapeError):
        parse_expression("a b", ML)


def test_hat_symbols_resolve_to_declared_names() -> None:
    """\\hat{y} means the declared y_hat (or yhat); undeclared hats are unknown symbols."""
    assert sym("\\hat{y}") == sym("y_hat") == sym("yhat") == sym("\\widehat{y}")
    assert sym("\\hat{y}", "yhat: n x 1") == sym("yhat", "yhat: n x 1")
    assert "unknown symbol 'w_hat'" in str(error("\\hat{w}"))


def test_e_is_euler_unless_declared() -> None:
    """e is Euler's number, but a declared e is an ordinary symbol."""
    assert sym("e^2", "") == sp.E**2
    assert sym("e", "e: scalar") == sp.Symbol("e", real=True)


def test_identity_size_comes_from_context_unless_declared() -> None:
    """I takes the size its neighbours need; a declared I is an ordinary matrix."""
    expr = parse_expression("X^T X + \\lambda I", ML)
    assert expr.shape == ("n", "n")
    assert sp.Identity(sp.Symbol("n", integer=True, positive=True)) in sp.preorder_traversal(
        expr.to_sympy()
    )
    declared = parse_expression("A I", "A: n x n; I: n x n")
    assert isinstance(declared.to_sympy(), sp.MatMul)
    assert "cannot tell the size of I" in str(_raises(lambda: parse_expression(
        "I", ML).check_sizes_known()))


def _raises(fn: object) -> Exception:
    try:
        fn()  # type: ignore[operator]
    except Exception as exc:
        return exc
    raise AssertionError("no exception")


def test_numbers_and_constants_are_exact_in_sympy() -> None:
    """Decimals and scientific notation become exact rationals; pi and e are SymPy constants."""
    assert sym("0.25", "") == sp.Rational(1, 4)
    assert sym("1.5E+2", "") == 150
    assert sym("2e-3", "") == sp.Rational(1, 500)
    assert sym("\\pi", "") == sp.pi
    assert sym("2e", "") == 2 * sp.E


# -- errors --------------------------------------------------------------------------------


def test_unknown_symbol_names_it_position_and_declared_symbols() -> None:
    """'X + Z' says which symbol is unknown, where, and what is declared."""
    err = error("X + Z", "X: 2 x 2; a, b: 2 x 1")
    assert str(err) == "unknown symbol 'Z' at position 4; declared symbols are X, a, b"
    assert err.position == 4


def test_unbalanced_parenthesis_names_where_it_opened() -> None:
    """An unclosed '(' reports the position where it was opened."""
    err = error("X^T(w + a", ML)
    assert "unbalanced '(' opened at position 3" in str(err)
    assert err.position == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("X^T w )", "unmatched ')'"),
        ("X^T w junk", "unknown symbol"),
        ("X^T w = 0", "unexpected character '='"),
        ("X^T w, y", "unexpected character ','"),
        ("(w]", "does not match '('"),
        ("w +", "ends too early"),
        ("", "empty"),
        ("2 3", "two numbers in a row"),
        ("X^T", None),
        ("\\sum_i w_i", "sums"),
        ("|w|", "norms"),
        ("\\frac{1}{2}\\|w\\|^2", "norms"),
        ("\\mathbf{1}", "vector of ones"),
        ("\\foo{w}", "unknown LaTeX command"),
        ("exp", "needs an argument"),
        ("T", "transpose T must follow ^"),
    ],
)
def test_trailing_or_unreadable_input_is_an_error(text: str, fragment: str | None) -> None:
    """Nothing is silently cut or skipped: leftovers and unknown syntax are errors."""
    if fragment is None:
        assert shape(text) == "n x d"
        return
    assert fragment in str(error(text))


def test_shape_error_names_both_operands_and_shapes() -> None:
    """XX with X: d x n is a shape error naming X (d x n) twice."""
    with pytest.raises(AnswerShapeError) as info:
        parse_expression("XX", "X: d x n")
    assert str(info.value) == (
        "shape error: cannot multiply X (d x n) by X (d x n) at position 1"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("X + w", "cannot add X (d x n) and w (d x 1)"),
        ("X + lambda", "cannot add the scalar lambda to X (d x n)"),
        ("inv(X)", "an inverse needs a square matrix"),
        ("tr(X)", "a trace needs a square matrix"),
        ("X^2", "matrix power needs a square matrix"),
        ("A^{1/2}", "only ^T, ^{-1} and whole powers"),
        ("w / X", "cannot divide by the matrix"),
        ("a \\odot X", "elementwise product needs equal shapes"),
        ("lambda^X", "an exponent cannot be the matrix"),
    ],
)
def test_shape_errors(text: str, fragment: str) -> None:
    """Each shape rule gives its own message."""
    with pytest.raises(AnswerShapeError, match=None) as info:
        parse_expression(text, ML)
    assert fragment in str(info.value)


# -- limits and hostile input --------------------------------------------------------------


def test_tower_of_exponents_is_refused_not_computed() -> None:
    """9^9^9^9 is refused at once with the exponent limit in the message."""
    start = time.monotonic()
    err = error("9^9^9^9", "")
    assert time.monotonic() - start < 0.5
    assert "too large (the limit is 1000)" in str(err)


def test_deep_nesting_is_refused_without_recursion_error() -> None:
    """Nesting beyond the limit (brackets, signs, exponents) is a parse error, never a crash."""
    for text in (
        "(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5),
        "-" * 1500 + "x",
        "x^" * 600 + "x",
        "exp(" * 300 + "x" + ")" * 300,
        "{" * 300 + "x" + "}" * 300,
    ):
        assert "nested too deeply" in str(error(text, "x: scalar"))
    assert "too long" in str(error("(" * 10_000 + "x" + ")" * 10_000, "x: scalar"))


def test_huge_input_is_refused_at_once() -> None:
    """A 5 MB answer is refused by length immediately."""
    start = time.monotonic()
    err = error("x" * 5_000_000, "x: scalar")
    assert time.monotonic() - start < 0.1
    assert "answer is too long (5000000 characters; the limit is 2000)" in str(err)


def test_node_count_and_long_letter_runs_are_limited() -> None:
    """Very many factors, or a 1000-letter run, are refused with a clear message."""
    assert "more than 1000 parts" in str(error("*".join(["x"] * 999), "x: scalar"))
    assert "too long to read" in str(error("x" * 1000, "x: scalar"))


@pytest.mark.parametrize(
    "text", ["10^400", "1e999", "2^(2^(2^(2^(2^2))))", "e^{1000}", "(10^200)^2", "1/0", "log(0)",
             "sqrt(-1)"]
)
def test_constants_must_stay_finite_and_real(text: str) -> None:
    """Constant parts that overflow or are not real are parse errors, not huge computations."""
    err = error(text, "")
    assert any(w in str(err) for w in ("too large", "division by zero", "not a real number"))


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "exec('1')", "eval('1')", "().__class__",
     "lambda: 0", "open('/etc/passwd')", "x; import os", "getattr(x, 'y')"],
)
def test_hostile_text_is_a_parse_error(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code-like answers are unknown symbols or characters; eval/exec are never reached."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "__import__", forbidden)
    try:
        with pytest.raises(AnswerParseError):
            parse_expression(text, "x: scalar")
    finally:
        monkeypatch.undo()


def test_modules_call_no_eval_exec_sympify_or_pickle() -> None:
    """The parser and checker source never call eval, exec, sympify, parse_expr or pickle."""
    banned = {"eval", "exec", "compile", "sympify", "parse_expr", "parse_latex", "__import__",
              "S", "lambdify"}
    root = Path(__file__).resolve().parents[1] / "grader"
    for name in ("mathparse.py", "equiv.py"):
        tree = ast.parse((root / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                if isinstance(fn, ast.Name):
                    assert fn.id not in banned, f"{name}:{node.lineno} calls {fn.id}"
                elif isinstance(fn, ast.Attribute):
                    # re.compile is fine; SymPy's and pickle's string readers are not.
                    assert fn.attr not in banned - {"compile"}, f"{name}:{node.lineno}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(m and m.split(".")[0] in {"pickle", "dill"} for m in mods)


# -- evaluation ----------------------------------------------------------------------------


def test_numeric_evaluation_matches_numpy() -> None:
    """Evaluating the ridge solution at concrete values matches a direct NumPy computation."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(3, 5)), rng.normal(size=(5, 1))
    expr = parse_expression("(XX^T + \\lambda I)^{-1} X y", ML)
    got = expr.evaluate({"X": X, "y": y, "lambda": 0.7}, {"d": 3, "n": 5})
    want = np.linalg.solve(X @ X.T + 0.7 * np.eye(3), X @ y)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_elementwise_functions_and_softmax_evaluate_per_entry() -> None:
    """sigmoid acts per entry; softmax normalises each row of a matrix."""
    expr = parse_expression("softmax(Z) + sigmoid(Z)", "Z: 2 x 3")
    Z = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    got = expr.evaluate({"Z": Z}, {})
    soft = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(got, soft + 1 / (1 + np.exp(-Z)), rtol=1e-12)


def test_singular_inverse_raises_ill_conditioned() -> None:
    """Inverting a rank-deficient matrix raises IllConditionedError naming it."""
    expr = parse_expression("inv(X^T X)", "X: 3 x 2")
    with pytest.raises(IllConditionedError, match="X\\^T X"):
        expr.evaluate({"X": np.ones((3, 2))}, {})


def test_one_by_one_products_scale_matrices() -> None:
    """(w^T w) X reads w^T w as a scalar, in SymPy and in NumPy."""
    expr = parse_expression("w^T w X", ML)
    assert expr.shape == ("d", "n")
    w, X = np.array([[1.0], [2.0]]), np.ones((2, 3))
    np.testing.assert_allclose(expr.evaluate({"w": w, "X": X}, {"d": 2, "n": 3}), 5 * X)


def test_parse_is_fast_for_a_typical_answer() -> None:
    """A typical LaTeX answer parses in well under 50 ms (no SymPy parsing involved)."""
    text = ("\\left( \\mathbf{X}\\mathbf{X}^\\top + \\lambda \\mathbf{I} \\right)^{-1} "
            "\\mathbf{X} \\mathbf{y}")
    parse_expression(text, ML)
    start = time.perf_counter()
    for _ in range(20):
        parse_expression(text, ML)
    assert (time.perf_counter() - start) / 20 < 0.05
    assert sys.getrecursionlimit() >= 1000


def test_undeclared_greek_name_is_not_split_into_letters() -> None:
    """'beta' with b and eta declared is an unknown symbol, not b * eta."""
    assert "unknown symbol 'beta'" in str(error("beta", "b, eta: scalar"))
    assert sym("b eta", "b, eta: scalar") == sym("b*eta", "b, eta: scalar")


def _random_answer(rng: np.random.Generator, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.3:
        return str(rng.choice(["A", "B", "a", "x", "z", "2", "0.5", "I", "e"]))
    sub = lambda: _random_answer(rng, depth + 1)  # noqa: E731  (keeps the templates one-liners)
    templates = [
        lambda: f"({sub()} + {sub()})", lambda: f"{sub()} {sub()}", lambda: f"({sub()})^T",
        lambda: f"({sub()})^{{-1}}", lambda: f"\\frac{{{sub()}}}{{{sub()}}}", lambda: f"-{sub()}",
        lambda: f"exp({sub()})", lambda: f"tr({sub()})", lambda: f"({sub()})^2",
        lambda: f"{sub()} \\odot {sub()}", lambda: f"sigmoid({sub()})",
        lambda: f"({sub()}).T @ {sub()}",
    ]
    return templates[int(rng.integers(len(templates)))]()


def test_numpy_evaluation_agrees_with_the_sympy_tree() -> None:
    """On random well-formed answers, NumPy evaluation equals SymPy's value of to_sympy()."""
    table = SymbolTable.parse("A, B: 2 x 2; a: 2 x 1; x, z: scalar")
    values = {"A": np.array([[1.2, 0.3], [-0.4, 0.9]]), "B": np.array([[0.5, -0.2], [0.7, 1.1]]),
              "a": np.array([[0.3], [-0.8]]), "x": 0.7, "z": -0.4}
    subs = {sp.MatrixSymbol(k, *v.shape): sp.Matrix(v) for k, v in values.items()
            if isinstance(v, np.ndarray)}
    subs |= {sp.Symbol("x", real=True): sp.Float(0.7), sp.Symbol("z", real=True): sp.Float(-0.4)}
    rng = np.random.default_rng(7)
    compared = 0
    for _ in range(300):
        text = _random_answer(rng)
        try:
            expr = parse_expression(text, table)
            expr.check_sizes_known()
            got = np.asarray(expr.evaluate(values, {}), dtype=float)
        except (AnswerParseError, IllConditionedError):
            continue
        if not np.all(np.isfinite(got)):
            continue
        tree = expr.to_sympy().xreplace(subs)
        try:
            want_expr = tree.doit() if hasattr(tree, "doit") else tree
            want = np.array(sp.N(want_expr).tolist() if hasattr(want_expr, "tolist")
                            else sp.N(want_expr), dtype=float)
        except RecursionError:  # SymPy's own doit() on deep elementwise trees
            continue
        assert np.allclose(got.reshape(want.shape) if got.size == want.size else got, want,
                           rtol=1e-8, atol=1e-10), text
        compared += 1
    assert compared >= 100
