"""A pre-forked worker launcher: one zygote process forks every worker of a batch, or both
workers of a split single grade.

The zygote (``grader._zygote``) imports NumPy and the worker code once; each submission's worker
is a fresh fork of it that then confines itself exactly as a directly started worker does. This
removes the interpreter start and NumPy import (~0.2 s of CPU) from every submission without
sharing anything between submissions: the zygote never runs student code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType

from grader.errors import GraderInternalError
from grader.sandbox import WORKER_ENV


class _ForkedWorker:
    """A zygote's child, seen from the grader: a pid, and its exit status via the zygote.

    ``spawn`` returns before the zygote has forked (it may still be importing NumPy): the pid is
    looked up when first needed."""

    def __init__(self, zygote: Zygote, seq: int) -> None:
        self.zygote = zygote
        self._seq = seq
        self._pid: int | None = None
        self.returncode: int | None = None

    @property
    def pid(self) -> int:
        if self._pid is None:
            self._pid = self.zygote.pid_of(self._seq)
        return self._pid

    def wait(self, timeout: float | None = 10.0) -> int:
        """Its exit status; ``timeout`` guards against a stuck zygote (``None``: no limit)."""
        if self.returncode is None:
            self.returncode = self.zygote.wait_for(self.pid, timeout)
        return self.returncode


class Zygote:
    """Launcher that forks workers from a zygote process. Use as a context manager.

    Safe to use from several threads: one reader thread takes every message of the zygote."""

    def __init__(self) -> None:
        self._ctrl, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "grader._zygote", str(child_end.fileno())],
            stdin=subprocess.DEVNULL, pass_fds=(child_end.fileno(),), env=WORKER_ENV, cwd="/",
            start_new_session=True)
        child_end.close()
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._spawned = 0
        self._pids: list[int] = []
        self._exited: dict[int, int] = {}
        self._ended = False
        self._reader = threading.Thread(target=self._read_all, daemon=True, name="zygote")
        self._reader.start()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the zygote (its workers are already gone: each sandbox kills its own). It holds
        nothing worth a clean exit, and a NumPy interpreter's exit takes tens of ms: kill it."""
        with contextlib.suppress(OSError):
            self._ctrl.shutdown(socket.SHUT_RDWR)  # wakes the reader thread
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        # Bounded: a process stuck in the kernel must not hang the grader (it is reaped later,
        # or by init once the grader exits).
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=5)
        self._reader.join(timeout=2)
        self._ctrl.close()

    def _read_all(self) -> None:
        while True:
            try:
                msg = self._ctrl.recv(256).decode()
            except OSError:
                msg = ""
            with self._cond:
                if not msg:
                    self._ended = True
                elif msg.startswith("pid "):
                    self._pids.append(int(msg.split()[1]))
                elif msg.startswith("exit "):
                    _, pid, code = msg.split()
                    self._exited[int(pid)] = int(code)
                self._cond.notify_all()
            if not msg:
                return

    def _wait(self, ready: Callable[[], bool], timeout: float | None, what: str) -> None:
        """Wait (holding ``_cond``) until ``ready()``; raise if the zygote ended or time is up."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not ready():
            if self._ended:
                raise GraderInternalError(
                    f"the worker zygote exited (code {self._proc.poll()}) before {what}")
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise GraderInternalError(f"the worker zygote did not answer ({what})")
            self._cond.wait(left)

    def spawn(self, fd_in: int, fd_out: int, fd_output: int) -> _ForkedWorker:
        """Ask for a worker on these pipe ends; returns at once (the pid comes later)."""
        fds = [fd_in, fd_out, fd_output]
        with self._send_lock:
            try:
                self._ctrl.sendmsg([b"spawn"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                                 bytes(memoryview(bytearray().join(
                                                     fd.to_bytes(4, sys.byteorder, signed=True)
                                                     for fd in fds))))])
            except OSError as exc:
                raise GraderInternalError(f"the worker zygote exited (code {self._proc.poll()}; "
                                          f"{exc.strerror})") from None
            seq, self._spawned = self._spawned, self._spawned + 1
        return _ForkedWorker(self, seq)

    def pid_of(self, seq: int) -> int:
        """The pid of the ``seq``-th worker asked for (the zygote forks them in order)."""
        with self._cond:
            self._wait(lambda: len(self._pids) > seq, 10.0, "forking a worker")
            return self._pids[seq]

    def wait_for(self, pid: int, timeout: float | None = 10.0) -> int:
        """Exit status of a forked worker (it has been killed or has ended on its own). A worker
        whose zygote is gone was killed with it (each dies with its parent)."""
        with self._cond:
            self._wait(lambda: pid in self._exited or self._ended, timeout, f"worker {pid} ended")
            return self._exited.get(pid, -signal.SIGKILL)
