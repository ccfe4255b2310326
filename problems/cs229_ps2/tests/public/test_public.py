"""Public tests for cs229_ps2: small fixed inputs, expected values written out here.

Inputs are literals or closed-form formulas (no random numbers), so these tests are the same on
every machine. The expected values come from the course's reference solution, which the
project's own tests check by independent routes (finite differences, brute-force minimisation,
counting by hand, explicit feature maps). Hidden tests repeat every check on other shapes and
data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader import as_floats, brief, check_array, check_scalar, check_true, keys_of, points


def _field(result: Any, key: str, function: str) -> Any:
    """``result[key]``, failing with a clear message when result is not a dict with that key."""
    check_true(isinstance(result, dict),
               f"{function} should return a dict, got {type(result).__name__}")
    check_true(key in result, f"{function} should return a dict with key {key!r}; "
               f"got keys {keys_of(result)}")
    return result[key]


def _close(actual: Any, expected: Any, rtol: float = 1e-6) -> bool:
    """True when ``actual`` is numeric, has ``expected``'s shape and matches it."""
    e = np.asarray(expected, dtype=float)
    a = as_floats(actual, e.shape)  # the shape first: no huge conversion
    return a is not None and bool(np.allclose(a, e, rtol=rtol, atol=1e-10))


def _is_true(value: Any) -> bool:
    """True only for a real boolean True (Python or NumPy), not for truthy strings or numbers."""
    return isinstance(value, (bool, np.bool_)) and bool(value)


# ---------------------------------------------------------------- part 1: logistic regression

THETA = [0.5, -1.0, 0.25]
X6 = [[1, 0.2, -1.1], [1, -0.7, 0.4], [1, 1.5, 0.3], [1, -0.3, -0.8], [1, 0.9, 1.2], [1, -1.4, 0.6]]
Y6 = [1, 0, 1, 0, 1, 1]
GRAD_REG0 = [-0.06955839980109606, -0.3715715117934218, -0.09538168093339829]
GRAD_REG03 = [0.08044160019890394, -0.6715715117934218, -0.02038168093339829]


def overlapping_data() -> tuple[np.ndarray, np.ndarray]:
    """40 points (intercept column first) whose labels overlap, so the cost has a minimiser."""
    k = np.arange(40)
    x1, x2 = 2.0 * np.sin(1.7 * k), 2.0 * np.cos(2.3 * k + 0.5)
    y = (x1 + x2 + 1.5 * np.sin(5.1 * k) > 0).astype(np.int64)
    return np.column_stack([np.ones(40), x1, x2]), y


THETA_A = [-0.41688348583522006, 1.6145087522234198, 1.1369966050249813]
ITERATIONS_A = 172


@points(4, name="logistic_gradient with and without the L2 term", part="1")
def test_logistic_gradient(submission, credit):
    """logistic_gradient is the mean cross-entropy gradient plus reg * theta."""
    X, y, theta = np.array(X6, float), np.array(Y6), np.array(THETA)
    with credit.part("reg = 0", weight=2):
        got = submission.logistic_gradient(theta, X, y, 0.0)
        if _close(got, np.array(GRAD_REG0) * X.shape[0]):
            check_true(False, "logistic_gradient is n times too large: the cost is a mean, "
                       "divide the sum over examples by n")
        check_array(got, GRAD_REG0, name="logistic_gradient(theta, X, y, 0)")
    with credit.part("reg = 0.3", weight=2):
        got = submission.logistic_gradient(theta, X, y, 0.3)
        check_array(got, GRAD_REG03, name="logistic_gradient(theta, X, y, 0.3)")


@points(4, name="gradient descent converges on overlapping data", part="1")
def test_logistic_converges_on_overlapping_data(submission):
    """On non-separable data training converges to the minimiser within the same step count."""
    X, y = overlapping_data()
    out = submission.logistic_regression(X, y, lr=1.0, reg=0.0, max_iter=10_000, tol=1e-6)
    converged = _field(out, "converged", "logistic_regression")
    check_true(_is_true(converged), "converged should be True on overlapping (non-separable) "
               "data: the cost has a finite minimiser there")
    iterations = _field(out, "iterations", "logistic_regression")
    check_true(abs(int(iterations) - ITERATIONS_A) <= 1,
               f"iterations is {iterations}; expected {ITERATIONS_A} (stop after the first step "
               "whose change ||theta_new - theta_old|| is below tol, counting steps from 1)")
    check_array(_field(out, "theta", "logistic_regression"), THETA_A, name="theta", rtol=1e-5)


# ---------------------------------------------------------------- part 2: naive Bayes

MESSAGES = [
    "Claim your FREE prize now",
    "are you home for dinner",
    "free entry call now",
    "dinner at home tonight",
    "call me later",
    "win a free prize call now",
    "later at\thome",
    "prize claim  now free free",
]
LABELS = [1, 0, 1, 0, 0, 1, 0, 1]
VOCAB = ["at", "call", "claim", "dinner", "free", "home", "later", "now", "prize"]
COUNTS = [
    [0, 0, 1, 0, 1, 0, 0, 1, 1],
    [0, 0, 0, 1, 0, 1, 0, 0, 0],
    [0, 1, 0, 0, 1, 0, 0, 1, 0],
    [1, 0, 0, 1, 0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0, 0, 1, 0, 0],
    [0, 1, 0, 0, 1, 0, 0, 1, 1],
    [1, 0, 0, 0, 0, 1, 1, 0, 0],
    [0, 0, 1, 0, 2, 0, 0, 1, 1],
]
LOG_PHI_SPAM = [
    -3.2188758248682006, -2.120263536200091, -2.120263536200091, -3.2188758248682006,
    -1.4271163556401456, -3.2188758248682006, -3.2188758248682006, -1.6094379124341003,
    -1.83258146374831,
]
LOG_PHI_HAM = [
    -1.8458266904983305, -2.251291798606495, -2.9444389791664403, -1.8458266904983305,
    -2.9444389791664403, -1.5581446180465497, -1.8458266904983305, -2.9444389791664403,
    -2.9444389791664403,
]
LOG_PRIOR = -0.6931471805599453


@points(4, name="tokenize, build_vocab, count_matrix", part="2")
def test_tokenize_vocab_counts(submission, credit):
    """Tokens are lower-cased whitespace pieces; the vocabulary counts messages, not occurrences."""
    with credit.part("tokenize", weight=1):
        got = submission.tokenize("Call NOW to claim\tyour FREE  prize")
        check_true(list(got) == ["call", "now", "to", "claim", "your", "free", "prize"],
                   f"tokenize('Call NOW to claim\\tyour FREE  prize') returned {brief(got)}; lower-case "
                   "and split on any whitespace")
    with credit.part("build_vocab", weight=2):
        got = submission.build_vocab(MESSAGES, 2)
        check_true(isinstance(got, list) and got == VOCAB,
                   f"build_vocab(messages, 2) returned {brief(got)}; expected {VOCAB!r} (tokens in at "
                   "least 2 different messages, sorted)")
    with credit.part("count_matrix", weight=1):
        check_array(submission.count_matrix(MESSAGES, VOCAB), COUNTS, name="count_matrix")


@points(5, name="nb_fit with Laplace smoothing", part="2")
def test_nb_fit(submission, credit):
    """nb_fit stores smoothed log token probabilities per class and log class priors."""
    model = submission.nb_fit(np.array(COUNTS), np.array(LABELS), 1.0)
    for key, want in (("log_phi_spam", LOG_PHI_SPAM), ("log_phi_ham", LOG_PHI_HAM)):
        with credit.part(key, weight=2):
            got = _field(model, key, "nb_fit")
            arr = as_floats(got, np.shape(want))  # the shape first: no huge conversion
            if arr is not None and not np.all(np.isfinite(arr)):
                check_true(False, f"{key} has -inf or NaN entries: a token that never occurs in a "
                           "class needs Laplace smoothing (add alpha to every count and alpha * V "
                           "to the total)")
            check_array(got, want, name=key)
    with credit.part("log priors", weight=1):
        check_scalar(_field(model, "log_prior_spam", "nb_fit"), LOG_PRIOR, name="log_prior_spam")
        check_scalar(_field(model, "log_prior_ham", "nb_fit"), LOG_PRIOR, name="log_prior_ham")


# ---------------------------------------------------------------- part 3: kernel perceptron

KA = [[0.0, 1.0], [1.5, -0.5], [-1.0, -2.0]]
KB = [[1.0, 1.0], [-0.5, 2.0]]
K_DOT = [[1.0, 2.0], [1.0, -1.75], [-3.0, -3.5]]
K_RBF1 = [
    [0.6065306597126334, 0.5352614285189903],
    [0.2865047968601901, 0.005946217356472094],
    [0.0015034391929775724, 0.0002960447300568554],
]
K_RBF05 = [
    [0.1353352832366127, 0.0820849986238988],
    [0.006737946999085467, 1.2501528663867426e-09],
    [5.109089028063325e-12, 7.681204685202095e-15],
]


def ring_data() -> tuple[np.ndarray, np.ndarray]:
    """30 points on a golden-angle spiral; label 1 within radius 1.5 of the origin."""
    k = np.arange(30)
    radius = 0.3 + 2.5 * ((k * 0.6180339887) % 1.0)
    angle = 2.4 * k
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, (radius < 1.5).astype(np.int64)


BETA_RBF = [0.0] * 30
for _i, _b in ((1, -0.5), (2, 0.5), (4, 0.5), (8, -0.5), (17, -0.5)):
    BETA_RBF[_i] = _b
BETA_DOT = [0.0] * 30
for _i, _b in ((1, -1.0), (4, 1.0), (17, -1.0), (21, -1.0), (26, 1.0)):
    BETA_DOT[_i] = _b


@points(3, name="kernel_matrix for the dot and RBF kernels", part="3")
def test_kernel_matrix(submission, credit):
    """kernel_matrix(A, B) has shape (len(A), len(B)) with K(A[i], B[j]) in entry (i, j)."""
    A, B = np.array(KA), np.array(KB)
    with credit.part("dot", weight=1):
        check_array(submission.kernel_matrix(A, B, "dot"), K_DOT, name="dot kernel matrix")
    with credit.part("rbf, sigma = 1", weight=1):
        check_array(submission.kernel_matrix(A, B, "rbf"), K_RBF1, name="rbf kernel matrix")
    with credit.part("rbf, sigma = 0.5", weight=1):
        got = submission.kernel_matrix(A, B, "rbf", sigma=0.5)
        check_array(got, K_RBF05, name="rbf kernel matrix (sigma=0.5)", atol=1e-15)


@points(4, name="one pass of the kernelised perceptron", part="3")
def test_perceptron_train(submission, credit):
    """beta_i = lr (y_i - g(sum_{j<i} beta_j K(x_j, x_i))) with g(s) = 1 for s >= 0."""
    X, y = ring_data()
    for label, kernel, lr, want in (("rbf kernel, lr = 0.5", "rbf", 0.5, BETA_RBF),
                                    ("dot kernel, lr = 1", "dot", 1.0, BETA_DOT)):
        with credit.part(label, weight=2):
            got = submission.perceptron_train(X, y, kernel, lr=lr, sigma=1.0)
            first = np.asarray(np.asarray(got).reshape(-1)[:1], dtype=float)
            if first.size and first[0] == lr:
                check_true(False, f"beta[0] is {lr}, but the first example's kernel sum is empty "
                           "(0) and g(0) = 1, so this positive example is classified correctly "
                           "and beta[0] = 0")
            check_array(got, want, name=f"beta ({kernel})")


# ---------------------------------------------------------------- part 4: MAP estimation


def map_data() -> tuple[np.ndarray, np.ndarray]:
    """8 examples with an intercept column and two smooth features."""
    k = np.arange(8.0)
    X = np.column_stack([np.ones(8), np.sin(k), 2.0 * np.cos(0.7 * k)])
    y = 0.5 + 1.2 * np.sin(k) - 0.8 * np.cos(0.7 * k) + 0.1 * np.cos(3.1 * k)
    return X, y


THETA_GAUSS = [0.5104072460343368, 1.1008687064377454, -0.36155073664763865]
THETA_GAUSS_INVERTED = [0.21457229796769975, 0.12488817421798024, -0.033200025657056986]


@points(4, name="MAP estimate with a Gaussian prior", part="4")
def test_map_gaussian(submission):
    """map_gaussian is ridge regression with the variance ratio the prior implies."""
    X, y = map_data()
    got = submission.map_gaussian(X, y, 0.5, 2.0)
    if _close(got, THETA_GAUSS_INVERTED):
        check_true(False, "map_gaussian solves ridge with lambda = eta^2 / sigma^2: the ratio is "
                   "inverted (noise variance over prior variance)")
    check_array(got, THETA_GAUSS, name="theta_MAP (sigma=0.5, eta=2)")


@points(3, name="Laplace prior: gamma and the L1 objective", part="4")
def test_laplace_objective(submission, credit):
    """gamma = 2 sigma^2 / b and the objective is ||y - X theta||^2 + gamma ||theta||_1."""
    X, y = map_data()
    with credit.part("laplace_gamma", weight=1):
        check_scalar(submission.laplace_gamma(0.5, 2.0), 0.25, name="laplace_gamma(0.5, 2)")
    with credit.part("map_laplace_objective", weight=2):
        got = submission.map_laplace_objective(np.array([0.3, -1.0, 0.0]), X, y, 0.5, 2.0)
        check_scalar(got, 11.642182152232397, name="map_laplace_objective")


# ---------------------------------------------------------------- part 5: two-layer network

X5 = [[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [1.0, 1.0, -1.0]]
Y5 = [1.0, 0.0, 1.0, 0.0]
W1 = [[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]]
B1 = [0.1, -0.2]
W2 = [1.5, -2.0]
B2 = 0.3
FORWARD = {
    "z1": [[-1.1, 0.25], [0.82, -1.2], [0.59, 0.02], [1.3, -1.0]],
    "h": [
        [0.24973989440488245, 0.5621765008857981],
        [0.6942363401080305, 0.23147521650098238],
        [0.6433651456944017, 0.5049998333399998],
        [0.7858349830425586, 0.2689414213699951],
    ],
    "z2": [-0.44974316016427246, 0.878404077160081, 0.25504805186160306, 0.9408696318238476],
    "o": [0.38942183375798295, 0.7064913975456535, 0.563418606002888, 0.7192752855178708],
}
GRADIENTS = {
    "loss": 0.3949740104596877,
    "dW1": [
        [0.0468121962667957, -0.05514916577886777],
        [0.030946576368445694, -0.05063099402236158],
        [-0.07730954577298789, 0.12094916708745883],
    ],
    "db1": [0.002773665044697421, 0.00796183586567227],
    "dW2": [0.05524401120661791, -0.0314385701970786],
    "db2": 0.01958286168873185,
}


def _net_args() -> tuple[np.ndarray, ...]:
    return np.array(W1), np.array(B1), np.array(W2)


@points(3, name="forward pass of the two-layer network", part="5")
def test_two_layer_forward(submission, credit):
    """z1 = X W1 + b1, h = sigmoid(z1), z2 = h W2 + b2, o = sigmoid(z2)."""
    W1_, b1_, W2_ = _net_args()
    out = submission.two_layer_forward(np.array(X5), W1_, b1_, W2_, B2)
    for key in ("z1", "h", "z2", "o"):
        with credit.part(key, weight=2 if key in {"z1", "h"} else 1):
            check_array(_field(out, key, "two_layer_forward"), FORWARD[key], name=key)


@points(5, name="gradients of the mean squared loss", part="5")
def test_two_layer_gradients(submission, credit):
    """The gradients average over the batch and carry both sigmoid derivatives."""
    W1_, b1_, W2_ = _net_args()
    out = submission.two_layer_gradients(np.array(X5), np.array(Y5), W1_, b1_, W2_, B2)
    n = len(X5)
    for key in ("loss", "dW1", "db1", "dW2", "db2"):
        with credit.part(key, weight=1):
            got = _field(out, key, "two_layer_gradients")
            want = GRADIENTS[key]
            if key != "loss" and _close(got, np.asarray(want) * n):
                check_true(False, f"{key} is n = {n} times too large: the loss is a mean over the "
                           "batch, so dL/dJ_i = 1/n; average the per-example gradients")
            check_array(got, want, name=key)


# ---------------------------------------------------------------- part 6: batch normalisation

XB = [[1.0, -2.0, 0.5], [0.3, 0.0, 2.5], [-1.2, 1.0, 1.5], [2.0, 0.5, -0.5], [0.4, -1.5, 0.0]]
GAMMA = [1.5, 0.5, -1.0]
BETA = [0.1, -0.2, 0.3]
DY = [[0.2, -0.1, 0.5], [1.0, 0.3, -0.4], [-0.6, 0.8, 0.1], [0.0, -0.5, 0.2], [0.3, 0.3, -0.9]]
BN_FORWARD = {
    "mu": [0.5, -0.4, 0.8],
    "var": [1.088, 1.34, 1.16],
    "x_hat": [
        [0.47935091513524214, -1.3821843235356057, -0.2785418066569298],
        [-0.19174036605409686, 0.34554608088390143, 1.5784035710559352],
        [-1.6297931114598232, 1.209411283093655, 0.6499308821995028],
        [1.4380527454057264, 0.7774786819887782, -1.2070144955133624],
        [-0.0958701830270484, -0.950251722430729, -0.7427781510851461],
    ],
    "y": [
        [0.8190263727028632, -0.8910921617678029, 0.5785418066569298],
        [-0.1876105490811453, -0.027226959558049296, -1.2784035710559352],
        [-2.344689667189735, 0.4047056415468275, -0.3499308821995028],
        [2.2570791181085896, 0.1887393409943891, 1.5070144955133624],
        [-0.04380527454057259, -0.6751258612153646, 1.0427781510851462],
    ],
}
BN_BACKWARD = {
    "dbeta": [0.9, 0.8, -0.5],
    "dgamma": [0.8532446289407309, 0.5355964253700471, -0.2785418066569296],
    "dx_hat": [[0.3, -0.05, -0.5], [1.5, 0.15, 0.4], [-0.9, 0.4, -0.1], [0.0, -0.25, -0.2],
               [0.45, 0.15, 0.9]],
}


@points(2, name="batch-norm forward pass", part="6")
def test_batchnorm_forward(submission, credit):
    """mu and the biased variance per feature, then x_hat and y = gamma x_hat + beta."""
    out = submission.batchnorm_forward(np.array(XB), np.array(GAMMA), np.array(BETA), eps=1e-5)
    for key in ("mu", "var", "x_hat", "y"):
        with credit.part(key, weight=1):
            got = _field(out, key, "batchnorm_forward")
            if key == "var" and _close(got, np.array(BN_FORWARD["var"]) * 5 / 4):
                check_true(False, "var divides by m - 1; batch norm uses the biased variance "
                           "(divide by m)")
            check_array(got, BN_FORWARD[key], name=key)


@points(4, name="batch-norm gradients for beta, gamma and x_hat", part="6")
def test_batchnorm_backward_parameters(submission, credit):
    """dbeta and dgamma sum over the batch; dx_hat is dy * gamma."""
    out = submission.batchnorm_backward(np.array(DY), np.array(XB), np.array(GAMMA), eps=1e-5)
    for key, weight in (("dbeta", 2), ("dgamma", 3), ("dx_hat", 3)):
        with credit.part(key, weight=weight):
            check_array(_field(out, key, "batchnorm_backward"), BN_BACKWARD[key], name=key)
