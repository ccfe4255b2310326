"""The mathml_hw4 reference, checked by routes independent of it, and the assignment's files.

Independent routes: SymPy differentiation, central finite differences, least squares on an
augmented system (np.linalg.lstsq) for ridge, np.linalg.lstsq's minimum-norm solution for the
pseudo-inverse, and numbers worked out by hand from the homework's data. The values written
into the public tests (which must run without the reference, in a student kit) are recomputed
from the reference here.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from reference import mathml_hw4 as ref
from reference.data import mathml_regression as data

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "mathml_hw4"
SEED_W = {"W13": 1.0, "W14": -1.0, "W23": 2.0, "W24": -3.0, "W35": 2.0, "W45": -1.0}
TABLE_W = {"W13": 1.11, "W14": -1.02, "W23": 1.88, "W24": -2.98, "W35": 2.08, "W45": -0.73}


def _numeric_gradient(f, X: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function, entry by entry, shaped like X."""
    X = np.asarray(X, dtype=float)
    out = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        up, down = X.copy(), X.copy()
        up[idx] += h
        down[idx] -= h
        out[idx] = (f(up) - f(down)) / (2 * h)
    return out


# ------------------------------------------------------------------ 3.1 / 3.3 worked network


def _sympy_network():
    """Loss of the worked network as a SymPy expression in the weights, inputs and target."""
    w = dict(zip(ref.WEIGHT_KEYS, sp.symbols(" ".join(ref.WEIGHT_KEYS)), strict=True))
    x1, x2, t = sp.symbols("x1 x2 t")
    a3 = 1 / (1 + sp.exp(-(w["W13"] * x1 + w["W23"] * x2)))
    a4 = sp.tanh(w["W14"] * x1 + w["W24"] * x2)
    a5 = w["W35"] * a3 + w["W45"] * a4
    return w, (x1, x2, t), a5, (t - a5) ** 2


def test_forward_matches_the_hand_computation():
    """On the homework's numbers a3 = 1/(1+e), a4 = tanh 2, a5 = 2 a3 - a4, L = (1 - a5)^2."""
    f = ref.forward([1.0, -1.0], SEED_W)
    a3, a4 = 1 / (1 + math.e), (math.e**4 - 1) / (math.e**4 + 1)
    assert f["z3"] == -1.0 and f["z4"] == 2.0
    assert f["a3"] == pytest.approx(a3, rel=1e-14)
    assert f["a4"] == pytest.approx(a4, rel=1e-14)
    assert f["a5"] == pytest.approx(2 * a3 - a4, rel=1e-14)
    assert f["a5"] == pytest.approx(-0.42614473734, abs=1e-11)
    assert ref.loss(f["a5"], 1.0) == pytest.approx(2.03388881183, abs=1e-10)


def test_gradients_equal_sympy_derivatives_on_the_homework_numbers():
    """Each dL/dW of the reference equals SymPy's derivative of the loss at the seed's point."""
    w, (x1, x2, t), _, L = _sympy_network()
    point = {w[k]: v for k, v in SEED_W.items()} | {x1: 1.0, x2: -1.0, t: 1.0}
    got = ref.gradients([1.0, -1.0], SEED_W, 1.0)
    for key in ref.WEIGHT_KEYS:
        assert got[key] == pytest.approx(float(sp.diff(L, w[key]).subs(point)), rel=1e-12), key


def test_gradients_equal_finite_differences_at_random_points():
    """Each dL/dW of the reference equals central differences of the loss at random points."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.normal(scale=1.5, size=2)
        W = dict(zip(ref.WEIGHT_KEYS, rng.normal(scale=1.5, size=6), strict=True))
        t = float(rng.normal(scale=2))
        got = ref.gradients(x, W, t)
        for key in ref.WEIGHT_KEYS:

            def loss_of(v, key=key, W=W, x=x, t=t):
                return ref.loss(ref.forward(x, W | {key: float(v)})["a5"], t)

            numeric = _numeric_gradient(loss_of, np.array(W[key]))
            assert got[key] == pytest.approx(float(numeric), rel=1e-6, abs=1e-7), key


def test_first_update_and_its_two_decimal_table():
    """One step with lr 0.1 gives the seed's unrounded weights; W23 = 1.8878 rounds to 1.89."""
    new = ref.sgd_step([1.0, -1.0], SEED_W, 1.0, 0.1)
    assert new["W13"] == pytest.approx(1.11215882956, abs=1e-10)
    assert new["W24"] == pytest.approx(-2.97984833959, abs=1e-10)
    assert new["W45"] == pytest.approx(-0.72503142800, abs=1e-10)
    rounded = {k: round(v, 2) for k, v in new.items()}
    assert rounded == TABLE_W | {"W23": 1.89}  # the handed-out table truncated W23 to 1.88


def test_second_iteration_corrects_the_homework():
    """From the handed-out table, inputs (2, -2), target 2: the right a3, a5 and loss.

    The homework evaluates sigma(-1.54) as 1 / (1 + 4.652) (its a3 = 0.17765) and writes
    tanh'(3.92) as 0.000157 (ten times too small); both are wrong, its rounded table is not.
    """
    f = ref.forward([2.0, -2.0], TABLE_W)
    assert f["z3"] == pytest.approx(-1.54) and f["z4"] == pytest.approx(3.92)
    assert f["a3"] == pytest.approx(1 / (1 + math.exp(1.54)), rel=1e-14)
    assert f["a3"] == pytest.approx(0.176535, abs=1e-6)
    assert abs(f["a3"] - 0.1776535274) > 1e-3
    assert f["a5"] == pytest.approx(-0.362232, abs=1e-6)
    assert ref.loss(f["a5"], 2.0) == pytest.approx(5.580140, abs=1e-6)
    assert 1 - f["a4"] ** 2 == pytest.approx(0.001573, abs=1e-6)
    new = ref.sgd_step([2.0, -2.0], TABLE_W, 2.0, 0.1)
    assert {k: round(v, 2) for k, v in new.items()} == {
        "W13": 1.40, "W14": -1.02, "W23": 1.59, "W24": -2.98, "W35": 2.16, "W45": -0.26,
    }  # fmt: skip


def test_worked_network_is_finite_for_huge_pre_activations():
    """forward and gradients stay finite when |z| is in the hundreds (stable sigmoid)."""
    W = {"W13": 300.0, "W23": -300.0, "W14": -250.0, "W24": 250.0, "W35": 1.0, "W45": 1.0}
    for x in ([2.0, -1.0], [-2.0, 1.0]):
        f, g = ref.forward(x, W), ref.gradients(x, W, 0.5)
        assert all(math.isfinite(v) for v in [*f.values(), *g.values()])


def test_zero_weights_give_the_obvious_values():
    """All-zero weights: a3 = 1/2, a4 = 0, a5 = 0, and only dL/dW35 is non-zero."""
    zero = dict.fromkeys(ref.WEIGHT_KEYS, 0.0)
    f = ref.forward([0.7, -1.3], zero)
    assert (f["a3"], f["a4"], f["a5"]) == (0.5, 0.0, 0.0)
    g = ref.gradients([0.7, -1.3], zero, 2.0)
    assert g["W35"] == -2.0 * 2.0 * 0.5
    assert all(g[k] == 0.0 for k in ref.WEIGHT_KEYS if k != "W35")


# ------------------------------------------------------------------ 1 warm-ups


def _sym_matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}_{j}"))


def _at(expr_matrix: sp.Matrix, values: dict) -> np.ndarray:
    return np.array(expr_matrix.subs(values).evalf(), dtype=float)


@pytest.mark.parametrize(("n", "m"), [(2, 3), (3, 2), (1, 2)])
def test_warmup5_gradient_and_hessian_equal_sympy(n, m):
    """X (a b^T + b a^T) and kron(I, a b^T + b a^T) are SymPy's derivatives of a^T X^T X b."""
    rng = np.random.default_rng(n * 10 + m)
    X, a, b = _sym_matrix("X", n, m), _sym_matrix("a", m, 1), _sym_matrix("b", m, 1)
    f = (a.T * X.T * X * b)[0, 0]
    flat = list(X)  # SymPy flattens row by row, like NumPy's ravel()
    grad = sp.Matrix(n, m, lambda i, j: sp.diff(f, X[i, j]))
    hess = sp.hessian(f, flat)
    Xv, av, bv = rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=m)
    values = {X[i, j]: Xv[i, j] for i in range(n) for j in range(m)}
    values |= {a[i]: av[i] for i in range(m)} | {b[i]: bv[i] for i in range(m)}
    np.testing.assert_allclose(ref.warmup5_gradient(Xv, av, bv), _at(grad, values), rtol=1e-12)
    np.testing.assert_allclose(ref.warmup5_hessian(Xv, av, bv), _at(hess, values), atol=1e-12)
    seed_answer = 2 * Xv @ np.outer(bv, av)
    assert not np.allclose(seed_answer, ref.warmup5_gradient(Xv, av, bv))


def test_warmup_gradients_equal_finite_differences():
    """Warm-ups 2, 3 and 4 agree with central differences on non-square shapes."""
    rng = np.random.default_rng(1)
    M, X = rng.normal(size=(2, 4)), rng.normal(size=(4, 2))
    num = _numeric_gradient(lambda Z: np.trace(M @ Z), X)
    np.testing.assert_allclose(ref.warmup2_gradient(M, X), num, atol=1e-7)
    X = rng.normal(size=(3, 5))
    num = _numeric_gradient(lambda Z: np.trace(Z @ Z.T), X)
    np.testing.assert_allclose(ref.warmup3_gradient(X), num, atol=1e-7)
    a, b = rng.normal(size=3), rng.normal(size=5)
    num = _numeric_gradient(lambda Z: a @ Z @ b, X)
    np.testing.assert_allclose(ref.warmup4_gradient(X, a, b), num, atol=1e-7)


def test_warmup3_hessian_equals_finite_differences_of_the_gradient():
    """The Hessian of tr(X X^T) over ravel(X) is 2 I, column by column from the gradient."""
    X = np.random.default_rng(2).normal(size=(2, 3))
    cols = []
    for p in range(X.size):
        e = np.zeros(X.size)
        e[p] = 1e-6
        up = ref.warmup3_gradient(X + e.reshape(X.shape)).ravel()
        down = ref.warmup3_gradient(X - e.reshape(X.shape)).ravel()
        cols.append((up - down) / 2e-6)
    np.testing.assert_allclose(ref.warmup3_hessian(X), np.array(cols).T, atol=1e-6)


def test_warmup1_jacobian_equals_finite_differences_for_non_square_m():
    """d(M^T M x)/dx is M^T M for M of shape (p, m), p != m, and M^2 for symmetric M."""
    rng = np.random.default_rng(3)
    M, x = rng.normal(size=(5, 3)), rng.normal(size=3)
    cols = [(M.T @ M @ (x + e) - M.T @ M @ (x - e)) / 2e-6 for e in 1e-6 * np.eye(3)]
    np.testing.assert_allclose(ref.warmup1_jacobian(M, x), np.array(cols).T, atol=1e-6)
    S = rng.normal(size=(3, 3))
    S = S + S.T
    np.testing.assert_allclose(ref.warmup1_jacobian(S, x), S @ S, rtol=1e-12)


# ------------------------------------------------------------------ 2 ridge


def test_ridge_solution_equals_least_squares_on_the_augmented_system():
    """(X^T X + lam I)^{-1} X^T y solves min ||[X; sqrt(lam) I] b - [y; 0]||, also for n < d."""
    rng = np.random.default_rng(4)
    for n, d, lam in ((30, 4, 2.0), (3, 6, 0.5), (1, 3, 1.0)):
        X, y = rng.normal(size=(n, d)), rng.normal(size=n)
        A = np.vstack([X, math.sqrt(lam) * np.eye(d)])
        want = np.linalg.lstsq(A, np.concatenate([y, np.zeros(d)]), rcond=None)[0]
        np.testing.assert_allclose(ref.ridge_solution(X, y, lam), want, rtol=1e-10, atol=1e-12)
        assert np.allclose(ref.ridge_gradient(X, y, ref.ridge_solution(X, y, lam), lam), 0)


def test_ridge_gradient_equals_finite_differences_of_the_loss():
    """ridge_gradient is the derivative of ridge_loss."""
    rng = np.random.default_rng(5)
    X, y, beta = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=3)
    num = _numeric_gradient(lambda b: ref.ridge_loss(X, y, b, 0.8), beta)
    np.testing.assert_allclose(ref.ridge_gradient(X, y, beta, 0.8), num, rtol=1e-6)


def test_ridge_fit_leaves_the_intercept_unpenalised():
    """ridge_fit equals least squares on [1 X; 0 sqrt(lam) I]: the intercept is not shrunk."""
    rng = np.random.default_rng(6)
    X, y, lam = rng.normal(size=(12, 3)), rng.normal(size=12) + 40.0, 3.0
    A = np.block([[np.ones((12, 1)), X], [np.zeros((3, 1)), math.sqrt(lam) * np.eye(3)]])
    w = np.linalg.lstsq(A, np.concatenate([y, np.zeros(3)]), rcond=None)[0]
    fit = ref.ridge_fit(X, y, lam)
    np.testing.assert_allclose(fit["coef"], w[1:], rtol=1e-10)
    assert fit["intercept"] == pytest.approx(w[0], rel=1e-10)


def test_ridge_path_shrinks_from_least_squares_to_zero():
    """Coefficient norms fall as lambda grows; lambda = 0 is least squares with an intercept."""
    X, y, _, _ = data.load_split()
    path = ref.ridge_path(X, y, [0.0, 1.0, 10.0, 100.0, 1e4, 1e8])
    norms = np.linalg.norm(path, axis=1)
    assert np.all(np.diff(norms) < 0) and norms[-1] < 1e-5
    np.testing.assert_allclose(path[0], ref.pinv_fit(X, y)["coef"], rtol=1e-9)


# ------------------------------------------------------------------ 3.4 / 3.5 MLPs


def _mlp_params(rng, m, n, k):
    return {"W_h": rng.normal(size=(m, n)), "b_h": rng.normal(size=n),
            "W_o": rng.normal(size=(n, k)), "b_o": rng.normal(size=k)}  # fmt: skip


@pytest.mark.parametrize(("N", "m", "n", "k"), [(6, 3, 4, 2), (1, 2, 5, 1), (9, 4, 1, 3)])
def test_mlp_gradients_equal_finite_differences_of_the_mse(N, m, n, k):
    """Every entry of every MLP gradient matches central differences of the MSE."""
    rng = np.random.default_rng(N + m + n + k)
    X, Y = rng.normal(size=(N, m)), rng.normal(size=(N, k))
    params = _mlp_params(rng, m, n, k)
    got = ref.mlp_gradients(X, Y, params)
    for key in ref.MLP_KEYS:

        def mse_of(v, key=key):
            return ref.mse(Y, ref.mlp_forward(X, params | {key: v})["Y_hat"])

        assert got[key].shape == params[key].shape
        np.testing.assert_allclose(got[key], _numeric_gradient(mse_of, params[key]), atol=1e-7)


def test_mlp2_gradients_equal_finite_differences_of_the_mse():
    """Every entry of every two-hidden-layer gradient matches central differences of the MSE."""
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    shapes = {"W_h1": (3, 4), "b_h1": (4,), "W_h2": (4, 2), "b_h2": (2,), "W_o": (2, 2),
              "b_o": (2,)}  # fmt: skip
    params = {key: rng.normal(size=shape) for key, shape in shapes.items()}
    got = ref.mlp2_gradients(X, Y, params)
    for key in ref.MLP2_KEYS:

        def mse_of(v, key=key):
            return ref.mse(Y, ref.mlp2_forward(X, params | {key: v})["Y_hat"])

        np.testing.assert_allclose(got[key], _numeric_gradient(mse_of, params[key]), atol=1e-7)


def test_mlp_train_equals_repeated_steps_and_lowers_the_loss():
    """mlp_train is mlp_step applied epochs times; losses[0] is the starting loss and falls."""
    rng = np.random.default_rng(8)
    X, Y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1))
    params = _mlp_params(rng, 2, 5, 1)
    final, losses = ref.mlp_train(X, Y, params, 0.2, 30)
    p = params
    for _ in range(30):
        p = ref.mlp_step(X, Y, p, 0.2)
    for key in ref.MLP_KEYS:
        np.testing.assert_allclose(final[key], p[key], rtol=1e-12)
    assert losses[0] == ref.mse(Y, ref.mlp_forward(X, params)["Y_hat"])
    assert len(losses) == 30 and losses[-1] < losses[0]


def test_mlp_class_is_reproducible_from_its_seed():
    """Two MLPs with one seed start equal; another seed starts elsewhere."""
    a, b, c = ref.MLP(3, 4, 2, seed=1), ref.MLP(3, 4, 2, seed=1), ref.MLP(3, 4, 2, seed=2)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in ref.MLP_KEYS)
    assert not np.array_equal(a.params["W_h"], c.params["W_h"])


# ------------------------------------------------------------------ 4 evaluation and data


def test_pinv_fit_is_the_minimum_norm_least_squares_solution():
    """pinv_fit equals lstsq's minimum-norm solution with an intercept, for rank-deficient X."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(4, 6))
    y = rng.normal(size=4)
    A = np.hstack([np.ones((4, 1)), X])
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    fit = ref.pinv_fit(X, y)
    np.testing.assert_allclose(fit["coef"], w[1:], atol=1e-10)
    assert fit["intercept"] == pytest.approx(w[0], abs=1e-10)


def test_rmse_is_the_root_of_the_mean_square():
    """rmse([0, 0], [3, 4]) = sqrt(12.5)."""
    assert ref.rmse(np.zeros(2), np.array([3.0, 4.0])) == pytest.approx(math.sqrt(12.5))


@pytest.mark.parametrize("seed", [None, data.FRESH_SEED])
def test_evaluation_mlp_clears_the_bar_the_tests_set(seed):
    """On the students' data and the hidden tests' fresh draw, the reference MLP's test RMSE is
    well below 4/5 of least squares, and ridge stays close to least squares."""
    result = ref.evaluate(*ref.evaluation_data(seed), 1.0)
    assert result["mlp"] < 0.6 * result["pinv"]
    assert abs(result["ridge"] - result["pinv"]) < 0.05 * result["pinv"]


@pytest.mark.parametrize("lam", [1.0, 10.0])
def test_linear_rmses_are_evaluate_without_the_mlp(lam):
    """linear_rmses (the hidden test's expected values) equals the pinv and ridge RMSEs of
    evaluate, and these are least squares fitted by hand, with and without the penalty."""
    split = ref.evaluation_data(data.FRESH_SEED)
    got = ref.linear_rmses(*split, lam)
    full = ref.evaluate(*split, lam)
    assert got == {"pinv": full["pinv"], "ridge": full["ridge"]}
    X_train, y_train, X_test, y_test = split
    A = np.hstack([np.ones((len(X_train), 1)), X_train])
    w = np.linalg.lstsq(A, y_train, rcond=None)[0]
    pred = np.hstack([np.ones((len(X_test), 1)), X_test]) @ w
    assert got["pinv"] == pytest.approx(math.sqrt(np.mean((y_test - pred) ** 2)), rel=1e-10)
    assert got["ridge"] != got["pinv"]


def _mlp_to_pinv_ratio(
    seed: int | None, n_hidden: int, lr: float, epochs: int, init: int, *, standardise: bool = True
):
    """Test RMSE of an MLP trained as the README suggests (standardised unless told otherwise),
    over least squares'."""
    X, y, X_test, y_test = ref.evaluation_data(seed)
    mu, sd, y_mu, y_sd = X.mean(axis=0), X.std(axis=0), y.mean(), y.std()
    if not standardise:
        mu, sd, y_mu, y_sd = 0.0, 1.0, 0.0, 1.0
    params = ref.mlp_init(3, n_hidden, 1, init)
    params, _ = ref.mlp_train((X - mu) / sd, ((y - y_mu) / y_sd)[:, None], params, lr, epochs)
    y_hat = ref.mlp_forward((X_test - mu) / sd, params)["Y_hat"][:, 0] * y_sd + y_mu
    lin = ref.pinv_fit(X, y)
    return ref.rmse(y_test, y_hat) / ref.rmse(
        y_test, ref.ridge_predict(X_test, lin["coef"], lin["intercept"])
    )


@pytest.mark.parametrize("seed", [None, data.FRESH_SEED])
def test_the_bar_passes_trained_and_fails_untrained_mlps(seed):
    """On both graded draws, MLPs trained within the README's range (8-16 units, learning rate
    0.1-0.15, 1000-2000 epochs) clear 4/5 of least squares with room to spare, and one trained
    for only 100 epochs does not (a sample of the 360-network measurement in the data module)."""
    for n_hidden, lr, epochs, init in ((8, 0.1, 1000, 0), (16, 0.15, 2000, 1), (10, 0.1, 1500, 2)):
        assert _mlp_to_pinv_ratio(seed, n_hidden, lr, epochs, init) < 0.7
    for init in (0, 1):
        assert _mlp_to_pinv_ratio(seed, 10, 0.1, 100, init) > 0.85


@pytest.mark.parametrize("seed", [None, data.FRESH_SEED])
def test_unstandardised_mlp_clears_the_bar_too(seed):
    """On both graded draws an MLP trained on the raw data with the README's settings also clears
    4/5 of least squares, as the README says (a sample of 960 measured networks, of which one
    missed: 8-16 units, learning rate 0.08-0.3, 1000-2000 epochs, ten initial seeds)."""
    for n_hidden, lr, epochs, init in ((8, 0.1, 1000, 0), (16, 0.15, 2000, 1), (10, 0.1, 1500, 2)):
        assert _mlp_to_pinv_ratio(seed, n_hidden, lr, epochs, init, standardise=False) < 0.6


def test_reference_evaluation_runs_once_per_process():
    """A second evaluate() on equal data is a cache hit, and editing one result or the data a
    caller got changes nothing another caller gets."""
    first_data = ref.evaluation_data()
    first = ref.evaluate(*first_data, 1.0)
    hits = ref.evaluate.cache_info()["hits"]
    first["mlp"] = -1.0
    first_data[0][0, 0] = 1e9
    again = ref.evaluate(*ref.evaluation_data(), 1.0)
    assert ref.evaluate.cache_info()["hits"] == hits + 1
    assert again["mlp"] > 0
    assert ref.evaluation_data()[0][0, 0] != 1e9


def test_hidden_test_uses_the_measured_fresh_draw():
    """The hidden evaluation test draws its fresh data with the seed the data module vetted."""
    source = (PROBLEM / "tests" / "hidden" / "test_5_evaluation_hidden.py").read_text()
    seeds = [
        ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "FRESH_SEED"
    ]
    assert seeds == [data.FRESH_SEED]


def test_assignment_tests_import_nothing_from_reference():
    """Test modules reach the reference only through the fixture: the grader makes the course's
    reference importable when the fixture first runs, after the modules are collected."""
    for path in sorted((PROBLEM / "tests").glob("*/test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            assert not any(n.split(".")[0] == "reference" for n in names), path.name


def test_dataset_is_fixed_and_matches_the_students_csv():
    """The generator is deterministic, 180 x 3 with a 120/60 split, and equals data/*.csv."""
    X, y = data.make_regression()
    X2, y2 = data.make_regression()
    assert X.shape == (180, 3) and y.shape == (180,)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X_train, _, X_test, _ = data.load_split()
    assert len(X_train) == 120 and len(X_test) == 60
    csv = (PROBLEM / "data" / "regression.csv").read_text()
    assert csv == data.to_csv_text()
    table = np.loadtxt(PROBLEM / "data" / "regression.csv", delimiter=",", skiprows=1)
    assert np.array_equal(table[:, :3], X) and np.array_equal(table[:, 3], y)


# ------------------------------------------------------------------ assignment files


def _graded_tests() -> list[tuple[str, dict]]:
    """(file name, @points keywords incl. value) of every test function of the assignment."""
    found = []
    for path in sorted((PROBLEM / "tests").glob("*/test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                deco = next(
                    d for d in node.decorator_list
                    if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "points"
                )  # fmt: skip
                kw = {k.arg: ast.literal_eval(k.value) for k in deco.keywords}
                kw["value"] = float(ast.literal_eval(deco.args[0]))
                kw["docstring"] = ast.get_docstring(node)
                found.append((path.name, kw))
    return found


def test_part_points_are_the_homeworks():
    """Points per part add up to the homework's: 10, 10, 10, 20, 5, 40, 10, 10."""
    totals: dict[str, float] = {}
    for _, kw in _graded_tests():
        totals[kw["part"]] = totals.get(kw["part"], 0.0) + kw["value"]
    want = {"1": 10, "2.1": 10, "2.2": 10, "3.1": 20, "3.3": 5, "3.4": 40, "3.5": 10, "4": 10}
    assert totals == pytest.approx(want)
    parts = tomllib.loads((PROBLEM / "assignment.toml").read_text())["parts"]
    assert [p["id"] for p in parts] == list(want)


def test_worked_network_points_split_as_the_homework_does():
    """Section 3.1: forward pass 5, loss 2, backpropagation 8, update 5."""
    split = {"forward": 0.0, "loss": 0.0, "backpropagation": 0.0, "update": 0.0}
    for _, kw in _graded_tests():
        if kw["part"] == "3.1":
            topic = next(t for t in split if t in kw["name"])
            split[topic] += kw["value"]
    assert split == {"forward": 5, "loss": 2, "backpropagation": 8, "update": 5}


def test_every_test_has_a_name_and_a_docstring_and_unique_name():
    """Every graded test declares a display name and a part and says what it asserts."""
    names = [kw["name"] for _, kw in _graded_tests()]
    assert len(names) == len(set(names))
    assert all(kw.get("docstring") and kw.get("part") for _, kw in _graded_tests())


def test_starter_reference_and_tests_agree_on_the_api():
    """Everything the tests call on the submission is in the starter and in the reference."""
    called = set()
    for path in (PROBLEM / "tests").glob("*/test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "submission"
            ):
                called.add(node.attr)
    starter = {
        n.name
        for n in ast.parse((PROBLEM / "starter.py").read_text()).body
        if isinstance(n, (ast.FunctionDef, ast.ClassDef))
    }
    assert called <= starter, called - starter
    assert all(hasattr(ref, name) for name in starter)
    assert len(called) >= 25


def test_assignment_toml_names_the_submission_file():
    """assignment.toml says students hand in mathml_hw4.py."""
    meta = tomllib.loads((PROBLEM / "assignment.toml").read_text())["assignment"]
    assert meta["submission_file"] == "mathml_hw4.py" and meta["name"] == "mathml_hw4"


# ------------------------------------------------------------------ public tests' recorded values

PUBLIC = PROBLEM / "tests" / "public"


def _public_module(stem: str):
    """A public test module, loaded from its file (its tests are not collected from here)."""
    spec = importlib.util.spec_from_file_location(f"_mathml_public_{stem}", PUBLIC / f"{stem}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module_level_names(stem: str) -> set[str]:
    """Public names assigned at the top level of a public test module."""
    names = set()
    for node in ast.parse((PUBLIC / f"{stem}.py").read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name) and not t.id.startswith("_")}
    return names


def _warmups(m) -> dict:
    assert np.array_equal(m.M_3x2, m.X_2x3.T + 1.0) and np.array_equal(m.X_3x2, m.X_2x3.T)
    return {
        "JACOBIAN_1": ref.warmup1_jacobian(m.M_SQUARE, m.X_VEC),
        "GRADIENT_2": ref.warmup2_gradient(m.M_3x2, m.X_2x3),
        "GRADIENT_3": ref.warmup3_gradient(m.X_2x3),
        "HESSIAN_3": ref.warmup3_hessian(m.X_2x3),
        "GRADIENT_4": ref.warmup4_gradient(m.X_3x2, m.A_3, m.B_2),
        "GRADIENT_5": ref.warmup5_gradient(m.X_2x3, m.A_3, m.B_3),
        "HESSIAN_5": ref.warmup5_hessian(m.X_2x3, m.A_3, m.B_3),
    }


def _ridge(m) -> dict:
    fit = ref.ridge_fit(m.X_PUB, m.Y_PUB, m.LAM_FIT)
    return {
        "RIDGE_LOSS": ref.ridge_loss(m.X_PUB, m.Y_PUB, m.BETA_PUB, m.LAM),
        "RIDGE_GRADIENT": ref.ridge_gradient(m.X_PUB, m.Y_PUB, m.BETA_PUB, m.LAM),
        "RIDGE_SOLUTION": ref.ridge_solution(m.X_PUB, m.Y_PUB, m.LAM_SOLUTION),
        "RIDGE_FIT_COEF": fit["coef"],
        "RIDGE_FIT_INTERCEPT": fit["intercept"],
        "RIDGE_PREDICTIONS": ref.ridge_predict(m.X_PUB, m.PREDICT_COEF, m.PREDICT_INTERCEPT),
        "RIDGE_PATH": ref.ridge_path(m.X_PUB, m.Y_PUB, m.LAMS),
    }


def _worked_network(m) -> dict:
    assert m.KEYS == ref.WEIGHT_KEYS
    out = {}
    for tag, x, W, t in (("START", m.X_START, m.W_START, m.TARGET_START),
                         ("SECOND", m.X_SECOND, m.W_SECOND, m.TARGET_SECOND)):  # fmt: skip
        f = ref.forward(x, W)
        assert tuple(f) == m.FORWARD_KEYS
        out[f"FORWARD_{tag}"] = f
        out[f"LOSS_{tag}"] = ref.loss(f["a5"], t)
        out[f"GRADIENTS_{tag}"] = ref.gradients(x, W, t)
        out[f"UPDATE_{tag}"] = ref.sgd_step(x, W, t, m.LR)
    return out


def _mlp(m) -> dict:
    assert m.MLP_KEYS == ref.MLP_KEYS and m.MLP2_KEYS == ref.MLP2_KEYS
    X, Y, P, P2 = m.X_PUB, m.Y_PUB, m.P_PUB, m.P2_PUB
    forward = ref.mlp_forward(X, P)
    trained, losses = ref.mlp_train(X, Y, P, m.LR_TRAIN, m.EPOCHS_TRAIN)
    return {
        "MLP_FORWARD": forward,
        "MLP_MSE": ref.mse(Y, forward["Y_hat"]),
        "MLP_GRADIENTS": ref.mlp_gradients(X, Y, P),
        "MLP_STEP": ref.mlp_step(X, Y, P, m.LR_STEP),
        "MLP_TRAIN_PARAMS": trained,
        "MLP_TRAIN_LOSSES": losses,
        "MLP_TRAIN_FINAL_LOSS": ref.mse(Y, ref.mlp_forward(X, trained)["Y_hat"]),
        "MLP2_FORWARD": ref.mlp2_forward(X, P2),
        "MLP2_GRADIENTS": ref.mlp2_gradients(X, Y, P2),
        "MLP2_STEP": ref.mlp2_step(X, Y, P2, m.LR_STEP),
    }


def _evaluation(m) -> dict:
    X, y, X_test, y_test = ref.evaluation_data()
    assert len(X) == m.N_TRAIN
    fit = ref.pinv_fit(X, y)
    rmse = ref.evaluate(X, y, X_test, y_test, m.LAM_EVALUATE)
    return {
        "RMSE": ref.rmse(m.Y_RMSE, m.Y_HAT_RMSE),
        "PINV_COEF": fit["coef"],
        "PINV_INTERCEPT": fit["intercept"],
        "TEST_RMSE": {"pinv": rmse["pinv"], "ridge": rmse["ridge"]},
    }


# module -> (its input constants, the function recomputing its expected values from them).
RECORDED = {
    "test_1_warmups": (
        {"M_SQUARE", "X_VEC", "X_2x3", "M_3x2", "X_3x2", "A_3", "B_3", "B_2"}, _warmups),
    "test_2_ridge": (
        {"X_PUB", "Y_PUB", "BETA_PUB", "LAM", "LAM_SOLUTION", "LAM_FIT", "PREDICT_COEF",
         "PREDICT_INTERCEPT", "LAMS"}, _ridge),
    "test_3_worked_network": (
        {"KEYS", "FORWARD_KEYS", "W_START", "X_START", "TARGET_START", "LR", "W_SECOND",
         "X_SECOND", "TARGET_SECOND"}, _worked_network),
    "test_4_mlp": (
        {"MLP_KEYS", "MLP2_KEYS", "LR_STEP", "LR_TRAIN", "EPOCHS_TRAIN", "X_PUB", "Y_PUB",
         "P_PUB", "P2_PUB"}, _mlp),
    "test_5_evaluation": ({"DATA", "N_TRAIN", "LAM_EVALUATE", "Y_RMSE", "Y_HAT_RMSE"}, _evaluation),
}  # fmt: skip


def _assert_recorded(recorded: object, computed: object, name: str) -> None:
    """A recorded value equals the reference's: same keys, same shapes, equal to the last bits
    that a different BLAS or summation order may change (rtol 1e-12)."""
    if isinstance(computed, dict):
        assert isinstance(recorded, dict) and sorted(recorded) == sorted(computed), name
        for key in computed:
            _assert_recorded(recorded[key], computed[key], f"{name}[{key!r}]")
        return
    want, got = np.asarray(computed, dtype=float), np.asarray(recorded, dtype=float)
    assert got.shape == want.shape, name
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=name)


def test_public_tests_cover_every_module_and_constant():
    """Every public test module is listed, and each of its constants is an input or a value
    recomputed below: a new expected value cannot be added without a check."""
    assert sorted(p.stem for p in PUBLIC.glob("test_*.py")) == sorted(RECORDED)
    for stem, (inputs, compute) in RECORDED.items():
        recorded = _module_level_names(stem) - inputs
        assert recorded == set(compute(_public_module(stem))), stem


@pytest.mark.parametrize("stem", sorted(RECORDED))
def test_public_test_values_match_the_reference(stem):
    """Every expected value written into a public test module is what the reference computes
    from that module's own inputs."""
    module = _public_module(stem)
    _, compute = RECORDED[stem]
    for name, value in compute(module).items():
        _assert_recorded(getattr(module, name), value, f"{stem}.{name}")


def test_public_tests_mention_no_reference():
    """No public test module names the reference (no fixture, import or call): a student kit
    has no reference, so such a test could not even be set up there."""
    for path in sorted(PUBLIC.glob("*.py")):
        assert "reference" not in path.read_text().lower(), path.name


def test_public_evaluation_reads_the_students_csv():
    """The public evaluation tests read data/regression.csv relative to their own file and get
    exactly the reference's section-4 split."""
    module = _public_module("test_5_evaluation")
    assert module.DATA == PROBLEM / "data" / "regression.csv"
    for got, want in zip(module._evaluation_data(), ref.evaluation_data(), strict=True):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("start", ["init0", "init1", "public", "large"])
def test_public_mlp_class_training_matches_the_reference(start):
    """The public MLP-class test's own training run (complex-step gradients from the network's
    definition) equals the reference's mlp_train from the same initial weights, and its
    network output equals the reference's forward pass."""
    module = _public_module("test_4_mlp")
    X, Y = module.X_PUB, module.Y_PUB
    params = {
        "init0": ref.mlp_init(3, 4, 2, seed=0),
        "init1": ref.mlp_init(3, 4, 2, seed=1),
        "public": module.P_PUB,
        "large": {k: 3.0 * v for k, v in module.P_PUB.items()},
    }[start]
    got_params, got_losses = module._expected_training(X, Y, params, 0.5, 20)
    want_params, want_losses = ref.mlp_train(X, Y, params, 0.5, 20)
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-12)
    for key in ref.MLP_KEYS:
        np.testing.assert_allclose(got_params[key], want_params[key], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(
        module._network_output(X, want_params),
        ref.mlp_forward(X, want_params)["Y_hat"],
        rtol=1e-13,
    )
