"""Public tests, sections 3.4 and 3.5: the MLPs on small fixed networks and data.

Every expected value is written out at the end of this file: these tests need only NumPy and the
grader, so they run the same in the student kit as in the course's checkout. The one result that
depends on your own code, the training run of an MLP from the initial weights it drew itself, is
computed here from the network's definition (see ``_expected_training``).
"""

from __future__ import annotations

import numpy as np

from grader import as_floats, check_array, check_true, keys_of, points, set_attribute

MLP_KEYS = ("W_h", "b_h", "W_o", "b_o")
MLP2_KEYS = ("W_h1", "b_h1", "W_h2", "b_h2", "W_o", "b_o")
LR_STEP = 0.1
LR_TRAIN = 0.5
EPOCHS_TRAIN = 25

# Inputs: six samples with three features and two smooth targets, a network with four hidden
# units (P_PUB) and one with two hidden layers of four and three units (P2_PUB).
X_PUB = np.array(
    [
        [-0.039924658947135025, -1.2577367209219155, 2.574023189963745],
        [0.48179797619192904, 0.6435466245355551, -0.2079266799144402],
        [0.058287084621405076, 0.3367426363654663, 0.19510708987712772],
        [-0.6093144861761308, 0.6146803888149932, 0.4904031176447712],
        [-0.11826438854963027, -0.7192432635329281, -0.8793663661900869],
        [-1.0080283314520588, 0.2766290585896302, -0.3509065477161458],
    ]
)
Y_PUB = np.array(
    [
        [-0.651579779911205, 0.5151240444763541],
        [0.9532757134944602, -0.5377608152294715],
        [0.13440813686039776, 0.1789982768350509],
        [-0.2552182850861727, 0.8147285839139362],
        [-0.06985695539871781, -0.7594610782821123],
        [-0.5078851161726441, 0.45435377858755177],
    ]
)
P_PUB = {
    "W_h": np.array(
        [
            [-1.0812397284053499, -0.2647569600243273, 0.3789485891624878, -1.9769498622123847],
            [-0.39996507030009887, 0.20732724345117484, -0.39768028018528206, 0.7373163550325441],
            [-0.8107713514355345, 0.6996726552099481, 0.7910266266214417, 0.3744508883837694],
        ]
    ),
    "b_h": np.array(
        [
            -0.7512934307913205,
            1.7357286050813117,
            -0.26527436414612615,
            0.4876343772258879,
        ]
    ),
    "W_o": np.array(
        [
            [-0.988214645210646, -0.7221759973025274],
            [0.3632501320814856, -1.400600774772154],
            [0.4177497310474027, 1.7087803889003808],
            [-1.429500504021974, -0.3130516159073398],
        ]
    ),
    "b_o": np.array([0.8128742268098668, -0.37711280575343364]),
}
P2_PUB = {
    "W_h1": np.array(
        [
            [0.7859829678314249, 0.13949074051629437, -1.6979212108333603, -2.600474603677622],
            [-0.2893043919490064, 0.868000059098014, -0.8806672032782616, 1.1804593028304717],
            [-1.625208580989776, 0.5999974787511552, -0.23273173844029318, -0.16006599031150895],
        ]
    ),
    "b_h1": np.array(
        [
            -0.39834651858816056,
            -0.7028792098032082,
            -0.13438669052043656,
            -1.1462801494511399,
        ]
    ),
    "W_h2": np.array(
        [
            [0.8697187279829661, -1.2075123582178628, 0.5521211187371025],
            [-1.0957431543778011, -1.3599776574796472, 0.5874726488138801],
            [0.31969520068603396, 0.03768513541428808, 1.7371297821515936],
            [-0.7792030354898237, 0.9116042242001557, 0.3108029666553994],
        ]
    ),
    "b_h2": np.array([1.6977407306754846, -1.0841930457565077, -0.3763791438158808]),
    "W_o": np.array(
        [
            [-0.5358175519335485, -0.8913813179772303],
            [-1.519268316029521, -0.25310909998157294],
            [-0.30267668163023453, -0.9363531558378526],
        ]
    ),
    "b_o": np.array([-0.2589173667480098, -1.7343381007258722]),
}


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
    except Exception:  # noqa: BLE001 - a student's function may raise anything
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


# The MLP class draws its own initial weights (the README leaves how to the student), so the
# training run that test_mlp_class expects cannot be written out in advance. It is computed from
# the network's definition in the README alone: gradient descent whose gradients come from the
# complex-step method, dMSE/dp = Im MSE(p + i h) / h, which has no subtraction and so is exact
# to rounding (unlike finite differences) for a tiny h.
_COMPLEX_STEP = 1e-30


def _network_output(X: np.ndarray, params: dict) -> np.ndarray:
    """Y_hat = sigmoid(X W_h + b_h) W_o + b_o, for real or complex parameters."""
    Z_h = X @ params["W_h"] + params["b_h"]
    return (1.0 / (1.0 + np.exp(-Z_h))) @ params["W_o"] + params["b_o"]


def _network_mse(X: np.ndarray, Y: np.ndarray, params: dict) -> complex:
    """The MSE of section 3.4 as an analytic function of the parameters (no abs, no conj)."""
    residual = Y - _network_output(X, params)
    return np.sum(residual * residual) / X.shape[0]


def _complex_step_gradients(X: np.ndarray, Y: np.ndarray, params: dict) -> dict:
    """dMSE/dP for every entry of every parameter, by the complex-step method."""
    grads = {}
    for key in MLP_KEYS:
        grad = np.zeros_like(params[key])
        for idx in np.ndindex(grad.shape):
            probe = {k: v.astype(complex) for k, v in params.items()}
            probe[key][idx] += 1j * _COMPLEX_STEP
            grad[idx] = _network_mse(X, Y, probe).imag / _COMPLEX_STEP
        grads[key] = grad
    return grads


def _expected_training(X, Y, start: dict, lr: float, epochs: int) -> tuple[dict, list[float]]:
    """What mlp_train(X, Y, start, lr, epochs) returns: the final parameters and the MSE before
    each full-batch step."""
    params = {key: np.asarray(start[key], dtype=float) for key in MLP_KEYS}
    losses = []
    for _ in range(epochs):
        losses.append(float(_network_mse(X, Y, params).real))
        grads = _complex_step_gradients(X, Y, params)
        params = {key: params[key] - lr * grads[key] for key in MLP_KEYS}
    return params, losses


def _usable_start(start: object, shapes: tuple) -> bool:
    """True when ``start`` is a dict of real arrays with the parameters' shapes."""
    if not isinstance(start, dict) or not all(key in start for key in MLP_KEYS):
        return False
    # The shapes first: the expected training runs here, from these very weights.
    arrays = [as_floats(start[key], shape) for key, shape in zip(MLP_KEYS, shapes, strict=True)]
    return all(a is not None and np.isfinite(a).all() for a in arrays)


@points(2, name="3.4 MLP forward pass", part="3.4")
def test_mlp_forward(submission, credit):
    """mlp_forward() gives Z_h = X W_h + b_h, H = sigmoid(Z_h) and Y_hat = H W_o + b_o."""
    got = submission.mlp_forward(X_PUB, P_PUB)
    for key in ("Z_h", "H", "Y_hat"):
        with credit.part(key, weight=1):
            check_array(_entry(got, key, "mlp_forward"), MLP_FORWARD[key], name=key)


@points(1, name="3.4 MSE with two outputs", part="3.4")
def test_mse(submission):
    """mse() sums the squared errors over outputs and averages over the samples."""
    got = submission.mse(Y_PUB, MLP_FORWARD["Y_hat"])
    hints = (("this divides by N*k; here the MSE averages over the N samples only", MLP_MSE / 2),)
    _check(got, MLP_MSE, name="MSE", hints=hints)


@points(5, name="3.4 gradients of the MSE", part="3.4")
def test_mlp_gradients(submission, credit):
    """mlp_gradients() gives dMSE/dW_h, dMSE/db_h, dMSE/dW_o, dMSE/db_o with the right shapes."""
    got = submission.mlp_gradients(X_PUB, Y_PUB, P_PUB)
    for key in MLP_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            _check_gradients(got, MLP_GRADIENTS, key, N=6, k=2, function="mlp_gradients")


@points(2, name="3.4 gradient-descent update rule", part="3.4")
def test_mlp_step(submission, credit):
    """mlp_step() moves every parameter by -lr times its gradient (lr = 0.1)."""
    got = submission.mlp_step(X_PUB, Y_PUB, P_PUB, LR_STEP)
    own = _own(submission, "mlp_gradients", X_PUB, Y_PUB, P_PUB)
    for key in MLP_KEYS:
        with credit.part(key, weight=1):
            _check_step(
                got,
                key,
                P_PUB,
                MLP_STEP,
                LR_STEP,
                function="mlp_step",
                gradients=MLP_GRADIENTS,
                own=own,
            )


@points(3, name="3.4 training loop", part="3.4")
def test_mlp_train(submission, credit):
    """mlp_train() runs full-batch steps and records the MSE before each step."""
    result = submission.mlp_train(X_PUB, Y_PUB, P_PUB, LR_TRAIN, EPOCHS_TRAIN)
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
                [*MLP_TRAIN_LOSSES[1:], MLP_TRAIN_FINAL_LOSS],
            ),
        )
        _check(losses, MLP_TRAIN_LOSSES, name="losses", hints=hints)
    with credit.part("final parameters", weight=2):
        for key in MLP_KEYS:
            check_array(_entry(params, key, "mlp_train"), MLP_TRAIN_PARAMS[key], name=key)


@points(3, name="3.4 MLP class: initialisation, fit and predict", part="3.4")
def test_mlp_class(submission, credit):
    """MLP(3, 4, 2) has parameters of the right shapes, fit() trains them, predict() uses them."""
    model = submission.MLP(3, 4, 2, seed=0)
    start = model.params
    shapes = ((3, 4), (4,), (4, 2), (2,))
    with credit.part("parameter shapes", weight=1):
        for key, shape in zip(MLP_KEYS, shapes, strict=True):
            _check_shape(_entry(start, key, "MLP.params"), shape, name=f"params['{key}']")
    with credit.part("fit", weight=1):
        losses = model.fit(X_PUB, Y_PUB, lr=0.5, epochs=20)
        check_true(
            _usable_start(start, shapes),
            "fit() cannot be checked: MLP(3, 4, 2).params must hold finite arrays of the "
            "shapes W_h (3, 4), b_h (4,), W_o (4, 2), b_o (2,) before training",
        )
        want_params, want_losses = _expected_training(X_PUB, Y_PUB, start, 0.5, 20)
        _check(losses, np.array(want_losses), name="losses returned by fit")
        trained = model.params
        for key in MLP_KEYS:
            check_array(_entry(trained, key, "MLP.params"), want_params[key], name=key)
    with credit.part("predict", weight=1):
        # predict() is checked on parameters the test sets, never on the model's own: with
        # zero output weights every input gives the same output, and a predict() returning
        # zeros would agree with them.
        set_attribute(model, "params", P_PUB)
        check_array(model.predict(X_PUB), _network_output(X_PUB, P_PUB),
                    name="predict(X) with params set to the test's values")


@points(1, name="3.5 two-hidden-layer forward pass", part="3.5")
def test_mlp2_forward(submission, credit):
    """mlp2_forward() gives H1, H2 and Y_hat."""
    got = submission.mlp2_forward(X_PUB, P2_PUB)
    for key in ("H1", "H2", "Y_hat"):
        with credit.part(key, weight=1):
            check_array(_entry(got, key, "mlp2_forward"), MLP2_FORWARD[key], name=key)


@points(2, name="3.5 two-hidden-layer gradients", part="3.5")
def test_mlp2_gradients(submission, credit):
    """mlp2_gradients() gives the six gradients of the MSE with the right shapes."""
    got = submission.mlp2_gradients(X_PUB, Y_PUB, P2_PUB)
    for key in MLP2_KEYS:
        with credit.part(f"dMSE/d{key}", weight=1):
            _check_gradients(got, MLP2_GRADIENTS, key, N=6, k=2, function="mlp2_gradients")


@points(1, name="3.5 two-hidden-layer update", part="3.5")
def test_mlp2_step(submission, credit):
    """mlp2_step() moves every parameter by -lr times its gradient."""
    got = submission.mlp2_step(X_PUB, Y_PUB, P2_PUB, LR_STEP)
    own = _own(submission, "mlp2_gradients", X_PUB, Y_PUB, P2_PUB)
    for key in MLP2_KEYS:
        with credit.part(key, weight=1):
            _check_step(
                got,
                key,
                P2_PUB,
                MLP2_STEP,
                LR_STEP,
                function="mlp2_step",
                gradients=MLP2_GRADIENTS,
                own=own,
            )


# Expected results, to full float64 precision: the forward pass, MSE, gradients and one step
# (LR_STEP) of each network on X_PUB, Y_PUB; EPOCHS_TRAIN training steps of P_PUB with LR_TRAIN
# (the MSE before each step, then after the last).
MLP_FORWARD = {
    "Z_h": np.array(
        [
            [-2.2920188077454053, 3.2865094889720172, 2.2558942150509926, 0.6030588417719205],
            [-1.3610477193653492, 1.5961133730314028, -0.5030990429617608, -0.06821694393754901],
            [-1.1071882734981957, 1.9266237119230172, -0.22276755850716856, 0.693747609678337],
            [-0.7359338846103268, 2.3676104982023514, -0.35269757445200034, 2.3290643535751125],
            [0.37721596414881853, 1.002652601539197, -0.7196638349837212, -0.13815219461078382],
            [0.5124898635863474, 1.8144441459397234, -1.0348516224122943, 2.5530217088396134],
        ]
    ),
    "H": np.array(
        [
            [0.0917861204869328, 0.9639630960608461, 0.9051577467576997, 0.6463558088157529],
            [0.20407007320070694, 0.8314744742158094, 0.37681265906510597, 0.48295237450310763],
            [0.24839545282161699, 0.8728752446898662, 0.4445372841127648, 0.6668000820045588],
            [0.3238939303850055, 0.9143238624030279, 0.41272841951405814, 0.9112557012994518],
            [0.5932014522397383, 0.731579791986157, 0.3274670130555419, 0.4655167795538993],
            [0.6253899749913981, 0.8598981321756813, 0.26214459770181314, 0.9277762536327937],
        ]
    ),
    "Y_hat": np.array(
        [
            [0.5264930110672437, -0.4491529219292522],
            [0.3802751286138994, -1.1963500463213124],
            [0.11699252802330773, -1.2281740335441027],
            [-0.3052975329611254, -1.4716317786129074],
            [-0.036246894158685095, -1.416321449739671],
            [-0.7095329823573489, -1.8756227325874024],
        ]
    ),
}
MLP_MSE = 2.6986985759450177
MLP_GRADIENTS = {
    "W_h": np.array(
        [
            [-0.19653553237101817, -0.16752568060821618, 0.4055044814746214, 0.00994020874847199],
            [0.16574560756795928, 0.06269473489285816, -0.30306043550460326, 0.20891735851023865],
            [
                -0.05453816335221981,
                0.002410933684249864,
                -0.09372868949860347,
                -0.29115988057224906,
            ],
        ]
    ),
    "b_h": np.array(
        [
            0.41431091000077636,
            0.39889200387363016,
            -0.999252974129519,
            0.07151871553318333,
        ]
    ),
    "W_o": np.array(
        [
            [-0.045172959828854234, -1.0532578400236574],
            [0.14979494929684473, -2.4266584935946516],
            [0.2600540367629595, -1.172021613524576],
            [0.08534547156019247, -2.1435237274607717],
        ]
    ),
    "b_o": np.array([0.12317984814705771, -2.767745251011986]),
}
MLP_STEP = {
    "W_h": np.array(
        [
            [-1.061586175168248, -0.24800439196350568, 0.33839814101502563, -1.9779438830872318],
            [-0.4165396310568948, 0.20105776996188904, -0.3673742366348217, 0.7164246191815202],
            [-0.8053175351003125, 0.6994315618415231, 0.8003994955713021, 0.4035668764409943],
        ]
    ),
    "b_h": np.array(
        [
            -0.7927245217913981,
            1.6958394046939487,
            -0.16534906673317423,
            0.4804825056725696,
        ]
    ),
    "W_o": np.array(
        [
            [-0.9836973492277605, -0.6168502133001617],
            [0.3482706371518011, -1.157934925412689],
            [0.39174432737110676, 1.8259825502528384],
            [-1.4380350511779931, -0.09869924316126263],
        ]
    ),
    "b_o": np.array([0.800556241995161, -0.10033828065223505]),
}
MLP_TRAIN_PARAMS = {
    "W_h": np.array(
        [
            [-0.6219763240999127, 0.9620422526816821, 0.572168705525827, -1.8658140758542585],
            [-0.9376108267634191, -0.08370820418840687, -0.8268141822490607, 0.6428028684205126],
            [-0.6806180859518188, -0.5989523874852073, 1.280336560997592, -0.2732616289152149],
        ]
    ),
    "b_h": np.array(
        [
            -1.975302935827522,
            -2.01789416223025,
            -2.5322653813440796,
            -2.499719658976598,
        ]
    ),
    "W_o": np.array(
        [
            [-0.9960792408179042, -0.5543224408280485],
            [0.20880640506442769, -1.2390811581716008],
            [-1.0287975316793638, 0.4947596102598969],
            [-1.7189676245369376, 0.41943427028405345],
        ]
    ),
    "b_o": np.array([0.4825557124472915, 0.16083916783204139]),
}
MLP_TRAIN_LOSSES = np.array(
    [
        2.6986985759450177,
        6.702640756728736,
        18.118191270037713,
        27.770123308530206,
        14.101657383637317,
        1.299655452323291,
        0.5110112087157651,
        0.49397441407279596,
        0.4790339218740214,
        0.46360140203854705,
        0.4478480933400743,
        0.4320185619912405,
        0.4163706706424605,
        0.4011244953829916,
        0.38642702439225257,
        0.37234068656425884,
        0.3588527023537306,
        0.3458959954535333,
        0.33337250016342823,
        0.3211731692326822,
        0.3091925824393076,
        0.2973383265884611,
        0.28553626238898805,
        0.27373292119841963,
        0.26189604720031945,
    ]
)
MLP_TRAIN_FINAL_LOSS = 0.2500139908062787
MLP2_FORWARD = {
    "H1": np.array(
        [
            [0.014074967716003568, 0.43640715045658446, 0.6087337780984128, 0.050250504627744864],
            [0.532972539453336, 0.44971313112986155, 0.18682090222216108, 0.16711394471922567],
            [0.3171187427622177, 0.4291322779799519, 0.36001031486186663, 0.2826056422754975],
            [0.13562717585219844, 0.5099762531488478, 0.5608765065522543, 0.7475022580329022],
            [0.758767404428967, 0.1333917438650409, 0.7118707787023588, 0.17551747106675797],
            [0.3317294704246784, 0.307056045436798, 0.8045871747387835, 0.865039085362962],
        ]
    ),
    "H2": np.array(
        [
            [0.800152181600923, 0.1643867600144139, 0.7232893129379646],
            [0.831741036714009, 0.10156260360982265, 0.6361174529798013],
            [0.8019000828870931, 0.14436036130752977, 0.6822283968952497],
            [0.7013529336827952, 0.22461742627741377, 0.7693672468637519],
            [0.9090681540099783, 0.11972947625648254, 0.8040937513432546],
            [0.7743395577710389, 0.2528526371643407, 0.839389382138776],
        ]
    ),
    "Y_hat": np.array(
        [
            [-1.1563233550310275, -3.1664408225730494],
            [-1.0514175784356539, -3.0970735260203948],
            [-1.1144062563671544, -3.124482487054449],
            [-1.208838242922419, -3.136763167323647],
            [-1.1712936677178525, -3.3278848116147115],
            [-1.3120366860079034, -3.2745341166567883],
        ]
    ),
}
MLP2_GRADIENTS = {
    "W_h1": np.array(
        [
            [-0.024607255177080904, 0.10307954113984531, -0.1050748295421802, 0.004095348115291099],
            [
                0.0447004016939933,
                -0.06007113647965341,
                -0.009063236385783295,
                -0.000713201330069239,
            ],
            [0.002241268322983325, -0.11821169347349865, 0.2933969302721905, -0.009581301742616698],
        ]
    ),
    "b_h1": np.array(
        [
            0.13057241579452059,
            -0.3150500543428275,
            0.5384876589648652,
            0.019467830931962523,
        ]
    ),
    "W_h2": np.array(
        [
            [0.31772084569673215, 0.22311500331005213, 0.40320330366801876],
            [0.4564854265807822, 0.2580273492725425, 0.5076934664844555],
            [0.6037784856669918, 0.3564225459346417, 0.64951832247839],
            [0.5033557864289884, 0.2930552924589213, 0.4684572721354081],
        ]
    ),
    "b_h2": np.array([1.1168694423500007, 0.6628339130148801, 1.2702799329940717]),
    "W_o": np.array(
        [
            [-1.7884910933284428, -5.2390823412378635],
            [-0.33875342483875215, -1.159990577601039],
            [-1.5955370982595036, -4.926659700932447],
        ]
    ),
    "b_o": np.array([-2.2058198334227095, -6.597720573848116]),
}
MLP2_STEP = {
    "W_h1": np.array(
        [
            [0.7884436933491329, 0.12918278640230985, -1.6874137278791423, -2.600884138489151],
            [-0.29377443211840576, 0.8740071727459794, -0.8797608796396833, 1.1805306229634787],
            [-1.6254327078220743, 0.6118186480985051, -0.2620714314675122, -0.1591078601372473],
        ]
    ),
    "b_h1": np.array(
        [
            -0.4114037601676126,
            -0.6713742043689255,
            -0.18823545641692307,
            -1.1482269325443362,
        ]
    ),
    "W_h2": np.array(
        [
            [0.837946643413293, -1.229823858548868, 0.5118007883703006],
            [-1.1413916970358793, -1.3857803924069014, 0.5367033021654345],
            [0.25931735211933477, 0.0020428808208239058, 1.6721779499037546],
            [-0.8295386141327226, 0.8822986949542636, 0.2639572394418586],
        ]
    ),
    "b_h2": np.array([1.5860537864404844, -1.1504764370579956, -0.503407137115288]),
    "W_o": np.array(
        [
            [-0.35696844260070426, -0.3674730838534439],
            [-1.485392973545646, -0.13711004222146903],
            [-0.14312297180428415, -0.44368718574460786],
        ]
    ),
    "b_o": np.array([-0.03833538340573883, -1.0745660433410604]),
}
