"""Each reference solution agrees with the derivation claim it rests on.

Where a claim checks NumPy functions (finite differences), the reference function is fed to the
claim itself as the candidate formula and must make it hold. Where a claim's candidates are
symbolic, the reference is compared on random inputs with the claim's verified formula (the
candidate's default) evaluated numerically.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy as sp

from reference import cs189_hw4_backprop as r000
from reference import cs229_ps2 as r002
from reference import mathml_hw4 as r003
from reference import softmax_regression as r001
from reference.derivations import activations as act
from reference.derivations import batchnorm as bn
from reference.derivations import least_squares as ls
from reference.derivations import matrix_calculus as mc
from reference.derivations import networks as nets
from reference.derivations import softmax as smx
from reference.derivations import worked_network as wn


def verified(claim: Callable[..., Any], name: str) -> Callable[..., Any]:
    """The claim's verified formula: the default of its candidate parameter ``name``."""
    default = inspect.signature(claim).parameters[name].default
    assert default is not inspect.Parameter.empty
    return default


def sym_eval(formula: Callable[..., sp.Matrix], *args: Any) -> np.ndarray:
    """Evaluate a SymPy-style formula (``*`` is the matrix product) on NumPy data."""
    def to_sym(a: Any) -> Any:
        a = np.asarray(a, dtype=float)
        if a.ndim == 0:
            return sp.Float(float(a))
        return sp.Matrix(a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(-1, 1))
    out = formula(*(to_sym(a) for a in args))
    return np.array(out.tolist(), dtype=float).squeeze()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(189)


# --- cs189_hw4_backprop (seed 000) -------------------------------------------------------------

def test_cs189_relu_grad_is_the_verified_relu_derivative() -> None:
    """reference relu_grad makes relu_derivative_is_step hold."""
    assert act.relu_derivative_is_step(derivative=r000.relu_grad).verdict == "holds"


def test_cs189_deltas_make_backprop_claim_hold() -> None:
    """reference output_delta and hidden_delta, plugged into the backprop claim, hold."""
    evidence = nets.backprop_deltas_give_weight_gradients(
        output_delta=r000.output_delta,
        hidden_delta=lambda s, W, delta, g: r000.hidden_delta(s, W, delta),
        g_prime=r000.relu_grad)
    assert evidence.verdict == "holds", evidence.detail


def test_cs189_output_delta_matches_verified_x_minus_y(rng: np.random.Generator) -> None:
    """reference output_delta equals the verified delta x - y on random softmax outputs."""
    formula = verified(smx.softmax_cross_entropy_output_delta, "delta")
    for K in (3, 10):
        x2 = r000.softmax(rng.normal(size=K))
        y = np.eye(K)[rng.integers(K)]
        np.testing.assert_allclose(r000.output_delta(x2, y), formula(x2, y), rtol=1e-12)


def test_cs189_gradients_and_sgd_match_verified_formulas(rng: np.random.Generator) -> None:
    """reference gradients, batch_gradients and sgd_step follow the verified deltas and the
    update W - eta x^(l-1) delta^(l)T."""
    hidden = verified(nets.backprop_deltas_give_weight_gradients, "hidden_delta")
    g_prime = verified(nets.backprop_deltas_give_weight_gradients, "g_prime")
    outer = verified(nets.backprop_deltas_give_weight_gradients, "weight_gradient")
    X = rng.normal(size=(4, 3))
    Y = np.eye(5)[rng.integers(5, size=4)]
    W1, W2 = rng.normal(size=(4, 6)), rng.normal(size=(7, 5))
    per_example = []
    for x, y in zip(X, Y, strict=True):
        f = r000.forward(x, W1, W2)
        d2 = f["x2"] - y
        d1 = hidden(f["s1"], W2, d2, g_prime)
        want = {"W1": outer(f["x0"], d1), "W2": outer(f["x1"], d2)}
        got = r000.gradients(x, y, W1, W2)
        for key, value in want.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-12, atol=1e-14)
        step = r000.sgd_step(x, y, W1, W2, 0.1)
        np.testing.assert_allclose(step["W1"], W1 - 0.1 * want["W1"], rtol=1e-12)
        per_example.append(want)
    batch = r000.batch_gradients(X, Y, W1, W2)
    for key in ("W1", "W2"):
        mean = np.mean([g[key] for g in per_example], axis=0)
        np.testing.assert_allclose(batch[key], mean, rtol=1e-10, atol=1e-14)


# --- softmax_regression (seed 001; columns are samples) ----------------------------------------

def test_softmax_regression_newton_pieces_match_verified(rng: np.random.Generator) -> None:
    """reference mse_gradient, mse_hessian, newton_step and least_squares equal the verified
    columns-convention formulas."""
    claim = ls.newton_one_step_reaches_least_squares
    for d, n in ((2, 5), (4, 9)):
        X, y, w = rng.normal(size=(d, n)), rng.normal(size=n), rng.normal(size=d)
        np.testing.assert_allclose(r001.mse_gradient(X, y, w),
                                   sym_eval(verified(claim, "gradient"), X, y, w), rtol=1e-10)
        np.testing.assert_allclose(r001.mse_hessian(X),
                                   sym_eval(verified(claim, "hessian"), X, y, w), rtol=1e-10)
        star = sym_eval(verified(claim, "solution"), X, y)
        np.testing.assert_allclose(r001.newton_step(X, y, w), star, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(r001.least_squares(X, y), star, rtol=1e-8, atol=1e-10)


def test_softmax_regression_gradients_match_verified(rng: np.random.Generator) -> None:
    """reference softmax_gradients equals -(1/n) X (Y - Yhat)^T and -(1/n) sum (y - yhat)."""
    grad_W = verified(smx.softmax_regression_gradients, "grad_W")
    grad_b = verified(smx.softmax_regression_gradients, "grad_b")
    for d, K, n in ((3, 4, 7), (4, 4, 5)):
        X, W, b = rng.normal(size=(d, n)), rng.normal(size=(d, K)), rng.normal(size=K)
        Y = np.eye(K)[:, rng.integers(K, size=n)]
        P = r001.predict_proba(X, W, b)
        got = r001.softmax_gradients(X, Y, W, b)
        # The claim is stated with rows as samples: transpose in, same (d, K) and (K,) out.
        np.testing.assert_allclose(got["W"], grad_W(X.T, Y.T, P.T), rtol=1e-12)
        np.testing.assert_allclose(got["b"], grad_b(X.T, Y.T, P.T), rtol=1e-12)


def test_softmax_regression_nll_is_n_times_cross_entropy(rng: np.random.Generator) -> None:
    """reference negative_log_likelihood = factor(n) * cross_entropy with the verified factor n."""
    factor = verified(smx.cross_entropy_is_negative_log_likelihood, "factor")
    d, K, n = 3, 4, 6
    X, W, b = rng.normal(size=(d, n)), rng.normal(size=(d, K)), rng.normal(size=K)
    Y = np.eye(K)[:, rng.integers(K, size=n)]
    nll = r001.negative_log_likelihood(X, Y, W, b)
    ce = r001.cross_entropy(Y, r001.predict_proba(X, W, b))
    assert nll == pytest.approx(float(factor(n)) * ce, rel=1e-12)


# --- cs229_ps2 (seed 002) ----------------------------------------------------------------------

def test_cs229_map_gaussian_is_verified_ridge(rng: np.random.Generator) -> None:
    """reference map_gaussian equals the ridge closed form with lambda = sigma^2 / eta^2."""
    lam = verified(ls.map_gaussian_prior_is_ridge, "lam")
    solution = verified(ls.ridge_minimiser_closed_form, "solution")
    sigma, eta = 0.7, 1.9
    lam_value = lam(sp.Float(sigma), sp.Float(eta))
    for n, d in ((8, 3), (3, 5)):
        X, y = rng.normal(size=(n, d)), rng.normal(size=n)
        want = sym_eval(lambda Xs, ys: solution(Xs, ys, lam_value), X, y)
        np.testing.assert_allclose(r002.map_gaussian(X, y, sigma, eta), want, rtol=1e-8)


def test_cs229_laplace_gamma_and_minimiser(rng: np.random.Generator) -> None:
    """reference laplace_gamma is 2 sigma^2 / b, and map_laplace satisfies the optimality
    conditions of ||y - X theta||^2 + gamma ||theta||_1."""
    gamma_of = verified(ls.map_laplace_prior_is_l1, "gamma")
    assert r002.laplace_gamma(0.8, 1.5) == pytest.approx(float(gamma_of(0.8, 1.5)), rel=1e-12)
    X, y = rng.normal(size=(20, 5)), rng.normal(size=20)
    sigma, b = 1.0, 0.5
    gamma = float(gamma_of(sigma, b))
    theta = r002.map_laplace(X, y, sigma, b)
    grad = 2.0 * X.T @ (X @ theta - y)
    active = np.abs(theta) > 1e-9
    assert active.any() and not active.all()  # the case exercises both conditions
    np.testing.assert_allclose(grad[active], -gamma * np.sign(theta[active]), atol=1e-6)
    assert np.all(np.abs(grad[~active]) <= gamma + 1e-6)


def test_cs229_perceptron_stays_in_span_for_dot_kernel(rng: np.random.Generator) -> None:
    """reference perceptron_train's betas give theta = sum_j beta_j x_j of the explicit
    perceptron (dot kernel: phi = identity), and perceptron_predict matches it."""
    X = rng.normal(size=(25, 2))
    y = (X[:, 0] + 0.3 * X[:, 1] > 0.1).astype(float)
    beta = r002.perceptron_train(X, y, "dot", lr=0.5)
    theta = np.zeros(2)
    for x, label in zip(X, y, strict=True):
        theta = theta + 0.5 * (label - (1.0 if theta @ x >= 0 else 0.0)) * x
    np.testing.assert_allclose(beta @ X, theta, rtol=1e-12, atol=1e-12)
    new = rng.normal(size=(10, 2))
    np.testing.assert_array_equal(r002.perceptron_predict(X, beta, new, "dot"),
                                  (new @ theta >= 0).astype(int))


def test_cs229_two_layer_gradients_make_claim_hold() -> None:
    """reference two_layer_gradients makes the sigmoid-output network claim hold."""
    evidence = nets.two_layer_sigmoid_output_network_gradients(
        gradients=r002.two_layer_gradients)
    assert evidence.verdict == "holds", evidence.detail


def test_cs229_batchnorm_backward_matches_verified_formulas(rng: np.random.Generator) -> None:
    """reference batchnorm_backward (eps = 0) equals the six verified formulas and central
    differences of the forward pass."""
    f = bn.SEED_FORMULAS
    for m, D in ((5, 3), (3, 1)):
        X, gamma = rng.normal(size=(m, D)), rng.normal(size=D)
        beta, C, Q = rng.normal(size=D), rng.normal(size=(m, D)), rng.normal(size=(m, D))
        mu, var, xhat, Y = bn._forward(X, gamma, beta)
        G = C + 2.0 * Q * Y
        got = r002.batchnorm_backward(G, X, gamma, eps=0.0)
        dxhat = f["dxhat"](G, gamma)
        dvar = f["dvar"](dxhat, X, mu, var)
        dmu = f["dmu"](dxhat, X, mu, var, dvar)
        want = {"dbeta": f["dbeta"](G), "dgamma": f["dgamma"](G, xhat), "dx_hat": dxhat,
                "dvar": dvar, "dmu": dmu, "dx": f["dx"](dxhat, X, mu, var, dvar, dmu)}
        for key, value in want.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-9, atol=1e-12, err_msg=key)
        fd = bn._true_derivatives(X, gamma, beta, C, Q)
        np.testing.assert_allclose(got["dx"], fd["dx"], rtol=1e-5, atol=1e-6)


# --- mathml_hw4 (seed 003) ---------------------------------------------------------------------

def test_mathml_worked_network_reference_is_exact() -> None:
    """reference forward, loss, gradients and sgd_step pass both exact-arithmetic claims."""
    for claim in (wn.worked_network_first_iteration_exact,
                  wn.worked_network_second_iteration_exact):
        evidence = claim(model=r003)
        assert evidence.verdict == "holds", evidence.detail
        assert evidence.worst_error <= 1e-12


def test_mathml_warmups_match_verified(rng: np.random.Generator) -> None:
    """reference warm-up gradients and Hessians equal the verified answers (Hessians flattened
    row-major)."""
    n, m = 3, 2
    M, x = rng.normal(size=(m, m)), rng.normal(size=m)
    np.testing.assert_allclose(r003.warmup1_jacobian(M, x),
                               verified(mc.warmup_linear_map_derivatives, "jacobian")(M, x))
    M2, X2 = rng.normal(size=(m, n)), rng.normal(size=(n, m))
    np.testing.assert_allclose(r003.warmup2_gradient(M2, X2),
                               verified(mc.warmup_trace_product_gradient, "gradient")(M2, X2))
    X3 = rng.normal(size=(n, m))
    np.testing.assert_allclose(r003.warmup3_gradient(X3),
                               verified(mc.warmup_frobenius_norm_gradient, "gradient")(X3))
    H3 = verified(mc.warmup_frobenius_norm_gradient, "hessian")(X3).astype(float)
    np.testing.assert_allclose(r003.warmup3_hessian(X3), H3.reshape(X3.size, X3.size))
    X4, a4, b4 = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)
    np.testing.assert_allclose(r003.warmup4_gradient(X4, a4, b4),
                               verified(mc.warmup_bilinear_form_gradient, "gradient")(a4, X4, b4))
    X5, a5, b5 = rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=m)
    np.testing.assert_allclose(r003.warmup5_gradient(X5, a5, b5),
                               verified(mc.warmup_quadratic_form_gradient, "gradient")(a5, X5, b5))
    H5 = verified(mc.warmup_quadratic_form_gradient, "hessian")(a5, X5, b5).astype(float)
    np.testing.assert_allclose(r003.warmup5_hessian(X5, a5, b5), H5.reshape(X5.size, X5.size))


def test_mathml_ridge_matches_verified(rng: np.random.Generator) -> None:
    """reference ridge_solution equals the verified closed form, and ridge_gradient equals
    2 (X^T X + lambda I) beta - 2 X^T y, zero at the solution."""
    solution = verified(ls.ridge_minimiser_closed_form, "solution")
    for n, d in ((10, 3), (2, 4)):
        X, y, lam = rng.normal(size=(n, d)), rng.normal(size=n), 0.7
        want = sym_eval(lambda Xs, ys, lam=lam: solution(Xs, ys, sp.Float(lam)), X, y)
        np.testing.assert_allclose(r003.ridge_solution(X, y, lam), want, rtol=1e-8)
        beta = rng.normal(size=d)
        np.testing.assert_allclose(r003.ridge_gradient(X, y, beta, lam),
                                   2 * (X.T @ X + lam * np.eye(d)) @ beta - 2 * X.T @ y,
                                   rtol=1e-10)
        np.testing.assert_allclose(r003.ridge_gradient(X, y, want, lam), 0.0, atol=1e-8)


def test_mathml_mlp_gradients_make_claims_hold() -> None:
    """reference mlp_gradients and mlp2_gradients make the one- and two-hidden-layer claims
    hold."""
    one = {"Wh": "W_h", "bh": "b_h", "Wo": "W_o", "bo": "b_o"}
    two = {"W1": "W_h1", "b1": "b_h1", "W2": "W_h2", "b2": "b_h2", "Wo": "W_o", "bo": "b_o"}

    def adapt(fn: Callable[..., dict], names: dict[str, str]) -> Callable[..., dict]:
        def grads(X: np.ndarray, Y: np.ndarray, p: dict) -> dict:
            g = fn(X, Y, {names[k]: v for k, v in p.items()})
            return {ours: g[theirs] for ours, theirs in names.items()}
        return grads

    assert nets.one_hidden_layer_mlp_gradients(
        gradients=adapt(r003.mlp_gradients, one)).verdict == "holds"
    assert nets.two_hidden_layer_mlp_gradients(
        gradients=adapt(r003.mlp2_gradients, two)).verdict == "holds"


def test_mathml_sigmoid_matches_verified_derivative() -> None:
    """reference sigmoid_array's derivative s (1 - s) is the verified sigma'."""
    formula = verified(act.sigmoid_derivative_is_s_times_one_minus_s, "derivative")
    s = sp.Symbol("s", real=True)
    f = sp.lambdify(s, formula(s), "math")
    for z in (-3.0, -0.2, 0.0, 1.7):
        sig = float(r003.sigmoid_array(np.array([z]))[0])
        assert sig * (1 - sig) == pytest.approx(f(z), rel=1e-12)
