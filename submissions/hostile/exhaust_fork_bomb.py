"""A fork bomb, bounded in itself: a tree of fanout 12 and depth 3 (at most 1,884 processes), each
process sleeping 60 s. The per-worker process limit stops it after a few dozen; the PID namespace
takes every survivor down with the worker. The honest part still earns its points.
"""

import os
import time

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

made = 0


def _bomb(depth):
    global made
    for _ in range(12):
        try:
            pid = os.fork()
        except OSError:
            return
        if pid == 0:
            try:
                if depth < 3:
                    _bomb(depth + 1)
                time.sleep(60)
            finally:
                os._exit(0)
        made += 1


_bomb(1)
print(f"fork bomb: this process made {made} children")
