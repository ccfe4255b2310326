"""The worked 2-2-1 network of seed 003, sections 3.1 and 3.3, in exact arithmetic.

Node 3 = sigmoid, node 4 = tanh (both as the seed defines them, in exp), node 5 linear, no
biases, L = (target - a5)^2. SymPy builds the network with exact rationals and exp, differentiates
L with respect to the six weight symbols, and evaluates every intermediate value to 30 digits.
The reference solution (``reference.mathml_hw4``) must match each value to 1e-12; the seed's own
printed numbers are compared too and the wrong ones are named in the detail (they do not change
the verdict, which is about the reference).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import sympy as sp

from reference.derivations._checks import Checker
from reference.derivations._registry import Evidence, claim

KEYS = ("W13", "W14", "W23", "W24", "W35", "W45")
#: The reference must agree with exact arithmetic to this relative error.
REFERENCE_TOL = 1e-12
#: A printed seed number counts as right when within this relative error (it rounds as it goes).
SEED_TOL = 1e-5


def exact_values(x: tuple[sp.Expr, sp.Expr], weights: Mapping[str, sp.Expr], target: sp.Expr,
                 lr: sp.Expr) -> dict[str, sp.Expr]:
    """Every intermediate quantity of one forward/backward/update pass, as exact expressions."""
    W = {k: sp.Symbol(k, real=True) for k in KEYS}
    z3 = W["W13"] * x[0] + W["W23"] * x[1]
    z4 = W["W14"] * x[0] + W["W24"] * x[1]
    a3 = 1 / (1 + sp.exp(-z3))
    a4 = (sp.exp(2 * z4) - 1) / (sp.exp(2 * z4) + 1)
    a5 = W["W35"] * a3 + W["W45"] * a4
    loss = (target - a5) ** 2
    at = dict(zip(W.values(), (weights[k] for k in KEYS), strict=True))
    out = {"z3": z3, "z4": z4, "a3": a3, "a4": a4, "a5": a5, "loss": loss}
    out.update({f"dL/d{k}": sp.diff(loss, W[k]) for k in KEYS})
    out = {k: v.subs(at) for k, v in out.items()}
    out.update({f"new {k}": weights[k] - lr * out[f"dL/d{k}"] for k in KEYS})
    return out


def _compare(chk: Checker, model: Any, *, x: tuple[sp.Expr, sp.Expr],
             weights: Mapping[str, sp.Expr], target: sp.Expr, lr: sp.Expr,
             seed_numbers: Mapping[str, float]) -> dict[str, float]:
    exact = {k: float(sp.N(v, 30)) for k, v in exact_values(x, weights, target, lr).items()}
    xf = [float(v) for v in x]
    Wf = {k: float(v) for k, v in weights.items()}
    fwd = chk.call("forward", model.forward, xf, Wf)
    grads = chk.call("gradients", model.gradients, xf, Wf, float(target))
    new = chk.call("sgd_step", model.sgd_step, xf, Wf, float(target), float(lr))
    got = {**{k: fwd.get(k) for k in ("z3", "z4", "a3", "a4", "a5")},
           **{f"dL/d{k}": grads.get(k) for k in KEYS},
           **{f"new {k}": new.get(k) for k in KEYS}}
    if hasattr(model, "loss"):
        got["loss"] = chk.call("loss", model.loss, fwd.get("a5"), float(target))
    for key, value in got.items():
        if value is None:
            chk.failures.append(f"the reference gives no value for {key}")
            continue
        chk.close(f"{key}", float(value), exact[key], REFERENCE_TOL)
    wrong = []
    for key, printed in seed_numbers.items():
        if abs(printed - exact[key]) > SEED_TOL * max(1.0, abs(exact[key])):
            wrong.append(f"{key} {printed:g} (exact {exact[key]:.6f})")
    if wrong:
        chk.note("The seed's numbers that are wrong: " + ", ".join(wrong))
    else:
        chk.note("The seed's printed numbers agree to 1e-5")
    return exact


def _model(model: Any) -> Any:
    if model is None:
        return importlib.import_module("reference.mathml_hw4")
    return model


#: Seed 003 section 3.1 as printed.
SEED_31 = {
    "a3": 0.26894, "a4": 0.96403, "a5": -0.42614473734, "loss": 2.03388881183,
    "dL/dW35": -0.76709878548, "dL/dW45": -2.74968571998, "dL/dW14": 0.20151660408,
    "dL/dW24": -0.20151660408, "dL/dW13": -1.12158829557, "dL/dW23": 1.12158829557,
    "new W13": 1.11215882956, "new W14": -1.02015166041, "new W23": 1.88784117044,
    "new W24": -2.97984833959, "new W35": 2.07670987855, "new W45": -0.72503142800,
}

#: Seed 003 section 3.3 as printed (it starts from the 3.1 weights rounded to 2 decimals).
SEED_33 = {
    "a3": 0.1776535274, "a4": 0.999212971, "a5": -0.3598839702, "loss": 5.5698839702,
    "dL/dW35": -0.838422073, "dL/dW45": -4.715996686, "dL/dW14": 0.001084788,
    "dL/dW24": -0.001084788, "dL/dW13": -2.882146, "dL/dW23": 2.882146,
    "new W13": 1.3982146, "new W14": -1.019891521, "new W23": 1.5917854,
    "new W24": -2.979891521, "new W35": 2.1638422073, "new W45": -0.2584003314,
}


@claim(source="seed 003, section 3.1", assignments=("mathml_hw4",))
def worked_network_first_iteration_exact(*, model: ModuleType | Any = None) -> Evidence:
    """x = (1, -1), W13..W45 = (1, -1, 2, -3, 2, -1), target 1, learning rate 0.1: the reference's
    forward pass, loss, six gradients and updated weights equal exact arithmetic to 1e-12."""
    chk = Checker("worked_network_first_iteration_exact", "exact arithmetic")
    chk.trials = 1
    weights = dict(zip(KEYS, map(sp.Integer, (1, -1, 2, -3, 2, -1)), strict=True))
    exact = _compare(chk, _model(model), x=(sp.Integer(1), sp.Integer(-1)), weights=weights,
                     target=sp.Integer(1), lr=sp.Rational(1, 10), seed_numbers=SEED_31)
    return chk.evidence(f"a5 = {exact['a5']:.9f}, loss = {exact['loss']:.9f}; all 18 values match")


@claim(source="seed 003, section 3.3", assignments=("mathml_hw4",))
def worked_network_second_iteration_exact(*, model: ModuleType | Any = None) -> Evidence:
    """From the 3.1 weights rounded to two decimals, x = (2, -2), target 2, learning rate 0.1:
    the reference matches exact arithmetic to 1e-12 (a3 = sigma(-1.54) = 0.176535...,
    a5 = -0.362232..., loss = 5.580140...)."""
    chk = Checker("worked_network_second_iteration_exact", "exact arithmetic")
    chk.trials = 1
    weights = dict(zip(KEYS, (sp.Rational(v, 100) for v in (111, -102, 188, -298, 208, -73)),
                       strict=True))
    exact = _compare(chk, _model(model), x=(sp.Integer(2), sp.Integer(-2)), weights=weights,
                     target=sp.Integer(2), lr=sp.Rational(1, 10), seed_numbers=SEED_33)
    chk.note("The seed evaluates e^{1.54} as 4.65235 (it is 4.66459), squares 2.35988 to "
             "5.56988 (it is 5.56905) and takes 1 - 0.999213^2 as 0.000157 (it is 0.001573); "
             "every number after a slip inherits it")
    return chk.evidence(f"a3 = {exact['a3']:.9f}, a5 = {exact['a5']:.9f}, "
                        f"loss = {exact['loss']:.9f}; all 18 values match")
