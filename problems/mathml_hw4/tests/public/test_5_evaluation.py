"""Public tests, section 4: RMSE, pseudo-inverse least squares, and the three models on the
dataset in data/regression.csv (rows 1-120 train, 121-180 test).

Every expected value is written out below, and the dataset is read from the assignment's data/
folder (two levels above this file, in the course's checkout and in the student kit alike): these
tests need only NumPy and the grader.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grader import as_floats, check_array, check_true, keys_of, points

DATA = Path(__file__).resolve().parents[2] / "data" / "regression.csv"
N_TRAIN = 120
LAM_EVALUATE = 1.0

# Inputs of test_rmse.
Y_RMSE = np.array([1.0, -2.0, 3.5, 0.0, 4.0])
Y_HAT_RMSE = np.array([1.5, -1.0, 3.0, 0.5, 2.0])

# Expected results: the RMSE of the two vectors above; least squares with an intercept on the
# training rows; the test RMSEs of least squares and of ridge with LAM_EVALUATE.
RMSE = 1.0723805294763609
PINV_COEF = np.array([1.7660649488057167, 1.7106332571669323, -1.6215771738283018])
PINV_INTERCEPT = 0.46811898479202757
TEST_RMSE = {"pinv": 1.893850181856179, "ridge": 1.8989670580673605}


def _evaluation_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test) from data/regression.csv."""
    if not DATA.is_file():
        raise FileNotFoundError(
            f"{DATA} is missing: the tests read the dataset from the data/ folder next to tests/"
        )
    table = np.loadtxt(DATA, delimiter=",", skiprows=1)
    X, y = table[:, :3], table[:, 3]
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


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
    """The two linear RMSEs against the expected ones; the MLP's must clearly beat them."""
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
def test_rmse(submission):
    """rmse() is the square root of the mean squared difference."""
    y, y_hat = Y_RMSE, Y_HAT_RMSE
    hints = (
        ("this is the mean squared error: take its square root", RMSE**2),
        (
            "this is the square root of the sum, not of the mean: "
            "RMSE = sqrt(sum((y - y_hat)^2) / N)",
            np.sqrt(np.sum((y - y_hat) ** 2)),
        ),
    )
    _check(submission.rmse(y, y_hat), RMSE, name="RMSE", hints=hints)


@points(1, name="4 least squares with the pseudo-inverse", part="4")
def test_pinv_fit(submission):
    """pinv_fit() returns the least-squares coefficients and intercept of the training set."""
    X, y, _, _ = _evaluation_data()
    got = submission.pinv_fit(X, y)
    want = {"coef": PINV_COEF, "intercept": PINV_INTERCEPT}
    _check_linear_fit(got, want, function="pinv_fit", hints=_no_intercept_hint(X, y))


@points(3, name="4 test RMSE of the three models", part="4")
def test_evaluate(submission, credit):
    """evaluate() reports the right pinv and ridge RMSEs, and a clearly better MLP RMSE."""
    got = submission.evaluate(*_evaluation_data(), LAM_EVALUATE)
    _check_evaluation(got, TEST_RMSE, credit, label="(lambda = 1)")
