"""Fill the disk: write 1 MB blocks into many files in every writable place (the scratch folder,
home, /tmp, /var/tmp, /dev/shm) until the writes fail, at most 1 GB per place.

The worker's writable places are size-limited tmpfs mounts that vanish with it; the honest part
still runs on a full disk, and nothing is left on the grader's disk.
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

MB = b"\0" * 2**20
report = {}
for place in (os.getcwd(), os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm"):  # noqa: S108
    written = 0
    try:
        for i in range(1024):
            with open(os.path.join(place, f"grader-hostile-fill-{os.getpid()}-{i}"), "wb") as f:
                for _ in range(16):
                    f.write(MB)
                    written += 1
    except OSError as exc:
        report[place] = f"{written} MB then {exc.strerror}"
    else:
        report[place] = f"{written} MB, no error"
print("DISK:", report)
