"""Answers as ndarray subclasses (and masked arrays, np.matrix) that override ==, ufuncs and
comparisons to claim equality with anything.

The codec accepts only exact ndarray instances, so each subclass becomes a handle and fails the
type check; nothing of the subclass runs in the grader's process.
"""

import numpy.ma

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


class Agreeable(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), bool)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(self))
    def __array_finalize__(self, obj): pass


def _shaped(args):
    arrays = [np.asarray(a) for a in args if isinstance(a, (np.ndarray, list))]
    return arrays[0] if arrays else np.zeros(3)


def forward(*args, **kwargs):
    a = _shaped(args)
    return {k: np.zeros_like(a, float).view(Agreeable) for k in
            ("x0", "s1", "x1", "s2", "x2", "h1", "h2", "a3", "a4", "a5", "z3", "z4", "z5")}


def gradients(*args, **kwargs): return np.zeros(3).view(Agreeable)
def loss(*args, **kwargs): return numpy.ma.masked_all((1,))
def cross_entropy(*args, **kwargs): return numpy.ma.masked_all(())
def output_delta(*args, **kwargs): return numpy.ma.masked_array(_shaped(args), mask=True)
def hidden_delta(*args, **kwargs): return np.matrix(np.zeros((1, 3)))
def sgd_step(*args, **kwargs): return np.zeros(6).view(Agreeable)
def batch_gradients(*args, **kwargs): return np.zeros(3).view(Agreeable)
