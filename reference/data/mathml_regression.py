"""The regression dataset of ``mathml_hw4`` section 4, generated with a fixed seed.

Three features drawn uniformly from [-2, 2]; the target mixes a linear part, a sine and two
products, plus Gaussian noise (sd 0.3), so a linear model leaves a clear non-linear residual
that a one-hidden-layer MLP can pick up. 300 rows: the first 240 are the training set, the last
60 the test set. ``problems/mathml_hw4/data/regression.csv`` is this data written out for
students; the project's tests check the two agree.
"""

from __future__ import annotations

import numpy as np

N_ROWS = 300
N_TRAIN = 240
SEED = 20241111
COLUMNS = ("x1", "x2", "x3", "y")


def make_regression(n: int = N_ROWS, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Features X (n, 3) and target y (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(n, 3))
    x1, x2, x3 = X.T
    y = 2.0 * x1 - 1.5 * x3 + 3.0 * np.sin(1.5 * x2) + 0.8 * x1 * x3 + 0.5 * x2**2
    y = y + rng.normal(scale=0.3, size=n)
    return X, y


def load_split(seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test): the first ``N_TRAIN`` rows train, the rest test.

    Other seeds give fresh datasets from the same distribution (the hidden tests use one).
    """
    X, y = make_regression(seed=seed)
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def to_csv_text() -> str:
    """The dataset as CSV text with a header, every value exact to float64 (17 digits)."""
    X, y = make_regression()
    lines = [",".join(COLUMNS)]
    lines += [
        ",".join(f"{v:.17g}" for v in (*row, target)) for row, target in zip(X, y, strict=True)
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(to_csv_text())
