"""The grader's side of the trust boundary: start, talk to, time and kill the worker.

``Sandbox`` owns one submission's worker process. Tests reach the submission only through
``SubmissionProxy`` (the ``submission`` fixture), whose calls become messages over a pipe
(``grader.codec``: data only, no pickle). Every way the submission can fail (raise, hang, exhaust
memory, die, return something that is not data) becomes a ``SubmissionError`` with a message for
the student; the grader itself never dies from a submission.

If the worker dies, the next call starts a fresh one (a few times at most, within the submission's
total time), so one function that kills its process costs only the tests that call it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader import _jail, codec, policy
from grader._jail import LAYERS
from grader.errors import CodecError, GraderInternalError, IsolationRefusedError, SubmissionError

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's worker (defaults; an assignment may change them)."""

    call_seconds: float = 10.0
    """Wall time of one call into the submission."""
    import_seconds: float = 20.0
    """Wall time to start the worker and import the submission."""
    total_seconds: float = 120.0
    """Wall time for the whole submission, over all calls and restarts."""
    memory_mb: int = 1024
    """Address space of the worker."""
    cpu_seconds: int = 120
    """CPU time of the worker."""
    max_processes: int = 32
    """Processes and threads the worker's user may have."""
    file_mb: int = 64
    """Largest file the worker may write; also the size of its scratch tmpfs."""
    max_result_mb: int = 64
    """Largest message the worker may send back (the grader holds it, and may convert it)."""
    output_kb: int = 64
    """Stdout/stderr kept for the report; the rest is counted and dropped."""
    restarts: int = 3
    """How many times a dead worker is replaced."""
    trusted_seconds: float = 10.0
    """CPU time the grader itself may spend in one test (reference, checks); see plugin.py."""
    trusted_memory_mb: int = 512
    """Memory one test may add to the grader's own address space; see plugin.py."""

    def to_wire(self) -> dict[str, int]:
        return {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds,
                "max_processes": self.max_processes, "file_mb": self.file_mb,
                "max_result_mb": self.max_result_mb}


@dataclass(frozen=True)
class LeakProbe:
    """What the worker tries to reach at its start, after confinement and before the submission
    is imported (``grader._worker.probe``); the result is the report's ``isolation.verified``."""

    files: tuple[str, ...] = ()
    """Trusted files it must not be able to read (a hidden test, the reference, the answer key);
    only files that exist here are sent."""
    folders: tuple[str, ...] = ()
    """Trusted folders it must not be able to list (the hidden tests')."""
    network: bool = True
    """Try to connect to a port this sandbox listens on at 127.0.0.1 (never accepted)."""
    require: frozenset[str] = frozenset()
    """Of ``grader.policy.REQUIREMENTS``, what must be verified, or the worker is refused
    (``IsolationRefusedError``) before the submission is imported."""

    def to_wire(self, port: int) -> dict[str, Any]:
        return {"files": [f for f in self.files if os.path.isfile(f)],
                "folders": [d for d in self.folders if os.path.isdir(d) and os.listdir(d)],
                "port": port, "require": sorted(self.require)}


@dataclass
class ImportFailure:
    """The submission could not be imported."""

    kind: str
    """``exception``, ``timeout``, ``died`` or ``memory``."""
    message: str
    """For the student, e.g. "ModuleNotFoundError: No module named 'foo' (line 3)"."""
    detail: str = ""
    """Student-code traceback, for the instructor."""


class _Output:
    """Drains the worker's stdout/stderr so it can never block; keeps the head only."""

    def __init__(self, fd: int, keep: int, *, start: bool = True) -> None:
        self.fd = fd
        self.keep = keep
        self.head = bytearray()
        self.total = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        if start:
            self.thread.start()

    def start(self) -> None:
        """Start draining (for output created with ``start=False``)."""
        if self.thread.ident is None:  # not started yet
            self.thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            room = self.keep - len(self.head)
            if room > 0:
                self.head += chunk[:room]
        os.close(self.fd)

    def text(self) -> str:
        self.start()
        self.thread.join(timeout=2)
        out = self.head.decode("utf-8", "replace")
        if self.total > len(self.head):
            out += f"\n[... {self.total - len(self.head)} more bytes of output not kept]"
        return out


class WorkerProcess(Protocol):
    """What the sandbox needs of a worker process: ``subprocess.Popen`` has all of it."""

    returncode: int | None

    @property
    def pid(self) -> int: ...

    def wait(self, timeout: float | None = ...) -> int: ...


def _relay_status(proc: WorkerProcess, fd: int) -> None:
    """Wait for ``proc`` and write its exit status to ``fd`` (4 bytes, signed)."""
    try:
        code = proc.wait(timeout=None)
    except GraderInternalError:  # a zygote that ended: nothing to say, and the copy sees EOF
        os.close(fd)
        return
    with contextlib.suppress(OSError):
        os.write(fd, code.to_bytes(4, "little", signed=True))
    os.close(fd)


class _RelayedProcess:
    """A worker this process did not start (a forked copy of the grader took it over): its
    parent collects the exit status and writes it to ``fd`` (``_relay_status``).

    ``Popen.wait`` cannot stand in: for a process that is not our child, waitpid fails and
    ``Popen`` reports exit code 0, so a killed worker would read as one that exited.
    """

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd = fd

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            data = b""
            if timeout is not None and not select.select([self._fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            with contextlib.suppress(OSError):
                while len(data) < 4:
                    chunk = os.read(self._fd, 4 - len(data))
                    if not chunk:
                        break
                    data += chunk
            os.close(self._fd)
            # No status: the relaying grader is gone, and with it (die_with_parent) this copy.
            self.returncode = (int.from_bytes(data, "little", signed=True) if len(data) == 4
                               else -signal.SIGKILL)
        return self.returncode

    def forget(self) -> None:
        """Do not wait for the status (killed by us: nobody needs to hear how it ended)."""
        if self.returncode is None:
            self.returncode = -signal.SIGKILL
            os.close(self._fd)


class Launcher(Protocol):
    """Starts worker processes on three pipe ends (requests in, replies out, printed output)."""

    def spawn(self, fd_in: int, fd_out: int, fd_output: int) -> WorkerProcess: ...


WORKER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
    # One BLAS thread: predictable CPU use, and a single-threaded worker can still create
    # namespaces (the kernel refuses user namespaces to threaded processes).
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
}


class DirectLauncher:
    """A fresh interpreter per worker (``python -I -m grader._worker``): simplest, ~0.2 s CPU."""

    def spawn(self, fd_in: int, fd_out: int, fd_output: int) -> WorkerProcess:
        cmd = [sys.executable, "-I", "-m", "grader._worker", str(fd_in), str(fd_out)]
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fd_output,
                                stderr=fd_output, pass_fds=(fd_in, fd_out), env=WORKER_ENV,
                                cwd="/", start_new_session=True)


@dataclass
class _Process:
    proc: WorkerProcess
    to_worker: int
    from_worker: int
    output: _Output
    isolation: dict[str, Any] = field(default_factory=dict)


@functools.cache
def _checkout_dirs() -> frozenset[str]:
    """Folders of the checkout the grader runs from, except those the interpreter lives in.

    Hiding tests/hidden/ and reference/ is not enough: the checkout's .git holds every version of
    them (a submission read them back from the objects), and caches hold more.
    """
    root = Path(_PACKAGE_DIR).parent
    if not (root / "pyproject.toml").is_file():
        # An installed package: its parent is site-packages, which the worker needs.
        return frozenset()
    needed = [Path(p).resolve() for p in (sys.prefix, sys.exec_prefix, sys.executable, *sys.path)
              if p and os.path.isabs(p)]
    out = set()
    for child in root.iterdir():
        c = child.resolve()
        if child.is_dir() and not any(n == c or c in n.parents for n in needed):
            out.add(str(c))
    return frozenset(out)


def _new_scratch() -> str:
    """A scratch folder named after this process, after removing those of graders that died.

    A grader killed with SIGKILL cannot remove its scratch folder (with namespaces off it holds the
    student's files); the next grader on the machine does.
    """
    _remove_dead_scratch(os.getpid())
    return tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-")


@functools.cache
def _remove_dead_scratch(pid: int) -> None:
    """Once per grader process (``pid`` keys the cache, so a forked grader sweeps again)."""
    base = tempfile.gettempdir()
    try:
        names = os.listdir(base)
    except OSError:
        names = []
    for name in names:
        owner = name[len(_SCRATCH_PREFIX):].split("-", 1)[0]
        if name.startswith(_SCRATCH_PREFIX) and owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


_SCRATCH_PREFIX = "grader-scratch-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: How long a worker killed with SIGKILL may take to be gone, and how long one that closed its
#: end of the pipe may take to exit on its own, before the grader stops waiting for it.
_EXIT_SECONDS = 2.0


def _wait_for(proc: WorkerProcess, timeout: float) -> int | None:
    """``proc``'s exit status, or ``None`` if it has not ended within ``timeout`` seconds."""
    try:
        return proc.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, GraderInternalError):
        return None


class Sandbox:
    """One submission's isolated worker. Use as a context manager; ``close`` kills everything."""

    def __init__(self, files: dict[str, bytes], entry: str, *, limits: Limits | None = None,
                 hide: Iterable[str] = (), namespaces: bool = True,
                 disable: Iterable[str] = (), launcher: Launcher | None = None,
                 probe: LeakProbe | None = None) -> None:
        """``namespaces=False`` or ``disable``: layers of the worker's confinement not to apply
        (names in ``grader._jail.LAYERS``: ``namespaces``, ``landlock``, ``seccomp``).
        ``probe``: what the worker must prove out of its reach before the submission is
        imported (``isolation.verified``)."""
        self.launcher = launcher or DirectLauncher()
        self.files = files
        self.entry = entry
        self.limits = limits or Limits()
        self.hide = sorted({str(Path(p).resolve()) for p in hide} | {_PACKAGE_DIR}
                           | _checkout_dirs())
        self.namespaces = namespaces
        self.disable = sorted(set(disable) | (set() if namespaces else {"namespaces"}))
        unknown = set(self.disable) - LAYERS
        if unknown:
            raise ValueError(f"unknown layers to disable: {sorted(unknown)}; "
                             f"known: {sorted(LAYERS)}")
        self.probe = probe or LeakProbe()
        self._listener: socket.socket | None = None
        self._jailed_generation = 0
        self._start_error: GraderInternalError | None = None
        self.started = time.monotonic()
        self.restarts_left = self.limits.restarts
        self.generation = 0
        self.import_failure: ImportFailure | None = None
        self.callables: frozenset[str] = frozenset()
        """Module-level callables the worker reported after importing (an untrusted hint)."""
        self.isolation: dict[str, Any] = {}
        self.outputs: list[str] = []
        self.events: list[str] = []
        self._p: _Process | None = None
        self._handed: _Process | None = None
        self._launched = 0.0
        self._clock_started = False
        self._closed_at: float | None = None
        self._scratch = _new_scratch()

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        if self._p is None and self.generation == 0:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> ImportFailure | None:
        """Start a worker and import the submission; returns why the import failed, if it did."""
        self.launch()
        return self.wait_ready()

    def launch(self, *, drain: bool = True) -> None:
        """Spawn the worker and send its configuration; does not wait for it.

        ``drain=False``: do not start draining its output yet (``take_over`` does, in the forked
        copy of the grader that will use it: a thread does not survive a fork)."""
        self.generation += 1
        if self.generation > 1 and self._scratch:
            # A fresh folder for a restarted worker: without a mount namespace the old one holds
            # what the dead worker left (files of its uid, which a new uid may not overwrite, or
            # a submission it rewrote), and the new worker must start from the submission.
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = _new_scratch()
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            proc = self.launcher.spawn(to_r, from_w, out_w)
        finally:
            for fd in (to_r, from_w, out_w):
                os.close(fd)
        self._p = _Process(proc, to_w, from_r,
                           _Output(out_r, self.limits.output_kb * 1024, start=drain))
        config = {"scratch": self._scratch, "hide": self.hide, "limits": self.limits.to_wire(),
                  "files": self.files, "entry": self.entry, "namespaces": self.namespaces,
                  "disable": self.disable, "probe": self.probe.to_wire(self._probe_port())}
        self._launched = time.monotonic()
        with contextlib.suppress(BrokenPipeError):
            # A worker gone before reading its configuration: wait_ready reports it.
            codec.write_frame(to_w, codec.encode(config))

    def wait_ready(self) -> ImportFailure | None:
        """Wait until the launched worker has imported the submission (or failed to)."""
        if not self._clock_started:
            # A worker may be launched ahead of its turn; its time budget starts now.
            self.started = time.monotonic()
            self._clock_started = True
        deadline = self._launched + min(self.limits.import_seconds, self._remaining())
        self.wait_jailed()
        try:
            reply = self._receive(deadline)
        except SubmissionError as exc:
            message = exc.student_message
            if exc.kind == "timeout" and self._remaining() > 0:
                # _timed_out names the per-call limit; the import has a limit of its own.
                message = (f"did not finish importing within {self.limits.import_seconds:g} s "
                           "(is there an infinite loop, or slow work at the top level of the "
                           "file?)")
            self.import_failure = ImportFailure(exc.kind, message, exc.detail)
            self._kill()
            return self.import_failure
        if not reply.get("ok"):
            err = reply.get("error") or {}
            self.import_failure = ImportFailure("exception", _describe_error(err, importing=True),
                                                str(err.get("traceback", "")))
            self._kill()
            return self.import_failure
        self.import_failure = None
        self.callables = _names(reply.get("callables"))
        return None

    def wait_jailed(self) -> dict[str, Any]:
        """Wait until the launched worker has confined itself and probed what it can reach;
        returns its isolation record (also ``self.isolation``). Safe to call again.

        Raises ``IsolationRefusedError`` (after killing the worker, which then imports nothing)
        when the probe misses a requirement of ``self.probe``, and ``GraderInternalError`` when the
        worker did not start: no student code has run yet, so either is the grader's problem.
        """
        if self._jailed_generation == self.generation:
            if self._start_error is not None:
                raise self._start_error
            return self.isolation
        self._jailed_generation = self.generation
        self._start_error = None
        deadline = self._launched + min(self.limits.import_seconds, self._remaining())
        try:
            jailed = self._receive(deadline)
        except SubmissionError as exc:
            output = "\n".join(self.outputs[-1:])
            self._start_error = GraderInternalError(
                f"the worker failed to start ({exc.student_message})\n{output}")
            raise self._start_error from None
        self.isolation = jailed.get("isolation", {})
        if policy.missing(self.isolation.get("verified"), self.probe.require):
            self._kill()
            self._start_error = IsolationRefusedError(
                policy.refusal_message(self.isolation, self.probe.require, euid=os.geteuid(),
                                       platform=sys.platform), isolation=self.isolation)
            raise self._start_error
        return self.isolation

    def _probe_port(self) -> int:
        """A loopback port for the probe to try, listening (never accepting) while this sandbox
        lives: a connection the kernel completes proves the worker reached the network. One per
        sandbox, so its few connections (one per worker started) never fill the backlog."""
        if not self.probe.network:
            return 0
        if self._listener is None:
            try:
                listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                listener.bind(("127.0.0.1", 0))
                listener.listen(self.limits.restarts + 2)
            except OSError:
                return 0  # no loopback here (itself a network namespace): nothing to reach
            self._listener = listener
        return int(self._listener.getsockname()[1])

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def hand_over(self, status_fd: int) -> None:
        """In the grader that launched the worker, once a forked copy of it has taken the worker
        over: close this copy's ends of its pipes, and pass the worker's exit status, when it
        comes, to the copy through ``status_fd`` (only the worker's parent can collect it, and
        the copy needs it to say why the worker died). ``reap`` collects the worker at the end."""
        p = self._p
        if p is not None:
            for fd in (p.to_worker, p.from_worker, p.output.fd):
                with contextlib.suppress(OSError):
                    os.close(fd)
            threading.Thread(target=_relay_status, args=(p.proc, status_fd), daemon=True,
                             name="worker-status").start()
        else:
            os.close(status_fd)
        self._handed, self._p = p, None

    def reap(self) -> None:
        """After the forked copy is done with a handed-over worker: make sure it is gone (the
        copy may have died first) and collect its exit status."""
        p, self._handed = self._handed, None
        if p is not None:
            self._stop(p)
        self._close_listener()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def worker_pid(self) -> int | None:
        """The running worker's pid (a zygote's worker learns it from the zygote)."""
        return self._p.proc.pid if self._p is not None else None

    def take_over(self, status_fd: int) -> None:
        """In the forked copy that now owns this worker: start draining its output, and learn
        its exit status from ``status_fd`` (see ``hand_over``). Call ``worker_pid`` before the
        fork. A restart here starts its worker directly: the launcher's zygote, if any, belongs
        to the grader that forked this copy."""
        self.launcher = DirectLauncher()
        if self._p is not None:
            self._p.proc = _RelayedProcess(self._p.proc.pid, status_fd)
            self._p.output.start()
        else:
            os.close(status_fd)

    def disown(self) -> None:
        """Forget the worker without stopping it: for a forked copy of the grader, whose
        parent still owns it (closes this copy's ends of its request pipes, kills nothing).

        The end of its output pipe is left alone: the parent's drain thread closes that one when
        the worker ends, possibly before the fork, and its number may then belong to another
        file by now (the pipe this copy reports back through, say)."""
        p, self._p = self._p, None
        if p is not None:
            for fd in (p.to_worker, p.from_worker):
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._closed_at = time.monotonic()
        self._scratch = ""

    def close(self) -> None:
        """Stop the worker (politely, then by force) and remove its scratch folder."""
        if self._p is not None:
            with contextlib.suppress(OSError):
                codec.write_frame(self._p.to_worker, codec.encode({"op": "exit"}))
            self._kill()
        if self._closed_at is None:
            self._closed_at = time.monotonic()
        self._close_listener()
        shutil.rmtree(self._scratch, ignore_errors=True)

    @property
    def elapsed(self) -> float:
        """Seconds from the start of this submission's turn to its close (or now)."""
        return (self._closed_at or time.monotonic()) - self.started

    def _kill(self) -> None:
        p = self._p
        if p is None:
            return
        self._p = None
        self._stop(p)
        for fd in (p.to_worker, p.from_worker):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.outputs.append(p.output.text())

    def _stop(self, p: _Process) -> None:
        """Kill the worker's process group, then (as root, where the worker has a uid of its own)
        every process of its uid, which the group may not hold; then collect it, waiting
        a bounded time: a worker stuck in the kernel must not hang the grader."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.proc.pid, signal.SIGKILL)
        # A PID namespace ends every process in it with the worker: no sweep (it costs a fork
        # of this process, a few ms). The worker reports its layers before any student code
        # runs, and one that died before saying so is swept.
        layers = self.isolation.get("layers") or {}
        if os.geteuid() == 0 and not layers.get("pid_namespace"):
            # Before the worker is reaped: while its pid is taken, so is its uid.
            _jail.kill_uid(_jail.worker_uid_of(p.proc.pid))
        if isinstance(p.proc, _RelayedProcess):
            p.proc.forget()  # the grader that started it collects it
        elif _wait_for(p.proc, _EXIT_SECONDS) is None:
            self.events.append(f"the worker (pid {p.proc.pid}) did not end within "
                               f"{_EXIT_SECONDS:g} s of SIGKILL")

    @property
    def output(self) -> str:
        """Everything the submission printed (head only), over all its workers."""
        texts = list(self.outputs)
        if self._p is not None:
            texts.append(f"[worker still running; {self._p.output.total} bytes so far]")
        return "\n".join(t for t in texts if t)

    def _remaining(self) -> float:
        return self.limits.total_seconds - (time.monotonic() - self.started)

    # -- messages ----------------------------------------------------------------------------
    def _receive(self, deadline: float) -> dict[str, Any]:
        p = self._p
        assert p is not None
        header = self._read(p, 4, deadline)
        length = codec.frame_length(header)
        if length > self.limits.max_result_mb * 1024 * 1024:
            self._kill()
            raise SubmissionError(
                f"returned a value larger than {self.limits.max_result_mb} MB", kind="too-large")
        body = self._read(p, length, deadline)
        try:
            reply = codec.decode(body, from_handle=self._make_handle)
        except CodecError as exc:
            self._kill()
            raise SubmissionError(f"sent a malformed reply ({exc})", kind="protocol") from None
        if not isinstance(reply, dict):
            self._kill()
            raise SubmissionError("sent a malformed reply", kind="protocol")
        return reply

    def _read(self, p: _Process, n: int, deadline: float) -> bytes:
        chunks = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0:
                return self._timed_out(p)
            ready, _, _ = select.select([p.from_worker], [], [], left)
            if not ready:
                return self._timed_out(p)
            chunk = os.read(p.from_worker, min(n, 1 << 20))
            if not chunk:
                self._died(p)
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _timed_out(self, p: _Process) -> bytes:
        self._kill()
        if self._remaining() <= 0:
            raise SubmissionError(
                f"ran out of the {self.limits.total_seconds:g} s allowed for the whole submission "
                "(is there an infinite loop, or a very slow implementation?)", kind="timeout")
        raise SubmissionError(
            f"did not finish within {self.limits.call_seconds:g} s "
            "(is there an infinite loop, or a very slow implementation?)", kind="timeout")

    def _died(self, p: _Process) -> None:
        code = _wait_for(p.proc, _EXIT_SECONDS)
        self._kill()
        if code is None:
            # The pipe closed but the process lives on (it closed its descriptors, then slept):
            # waiting for it without a limit hung the grader.
            reason = ("closed its connection to the grader and kept running (do not close file "
                      "descriptors your code did not open)")
            self.events.append(reason)
            raise SubmissionError(f"the process running your code {reason}", kind="died")
        if code < 0:
            sig = -code
            reasons: dict[int, str] = {
                signal.SIGXCPU: f"used more than {self.limits.cpu_seconds} s of CPU time",
                signal.SIGSEGV: "crashed the Python interpreter (segmentation fault; very deep "
                                "recursion does this)",
                signal.SIGKILL: "was killed (out of memory or another hard limit)",
                signal.SIGABRT: "aborted the Python interpreter",
            }
            reason = reasons.get(sig, f"was killed by signal {signal.Signals(sig).name}")
        else:
            reason = f"ended its own process (exit code {code}; do not call exit or os._exit)"
        self.events.append(reason)
        raise SubmissionError(f"the process running your code {reason}", kind="died")

    def _to_handle(self, value: Any) -> codec.Handle:
        if isinstance(value, RemoteObject) and value._sandbox is self:
            _check_generation(self, value._generation, value._ref, value._type_name)
            return value._as_handle()
        raise CodecError(f"a {type(value).__name__} cannot be sent to the submission")

    def _make_handle(self, h: codec.Handle) -> RemoteObject:
        return RemoteObject(self, self.generation, h.id, h.type_name)

    def request(self, message: dict[str, Any], *, generation: int | None = None) -> Any:
        """Send one request, wait for its reply within the limits, return the reply's value.

        ``generation`` is the worker generation the request's target object belongs to; after a
        restart such an object no longer exists.
        """
        if self.import_failure is not None and self._p is None:
            raise SubmissionError(f"your code could not be imported: "
                                  f"{self.import_failure.message}", kind="import")
        if self._remaining() <= 0:
            raise SubmissionError(f"the {self.limits.total_seconds:g} s allowed for the whole "
                                  "submission are used up", kind="timeout")
        if self._p is None:
            if self.restarts_left <= 0:
                raise SubmissionError("your code's process died too many times; no more calls "
                                      "are made", kind="died")
            self.restarts_left -= 1
            failure = self.start()
            if failure is not None:
                raise SubmissionError(f"your code could not be imported: {failure.message}",
                                      kind="import")
        if generation is not None:
            _check_generation(self, generation, message.get("target", 0), "this object")
        p = self._p
        assert p is not None
        try:
            payload = codec.encode(message, to_handle=self._to_handle)
        except CodecError as exc:
            raise SubmissionError(f"the test could not send its arguments ({exc})",
                                  kind="protocol") from None
        try:
            codec.write_frame(p.to_worker, payload)
        except OSError:
            self._died(p)
        deadline = time.monotonic() + min(self.limits.call_seconds, self._remaining())
        reply = self._receive(deadline)
        if reply.get("ok"):
            if reply.get("callable"):
                return _CALLABLE
            return reply.get("value")
        err = reply.get("error") or {}
        if err.get("type") == "MissingAttribute":
            raise SubmissionError(f"`{err.get('message')}` is not defined", kind="missing")
        kind = {"MemoryError": "memory", "ResultNotData": "not-data"}.get(
            str(err.get("type")), "exception")
        raise SubmissionError(_describe_error(err), kind=kind, detail=str(err.get("traceback")))


_CALLABLE = object()
_MAX_NAMES = 10_000


def _names(value: Any) -> frozenset[str]:
    """The worker's list of callable names, if it is one (it is untrusted: anything else is
    ignored, which only costs a round trip per attribute)."""
    if type(value) is not list or len(value) > _MAX_NAMES:
        return frozenset()
    return frozenset(n for n in value if type(n) is str and 0 < len(n) <= 200)


def _describe_error(err: dict[str, Any], *, importing: bool = False) -> str:
    """One student-facing line from a worker error record (all of it untrusted text)."""
    etype = str(err.get("type", "Exception"))[:100]
    message = str(err.get("message", ""))[:500]
    line = err.get("line")
    where = f" (line {line})" if isinstance(line, int) else ""
    if etype == "MemoryError":
        return f"ran out of memory{where}: the limit is shown in the report's isolation section"
    if etype in ("SystemExit", "KeyboardInterrupt"):
        return f"called exit(){where}; a submission must not exit" + \
            (" when imported" if importing else "")
    if etype == "ResultNotData":
        return f"returned something the grader cannot read: {message}"
    text = f"{etype}: {message}" if message else etype
    return text + where


class RemoteCallable:
    """A function (or class) of the submission; calling it runs it in the worker."""

    def __init__(self, sandbox: Sandbox, generation: int, target: int, name: str | None,
                 label: str) -> None:
        self._sandbox = sandbox
        self._generation = generation
        self._target = target
        self._name = name
        self._label = label

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _check_generation(self._sandbox, self._generation, self._target, self._label)
        try:
            return self._sandbox.request({"op": "call", "target": self._target,
                                          "name": self._name, "args": list(args),
                                          "kwargs": kwargs}, generation=self._generation)
        except SubmissionError as exc:
            raise _named(exc, self._label) from None

    def __repr__(self) -> str:
        return f"<submission function {self._label}>"


class RemoteObject:
    """An object that lives in the worker: attribute access and method calls are forwarded."""

    def __init__(self, sandbox: Sandbox, generation: int, ref: int, type_name: str) -> None:
        self._sandbox = sandbox
        self._generation = generation
        self._ref = ref
        self._type_name = type_name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        label = f"{self._type_name}.{name}"
        _check_generation(self._sandbox, self._generation, self._ref, label)
        try:
            value = self._sandbox.request({"op": "getattr", "target": self._ref, "name": name},
                                          generation=self._generation)
        except SubmissionError as exc:
            raise _named(exc, label) from None
        if value is _CALLABLE:
            return RemoteCallable(self._sandbox, self._generation, self._ref, name, label)
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return RemoteCallable(self._sandbox, self._generation, self._ref, None,
                              self._type_name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<submission object of type {self._type_name}>"

    def _as_handle(self) -> codec.Handle:
        return codec.Handle(self._ref, self._type_name)


def set_attribute(obj: Any, name: str, value: Any) -> None:
    """``obj.name = value`` for an object of the submission, run in the worker.

    A test puts a student's object into a state it knows (``set_attribute(model, "params",
    known)``) so that what it checks next rests on values the grader chose, not on the
    object's own: a check of ``predict()`` against the model's own parameters passes any
    ``predict()`` that agrees with degenerate ones. ``value`` crosses as data, like a call's
    argument; a plain (local) object is set directly.
    """
    if not isinstance(obj, RemoteObject):
        setattr(obj, name, value)
        return
    label = f"{obj._type_name}.{name}"
    RemoteCallable(obj._sandbox, obj._generation, obj._ref, "__setattr__", label)(name, value)


def _check_generation(sandbox: Sandbox, generation: int, ref: int, label: str) -> None:
    if ref != 0 and generation != sandbox.generation:
        raise SubmissionError(f"`{label}` belongs to a process of your code that has since "
                              "died, so it cannot be used any more", kind="died")


def _named(exc: SubmissionError, label: str) -> SubmissionError:
    if exc.kind == "missing":
        msg = (f"your submission does not define `{label}`; check the name and that it is at "
               "the top level of your file")
    elif exc.kind == "import":
        msg = exc.student_message
    else:
        msg = {
            "timeout": f"`{label}` {exc.student_message}",
            "too-large": f"`{label}` {exc.student_message}",
            "died": f"calling `{label}`: {exc.student_message}",
            "exception": f"calling `{label}` raised {exc.student_message}",
            "memory": f"calling `{label}` {exc.student_message}",
            "not-data": f"`{label}` {exc.student_message}",
        }.get(exc.kind, f"`{label}`: {exc.student_message}")
    return SubmissionError(msg, kind=exc.kind, detail=exc.detail)


class SubmissionProxy:
    """The ``submission`` fixture: the student's module, reached through the worker."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._sandbox.callables:
            # Saves a round trip per function call: the call looks the name up in the worker
            # when it runs, so a function the submission rebinds later is still the one called.
            return RemoteCallable(self._sandbox, self._sandbox.generation, 0, name, name)
        try:
            value = self._sandbox.request({"op": "getattr", "target": 0, "name": name})
        except SubmissionError as exc:
            raise _named(exc, name) from None
        if value is _CALLABLE:
            return RemoteCallable(self._sandbox, self._sandbox.generation, 0, name, name)
        return value

    def __repr__(self) -> str:
        return "<student submission>"
