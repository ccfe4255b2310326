"""Derivatives of the activation functions (seeds 000, 002, 003)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from reference.derivations._checks import FD_TOL, Checker, central_gradient
from reference.derivations._registry import Evidence, claim


def _sigmoid(s: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-s))


def _scalar_derivative_claim(name: str, f: Callable[[sp.Expr], sp.Expr],
                             candidate: Callable[[sp.Expr], sp.Expr]) -> Checker:
    """Symbolic d f/ds against the candidate, then central differences at random points."""
    chk = Checker(name, "symbolic")
    s = sp.Symbol("s", real=True)
    got = chk.call("the derivative", candidate, s)
    # Rewriting in exp lets tanh(s) and (e^{2s} - 1)/(e^{2s} + 1) meet: simplify alone misses it.
    if chk.zero("f'(s) - candidate(s)", (sp.diff(f(s), s) - got).rewrite(sp.exp)):
        f_num = sp.lambdify(s, f(s), "math")
        g_num = sp.lambdify(s, got, "math")
        for _ in chk.trial_range(8):
            point = float(chk.rng.uniform(-4, 4))
            fd = central_gradient(lambda v: f_num(float(v[0])), np.array([point]))[0]
            chk.close(f"derivative at s={point:.3f}", g_num(point), fd, FD_TOL)
    return chk


@claim(source="seed 003, sections 3.1 and 3.4; seed 002, section 5(a)",
       assignments=("mathml_hw4", "cs229_ps2", "cs189_hw4_backprop"))
def sigmoid_derivative_is_s_times_one_minus_s(
    *,
    derivative: Callable[[sp.Expr], sp.Expr] = lambda s: _sigmoid(s) * (1 - _sigmoid(s)),
) -> Evidence:
    """sigma'(s) = sigma(s) (1 - sigma(s)) for sigma(s) = 1 / (1 + e^{-s})."""
    chk = _scalar_derivative_claim("sigmoid_derivative_is_s_times_one_minus_s", _sigmoid,
                                   derivative)
    return chk.evidence("SymPy's derivative of 1/(1+e^-s) minus the formula is identically zero; "
                        "central differences agree at random points")


@claim(source="seed 003, section 3.1", assignments=("mathml_hw4", "cs189_hw4_backprop"))
def tanh_derivative_is_one_minus_tanh_squared(
    *,
    derivative: Callable[[sp.Expr], sp.Expr] = lambda s: 1 - sp.tanh(s) ** 2,
) -> Evidence:
    """tanh'(s) = 1 - tanh(s)^2, with tanh(s) = (e^{2s} - 1) / (e^{2s} + 1)."""
    chk = _scalar_derivative_claim(
        "tanh_derivative_is_one_minus_tanh_squared",
        lambda s: (sp.exp(2 * s) - 1) / (sp.exp(2 * s) + 1),  # the seed's definition, not sp.tanh
        derivative)
    return chk.evidence("SymPy's derivative of (e^2s - 1)/(e^2s + 1) minus the formula is "
                        "identically zero; central differences agree at random points")


def _relu(s: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, s)


@claim(source="seed 000, problem 1", assignments=("cs189_hw4_backprop",))
def relu_derivative_is_step(
    *,
    derivative: Callable[[np.ndarray], np.ndarray] = lambda s: (s > 0).astype(float),
) -> Evidence:
    """ReLU'(s) is the step function: 1 for s > 0, 0 for s < 0 (undefined at 0; 0 by convention).
    The seed's g'(s) = max(0, s) is ReLU itself, not its derivative."""
    chk = Checker("relu_derivative_is_step", "numeric identity")
    s = sp.Symbol("s", real=True)
    symbolic = sp.diff(sp.Max(0, s), s)  # SymPy answers Heaviside(s)
    heaviside = sp.lambdify(s, symbolic, "numpy")
    for scale in (0.01, 1.0, 10.0):
        for _ in chk.trial_range(4):
            # Points away from the kink, on both sides, at several scales (a formula that is
            # right only near |s| = 1 is still caught).
            points = chk.rng.uniform(0.1, 3.0, size=6) * scale * chk.rng.choice([-1.0, 1.0], size=6)
            got = np.asarray(chk.call("ReLU'", derivative, points), dtype=float)
            fd = np.array([central_gradient(lambda v: float(_relu(v)[0]), np.array([p]),
                                            h=1e-4 * scale)[0] for p in points])
            chk.close(f"ReLU' vs central differences (|s| ~ {scale:g})", got, fd, FD_TOL)
            chk.close(f"ReLU' vs SymPy's {symbolic} (|s| ~ {scale:g})", got,
                      np.asarray(heaviside(points), dtype=float))
    return chk.evidence(
        f"SymPy differentiates Max(0, s) to {symbolic}; the formula matches it and central "
        "differences at 72 random points on both sides of 0")
