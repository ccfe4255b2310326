"""The zygote: a process that has imported NumPy and the worker code but never runs student code.

For a batch, forking a fresh worker from it costs a few milliseconds instead of an interpreter
start and a NumPy import (~0.2 s of CPU). Each fork is a new process that confines itself
(``grader._jail``) exactly like a worker started on its own; the zygote itself only ever forks,
so nothing of one submission can reach another.

Protocol on the control socket (SOCK_SEQPACKET, one message per request):
- grader -> zygote: ``spawn`` with three file descriptors attached (SCM_RIGHTS): the worker's
  request pipe (read end), reply pipe (write end) and output pipe (write end);
- zygote -> grader: ``pid <n>`` after each fork, and ``exit <pid> <returncode>`` when a worker
  ends (returncode negative for a signal, as in ``subprocess``).
"""

from __future__ import annotations

import array
import os
import select
import signal
import socket
import sys

import numpy  # noqa: F401 - the point of the zygote: imported once, inherited by every fork

from grader import _jail, _worker, codec  # noqa: F401 - codec preloaded for the forks


def _returncode(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _reap(ctrl: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        ctrl.send(f"exit {pid} {_returncode(status)}".encode())


def _spawn(ctrl: socket.socket, fds: list[int], wakeup: tuple[int, int]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in wakeup:
                os.close(fd)
            ctrl.close()
            os.setsid()
            _jail.die_with_parent()
            fd_in, fd_out, fd_output = fds
            os.dup2(fd_output, 1)
            os.dup2(fd_output, 2)
            os.close(fd_output)
            _worker.run(fd_in, fd_out)
            sys.stdout.flush()
        finally:
            os._exit(0)
    for fd in fds:
        os.close(fd)
    ctrl.send(f"pid {pid}".encode())


def main() -> None:
    _jail.die_with_parent()
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake select() through wake_w
    while True:
        ready, _, _ = select.select([ctrl.fileno(), wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 4096)
            _reap(ctrl)
        if ctrl.fileno() in ready:
            fds = array.array("i")
            msg, ancdata, _, _ = ctrl.recvmsg(64, socket.CMSG_SPACE(3 * fds.itemsize))
            if not msg:
                return  # the grader closed the socket: done
            for level, kind, data in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
            if msg == b"spawn" and len(fds) == 3:
                _spawn(ctrl, list(fds), (wake_r, wake_w))
            else:
                for fd in fds:
                    os.close(fd)


if __name__ == "__main__":
    main()
