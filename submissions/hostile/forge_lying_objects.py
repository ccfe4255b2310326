"""Results whose comparison and conversion methods lie: __eq__ always True, __float__ and
__array__ and __index__ chosen to look plausible, dicts of such objects for dict-valued answers.

None of them is data: the worker keeps them and sends a handle, so no check ever calls their
methods in the grader's process.
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


class Liar(float):
    """A float that equals everything."""

    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __abs__(self): return Liar(0.0)
    def __sub__(self, other): return Liar(0.0)
    def __rsub__(self, other): return Liar(0.0)
    __hash__ = float.__hash__


class LiarArray:
    def __init__(self, n=3): self.n = n
    def __array__(self, dtype=None, copy=None): return np.zeros(self.n)
    def __eq__(self, other): return True
    def __len__(self): return self.n
    def __getitem__(self, i): return Liar(0.0)
    def __float__(self): return 0.0
    def __index__(self): return 0
    __hash__ = object.__hash__


class LiarDict(dict):
    def __getitem__(self, key): return Liar(0.0)
    def __contains__(self, key): return True
    def get(self, key, default=None): return Liar(0.0)


def forward(*args, **kwargs): return LiarDict()
def gradients(*args, **kwargs): return LiarDict()
def sgd_step(*args, **kwargs): return LiarDict()
def loss(*args, **kwargs): return Liar(0.0)
def cross_entropy(*args, **kwargs): return Liar(0.0)
def output_delta(*args, **kwargs): return LiarArray()
def hidden_delta(*args, **kwargs): return LiarArray()
def sgd_step_per_weight(*args, **kwargs): return (LiarArray(), LiarArray())
def batch_gradients(*args, **kwargs): return (Liar(0.0), LiarArray(), LiarArray())
def ridge_loss(*args, **kwargs): return Liar(0.0)
def ridge_solution(*args, **kwargs): return LiarArray()
