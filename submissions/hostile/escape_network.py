"""Open network connections: to a TCP server the test suite itself listens on at 127.0.0.1:47391
(and to an abstract Unix socket it listens on), to common local ports, to an outside DNS server,
and a name lookup.

The worker cannot create a socket (seccomp: PermissionError), and has its own network namespace
with a downed loopback: every attempt fails, and the test suite checks that its listeners were
never contacted.
"""

import socket

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

PORT = 47391
results = {}
for host, port in (("127.0.0.1", PORT), ("127.0.0.1", 22), ("127.0.0.1", 80), ("::1", PORT),
                   ("10.0.2.2", 80), ("8.8.8.8", 53), ("1.1.1.1", 443)):
    try:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect((host, port))
            s.sendall(b"LEAK from a submission\n")
            results[f"{host}:{port}"] = "CONNECTED"
    except OSError as exc:
        results[f"{host}:{port}"] = type(exc).__name__
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"leak", ("8.8.8.8", 53))
        results["udp"] = "SENT"
except OSError as exc:
    results["udp"] = type(exc).__name__
try:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        s.connect(f"\0grader-hostile-{PORT}")
        s.sendall(b"LEAK")
        results["abstract-unix"] = "CONNECTED"
except OSError as exc:
    results["abstract-unix"] = type(exc).__name__
try:
    socket.getaddrinfo("pypi.org", 443)
    results["dns"] = "RESOLVED"
except OSError as exc:
    results["dns"] = type(exc).__name__
print("NETWORK:", results)
