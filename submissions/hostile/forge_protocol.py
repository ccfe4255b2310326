"""Attack the grader's decoder by writing forged frames straight into the reply pipe.

Each function finds the worker's pipes among its open file descriptors and writes one hostile
frame before the real reply: a length header of almost 4 GiB, a list claiming 4 billion items,
nesting deeper than allowed, an array whose shape does not match its data, an unknown tag. The
grader checks every frame against its limits before allocating, so each is refused, the worker is
stopped, and the call scores 0. Every function attacks, so the whole submission scores 0.
"""

import os
import stat
import struct

FRAMES = {
    "huge": struct.pack(">I", 0xFFFFFFF0),
    "count": struct.pack(">I", 5) + b"l" + struct.pack(">I", 0xFFFFFFFF),
    "deep": (lambda body: struct.pack(">I", len(body)) + body)(b"l\x00\x00\x00\x01" * 200 + b"N"),
    "shape": (lambda body: struct.pack(">I", len(body)) + body)(
        b"a\x03<f8\x01" + struct.pack(">Q", 1 << 40) + struct.pack(">Q", 8) + b"\x00" * 8),
    "tag": struct.pack(">I", 1) + b"Z",
}


def _attack(kind):
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, FRAMES[kind])
        except OSError:
            pass
    return 0.0


def forward(*a, **k): return _attack("huge")
def loss(*a, **k): return _attack("count")
def cross_entropy(*a, **k): return _attack("count")
def gradients(*a, **k): return _attack("deep")
def sgd_step(*a, **k): return _attack("shape")
def output_delta(*a, **k): return _attack("shape")
def hidden_delta(*a, **k): return _attack("tag")
def batch_gradients(*a, **k): return _attack("tag")
def sgd_step_per_weight(*a, **k): return _attack("huge")
def relu(*a, **k): return _attack("deep")
def relu_grad(*a, **k): return _attack("huge")
def softmax(*a, **k): return _attack("count")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return lambda *a, **k: _attack("huge")
