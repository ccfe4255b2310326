"""An infinite CPU loop inside every function: each call times out, the worker is replaced a few
times, then no more calls are made; the grade finishes within the submission's total time."""


def _spin(*args, **kwargs):
    n = 0
    while True:
        n += 1


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _spin
