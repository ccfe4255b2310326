"""The checking machinery every claim uses: symbolic zero tests, numeric comparisons, evidence.

SymPy's ``simplify``/``.equals`` can answer None or miss true identities, so a symbolic check here
never trusts one call: it expands, probes the expression at random points with 30-digit
arithmetic (a wrong formula fails fast there), and only then tries ``cancel``/``simplify``. An
identity SymPy cannot close but that holds at every probe is reported as a numeric identity, not
as a proof.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import sympy as sp

from reference.derivations._registry import CandidateError, Evidence

#: Relative error allowed when comparing a formula with central finite differences.
FD_TOL = 1e-6
#: Relative error allowed when comparing two exact-in-principle float computations.
NUMERIC_TOL = 1e-9
#: |value| below which a 30-digit evaluation of an expression counts as zero.
PROBE_ZERO = 1e-15
#: Expressions with more operations than this skip ``simplify`` (it can run for minutes).
SIMPLIFY_MAX_OPS = 400


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from the claim's name, so every run checks the same instances."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """max |got - want| divided by max |want| (or 1 when ``want`` is about zero)."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.size == 0:
        return 0.0
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(want))):
        return float("inf")
    scale = float(np.max(np.abs(want)))
    # An all-zero target (a gradient at the optimum) has no scale: fall back to absolute error.
    return float(np.max(np.abs(got - want))) / (scale if scale > 1e-8 else 1.0)


def central_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Central finite differences of a scalar function of an array (any shape)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = h * max(1.0, abs(float(x[idx])))
        old = x[idx]
        x[idx] = old + step
        up = f(x)
        x[idx] = old - step
        down = f(x)
        x[idx] = old
        grad[idx] = (up - down) / (2.0 * step)
    return grad


def _probe_values(
    symbols: set[sp.Symbol], rng: np.random.Generator
) -> dict[sp.Symbol, sp.Rational]:
    values = {}
    for s in sorted(symbols, key=str):
        # Rationals keep the probe exact until evalf; positive symbols get positive values.
        num = int(rng.integers(1, 40)) if s.is_positive else int(rng.integers(-40, 40)) or 1
        values[s] = sp.Rational(num, int(rng.integers(7, 23)))
    return values


def probe(expr: sp.Expr, rng: np.random.Generator, points: int = 3) -> float:
    """Largest |expr| over a few random points, evaluated with 30 significant digits."""
    worst = 0.0
    symbols = expr.free_symbols
    for _ in range(points):
        value = complex(sp.N(expr.xreplace(_probe_values(symbols, rng)), 30))
        worst = max(worst, abs(value))
        if not symbols:
            break
    return worst


def _has_symbolic_denominator(expr: sp.Expr) -> bool:
    return any(p.exp.is_negative and p.base.free_symbols for p in expr.atoms(sp.Pow))


def is_zero(  # noqa: PLR0911  (one return per stage of the cascade reads best)
    expr: Any, rng: np.random.Generator
) -> tuple[bool | None, float]:
    """(True, 0) if SymPy proves ``expr == 0``; (False, |value|) if a probe shows it is not;
    (None, |value|) if every probe is zero but SymPy could not close the identity."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True, 0.0
    # Expanding a rational function multiplies out every numerator for nothing; only
    # polynomials in the symbols go straight to expand().
    if not _has_symbolic_denominator(expr) and sp.expand(expr) == 0:
        return True, 0.0
    value = probe(expr, rng)
    if value > PROBE_ZERO:
        return False, value
    # A rational function is zero iff the numerator of its combined fraction expands to zero;
    # that is much cheaper than cancel(), which computes polynomial gcds.
    numerator, _ = sp.fraction(sp.together(expr))
    if sp.expand(numerator) == 0:
        return True, 0.0
    reduced = sp.cancel(expr)
    if reduced == 0:
        return True, 0.0
    if sp.count_ops(reduced) <= SIMPLIFY_MAX_OPS and sp.simplify(reduced) == 0:
        return True, 0.0
    return None, value


class Checker:
    """Collects the checks of one claim and turns them into ``Evidence``.

    ``method`` is the strongest method the claim means to use; it is downgraded to "numeric
    identity" when a symbolic step only held numerically.
    """

    def __init__(self, name: str, method: str) -> None:
        self.name = name
        self.method = method
        self.rng = rng_for(name)
        self.trials = 0
        self.worst = 0.0
        self.failures: list[str] = []
        self.notes: list[str] = []
        self._undecided: list[str] = []

    # --- candidates -------------------------------------------------------------------------
    def call(self, label: str, formula: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Evaluate a candidate formula; if it raises, the claim fails with that reason."""
        try:
            return formula(*args, **kwargs)
        except Exception as exc:
            raise CandidateError(
                f"the formula for {label} raised {type(exc).__name__}: {exc}", method=self.method
            ) from exc

    # --- trials -----------------------------------------------------------------------------
    def trial_range(self, n: int) -> Iterator[int]:
        """Count ``n`` independent random instances as they run."""
        for i in range(n):
            self.trials += 1
            yield i

    # --- symbolic ---------------------------------------------------------------------------
    def zero(self, label: str, expr: Any) -> bool:
        """Check that a scalar or matrix expression is identically zero."""
        entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
        undecided = False
        for e in entries:
            verdict, value = is_zero(e, self.rng)
            if verdict is False:
                self.worst = max(self.worst, value)
                self.failures.append(f"{label}: not identically zero (|difference| = {value:.3g} "
                                     "at a random point)")
                return False
            if verdict is None:
                undecided = True
        if undecided:
            self._undecided.append(label)
        return True

    def same(self, label: str, got: Any, want: Any) -> bool:
        """Symbolic equality of two expressions or matrices, shapes first."""
        if isinstance(want, sp.MatrixBase):
            if not isinstance(got, sp.MatrixBase):
                got = sp.Matrix(got) if isinstance(got, list | tuple) else got
            if not isinstance(got, sp.MatrixBase) or got.shape != want.shape:
                shape = getattr(got, "shape", "a scalar")
                self.failures.append(f"{label}: has shape {shape}; expected {want.shape}")
                return False
        return self.zero(label, got - want)

    def shape(self, label: str, got: Any, shape: tuple[int, ...]) -> bool:
        """Check a candidate's shape before its values (a transposed answer fails here)."""
        actual = tuple(getattr(got, "shape", ()))
        if actual != tuple(shape):
            self.failures.append(f"{label}: has shape {actual}; expected {tuple(shape)}")
            self.worst = float("inf")
            return False
        return True

    # --- numeric ----------------------------------------------------------------------------
    def close(self, label: str, got: Any, want: Any, tol: float = NUMERIC_TOL) -> bool:
        """Numeric comparison, shapes first; records the relative error."""
        g = np.asarray(got, dtype=float)
        w = np.asarray(want, dtype=float)
        if g.shape != w.shape:
            self.failures.append(f"{label}: has shape {g.shape}; expected {w.shape}")
            self.worst = float("inf")
            return False
        err = relative_error(g, w)
        self.worst = max(self.worst, err)
        if not err <= tol:
            where = ""
            if g.ndim:
                idx = np.unravel_index(int(np.argmax(np.abs(g - w))), g.shape)
                where = f" worst at index {tuple(int(i) for i in idx)}"
            self.failures.append(f"{label}: relative error {err:.3g} > {tol:g}{where}")
            return False
        return True

    def note(self, text: str) -> None:
        """A remark for the detail line (a mistake in the seed, a convention)."""
        self.notes.append(text)

    # --- result -----------------------------------------------------------------------------
    def evidence(self, shown: str) -> Evidence:
        """Evidence with ``shown`` (what holds) as the detail, or the first failures."""
        method = self.method
        if method == "symbolic" and self._undecided:
            method = "numeric identity"
            self.notes.append("SymPy could not close " + ", ".join(self._undecided[:3])
                              + "; it held at every random probe")
        if self.failures:
            detail = "; ".join(self.failures[:3])
            if len(self.failures) > 3:
                detail += f"; and {len(self.failures) - 3} more"
        else:
            detail = shown
        if self.notes:
            detail += ". " + ". ".join(self.notes)
        return Evidence(method=method, holds=not self.failures, trials=self.trials,
                        worst_error=float(self.worst), detail=detail)


def symbol_matrix(name: str, rows: int, cols: int, **assumptions: bool) -> sp.Matrix:
    """An explicit matrix of scalar symbols ``name_i_j`` (MatrixSymbol derivatives are unreliable:
    SymPy sometimes returns 0 or an unevaluated derivative for them)."""
    return sp.Matrix(rows, cols,
                     lambda i, j: sp.Symbol(f"{name}_{i}_{j}", real=True, **assumptions))


def jacobian_wrt(expr: sp.Expr, M: sp.Matrix) -> sp.Matrix:
    """d expr / d M entrywise, same shape as ``M`` (the gradient layout)."""
    return M.applyfunc(lambda s: sp.diff(expr, s))


def random_full_rank(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A Gaussian matrix; redrawn in the (measure-zero) case it is badly conditioned."""
    while True:
        A = rng.normal(size=(rows, cols))
        if np.linalg.cond(A) < 1e3:
            return A


def sym_array(name: str, *shape: int, **assumptions: bool) -> np.ndarray:
    """A NumPy object array of real SymPy symbols ``name_i_j``.

    Candidate formulas are written NumPy-style (``X.T @ (Y - Yhat) / n``); fed object arrays of
    symbols they build SymPy expressions, fed floats they compute numbers, so one candidate serves
    both the symbolic proof and the numeric trials.
    """
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        suffix = "_".join(str(i) for i in idx)
        out[idx] = sp.Symbol(f"{name}_{suffix}", real=True, **assumptions)
    return out


def same_array(chk: Checker, label: str, got: Any, want: np.ndarray) -> bool:
    """Symbolic equality of two object arrays, shape first."""
    if not chk.shape(label, got, np.shape(want)):
        return False
    return chk.zero(label, sp.Matrix(np.asarray(got - want, dtype=object).reshape(-1)))
