"""The cs189_hw4_backprop reference, checked by routes that do not reuse its own formulas.

Every gradient is compared with central finite differences of the loss; the per-weight loop with
the vectorised update; softmax with log-sum-exp identities. The assignment's own files (public
test constants, points, starter) are checked against the reference and the README here too.
"""

from __future__ import annotations

import ast
import contextlib
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from reference import cs189_hw4_backprop as ref

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "cs189_hw4_backprop"
SIZES = [(4, 3, 5), (1, 6, 2), (7, 2, 10), (5, 8, 3), (2, 1, 1), (3, 4, 4)]
H = 1e-6


def _numeric_gradient(f, a: np.ndarray) -> np.ndarray:
    """Central differences of the scalar function f at every entry of a (a is restored)."""
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + H
        up = f()
        a[idx] = old - H
        down = f()
        a[idx] = old
        g[idx] = (up - down) / (2 * H)
    return g


def _problem(seed: int, sizes: tuple[int, int, int], n: int | None = None) -> dict:
    p = ref.random_problem(np.random.default_rng(seed), *sizes, n=n)
    s1 = ref.add_bias(p["x"]) @ p["W1"]
    # Finite differences are only valid away from the ReLU's kink.
    assert np.min(np.abs(s1)) > 10 * H
    return p


def _ce_of_logits(s2: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy computed as logsumexp(s2) - y.s2 (labels sum to 1), not via softmax."""
    return float(np.logaddexp.reduce(s2) * np.sum(y) - y @ s2)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sizes", SIZES)
def test_gradients_match_finite_differences(sizes, seed):
    """dJ/dW1 and dJ/dW2 equal central differences of the loss for every weight."""
    p = _problem(seed, sizes)
    got = ref.gradients(p["x"], p["y"], p["W1"], p["W2"])
    for key in ("W1", "W2"):
        W = p[key].copy()
        others = {k: p[k] for k in ("W1", "W2") if k != key}

        def loss(W=W, key=key, others=others):
            return ref.loss(p["x"], p["y"], **{key: W}, **others)

        np.testing.assert_allclose(got[key], _numeric_gradient(loss, W), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("sizes", SIZES)
def test_deltas_match_finite_differences(sizes):
    """delta2 = dJ/ds2 and delta1 = dJ/ds1 equal central differences of J in s2 and s1."""
    p = _problem(7, sizes)
    f = ref.forward(p["x"], p["W1"], p["W2"])
    y, W2 = p["y"], p["W2"]
    d2 = ref.output_delta(f["x2"], y)
    s2 = f["s2"].copy()
    np.testing.assert_allclose(
        d2, _numeric_gradient(lambda: _ce_of_logits(s2, y), s2), rtol=1e-5, atol=1e-8
    )
    s1 = f["s1"].copy()

    def j_of_s1():
        x1 = np.concatenate([[1.0], np.maximum(s1, 0.0)])
        return _ce_of_logits(W2.T @ x1, y)

    np.testing.assert_allclose(
        ref.hidden_delta(f["s1"], W2, d2), _numeric_gradient(j_of_s1, s1), rtol=1e-5, atol=1e-8
    )


def test_output_delta_with_soft_labels():
    """x2 - y is dJ/ds2 for any label vector summing to 1, not only one-hot labels."""
    rng = np.random.default_rng(3)
    s2 = rng.normal(size=6)
    y = ref.softmax(rng.normal(size=6))
    s = s2.copy()
    want = _numeric_gradient(lambda: _ce_of_logits(s, y), s)
    np.testing.assert_allclose(ref.output_delta(ref.softmax(s2), y), want, rtol=1e-5, atol=1e-8)


def test_relu_grad_is_the_slope_not_the_seed_formula():
    """relu_grad equals the ReLU's finite-difference slope; the seed's max(0, s) does not."""
    s = np.array([-2.5, -0.3, 0.2, 2.5])
    slope = (ref.relu(s + H) - ref.relu(s - H)) / (2 * H)
    np.testing.assert_allclose(ref.relu_grad(s), slope, atol=1e-9)
    assert not np.allclose(np.maximum(s, 0.0), slope)


def test_relu_grad_is_zero_at_the_kink():
    """relu_grad(0) is 0, the convention the README states."""
    assert ref.relu_grad(np.array([0.0, -0.0])).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "s",
    [
        [1.0, 2.0, 3.0],
        [1000.0, 1001.0, 999.0],
        [-1000.0, -1002.0, -999.5],
        [[800.0, 0.0, -800.0], [1e4, 1e4, 1e4 - 3.0]],
        [[0.5]],
    ],
)
def test_softmax_log_sum_exp_identities(s):
    """log softmax(s) = s - logsumexp(s), rows sum to 1, and a constant shift changes nothing."""
    s = np.asarray(s, dtype=float)
    p = ref.softmax(s)
    lse = np.logaddexp.reduce(s, axis=-1, keepdims=True)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, np.exp(s - lse), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ref.log_softmax(s), s - lse, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(ref.softmax(s + 123.25), p, rtol=1e-12, atol=1e-300)


def test_softmax_matches_exact_arithmetic():
    """softmax of a small vector agrees with the definition evaluated with math.exp."""
    s = [0.3, -1.2, 2.0, 0.0]
    total = math.fsum(math.exp(v) for v in s)
    np.testing.assert_allclose(ref.softmax(s), [math.exp(v) / total for v in s], rtol=1e-14)


def test_cross_entropy_matches_log_softmax_loss():
    """cross_entropy(softmax(s), y) equals logsumexp(s) - y.s."""
    rng = np.random.default_rng(5)
    s, y = rng.normal(size=10), np.eye(10)[4]
    assert math.isclose(ref.cross_entropy(ref.softmax(s), y), _ce_of_logits(s, y), rel_tol=1e-12)


@pytest.mark.parametrize("eta", [0.0, 0.01, 0.7])
@pytest.mark.parametrize("sizes", SIZES)
def test_per_weight_loop_equals_vectorised_update(sizes, eta):
    """The per-weight loop and the outer-product update give the same weights."""
    p = _problem(11, sizes)
    loop = ref.sgd_step_per_weight(p["x"], p["y"], p["W1"], p["W2"], eta)
    vec = ref.sgd_step(p["x"], p["y"], p["W1"], p["W2"], eta)
    for key in ("W1", "W2"):
        np.testing.assert_allclose(loop[key], vec[key], rtol=1e-14, atol=1e-15)


def test_sgd_step_lowers_the_loss():
    """A small SGD step on one example lowers that example's loss."""
    p = _problem(13, (4, 3, 5))
    new = ref.sgd_step(p["x"], p["y"], p["W1"], p["W2"], 1e-3)
    before = ref.loss(p["x"], p["y"], p["W1"], p["W2"])
    assert ref.loss(p["x"], p["y"], new["W1"], new["W2"]) < before


def test_sgd_step_does_not_modify_its_arguments():
    """The reference returns new arrays and leaves W1, W2 as they were."""
    p = _problem(17, (3, 4, 2))
    W1, W2 = p["W1"].copy(), p["W2"].copy()
    ref.sgd_step_per_weight(p["x"], p["y"], p["W1"], p["W2"], 0.5)
    ref.sgd_step(p["x"], p["y"], p["W1"], p["W2"], 0.5)
    assert np.array_equal(W1, p["W1"]) and np.array_equal(W2, p["W2"])


@pytest.mark.parametrize(("sizes", "n"), [((4, 3, 5), 5), ((2, 6, 3), 3), ((7, 2, 10), 1)])
def test_batch_gradients_are_means_of_single_examples(sizes, n):
    """batch_gradients is the mean of per-example losses and gradients, n = 1 included."""
    p = ref.random_problem(np.random.default_rng(19), *sizes, n=n)
    got = ref.batch_gradients(p["x"], p["y"], p["W1"], p["W2"])
    singles = [ref.gradients(x, y, p["W1"], p["W2"]) for x, y in zip(p["x"], p["y"], strict=True)]
    losses = [ref.loss(x, y, p["W1"], p["W2"]) for x, y in zip(p["x"], p["y"], strict=True)]
    assert math.isclose(got["loss"], float(np.mean(losses)), rel_tol=1e-12)
    for key in ("W1", "W2"):
        mean = np.mean([g[key] for g in singles], axis=0)
        np.testing.assert_allclose(got[key], mean, rtol=1e-12, atol=1e-14)


def test_batch_gradients_match_finite_differences():
    """The batch gradients equal central differences of the mean loss."""
    p = ref.random_problem(np.random.default_rng(23), 3, 4, 3, n=4)
    got = ref.batch_gradients(p["x"], p["y"], p["W1"], p["W2"])
    W1 = p["W1"].copy()
    num = _numeric_gradient(lambda: ref.batch_gradients(p["x"], p["y"], W1, p["W2"])["loss"], W1)
    np.testing.assert_allclose(got["W1"], num, rtol=1e-5, atol=1e-8)


def test_random_problem_alternates_active_hidden_units():
    """random_problem makes even hidden units active and odd ones inactive for the first example."""
    for seed in range(20):
        p = ref.random_problem(np.random.default_rng(seed), 3, 5, 2)
        s1 = ref.forward(p["x"], p["W1"], p["W2"])["s1"]
        assert (s1 > 0).tolist() == [True, False, True, False, True]


# ------------------------------------------------------------------ the assignment's own files


def _module_constants(path: Path) -> dict[str, object]:
    """Module-level NAME = <literal> assignments, read without importing the test module."""
    out: dict[str, object] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                with contextlib.suppress(ValueError):  # non-literal assignments are not data
                    out[target.id] = ast.literal_eval(node.value)
    return out


def test_public_test_constants_match_the_reference():
    """Every expected value written into the public tests is what the reference computes."""
    c = _module_constants(PROBLEM / "tests" / "public" / "test_public.py")
    x, y, W1, W2 = (np.array(c[k]) for k in ("X", "Y", "W1", "W2"))
    f = ref.forward(x, W1, W2)
    g = ref.gradients(x, y, W1, W2)
    step = ref.sgd_step(x, y, W1, W2, c["ETA"])
    batch = ref.batch_gradients(np.array(c["BATCH_X"]), np.array(c["BATCH_Y"]), W1, W2)
    d2 = ref.output_delta(f["x2"], y)
    pairs = {
        "S1": f["s1"], "X1": f["x1"], "S2": f["s2"], "X2": f["x2"],
        "DELTA2": d2, "DELTA1": ref.hidden_delta(f["s1"], W2, d2),
        "GRAD_W1": g["W1"], "GRAD_W2": g["W2"], "NEW_W1": step["W1"], "NEW_W2": step["W2"],
        "BATCH_LOSS": batch["loss"], "BATCH_W1": batch["W1"], "BATCH_W2": batch["W2"],
    }  # fmt: skip
    for name, value in pairs.items():
        np.testing.assert_allclose(np.array(c[name]), value, rtol=1e-13, atol=1e-15, err_msg=name)


def _declared_points(path: Path) -> list[tuple[str, float, str]]:
    """(test name, points, part) of every @points-decorated test in a file."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "points":
                    value = ast.literal_eval(deco.args[0])
                    part = next(ast.literal_eval(k.value) for k in deco.keywords if k.arg == "part")
                    found.append((node.name, float(value), part))
                    break
            else:
                raise AssertionError(f"{path.name}::{node.name} has no @points")
    return found


def _all_points() -> list[tuple[str, float, str]]:
    files = sorted((PROBLEM / "tests").glob("*/test_*.py"))
    return [row for path in files for row in _declared_points(path)]


def test_points_add_up_to_thirty():
    """The tests' points sum to the 30 points of Problem 1."""
    assert sum(p for _, p, _ in _all_points()) == 30


def test_points_per_part_match_the_readme_and_toml():
    """Each part's points (and public points) in the README table equal the tests' sums."""
    spec = tomllib.loads((PROBLEM / "assignment.toml").read_text())
    part_ids = [p["id"] for p in spec["parts"]]
    readme = (PROBLEM / "README.md").read_text()
    table = {
        m[1]: (int(m[2]), int(m[3]))
        for m in re.finditer(r"^\| (1[a-e]) \| .* \| (\d+) \| (\d+) \|$", readme, re.M)
    }
    public = {name for name, _, _ in _declared_points(PROBLEM / "tests/public/test_public.py")}
    assert sorted(table) == part_ids
    for part in part_ids:
        rows = [(n, p) for n, p, q in _all_points() if q == part]
        assert table[part] == (sum(p for _, p in rows), sum(p for n, p in rows if n in public))


def test_starter_defines_every_function_and_implements_none():
    """The starter has every function the tests call, and each raises NotImplementedError."""
    source = (PROBLEM / "starter.py").read_text()
    funcs = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    called = set()
    for path in (PROBLEM / "tests").glob("*/test_*.py"):
        called |= set(re.findall(r"submission\.(\w+)\(", path.read_text()))
    called |= {"sgd_step", "sgd_step_per_weight"}  # reached through getattr(submission, func)
    assert called <= set(funcs)
    for name, node in funcs.items():
        last = node.body[-1]
        assert isinstance(last, ast.Raise), name
        assert ast.unparse(last.exc) == "NotImplementedError", name
    names = {n for n in dir(ref) if not n.startswith("_")}
    assert set(funcs) <= names, "the reference must offer every student function"
