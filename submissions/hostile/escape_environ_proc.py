"""Read the grader's environment and command line: os.environ, and /proc/<pid>/{cmdline,environ,
status} of every process it can see (the grader's pid included, if visible), plus mountinfo.

The worker starts with a fixed, minimal environment and its own PID namespace and /proc, so it sees
only itself. It prints what it saw as PIDS-SEEN; the test suite checks that a secret placed in the
grader's environment never reaches a report.
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

pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("PIDS-SEEN:", pids)
print("ENV:", dict(os.environ))
dump = [repr(dict(os.environ))]
for pid in pids + [os.getppid(), 1]:
    for what in ("cmdline", "environ", "status"):
        try:
            with open(f"/proc/{pid}/{what}", "rb") as f:
                text = f.read(4096).replace(b"\0", b" ").decode(errors="replace")
        except OSError as exc:
            text = f"<{exc.strerror}>"
        dump.append(f"{pid}/{what}: {text}")
try:
    with open("/proc/self/mountinfo") as f:
        dump.append(f.read(4000))
except OSError:
    pass
print("\n".join(dump))
TEXT = "\n".join(dump)


def _leak(*args, **kwargs):
    return TEXT


forward = loss = gradients = sgd_step = cross_entropy = output_delta = hidden_delta = _leak
