"""Batch-normalisation backward pass (seed 002, section 6), all six formulas.

Forward, for a batch X (m x D, rows are samples): mu = mean of the rows, v = mean of (x - mu)^2,
xhat = (x - mu) / sqrt(v), y = gamma * xhat + beta, L = L(y^(1), ..., y^(m)). The test loss is
L = sum(C * Y) + sum(Q * Y^2) with random C, Q, so dL/dY = C + 2 Q * Y is known exactly.

Each formula is compared with the derivative it claims to be, computed two independent ways:
SymPy's exact derivative of the forward graph (m = 3, D = 2, lambdified and evaluated at random
batches) and central finite differences at other sizes. The partial derivatives follow the
computation graph: dL/dv holds x and mu fixed; dL/dmu lets v depend on mu; dL/dx is the total one.
Each formula receives the true upstream values, so one wrong formula cannot hide behind another.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import sympy as sp

from reference.derivations._checks import FD_TOL, NUMERIC_TOL, Checker, central_gradient
from reference.derivations._registry import Evidence, claim

Arr = np.ndarray

#: The seed's formulas, numbered as in its section 6.
SEED_FORMULAS: dict[str, Callable[..., Arr]] = {
    "dbeta": lambda G: G.sum(axis=0),
    "dgamma": lambda G, xhat: (G * xhat).sum(axis=0),
    "dxhat": lambda G, gamma: G * gamma,
    "dvar": lambda dxhat, x, mu, var: (dxhat * (x - mu)).sum(axis=0) * (-0.5) * var ** -1.5,
    # The seed's final form: the dL/dv term drops out because sum_i (x_i - mu) = 0.
    "dmu": lambda dxhat, x, mu, var, dvar: -dxhat.sum(axis=0) / np.sqrt(var),
    # Eq. 16.
    "dx": lambda dxhat, x, mu, var, dvar, dmu: (dxhat / np.sqrt(var)
                                                + 2.0 * (x - mu) / x.shape[0] * dvar
                                                + dmu / x.shape[0]),
}


def _forward(X: Arr, gamma: Arr, beta: Arr) -> tuple[Arr, Arr, Arr, Arr]:
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).mean(axis=0)
    xhat = (X - mu) / np.sqrt(var)
    return mu, var, xhat, gamma * xhat + beta


def _loss(Y: Arr, C: Arr, Q: Arr) -> float:
    return float(np.sum(C * Y) + np.sum(Q * Y**2))


def _true_derivatives(X: Arr, gamma: Arr, beta: Arr, C: Arr, Q: Arr) -> dict[str, Arr]:
    """The six derivatives by central differences of the forward graph."""
    mu, var, xhat, _ = _forward(X, gamma, beta)

    def from_xhat(xh: Arr) -> float:
        return _loss(gamma * xh + beta, C, Q)

    def from_var(v: Arr) -> float:
        return from_xhat((X - mu) / np.sqrt(v))

    def from_mu(u: Arr) -> float:
        return from_xhat((X - u) / np.sqrt(((X - u) ** 2).mean(axis=0)))

    return {
        "dbeta": central_gradient(lambda b: _loss(gamma * xhat + b, C, Q), beta),
        "dgamma": central_gradient(lambda g: _loss(g * xhat + beta, C, Q), gamma),
        "dxhat": central_gradient(from_xhat, xhat),
        "dvar": central_gradient(from_var, var),
        "dmu": central_gradient(from_mu, mu),
        "dx": central_gradient(lambda Z: _loss(_forward(Z, gamma, beta)[3], C, Q), X),
    }


@functools.lru_cache(maxsize=4)
def _sympy_derivatives(m: int, D: int) -> Callable[..., dict[str, Arr]]:
    """SymPy's exact derivatives of the forward graph at size m x D, as a numeric function.

    Cached: building and lambdifying them is most of this claim's run time, and they depend on
    the size only, never on the formulas under test."""
    X = sp.Matrix(m, D, lambda i, j: sp.Symbol(f"x_{i}_{j}", real=True))
    Xh = sp.Matrix(m, D, lambda i, j: sp.Symbol(f"xh_{i}_{j}", real=True))
    C = sp.Matrix(m, D, lambda i, j: sp.Symbol(f"c_{i}_{j}", real=True))
    Q = sp.Matrix(m, D, lambda i, j: sp.Symbol(f"q_{i}_{j}", real=True))
    g = sp.symbols(f"g0:{D}", real=True)
    b = sp.symbols(f"b0:{D}", real=True)
    u = sp.symbols(f"u0:{D}", real=True)
    v = sp.symbols(f"v0:{D}", positive=True)

    def loss_of_xhat(xh: Callable[[int, int], sp.Expr]) -> sp.Expr:
        total = sp.Integer(0)
        for i in range(m):
            for j in range(D):
                y = g[j] * xh(i, j) + b[j]
                total += C[i, j] * y + Q[i, j] * y**2
        return total

    def col_mean(j: int) -> sp.Expr:
        return sum(X[i, j] for i in range(m)) / m

    def col_var(j: int, centre: sp.Expr) -> sp.Expr:
        return sum((X[i, j] - centre) ** 2 for i in range(m)) / m

    L_full = loss_of_xhat(lambda i, j: (X[i, j] - col_mean(j)) / sp.sqrt(col_var(j, col_mean(j))))
    L_xhat = loss_of_xhat(lambda i, j: Xh[i, j])
    L_var = loss_of_xhat(lambda i, j: (X[i, j] - u[j]) / sp.sqrt(v[j]))
    L_mu = loss_of_xhat(lambda i, j: (X[i, j] - u[j]) / sp.sqrt(col_var(j, u[j])))
    exprs = {
        "dbeta": [sp.diff(L_full, s) for s in b],
        "dgamma": [sp.diff(L_full, s) for s in g],
        "dxhat": [sp.diff(L_xhat, s) for s in Xh],
        "dvar": [sp.diff(L_var, s) for s in v],
        "dmu": [sp.diff(L_mu, s) for s in u],
        "dx": [sp.diff(L_full, s) for s in X],
    }
    args = [*X, *Xh, *C, *Q, *g, *b, *u, *v]
    funcs = {k: sp.lambdify(args, e, "numpy") for k, e in exprs.items()}
    shapes = {"dbeta": (D,), "dgamma": (D,), "dxhat": (m, D), "dvar": (D,), "dmu": (D,),
              "dx": (m, D)}

    def evaluate(Xn: Arr, gamma: Arr, beta: Arr, Cn: Arr, Qn: Arr) -> dict[str, Arr]:
        mu, var, xhat, _ = _forward(Xn, gamma, beta)
        values = [*Xn.flat, *xhat.flat, *Cn.flat, *Qn.flat, *gamma, *beta, *mu, *var]
        return {k: np.asarray(f(*values), dtype=float).reshape(shapes[k])
                for k, f in funcs.items()}

    return evaluate


def _apply(chk: Checker, formulas: dict[str, Callable[..., Arr]], X: Arr, *, gamma: Arr,
           beta: Arr, C: Arr, Q: Arr, true: dict[str, Arr]) -> dict[str, Arr]:
    mu, var, xhat, Y = _forward(X, gamma, beta)
    G = C + 2.0 * Q * Y
    f = formulas
    return {
        "dbeta": chk.call("dL/dbeta", f["dbeta"], G),
        "dgamma": chk.call("dL/dgamma", f["dgamma"], G, xhat),
        "dxhat": chk.call("dL/dxhat", f["dxhat"], G, gamma),
        "dvar": chk.call("dL/dvar", f["dvar"], true["dxhat"], X, mu, var),
        "dmu": chk.call("dL/dmu", f["dmu"], true["dxhat"], X, mu, var, true["dvar"]),
        "dx": chk.call("dL/dx", f["dx"], true["dxhat"], X, mu, var, true["dvar"], true["dmu"]),
    }


@claim(source="seed 002, section 6", assignments=("cs229_ps2",))
def batchnorm_backward_formulas(**formulas: Callable[..., Arr]) -> Evidence:
    """The six backward formulas of batch norm: dL/dbeta = sum_i dL/dy_i, dL/dgamma =
    sum_i dL/dy_i * xhat_i, dL/dxhat_i = dL/dy_i * gamma, dL/dv = -1/2 v^{-3/2} sum_i
    dL/dxhat_i (x_i - mu), dL/dmu = -v^{-1/2} sum_i dL/dxhat_i, and eq. 16
    dL/dx_i = dL/dxhat_i / sqrt(v) + 2 (x_i - mu) dL/dv / m + dL/dmu / m.

    Keyword arguments replace any of ``SEED_FORMULAS`` by name."""
    unknown = sorted(set(formulas) - set(SEED_FORMULAS))
    if unknown:
        raise TypeError(f"unknown batch-norm formula(s) {unknown}; known: {sorted(SEED_FORMULAS)}")
    use = {**SEED_FORMULAS, **formulas}
    chk = Checker("batchnorm_backward_formulas", "numeric identity")
    exact = _sympy_derivatives(3, 2)
    for _ in chk.trial_range(3):
        X, gamma, beta = (chk.rng.normal(size=(3, 2)), chk.rng.normal(size=2),
                          chk.rng.normal(size=2))
        C, Q = chk.rng.normal(size=(3, 2)), chk.rng.normal(size=(3, 2))
        true = exact(X, gamma, beta, C, Q)
        got = _apply(chk, use, X, gamma=gamma, beta=beta, C=C, Q=Q, true=true)
        for key in SEED_FORMULAS:
            chk.close(f"{key} vs SymPy (m=3, D=2)", got[key], true[key], NUMERIC_TOL)
    for m, D in ((5, 3), (3, 4), (8, 1)):
        for _ in chk.trial_range(2):
            X, gamma, beta = (chk.rng.normal(size=(m, D)), chk.rng.normal(size=D),
                              chk.rng.normal(size=D))
            C, Q = chk.rng.normal(size=(m, D)), chk.rng.normal(size=(m, D))
            true = _true_derivatives(X, gamma, beta, C, Q)
            got = _apply(chk, use, X, gamma=gamma, beta=beta, C=C, Q=Q, true=true)
            for key in SEED_FORMULAS:
                chk.close(f"{key} vs central differences (m={m}, D={D})", got[key], true[key],
                          FD_TOL)
    chk.note("The seed's derivation of dL/dmu has a stray sum over dL/dv, but its final form is "
             "right because sum_i (x_i - mu) = 0")
    return chk.evidence(
        "all six formulas equal SymPy's exact derivatives of the forward graph at 3 random "
        "batches (m=3, D=2) and central differences at (m, D) = (5,3), (3,4), (8,1)")
