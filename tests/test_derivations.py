"""Every derivation claim holds, and planted wrong formulas are rejected by the same checks."""

from __future__ import annotations

import types
from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp

from reference import mathml_hw4
from reference.derivations import ASSIGNMENTS, METHODS, REGISTRY, claims_for
from reference.derivations import activations as act
from reference.derivations import batchnorm as bn
from reference.derivations import kernels as ker
from reference.derivations import least_squares as ls
from reference.derivations import matrix_calculus as mc
from reference.derivations import networks as nets
from reference.derivations import softmax as smx
from reference.derivations import worked_network as wn
from reference.derivations._checks import Checker, is_zero, rng_for

# --- every claim holds -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REGISTRY))
def test_claim_holds(name: str) -> None:
    """Each registered claim holds with its correct formulas and says how it was shown."""
    evidence = REGISTRY[name].check()
    assert evidence.verdict == "holds", evidence.detail
    assert evidence.method in METHODS
    assert evidence.worst_error < 1e-6
    assert evidence.detail


def test_every_assignment_has_claims_and_sources_name_their_seed() -> None:
    """Each of the four assignments has claims, and each claim's source cites its seed."""
    for assignment, seed in ASSIGNMENTS.items():
        claims = claims_for([assignment])
        assert claims, assignment
        assert any(f"seed {seed}" in c.source for c in claims)
    for c in REGISTRY.values():
        assert c.source.startswith("seed 00"), c.source
        assert c.statement


def test_claims_for_rejects_unknown_assignment() -> None:
    """An unknown assignment name raises KeyError naming it."""
    with pytest.raises(KeyError, match="cs999"):
        claims_for(["cs999"])


def test_required_claims_are_registered() -> None:
    """The claims the assignments rest on are all present under their names."""
    required = {
        "newton_one_step_reaches_least_squares", "newton_one_step_reaches_least_squares_rows",
        "ridge_minimiser_closed_form", "map_gaussian_prior_is_ridge", "map_laplace_prior_is_l1",
        "softmax_regression_gradients", "cross_entropy_is_negative_log_likelihood",
        "softmax_cross_entropy_output_delta", "relu_derivative_is_step",
        "sigmoid_derivative_is_s_times_one_minus_s", "tanh_derivative_is_one_minus_tanh_squared",
        "batchnorm_backward_formulas", "two_layer_sigmoid_network_gradients",
        "two_layer_sigmoid_output_network_gradients",
        "one_hidden_layer_mlp_gradients", "two_hidden_layer_mlp_gradients",
        "warmup_linear_map_derivatives", "warmup_trace_product_gradient",
        "warmup_frobenius_norm_gradient", "warmup_bilinear_form_gradient",
        "warmup_quadratic_form_gradient", "kernel_perceptron_stays_in_span",
        "worked_network_first_iteration_exact", "worked_network_second_iteration_exact",
    }
    assert required <= set(REGISTRY)


# --- planted wrong formulas are rejected --------------------------------------------------------

def _relu_as_derivative(s: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, s)


def _bad_mlp1(mutate: Callable[[dict, np.ndarray], dict]) -> Callable:
    def grads(X: np.ndarray, Y: np.ndarray, p: dict) -> dict:
        return mutate(nets._mlp1_grads(X, Y, p), X)
    return grads


PLANTED: dict[str, Callable[[], object]] = {
    # Newton (seed 001): dropped 1/n in the gradient, transposed Hessian product, wrong solution.
    "newton gradient without 1/n": lambda: ls.newton_one_step_reaches_least_squares(
        gradient=lambda X, y, w: X * (X.T * w - y)),
    "newton gradient sign error": lambda: ls.newton_one_step_reaches_least_squares(
        gradient=lambda X, y, w: X * (y - X.T * w) / X.cols),
    "newton Hessian X^T X in columns convention": lambda: ls.newton_one_step_reaches_least_squares(
        hessian=lambda X, y, w: X.T * X / X.cols),
    "newton solution (X^T X)^-1 X^T y in columns convention":
        lambda: ls.newton_one_step_reaches_least_squares(
            solution=lambda X, y: (X.T * X).inv(method="ADJ") * X.T * y),
    "rows convention Hessian without 1/n": lambda: ls.newton_one_step_reaches_least_squares_rows(
        hessian=lambda X, y, w: X.T * X),
    # Ridge and MAP (seeds 002, 003).
    "ridge without lambda": lambda: ls.ridge_minimiser_closed_form(
        solution=lambda X, y, lam: (X.T * X + sp.eye(X.cols)).inv(method="ADJ") * X.T * y),
    "ridge with 2 lambda": lambda: ls.ridge_minimiser_closed_form(
        solution=lambda X, y, lam: (X.T * X + 2 * lam * sp.eye(X.cols)).inv(method="ADJ")
        * X.T * y),
    "MAP lambda = 1/(2 eta^2) in the ridge form": lambda: ls.map_gaussian_prior_is_ridge(
        lam=lambda sigma, eta: 1 / (2 * eta**2)),
    "MAP lambda inverted": lambda: ls.map_gaussian_prior_is_ridge(
        lam=lambda sigma, eta: eta**2 / sigma**2),
    "Laplace gamma = sigma^2 / b": lambda: ls.map_laplace_prior_is_l1(
        gamma=lambda sigma, b: sigma**2 / b),
    "Gaussian prior weight 1/eta^2": lambda: ls.gaussian_prior_gives_l2_penalty(
        weight=lambda eta: 1 / eta**2),
    # Softmax (seeds 000, 001).
    "softmax dJ/dW without 1/n": lambda: smx.softmax_regression_gradients(
        grad_W=lambda X, Y, P: -(X.T @ (Y - P))),
    "softmax dJ/dW transposed": lambda: smx.softmax_regression_gradients(
        grad_W=lambda X, Y, P: -((Y - P).T @ X) / X.shape[0]),
    "softmax dJ/dW sign error": lambda: smx.softmax_regression_gradients(
        grad_W=lambda X, Y, P: (X.T @ (Y - P)) / X.shape[0]),
    "softmax dJ/db summed, not averaged": lambda: smx.softmax_regression_gradients(
        grad_b=lambda X, Y, P: -(Y - P).sum(axis=0)),
    "NLL equals J_CE without the factor n": lambda: smx.cross_entropy_is_negative_log_likelihood(
        factor=lambda n: sp.Integer(1)),
    "output delta y - x": lambda: smx.softmax_cross_entropy_output_delta(
        delta=lambda x, y: y - x),
    # Activations (seeds 000, 002, 003).
    "ReLU' = max(0, s)": lambda: act.relu_derivative_is_step(derivative=_relu_as_derivative),
    "ReLU' = 1 everywhere": lambda: act.relu_derivative_is_step(
        derivative=np.ones_like),
    "sigma' = s (1 - s) on the input": lambda: act.sigmoid_derivative_is_s_times_one_minus_s(
        derivative=lambda s: s * (1 - s)),
    "tanh' = 1 - tanh": lambda: act.tanh_derivative_is_one_minus_tanh_squared(
        derivative=lambda s: 1 - sp.tanh(s)),
    # Backprop (seed 000) with the seed's ReLU' plugged in.
    "backprop with ReLU' = max(0, s)": lambda: nets.backprop_deltas_give_weight_gradients(
        g_prime=_relu_as_derivative),
    "backprop gradient delta x^T (transposed)": lambda: nets.backprop_deltas_give_weight_gradients(
        weight_gradient=lambda x_prev, delta: np.outer(delta, x_prev)),
    "backprop keeps the bias row in the hidden delta":
        lambda: nets.backprop_deltas_give_weight_gradients(
            hidden_delta=lambda s, W, d, g: g(s) * (W[:-1, :] @ d)),
    # Networks (seeds 002, 003).
    "two-layer dL/dJ = 1 (dropped 1/n)": lambda: nets.two_layer_sigmoid_network_gradients(
        gradients=lambda X, y, W1, W2: {k: v * X.shape[0] for k, v in
                                        nets._two_layer_grads(X, y, W1, W2).items()}),
    "sigmoid-output network without o (1 - o)": lambda:
        nets.two_layer_sigmoid_output_network_gradients(gradients=_no_output_sigmoid_prime),
    "MLP dWh without 1/N": lambda: nets.one_hidden_layer_mlp_gradients(
        gradients=_bad_mlp1(lambda g, X: {**g, "Wh": g["Wh"] * X.shape[0]})),
    "MLP dWo sign error": lambda: nets.one_hidden_layer_mlp_gradients(
        gradients=_bad_mlp1(lambda g, X: {**g, "Wo": -g["Wo"]})),
    "MLP missing dbh": lambda: nets.one_hidden_layer_mlp_gradients(
        gradients=_bad_mlp1(lambda g, X: {k: v for k, v in g.items() if k != "bh"})),
    "two-hidden MLP without layer-2 sigmoid' in layer 1": lambda:
        nets.two_hidden_layer_mlp_gradients(gradients=_two_hidden_seed_mistake),
    # Batch norm (seed 002): one wrong formula at a time.
    "batch norm dL/dvar without -1/2": lambda: bn.batchnorm_backward_formulas(
        dvar=lambda dxhat, x, mu, var: (dxhat * (x - mu)).sum(axis=0) * var**-1.5),
    "batch norm dL/dmu with the wrong sign": lambda: bn.batchnorm_backward_formulas(
        dmu=lambda dxhat, x, mu, var, dvar: dxhat.sum(axis=0) / np.sqrt(var)),
    "batch norm eq. 16 without the dL/dmu term": lambda: bn.batchnorm_backward_formulas(
        dx=lambda dxhat, x, mu, var, dvar, dmu: dxhat / np.sqrt(var)
        + 2.0 * (x - mu) / x.shape[0] * dvar),
    "batch norm dL/dgamma without xhat": lambda: bn.batchnorm_backward_formulas(
        dgamma=lambda G, xhat: G.sum(axis=0)),
    "batch norm dL/dbeta averaged": lambda: bn.batchnorm_backward_formulas(
        dbeta=lambda G: G.mean(axis=0)),
    "batch norm dL/dxhat without gamma": lambda: bn.batchnorm_backward_formulas(
        dxhat=lambda G, gamma: G),
    # Matrix warm-ups (seed 003): the seed's own wrong answers.
    "warm-up 5: the seed's 2 X b a^T": lambda: mc.warmup_quadratic_form_gradient(
        gradient=lambda a, X, b: 2 * X @ np.outer(b, a)),
    "warm-up 5: the seed's second derivative 2 b a^T": lambda: mc.warmup_quadratic_form_gradient(
        hessian=lambda a, X, b: 2 * np.outer(b, a)),
    "warm-up 4: transposed b a^T": lambda: mc.warmup_bilinear_form_gradient(
        gradient=lambda a, X, b: np.outer(b, a)),
    "warm-up 2: M instead of M^T": lambda: mc.warmup_trace_product_gradient(
        gradient=lambda M, X: M),
    "warm-up 3: gradient X": lambda: mc.warmup_frobenius_norm_gradient(gradient=lambda X: X),
    "warm-up 1: Jacobian M M^T": lambda: mc.warmup_linear_map_derivatives(
        jacobian=lambda M, x: M @ M.T),
    # Kernel perceptron (seed 002).
    "kernel (x^T z)^2 for the (1 + x^T z)^2 features": lambda:
        ker.kernel_perceptron_stays_in_span(kernel=lambda x, z: (x @ z) ** 2),
    "kernel score ignoring the betas": lambda: ker.kernel_perceptron_stays_in_span(
        score=lambda betas, seen, x, k: float(sum(k(xj, x) for xj in seen))),
    # Worked network (seed 003): a reference with tanh' = 1 - tanh.
    "worked network with a wrong tanh'": lambda: wn.worked_network_first_iteration_exact(
        model=_wrong_tanh_model()),
    "worked network 3.3 with gradients from the wrong weights": lambda:
        wn.worked_network_second_iteration_exact(model=_stale_weights_model()),
}


def _no_output_sigmoid_prime(  # noqa: PLR0917  (the signature under test)
        X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray,
                             W2: np.ndarray, b2: float) -> dict:
    H = nets._sigmoid(X @ W1 + b1)
    o = nets._sigmoid(H @ W2 + b2)
    dz2 = 2.0 / X.shape[0] * (o - y)  # forgets the output sigmoid's derivative
    dZ1 = np.outer(dz2, W2) * H * (1 - H)
    return {"dW1": X.T @ dZ1, "db1": dZ1.sum(axis=0), "dW2": H.T @ dz2, "db2": dz2.sum()}


def _two_hidden_seed_mistake(X: np.ndarray, Y: np.ndarray, p: dict) -> dict:
    g = nets._mlp2_grads(X, Y, p)
    N = X.shape[0]
    H1 = nets._sigmoid(X @ p["W1"] + p["b1"])
    H2 = nets._sigmoid(H1 @ p["W2"] + p["b2"])
    G = -2.0 / N * (Y - (H2 @ p["Wo"] + p["bo"]))
    dA1 = (G @ p["Wo"].T @ p["W2"].T) * H1 * (1 - H1)  # the seed skips H2 (1 - H2)
    return {**g, "W1": X.T @ dA1, "b1": dA1.sum(axis=0)}


def _wrong_tanh_model() -> types.SimpleNamespace:
    def gradients(x: list[float], W: dict, target: float) -> dict:
        g = mathml_hw4.gradients(x, W, target)
        f = mathml_hw4.forward(x, W)
        scale = (1.0 - f["a4"]) / (1.0 - f["a4"] ** 2)
        return {**g, "W14": g["W14"] * scale, "W24": g["W24"] * scale}

    def sgd_step(x: list[float], W: dict, target: float, lr: float) -> dict:
        g = gradients(x, W, target)
        return {k: W[k] - lr * g[k] for k in W}

    return types.SimpleNamespace(forward=mathml_hw4.forward, gradients=gradients,
                                 sgd_step=sgd_step, loss=mathml_hw4.loss)


def _stale_weights_model() -> types.SimpleNamespace:
    first = {"W13": 1.0, "W14": -1.0, "W23": 2.0, "W24": -3.0, "W35": 2.0, "W45": -1.0}

    def gradients(x: list[float], W: dict, target: float) -> dict:
        return mathml_hw4.gradients(x, first, target)

    def sgd_step(x: list[float], W: dict, target: float, lr: float) -> dict:
        g = gradients(x, W, target)
        return {k: W[k] - lr * g[k] for k in W}

    return types.SimpleNamespace(forward=mathml_hw4.forward, gradients=gradients,
                                 sgd_step=sgd_step, loss=mathml_hw4.loss)


@pytest.mark.parametrize("planted", list(PLANTED))
def test_planted_wrong_formula_is_rejected(planted: str) -> None:
    """A wrong formula fed to a claim's own checks comes back as 'fails' with a reason."""
    evidence = PLANTED[planted]()
    assert evidence.verdict == "fails", f"{planted} was not caught: {evidence.detail}"
    assert evidence.detail


def test_candidate_that_raises_is_a_failure_not_an_exception() -> None:
    """A candidate with a shape error makes the claim fail with the error named."""
    evidence = ls.newton_one_step_reaches_least_squares(gradient=lambda X, y, w: X * X * w)
    assert evidence.verdict == "fails"
    assert "raised" in evidence.detail


def test_seed_mistakes_are_named_in_details() -> None:
    """Where the seed is wrong, the claim's detail says so (and still holds for the truth)."""
    second = wn.worked_network_second_iteration_exact()
    assert "a3 0.177654" in second.detail and "exact 0.176535" in second.detail
    assert "max(0, s)" in nets.backprop_deltas_give_weight_gradients().detail
    assert "undefined" in mc.warmup_quadratic_form_gradient().detail


def test_worked_network_exact_values_match_corrected_numbers() -> None:
    """Exact arithmetic gives the corrected 3.3 values a3 = 0.176535, a5 = -0.362232,
    loss = 5.580140."""
    weights = dict(zip(wn.KEYS, (sp.Rational(v, 100) for v in (111, -102, 188, -298, 208, -73)),
                       strict=True))
    exact = wn.exact_values((sp.Integer(2), sp.Integer(-2)), weights, sp.Integer(2),
                            sp.Rational(1, 10))
    assert float(exact["a3"]) == pytest.approx(0.176535, abs=5e-7)
    assert float(exact["a5"]) == pytest.approx(-0.362232, abs=5e-7)
    assert float(exact["loss"]) == pytest.approx(5.580140, abs=5e-7)


# --- the machinery itself -------------------------------------------------------------------

def test_is_zero_proves_closes_and_refutes() -> None:
    """is_zero proves a rational identity, refutes a false one, and never calls a false one
    zero."""
    rng = rng_for("test")
    x, y = sp.symbols("x y", real=True)
    assert is_zero((x**2 - y**2) / (x - y) - (x + y), rng)[0] is True
    verdict, value = is_zero((x + y) ** 2 - (x**2 + y**2), rng)
    assert verdict is False and value > 0
    # The exp form of tanh: rewriting closes it; a probe never mistakes it for nonzero.
    assert is_zero((sp.tanh(x) - (sp.exp(2 * x) - 1) / (sp.exp(2 * x) + 1)).rewrite(sp.exp),
                   rng)[0] is True


def test_checker_close_checks_shape_before_values() -> None:
    """A transposed array fails on shape, with both shapes in the message."""
    chk = Checker("shape", "finite differences")
    assert not chk.close("g", np.zeros((2, 3)), np.zeros((3, 2)))
    assert "(2, 3)" in chk.failures[0] and "(3, 2)" in chk.failures[0]
    assert chk.evidence("x").verdict == "fails"


def test_checker_rejects_nan() -> None:
    """NaN never passes a numeric comparison."""
    chk = Checker("nan", "finite differences")
    assert not chk.close("g", np.array([np.nan]), np.array([np.nan]))
