"""The five matrix-derivative warm-ups of seed 003, section 1, with their correct answers.

Layout: the gradient of a scalar f(X) has the shape of X (entry (i, j) is df/dX_ij); the second
derivative is the array d2f/dX_ij dX_kl of shape X.shape + X.shape. Each check differentiates f
entrywise with SymPy on explicit symbol matrices at two sizes, never square where a transpose could
pass unnoticed, and compares with the candidate (NumPy-style, fed object arrays of symbols).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from reference.derivations._checks import Checker, same_array, sym_array
from reference.derivations._registry import Evidence, claim

Arr = np.ndarray


def _grad(f: sp.Expr, X: Arr) -> Arr:
    return np.vectorize(lambda s: sp.diff(f, s), otypes=[object])(X)


def _hess(f: sp.Expr, X: Arr) -> Arr:
    out = np.empty(X.shape + X.shape, dtype=object)
    for a in np.ndindex(X.shape):
        da = sp.diff(f, X[a])
        for b in np.ndindex(X.shape):
            out[a + b] = sp.diff(da, X[b])
    return out


def _zeros(*shape: int) -> Arr:
    return np.full(shape, sp.Integer(0), dtype=object)


def _check_scalar_function(chk: Checker, sizes: tuple[tuple[int, int], ...],
                           build: Callable[[int, int], tuple[sp.Expr, Arr, dict[str, Arr]]],
                           gradient: Callable[..., Arr], hessian: Callable[..., Arr]) -> None:
    for p, q in sizes:
        f, X, inputs = build(p, q)
        chk.trials += 1
        if not same_array(chk, f"gradient ({p}x{q})", chk.call("the gradient", gradient, **inputs),
                          _grad(f, X)):
            return
        same_array(chk, f"second derivative ({p}x{q})",
                   chk.call("the second derivative", hessian, **inputs), _hess(f, X))


@claim(source="seed 003, section 1.1", assignments=("mathml_hw4",))
def warmup_linear_map_derivatives(
    *,
    jacobian: Callable[..., Arr] = lambda M, x: M.T @ M,
    second: Callable[..., Arr] = lambda M, x: _zeros(M.shape[0], M.shape[0], M.shape[0]),
) -> Evidence:
    """f(x) = M^T M x (M m x m): Jacobian df_i/dx_j = M^T M, second derivative 0; for symmetric M
    the Jacobian is M^2."""
    chk = Checker("warmup_linear_map_derivatives", "symbolic")
    for m in (2, 3):
        chk.trials += 1
        M, x = sym_array("M", m, m), sym_array("x", m)
        f = M.T @ M @ x
        J = np.array([[sp.diff(fi, xj) for xj in x] for fi in f], dtype=object)
        if not same_array(chk, f"Jacobian (m={m})", chk.call("the Jacobian", jacobian, M, x), J):
            break
        d2 = np.array([[[sp.diff(fi, xj, xk) for xk in x] for xj in x] for fi in f], dtype=object)
        same_array(chk, f"second derivative (m={m})", chk.call("the second derivative", second,
                                                               M, x), d2)
        S = M.copy()  # symmetric: tie M_ji to M_ij
        for i in range(m):
            for j in range(i):
                S[i, j] = M[j, i]
        same_array(chk, f"Jacobian for symmetric M (m={m})", S @ S,
                   chk.call("the Jacobian", jacobian, S, x))
    return chk.evidence("SymPy's Jacobian and second derivative of M^T M x at m = 2, 3 "
                        "(and with M symmetric, where it is M^2)")


@claim(source="seed 003, section 1.2", assignments=("mathml_hw4",))
def warmup_trace_product_gradient(
    *,
    gradient: Callable[..., Arr] = lambda M, X: M.T,
    hessian: Callable[..., Arr] = lambda M, X: _zeros(*X.shape, *X.shape),
) -> Evidence:
    """f(X) = tr(M X), M m x n, X n x m: gradient M^T (n x m), second derivative 0."""
    chk = Checker("warmup_trace_product_gradient", "symbolic")

    def build(m: int, n: int) -> tuple[sp.Expr, Arr, dict[str, Arr]]:
        M, X = sym_array("M", m, n), sym_array("X", n, m)
        return sp.Add(*np.diag(M @ X)), X, {"M": M, "X": X}

    _check_scalar_function(chk, ((2, 3), (3, 1)), build, gradient, hessian)
    return chk.evidence("SymPy differentiates tr(M X) entrywise at (m, n) = (2, 3), (3, 1)")


@claim(source="seed 003, section 1.3", assignments=("mathml_hw4",))
def warmup_frobenius_norm_gradient(
    *,
    gradient: Callable[..., Arr] = lambda X: 2 * X,
    hessian: Callable[..., Arr] = lambda X: 2 * np.multiply.outer(
        np.eye(X.shape[0], dtype=int), np.eye(X.shape[1], dtype=int)).transpose(0, 2, 1, 3),
) -> Evidence:
    """f(X) = tr(X X^T): gradient 2X, second derivative 2 I (d2f/dX_ij dX_kl = 2 [i=k][j=l])."""
    chk = Checker("warmup_frobenius_norm_gradient", "symbolic")

    def build(p: int, q: int) -> tuple[sp.Expr, Arr, dict[str, Arr]]:
        X = sym_array("X", p, q)
        return sp.Add(*np.diag(X @ X.T)), X, {"X": X}

    _check_scalar_function(chk, ((2, 2), (3, 3)), build, gradient, hessian)
    chk.note("The seed's second derivative '2' is right read as 2 I; the seed takes X square, but "
             "the same holds for any shape")
    return chk.evidence("SymPy differentiates tr(X X^T) entrywise at n = 2, 3")


@claim(source="seed 003, section 1.4", assignments=("mathml_hw4",))
def warmup_bilinear_form_gradient(
    *,
    gradient: Callable[..., Arr] = lambda a, X, b: np.outer(a, b),
    hessian: Callable[..., Arr] = lambda a, X, b: _zeros(*X.shape, *X.shape),
) -> Evidence:
    """f(X) = a^T X b, X m x n, a in R^m, b in R^n: gradient a b^T (m x n), second derivative 0."""
    chk = Checker("warmup_bilinear_form_gradient", "symbolic")

    def build(m: int, n: int) -> tuple[sp.Expr, Arr, dict[str, Arr]]:
        a, X, b = sym_array("a", m), sym_array("X", m, n), sym_array("b", n)
        return a @ X @ b, X, {"a": a, "X": X, "b": b}

    _check_scalar_function(chk, ((2, 3), (3, 2)), build, gradient, hessian)
    return chk.evidence("SymPy differentiates a^T X b entrywise at (m, n) = (2, 3), (3, 2)")


@claim(source="seed 003, section 1.5", assignments=("mathml_hw4",))
def warmup_quadratic_form_gradient(
    *,
    gradient: Callable[..., Arr] = lambda a, X, b: X @ (np.outer(a, b) + np.outer(b, a)),
    hessian: Callable[..., Arr] = lambda a, X, b: np.multiply.outer(
        np.eye(X.shape[0], dtype=int), np.outer(a, b) + np.outer(b, a)).transpose(0, 2, 1, 3),
) -> Evidence:
    """f(X) = a^T X^T X b with X n x m and a, b in R^m: gradient X (a b^T + b a^T) (n x m);
    second derivative d2f/dX_ij dX_kl = [i=k] (a_j b_l + b_j a_l)."""
    chk = Checker("warmup_quadratic_form_gradient", "symbolic")

    def build(n: int, m: int) -> tuple[sp.Expr, Arr, dict[str, Arr]]:
        a, X, b = sym_array("a", m), sym_array("X", n, m), sym_array("b", m)
        return a @ X.T @ X @ b, X, {"a": a, "X": X, "b": b}

    _check_scalar_function(chk, ((2, 3), (3, 2)), build, gradient, hessian)
    chk.note("The seed states X in R^{n x m}, a in R^m, b in R^n, so X b is undefined; with b in "
             "R^m the seed's gradient 2 X b a^T is wrong unless a b^T is symmetric, and its "
             "second derivative 2 b a^T has the wrong shape")
    return chk.evidence("SymPy differentiates a^T X^T X b entrywise at (n, m) = (2, 3), (3, 2)")
