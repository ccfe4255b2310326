"""Public tests, sections 3.4 and 3.5: the MLPs on small fixed networks and data."""

from __future__ import annotations

import numpy as np

from grader import check_array, check_true, points

_setup = np.random.default_rng(34)
MLP_KEYS = ("W_h", "b_h", "W_o", "b_o")
MLP2_KEYS = ("W_h1", "b_h1", "W_h2", "b_h2", "W_o", "b_o")


def _same(got: object, want: np.ndarray) -> bool:
    """True when ``got`` is an array of ``want``'s shape and values (default tolerances)."""
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    return arr.shape == np.shape(want) and bool(np.allclose(arr, want, rtol=1e-6, atol=1e-8))


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
    check_true(key in result, f"{function}() returned no '{key}' entry (keys: {sorted(result)})")
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


X_PUB, Y_PUB = _data(_setup, 6, 3, 2)
P_PUB = _params(_setup, 3, 4, 2)
P2_PUB = _params2(_setup, 3, 4, 3, 2)


@points(2, name="3.4 MLP forward pass", part="3.4")
def test_mlp_forward(submission, reference, credit):
    """mlp_forward() gives Z_h = X W_h + b_h, H = sigmoid(Z_h) and Y_hat = H W_o + b_o."""
    got = submission.mlp_forward(X_PUB, P_PUB)
    want = reference.mlp_forward(X_PUB, P_PUB)
    for key in ("Z_h", "H", "Y_hat"):
        with credit.part(key, weight=1):
            check_array(_entry(got, key, "mlp_forward"), want[key], name=key)


@points(1, name="3.4 MSE with two outputs", part="3.4")
def test_mse(submission, reference):
    """mse() sums the squared errors over outputs and averages over the samples."""
    Y_hat = reference.mlp_forward(X_PUB, P_PUB)["Y_hat"]
    got = submission.mse(Y_PUB, Y_hat)
    want = reference.mse(Y_PUB, Y_hat)
    hints = (("this divides by N*k; here the MSE averages over the N samples only", want / 2),)
    _check(got, want, name="MSE", hints=hints)


@points(5, name="3.4 gradients of the MSE", part="3.4")
def test_mlp_gradients(submission, reference, credit):
    """mlp_gradients() gives dMSE/dW_h, dMSE/db_h, dMSE/dW_o, dMSE/db_o with the right shapes."""
    got = submission.mlp_gradients(X_PUB, Y_PUB, P_PUB)
    want = reference.mlp_gradients(X_PUB, Y_PUB, P_PUB)
    for key in MLP_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            _check_gradients(got, want, key, N=6, k=2, function="mlp_gradients")


@points(2, name="3.4 gradient-descent update rule", part="3.4")
def test_mlp_step(submission, reference, credit):
    """mlp_step() moves every parameter by -lr times its gradient (lr = 0.1)."""
    got = submission.mlp_step(X_PUB, Y_PUB, P_PUB, 0.1)
    want = reference.mlp_step(X_PUB, Y_PUB, P_PUB, 0.1)
    grads = reference.mlp_gradients(X_PUB, Y_PUB, P_PUB)
    own = _own(submission, "mlp_gradients", X_PUB, Y_PUB, P_PUB)
    for key in MLP_KEYS:
        with credit.part(key, weight=1):
            _check_step(got, key, P_PUB, want, 0.1, function="mlp_step", gradients=grads, own=own)


@points(3, name="3.4 training loop", part="3.4")
def test_mlp_train(submission, reference, credit):
    """mlp_train() runs full-batch steps and records the MSE before each step."""
    result = submission.mlp_train(X_PUB, Y_PUB, P_PUB, 0.5, 25)
    want_params, want_losses = reference.mlp_train(X_PUB, Y_PUB, P_PUB, 0.5, 25)
    check_true(
        isinstance(result, (list, tuple)) and len(result) == 2,
        "mlp_train() must return a pair (params, losses)",
    )
    params, losses = result
    with credit.part("losses", weight=1):
        hints = (
            (
                "these are the losses after each step; record the MSE before each step "
                "(the first entry is the loss of the initial parameters)",
                [
                    *want_losses[1:],
                    reference.mse(Y_PUB, reference.mlp_forward(X_PUB, want_params)["Y_hat"]),
                ],
            ),
        )
        _check(losses, np.array(want_losses), name="losses", hints=hints)
    with credit.part("final parameters", weight=2):
        for key in MLP_KEYS:
            check_array(_entry(params, key, "mlp_train"), want_params[key], name=key)


@points(3, name="3.4 MLP class: initialisation, fit and predict", part="3.4")
def test_mlp_class(submission, reference, credit):
    """MLP(3, 4, 2) has parameters of the right shapes, fit() trains them, predict() uses them."""
    model = submission.MLP(3, 4, 2, seed=0)
    start = model.params
    with credit.part("parameter shapes", weight=1):
        for key, shape in zip(MLP_KEYS, ((3, 4), (4,), (4, 2), (2,)), strict=True):
            _check_shape(_entry(start, key, "MLP.params"), shape, name=f"params['{key}']")
    with credit.part("fit", weight=1):
        losses = model.fit(X_PUB, Y_PUB, lr=0.5, epochs=20)
        want_params, want_losses = reference.mlp_train(X_PUB, Y_PUB, start, 0.5, 20)
        _check(losses, np.array(want_losses), name="losses returned by fit")
        trained = model.params
        for key in MLP_KEYS:
            check_array(_entry(trained, key, "MLP.params"), want_params[key], name=key)
    with credit.part("predict", weight=1):
        trained = model.params
        want = reference.mlp_forward(X_PUB, trained)["Y_hat"]
        check_array(model.predict(X_PUB), want, name="predict(X)")


@points(1, name="3.5 two-hidden-layer forward pass", part="3.5")
def test_mlp2_forward(submission, reference, credit):
    """mlp2_forward() gives H1, H2 and Y_hat."""
    got = submission.mlp2_forward(X_PUB, P2_PUB)
    want = reference.mlp2_forward(X_PUB, P2_PUB)
    for key in ("H1", "H2", "Y_hat"):
        with credit.part(key, weight=1):
            check_array(_entry(got, key, "mlp2_forward"), want[key], name=key)


@points(2, name="3.5 two-hidden-layer gradients", part="3.5")
def test_mlp2_gradients(submission, reference, credit):
    """mlp2_gradients() gives the six gradients of the MSE with the right shapes."""
    got = submission.mlp2_gradients(X_PUB, Y_PUB, P2_PUB)
    want = reference.mlp2_gradients(X_PUB, Y_PUB, P2_PUB)
    for key in MLP2_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            _check_gradients(got, want, key, N=6, k=2, function="mlp2_gradients")


@points(1, name="3.5 two-hidden-layer update", part="3.5")
def test_mlp2_step(submission, reference, credit):
    """mlp2_step() moves every parameter by -lr times its gradient."""
    got = submission.mlp2_step(X_PUB, Y_PUB, P2_PUB, 0.1)
    want = reference.mlp2_step(X_PUB, Y_PUB, P2_PUB, 0.1)
    grads = reference.mlp2_gradients(X_PUB, Y_PUB, P2_PUB)
    own = _own(submission, "mlp2_gradients", X_PUB, Y_PUB, P2_PUB)
    for key in MLP2_KEYS:
        with credit.part(key, weight=1):
            _check_step(got, key, P2_PUB, want, 0.1, function="mlp2_step", gradients=grads, own=own)
