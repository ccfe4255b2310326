"""Public tests, section 1: the five warm-up derivatives on small fixed examples.

Every expected value is written out below: these tests need only NumPy and the grader, so they
run the same in the student kit as in the course's checkout.
"""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_true, points

# Inputs.
M_SQUARE = np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0], [2.0, 0.0, -1.0]])
X_VEC = np.array([1.0, 2.0, -1.0])
X_2x3 = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
M_3x2 = np.array([[2.0, 1.0], [-1.0, 4.0], [1.5, 0.0]])  # X_2x3^T + 1
X_3x2 = np.array([[1.0, 0.0], [-2.0, 3.0], [0.5, -1.0]])  # X_2x3^T
A_3 = np.array([1.0, -1.0, 2.0])
B_3 = np.array([0.5, 2.0, -1.0])
B_2 = np.array([2.0, -3.0])

# Expected results.
JACOBIAN_1 = np.array([[6.0, 1.5, -5.0], [1.5, 4.25, 1.5], [-5.0, 1.5, 10.0]])
GRADIENT_2 = np.array([[2.0, -1.0, 1.5], [1.0, 4.0, 0.0]])
GRADIENT_3 = np.array([[2.0, -4.0, 1.0], [0.0, 6.0, -2.0]])
HESSIAN_3 = np.array(
    [
        [2.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 2.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 2.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 2.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 2.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 2.0],
    ]
)
GRADIENT_4 = np.array([[2.0, -3.0], [-2.0, 3.0], [4.0, -6.0]])
GRADIENT_5 = np.array([[-2.0, 12.0, -12.0], [4.5, -17.0, 19.0]])
HESSIAN_5 = np.array(
    [
        [1.0, 1.5, 0.0, 0.0, 0.0, 0.0],
        [1.5, -4.0, 5.0, 0.0, 0.0, 0.0],
        [0.0, 5.0, -4.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0, 1.5, 0.0],
        [0.0, 0.0, 0.0, 1.5, -4.0, 5.0],
        [0.0, 0.0, 0.0, 0.0, 5.0, -4.0],
    ]
)

_HESSIAN_HINT = (
    "this is kron(I, 2 b a^T), the derivative of the wrong gradient 2 X b a^T; "
    "the right one is kron(I, a b^T + b a^T)"
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


@points(1, name="1.1 Jacobian of M^T M x", part="1")
def test_warmup1(submission):
    """warmup1_jacobian() is M^T M for a square, non-symmetric M."""
    got = submission.warmup1_jacobian(M_SQUARE, X_VEC)
    hints = (("this is M M^T; d(M^T M x)/dx = M^T M", M_SQUARE @ M_SQUARE.T),)
    _check(got, JACOBIAN_1, name="Jacobian", hints=hints)


@points(1, name="1.2 gradient of tr(M X)", part="1")
def test_warmup2(submission):
    """warmup2_gradient() is M^T, shaped like X (M is 3x2, X is 2x3)."""
    got = submission.warmup2_gradient(M_3x2, X_2x3)
    _check(got, GRADIENT_2, name="gradient")


@points(1, name="1.3 gradient and Hessian of tr(X X^T)", part="1")
def test_warmup3(submission, credit):
    """warmup3_gradient() is 2 X and warmup3_hessian() is 2 I over the flattened X."""
    with credit.part("gradient", weight=1):
        got = submission.warmup3_gradient(X_2x3)
        hints = (("this is X; tr(X X^T) is the sum of squares, so the gradient is 2 X", X_2x3),)
        _check(got, GRADIENT_3, name="gradient", hints=hints)
    with credit.part("Hessian", weight=1):
        got = submission.warmup3_hessian(X_2x3)
        _check(got, HESSIAN_3, name="Hessian")


@points(0.5, name="1.4 gradient of a^T X b", part="1")
def test_warmup4(submission):
    """warmup4_gradient() is a b^T (X is 3x2, a has 3 entries, b has 2)."""
    got = submission.warmup4_gradient(X_3x2, A_3, B_2)
    _check(got, GRADIENT_4, name="gradient")


@points(1, name="1.5 gradient and Hessian of a^T X^T X b", part="1")
def test_warmup5(submission, credit):
    """warmup5_gradient() is X (a b^T + b a^T); warmup5_hessian() is kron(I, a b^T + b a^T)."""
    with credit.part("gradient", weight=3):
        got = submission.warmup5_gradient(X_2x3, A_3, B_3)
        hints = (
            (
                "this is 2 X b a^T, which is only right when a b^T is symmetric; "
                "differentiate (X a) . (X b) with the product rule",
                2 * X_2x3 @ np.outer(B_3, A_3),
            ),
            ("this is only X b a^T: X a b^T is missing", X_2x3 @ np.outer(B_3, A_3)),
        )
        _check(got, GRADIENT_5, name="gradient", hints=hints)
    with credit.part("Hessian", weight=1):
        got = submission.warmup5_hessian(X_2x3, A_3, B_3)
        hints = ((_HESSIAN_HINT, np.kron(np.eye(2), 2 * np.outer(B_3, A_3))),)
        _check(got, HESSIAN_5, name="Hessian", hints=hints)
