"""Read hidden tests and reference solutions: walk the whole filesystem (and /proc/*/root,
/proc/*/cwd, the grader package's own folder and its parents) for test_*.py, reference and
assignment files, print what it finds and return it from every function.

In the worker those folders are empty mounts, so there is nothing to find; the test suite
searches every report for distinctive lines of the hidden tests and reference solutions.
"""

import os
import sys
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

WANTED = ("test_", "reference", "hidden", "assignment.toml", "conftest")
found = {}
deadline = time.monotonic() + 1.0
roots = ["/", "/proc/1/root", "/proc/self/root", "/proc/self/cwd"]
for name in ("grader", "grader._worker"):
    m = sys.modules.get(name)
    if m is not None and getattr(m, "__file__", None):
        d = os.path.dirname(os.path.abspath(m.__file__))
        roots += [d, os.path.dirname(d)]
for pid in os.listdir("/proc"):
    if pid.isdigit():
        roots += [f"/proc/{pid}/root/work", f"/proc/{pid}/cwd"]
seen = 0
for root in roots:
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr", ".venv", ".git")]
        for f in files:
            seen += 1
            path = os.path.join(dirpath, f)
            if f.endswith((".py", ".toml")) and any(w in path for w in WANTED) and len(found) < 50:
                try:
                    with open(path, errors="replace") as fh:
                        found[path] = fh.read(20000)
                except OSError:
                    pass
        if time.monotonic() > deadline:
            break
print(f"read-hidden: looked at {seen} files, read {len(found)}")
for path, text in found.items():
    print("=====", path)
    print(text)
LOOT = "\n".join(found.values()) or "nothing found"


def _loot(*args, **kwargs):
    return LOOT


forward = loss = gradients = sgd_step = cross_entropy = output_delta = hidden_delta = _loot
batch_gradients = sgd_step_per_weight = _loot
