"""Return huge dicts where a dict with a few named entries is expected: 200,000 keys (2 MB) from
the gradient functions, 400,000 longer keys (10 MB) from the forward passes. Test helpers quote
the keys in their messages; the quote is cut early (a few hundred characters), the report stays
small, and a split grade's hidden half still sends its result back.
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
    return np.kron(np.eye(np.size(X, 0)), np.outer(a, b) + np.outer(b, a))
def relu(s): return np.maximum(s, 0.0)
def relu_grad(s): return np.where(np.asarray(s) > 0, 1.0, 0.0)
def softmax(s):
    z = np.asarray(s, float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
# ---- end of the honest part


_TWO_MB = {f"key{i:07d}": 0.0 for i in range(200_000)}
_TEN_MB = {f"a-much-longer-key-{i:07d}": 0.0 for i in range(400_000)}


def _two_mb(*args, **kwargs):
    return _TWO_MB


def _ten_mb(*args, **kwargs):
    return _TEN_MB


forward = sgd_step = hidden_delta = _ten_mb
loss = cross_entropy = output_delta = gradients = batch_gradients = _two_mb
