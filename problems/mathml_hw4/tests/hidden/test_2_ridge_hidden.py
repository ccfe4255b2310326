"""Hidden tests, sections 2.1 and 2.2: ridge regression with more features than samples, a
single sample, tall data, extreme lambdas and shifted targets."""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_true, keys_of, points


def _data(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """X (n, d) and y = X w + 1.5 + noise, for a random w."""
    X = rng.normal(size=(n, d))
    return X, X @ rng.normal(size=d) + 1.5 + 0.2 * rng.normal(size=n)


def _shape(value: object) -> object:
    """``value``'s shape as NumPy sees it, or "unknown" for what is not an array of numbers."""
    try:
        return np.shape(value)
    except (TypeError, ValueError):
        return "unknown"


def _same(got: object, want: np.ndarray) -> bool:
    """True when ``got`` is an array of ``want``'s shape and values (default tolerances)."""
    arr = as_floats(got, np.shape(want))  # the shape first: no huge conversion
    return arr is not None and bool(np.allclose(arr, want, rtol=1e-6, atol=1e-8))


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
    check_true(key in result, f"{function}() returned no '{key}' entry (keys: {keys_of(result)})")
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


@points(1, name="2.1 ridge objective on other shapes", part="2.1")
def test_ridge_loss_shapes(submission, reference, rng):
    """ridge_loss() is right for tall data, n < d, a single sample and lambda = 0."""
    for n, d, lam in ((30, 4, 1.3), (3, 6, 0.2), (1, 3, 2.0), (10, 2, 0.0)):
        X, y = _data(rng, n, d)
        beta = rng.normal(size=d)
        got = submission.ridge_loss(X, y, beta, lam)
        check_array(got, reference.ridge_loss(X, y, beta, lam), name="ridge loss", shape=())


@points(2, name="2.1 gradient of the ridge objective on other shapes", part="2.1")
def test_ridge_gradient_shapes(submission, reference, rng):
    """ridge_gradient() is right for tall data, n < d and a single sample."""
    for n, d, lam in ((30, 4, 1.3), (3, 6, 0.2), (1, 3, 2.0)):
        X, y = _data(rng, n, d)
        beta = rng.normal(size=d)
        got = submission.ridge_gradient(X, y, beta, lam)
        want = reference.ridge_gradient(X, y, beta, lam)
        _check(got, want, name="gradient", hints=_gradient_hints(X, y, beta, lam, want))


@points(3, name="2.1 closed-form ridge solution: n < d, one sample, extreme lambdas", part="2.1")
def test_ridge_solution_shapes(submission, reference, rng, credit):
    """ridge_solution() is right where X^T X is singular, and for tiny and huge lambda."""
    cases = {
        "more features than samples (X^T X singular)": (*_data(rng, 3, 6), 0.7),
        "a single sample": (*_data(rng, 1, 3), 1.0),
        "tall data, lambda = 0 (least squares)": (*_data(rng, 40, 4), 0.0),
        "huge lambda": (*_data(rng, 12, 3), 1e6),
    }
    for label, (X, y, lam) in cases.items():
        with credit.part(label, weight=1):
            got = submission.ridge_solution(X, y, lam)
            want = reference.ridge_solution(X, y, lam)
            hints = _solution_hints(X, y, lam) if lam > 0 else ()
            _check(got, want, name="beta", hints=hints)


@points(3, name="2.2 ridge fit: n < d, shifted targets, one feature", part="2.2")
def test_ridge_fit_shapes(submission, reference, rng, credit):
    """ridge_fit() is right on other shapes, and shifting y only shifts the intercept."""
    with credit.part("other shapes", weight=2):
        for n, d, lam in ((25, 5, 3.0), (4, 7, 0.5), (10, 1, 1.0)):
            X, y = _data(rng, n, d)
            _check_fit(submission.ridge_fit(X, y, lam), reference.ridge_fit(X, y, lam), X, y, lam)
    with credit.part("shifting y by a constant", weight=1):
        X, y = _data(rng, 15, 3)
        base = submission.ridge_fit(X, y, 4.0)
        shifted = submission.ridge_fit(X, y + 100.0, 4.0)
        want = reference.ridge_fit(X, y + 100.0, 4.0)
        check_array(
            _entry(shifted, "coef", "ridge_fit"),
            _entry(base, "coef", "ridge_fit"),
            name="coef after adding 100 to y (the penalty must not touch the intercept)",
        )
        _check_fit(shifted, want, X, y + 100.0, 4.0)


@points(3, name="2.2 effect of lambda: the ridge path", part="2.2")
def test_ridge_path_effect(submission, reference, rng, credit):
    """ridge_path() shrinks the coefficients as lambda grows, from least squares to zero."""
    X, y = _data(rng, 20, 4)
    lams = [0.0, 0.01, 0.3, 3.0, 30.0, 300.0, 1e7]
    got = submission.ridge_path(X, y, lams)
    with credit.part("shrinkage", weight=1):
        arr = as_floats(got, (len(lams), 4))  # the shape first: no huge conversion
        check_true(
            arr is not None,
            f"ridge path has shape {_shape(got)}; expected ({len(lams)}, 4), one row per lambda",
        )
        norms = np.linalg.norm(arr, axis=1)
        check_true(
            bool(np.all(np.diff(norms) <= 1e-9 * (1 + norms[:-1]))),
            "the coefficient norm grows with lambda somewhere on the path; a larger penalty "
            "must shrink the coefficients",
        )
        check_true(
            bool(norms[-1] < 1e-4 * norms[0]),
            "with lambda = 1e7 the coefficients should be almost zero",
        )
    with credit.part("values", weight=2):
        check_array(got, reference.ridge_path(X, y, lams), name="ridge path")
