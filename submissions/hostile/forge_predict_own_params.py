"""predict() checked against the student's own parameters: MLP() starts with no parameters
(so nothing about it can be checked), fit() sets every weight to zero, and predict() returns
zeros. A network with zero output weights gives 0 for every input, so a test comparing
predict() with the network of the model's own parameters passed (2 points). The tests now set
parameters they chose before calling predict(): the honest score is part 1 alone.
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


class MLP:
    def __init__(self, n_inputs, n_hidden, n_outputs=1, seed=0):
        self.shape = (n_inputs, n_hidden, n_outputs)
        self.params = {}

    def fit(self, X, Y, lr=0.1, epochs=100):
        m, n, k = self.shape
        self.params = {"W_h": np.zeros((m, n)), "b_h": np.zeros(n), "W_o": np.zeros((n, k)),
                       "b_o": np.zeros(k)}
        return []

    def predict(self, X):
        return np.zeros((np.shape(X)[0], self.shape[2]))
