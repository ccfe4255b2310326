"""Hidden tests, section 4: RMSE on other shapes, a rank-deficient least-squares problem, and
the three models on a fresh draw of the dataset with another lambda."""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_true, keys_of, points

# The hidden draw of the section-4 data; chosen by measurement (reference/data/mathml_regression.py
# says how) and checked equal to FRESH_SEED there by tests/test_reference_mathml.py.
FRESH_SEED = 8


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


def _check_linear_fit(got: object, want: dict, *, function: str, hints: tuple = ()) -> None:
    """coef and intercept of a linear fit, explaining known mistakes given as
    (message, coef, intercept)."""
    coef, intercept = _entry(got, "coef", function), _entry(got, "intercept", function)
    if not (_same(coef, want["coef"]) and _same(intercept, want["intercept"])):
        for message, wrong_coef, wrong_intercept in hints:
            if _same(coef, wrong_coef) and _same(intercept, wrong_intercept):
                check_true(False, f"{function}: {message}")
    check_array(coef, want["coef"], name="coef")
    check_array(intercept, want["intercept"], name="intercept", shape=())


def _no_intercept_hint(X: np.ndarray, y: np.ndarray) -> tuple:
    """Least squares through the origin, a known mistake for pinv_fit."""
    coef = np.linalg.pinv(X) @ y
    return (
        ("there is no intercept: add a column of ones to X before the pseudo-inverse", coef, 0.0),
    )


def _check_evaluation(got: object, want: dict, credit, *, label: str) -> None:
    """The two linear RMSEs against the reference; the MLP's must clearly beat them."""
    for key in ("pinv", "ridge"):
        with credit.part(f"{key} RMSE", weight=1):
            check_array(
                _entry(got, key, "evaluate"), want[key], name=f"{key} RMSE {label}", rtol=1e-5
            )
    with credit.part("mlp RMSE", weight=1):
        value = _entry(got, "mlp", "evaluate")
        try:
            number = float(np.asarray(value, dtype=float))
        except (TypeError, ValueError):
            number = float("nan")
        check_true(
            bool(np.isfinite(number)),
            f"the MLP's RMSE {label} is not a finite number: training diverged (check the "
            f"gradients of section 3.4 and the learning rate)",
        )
        bound = 0.8 * want["pinv"]
        check_true(
            bool(number < bound),
            f"the MLP's test RMSE {label} is {number:.4g}, not below "
            f"{bound:.4g} (4/5 of the linear model's): the data are non-linear, so a trained "
            f"MLP should do clearly better. Standardise inputs and targets with the training "
            f"statistics, and train long enough (see README, section 4)",
        )


@points(1, name="4 RMSE on other shapes", part="4")
def test_rmse_shapes(submission, reference, rng):
    """rmse() is right for a single value, a column vector and a long vector."""
    for shape in ((1,), (7, 1), (200,)):
        y, y_hat = rng.normal(size=shape), rng.normal(size=shape)
        _check(submission.rmse(y, y_hat), reference.rmse(y, y_hat), name="RMSE")


@points(2, name="4 pseudo-inverse with duplicated features and n < d", part="4")
def test_pinv_fit_rank_deficient(submission, reference, rng, credit):
    """pinv_fit() gives the minimum-norm least-squares fit when X has repeated columns or
    fewer rows than columns (X^T X is singular there)."""
    with credit.part("a duplicated column", weight=1):
        X = rng.normal(size=(20, 3))
        X = np.hstack([X, X[:, :1]])
        y = X @ np.array([1.0, -1.0, 2.0, 0.0]) + 0.5 + 0.1 * rng.normal(size=20)
        _check_linear_fit(
            submission.pinv_fit(X, y),
            reference.pinv_fit(X, y),
            function="pinv_fit",
            hints=_no_intercept_hint(X, y),
        )
    with credit.part("fewer samples than features", weight=1):
        X = rng.normal(size=(4, 6))
        y = rng.normal(size=4)
        _check_linear_fit(
            submission.pinv_fit(X, y),
            reference.pinv_fit(X, y),
            function="pinv_fit",
            hints=_no_intercept_hint(X, y),
        )


@points(2, name="4 test RMSE of the three models on fresh data", part="4")
def test_evaluate_fresh(submission, reference, credit):
    """evaluate() is right on a new draw of the data with lambda = 10."""
    data = reference.evaluation_data(FRESH_SEED)
    # The MLP's RMSE is only bounded (by the linear one's), so the reference trains no MLP here.
    got = submission.evaluate(*data, 10.0)
    want = reference.linear_rmses(*data, 10.0)
    _check_evaluation(got, want, credit, label="(fresh data)")
