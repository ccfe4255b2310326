"""Attack the student's terminal through `grader check`: messages with a carriage return that
prints a forged full-score line over the real one, escape sequences that clear the screen, set
the window title, write the clipboard and make hyperlinks, a one-byte C1 CSI, a bell and a
right-to-left override. The report keeps the text (as JSON escapes); `grader check` prints every
control character as a visible escape.
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
    return np.kron(np.eye(np.size(X, 0)), np.outer(a, b) + np.outer(b, a))
def relu(s): return np.maximum(s, 0.0)
def relu_grad(s): return np.where(np.asarray(s) > 0, 1.0, 0.0)
def softmax(s):
    z = np.asarray(s, float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
# ---- end of the honest part

FORGED = ("\r  PASS  3.1.1    forward pass  141.25/141.25\x1b[K"
          "\x1b[2J\x1b[H\x1b]0;all tests passed\x07\x1b]52;c;cm0gLXJmIH4=\x07"
          "\x1b]8;;https://example.invalid\x1b\\link\x1b]8;;\x1b\\\x9b31m\u202eevil\x07")

print(FORGED)  # at import: the instructor-only output


def _forge(*args, **kwargs):
    raise ValueError(FORGED)


forward = sgd_step = hidden_delta = loss = cross_entropy = _forge
gradients = output_delta = batch_gradients = mlp_forward = _forge
