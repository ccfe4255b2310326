"""Answers as subclasses of float, int, str, list, dict and numpy.float64 that override
__eq__/__float__/__repr__ so a lenient comparison would accept them.

The codec checks exact types, so every subclass instance is a handle, not a number.
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


class F(float):
    def __eq__(self, other): return True
    def __float__(self): return 1.0
    __hash__ = float.__hash__


class I(int):  # noqa: E742
    def __eq__(self, other): return True
    __hash__ = int.__hash__


class S(str):
    def __eq__(self, other): return True
    __hash__ = str.__hash__


class L(list):
    def __eq__(self, other): return True


class D(dict):
    def __getitem__(self, key): return F(0.0)


class N(np.float64):
    def __eq__(self, other): return True
    __hash__ = np.float64.__hash__


def forward(*args, **kwargs): return D()
def loss(*args, **kwargs): return F(0.0)
def cross_entropy(*args, **kwargs): return N(0.0)
def gradients(*args, **kwargs): return D()
def sgd_step(*args, **kwargs): return D()
def output_delta(*args, **kwargs): return L([F(0.0)] * 2)
def hidden_delta(*args, **kwargs): return I(0)
def batch_gradients(*args, **kwargs): return (F(0.0), L(), L())
def sgd_step_per_weight(*args, **kwargs): return S("W1")
