"""Public tests, section 4: RMSE, pseudo-inverse least squares, and the three models on the
dataset in data/regression.csv (rows 1-120 train, 121-180 test)."""

from __future__ import annotations

import numpy as np

from grader import check_array, check_true, points


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


@points(1, name="4 RMSE", part="4")
def test_rmse(submission, reference):
    """rmse() is the square root of the mean squared difference."""
    y = np.array([1.0, -2.0, 3.5, 0.0, 4.0])
    y_hat = np.array([1.5, -1.0, 3.0, 0.5, 2.0])
    want = reference.rmse(y, y_hat)
    hints = (
        ("this is the mean squared error: take its square root", want**2),
        (
            "this is the square root of the sum, not of the mean: "
            "RMSE = sqrt(sum((y - y_hat)^2) / N)",
            np.sqrt(np.sum((y - y_hat) ** 2)),
        ),
    )
    _check(submission.rmse(y, y_hat), want, name="RMSE", hints=hints)


@points(1, name="4 least squares with the pseudo-inverse", part="4")
def test_pinv_fit(submission, reference):
    """pinv_fit() returns the least-squares coefficients and intercept of the training set."""
    X, y, _, _ = reference.evaluation_data()
    got = submission.pinv_fit(X, y)
    _check_linear_fit(
        got, reference.pinv_fit(X, y), function="pinv_fit", hints=_no_intercept_hint(X, y)
    )


@points(3, name="4 test RMSE of the three models", part="4")
def test_evaluate(submission, reference, credit):
    """evaluate() reports the right pinv and ridge RMSEs, and a clearly better MLP RMSE."""
    data = reference.evaluation_data()
    got = submission.evaluate(*data, 1.0)
    _check_evaluation(got, reference.evaluate(*data, 1.0), credit, label="(lambda = 1)")
