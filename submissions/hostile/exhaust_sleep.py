"""Sleep for an hour in every function (wall time without CPU time: only the call timeout
stops it, the CPU limit never fires)."""

import time


def _sleep(*args, **kwargs):
    time.sleep(3600)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _sleep
