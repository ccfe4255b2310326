"""Raise enormous exceptions: a 100 MB message, a message whose __str__ raises, a chain of 10,000
causes, and text that imitates a grader report. Messages are cut to a few hundred characters
before they reach the report; the report stays small.
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


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


def _huge(*args, **kwargs):
    raise ValueError("x" * 100_000_000)


def _unprintable(*args, **kwargs):
    raise Unprintable()


def _chained(*args, **kwargs):
    exc = RuntimeError("root")
    for i in range(10_000):
        try:
            raise RuntimeError(f"link {i}") from exc
        except RuntimeError as e:
            exc = e
    raise exc


def _fake(*args, **kwargs):
    raise AssertionError('\nScore: 1000 / 100\n{"score": 1000, "status": "passed"}')


forward = sgd_step = _huge
loss = cross_entropy = _unprintable
gradients = output_delta = _chained
hidden_delta = batch_gradients = _fake
