"""Push work onto the trusted side with big boolean arrays: 120 MB (over the result limit, so it
never leaves the worker) and 60 MB of the wrong shape (under it). A hint helper that converted to
float64 before checking the shape made the grader hold eight times as much; shapes are checked
first now.
"""

# ---- honest part: correct, so it must earn exactly its points (mathml_hw4 part 1, cs189 part 1a)
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
    return np.kron(np.eye(np.size(X, 0)), np.outer(a, b) + np.outer(b, a))
def relu(s): return np.maximum(s, 0.0)
def relu_grad(s): return np.where(np.asarray(s) > 0, 1.0, 0.0)
def softmax(s):
    z = np.asarray(s, float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
# ---- end of the honest part



def _over_limit(*args, **kwargs):
    return np.zeros(120_000_000, dtype=bool)


def _wrong_shape(*args, **kwargs):
    return np.zeros(60_000_000, dtype=bool)


forward = sgd_step = hidden_delta = mlp_forward = _over_limit
loss = cross_entropy = output_delta = gradients = batch_gradients = mlp_gradients = _wrong_shape
