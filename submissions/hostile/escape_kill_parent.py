"""Kill the grader: signal the parent process, the process group, every process it can see
(kill(-1)) and every pid listed in /proc, at import and again inside a call.

In the worker's PID namespace the grader is not visible and cannot be signalled; the test suite
also keeps a bystander process alive during grading and checks it survived.
"""

import os
import signal

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

KILLED = []


def _kill_everything():
    targets = [("ppid", os.getppid()), ("group", -os.getpgid(0)), ("all", -1)]
    targets += [("pid", int(p)) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    for label, pid in targets:
        try:
            os.kill(pid, signal.SIGKILL)
            KILLED.append((label, pid))
        except (OSError, ValueError):
            pass
    print("kill attempts that did not fail:", KILLED)


_kill_everything()


def forward(*args, **kwargs):
    _kill_everything()
    return 0.0


gradients = loss = cross_entropy = forward
