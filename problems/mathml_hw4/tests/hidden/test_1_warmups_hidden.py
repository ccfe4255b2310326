"""Hidden tests, section 1: the warm-up derivatives on other shapes (non-square, n != m, a
single row or column) and random entries."""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_true, points

SHAPES = ((2, 3), (4, 2), (1, 3), (3, 1), (3, 3))
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


@points(1, name="1.1 Jacobian of M^T M x: non-square and symmetric M", part="1")
def test_warmup1_shapes(submission, reference, rng, credit):
    """warmup1_jacobian() is M^T M for non-square M, and M^2 when M is symmetric."""
    with credit.part("non-square M", weight=1):
        for p, m in ((4, 2), (2, 3), (1, 3)):
            M, x = rng.normal(size=(p, m)), rng.normal(size=m)
            got = submission.warmup1_jacobian(M, x)
            hints = (("M M^T has the wrong size here; d(M^T M x)/dx = M^T M", M @ M.T),)
            _check(got, reference.warmup1_jacobian(M, x), name="Jacobian", hints=hints)
    with credit.part("symmetric M", weight=1):
        S = rng.normal(size=(4, 4))
        S = S + S.T
        x = rng.normal(size=4)
        _check(submission.warmup1_jacobian(S, x), S @ S, name="Jacobian (symmetric M)")


@points(1, name="1.2 gradient of tr(M X) on other shapes", part="1")
def test_warmup2_shapes(submission, reference, rng):
    """warmup2_gradient() is M^T for M (m, n) and X (n, m), several shapes including square."""
    for m, n in SHAPES:
        M, X = rng.normal(size=(m, n)), rng.normal(size=(n, m))
        got = submission.warmup2_gradient(M, X)
        hints = (("this is M; the gradient of tr(M X) with respect to X is M^T", M),)
        _check(got, reference.warmup2_gradient(M, X), name="gradient", hints=hints)


@points(1, name="1.3 tr(X X^T) on non-square X", part="1")
def test_warmup3_shapes(submission, reference, rng, credit):
    """warmup3_gradient() and warmup3_hessian() are right for non-square and 1x1 X."""
    cases = [rng.normal(size=shape) for shape in ((4, 2), (1, 3), (1, 1))]
    with credit.part("gradient", weight=1):
        for X in cases:
            _check(submission.warmup3_gradient(X), reference.warmup3_gradient(X), name="gradient")
    with credit.part("Hessian", weight=1):
        for X in cases:
            _check(submission.warmup3_hessian(X), reference.warmup3_hessian(X), name="Hessian")


@points(0.5, name="1.4 gradient of a^T X b on other shapes", part="1")
def test_warmup4_shapes(submission, reference, rng):
    """warmup4_gradient() is a b^T for several shapes of X, including square."""
    for m, n in SHAPES:
        X, a, b = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)
        got = submission.warmup4_gradient(X, a, b)
        hints = (("this is b a^T; the gradient of a^T X b is a b^T", np.outer(b, a)),)
        _check(got, reference.warmup4_gradient(X, a, b), name="gradient", hints=hints)


@points(2, name="1.5 a^T X^T X b on other shapes", part="1")
def test_warmup5_shapes(submission, reference, rng, credit):
    """warmup5_gradient() and warmup5_hessian() are right for X (n, m) with n != m and n = 1."""
    cases = []
    for n, m in ((4, 2), (2, 5), (1, 3), (3, 3)):
        cases.append((rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=m)))
    with credit.part("gradient", weight=3):
        for X, a, b in cases:
            got = submission.warmup5_gradient(X, a, b)
            hints = (
                (
                    "this is 2 X b a^T, which is only right when a b^T is symmetric; "
                    "differentiate (X a) . (X b) with the product rule",
                    2 * X @ np.outer(b, a),
                ),
            )
            _check(got, reference.warmup5_gradient(X, a, b), name="gradient", hints=hints)
    with credit.part("Hessian", weight=1):
        for X, a, b in cases:
            got = submission.warmup5_hessian(X, a, b)
            hints = ((_HESSIAN_HINT, np.kron(np.eye(X.shape[0]), 2 * np.outer(b, a))),)
            _check(got, reference.warmup5_hessian(X, a, b), name="Hessian", hints=hints)
