"""Least squares, Newton's method, ridge and MAP estimation (seeds 001, 002, 003).

Every check builds the objective from its definition (a sum over samples), differentiates it
entrywise, and compares with the candidate closed form: symbolically at a small explicit size, then
in exact rational arithmetic at several other sizes, where the gradient of the objective at the
claimed minimiser must be exactly zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import sympy as sp
from sympy.matrices import MatrixBase

from reference.derivations._checks import Checker, jacobian_wrt, symbol_matrix
from reference.derivations._registry import Evidence, claim

# The candidates here are SymPy-style: ``*`` is the matrix product.
Mat: TypeAlias = MatrixBase


def _rational_matrix(chk: Checker, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Rational(int(chk.rng.integers(-9, 10)),
                                                         int(chk.rng.integers(1, 5))))


def _full_rank_rational(chk: Checker, rows: int, cols: int) -> sp.Matrix:
    while True:
        A = _rational_matrix(chk, rows, cols)
        if A.rank() == min(rows, cols):
            return A


# --- Newton's method on the mean squared error (seed 001, problem 1) ---------------------------

def _mse(X: sp.Matrix, y: sp.Matrix, w: sp.Matrix, *, rows: bool) -> sp.Expr:
    """J(w) = 1/(2n) sum_i (x_i^T w - y_i)^2, from the definition."""
    n = X.rows if rows else X.cols
    samples = [X[i, :].T if rows else X[:, i] for i in range(n)]
    # Expanded first: differentiating the unexpanded product form is several times slower.
    return sp.expand(sp.Rational(1, 2 * n)
                     * sum(((x.T * w)[0] - y[i]) ** 2 for i, x in enumerate(samples)))


def _newton(chk: Checker, *, rows: bool, gradient: Callable[..., Mat],
            hessian: Callable[..., Mat], solution: Callable[..., Mat]) -> None:
    # Symbolic at d = 2 features, n = 3 samples: small enough that the 2x2 inverse stays cheap.
    d, n = 2, 3
    X = symbol_matrix("X", n, d) if rows else symbol_matrix("X", d, n)
    y = symbol_matrix("y", n, 1)
    w = symbol_matrix("w", d, 1)
    J = _mse(X, y, w, rows=rows)
    g_true = jacobian_wrt(J, w)
    H_true = g_true.jacobian(w)
    g = chk.call("the gradient", gradient, X, y, w)
    H = chk.call("the Hessian", hessian, X, y, w)
    if not (chk.same("gradient", g, g_true) and chk.same("Hessian", H, H_true)):
        return
    # One Newton step from a symbolic w: it must not depend on w and must solve the normal
    # equations. Multiplying through by H avoids simplifying a symbolic inverse.
    star = chk.call("the minimiser", solution, X, y)
    chk.same("H (w - H^-1 g(w)) vs H w*", H * w - g, H * star)
    chk.zero("gradient of J at w*", g_true.subs(dict(zip(w, star, strict=True))))

    # Exact rational instances at other sizes, including d = 1 and more features.
    for d, n in ((1, 3), (3, 5), (4, 6)):
        for _ in chk.trial_range(2):
            Xn = _full_rank_rational(chk, n, d) if rows else _full_rank_rational(chk, d, n)
            yn = _rational_matrix(chk, n, 1)
            wn = _rational_matrix(chk, d, 1)
            ws = symbol_matrix("w", d, 1)
            Jn = _mse(Xn, yn, ws, rows=rows)
            gn_true = jacobian_wrt(Jn, ws)
            at_w = dict(zip(ws, wn, strict=True))
            gn = chk.call("the gradient", gradient, Xn, yn, wn)
            Hn = chk.call("the Hessian", hessian, Xn, yn, wn)
            if not (chk.same(f"gradient (d={d}, n={n})", gn, gn_true.subs(at_w))
                    and chk.same(f"Hessian (d={d}, n={n})", Hn, gn_true.jacobian(ws))):
                return
            w1 = chk.call("the Newton step",
                          lambda Hn=Hn, gn=gn, wn=wn: wn - Hn.inv(method="ADJ") * gn)
            chk.zero(f"gradient after one step (d={d}, n={n})",
                     gn_true.subs(dict(zip(ws, w1, strict=True))))
            chk.same(f"one step vs closed form (d={d}, n={n})", w1,
                     chk.call("the minimiser", solution, Xn, yn))


@claim(source="seed 001, section 1", assignments=("softmax_regression",))
def newton_one_step_reaches_least_squares(
    *,
    gradient: Callable[..., Mat] = lambda X, y, w: X * (X.T * w - y) / X.cols,
    hessian: Callable[..., Mat] = lambda X, y, w: X * X.T / X.cols,
    solution: Callable[..., Mat] = lambda X, y: (X * X.T).inv(method="ADJ") * X * y,
) -> Evidence:
    """Columns are samples (X is d x n): for J = 1/(2n)||X^T w - y||^2 the gradient is
    (1/n) X (X^T w - y), the Hessian (1/n) X X^T, and one Newton step from any w lands on
    (X X^T)^{-1} X y."""
    chk = Checker("newton_one_step_reaches_least_squares", "symbolic")
    _newton(chk, rows=False, gradient=gradient, hessian=hessian, solution=solution)
    return chk.evidence(
        "gradient and Hessian equal SymPy's derivatives of the definition (d=2, n=3, symbols); "
        "one Newton step from a symbolic w solves the normal equations; exact rational "
        "instances at (d, n) = (1,3), (3,5), (4,6) land on the closed form with zero gradient")


@claim(source="seed 001, section 1", assignments=("softmax_regression",))
def newton_one_step_reaches_least_squares_rows(
    *,
    gradient: Callable[..., Mat] = lambda X, y, w: X.T * (X * w - y) / X.rows,
    hessian: Callable[..., Mat] = lambda X, y, w: X.T * X / X.rows,
    solution: Callable[..., Mat] = lambda X, y: (X.T * X).inv(method="ADJ") * X.T * y,
) -> Evidence:
    """Rows are samples (X is n x d): the gradient is (1/n) X^T (X w - y), the Hessian
    (1/n) X^T X, and one Newton step from any w lands on (X^T X)^{-1} X^T y."""
    chk = Checker("newton_one_step_reaches_least_squares_rows", "symbolic")
    _newton(chk, rows=True, gradient=gradient, hessian=hessian, solution=solution)
    return chk.evidence(
        "same as the columns convention with X transposed: symbolic at d=2, n=3, exact "
        "rational instances at three other sizes")


# --- Ridge regression (seed 003, section 2.1; seed 002, section 4(c)) ---------------------------

@claim(source="seed 003, section 2.1", assignments=("mathml_hw4", "cs229_ps2"))
def ridge_minimiser_closed_form(
    *,
    solution: Callable[..., Mat] = lambda X, y, lam: (
        (X.T * X + lam * sp.eye(X.cols)).inv(method="ADJ") * X.T * y),
) -> Evidence:
    """The minimiser of ||y - X b||^2 + lambda ||b||^2 (lambda > 0) is
    (X^T X + lambda I)^{-1} X^T y: the gradient vanishes there and the Hessian
    2 (X^T X + lambda I) is positive definite."""
    chk = Checker("ridge_minimiser_closed_form", "symbolic")
    lam = sp.Symbol("lambda", positive=True)

    def objective(X: sp.Matrix, y: sp.Matrix, b: sp.Matrix, lam: sp.Expr) -> sp.Expr:
        r = y - X * b
        return sp.expand((r.T * r)[0] + lam * (b.T * b)[0])

    n, d = 3, 2
    X, y, b = symbol_matrix("X", n, d), symbol_matrix("y", n, 1), symbol_matrix("b", d, 1)
    grad = jacobian_wrt(objective(X, y, b, lam), b)
    H = grad.jacobian(b)
    star = chk.call("the minimiser", solution, X, y, lam)
    if chk.shape("the minimiser", star, b.shape):
        chk.zero("gradient at the closed form", grad.subs(dict(zip(b, star, strict=True))))
    chk.same("Hessian", H, 2 * (X.T * X + lam * sp.eye(d)))
    # v^T H v = 2||X v||^2 + 2 lambda ||v||^2 > 0 for v != 0: positive definite, so the
    # stationary point is the unique minimiser.
    v = symbol_matrix("v", d, 1)
    Xv = X * v
    chk.zero("v^T H v - 2||Xv||^2 - 2 lambda ||v||^2",
             (v.T * H * v)[0] - 2 * (Xv.T * Xv)[0] - 2 * lam * (v.T * v)[0])

    # Exact instances, including more features than samples (X^T X singular, ridge still fine).
    for n, d in ((3, 2), (5, 3), (2, 4)):
        for _ in chk.trial_range(2):
            Xn, yn = _rational_matrix(chk, n, d), _rational_matrix(chk, n, 1)
            lam_n = sp.Rational(int(chk.rng.integers(1, 20)), 7)
            bs = symbol_matrix("b", d, 1)
            g = jacobian_wrt(objective(Xn, yn, bs, lam_n), bs)
            star = chk.call("the minimiser", solution, Xn, yn, lam_n)
            if chk.shape(f"the minimiser (n={n}, d={d})", star, bs.shape):
                chk.zero(f"gradient at the closed form (n={n}, d={d})",
                         g.subs(dict(zip(bs, star, strict=True))))
    return chk.evidence(
        "the gradient of the objective vanishes at the closed form (symbolic n=3, d=2, symbolic "
        "lambda; exact instances including d > n) and the Hessian is 2(X^T X + lambda I), "
        "positive definite")


# --- MAP estimation (seed 002, section 4) -------------------------------------------------------

def _gaussian_log_likelihood(X: sp.Matrix, y: sp.Matrix, theta: sp.Matrix,
                             sigma: sp.Expr) -> sp.Expr:
    """log prod_i N(y_i; x_i^T theta, sigma^2), written from the density."""
    total = sp.Integer(0)
    for i in range(X.rows):
        mean = (X[i, :] * theta)[0]
        density = sp.exp(-((y[i] - mean) ** 2) / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)
        total += sp.expand_log(sp.log(density), force=True)
    return total


def _map_check(chk: Checker, neg_log_prior: Callable[[sp.Matrix], sp.Expr],
               penalised: Callable[[sp.Matrix, sp.Matrix, sp.Matrix], sp.Expr],
               label: str) -> None:
    """-log posterior and penalised(...)/(2 sigma^2) must differ by a theta-free constant."""
    n, d = 3, 2
    X, y, theta = symbol_matrix("X", n, d), symbol_matrix("y", n, 1), symbol_matrix("t", d, 1)
    sigma = sp.Symbol("sigma", positive=True)
    nlp = -_gaussian_log_likelihood(X, y, theta, sigma) + neg_log_prior(theta)
    obj = chk.call(label, penalised, X, y, theta) / (2 * sigma**2)
    chk.zero("d/dtheta of (-log posterior - objective/(2 sigma^2))",
             jacobian_wrt(nlp - obj, theta))
    # Exact instances: the difference of the two at two random thetas must be exactly zero.
    values = {}
    for _ in chk.trial_range(4):
        values = {s: sp.Rational(int(chk.rng.integers(-9, 10)), int(chk.rng.integers(1, 5)))
                  for s in (*X, *y)}
        values[sigma] = sp.Rational(int(chk.rng.integers(1, 9)), 3)
        diff = (nlp - obj).xreplace(values)
        t1 = {s: sp.Rational(int(chk.rng.integers(-9, 10)), 3) for s in theta}
        t2 = {s: sp.Rational(int(chk.rng.integers(-9, 10)), 3) for s in theta}
        chk.zero("(-log posterior - objective) at two thetas",
                 diff.xreplace(t1) - diff.xreplace(t2))


@claim(source="seed 002, section 4(b)", assignments=("cs229_ps2",))
def gaussian_prior_gives_l2_penalty(
    *,
    weight: Callable[[sp.Expr], sp.Expr] = lambda eta: 1 / (2 * eta**2),
) -> Evidence:
    """With prior theta ~ N(0, eta^2 I), -log p(theta) = ||theta||^2 / (2 eta^2) + const, so
    theta_MAP minimises -log p(y|x, theta) + lambda ||theta||^2 with lambda = 1/(2 eta^2)."""
    chk = Checker("gaussian_prior_gives_l2_penalty", "symbolic")
    eta = sp.Symbol("eta", positive=True)
    d = 3
    theta = symbol_matrix("t", d, 1)
    log_prior = sum(
        sp.expand_log(sp.log(sp.exp(-(t**2) / (2 * eta**2)) / (sp.sqrt(2 * sp.pi) * eta)),
                      force=True)
        for t in theta)
    lam = chk.call("lambda", weight, eta)
    chk.zero("d/dtheta of (-log p(theta) - lambda ||theta||^2)",
             jacobian_wrt(-log_prior - lam * (theta.T * theta)[0], theta))
    return chk.evidence("SymPy differentiates the log of the Gaussian density (d=3, symbolic eta)")


@claim(source="seed 002, section 4(c)", assignments=("cs229_ps2",))
def map_gaussian_prior_is_ridge(
    *,
    lam: Callable[[sp.Expr, sp.Expr], sp.Expr] = lambda sigma, eta: sigma**2 / eta**2,
) -> Evidence:
    """Gaussian noise (variance sigma^2) and prior N(0, eta^2 I): theta_MAP minimises
    ||y - X theta||^2 + lambda ||theta||^2 with lambda = sigma^2 / eta^2, i.e. it is the ridge
    solution (X^T X + (sigma^2/eta^2) I)^{-1} X^T y."""
    chk = Checker("map_gaussian_prior_is_ridge", "symbolic")
    eta = sp.Symbol("eta", positive=True)
    sigma = sp.Symbol("sigma", positive=True)
    lam_value = chk.call("lambda", lam, sigma, eta)

    def neg_log_prior(theta: sp.Matrix) -> sp.Expr:
        return -sum(sp.expand_log(sp.log(sp.exp(-(t**2) / (2 * eta**2))
                                         / (sp.sqrt(2 * sp.pi) * eta)), force=True)
                    for t in theta)

    def ridge(X: sp.Matrix, y: sp.Matrix, theta: sp.Matrix) -> sp.Expr:
        r = y - X * theta
        return (r.T * r)[0] + lam_value * (theta.T * theta)[0]

    _map_check(chk, neg_log_prior, ridge, "the ridge objective")
    return chk.evidence(
        "-log posterior minus (ridge objective)/(2 sigma^2) has zero gradient in theta "
        "(symbolic, n=3, d=2) and takes equal values at random thetas (exact), so both have the "
        "same minimiser")


@claim(source="seed 002, section 4(e)", assignments=("cs229_ps2",))
def map_laplace_prior_is_l1(
    *,
    gamma: Callable[[sp.Expr, sp.Expr], sp.Expr] = lambda sigma, b: 2 * sigma**2 / b,
) -> Evidence:
    """Gaussian noise (variance sigma^2) and independent Laplace(0, b) priors: theta_MAP minimises
    ||y - X theta||^2 + gamma ||theta||_1 with gamma = 2 sigma^2 / b."""
    chk = Checker("map_laplace_prior_is_l1", "symbolic")
    scale = sp.Symbol("b", positive=True)
    sigma = sp.Symbol("sigma", positive=True)
    gamma_value = chk.call("gamma", gamma, sigma, scale)

    def neg_log_prior(theta: sp.Matrix) -> sp.Expr:
        return -sum(sp.expand_log(sp.log(sp.exp(-sp.Abs(t) / scale) / (2 * scale)), force=True)
                    for t in theta)

    def lasso(X: sp.Matrix, y: sp.Matrix, theta: sp.Matrix) -> sp.Expr:
        r = y - X * theta
        return (r.T * r)[0] + gamma_value * sum(sp.Abs(t) for t in theta)

    _map_check(chk, neg_log_prior, lasso, "the L1 objective")
    return chk.evidence(
        "-log posterior minus (L1 objective)/(2 sigma^2) has zero derivative in theta away from "
        "0 (symbolic) and equal values at random thetas (exact)")
