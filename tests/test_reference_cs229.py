"""The cs229_ps2 reference, checked by routes that do not share its code.

Gradients against central finite differences of the losses; MAP estimates against the log
densities they come from (stationarity, perturbation, a grid search, the KKT conditions); naive
Bayes against counting by hand; kernels against explicit feature maps; the data generators
against the files shipped to students. Also the seed's claims we kept or corrected.
"""

from __future__ import annotations

import ast
import importlib.util
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from reference import cs229_ps2 as ref
from reference.data import cs229_ps2_data as data

ROOT = Path(__file__).resolve().parents[1]


def numeric_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Central differences of a scalar function of an array (x is restored afterwards)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(x)
        x[idx] = old - h
        down = f(x)
        x[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


def newton_logistic(X: np.ndarray, y: np.ndarray, reg: float, steps: int = 50) -> np.ndarray:
    """Minimiser of the regularised mean cross-entropy by Newton's method (written here)."""
    theta = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-X @ theta))
        grad = X.T @ (p - y) / len(y) + reg * theta
        hess = (X.T * (p * (1 - p))) @ X / len(y) + reg * np.eye(X.shape[1])
        theta = theta - np.linalg.solve(hess, grad)
    return theta


def is_separable_by_perceptron(X: np.ndarray, y: np.ndarray, epochs: int = 5000) -> bool:
    """True when the primal perceptron (with intercept) makes a full pass without mistakes."""
    Xb = np.hstack([np.ones((len(X), 1)), X])
    s = 2 * y - 1
    w = np.zeros(Xb.shape[1])
    for _ in range(epochs):
        mistakes = 0
        for xi, si in zip(Xb, s, strict=True):
            if si * (w @ xi) <= 0:
                w += si * xi
                mistakes += 1
        if mistakes == 0:
            return True
    return False


# ---------------------------------------------------------------- data


def test_student_data_files_equal_the_generators():
    """problems/cs229_ps2/data holds exactly what the fixed-seed generators produce."""
    folder = ROOT / "problems" / "cs229_ps2" / "data"
    files = data.student_files()
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    for name, text in files.items():
        assert (folder / name).read_text(encoding="utf-8") == text, name


def test_logistic_datasets_are_separable_and_not():
    """Data set B is linearly separable; data set A is not (Newton reaches a zero gradient)."""
    XB, yB = data.logistic_dataset(separable=True)
    XA, yA = data.logistic_dataset(separable=False)
    assert is_separable_by_perceptron(XB, yB)
    # A finite point with zero gradient is the minimum of a convex cost; a separating direction
    # would make the cost lower still, so A cannot be separable.
    X = data.add_intercept(XA)
    theta = newton_logistic(X, yA, reg=0.0)
    assert np.linalg.norm(ref.logistic_gradient(theta, X, yA)) < 1e-12
    assert np.linalg.norm(theta) < 10


def test_spam_corpus_has_a_few_hundred_tokens_and_messages():
    """The training corpus has a few hundred messages and vocabulary tokens, both classes."""
    messages, labels = data.spam_corpus()
    vocab = ref.build_vocab(messages)
    assert len(messages) == 400 and 0.2 < labels.mean() < 0.4
    assert 200 <= len(vocab) <= 400


def test_ring_dataset_labels_are_the_disc():
    """Ring labels are 1 exactly inside radius 2.4, with about half of the points inside."""
    X, y = data.ring_dataset(200)
    assert np.array_equal(y, (np.linalg.norm(X, axis=1) < 2.4).astype(int))
    assert 0.35 < y.mean() < 0.65


# ---------------------------------------------------------------- 1. logistic regression


def test_logistic_loss_matches_the_textbook_formula():
    """logistic_loss equals -mean(y log h + (1 - y) log(1 - h)) + reg/2 ||theta||^2."""
    rng = np.random.default_rng(1)
    X, y, theta = rng.normal(size=(20, 3)), rng.integers(0, 2, 20), rng.normal(size=3)
    h = 1.0 / (1.0 + np.exp(-X @ theta))
    want = -np.mean(y * np.log(h) + (1 - y) * np.log(1 - h)) + 0.15 * theta @ theta
    assert ref.logistic_loss(theta, X, y, 0.3) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_logistic_gradient_matches_finite_differences(reg):
    """logistic_gradient is the derivative of logistic_loss."""
    rng = np.random.default_rng(2)
    X, y, theta = rng.normal(size=(15, 4)), rng.integers(0, 2, 15), rng.normal(size=4)
    numeric = numeric_gradient(lambda t: ref.logistic_loss(t, X, y, reg), theta)
    np.testing.assert_allclose(
        ref.logistic_gradient(theta, X, y, reg), numeric, rtol=1e-7, atol=1e-9
    )


def test_gradient_descent_reaches_the_newton_minimiser_on_overlapping_data():
    """On data set A training converges, to the minimiser Newton's method finds."""
    X, y = data.logistic_dataset(separable=False)
    X = data.add_intercept(X)
    out = ref.logistic_regression(X, y, lr=1.0, tol=1e-10, max_iter=50_000)
    assert out["converged"] is True
    np.testing.assert_allclose(out["theta"], newton_logistic(X, y, 0.0), rtol=1e-7)


def test_separable_data_does_not_converge_and_theta_grows_without_bound():
    """On data set B the step never falls below tol and ||theta|| keeps growing (seed 1b)."""
    X, y = data.logistic_dataset(separable=True)
    X = data.add_intercept(X)
    norms = []
    for steps in (500, 2000, 8000):
        out = ref.logistic_regression(X, y, lr=1.0, max_iter=steps, tol=1e-6)
        assert out["converged"] is False and out["iterations"] == steps
        norms.append(np.linalg.norm(out["theta"]))
        # Every point is already classified correctly; only the scale of theta changes.
        assert np.all((X @ out["theta"] > 0) == (y == 1))
    assert norms[0] < norms[1] < norms[2]
    # Growth like log t: equal ratios of t give roughly equal increments, never a plateau.
    assert norms[2] - norms[1] > 0.5 * (norms[1] - norms[0])


def test_hidden_separable_runs_tell_the_stopping_rules_apart():
    """On the hidden test's separable set (seed 7, n = 60) ||theta|| grows by more than 3 from
    500 to 3000 steps, the 3000th step is still far above tol, and stopping on a loss change
    below tol (a likely mistake) stops between the two run lengths, so the long run catches it."""
    X, y = data.logistic_dataset(separable=True, seed=7, n=60)
    X = data.add_intercept(X)
    short = ref.logistic_regression(X, y, lr=1.0, max_iter=500, tol=1e-6)
    long = ref.logistic_regression(X, y, lr=1.0, max_iter=3000, tol=1e-6)
    assert not short["converged"] and not long["converged"]
    assert np.linalg.norm(long["theta"]) - np.linalg.norm(short["theta"]) > 3.0
    last_step = np.linalg.norm(ref.logistic_gradient(long["theta"], X, y))
    assert last_step > 100 * 1e-6
    theta, loss, stop = np.zeros(3), ref.logistic_loss(np.zeros(3), X, y), None
    for t in range(1, 3001):
        theta = theta - ref.logistic_gradient(theta, X, y)
        new_loss = ref.logistic_loss(theta, X, y)
        if abs(loss - new_loss) < 1e-6:
            stop = t
            break
        loss = new_loss
    assert stop is not None and 500 < stop < 3000


def test_l2_penalty_restores_a_finite_minimiser_on_separable_data():
    """With reg > 0 training converges on data set B, to Newton's regularised minimiser."""
    X, y = data.logistic_dataset(separable=True)
    X = data.add_intercept(X)
    out = ref.logistic_regression(X, y, lr=1.0, reg=0.01, tol=1e-10, max_iter=50_000)
    assert out["converged"] is True
    np.testing.assert_allclose(out["theta"], newton_logistic(X, y, 0.01), rtol=1e-7)


def test_iterations_count_steps_from_one_and_stop_at_the_first_small_step():
    """iterations is the index of the first step whose change is below tol (replayed here)."""
    X, y = data.logistic_dataset(separable=False, seed=5, n=30)
    X = data.add_intercept(X)
    out = ref.logistic_regression(X, y, lr=0.5, tol=1e-4)
    theta, t = np.zeros(3), 0
    while True:
        t += 1
        step = 0.5 * ref.logistic_gradient(theta, X, y)
        theta = theta - step
        if np.linalg.norm(step) < 1e-4:
            break
    assert out["iterations"] == t
    np.testing.assert_array_equal(out["theta"], theta)


# ---------------------------------------------------------------- 2. naive Bayes

TINY = ["buy cheap pills now", "see you at lunch", "cheap cheap deal now", "lunch now or later"]
TINY_LABELS = np.array([1, 0, 1, 0])


def test_vocab_and_counts_match_counting_by_hand():
    """build_vocab keeps tokens in >= k messages (sorted); count_matrix counts occurrences."""
    vocab = ref.build_vocab(TINY, min_messages=2)
    assert vocab == ["cheap", "lunch", "now"]
    np.testing.assert_array_equal(
        ref.count_matrix(TINY, vocab), [[1, 0, 1], [0, 1, 0], [2, 0, 1], [0, 1, 1]]
    )
    assert ref.tokenize("Buy\tCHEAP  pills\n") == ["buy", "cheap", "pills"]


def test_nb_fit_matches_counting_by_hand():
    """phi_{k|c} = (alpha + count) / (alpha V + total), counted token by token with Counter."""
    vocab = ref.build_vocab(TINY, min_messages=1)
    model = ref.nb_fit(ref.count_matrix(TINY, vocab), TINY_LABELS, alpha=0.5)
    for name, label in (("spam", 1), ("ham", 0)):
        counter: Counter[str] = Counter()
        for message, lab in zip(TINY, TINY_LABELS, strict=True):
            if lab == label:
                counter.update(message.split())
        total = sum(counter.values())
        want = [math.log((0.5 + counter[tok]) / (0.5 * len(vocab) + total)) for tok in vocab]
        np.testing.assert_allclose(model[f"log_phi_{name}"], want, rtol=1e-12)
        assert model[f"log_prior_{name}"] == pytest.approx(math.log(0.5))


def test_nb_predict_is_the_larger_posterior_in_probability_space():
    """nb_predict agrees with p(c) prod_k phi_{k|c}^count computed without logarithms."""
    messages, labels = data.spam_corpus(120, seed=11)
    vocab = ref.build_vocab(messages)
    counts = ref.count_matrix(messages, vocab)
    model = ref.nb_fit(counts, labels)
    test_counts = ref.count_matrix(data.spam_corpus(60, seed=12)[0], vocab)
    phi = {c: np.exp(model[f"log_phi_{c}"]) for c in ("spam", "ham")}
    prior = {c: math.exp(model[f"log_prior_{c}"]) for c in ("spam", "ham")}
    want = []
    for row in test_counts:
        # Messages are at most 30 tokens, so these products stay far above underflow.
        score = {
            c: prior[c] * math.prod(float(p) ** int(n) for p, n in zip(phi[c], row, strict=True))
            for c in ("spam", "ham")
        }
        want.append(int(score["spam"] > score["ham"]))
    np.testing.assert_array_equal(ref.nb_predict(model, test_counts), want)


def test_nb_accuracy_and_indicative_tokens_on_the_synthetic_corpus():
    """Test accuracy is at least 0.95, and the top tokens are all spam words of the generator."""
    messages, labels = data.spam_corpus()
    test, test_labels = data.spam_corpus(200, seed=230)
    vocab = ref.build_vocab(messages)
    model = ref.nb_fit(ref.count_matrix(messages, vocab), labels)
    accuracy = np.mean(ref.nb_predict(model, ref.count_matrix(test, vocab)) == test_labels)
    assert accuracy >= 0.95
    tokens, p_spam, p_ham = data.spam_token_distributions()
    boosted = {t for t, a, b in zip(tokens, p_spam, p_ham, strict=True) if a > 10 * b}
    assert set(ref.top_tokens(model, vocab, 10)) <= boosted


def test_without_smoothing_an_unseen_token_vetoes_a_class():
    """With alpha -> 0 a token absent from ham drives log phi_ham to -inf (why smoothing)."""
    vocab = ref.build_vocab(TINY, min_messages=1)
    with np.errstate(divide="ignore"):
        model = ref.nb_fit(ref.count_matrix(TINY, vocab), TINY_LABELS, alpha=0.0)
    assert np.isneginf(model["log_phi_ham"][vocab.index("cheap")])


# ---------------------------------------------------------------- 3. kernels and perceptron


def rbf_features(X: np.ndarray, sigma: float, order: int = 40) -> np.ndarray:
    """Truncated explicit feature map of the RBF kernel (Taylor series of exp(x z / sigma^2))."""
    X = np.atleast_2d(X)
    per_dim = []
    for j in range(X.shape[1]):
        x = X[:, j][:, None]
        k = np.arange(order)[None, :]
        coeff = np.array([1.0 / math.sqrt(math.factorial(i)) for i in range(order)])[None, :]
        per_dim.append(np.exp(-(x**2) / (2 * sigma**2)) * (x / sigma) ** k * coeff)
    feats = per_dim[0]
    for f in per_dim[1:]:
        feats = np.einsum("ni,nj->nij", feats, f).reshape(len(X), -1)
    return feats


def test_kernels_equal_inner_products_of_explicit_feature_maps():
    """dot is phi(x) = x; rbf equals the inner product of its (truncated) feature map."""
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(ref.kernel_matrix(A, B, "dot"), A @ B.T, rtol=1e-12)
    for sigma in (0.8, 1.0, 2.0):
        explicit = rbf_features(A, sigma) @ rbf_features(B, sigma).T
        np.testing.assert_allclose(
            ref.kernel_matrix(A, B, "rbf", sigma=sigma), explicit, rtol=1e-10, atol=1e-10
        )


def test_rbf_gram_matrix_is_psd_and_the_non_psd_kernel_is_not():
    """The RBF Gram matrix has no negative eigenvalue; the non-PSD kernel's Gram matrix is -I."""
    X, _ = data.ring_dataset(60)
    assert np.linalg.eigvalsh(ref.kernel_matrix(X, X, "rbf")).min() > -1e-10
    np.testing.assert_array_equal(ref.kernel_matrix(X, X, "non_psd"), -np.eye(60))


def primal_perceptron(features: np.ndarray, y: np.ndarray, lr: float) -> tuple[np.ndarray, list]:
    """The perceptron with an explicit weight vector in feature space; returns theta and betas."""
    theta = np.zeros(features.shape[1])
    betas = []
    for phi, label in zip(features, y, strict=True):
        prediction = 1.0 if theta @ phi >= 0 else 0.0
        beta = lr * (label - prediction)
        theta = theta + beta * phi
        betas.append(beta)
    return theta, betas


@pytest.mark.parametrize("kernel", ["dot", "rbf"])
def test_kernel_perceptron_equals_the_primal_perceptron_in_feature_space(kernel):
    """theta = sum_j beta_j phi(x_j): the same betas and predictions as the explicit version."""
    X, y = data.ring_dataset(40, seed=9)
    X_new, _ = data.ring_dataset(30, seed=10)
    phi = (lambda Z: Z) if kernel == "dot" else (lambda Z: rbf_features(Z, 1.0))
    theta, betas = primal_perceptron(phi(X), y, 0.5)
    beta = ref.perceptron_train(X, y, kernel, lr=0.5)
    np.testing.assert_array_equal(beta, betas)
    np.testing.assert_array_equal(
        ref.perceptron_predict(X, beta, X_new, kernel), (phi(X_new) @ theta >= 0).astype(int)
    )


def test_rbf_learns_the_ring_while_dot_and_non_psd_do_not():
    """Seed 3(c): RBF separates the disc, dot cannot, non-PSD predicts one class everywhere."""
    X, y = data.ring_dataset(200)
    X_new, y_new = data.ring_dataset(200, seed=230)
    acc = {}
    for kernel in ref.KERNELS:
        beta = ref.perceptron_train(X, y, kernel)
        pred = ref.perceptron_predict(X, beta, X_new, kernel)
        acc[kernel] = np.mean(pred == y_new)
        if kernel == "non_psd":
            assert np.all(pred == 1)
    assert acc["rbf"] >= 0.9 and acc["dot"] <= 0.65


# ---------------------------------------------------------------- 4. MAP estimation


def gaussian_neg_log_posterior(theta, X, y, sigma, eta):
    """-log N(y; X theta, sigma^2 I) - log N(theta; 0, eta^2 I), normalisers included."""
    n, d = X.shape
    r = y - X @ theta
    log_lik = -0.5 * n * math.log(2 * math.pi * sigma**2) - r @ r / (2 * sigma**2)
    log_prior = -0.5 * d * math.log(2 * math.pi * eta**2) - theta @ theta / (2 * eta**2)
    return -(log_lik + log_prior)


def laplace_neg_log_posterior(theta, X, y, sigma, b):
    """-log N(y; X theta, sigma^2 I) - sum_j log(exp(-|theta_j| / b) / (2 b))."""
    n, d = X.shape
    r = y - X @ theta
    log_lik = -0.5 * n * math.log(2 * math.pi * sigma**2) - r @ r / (2 * sigma**2)
    log_prior = d * math.log(1 / (2 * b)) - np.abs(theta).sum() / b
    return -(log_lik + log_prior)


@pytest.mark.parametrize(
    ("n", "d", "sigma", "eta"), [(30, 4, 0.5, 2.0), (5, 8, 1.3, 0.4), (1, 3, 2.0, 1.0)]
)
def test_map_gaussian_minimises_the_negative_log_posterior(n, d, sigma, eta):
    """Zero finite-difference gradient and no lower value nearby: it is the MAP estimate."""
    rng = np.random.default_rng(n * 10 + d)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    theta = ref.map_gaussian(X, y, sigma, eta)
    f = lambda t: gaussian_neg_log_posterior(t, X, y, sigma, eta)  # noqa: E731
    assert np.abs(numeric_gradient(f, theta)).max() < 1e-6
    best = f(theta)
    for step in rng.normal(scale=1e-3, size=(200, d)):
        assert f(theta + step) >= best


def test_gaussian_prior_gives_lambda_sigma_squared_over_eta_squared_symbolically():
    """Seed 4(c): the negative log posterior is stationary at (X^T X + s^2/e^2 I)^-1 X^T y."""
    theta, s, e = sp.symbols("theta sigma eta", positive=True)
    xs, ys = sp.symbols("x1:4"), sp.symbols("y1:4")
    nlp = sum((yi - theta * xi) ** 2 for xi, yi in zip(xs, ys, strict=True)) / (2 * s**2)
    nlp += theta**2 / (2 * e**2)
    solution = sp.solve(sp.diff(nlp, theta), theta)[0]
    ridge = sum(x * y for x, y in zip(xs, ys, strict=True)) / (sum(x**2 for x in xs) + s**2 / e**2)
    assert sp.simplify(solution - ridge) == 0


def test_laplace_objective_is_2_sigma_squared_times_the_negative_log_posterior():
    """Seed 4(e): the objective with gamma = 2 sigma^2 / b is 2 sigma^2 * NLP plus a constant."""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    sigma, b = 0.7, 0.3
    diffs = []
    for theta in rng.normal(size=(5, 3)):
        diffs.append(
            ref.map_laplace_objective(theta, X, y, sigma, b)
            - 2 * sigma**2 * laplace_neg_log_posterior(theta, X, y, sigma, b)
        )
    np.testing.assert_allclose(diffs, diffs[0], rtol=0, atol=1e-9)
    assert ref.laplace_gamma(sigma, b) == pytest.approx(2 * sigma**2 / b)


@pytest.mark.parametrize(
    ("n", "d", "sigma", "b"), [(40, 6, 1.0, 0.5), (25, 3, 2.0, 0.2), (10, 4, 0.3, 5.0)]
)
def test_map_laplace_satisfies_the_kkt_conditions(n, d, sigma, b):
    """2 X_j^T r = gamma sign(theta_j) where theta_j != 0, and |2 X_j^T r| <= gamma where 0."""
    rng = np.random.default_rng(n + d)
    X = rng.normal(size=(n, d))
    truth = np.zeros(d)
    truth[: d // 2] = rng.normal(scale=2.0, size=d // 2)
    y = X @ truth + 0.5 * rng.normal(size=n)
    theta = ref.map_laplace(X, y, sigma, b)
    gamma = ref.laplace_gamma(sigma, b)
    corr = 2 * X.T @ (y - X @ theta)
    nonzero = theta != 0
    np.testing.assert_allclose(corr[nonzero], gamma * np.sign(theta[nonzero]), rtol=1e-8, atol=1e-8)
    assert np.all(np.abs(corr[~nonzero]) <= gamma + 1e-8)


def test_map_laplace_beats_every_point_of_a_fine_grid():
    """In two dimensions no grid point has a lower objective, and one coordinate is exactly 0."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(20, 2))
    y = X @ np.array([1.5, 0.0]) + 0.3 * rng.normal(size=20)
    theta = ref.map_laplace(X, y, 1.0, 0.1)  # gamma = 20: strong enough to zero theta_2
    best = ref.map_laplace_objective(theta, X, y, 1.0, 0.1)
    grid = np.linspace(-0.5, 0.5, 201)
    A, C = np.meshgrid(theta[0] + grid, theta[1] + grid)
    candidates = np.column_stack([A.ravel(), C.ravel()])
    residuals = y[None, :] - candidates @ X.T
    values = (residuals**2).sum(axis=1) + 20.0 * np.abs(candidates).sum(axis=1)
    assert values.min() >= best - 1e-9
    assert theta[1] == 0.0 and theta[0] != 0.0


# ---------------------------------------------------------------- 5. two-layer network


@pytest.mark.parametrize(("n", "d", "m"), [(6, 3, 4), (1, 2, 3), (7, 5, 1)])
def test_two_layer_gradients_match_finite_differences(n, d, m):
    """dW1, db1, dW2, db2 are the derivatives of L = mean (o - y)^2, batch of one included."""
    rng = np.random.default_rng(n * 100 + d * 10 + m)
    X, y = rng.normal(size=(n, d)), rng.integers(0, 2, n).astype(float)
    W1, b1, W2, b2 = rng.normal(size=(d, m)), rng.normal(size=m), rng.normal(size=m), 0.4
    g = ref.two_layer_gradients(X, y, W1, b1, W2, b2)
    checks = {
        "dW1": numeric_gradient(lambda P: ref.two_layer_loss(X, y, P, b1, W2, b2), W1),
        "db1": numeric_gradient(lambda P: ref.two_layer_loss(X, y, W1, P, W2, b2), b1),
        "dW2": numeric_gradient(lambda P: ref.two_layer_loss(X, y, W1, b1, P, b2), W2),
        "db2": numeric_gradient(
            lambda P: ref.two_layer_loss(X, y, W1, b1, W2, float(P[0])), np.array([b2])
        )[0],
    }
    for key, numeric in checks.items():
        np.testing.assert_allclose(g[key], numeric, rtol=1e-6, atol=1e-9, err_msg=key)
    assert g["loss"] == pytest.approx(ref.two_layer_loss(X, y, W1, b1, W2, b2))


def test_two_layer_forward_matches_a_per_example_loop():
    """The vectorised forward pass equals unit-by-unit arithmetic with math.exp."""
    rng = np.random.default_rng(8)
    X, W1, b1, W2 = (
        rng.normal(size=(3, 2)),
        rng.normal(size=(2, 3)),
        rng.normal(size=3),
        rng.normal(size=3),
    )
    out = ref.two_layer_forward(X, W1, b1, W2, -0.2)
    for i, x in enumerate(X):
        h = [1 / (1 + math.exp(-(x @ W1[:, j] + b1[j]))) for j in range(3)]
        o = 1 / (1 + math.exp(-(sum(hj * wj for hj, wj in zip(h, W2, strict=True)) - 0.2)))
        np.testing.assert_allclose(out["h"][i], h, rtol=1e-12)
        assert out["o"][i] == pytest.approx(o, rel=1e-12)


def test_seed_gradient_without_the_1_over_n_is_n_times_too_large():
    """Seed 5(a) takes dL/dJ = 1; the true factor is 1/n, so its gradients are n times ours."""
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(5, 2)), np.array([1.0, 0, 1, 1, 0])
    W1, b1, W2 = rng.normal(size=(2, 3)), np.zeros(3), rng.normal(size=3)
    f = ref.two_layer_forward(X, W1, b1, W2, 0.0)
    summed_dW2 = f["h"].T @ (2 * (f["o"] - y) * f["o"] * (1 - f["o"]))
    np.testing.assert_allclose(
        summed_dW2, 5 * ref.two_layer_gradients(X, y, W1, b1, W2, 0.0)["dW2"]
    )


# ---------------------------------------------------------------- 6. batch normalisation


def bn_loss(
    dy: np.ndarray, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> float:
    """A loss whose gradient with respect to y is exactly dy: L = sum(dy * y)."""
    return float(np.sum(dy * ref.batchnorm_forward(x, gamma, beta, eps=eps)["y"]))


@pytest.mark.parametrize(("m", "d", "eps"), [(6, 3, 1e-5), (2, 4, 1e-3), (5, 1, 0.0)])
def test_batchnorm_backward_matches_finite_differences(m, d, eps):
    """dbeta, dgamma and dx are derivatives of L = sum(dy * y) through the forward pass."""
    rng = np.random.default_rng(m * 10 + d)
    x, dy = rng.normal(loc=1.0, scale=2.0, size=(m, d)), rng.normal(size=(m, d))
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    g = ref.batchnorm_backward(dy, x, gamma, eps=eps)
    np.testing.assert_allclose(
        g["dbeta"],
        numeric_gradient(lambda B: bn_loss(dy, x, gamma, B, eps), beta),
        rtol=1e-6,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        g["dgamma"],
        numeric_gradient(lambda G: bn_loss(dy, x, G, beta, eps), gamma),
        rtol=1e-6,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        g["dx"],
        numeric_gradient(lambda X: bn_loss(dy, X, gamma, beta, eps), x),
        rtol=1e-5,
        atol=1e-7,
    )


def test_batchnorm_intermediate_gradients_match_finite_differences():
    """dx_hat, dvar (mu held fixed) and dmu (total, through var) by perturbing each input alone."""
    rng = np.random.default_rng(12)
    m, d, eps = 6, 3, 1e-5
    x, dy, gamma = rng.normal(size=(m, d)), rng.normal(size=(m, d)), rng.normal(size=d)
    g = ref.batchnorm_backward(dy, x, gamma, eps=eps)
    mu, var = x.mean(axis=0), x.var(axis=0)

    def loss_from(x_hat: np.ndarray) -> float:
        return float(np.sum(dy * (gamma * x_hat)))

    np.testing.assert_allclose(
        g["dx_hat"],
        numeric_gradient(loss_from, (x - mu) / np.sqrt(var + eps)),
        rtol=1e-6,
        atol=1e-8,
    )
    dvar = numeric_gradient(lambda v: loss_from((x - mu) / np.sqrt(v + eps)), var)
    np.testing.assert_allclose(g["dvar"], dvar, rtol=1e-6, atol=1e-8)
    dmu = numeric_gradient(
        lambda u: loss_from((x - u) / np.sqrt(((x - u) ** 2).mean(axis=0) + eps)), mu
    )
    np.testing.assert_allclose(g["dmu"], dmu, rtol=1e-6, atol=1e-8)


def test_batch_of_one_has_zero_input_gradient():
    """With m = 1, x_hat is 0 whatever x is, so dx = 0 and dgamma = 0."""
    g = ref.batchnorm_backward(
        np.array([[0.3, -2.0]]), np.array([[1.5, 4.0]]), np.array([2.0, 1.0])
    )
    np.testing.assert_allclose(g["dx"], 0.0, atol=1e-12)
    np.testing.assert_allclose(g["dgamma"], 0.0, atol=1e-12)


def test_variance_path_into_the_mean_vanishes_symbolically():
    """Seed 6(c): dv/dmu = -(2/m) sum (x_i - mu) is identically 0 when mu is the batch mean."""
    xs = sp.symbols("x1:6")
    mu = sum(xs) / len(xs)
    u = sp.Symbol("u")
    v = sum((xi - u) ** 2 for xi in xs) / len(xs)
    assert sp.simplify(sp.diff(v, u).subs(u, mu)) == 0


# ---------------------------------------------------------------- grading cost and imports


def test_data_generators_are_reached_through_the_reference_and_hand_out_copies():
    """ref.data is the data module; a caller editing a generated set changes no later call."""
    assert ref.data is data
    messages, labels = data.spam_corpus(50, seed=5)
    messages[0], labels[0] = "edited", 1 - labels[0]
    again, again_labels = data.spam_corpus(50, seed=5)
    assert again[0] != "edited" and again_labels[0] != labels[0]


def test_assignment_tests_import_nothing_from_reference():
    """Test modules reach the reference only through the fixture: the grader makes the course's
    reference importable when the fixture first runs, after the modules are collected."""
    for path in sorted((ROOT / "problems" / "cs229_ps2" / "tests").glob("*/test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            assert not any(n.split(".")[0] == "reference" for n in names), path.name


# ---------------------------------------------------------------- the public tests' constants


def _public_tests(pytestconfig: pytest.Config):
    # The public tests declare points with the grader's marker, which only the grading run
    # registers; register it here too so strict markers accept the import.
    pytestconfig.addinivalue_line("markers", "grader: points of a graded test")
    path = ROOT / "problems" / "cs229_ps2" / "tests" / "public" / "test_public.py"
    spec = importlib.util.spec_from_file_location("cs229_public_constants", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_public_test_constants_equal_the_reference(pytestconfig):
    """Every expected value written into the public tests is what the reference computes."""
    P = _public_tests(pytestconfig)
    X6, Y6, theta = np.array(P.X6, float), np.array(P.Y6), np.array(P.THETA)
    np.testing.assert_allclose(ref.logistic_gradient(theta, X6, Y6), P.GRAD_REG0, rtol=1e-12)
    np.testing.assert_allclose(ref.logistic_gradient(theta, X6, Y6, 0.3), P.GRAD_REG03, rtol=1e-12)
    out = ref.logistic_regression(*P.overlapping_data())
    assert out["iterations"] == P.ITERATIONS_A
    np.testing.assert_allclose(out["theta"], P.THETA_A, rtol=1e-12)

    assert ref.build_vocab(P.MESSAGES, 2) == P.VOCAB
    np.testing.assert_array_equal(ref.count_matrix(P.MESSAGES, P.VOCAB), P.COUNTS)
    model = ref.nb_fit(np.array(P.COUNTS), np.array(P.LABELS))
    np.testing.assert_allclose(model["log_phi_spam"], P.LOG_PHI_SPAM, rtol=1e-12)
    np.testing.assert_allclose(model["log_phi_ham"], P.LOG_PHI_HAM, rtol=1e-12)
    assert model["log_prior_spam"] == pytest.approx(P.LOG_PRIOR, rel=1e-12)

    A, B = np.array(P.KA), np.array(P.KB)
    np.testing.assert_allclose(ref.kernel_matrix(A, B, "dot"), P.K_DOT, rtol=1e-12)
    np.testing.assert_allclose(ref.kernel_matrix(A, B, "rbf"), P.K_RBF1, rtol=1e-12)
    np.testing.assert_allclose(ref.kernel_matrix(A, B, "rbf", sigma=0.5), P.K_RBF05, rtol=1e-12)
    X, y = P.ring_data()
    np.testing.assert_array_equal(ref.perceptron_train(X, y, "rbf"), P.BETA_RBF)
    np.testing.assert_array_equal(ref.perceptron_train(X, y, "dot", lr=1.0), P.BETA_DOT)

    X, y = P.map_data()
    np.testing.assert_allclose(ref.map_gaussian(X, y, 0.5, 2.0), P.THETA_GAUSS, rtol=1e-12)
    np.testing.assert_allclose(ref.map_gaussian(X, y, 2.0, 0.5), P.THETA_GAUSS_INVERTED, rtol=1e-12)
    assert ref.map_laplace_objective(np.array([0.3, -1.0, 0.0]), X, y, 0.5, 2.0) == pytest.approx(
        11.642182152232397, rel=1e-12
    )

    args = (np.array(P.X5), np.array(P.W1), np.array(P.B1), np.array(P.W2), P.B2)
    for key, value in ref.two_layer_forward(*args).items():
        np.testing.assert_allclose(value, P.FORWARD[key], rtol=1e-12, err_msg=key)
    grads = ref.two_layer_gradients(args[0], np.array(P.Y5), *args[1:])
    for key, value in grads.items():
        np.testing.assert_allclose(value, P.GRADIENTS[key], rtol=1e-12, err_msg=key)

    xb, gamma = np.array(P.XB), np.array(P.GAMMA)
    for key, value in ref.batchnorm_forward(xb, gamma, np.array(P.BETA)).items():
        np.testing.assert_allclose(value, P.BN_FORWARD[key], rtol=1e-12, err_msg=key)
    back = ref.batchnorm_backward(np.array(P.DY), xb, gamma)
    for key, value in P.BN_BACKWARD.items():
        np.testing.assert_allclose(back[key], value, rtol=1e-12, err_msg=key)
