"""A folder submission whose symbolic links point at the assignments, the reference solutions
and a hidden test file, then reads through them.

The loader ignores symbolic links (and says so in the report), and the worker could not follow
them anyway: the targets are empty mounts there.
"""

import os

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

here = os.path.dirname(os.path.abspath(__file__))
loot = []
for link in ("problems", "reference", "hidden_test.py", "reference_solution.py"):
    path = os.path.join(here, link)
    try:
        if os.path.isdir(path):
            for dirpath, _dirs, files in os.walk(path):
                for f in files:
                    with open(os.path.join(dirpath, f), errors="replace") as fh:
                        loot.append(fh.read())
        else:
            with open(path, errors="replace") as fh:
                loot.append(fh.read())
    except OSError as exc:
        print("symlink read failed:", link, exc)
print("\n".join(loot))


def forward(*args, **kwargs):
    return "\n".join(loot)
