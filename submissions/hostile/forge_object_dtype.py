"""Answers as arrays of object, structured, record and datetime dtype, whose elements are
objects with lying comparisons or that would run code when converted.

The codec refuses every dtype that is not plain numbers or fixed-width text, so these come back
as "not data" errors.
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


class _Eq:
    def __eq__(self, other): return True
    def __float__(self): return 0.0
    __hash__ = object.__hash__


def _objects(n=3):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = _Eq()
    return out


def forward(*args, **kwargs): return {"x2": _objects(), "a5": _objects(1), "s1": _objects()}
def loss(*args, **kwargs): return _objects(1)
def cross_entropy(*args, **kwargs): return np.array([(0.0, 1)], dtype=[("v", "f8"), ("k", "i4")])
def gradients(*args, **kwargs): return np.rec.array([(0.0, 0.0)], names="a,b")
def output_delta(*args, **kwargs): return np.array(["2024-01-01"], dtype="datetime64[D]")
def hidden_delta(*args, **kwargs): return np.array([1, "x", None], dtype=object)
def sgd_step(*args, **kwargs): return {"W1": _objects()}
def batch_gradients(*args, **kwargs): return (_objects(), _objects(), _objects())
def sgd_step_per_weight(*args, **kwargs): return np.zeros(3, dtype=np.dtype("V8"))
