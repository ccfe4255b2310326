"""Answers of the right shape filled with NaN and inf, hoping NaN == NaN or inf tolerances pass.

The checks treat NaN as never equal and report it as such.
"""

# ---- honest part: correct, so it must earn exactly its points (mathml_hw4 part 1, cs189 part 1a)
import numpy as np  # noqa: E402


def warmup1_jacobian(M, x): return np.asarray(M, float).T @ np.asarray(M, float)
def warmup2_gradient(M, X): return np.asarray(M, float).T
def warmup3_gradient(X): return 2 * np.asarray(X, float)
def warmup3_hessian(X): return 2 * np.eye(np.size(X))
def warmup4_gradient(X, a, b): return np.outer(a, b)
def warmup5_gradient(X, a, b):
    X, a, b = (np.asarray(v, float) for v in (X, a, b))
    return np.outer(X @ b, a) + np.outer(X @ a, b)
def warmup5_hessian(X, a, b):
    return np.kron(np.eye(np.shape(X)[0]), np.outer(a, b) + np.outer(b, a))
def relu(s): return np.maximum(s, 0.0)
def relu_grad(s): return np.where(np.asarray(s) > 0, 1.0, 0.0)
def softmax(s):
    z = np.asarray(s, float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
# ---- end of the honest part


def _like(args, value):
    arrays = [np.asarray(a, float) for a in args if isinstance(a, (np.ndarray, list))]
    return np.full_like(arrays[0], value) if arrays else value


def forward(x, *rest, **kwargs):
    if rest and isinstance(rest[0], dict):  # mathml_hw4: forward(x, W)
        return {k: float("nan") for k in ("z3", "a3", "z4", "a4", "z5", "a5", "h1", "h2", "y")}
    W1, W2 = (np.asarray(w, float) for w in rest)
    n1, n2 = W1.shape[1], W2.shape[1]
    return {"x0": np.full(W1.shape[0], np.nan), "s1": np.full(n1, np.nan),
            "x1": np.full(n1 + 1, np.inf), "s2": np.full(n2, -np.inf), "x2": np.full(n2, np.nan)}


def loss(*args, **kwargs): return float("nan")
def cross_entropy(*args, **kwargs): return float("inf")
def output_delta(*args, **kwargs): return _like(args, np.nan)
def hidden_delta(*args, **kwargs): return _like(args, np.nan)
def gradients(*args, **kwargs):
    if len(args) > 1 and isinstance(args[1], dict):  # mathml_hw4: gradients(x, W, target)
        return {k: float("nan") for k in args[1]}
    return {"W1": _like(args[2:3], np.nan), "W2": _like(args[3:4], np.nan)}


def sgd_step(*args, **kwargs):
    if len(args) > 1 and isinstance(args[1], dict):  # mathml_hw4: sgd_step(x, W, target, lr)
        return {k: float("nan") for k in args[1]}
    return {"W1": _like(args[2:3], np.nan), "W2": _like(args[3:4], np.inf)}
