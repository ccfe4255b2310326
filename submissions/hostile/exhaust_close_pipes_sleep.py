"""Hang the grader: on the first call, close every file descriptor (the pipes to the grader
among them) and sleep for an hour, so the grader sees the pipe end without the process ending.

The grader must not wait for it without a limit: the call is reported, the worker killed, and the
grade finishes within its time limit. No honest part: every test scores 0.
"""

import os
import time


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def hang(*args, **kwargs):
        os.closerange(0, 4096)
        time.sleep(3600)

    return hang
