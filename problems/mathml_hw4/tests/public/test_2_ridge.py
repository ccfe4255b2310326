"""Public tests, sections 2.1 and 2.2: ridge regression on a small fixed dataset."""

from __future__ import annotations

import numpy as np

from grader import check_array, check_true, points

_data = np.random.default_rng(2024)
X_PUB = _data.normal(size=(8, 3))
Y_PUB = X_PUB @ np.array([1.5, -2.0, 0.5]) + 3.0 + 0.1 * _data.normal(size=8)
BETA_PUB = np.array([0.5, -1.0, 2.0])
LAM = 0.5


def _same(got: object, want: np.ndarray) -> bool:
    """True when ``got`` is an array of ``want``'s shape and values (default tolerances)."""
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return arr.shape == np.shape(want) and bool(np.allclose(arr, want, rtol=1e-6, atol=1e-8))


def _check(got: object, want: np.ndarray, *, name: str, hints: tuple = ()) -> None:
    """check_array, naming the mistake when ``got`` equals a known wrong answer in ``hints``."""
    for message, wrong in hints:
        if _same(got, wrong) and not _same(got, want):
            check_true(False, f"{name}: {message}")
    check_array(got, want, name=name)


def _entry(result: object, key: str, function: str) -> object:
    """``result[key]``, failing with a clear message when the result is not such a dict."""
    check_true(
        isinstance(result, dict), f"{function}() must return a dict; got {type(result).__name__}"
    )
    assert isinstance(result, dict)
    check_true(key in result, f"{function}() returned no '{key}' entry (keys: {sorted(result)})")
    return result[key]


def _solution_hints(X: np.ndarray, y: np.ndarray, lam: float) -> tuple:
    """Known wrong closed forms: the penalty left out."""
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    return (("this is the least-squares solution without the penalty: add lambda I to X^T X", ols),)


def _gradient_hints(X: np.ndarray, y: np.ndarray, beta: np.ndarray, lam: float, want) -> tuple:
    """Known wrong gradients: half of it, the wrong sign, the penalty term left out."""
    return (
        ("this is half the gradient: d/dbeta of ||r||^2 brings a factor 2", want / 2),
        ("the sign is wrong: the residual term is -2 X^T (y - X beta)", -want),
        ("the penalty's gradient 2 lambda beta is missing", want - 2 * lam * beta),
    )


def _fit_hints(X: np.ndarray, y: np.ndarray, lam: float) -> tuple:
    """Known wrong intercept handling, as (coef, intercept) pairs with their messages."""
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    w = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    plain = np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)
    return (
        (
            "the intercept is penalised too (a column of ones inside the ridge penalty); "
            "centre X and y first, or leave the intercept out of the penalty",
            w[1:],
            w[0],
        ),
        ("there is no intercept: fit on centred X and y, then recover it", plain, 0.0),
        (
            "these are the least-squares coefficients: lambda was not used",
            np.linalg.lstsq(X - X.mean(axis=0), y - y.mean(), rcond=None)[0],
            y.mean()
            - X.mean(axis=0) @ np.linalg.lstsq(X - X.mean(axis=0), y - y.mean(), rcond=None)[0],
        ),
    )


def _check_fit(got: object, want: dict, X, y, lam) -> None:
    """Check ridge_fit's coef and intercept, explaining the usual intercept mistakes."""
    coef, intercept = _entry(got, "coef", "ridge_fit"), _entry(got, "intercept", "ridge_fit")
    if not (_same(coef, want["coef"]) and _same(intercept, want["intercept"])):
        for message, wrong_coef, wrong_intercept in _fit_hints(X, y, lam):
            if _same(coef, wrong_coef) and _same(intercept, wrong_intercept):
                check_true(False, f"ridge_fit: {message}")
    check_array(coef, want["coef"], name="coef")
    check_array(intercept, want["intercept"], name="intercept", shape=())


@points(1, name="2.1 ridge objective", part="2.1")
def test_ridge_loss(submission, reference):
    """ridge_loss() is ||y - X beta||^2 + lambda ||beta||^2."""
    got = submission.ridge_loss(X_PUB, Y_PUB, BETA_PUB, LAM)
    want = reference.ridge_loss(X_PUB, Y_PUB, BETA_PUB, LAM)
    check_array(got, want, name="ridge loss", shape=())


@points(1, name="2.1 gradient of the ridge objective", part="2.1")
def test_ridge_gradient(submission, reference):
    """ridge_gradient() is -2 X^T (y - X beta) + 2 lambda beta."""
    got = submission.ridge_gradient(X_PUB, Y_PUB, BETA_PUB, LAM)
    want = reference.ridge_gradient(X_PUB, Y_PUB, BETA_PUB, LAM)
    hints = _gradient_hints(X_PUB, Y_PUB, BETA_PUB, LAM, want)
    _check(got, want, name="gradient", hints=hints)


@points(2, name="2.1 closed-form ridge solution", part="2.1")
def test_ridge_solution(submission, reference):
    """ridge_solution() is (X^T X + lambda I)^{-1} X^T y."""
    got = submission.ridge_solution(X_PUB, Y_PUB, 5.0)
    want = reference.ridge_solution(X_PUB, Y_PUB, 5.0)
    _check(got, want, name="beta", hints=_solution_hints(X_PUB, Y_PUB, 5.0))


@points(2, name="2.2 ridge fit with an unpenalised intercept", part="2.2")
def test_ridge_fit(submission, reference):
    """ridge_fit() returns the ridge coefficients of centred data and the matching intercept."""
    got = submission.ridge_fit(X_PUB, Y_PUB, 2.0)
    _check_fit(got, reference.ridge_fit(X_PUB, Y_PUB, 2.0), X_PUB, Y_PUB, 2.0)


@points(1, name="2.2 ridge predictions", part="2.2")
def test_ridge_predict(submission, reference):
    """ridge_predict() is X coef + intercept, one value per row."""
    coef, intercept = np.array([1.0, -0.5, 2.0]), 0.75
    got = submission.ridge_predict(X_PUB, coef, intercept)
    check_array(got, reference.ridge_predict(X_PUB, coef, intercept), name="predictions")


@points(1, name="2.2 ridge path: coefficients for several lambdas", part="2.2")
def test_ridge_path(submission, reference):
    """ridge_path() stacks ridge_fit's coefficients, one row per lambda."""
    lams = [0.0, 0.1, 1.0, 10.0, 100.0]
    got = submission.ridge_path(X_PUB, Y_PUB, lams)
    check_array(got, reference.ridge_path(X_PUB, Y_PUB, lams), name="ridge path")
