"""Push work onto the trusted side: an MLP whose parameters have a million hidden units, so that a
test training the reference network from the student's starting weights would run for half a
minute and take over a gigabyte in the grader. The tests check the shapes before the reference
sees the weights.
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


HIDDEN = 1_000_000


class MLP:
    def __init__(self, m, n, k, seed=0):
        rng = np.random.default_rng()  # the seed ignored: no credit for seeding either
        self.params = {"W_h": 0.01 * rng.normal(size=(m, HIDDEN)), "b_h": np.zeros(HIDDEN),
                       "W_o": 0.01 * rng.normal(size=(HIDDEN, k)), "b_o": np.zeros(k)}

    def fit(self, X, Y, lr=0.1, epochs=1):
        return [0.0] * epochs

    def predict(self, X):
        return np.zeros((len(X), len(self.params["b_o"])))
