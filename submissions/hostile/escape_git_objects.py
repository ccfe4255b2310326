"""Read hidden tests and reference solutions out of version control: find the checkout the grader
runs from (through the grader package's path), read every loose object and every whole object of
the pack files in its .git folder, rebuild file paths from the tree objects, and print the blobs
under tests/hidden/ and reference/.

Hiding tests/hidden/ and reference/ is not enough if the checkout's history is readable: the worker
must not see the checkout at all, apart from the interpreter's own folders.
"""

import os
import struct
import sys
import zlib

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


def _git_dir():
    m = sys.modules.get("grader")
    start = os.path.dirname(os.path.dirname(os.path.abspath(getattr(m, "__file__", "") or "/")))
    for d in (start, os.getcwd(), "/work/main"):
        g = os.path.join(d, ".git")
        if os.path.isdir(g):
            return g
    return None


def _loose(git, objects):
    base = os.path.join(git, "objects")
    for sub in os.listdir(base):
        if len(sub) != 2:
            continue
        for name in os.listdir(os.path.join(base, sub)):
            with open(os.path.join(base, sub, name), "rb") as f:
                raw = zlib.decompress(f.read())
            head, _, body = raw.partition(b"\0")
            objects[sub + name] = (head.split()[0].decode(), body)


def _packs(git, objects):
    pack_dir = os.path.join(git, "objects", "pack")
    kinds = {1: "commit", 2: "tree", 3: "blob", 4: "tag"}
    for idx_name in os.listdir(pack_dir):
        if not idx_name.endswith(".idx"):
            continue
        with open(os.path.join(pack_dir, idx_name), "rb") as f:
            idx = f.read()
        with open(os.path.join(pack_dir, idx_name[:-4] + ".pack"), "rb") as f:
            pack = f.read()
        n = struct.unpack(">I", idx[8 + 255 * 4:8 + 256 * 4])[0]
        shas = [idx[1032 + 20 * i:1052 + 20 * i].hex() for i in range(n)]
        off_base = 1032 + 24 * n
        for i, sha in enumerate(shas):
            (off,) = struct.unpack(">I", idx[off_base + 4 * i:off_base + 4 * i + 4])
            if off & 0x80000000:
                continue
            b = pack[off]
            kind, size, pos, shift = (b >> 4) & 7, b & 15, off + 1, 4
            while b & 0x80:
                b = pack[pos]
                size |= (b & 0x7F) << shift
                pos, shift = pos + 1, shift + 7
            if kind in kinds:
                objects[sha] = (kinds[kind], zlib.decompressobj().decompress(pack[pos:pos + size + 4096]))


def _paths(objects):
    parent = {}
    for sha, (kind, body) in objects.items():
        if kind != "tree":
            continue
        pos = 0
        while pos < len(body):
            nul = body.index(b"\0", pos)
            name = body[pos:nul].split(b" ", 1)[1].decode(errors="replace")
            child = body[nul + 1:nul + 21].hex()
            parent.setdefault(child, (sha, name))
            pos = nul + 21

    def path(sha, depth=0):
        if sha not in parent or depth > 20:
            return ""
        p, name = parent[sha]
        up = path(p, depth + 1)
        return f"{up}/{name}" if up else name

    return {sha: path(sha) for sha, (kind, _) in objects.items() if kind == "blob"}


objects = {}
git = _git_dir()
try:
    if git:
        _loose(git, objects)
        _packs(git, objects)
except (OSError, ValueError, zlib.error) as exc:
    print("git-objects: reading failed:", exc)
paths = _paths(objects)
wanted = sorted((p, s) for s, p in paths.items() if "tests/hidden/" in p or p.startswith("reference/"))
print(f"git-objects: {git}: {len(objects)} objects, {len(wanted)} hidden or reference blobs")
budget = 60_000
for p, sha in sorted(wanted, key=lambda ps: "hidden" not in ps[0]):
    text = objects[sha][1].decode(errors="replace")
    lines = [line for line in text.splitlines() if len(line.strip()) >= 30][:40]
    chunk = f"===== {p}\n" + "\n".join(lines) + "\n"
    if len(chunk) > budget:
        break
    budget -= len(chunk)
    print(chunk)
