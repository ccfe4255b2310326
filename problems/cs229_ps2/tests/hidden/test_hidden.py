"""Hidden tests for cs229_ps2: other shapes, seeds, hyper-parameters and edge cases.

Inputs come from the per-test ``rng`` and from the fixed-seed generators in
``reference.data.cs229_ps2_data``, reached as ``reference.data`` (with seeds the students' data
files do not use); expected
values come from the reference, which the project's own tests check by independent routes.
Messages name what is wrong without printing hidden inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader import as_floats, check_array, check_scalar, check_true, keys_of, points


def _shape(value: Any) -> object:
    """``value``'s shape as NumPy sees it ("unknown" for what is not an array of numbers)."""
    try:
        return np.shape(value)
    except (TypeError, ValueError):
        return "unknown"


def _field(result: Any, key: str, function: str) -> Any:
    """``result[key]``, failing with a clear message when result is not a dict with that key."""
    check_true(isinstance(result, dict),
               f"{function} should return a dict, got {type(result).__name__}")
    check_true(key in result, f"{function} should return a dict with key {key!r}; "
               f"got keys {keys_of(result)}")
    return result[key]


def _close(actual: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-10) -> bool:
    """True when ``actual`` is numeric, has ``expected``'s shape and matches it."""
    e = np.asarray(expected, dtype=float)
    a = as_floats(actual, e.shape)  # the shape first: no huge conversion
    return a is not None and bool(np.allclose(a, e, rtol=rtol, atol=atol))


def _diagnose(actual: Any, expected: Any, variants: dict[str, Any]) -> None:
    """Fail with a variant's message when ``actual`` misses ``expected`` but matches the variant."""
    if _close(actual, expected):
        return
    for message, value in variants.items():
        if _close(actual, value):
            check_true(False, message)


def _is_bool(value: Any, want: bool) -> bool:
    """True when ``value`` is a real boolean (Python or NumPy) equal to ``want``."""
    return isinstance(value, (bool, np.bool_)) and bool(value) is want


# ---------------------------------------------------------------- part 1: logistic regression


def _logistic_set(reference: Any, separable: bool, seed: int, n: int) -> tuple[np.ndarray, ...]:
    X, y = reference.data.logistic_dataset(separable=separable, seed=seed, n=n)
    return reference.data.add_intercept(X), y


@points(5, name="on separable data training does not converge and ||theta|| grows", part="1")
def test_logistic_separable_diverges(submission, reference, credit):
    """Separable data: converged is False after max_iter steps, and theta keeps growing."""
    X, y = _logistic_set(reference, True, 7, 60)
    # Measured on this data: ||theta|| is 7.66 after 500 steps and 11.74 after 3000 (the steps
    # are still about 8e-4 long there, far above tol), and stopping on a loss change below tol
    # instead of a step below tol, a likely mistake, stops at step 2447: inside the long run.
    short = submission.logistic_regression(X, y, lr=1.0, reg=0.0, max_iter=500, tol=1e-6)
    long = submission.logistic_regression(X, y, lr=1.0, reg=0.0, max_iter=3000, tol=1e-6)
    want = reference.logistic_regression(X, y, lr=1.0, reg=0.0, max_iter=500, tol=1e-6)
    with credit.part("converged and iterations", weight=2):
        for out, steps in ((short, 500), (long, 3000)):
            check_true(_is_bool(_field(out, "converged", "logistic_regression"), False),
                       f"on separable data, converged should be False after max_iter = {steps} "
                       "steps: the cost has no minimiser, so the steps never fall below tol")
            check_true(int(_field(out, "iterations", "logistic_regression")) == steps,
                       f"iterations should equal max_iter = {steps} when training does not "
                       "converge")
    with credit.part("theta after max_iter steps", weight=2):
        check_array(_field(short, "theta", "logistic_regression"), want["theta"],
                    name="theta after 500 steps on separable data", rtol=1e-5)
    with credit.part("||theta|| grows", weight=1):
        grow = (np.linalg.norm(np.asarray(_field(long, "theta", "logistic_regression"), float))
                - np.linalg.norm(np.asarray(_field(short, "theta", "logistic_regression"), float)))
        check_true(bool(grow > 1.0), "||theta|| should keep growing on separable data (it grows "
                   "by more than 1 between 500 and 3000 steps here)")


@points(4, name="L2 regularisation restores convergence on separable data", part="1")
def test_logistic_regularised_converges(submission, reference):
    """With reg > 0 the cost has a minimiser again and gradient descent reaches it."""
    X, y = _logistic_set(reference, True, 229, 100)
    out = submission.logistic_regression(X, y, lr=1.0, reg=0.01, max_iter=10_000, tol=1e-6)
    want = reference.logistic_regression(X, y, lr=1.0, reg=0.01, max_iter=10_000, tol=1e-6)
    check_true(_is_bool(_field(out, "converged", "logistic_regression"), True),
               "with reg = 0.01, converged should be True on separable data: the penalty "
               "makes the cost strongly convex, so it has a finite minimiser")
    iterations = int(_field(out, "iterations", "logistic_regression"))
    check_true(abs(iterations - want["iterations"]) <= 1,
               f"iterations is {iterations}, which does not match the stopping rule (the first "
               "step whose change is below tol, counting from 1)")
    check_array(_field(out, "theta", "logistic_regression"), want["theta"],
                name="theta with reg = 0.01", rtol=1e-5)


@points(3, name="other shapes: six features, 40 examples, other lr, reg and tol", part="1")
def test_logistic_other_shapes(submission, reference, rng, credit):
    """The gradient and the training loop work for any d, lr, reg and tol."""
    X = rng.normal(size=(40, 6))
    y = (rng.random(40) < 0.5).astype(np.int64)
    theta = rng.normal(size=6)
    with credit.part("logistic_gradient", weight=1):
        check_array(submission.logistic_gradient(theta, X, y, 0.2),
                    reference.logistic_gradient(theta, X, y, 0.2), name="logistic_gradient")
    with credit.part("logistic_regression", weight=2):
        out = submission.logistic_regression(X, y, lr=0.5, reg=0.05, max_iter=5000, tol=1e-8)
        want = reference.logistic_regression(X, y, lr=0.5, reg=0.05, max_iter=5000, tol=1e-8)
        check_true(_is_bool(_field(out, "converged", "logistic_regression"), True),
                   "converged should be True with reg = 0.05")
        iterations = int(_field(out, "iterations", "logistic_regression"))
        check_true(abs(iterations - want["iterations"]) <= 1,
                   f"iterations is {iterations}, which does not match the stopping rule")
        check_array(_field(out, "theta", "logistic_regression"), want["theta"], name="theta",
                    rtol=1e-5)


# ---------------------------------------------------------------- part 2: naive Bayes

# Three messages over four tokens, worked by hand with alpha = 0.5 and V = 4:
# spam rows 0 and 2 hold token counts [2, 0, 2, 0] (4 tokens), ham row 1 holds [0, 3, 0, 1] (4),
# so phi_spam = [2.5, 0.5, 2.5, 0.5] / 6, phi_ham = [0.5, 3.5, 0.5, 1.5] / 6, priors 2/3, 1/3.
HAND_COUNTS = [[2, 0, 1, 0], [0, 3, 0, 1], [0, 0, 1, 0]]
HAND_LABELS = [1, 0, 1]
HAND_PHI_SPAM = np.log(np.array([2.5, 0.5, 2.5, 0.5]) / 6.0)
HAND_PHI_HAM = np.log(np.array([0.5, 3.5, 0.5, 1.5]) / 6.0)


def _nb_corpus(reference: Any) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, Any]]:
    """Vocabulary, training counts, labels and the reference model on a corpus students lack."""
    messages, labels = reference.data.spam_corpus(300, seed=231)
    vocab = reference.build_vocab(messages)
    counts = reference.count_matrix(messages, vocab)
    return vocab, counts, labels, reference.nb_fit(counts, labels)


@points(3, name="nb_fit on a corpus worked by hand (alpha = 0.5)", part="2")
def test_nb_fit_by_hand(submission, credit):
    """Smoothing adds alpha to each count and alpha * V to each class total; priors are shares."""
    model = submission.nb_fit(np.array(HAND_COUNTS), np.array(HAND_LABELS), 0.5)
    for key, want in (("log_phi_spam", HAND_PHI_SPAM), ("log_phi_ham", HAND_PHI_HAM)):
        with credit.part(key, weight=1):
            got = _field(model, key, "nb_fit")
            arr = as_floats(got, np.shape(want))  # the shape first: no huge conversion
            if arr is not None and not np.all(np.isfinite(arr)):
                check_true(False, f"{key} has -inf or NaN entries: with alpha = 0.5 every token "
                           "needs add-alpha (Laplace) smoothing")
            label = 1 if key == "log_phi_spam" else 0
            tokens = np.array(HAND_COUNTS)[np.array(HAND_LABELS) == label].sum(axis=0)
            _diagnose(got, want, {
                f"{key} ignores alpha (it looks like add-one smoothing); use the alpha argument":
                    np.log((tokens + 1.0) / (tokens.sum() + 4.0)),
            })
            check_array(got, want, name=f"{key} (alpha = 0.5)")
    with credit.part("log priors", weight=1):
        check_scalar(_field(model, "log_prior_spam", "nb_fit"), np.log(2 / 3),
                     name="log_prior_spam")
        check_scalar(_field(model, "log_prior_ham", "nb_fit"), np.log(1 / 3),
                     name="log_prior_ham")


@points(3, name="nb_predict with a given model", part="2")
def test_nb_predict(submission, reference, credit):
    """Spam exactly where the spam log posterior is strictly larger (ties go to ham)."""
    vocab, _, _, model = _nb_corpus(reference)
    messages, _ = reference.data.spam_corpus(150, seed=232)
    counts = reference.count_matrix(messages, vocab)
    with credit.part("unseen messages", weight=2):
        got = submission.nb_predict(model, counts)
        check_array(got, reference.nb_predict(model, counts), name="nb_predict labels")
    with credit.part("a tie predicts ham", weight=1):
        flat = {"log_phi_spam": np.log(np.full(3, 1 / 3)), "log_phi_ham": np.log(np.full(3, 1 / 3)),
                "log_prior_spam": float(np.log(0.5)), "log_prior_ham": float(np.log(0.5))}
        got = submission.nb_predict(flat, np.array([[1, 2, 0], [0, 0, 0]]))
        check_array(got, [0, 0], name="nb_predict when both posteriors are equal")


@points(3, name="the most indicative spam tokens", part="2")
def test_top_tokens(submission, reference, credit):
    """top_tokens lists the k largest log(phi_spam / phi_ham), largest first."""
    vocab, _, _, model = _nb_corpus(reference)
    ratio = np.asarray(model["log_phi_spam"]) - np.asarray(model["log_phi_ham"])
    index = {tok: j for j, tok in enumerate(vocab)}
    for k in (5, 12):
        with credit.part(f"k = {k}", weight=1 if k == 5 else 2):
            got = submission.top_tokens(model, vocab, k)
            check_true(isinstance(got, list) and len(got) == k
                       and all(isinstance(t, str) and t in index for t in got)
                       and len(set(got)) == k,
                       f"top_tokens(model, vocab, {k}) should return a list of {k} different "
                       "vocabulary tokens")
            got_ratios = ratio[[index[t] for t in got]]
            want_ratios = np.sort(ratio)[::-1][:k]
            # Equal ratios may come in any order, so compare the ratios, not the tokens.
            check_true(bool(np.allclose(got_ratios, want_ratios, rtol=1e-9, atol=1e-12)),
                       f"top_tokens(model, vocab, {k}) is not the {k} largest "
                       "log(phi_spam / phi_ham) in decreasing order")


@points(2, name="the whole pipeline classifies unseen messages", part="2")
def test_nb_end_to_end(submission, reference):
    """Vocabulary, counts, fit and predict together reach at least 95% test accuracy."""
    train, train_labels = reference.data.spam_corpus(300, seed=233)
    test, test_labels = reference.data.spam_corpus(150, seed=234)
    vocab = submission.build_vocab(train, 5)
    model = submission.nb_fit(submission.count_matrix(train, vocab), train_labels, 1.0)
    predicted = np.asarray(submission.nb_predict(model, submission.count_matrix(test, vocab)))
    check_true(predicted.shape == test_labels.shape,
               "nb_predict should return one label per message")
    accuracy = float(np.mean(predicted == test_labels))
    check_true(accuracy >= 0.95, f"test accuracy is {accuracy:.3f}; a correct multinomial naive "
               "Bayes with Laplace smoothing reaches at least 0.95 on this corpus")


# ---------------------------------------------------------------- part 3: kernel perceptron


def _check_first_beta(beta: Any, y: np.ndarray, lr: float) -> None:
    """Name the g(0) mistake: the first example always sees an empty sum, predicted as 1."""
    first = np.asarray(beta, dtype=float).reshape(-1)[:1]
    if first.size and y[0] == 1 and first[0] == lr:
        check_true(False, "beta_0 should be 0 here: the first example's kernel sum is empty (0) "
                   "and g(0) = 1, so a positive first example is already classified correctly")


@points(2, name="the non-PSD kernel and kernels in three dimensions", part="3")
def test_kernel_non_psd(submission, reference, rng, credit):
    """non_psd gives -1 exactly for equal points; dot and rbf work for any dimension."""
    A = rng.normal(size=(5, 3))
    B = np.vstack([rng.normal(size=(2, 3)), A[3]])
    with credit.part("non_psd Gram matrix is -I", weight=1):
        check_array(submission.kernel_matrix(A, A, "non_psd"), -np.eye(5), name="non_psd K(A, A)")
        check_array(submission.kernel_matrix(A, B, "non_psd"),
                    reference.kernel_matrix(A, B, "non_psd"), name="non_psd K(A, B)")
    with credit.part("dot and rbf in 3-D", weight=1):
        check_array(submission.kernel_matrix(A, B, "dot"), reference.kernel_matrix(A, B, "dot"),
                    name="dot K(A, B)")
        check_array(submission.kernel_matrix(A, B, "rbf", sigma=0.7),
                    reference.kernel_matrix(A, B, "rbf", sigma=0.7), name="rbf K(A, B), sigma=0.7")


@points(3, name="perceptron_train on other data, sigma and lr, and on one example", part="3")
def test_perceptron_train_other(submission, reference, credit):
    """One ordered pass, g(0) = 1, beta_i = lr (y_i - prediction)."""
    X, y = reference.data.ring_dataset(60, seed=231)
    with credit.part("rbf, sigma = 0.7, lr = 1", weight=2):
        got = submission.perceptron_train(X, y, "rbf", lr=1.0, sigma=0.7)
        _check_first_beta(got, y, 1.0)
        check_array(got, reference.perceptron_train(X, y, "rbf", lr=1.0, sigma=0.7),
                    name="beta (rbf, sigma=0.7)")
    with credit.part("a single example", weight=1):
        for label, want in ((0, [-0.25]), (1, [0.0])):
            got = submission.perceptron_train(np.array([[0.4, -1.2]]), np.array([label]), "dot",
                                              lr=0.25)
            check_array(got, want, name=f"beta for one example with label {label} (the empty sum "
                        "is 0 and g(0) = 1)")


@points(3, name="predictions, and RBF vs. dot vs. non-PSD on ring data", part="3")
def test_perceptron_predict_and_kernels(submission, reference, credit):
    """Predictions match the reference; RBF learns the disc, dot and non-PSD do not."""
    X, y = reference.data.ring_dataset(200, seed=231)
    X_new, y_new = reference.data.ring_dataset(200, seed=232)
    with credit.part("perceptron_predict", weight=1):
        beta = reference.perceptron_train(X, y, "rbf", sigma=0.7)
        got = submission.perceptron_predict(X, beta, X_new, "rbf", sigma=0.7)
        check_array(got, reference.perceptron_predict(X, beta, X_new, "rbf", sigma=0.7),
                    name="perceptron_predict labels (rbf, sigma=0.7)")
    accuracy = {}
    for kernel in ("dot", "rbf"):
        beta = submission.perceptron_train(X, y, kernel, lr=0.5, sigma=1.0)
        pred = np.asarray(submission.perceptron_predict(X, beta, X_new, kernel, sigma=1.0))
        accuracy[kernel] = float(np.mean(pred == y_new)) if pred.shape == y_new.shape else 0.0
    with credit.part("rbf separates the disc, dot does not", weight=1):
        check_true(accuracy["rbf"] >= 0.85 and accuracy["dot"] <= 0.7,
                   f"test accuracy is {accuracy['rbf']:.3f} with rbf and {accuracy['dot']:.3f} "
                   "with dot; expected at least 0.85 with rbf and at most 0.7 with dot")
    with credit.part("non_psd predicts class 1 everywhere", weight=1):
        beta = submission.perceptron_train(X, y, "non_psd", lr=0.5)
        pred = submission.perceptron_predict(X, beta, X_new, "non_psd")
        if _close(pred, np.zeros(len(X_new))):
            check_true(False, "with non_psd every kernel sum on an unseen point is 0 and g(0) = 1,"
                       " so every prediction should be 1; yours are all 0")
        check_array(pred, np.ones(len(X_new)), name="non_psd predictions on unseen points")


# ---------------------------------------------------------------- part 4: MAP estimation


@points(3, name="Gaussian-prior MAP with more features than examples, n = 1, large eta", part="4")
def test_map_gaussian_shapes(submission, reference, rng, credit):
    """The ridge form (X^T X + sigma^2 / eta^2 I)^-1 X^T y holds for any n and d."""
    for n, d in ((5, 8), (1, 3)):
        with credit.part(f"n = {n}, d = {d}", weight=1):
            X, y = rng.normal(size=(n, d)), rng.normal(size=n)
            got = submission.map_gaussian(X, y, 1.3, 0.4)
            want = reference.map_gaussian(X, y, 1.3, 0.4)
            _diagnose(got, want, {
                "map_gaussian uses lambda = eta^2 / sigma^2; the ratio is inverted":
                    reference.map_gaussian(X, y, 0.4, 1.3),
                "map_gaussian uses lambda = 1 / (2 eta^2), which leaves out the noise variance":
                    reference.map_gaussian(X, y, 1.0, np.sqrt(2.0) * 0.4),
            })
            check_array(got, want, name=f"theta_MAP (n={n}, d={d})")
    with credit.part("a flat prior gives least squares", weight=1):
        X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
        got = submission.map_gaussian(X, y, 0.5, 1e3)
        _diagnose(got, reference.map_gaussian(X, y, 0.5, 1e3), {
            "with eta = 1000 the prior is nearly flat and theta_MAP should be close to least "
            "squares; yours is shrunk to 0 as if lambda = eta^2 / sigma^2 (inverted)":
                reference.map_gaussian(X, y, 1e3, 0.5),
        })
        check_array(got, np.linalg.lstsq(X, y, rcond=None)[0], name="theta_MAP with eta = 1000",
                    rtol=1e-5, atol=1e-9)


@points(5, name="Laplace-prior MAP: gamma, objective and its minimiser", part="4")
def test_map_laplace(submission, reference, rng, credit):
    """map_laplace minimises ||y - X theta||^2 + (2 sigma^2 / b) ||theta||_1 to 1e-6 relative."""
    with credit.part("laplace_gamma and the objective", weight=1):
        check_scalar(submission.laplace_gamma(1.5, 0.3), reference.laplace_gamma(1.5, 0.3),
                     name="laplace_gamma(1.5, 0.3)")
        X, y, theta = rng.normal(size=(9, 4)), rng.normal(size=9), rng.normal(size=4)
        check_scalar(submission.map_laplace_objective(theta, X, y, 1.5, 0.3),
                     reference.map_laplace_objective(theta, X, y, 1.5, 0.3),
                     name="map_laplace_objective")
    for label, (n, d, sigma, b) in (("sparse truth", (40, 6, 1.0, 0.5)),
                                    ("strong prior", (25, 3, 2.0, 0.2))):
        with credit.part(label, weight=2):
            X = rng.normal(size=(n, d))
            truth = np.zeros(d)
            truth[: d // 2] = rng.normal(scale=2.0, size=d // 2)
            y = X @ truth + 0.5 * rng.normal(size=n)
            result = submission.map_laplace(X, y, sigma, b)
            got = as_floats(result, (d,))  # the shape first: no huge conversion
            check_true(got is not None,
                       f"map_laplace should return shape ({d},), got {_shape(result)}")
            best = reference.map_laplace(X, y, sigma, b)
            f_got = reference.map_laplace_objective(got, X, y, sigma, b)
            f_best = reference.map_laplace_objective(best, X, y, sigma, b)
            check_true(bool(f_got <= f_best + 1e-6 * abs(f_best) + 1e-9),
                       f"map_laplace's objective is {f_got:.10g}, above the minimum by "
                       f"{(f_got - f_best) / abs(f_best):.2e} (relative); iterate longer or check "
                       "the soft threshold (gamma / 2 for this objective)")
            zeros = best == 0.0
            check_true(bool(np.all(np.abs(got[zeros]) < 1e-6)),
                       "map_laplace leaves coordinates nonzero that are exactly zero at the "
                       "minimum; the L1 term should set them to 0 (soft thresholding)")


# ---------------------------------------------------------------- part 5: two-layer network


def _net(rng: np.random.Generator, n: int, d: int, m: int) -> tuple[Any, ...]:
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(float)
    W1, b1, W2 = rng.normal(size=(d, m)), rng.normal(size=m), rng.normal(size=m)
    return X, y, W1, b1, W2, float(rng.normal())


def _check_gradients(submission: Any, reference: Any, args: tuple[Any, ...], label: str) -> None:
    got = submission.two_layer_gradients(*args)
    want = reference.two_layer_gradients(*args)
    n = args[0].shape[0]
    for key in ("loss", "dW1", "db1", "dW2", "db2"):
        value = _field(got, key, "two_layer_gradients")
        if key != "loss" and n > 1 and _close(value, np.asarray(want[key]) * n):
            check_true(False, f"{key} is n times too large ({label}): the loss is a mean, so "
                       "average the per-example gradients")
        check_array(value, want[key], name=f"{key} ({label})")


@points(4, name="gradients for a batch of one and for a single hidden unit", part="5")
def test_two_layer_shapes(submission, reference, rng, credit):
    """Gradients have the parameters' shapes for n = 1, d != m and m = 1."""
    for label, (n, d, m) in (("n=1, d=3, m=4", (1, 3, 4)), ("n=7, d=5, m=1", (7, 5, 1)),
                             ("n=9, d=2, m=6", (9, 2, 6))):
        with credit.part(label, weight=1 if n == 1 else 1.5):
            args = _net(rng, n, d, m)
            out = submission.two_layer_forward(*args[:1], *args[2:])
            check_array(_field(out, "o", "two_layer_forward"),
                        reference.two_layer_forward(*args[:1], *args[2:])["o"], name=f"o ({label})")
            _check_gradients(submission, reference, args, label)


@points(3, name="gradients agree with finite differences of the loss", part="5")
def test_two_layer_finite_differences(submission, reference, rng):
    """Every gradient entry matches a central difference of L = mean (o - y)^2."""
    X, y, W1, b1, W2, b2 = _net(rng, 6, 3, 3)
    got = submission.two_layer_gradients(X, y, W1, b1, W2, b2)
    params = {"dW1": W1, "db1": b1, "dW2": W2}
    h = 1e-6
    for key, p in params.items():
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = reference.two_layer_loss(X, y, W1, b1, W2, b2)
            p[idx] = old - h
            down = reference.two_layer_loss(X, y, W1, b1, W2, b2)
            p[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        value = _field(got, key, "two_layer_gradients")
        if _close(value, numeric * X.shape[0], rtol=1e-5, atol=1e-8):
            check_true(False, f"{key} is n times the finite-difference gradient of the mean loss: "
                       "average the per-example gradients instead of summing them")
        check_array(_field(got, key, "two_layer_gradients"), numeric,
                    name=f"{key} vs. finite differences", rtol=1e-5, atol=1e-8)
    numeric_b2 = (reference.two_layer_loss(X, y, W1, b1, W2, b2 + h)
                  - reference.two_layer_loss(X, y, W1, b1, W2, b2 - h)) / (2 * h)
    check_scalar(_field(got, "db2", "two_layer_gradients"), numeric_b2,
                 name="db2 vs. finite differences", rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------- part 6: batch normalisation


def _batch(rng: np.random.Generator, m: int, d: int) -> tuple[np.ndarray, ...]:
    x = rng.normal(loc=1.5, scale=2.0, size=(m, d))
    return rng.normal(size=(m, d)), x, rng.normal(size=d)


def _dx_variants(reference: Any, dy: Any, x: Any, gamma: Any, eps: float) -> dict[str, Any]:
    """dx as common mistakes compute it, each with the message that explains the mistake."""
    g = reference.batchnorm_backward(dy, x, gamma, eps=eps)
    m = x.shape[0]
    xc = x - x.mean(axis=0)
    s = np.sqrt(x.var(axis=0) + eps)
    return {
        "dx is missing the path through the mean: add dmu / m":
            g["dx"] - g["dmu"] / m,
        "dx is missing the path through the variance: add dvar * 2 (x - mu) / m":
            g["dx"] - g["dvar"] * 2.0 * xc / m,
        "dx only has the direct path dx_hat / sqrt(var + eps); mu and var depend on x too":
            g["dx_hat"] / s,
    }


@points(4, name="gradients for the variance and the mean", part="6")
def test_batchnorm_dvar_dmu(submission, reference, rng, credit):
    """dvar holds mu fixed; dmu is the total derivative, through x_hat and through var."""
    for label, (m, d, eps) in (("m=6, d=3", (6, 3, 1e-5)), ("m=2, d=5, eps=1e-3", (2, 5, 1e-3))):
        dy, x, gamma = _batch(rng, m, d)
        got = submission.batchnorm_backward(dy, x, gamma, eps=eps)
        want = reference.batchnorm_backward(dy, x, gamma, eps=eps)
        with credit.part(f"dvar ({label})", weight=1):
            check_array(_field(got, "dvar", "batchnorm_backward"), want["dvar"],
                        name=f"dvar ({label})")
        with credit.part(f"dmu ({label})", weight=1):
            check_array(_field(got, "dmu", "batchnorm_backward"), want["dmu"],
                        name=f"dmu ({label})", atol=1e-7)


@points(5, name="gradient for x: every path, a batch of one, one feature", part="6")
def test_batchnorm_dx(submission, reference, rng, credit):
    """dx = dx_hat / s + dvar * 2 (x - mu) / m + dmu / m, also for m = 1 and d = 1."""
    cases = (("m=6, d=3", 6, 3, 1e-5, 2), ("m=1, d=4", 1, 4, 1e-5, 1),
             ("m=4, d=1, eps=0", 4, 1, 0.0, 1), ("m=3, d=4, eps=1e-2", 3, 4, 1e-2, 1))
    for label, m, d, eps, weight in cases:
        with credit.part(label, weight=weight):
            dy, x, gamma = _batch(rng, m, d)
            got = _field(submission.batchnorm_backward(dy, x, gamma, eps=eps), "dx",
                         "batchnorm_backward")
            want = reference.batchnorm_backward(dy, x, gamma, eps=eps)["dx"]
            _diagnose(got, want, _dx_variants(reference, dy, x, gamma, eps))
            check_array(got, want, name=f"dx ({label})", atol=1e-7)
