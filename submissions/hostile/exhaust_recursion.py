"""Crash the interpreter: raise the recursion limit to 10**6, then recurse through C code
(repr of an object whose __repr__ calls repr) until the C stack overflows (segmentation fault),
in every function. Each crash is reported as such; the grader itself never crashes."""

import sys

sys.setrecursionlimit(10**6)


class Deep:
    def __repr__(self):
        return repr(Deep())


def _crash(*args, **kwargs):
    return repr(Deep())


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _crash
