"""Return enormous values: a 10 GB array (a broadcast view, so it costs the worker no memory), a
list of 10 million items, nesting 10,000 levels deep, an integer of 100,000 digits. The worker's
encoder refuses each before building it, and the grader checks the frame size before reading it.
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


def _ten_gb(*args, **kwargs): return np.broadcast_to(np.float64(1.0), (10 * 2**30 // 8,))
def _many(*args, **kwargs): return [0.0] * 2_000_000


def _deep(*args, **kwargs):
    v = [0.0]
    for _ in range(10_000):
        v = [v]
    return v


def _bigint(*args, **kwargs):
    sys_mod = __import__("sys")
    sys_mod.set_int_max_str_digits(0)
    return 7 ** 120_000


forward = sgd_step = batch_gradients = _ten_gb
loss = cross_entropy = _bigint
output_delta = ridge_path = _many
gradients = hidden_delta = sgd_step_per_weight = _deep
