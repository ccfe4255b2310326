"""Softmax and cross-entropy (seed 001, problems 2 and 3; seed 000, output delta).

Candidate formulas are NumPy-style functions: the symbolic proof feeds them object arrays of SymPy
symbols, the numeric trials feed them floats and compare with central finite differences.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import sympy as sp

from reference.derivations._checks import FD_TOL, Checker, central_gradient, same_array, sym_array
from reference.derivations._registry import Evidence, claim

Arr = np.ndarray


def _softmax_rows(Z: Arr) -> Arr:
    """Row-wise softmax; object arrays give SymPy expressions, float arrays numbers."""
    if Z.dtype == object:
        E = np.vectorize(sp.exp, otypes=[object])(Z)
        return E / E.sum(axis=1, keepdims=True)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _log_softmax_sym(Z: Arr) -> Arr:
    out = np.empty_like(Z)
    for i in range(Z.shape[0]):
        lse = sp.log(sum(sp.exp(z) for z in Z[i]))
        for k in range(Z.shape[1]):
            out[i, k] = Z[i, k] - lse
    return out


def _swap(f: Callable[[Arr, Arr], float]) -> Callable[[Arr, Arr], float]:
    """f with its two arguments swapped (to hold the first fixed with functools.partial)."""
    return lambda a, b: f(b, a)


def _cross_entropy_of_scores(y: Arr, s: Arr) -> float:
    return float(-np.sum(y * np.log(_softmax_rows(s[None, :])[0])))


def _one_hot(rng: np.random.Generator, n: int, K: int) -> Arr:
    Y = np.zeros((n, K))
    Y[np.arange(n), rng.integers(0, K, size=n)] = 1.0
    return Y


def _labels_summing_to_one(n: int, K: int) -> Arr:
    """Symbolic label rows with y_iK = 1 - sum of the others (the only fact the proof uses)."""
    Y = sym_array("y", n, K)
    for i in range(n):
        Y[i, K - 1] = 1 - sum(Y[i, :K - 1])
    return Y


@claim(source="seed 001, section 2", assignments=("softmax_regression",))
def softmax_regression_gradients(
    *,
    grad_W: Callable[[Arr, Arr, Arr], Arr] = lambda X, Y, Yhat: -(X.T @ (Y - Yhat)) / X.shape[0],
    grad_b: Callable[[Arr, Arr, Arr], Arr] = lambda X, Y, Yhat: -(Y - Yhat).sum(axis=0)
    / X.shape[0],
) -> Evidence:
    """For Yhat = softmax(X W + b) and J = -(1/n) sum_i sum_k y_ik log yhat_ik (rows of X are
    samples, W is d x K, label rows sum to 1): dJ/dW = -(1/n) sum_i x_i (y_i - yhat_i)^T
    = -(1/n) X^T (Y - Yhat) (d x K) and dJ/db = -(1/n) sum_i (y_i - yhat_i) (length K)."""
    chk = Checker("softmax_regression_gradients", "symbolic")
    n, d, K = 2, 2, 3
    X, W, b = sym_array("x", n, d), sym_array("w", d, K), sym_array("b", K)
    Y = _labels_summing_to_one(n, K)
    Z = X @ W + b
    J = -sum(Y[i, k] * ls for (i, k), ls in np.ndenumerate(_log_softmax_sym(Z))) / n
    Yhat = _softmax_rows(Z)
    true_W = np.vectorize(lambda s: sp.diff(J, s), otypes=[object])(W)
    true_b = np.vectorize(lambda s: sp.diff(J, s), otypes=[object])(b)
    symbolic_ok = (same_array(chk, "dJ/dW", chk.call("dJ/dW", grad_W, X, Y, Yhat), true_W)
                   and same_array(chk, "dJ/db", chk.call("dJ/db", grad_b, X, Y, Yhat), true_b))

    # Finite differences at other sizes, one of them square (d = K) so a transposed dJ/dW cannot
    # hide behind a shape check.
    if symbolic_ok:
        for n, d, K in ((5, 3, 4), (4, 3, 3), (6, 2, 5)):
            for _ in chk.trial_range(2):
                Xn = chk.rng.normal(size=(n, d))
                Yn = _one_hot(chk.rng, n, K)
                Wn, bn = chk.rng.normal(size=(d, K)), chk.rng.normal(size=K)

                def loss(Wv: Arr, bv: Arr, Xn: Arr = Xn, Yn: Arr = Yn) -> float:
                    P = _softmax_rows(Xn @ Wv + bv)
                    return float(-np.sum(Yn * np.log(P)) / Xn.shape[0])

                Yhat_n = _softmax_rows(Xn @ Wn + bn)
                fd_W = central_gradient(functools.partial(_swap(loss), bn), Wn)
                fd_b = central_gradient(functools.partial(loss, Wn), bn)
                chk.close(f"dJ/dW (n={n}, d={d}, K={K})",
                          chk.call("dJ/dW", grad_W, Xn, Yn, Yhat_n), fd_W, FD_TOL)
                chk.close(f"dJ/db (n={n}, d={d}, K={K})",
                          chk.call("dJ/db", grad_b, Xn, Yn, Yhat_n), fd_b, FD_TOL)
    return chk.evidence(
        "both formulas equal SymPy's derivatives of J (n=2, d=2, K=3, symbolic labels with rows "
        "summing to 1), and central differences at three other sizes, one with d = K")


@claim(source="seed 001, section 3", assignments=("softmax_regression",))
def cross_entropy_is_negative_log_likelihood(
    *,
    factor: Callable[[int], sp.Expr] = sp.Integer,
) -> Evidence:
    """With P(D | W, b) = prod_i prod_k yhat_ik^(y_ik) (independent samples), the negative
    log-likelihood is n times the mean cross-entropy J = -(1/n) sum_i sum_k y_ik log yhat_ik."""
    chk = Checker("cross_entropy_is_negative_log_likelihood", "symbolic")
    for n, K in ((3, 3), (4, 2)):
        Yhat = sym_array("p", n, K, positive=True)
        Y = sym_array("y", n, K, nonnegative=True)
        likelihood = sp.Mul(*[p**y for p, y in zip(Yhat.flat, Y.flat, strict=True)])
        nll = sp.expand_log(-sp.log(likelihood), force=True)
        J = -sum(y * sp.log(p) for p, y in zip(Yhat.flat, Y.flat, strict=True)) / n
        chk.zero(f"-log P(D) - factor * J (n={n}, K={K})", nll - chk.call("factor", factor, n) * J)
    chk.note("The seed writes -log P(D) = J_CE after defining J_CE with a 1/n, so its identity is "
             "off by the factor n (harmless for the minimiser)")
    return chk.evidence("SymPy expands the log of the product likelihood (n, K) = (3, 3), (4, 2)")


@claim(source="seed 000, problem 1", assignments=("cs189_hw4_backprop",))
def softmax_cross_entropy_output_delta(
    *,
    delta: Callable[[Arr, Arr], Arr] = lambda x, y: x - y,
) -> Evidence:
    """For x = softmax(s) and J = -sum_j y_j ln x_j with sum_j y_j = 1, dJ/ds = x - y."""
    chk = Checker("softmax_cross_entropy_output_delta", "symbolic")
    K = 4
    s = sym_array("s", 1, K)
    y = _labels_summing_to_one(1, K)
    J = -sum(yk * ls for yk, ls in zip(y[0], _log_softmax_sym(s)[0], strict=True))
    true = np.array([sp.diff(J, sk) for sk in s[0]], dtype=object)
    got = chk.call("delta", delta, _softmax_rows(s)[0], y[0])
    if same_array(chk, "dJ/ds", got, true):
        for K in (3, 10):
            for _ in chk.trial_range(3):
                sn = chk.rng.normal(size=K) * 2
                yn = _one_hot(chk.rng, 1, K)[0]
                fd = central_gradient(functools.partial(_cross_entropy_of_scores, yn), sn)
                chk.close(f"dJ/ds (K={K})", chk.call("delta", delta,
                                                     _softmax_rows(sn[None, :])[0], yn), fd, FD_TOL)
    chk.note("The identity needs the labels to sum to 1 (one-hot)")
    return chk.evidence(
        "equals SymPy's derivative of J (K=4, symbolic labels summing to 1) and central "
        "differences for K = 3 and 10")
