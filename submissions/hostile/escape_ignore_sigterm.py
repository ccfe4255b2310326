"""Refuse to be stopped: ignore SIGTERM/SIGINT/SIGHUP/SIGXCPU, start a daemon (double fork and
setsid, itself ignoring those signals, living 90 s), and loop forever in every call.

The grader stops workers with SIGKILL, which cannot be ignored, and the PID namespace takes the
daemon down with the worker. The test suite checks that no process is left after grading.
"""

import os
import signal
import time

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)

if os.fork() == 0:
    try:
        os.setsid()
        if os.fork() == 0:
            end = time.monotonic() + 90  # bounded, so a failed test leaves nothing for long
            while time.monotonic() < end:
                time.sleep(0.5)
    finally:
        os._exit(0)


def _forever(*args, **kwargs):
    while True:
        try:
            time.sleep(1)
        except BaseException:  # noqa: BLE001, S112 - refuse KeyboardInterrupt and friends
            continue


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _forever
