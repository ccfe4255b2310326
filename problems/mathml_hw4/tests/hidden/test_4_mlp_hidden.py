"""Hidden tests, sections 3.4 and 3.5: the MLPs on other shapes (m, n, k all different, a
single output, a batch of one), saturated hidden units, and longer training."""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_true, keys_of, points, set_attribute

MLP_KEYS = ("W_h", "b_h", "W_o", "b_o")
MLP2_KEYS = ("W_h1", "b_h1", "W_h2", "b_h2", "W_o", "b_o")
SHAPES = ((10, 5, 3, 2), (7, 2, 6, 1), (12, 4, 1, 3))  # (N, m, n, k)


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


def _params(rng: np.random.Generator, m: int, n: int, k: int, scale: float = 1.0) -> dict:
    """Random parameters of the one-hidden-layer network (m inputs, n hidden, k outputs)."""
    return {
        "W_h": scale * rng.normal(size=(m, n)),
        "b_h": scale * rng.normal(size=n),
        "W_o": rng.normal(size=(n, k)),
        "b_o": rng.normal(size=k),
    }


def _params2(rng: np.random.Generator, m: int, n1: int, n2: int, k: int) -> dict:
    """Random parameters of the two-hidden-layer network."""
    return {
        "W_h1": rng.normal(size=(m, n1)),
        "b_h1": rng.normal(size=n1),
        "W_h2": rng.normal(size=(n1, n2)),
        "b_h2": rng.normal(size=n2),
        "W_o": rng.normal(size=(n2, k)),
        "b_o": rng.normal(size=k),
    }


def _data(rng: np.random.Generator, N: int, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (N, m) and smooth targets (N, k)."""
    X = rng.normal(size=(N, m))
    Y = np.sin(X @ rng.normal(size=(m, k))) + 0.1 * rng.normal(size=(N, k))
    return X, Y


def _gradient_hints(key: str, want: dict, N: int, k: int) -> tuple:
    """Known wrong gradients of the MSE: not averaged, averaged over N*k, half, wrong sign."""
    hints = [
        ("this is half the gradient: d/dY_hat of (Y - Y_hat)^2 brings a factor 2", want[key] / 2),
        ("the sign is wrong: dMSE/dY_hat = -(2/N) (Y - Y_hat)", -want[key]),
    ]
    if N > 1:
        hints.append(
            (
                f"this is {N} (= N) times too large: the MSE averages over the N samples, so "
                "dMSE/dY_hat = -(2/N) (Y - Y_hat)",
                N * want[key],
            )
        )
    if k > 1:
        hints.append(
            (
                f"this is {k} (= k) times too small: the MSE here sums over the k outputs and "
                "averages over the N samples only",
                want[key] / k,
            )
        )
    return tuple(hints)


def _check_gradients(got: object, want: dict, key: str, *, N: int, k: int, function: str) -> None:
    """One gradient: shape (with a hint for per-sample bias gradients), then values."""
    value = _entry(got, key, function)
    if key.startswith("b_"):
        check_true(
            np.shape(value) != (N, np.size(want[key])) or N == 1,
            f"dMSE/d{key} has one row per sample (shape {np.shape(value)}); "
            f"sum over the samples to get shape {np.shape(want[key])}",
        )
    _check(value, want[key], name=f"dMSE/d{key}", hints=_gradient_hints(key, want, N, k))


def _check_shape(value: object, shape: tuple, *, name: str) -> None:
    """``value`` is an array of numbers of the given shape (its values are not judged)."""
    got = np.shape(value) if isinstance(value, (np.ndarray, list, tuple, float, int)) else None
    hint = " Did you transpose it?" if got is not None and got == shape[::-1] != shape else ""
    check_true(got == shape, f"{name} has shape {got}; expected {shape}.{hint}")


def _own(submission, function: str, *args: object) -> object:
    """The submission's own result of ``function``, only to explain another result; None if
    it fails (that failure is graded by its own test)."""
    try:
        return getattr(submission, function)(*args)
    except Exception:
        return None


def _check_step(got: object, key: str, params: dict, want: dict, lr: float, **ctx) -> None:
    """One parameter after a step, saying whether the rule or the gradient is wrong."""
    value = _entry(got, key, ctx["function"])
    if not _same(value, want[key]):
        right_grad = ctx["gradients"]
        if _same(value, params[key] + lr * right_grad[key]):
            check_true(False, f"{key} moved uphill: the update is P - lr * dMSE/dP")
        own = ctx.get("own")
        if isinstance(own, dict) and key in own:
            try:
                consistent = _same(value, params[key] - lr * np.asarray(own[key], dtype=float))
            except (TypeError, ValueError):
                consistent = False
            if consistent:
                check_true(
                    False,
                    f"{key} is {key} - lr * (your dMSE/d{key}): the update rule is right, "
                    f"but that gradient is wrong (see the gradient tests)",
                )
    _check(value, want[key], name=f"{key} after one step")


@points(2, name="3.4 MLP forward pass on other shapes and a batch of one", part="3.4")
def test_mlp_forward_shapes(submission, reference, rng, credit):
    """mlp_forward() is right for several (m, n, k) and for a single sample."""
    cases = [(*_data(rng, N, m, k), _params(rng, m, n, k)) for N, m, n, k in SHAPES]
    X1, Y1 = _data(rng, 1, 4, 2)
    cases.append((X1, Y1, _params(rng, 4, 3, 2)))
    results = [submission.mlp_forward(X, p) for X, _, p in cases]
    wants = [reference.mlp_forward(X, p) for X, _, p in cases]
    for key in ("Z_h", "H", "Y_hat"):
        with credit.part(key, weight=1):
            for got, want in zip(results, wants, strict=True):
                check_array(_entry(got, key, "mlp_forward"), want[key], name=key)


@points(1, name="3.4 MSE on other shapes", part="3.4")
def test_mse_shapes(submission, reference, rng):
    """mse() is right for one output, three outputs and a single sample."""
    for N, k in ((9, 1), (5, 3), (1, 2)):
        Y, Y_hat = rng.normal(size=(N, k)), rng.normal(size=(N, k))
        want = reference.mse(Y, Y_hat)
        hints = (
            (("this divides by N*k; here the MSE averages over the N samples only", want / k),)
            if k > 1
            else ()
        )
        _check(submission.mse(Y, Y_hat), want, name="MSE", hints=hints)


@points(6, name="3.4 gradients of the MSE on other shapes", part="3.4")
def test_mlp_gradients_shapes(submission, reference, rng, credit):
    """mlp_gradients() is right when m, n and k all differ (including k = 1 and n = 1)."""
    cases = [(*_data(rng, N, m, k), _params(rng, m, n, k)) for N, m, n, k in SHAPES]
    results = [submission.mlp_gradients(X, Y, p) for X, Y, p in cases]
    wants = [reference.mlp_gradients(X, Y, p) for X, Y, p in cases]
    for key in MLP_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            for (X, Y, _), got, want in zip(cases, results, wants, strict=True):
                _check_gradients(
                    got, want, key, N=X.shape[0], k=Y.shape[1], function="mlp_gradients"
                )


@points(2, name="3.4 gradients of the MSE for a batch of one", part="3.4")
def test_mlp_gradients_batch_of_one(submission, reference, rng, credit):
    """mlp_gradients() is right for N = 1 (bias gradients still have the bias's shape)."""
    X, Y = _data(rng, 1, 3, 2)
    p = _params(rng, 3, 5, 2)
    got = submission.mlp_gradients(X, Y, p)
    want = reference.mlp_gradients(X, Y, p)
    for key in MLP_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            _check_gradients(got, want, key, N=1, k=2, function="mlp_gradients")


@points(2, name="3.4 gradients of the MSE with saturated hidden units", part="3.4")
def test_mlp_gradients_saturated(submission, reference, rng, credit):
    """mlp_gradients() stays finite and right when |X W_h + b_h| reaches about 50."""
    X, Y = _data(rng, 8, 3, 2)
    p = _params(rng, 3, 4, 2, scale=15.0)
    got = submission.mlp_gradients(X, Y, p)
    want = reference.mlp_gradients(X, Y, p)
    for key in MLP_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            _check_gradients(got, want, key, N=8, k=2, function="mlp_gradients")


@points(3, name="3.4 update rule on other shapes and learning rates", part="3.4")
def test_mlp_step_shapes(submission, reference, rng, credit):
    """mlp_step() is P - lr * dMSE/dP for several shapes and learning rates."""
    cases = [
        (*_data(rng, N, m, k), _params(rng, m, n, k), float(rng.uniform(0.01, 1.0)))
        for N, m, n, k in SHAPES
    ]
    results = [submission.mlp_step(X, Y, p, lr) for X, Y, p, lr in cases]
    owns = [_own(submission, "mlp_gradients", X, Y, p) for X, Y, p, _ in cases]
    steps = [reference.mlp_step(X, Y, p, lr) for X, Y, p, lr in cases]
    grads = [reference.mlp_gradients(X, Y, p) for X, Y, p, _ in cases]
    for key in MLP_KEYS:
        with credit.part(key, weight=1):
            for (_, _, p, lr), got, own, step, grad in zip(
                cases, results, owns, steps, grads, strict=True
            ):
                _check_step(got, key, p, step, lr, function="mlp_step", gradients=grad, own=own)


@points(4, name="3.4 training loop: longer run, one output", part="3.4")
def test_mlp_train_longer(submission, reference, rng, credit):
    """mlp_train() matches 150 full-batch steps on unseen data, and the loss goes down."""
    X, Y = _data(rng, 30, 2, 1)
    p = _params(rng, 2, 6, 1, scale=0.5)
    result = submission.mlp_train(X, Y, p, 0.3, 150)
    want_params, want_losses = reference.mlp_train(X, Y, p, 0.3, 150)
    check_true(
        isinstance(result, (list, tuple)) and len(result) == 2,
        "mlp_train() must return a pair (params, losses)",
    )
    params, losses = result
    with credit.part("losses", weight=1):
        check_true(
            np.shape(losses) == (150,),
            f"losses has shape {np.shape(losses)}; expected (150,), one MSE per step",
        )
        check_array(losses, np.array(want_losses), name="losses")
    with credit.part("final parameters", weight=2):
        for key in MLP_KEYS:
            check_array(_entry(params, key, "mlp_train"), want_params[key], name=key)
    with credit.part("zero epochs", weight=1):
        params0, losses0 = submission.mlp_train(X, Y, p, 0.3, 0)
        check_true(len(losses0) == 0, "with epochs = 0 there are no losses to record")
        for key in MLP_KEYS:
            check_array(
                _entry(params0, key, "mlp_train"),
                p[key],
                name=f"{key} after 0 epochs (must be unchanged)",
            )


@points(4, name="3.4 MLP class: seeds, continued training, new inputs", part="3.4")
def test_mlp_class_hidden(submission, reference, rng, credit):
    """MLP's seed fixes the initial weights, fit() continues from where it stopped, and
    predict() works on new inputs."""
    X, Y = _data(rng, 16, 4, 1)
    X_new = rng.normal(size=(5, 4))
    with credit.part("seed", weight=1):
        a = submission.MLP(4, 7, 1, seed=5).params
        b = submission.MLP(4, 7, 1, seed=5).params
        c = submission.MLP(4, 7, 1, seed=6).params
        for key in MLP_KEYS:
            check_array(
                _entry(b, key, "MLP.params"),
                _entry(a, key, "MLP.params"),
                name=f"{key} of two models built with the same seed",
            )
        check_true(
            not _same(c["W_h"], np.asarray(a["W_h"], dtype=float)),
            "two different seeds gave the same W_h: use the seed for the random weights",
        )
    model = submission.MLP(4, 7, 1, seed=5)
    start = model.params
    with credit.part("fit twice", weight=2):
        # The reference trains from the student's starting weights: their shapes are checked
        # first, so that a model of a million hidden units is refused, not trained here.
        for key, shape in zip(MLP_KEYS, ((4, 7), (7,), (7, 1), (1,)), strict=True):
            _check_shape(_entry(start, key, "MLP.params"), shape,
                         name=f"params['{key}'] of MLP(4, 7, 1)")
        model.fit(X, Y, lr=0.3, epochs=20)
        model.fit(X, Y, lr=0.1, epochs=15)
        mid, _ = reference.mlp_train(X, Y, start, 0.3, 20)
        want, _ = reference.mlp_train(X, Y, mid, 0.1, 15)
        trained = model.params
        for key in MLP_KEYS:
            check_array(
                _entry(trained, key, "MLP.params"),
                want[key],
                name=f"{key} after fit(20 epochs) then fit(15 epochs)",
            )
    with credit.part("predict on new inputs", weight=1):
        # Checked on parameters the test sets, never on the model's own: with zero output
        # weights every input gives the same output, and a predict() returning zeros would
        # agree with them.
        want = _params(rng, 4, 7, 1)
        set_attribute(model, "params", want)
        got = model.predict(X_new)
        check_array(got, reference.mlp_forward(X_new, want)["Y_hat"],
                    name="predict(X) with params set to the test's values")


@points(1, name="3.5 two-hidden-layer forward pass on other shapes", part="3.5")
def test_mlp2_forward_shapes(submission, reference, rng, credit):
    """mlp2_forward() is right for other layer sizes and a batch of one."""
    cases = []
    for N, m, n1, n2, k in ((9, 2, 5, 3, 1), (1, 3, 2, 4, 2)):
        X, _ = _data(rng, N, m, k)
        cases.append((X, _params2(rng, m, n1, n2, k)))
    for key in ("H1", "H2", "Y_hat"):
        with credit.part(key, weight=1):
            for X, p in cases:
                check_array(
                    _entry(submission.mlp2_forward(X, p), key, "mlp2_forward"),
                    reference.mlp2_forward(X, p)[key],
                    name=key,
                )


@points(4, name="3.5 two-hidden-layer gradients on other shapes", part="3.5")
def test_mlp2_gradients_shapes(submission, reference, rng, credit):
    """mlp2_gradients() is right when the layer sizes all differ, and for a batch of one."""
    cases = []
    for N, m, n1, n2, k in ((11, 2, 5, 3, 1), (8, 4, 3, 6, 2), (1, 3, 2, 4, 2)):
        X, Y = _data(rng, N, m, k)
        cases.append((X, Y, _params2(rng, m, n1, n2, k)))
    results = [submission.mlp2_gradients(X, Y, p) for X, Y, p in cases]
    wants = [reference.mlp2_gradients(X, Y, p) for X, Y, p in cases]
    for key in MLP2_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            for (X, Y, _), got, want in zip(cases, results, wants, strict=True):
                _check_gradients(
                    got, want, key, N=X.shape[0], k=Y.shape[1], function="mlp2_gradients"
                )


@points(1, name="3.5 two-hidden-layer update on other shapes", part="3.5")
def test_mlp2_step_shapes(submission, reference, rng, credit):
    """mlp2_step() is P - lr * dMSE/dP for other layer sizes."""
    X, Y = _data(rng, 7, 3, 2)
    p = _params2(rng, 3, 4, 5, 2)
    got = submission.mlp2_step(X, Y, p, 0.25)
    want = reference.mlp2_step(X, Y, p, 0.25)
    grads = reference.mlp2_gradients(X, Y, p)
    own = _own(submission, "mlp2_gradients", X, Y, p)
    for key in MLP2_KEYS:
        with credit.part(key, weight=1):
            _check_step(got, key, p, want, 0.25, function="mlp2_step", gradients=grads, own=own)
