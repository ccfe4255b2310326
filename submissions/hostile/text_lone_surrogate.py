"""Put lone surrogates everywhere text crosses from the worker: an exception message, an
exception class's name, printed output, dict keys of a returned value. The grader receives them
as their escapes (the text ``\\ud800``), so the report can always be written as UTF-8.
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

print("import \ud800 output \udfff")

class Lone(Exception):
    pass


Lone.__qualname__ = "Lone\udc80Error"  # what the worker reports as the exception's type


def _message(*args, **kwargs):
    raise ValueError("lone \ud800 surrogate")


def _type_name(*args, **kwargs):
    raise Lone("\udfff")


def _keys(*args, **kwargs):
    return {"\ud800": 1.0, "W\udc00": np.zeros(2)}


forward = sgd_step = _message
loss = cross_entropy = _type_name
gradients = output_delta = hidden_delta = batch_gradients = _keys
