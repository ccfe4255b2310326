"""Grow memory towards 20 GB inside every attacked function, by touched 64 MB blocks and by one
huge NumPy allocation. The address-space limit turns both into MemoryError, reported as "ran out
of memory", and the worker goes on serving the honest functions.

Safety valve: the growth stops at 80% of the machine's available memory, so a failed limit shows
up as a wrong result in the test suite instead of swapping the machine to death.
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

GOAL = 20 * 2**30
BLOCK = 64 * 2**20


def _available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 * 8 // 10
    except OSError:
        pass
    return 2 * 2**30


def _grow(*args, **kwargs):
    cap = min(GOAL, _available())
    blocks = []
    while len(blocks) * BLOCK < cap:
        b = bytearray(BLOCK)
        b[::4096] = b"x" * len(b[::4096])  # touch every page
        blocks.append(b)
    return float(len(blocks))


def _numpy_huge(*args, **kwargs):
    return np.ones(GOAL // 8).sum()


# Growing by touched blocks costs real time per call, so only the rarely called functions do it.
loss = cross_entropy = output_delta = _grow
forward = gradients = sgd_step = sgd_step_per_weight = hidden_delta = batch_gradients = _numpy_huge
