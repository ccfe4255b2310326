"""Reference solution for ``cs229_ps2`` (seed 002: CS229 problem set 2).

Conventions (the statement in ``problems/cs229_ps2/README.md`` says the same to students):

- arrays are float64; a data set is ``X`` of shape (n, d) with one example per row;
- labels are 0/1 integers (spam = 1, inside the disc = 1, positive class = 1);
- every function returns plain data: arrays, floats, ints, bools, lists, dicts.

Corrections to the seed, checked in ``tests/test_reference_cs229.py``:

- two-layer network: the loss is an average, so dL/dJ^(i) = 1/n, not 1 (the seed sums);
  the output unit here is a sigmoid too, so dJ/dz2 carries o(1 - o); and the hidden unit's
  pre-activation is the full row product x . W1[:, j] + b1[j], not one weight times x;
- MAP with a Gaussian likelihood: the log-likelihood is -sum (y - x.theta)^2 / (2 sigma^2) + c
  (the seed's intermediate line has the sign flipped); the ridge weight is sigma^2 / eta^2;
- Laplace prior: gamma = 2 sigma^2 / b as the seed says, with the prior's normaliser d log(1/2b)
  (one factor per coordinate), not a single log(1/2b).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from reference._cache import memoize_by_value

# The data generators, reached by the assignment's tests as ``reference.data``: the grader puts
# the reference on the import path when the fixture first runs, after test modules are imported.
from reference.data import cs229_ps2_data as data  # noqa: F401 (re-exported for the tests)

KERNELS = ("dot", "rbf", "non_psd")


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """Logistic function, without overflow warnings for large |z|."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


# ---------------------------------------------------------------- 1. logistic regression


def logistic_loss(theta: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float = 0.0) -> float:
    """J(theta) = mean cross-entropy + (reg / 2) ||theta||^2 (every component penalised)."""
    theta, X, y = np.asarray(theta, float), np.asarray(X, float), np.asarray(y, float)
    z = X @ theta
    # log(1 + e^z) - y z is the cross-entropy of sigmoid(z); logaddexp keeps it finite.
    nll = np.mean(np.logaddexp(0.0, z) - y * z)
    return float(nll + 0.5 * reg * theta @ theta)


def logistic_gradient(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float = 0.0
) -> np.ndarray:
    """Gradient of :func:`logistic_loss`: X^T (sigmoid(X theta) - y) / n + reg * theta."""
    theta, X, y = np.asarray(theta, float), np.asarray(X, float), np.asarray(y, float)
    return X.T @ (sigmoid(X @ theta) - y) / X.shape[0] + reg * theta


# Up to 10,000 gradient steps; the tests repeat the same runs for every submission.
@memoize_by_value()
def logistic_regression(
    X: np.ndarray,
    y: np.ndarray,
    *,
    lr: float = 1.0,
    reg: float = 0.0,
    max_iter: int = 10_000,
    tol: float = 1e-6,
) -> dict[str, object]:
    """Gradient descent on :func:`logistic_loss` from theta = 0.

    Step t (t = 1, 2, ...) is theta <- theta - lr * gradient. Training stops after the first
    step whose change ||theta_new - theta_old||_2 is below ``tol`` (converged, iterations = t)
    or after ``max_iter`` steps (not converged, iterations = max_iter).
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    theta = np.zeros(X.shape[1])
    for t in range(1, int(max_iter) + 1):
        new = theta - lr * logistic_gradient(theta, X, y, reg)
        step = float(np.linalg.norm(new - theta))
        theta = new
        if step < tol:
            return {"theta": theta, "converged": True, "iterations": t}
    return {"theta": theta, "converged": False, "iterations": int(max_iter)}


# ---------------------------------------------------------------- 2. naive Bayes for spam


def tokenize(message: str) -> list[str]:
    """Lower-case the message and split it on whitespace."""
    return message.lower().split()


# The corpus helpers loop over hundreds of messages in Python, on the same corpora each time.
@memoize_by_value()
def build_vocab(messages: Sequence[str], min_messages: int = 5) -> list[str]:
    """Tokens that occur in at least ``min_messages`` distinct messages, sorted."""
    doc_freq: dict[str, int] = {}
    for message in messages:
        for token in set(tokenize(message)):
            doc_freq[token] = doc_freq.get(token, 0) + 1
    return sorted(tok for tok, c in doc_freq.items() if c >= min_messages)


@memoize_by_value()
def count_matrix(messages: Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    """(n, V) integer counts: entry (i, j) is how often vocab[j] occurs in message i."""
    index = {tok: j for j, tok in enumerate(vocab)}
    counts = np.zeros((len(messages), len(vocab)), dtype=np.int64)
    for i, message in enumerate(messages):
        for token in tokenize(message):
            j = index.get(token)
            if j is not None:
                counts[i, j] += 1
    return counts


def nb_fit(counts: np.ndarray, labels: np.ndarray, alpha: float = 1.0) -> dict[str, object]:
    """Multinomial-event naive Bayes with add-``alpha`` (Laplace) smoothing.

    phi_{k|c} = (alpha + number of occurrences of token k in class-c messages)
                / (alpha * V + number of tokens in class-c messages);
    the class prior is the fraction of messages in the class (not smoothed).
    """
    counts = np.asarray(counts, float)
    labels = np.asarray(labels).astype(int)
    V = counts.shape[1]
    out: dict[str, object] = {}
    for name, c in (("spam", 1), ("ham", 0)):
        tok = counts[labels == c].sum(axis=0)
        out[f"log_phi_{name}"] = np.log(alpha + tok) - np.log(alpha * V + tok.sum())
        out[f"log_prior_{name}"] = float(np.log(np.mean(labels == c)))
    return out


def nb_log_odds(model: Mapping[str, object], counts: np.ndarray) -> np.ndarray:
    """log p(spam | message) - log p(ham | message) for each row of ``counts``."""
    counts = np.asarray(counts, float)
    spam = counts @ np.asarray(model["log_phi_spam"]) + float(model["log_prior_spam"])  # type: ignore[arg-type]
    ham = counts @ np.asarray(model["log_phi_ham"]) + float(model["log_prior_ham"])  # type: ignore[arg-type]
    return spam - ham


def nb_predict(model: Mapping[str, object], counts: np.ndarray) -> np.ndarray:
    """1 (spam) where the spam posterior is strictly larger, else 0."""
    return (nb_log_odds(model, counts) > 0).astype(np.int64)


def top_tokens(model: Mapping[str, object], vocab: Sequence[str], k: int = 5) -> list[str]:
    """The k tokens with the largest log(phi_{k|spam} / phi_{k|ham}), largest first.

    Ties keep vocabulary order (a stable sort of the negated ratio).
    """
    ratio = np.asarray(model["log_phi_spam"]) - np.asarray(model["log_phi_ham"])  # type: ignore[operator]
    order = np.argsort(-ratio, kind="stable")
    return [vocab[j] for j in order[:k]]


# ---------------------------------------------------------------- 3. kernelised perceptron


def kernel_matrix(A: np.ndarray, B: np.ndarray, kernel: str, *, sigma: float = 1.0) -> np.ndarray:
    """(len(A), len(B)) matrix K[i, j] = K(A[i], B[j]).

    ``dot``: a . b;  ``rbf``: exp(-||a - b||^2 / (2 sigma^2));
    ``non_psd``: -1 if a == b (every coordinate equal) else 0, whose Gram matrix is -I.
    """
    A, B = np.atleast_2d(np.asarray(A, float)), np.atleast_2d(np.asarray(B, float))
    if kernel == "dot":
        return A @ B.T
    if kernel == "rbf":
        sq = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
        return np.exp(-np.maximum(sq, 0.0) / (2.0 * sigma**2))
    if kernel == "non_psd":
        return -np.all(A[:, None, :] == B[None, :, :], axis=2).astype(float)
    raise ValueError(f"unknown kernel {kernel!r}; expected one of {KERNELS}")


# A Python loop over the examples, on the same data sets for every submission.
@memoize_by_value()
def perceptron_train(
    X: np.ndarray, y: np.ndarray, kernel: str, *, lr: float = 0.5, sigma: float = 1.0
) -> np.ndarray:
    """One pass of the kernelised perceptron; returns beta of shape (n,).

    theta is kept implicitly as sum_j beta_j phi(x_j). Example i is predicted with
    g(sum_{j<i} beta_j K(x_j, x_i)), g(s) = 1 if s >= 0 else 0, and then
    beta_i = lr * (y_i - prediction).
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    K = kernel_matrix(X, X, kernel, sigma=sigma)
    beta = np.zeros(X.shape[0])
    for i in range(X.shape[0]):
        s = float(K[:i, i] @ beta[:i])
        beta[i] = lr * (y[i] - (1.0 if s >= 0 else 0.0))
    return beta


def perceptron_predict(
    X_train: np.ndarray,
    beta: np.ndarray,
    X_new: np.ndarray,
    kernel: str,
    *,
    sigma: float = 1.0,
) -> np.ndarray:
    """Labels g(sum_j beta_j K(x_j, x)) in {0, 1} for each row x of ``X_new``."""
    s = kernel_matrix(X_new, X_train, kernel, sigma=sigma) @ np.asarray(beta, float)
    return (s >= 0).astype(np.int64)


# ---------------------------------------------------------------- 4. MAP estimation


def map_gaussian(X: np.ndarray, y: np.ndarray, sigma: float, eta: float) -> np.ndarray:
    """MAP for y ~ N(X theta, sigma^2 I), theta ~ N(0, eta^2 I): ridge, lambda = sigma^2/eta^2."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    lam = sigma**2 / eta**2
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)


def laplace_gamma(sigma: float, b: float) -> float:
    """The L1 weight gamma = 2 sigma^2 / b of the Laplace-prior MAP objective."""
    return 2.0 * sigma**2 / b


def map_laplace_objective(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, sigma: float, b: float
) -> float:
    """||y - X theta||_2^2 + gamma ||theta||_1, gamma = 2 sigma^2 / b.

    This is 2 sigma^2 times the negative log posterior up to a constant, so it has the same
    minimiser.
    """
    theta, X, y = np.asarray(theta, float), np.asarray(X, float), np.asarray(y, float)
    r = y - X @ theta
    return float(r @ r + laplace_gamma(sigma, b) * np.abs(theta).sum())


# Coordinate descent to 1e-12, on the same problems for every submission.
@memoize_by_value()
def map_laplace(
    X: np.ndarray,
    y: np.ndarray,
    sigma: float,
    b: float,
    *,
    max_iter: int = 10_000,
    tol: float = 1e-12,
) -> np.ndarray:
    """Minimiser of :func:`map_laplace_objective` by cyclic coordinate descent.

    Along coordinate j the objective is z t^2 - 2 rho t + gamma |t| + const with
    z = ||X_j||^2, rho = X_j . (y - X theta + X_j theta_j), minimised by the soft threshold
    t = sign(rho) max(|rho| - gamma / 2, 0) / z.
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    gamma = laplace_gamma(sigma, b)
    d = X.shape[1]
    theta = np.zeros(d)
    col_sq = (X * X).sum(axis=0)
    r = y.copy()
    for _ in range(int(max_iter)):
        biggest = 0.0
        for j in range(d):
            if col_sq[j] == 0.0:
                continue  # a zero column never helps the fit, and the penalty pins it at 0
            rho = X[:, j] @ r + col_sq[j] * theta[j]
            new = np.sign(rho) * max(abs(rho) - gamma / 2.0, 0.0) / col_sq[j]
            delta = new - theta[j]
            if delta != 0.0:
                r -= X[:, j] * delta
                theta[j] = new
                biggest = max(biggest, abs(delta))
        if biggest < tol:
            break
    return theta


# ---------------------------------------------------------------- 5. two-layer network


def two_layer_forward(
    X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: float
) -> dict[str, np.ndarray]:
    """z1 = X W1 + b1, h = sigmoid(z1), z2 = h W2 + b2, o = sigmoid(z2).

    Shapes: X (n, d), W1 (d, m), b1 (m,), W2 (m,), b2 scalar; z1, h (n, m); z2, o (n,).
    """
    X = np.asarray(X, float)
    z1 = X @ np.asarray(W1, float) + np.asarray(b1, float)
    h = sigmoid(z1)
    z2 = h @ np.asarray(W2, float) + float(b2)
    return {"z1": z1, "h": h, "z2": z2, "o": sigmoid(z2)}


def two_layer_loss(  # noqa: PLR0917 (the parameters mirror the math)
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: float
) -> float:
    """L = (1/n) sum_i (o_i - y_i)^2."""
    o = two_layer_forward(X, W1, b1, W2, b2)["o"]
    return float(np.mean((o - np.asarray(y, float)) ** 2))


def two_layer_gradients(  # noqa: PLR0917 (the parameters mirror the math)
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: float
) -> dict[str, object]:
    """The loss and its gradients ``dW1 db1 dW2 db2`` (same shapes as the parameters)."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    f = two_layer_forward(X, W1, b1, W2, b2)
    h, o = f["h"], f["o"]
    n = X.shape[0]
    dz2 = 2.0 * (o - y) / n * o * (1.0 - o)  # dL/dJ_i = 1/n, dJ_i/do_i = 2(o_i - y_i)
    dz1 = np.outer(dz2, np.asarray(W2, float)) * h * (1.0 - h)
    return {
        "loss": float(np.mean((o - y) ** 2)),
        "dW1": X.T @ dz1,
        "db1": dz1.sum(axis=0),
        "dW2": h.T @ dz2,
        "db2": float(dz2.sum()),
    }


# ---------------------------------------------------------------- 6. batch normalisation


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5
) -> dict[str, np.ndarray]:
    """Per feature: mu, var (1/m), x_hat = (x - mu) / sqrt(var + eps), y = gamma x_hat + beta."""
    x = np.asarray(x, float)
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return {
        "y": np.asarray(gamma, float) * x_hat + np.asarray(beta, float),
        "x_hat": x_hat,
        "mu": mu,
        "var": var,
    }


def batchnorm_backward(
    dy: np.ndarray, x: np.ndarray, gamma: np.ndarray, *, eps: float = 1e-5
) -> dict[str, np.ndarray]:
    """Gradients of L given dL/dy: ``dbeta dgamma dx_hat dvar dmu dx``.

    ``dvar`` holds mu fixed; ``dmu`` is the total derivative through x_hat and through var (the
    latter is zero at mu = mean(x), as the seed shows); ``dx`` adds the three paths
    dx_hat / s + dvar * 2 (x - mu) / m + dmu / m, s = sqrt(var + eps).
    """
    dy, x = np.asarray(dy, float), np.asarray(x, float)
    gamma = np.asarray(gamma, float)
    m = x.shape[0]
    f = batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=eps)
    xc = x - f["mu"]
    s = np.sqrt(f["var"] + eps)
    dx_hat = dy * gamma
    dvar = -0.5 * (dx_hat * xc).sum(axis=0) / s**3
    dmu = -dx_hat.sum(axis=0) / s + dvar * (-2.0 / m) * xc.sum(axis=0)
    dx = dx_hat / s + dvar * 2.0 * xc / m + dmu / m
    return {
        "dbeta": dy.sum(axis=0),
        "dgamma": (dy * f["x_hat"]).sum(axis=0),
        "dx_hat": dx_hat,
        "dvar": dvar,
        "dmu": dmu,
        "dx": dx,
    }
