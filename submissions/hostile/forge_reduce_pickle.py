"""Return objects whose unpickling runs code (__reduce__), and raw pickle bytes, hoping the
grader unpickles results as some graders do.

If the grader ever unpickled one, a marker file would appear in the grader's /tmp. Results are
decoded by a data-only codec instead: the objects stay in the worker and the bytes stay bytes.
"""

import os
import pickle

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

MARKER = "/tmp/grader-hostile-pwned-reduce"  # noqa: S108 - the marker is the point


class Payload:
    def __reduce__(self):
        return (exec, (f"open({MARKER!r}, 'w').write('unpickled in the grader')",))


class Payload2:
    def __reduce_ex__(self, protocol):
        return (os.system, (f"touch {MARKER}-system",))


def forward(*args, **kwargs): return {"x2": Payload(), "a5": Payload2()}
def loss(*args, **kwargs): return Payload()
def cross_entropy(*args, **kwargs): return Payload2()
def gradients(*args, **kwargs): return pickle.dumps(Payload())
def sgd_step(*args, **kwargs): return {"W1": pickle.dumps(Payload2())}
def output_delta(*args, **kwargs): return [Payload()]
def hidden_delta(*args, **kwargs): return (Payload2(),)
def batch_gradients(*args, **kwargs): return pickle.dumps([Payload(), Payload2()])
