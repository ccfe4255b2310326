"""1 GB of output at import (through print and straight to file descriptors 1 and 2), and 64 MB
more in every attacked call. The grader drains the pipe, keeps only the first part and counts the
rest; the report stays small.
"""

import os
import sys

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

CHUNK = ("spam " * 200_000 + "\n")[: 2**20].encode()
print("exhaust-output: starting")  # through sys.stdout too, not only the raw descriptors
sys.stdout.flush()
for i in range(1024):
    os.write(1 + i % 2, CHUNK)


def _noisy(*args, **kwargs):
    for _ in range(64):
        os.write(1, CHUNK)
    return 0.0


forward = loss = gradients = sgd_step = cross_entropy = output_delta = hidden_delta = _noisy
