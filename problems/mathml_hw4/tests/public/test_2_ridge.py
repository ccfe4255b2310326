"""Public tests, sections 2.1 and 2.2: ridge regression on a small fixed dataset.

Every expected value is written out below: these tests need only NumPy and the grader, so they
run the same in the student kit as in the course's checkout.
"""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_true, keys_of, points

# Inputs: eight samples of y = 1.5 x1 - 2 x2 + 0.5 x3 + 3 plus a little noise.
X_PUB = np.array(
    [
        [1.0288568739519013, 1.6419200406711503, 1.1467195295966137],
        [-0.9731795154745656, -1.3928000963768683, 0.06719635507109722],
        [0.8613509179404263, 0.509186798845688, 1.8102855742952833],
        [0.7508434731539183, 0.6397595539314624, -0.7313225212292476],
        [-1.1077170351272676, 1.4844055856837017, 0.048912403069534136],
        [0.8115201169815576, -1.3764228399745688, -0.43637073584081926],
        [-1.2910916333479945, -0.7756786842437912, 0.9030630777436289],
        [-1.4805813250203528, -0.5340928297145819, 0.16378857220098098],
    ]
)
Y_PUB = np.array(
    [
        1.7659579638923066,
        4.334200121112801,
        4.156609412279244,
        2.522898698225299,
        -1.649055977359598,
        6.779166555501747,
        3.0719333768857586,
        1.9716648836133222,
    ]
)
BETA_PUB = np.array([0.5, -1.0, 2.0])
LAM = 0.5
LAM_SOLUTION = 5.0
LAM_FIT = 2.0
PREDICT_COEF = np.array([1.0, -0.5, 2.0])
PREDICT_INTERCEPT = 0.75
LAMS = [0.0, 0.1, 1.0, 10.0, 100.0]

# Expected results: the loss and gradient at BETA_PUB with LAM, the solution with LAM_SOLUTION,
# the fit with LAM_FIT, the predictions of PREDICT_COEF, the path over LAMS.
RIDGE_LOSS = 71.523849019299
RIDGE_GRADIENT = np.array([-2.234548526861058, 19.17233103158247, 6.60929026717877])
RIDGE_SOLUTION = np.array([0.4812274984932631, -1.180448909502128, 0.9329976908370602])
RIDGE_FIT_COEF = np.array([1.1124166576771994, -1.5529371006415076, 0.2544615014218504])
RIDGE_FIT_INTERCEPT = 3.007404258398814
RIDGE_PREDICTIONS = np.array(
    [
        3.2513359128095534,
        0.607613242856063,
        4.977328667108149,
        -0.28168134627030805,
        -1.0020950218300502,
        1.3769900652872034,
        1.652873864261159,
        -0.13595776576109997,
    ]
)
RIDGE_PATH = np.array(
    [
        [1.5025823053936385, -2.0146520960966408, 0.4786500954266362],
        [1.4770340096565249, -1.9843902385004593, 0.46142647039898804],
        [1.2797224407599517, -1.751190041217017, 0.3408043997558762],
        [0.5323355809298047, -0.8334395035288668, 0.05301177504196807],
        [0.07313698591811313, -0.13964949778672878, -0.002354560958685691],
    ]
)


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


@points(1, name="2.1 ridge objective", part="2.1")
def test_ridge_loss(submission):
    """ridge_loss() is ||y - X beta||^2 + lambda ||beta||^2."""
    got = submission.ridge_loss(X_PUB, Y_PUB, BETA_PUB, LAM)
    check_array(got, RIDGE_LOSS, name="ridge loss", shape=())


@points(1, name="2.1 gradient of the ridge objective", part="2.1")
def test_ridge_gradient(submission):
    """ridge_gradient() is -2 X^T (y - X beta) + 2 lambda beta."""
    got = submission.ridge_gradient(X_PUB, Y_PUB, BETA_PUB, LAM)
    hints = _gradient_hints(X_PUB, Y_PUB, BETA_PUB, LAM, RIDGE_GRADIENT)
    _check(got, RIDGE_GRADIENT, name="gradient", hints=hints)


@points(2, name="2.1 closed-form ridge solution", part="2.1")
def test_ridge_solution(submission):
    """ridge_solution() is (X^T X + lambda I)^{-1} X^T y."""
    got = submission.ridge_solution(X_PUB, Y_PUB, LAM_SOLUTION)
    _check(got, RIDGE_SOLUTION, name="beta", hints=_solution_hints(X_PUB, Y_PUB, LAM_SOLUTION))


@points(2, name="2.2 ridge fit with an unpenalised intercept", part="2.2")
def test_ridge_fit(submission):
    """ridge_fit() returns the ridge coefficients of centred data and the matching intercept."""
    got = submission.ridge_fit(X_PUB, Y_PUB, LAM_FIT)
    want = {"coef": RIDGE_FIT_COEF, "intercept": RIDGE_FIT_INTERCEPT}
    _check_fit(got, want, X_PUB, Y_PUB, LAM_FIT)


@points(1, name="2.2 ridge predictions", part="2.2")
def test_ridge_predict(submission):
    """ridge_predict() is X coef + intercept, one value per row."""
    got = submission.ridge_predict(X_PUB, PREDICT_COEF, PREDICT_INTERCEPT)
    check_array(got, RIDGE_PREDICTIONS, name="predictions")


@points(1, name="2.2 ridge path: coefficients for several lambdas", part="2.2")
def test_ridge_path(submission):
    """ridge_path() stacks ridge_fit's coefficients, one row per lambda."""
    got = submission.ridge_path(X_PUB, Y_PUB, LAMS)
    check_array(got, RIDGE_PATH, name="ridge path")
