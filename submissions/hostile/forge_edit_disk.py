"""Compromise the *next* grading: append code to the grader's modules, the assignments' tests
and the reference solutions, drop a conftest.py next to the tests, a .pth file and a
sitecustomize.py into site-packages, and forge a bytecode cache for the check helpers.

Every write must fail: the worker sees the filesystem read-only, with the grader's, assignments'
and reference folders replaced by empty mounts. The test suite checks the tree's checksums.
"""

import os
import site
import sys
import sysconfig

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

EVIL = "\nimport os\nos.environ['GRADER_FORGED'] = '1'  # planted by forge_edit_disk\n"
attempts = []
succeeded = []


def _try(path, text=EVIL, mode="a"):
    attempts.append(path)
    try:
        with open(path, mode) as f:
            f.write(text)
        succeeded.append(path)
    except OSError:
        pass


roots = set()
for name in ("grader", "grader._worker", "grader.codec"):
    m = sys.modules.get(name)
    if m is not None and getattr(m, "__file__", None):
        roots.add(os.path.dirname(os.path.abspath(m.__file__)))
for r in list(roots):
    project = os.path.dirname(r)
    roots.update(os.path.join(project, d) for d in ("grader", "problems", "reference", "tests"))
for root in sorted(roots):
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            if f.endswith((".py", ".toml", ".json")):
                _try(os.path.join(dirpath, f))
        _try(os.path.join(dirpath, "conftest.py"), "raise SystemExit('grader-hostile conftest')\n", "w")
        _try(os.path.join(dirpath, "__pycache__", "checks.cpython-311.pyc"), "x", "w")
    _try(os.path.join(root, "checks.py"), EVIL)
for sp in {*site.getsitepackages(), sysconfig.get_paths()["purelib"], *sys.path}:
    if sp and os.path.isdir(sp):
        _try(os.path.join(sp, "zz_grader_hostile.pth"), "import os; os.environ['X'] = '1'\n", "w")
        _try(os.path.join(sp, "sitecustomize.py"), EVIL, "w")
        _try(os.path.join(sp, "usercustomize.py"), EVIL, "w")
print(f"edit-disk: {len(succeeded)} of {len(attempts)} writes succeeded")
for p in succeeded[:20]:
    print("  wrote", p)
