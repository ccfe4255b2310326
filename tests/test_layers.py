"""Each confinement layer that needs no namespaces, on its own and for real: Landlock, seccomp,
the worker's own uid and its sweep, the parent-death signal, bounded waits.

Namespaces are switched off here (``disable``), as Docker's default profile and CI runners switch
them off. The machine's interpreter lives under /root (mode 700), which a worker's uid cannot
read; a real platform installs it where every user can. So each test runs in a forked child
with a private mount view where /root shows only the interpreter (``_reachable_interpreter``),
then grades there, as root or as an ordinary user.
"""

from __future__ import annotations

import encodings.idna  # noqa: F401 - the forked user cannot read the stdlib under /root
import errno
import json
import os
import shutil
import signal
import socket
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grader import _jail, _landlock, _seccomp
from grader.sandbox import Limits, Sandbox

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SECRET = ROOT / "problems" / "mathml_hw4" / "tests" / "hidden" / "test_1_warmups_hidden.py"
USER = 1000

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become other users")
needs_landlock = pytest.mark.skipif(_landlock.abi_version() < 1, reason="no Landlock here")
needs_seccomp = pytest.mark.skipif(not _seccomp.supported(), reason="no seccomp filter here")

# -- seccomp program, without installing it ---------------------------------------------------


def _header_numbers(path: str, prefix: str) -> dict[str, int]:
    out = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "#define" and parts[1].startswith(prefix) \
                and parts[2].isdigit():
            out[parts[1][len(prefix):]] = int(parts[2])
    return out


@pytest.mark.parametrize(("machine", "header", "prefix"), [
    ("x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "__NR_"),
    ("aarch64", "/usr/include/asm-generic/unistd.h", "__NR_"),
])
def test_seccomp_syscall_numbers_match_the_kernel_headers(machine, header, prefix):
    """Every system call number of the filter's tables is the one the kernel's headers give."""
    if not os.path.exists(header):
        pytest.skip(f"{header} not installed")
    numbers = _header_numbers(header, prefix)
    table = _seccomp._ARCHES[machine][1]
    # The generic header also defines numbers of 32-bit-only names under other guards; compare
    # only the names both know.
    common = {n: v for n, v in table.items() if n in numbers}
    assert len(common) >= len(table) - 2, sorted(set(table) - set(numbers))
    assert {n: numbers[n] for n in common} == common


def test_seccomp_program_checks_the_architecture_first():
    """The filter loads seccomp_data.arch first and refuses any other ABI with EPERM."""
    prog = _seccomp.build([_seccomp.Rule("socket")], machine="x86_64")
    assert prog[0] == (0x20, 0, 0, 4)  # load the arch field
    assert prog[1] == (0x15, 1, 0, 0xC000003E)  # AUDIT_ARCH_X86_64, else:
    assert prog[2] == (0x06, 0, 0, 0x00050000 | errno.EPERM)
    assert prog[-1] == (0x06, 0, 0, 0x7FFF0000)  # anything else is allowed


@pytest.mark.parametrize("bad", [
    {"syscall": "clone", "arg": 6, "mask": 1},
    {"syscall": "clone", "arg": 0},
    {"syscall": "clone", "mask": 1},
    {"syscall": "socket", "errno": 0},
])
def test_seccomp_rule_rejects_a_malformed_rule(bad):
    """A rule that could not mean what it says is refused when written, not installed."""
    with pytest.raises(ValueError, match=r"arg|mask|errno"):
        _seccomp.Rule(**bad)


# -- running in a forked child ----------------------------------------------------------------


def _reachable_interpreter() -> None:
    """In this (forked, root) process: a private mount view where the interpreter under /root is
    readable by any uid, as it is on a platform that installs Python for everyone."""
    _jail._check(_jail._libc.unshare(_jail.CLONE_NEWNS), "unshare")
    _jail._mount(None, "/", None, _jail.MS_REC | _jail.MS_PRIVATE)
    iso = _jail.Isolation()
    _jail._make_reachable(_jail.interpreter_paths(), iso)
    assert not iso.notes, iso.notes


def _in_child(fn: Callable[[], dict[str, Any]], *, user: int | None = None,
              timeout: float = 60) -> dict[str, Any]:
    """``fn()`` in a forked child (see the module docstring), as ``user`` if given."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            _reachable_interpreter()
            if user is not None:
                os.setgroups([])
                os.setresgid(user, user, user)
                os.setresuid(user, user, user)
            out = fn()
        except BaseException as exc:  # noqa: BLE001 - reported, never escapes the child
            import traceback

            out = {"error": repr(exc), "tb": traceback.format_exc()}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    deadline = time.monotonic() + timeout
    import select

    while time.monotonic() < deadline and select.select([r], [], [], 1)[0]:
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.kill(pid, signal.SIGKILL) if not data else None
    os.waitpid(pid, 0)
    out = json.loads(data)
    assert "error" not in out, out
    return out


PROBE = r'''
import ctypes, errno, fcntl, os, socket, tempfile

def _try(fn):
    try:
        fn()
        return "ok"
    except OSError as exc:
        return [exc.errno, str(exc)]

def _libc(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))

def _in_child(fn):
    """fn() in a forked child; its errno (0: it worked)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            code = 0
        except OSError as exc:
            code = exc.errno
        os.write(w, bytes([code]))
        os._exit(0)
    os.close(w)
    code = os.read(r, 1)[0]
    os.waitpid(pid, 0)
    return code

def probe(secret, other, port, grader):
    import numpy as np
    out = {}
    out["secret"] = _try(lambda: open(secret).read())
    out["other_scratch"] = _try(lambda: os.listdir(other))
    out["proc_1"] = _try(lambda: open("/proc/1/cmdline").read())
    def imports():
        import fractions, statistics, decimal  # not loaded before the jail
        assert statistics.mean([fractions.Fraction(1), 2]) == 1.5
        assert float(np.linalg.inv(np.eye(2))[0, 0]) == 1.0
        assert abs(np.fft.fft([1.0, 0.0])[0] - 1) < 1e-12
    imports()
    out["imports"] = "ok"
    with open("mine.txt", "w") as f:
        f.write("ok")
    fd, tmp = tempfile.mkstemp()
    os.close(fd)
    out["tmp_in_scratch"] = os.path.dirname(tmp) == os.getcwd()
    out["scratch"] = sorted(os.listdir("."))
    def connect():
        with socket.socket() as s:
            s.settimeout(1)
            s.connect(("127.0.0.1", port))
    out["connect"] = _try(connect)
    out["socket"] = _try(lambda: socket.socket().close())
    out["signal_parent"] = _try(lambda: os.kill(os.getppid(), 0))
    out["signal_grader"] = _try(lambda: os.kill(grader, 0))
    out["signal_all"] = _try(lambda: os.kill(-1, 0))
    out["setsid_child"] = _in_child(os.setsid)
    out["setpgid_child"] = _in_child(lambda: os.setpgid(0, 0))
    out["ptrace"] = _try(lambda: _libc("ptrace", 0, 0, 0, 0))  # PTRACE_TRACEME
    out["unshare"] = _try(lambda: _libc("unshare", 0x10000000))  # CLONE_NEWUSER
    with open("lock", "w") as f:
        out["flock"] = _try(lambda: fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB))
        out["lockf"] = _try(lambda: fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB))
        out["fcntl_getfl"] = _try(lambda: fcntl.fcntl(f, fcntl.F_GETFL))
    return out
'''


def _probe(disable: set[str], user: int | None = None) -> dict[str, Any]:
    """The probe's answers from a worker with ``disable`` off, graded as root or ``user``."""
    other = tempfile.mkdtemp(prefix="grader-scratch-other-")
    Path(other, "their_answer.py").write_text("x = 1\n")
    os.chmod(other, 0o777)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def run() -> dict[str, Any]:
        with Sandbox({"probe.py": PROBE.encode()}, "probe", limits=Limits(call_seconds=20),
                     disable=disable) as sb:
            out = sb.request({"op": "call", "target": 0, "name": "probe",
                              "args": [str(SECRET), other, port, os.getpid()],
                              "kwargs": {}})
            return {"iso": sb.isolation, **out}

    try:
        out = _in_child(run, user=user)
    finally:
        shutil.rmtree(other)
    listener.settimeout(0.1)
    try:
        listener.accept()
        out["listener_contacted"] = True
    except OSError:
        out["listener_contacted"] = False
    listener.close()
    return out


EACCES = [errno.EACCES, f"[Errno 13] Permission denied: '{SECRET}'"]
EPERM = [errno.EPERM, "[Errno 1] Operation not permitted"]


@root_only
@needs_landlock
def test_landlock_alone_keeps_the_checkout_unreadable_and_the_worker_working():
    """Namespaces and seccomp off, Landlock on: the checkout's problems/ (hidden tests), other
    scratch folders and /proc are refused with EACCES; the submission still imports stdlib
    modules and NumPy's lazy parts, writes its scratch folder, and reaches no TCP port."""
    out = _probe({"namespaces", "seccomp"})
    assert out["iso"]["level"] == "landlock", out["iso"]
    layers = out["iso"]["layers"]
    assert (layers["landlock"], layers["seccomp"], layers["own_uid"]) == (True, False, True)
    assert out["secret"] == EACCES
    assert out["other_scratch"][0] == errno.EACCES
    assert out["proc_1"] == [errno.EACCES, "[Errno 13] Permission denied: '/proc/1/cmdline'"]
    assert out["imports"] == "ok"
    assert {"mine.txt", "probe.py"} <= set(out["scratch"])
    assert out["tmp_in_scratch"] is True
    if layers["landlock_network"]:
        assert out["connect"] == [errno.EACCES, "[Errno 13] Permission denied"]
        assert out["listener_contacted"] is False
    assert out["socket"] == "ok"  # seccomp is what refuses sockets


@root_only
@needs_seccomp
def test_seccomp_alone_refuses_sockets_setsid_ptrace_namespaces_and_locks():
    """Namespaces and Landlock off, seccomp on: each refused call fails with EPERM (an ordinary
    PermissionError for the student), and the worker otherwise runs."""
    out = _probe({"namespaces", "landlock"})
    assert out["iso"]["level"] == "rlimits", out["iso"]  # files are not protected by seccomp
    assert out["iso"]["layers"]["seccomp"] is True
    for name in ("socket", "connect", "ptrace", "unshare", "flock", "lockf"):
        assert out[name] == EPERM, (name, out[name])
    assert out["setsid_child"] == errno.EPERM
    assert out["setpgid_child"] == errno.EPERM
    assert out["fcntl_getfl"] == "ok"  # fcntl itself stays
    assert out["listener_contacted"] is False
    assert out["imports"] == "ok"


@root_only
def test_without_seccomp_those_calls_work():
    """The same probe with every layer off: the refusals above are seccomp's, not the
    machine's (so the test above can fail)."""
    out = _probe({"namespaces", "landlock", "seccomp"})
    assert out["iso"]["level"] == "rlimits"
    assert out["socket"] == "ok"
    assert out["setsid_child"] == 0
    assert out["secret"] == "ok"  # the leak the other layers close


@root_only
@needs_landlock
def test_ordinary_user_without_namespaces_gets_landlock_and_seccomp():
    """An ordinary user (as on a CI runner) with namespaces off: the worker shares the grader's
    uid, yet cannot read the checkout, reach the listener, or signal the grader."""
    out = _probe({"namespaces"}, user=USER)
    iso = out["iso"]
    assert iso["level"] == "landlock", iso
    assert (iso["layers"]["own_uid"], iso["layers"]["landlock"], iso["layers"]["seccomp"]) == \
        (False, True, True)
    assert out["secret"] == EACCES
    assert out["other_scratch"][0] == errno.EACCES
    assert out["socket"] == EPERM
    assert out["listener_contacted"] is False
    assert out["imports"] == "ok"
    if iso["layers"]["landlock_scope"]:
        assert out["signal_parent"] == EPERM  # same uid: only Landlock's scope refuses it


@root_only
@needs_seccomp
def test_ordinary_user_seccomp_alone_keeps_the_grader_unsignalled():
    """Where Landlock cannot scope signals (ABI < 6, e.g. Ubuntu 24.04's kernel), the seccomp
    filter still refuses signals to the grader and to the processes between it and the worker,
    and ``kill(-1)``, although they share a uid."""
    out = _probe({"namespaces", "landlock"}, user=USER)
    assert out["iso"]["layers"]["own_uid"] is False
    for name in ("signal_grader", "signal_parent", "signal_all"):
        assert out[name] == EPERM, (name, out[name])


@root_only
def test_ordinary_user_with_every_layer_off_reads_the_checkout():
    """The same user with every layer off reads the hidden tests and signals the grader: the
    attacks the tests above stop are real."""
    out = _probe({"namespaces", "landlock", "seccomp"}, user=USER)
    assert out["iso"]["level"] == "rlimits"
    assert out["secret"] == "ok"
    assert (out["signal_parent"], out["signal_grader"], out["signal_all"]) == ("ok",) * 3


# -- containment ------------------------------------------------------------------------------

SPAWN = r'''
import os, time

def spawn(n, detach):
    """n sleeping children (and their children); with detach, each leaves the process group
    (setsid) if it may. Returns the host pids."""
    pids = []
    for _ in range(n):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            if detach:
                try:
                    os.setsid()
                except OSError:
                    pass
            grandchild = os.fork()
            if grandchild == 0:
                time.sleep(120)
                os._exit(0)
            os.write(w, f"{os.getpid()} {grandchild}".encode())
            time.sleep(120)
            os._exit(0)
        os.close(w)
        pids += [int(p) for p in os.read(r, 100).split()]
    return pids

def setsid_self():
    os.setsid()
    return os.getpid()
'''


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # zombie: dead
    except OSError:
        return True


def _uid_processes(uid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid and not _gone(int(name)):
                    out.append(int(name))
            except OSError:
                pass
    return out


def _wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if not _gone(p)]
        if not left:
            return []
        time.sleep(0.05)
    return left


@root_only
@pytest.mark.parametrize("disable", [
    {"namespaces", "landlock", "seccomp"},  # the uid sweep alone
    {"namespaces", "landlock"},  # seccomp: setsid refused, the process group reaches all
])
def test_detached_children_die_with_the_worker(disable):
    """Children and grandchildren of the worker, a setsid daemon among them, are all gone once
    the sandbox closes."""
    with Sandbox({"spawn.py": SPAWN.encode()}, "spawn", disable=disable) as sb:
        pids = sb.request({"op": "call", "target": 0, "name": "spawn", "args": [4, True],
                           "kwargs": {}})
        worker = sb.worker_pid()
        assert len(pids) == 8 and all(not _gone(p) for p in pids)
    assert _wait_gone(pids) == []
    assert worker is not None and _uid_processes(_jail.worker_uid_of(worker)) == []


def _kill_the_grader(disable: set[str], call: str, args: list[Any]) -> tuple[int, list[int]]:
    """A grader (forked) starts a worker that runs ``call``; the grader is then killed with
    SIGKILL. Returns the worker's uid and what the call returned."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the grader that dies
        try:
            os.close(r)
            sb = Sandbox({"spawn.py": SPAWN.encode()}, "spawn", disable=disable)
            sb.start()
            out = sb.request({"op": "call", "target": 0, "name": call, "args": args,
                              "kwargs": {}})
            os.write(w, json.dumps([sb.worker_pid(), out]).encode())
            time.sleep(120)
        finally:
            os._exit(1)
    os.close(w)
    data = os.read(r, 1 << 16)
    os.close(r)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    worker, out = json.loads(data)
    return _jail.worker_uid_of(worker), out if isinstance(out, list) else [out]


@root_only
@pytest.mark.parametrize("disable", [set(), {"namespaces", "landlock", "seccomp"}])
def test_a_killed_grader_leaves_no_setsid_worker(disable):
    """The worker leaves the grader's process group (setsid, seccomp off), then the grader is
    killed: the parent-death signal, set after the uid change, still ends it, and nothing of
    its uid is left. (With namespaces the worker is its namespace's init and may setsid.)"""
    disable = {*disable, "seccomp"}
    call, args = ("setsid_self", []) if "namespaces" not in disable else ("spawn", [3, True])
    uid, _ = _kill_the_grader(disable, call, args)
    deadline = time.monotonic() + 5
    while _uid_processes(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _uid_processes(uid) == []


CLOSE_AND_SLEEP = (FIXTURES / "subs" / "correct.py").read_text().replace(
    "def add(a, b):\n",
    "def add(a, b):\n    import os, time\n    os.closerange(3, 1024)\n    time.sleep(600)\n")


@root_only
def test_closing_the_pipes_and_sleeping_ends_within_the_limits(tiny, tmp_path):
    """At the rlimits level a call that closes every descriptor and sleeps once hung the grader
    (the hidden half waited without a limit); now each such call costs its call limit."""
    from grader.api import grade

    sub = tmp_path / "s" / "tiny.py"
    sub.parent.mkdir()
    sub.write_text(CLOSE_AND_SLEEP)
    started = time.monotonic()
    # Every layer off reaches the network: such a grade must be allowed explicitly.
    report = grade(tiny, sub, disable=("namespaces", "landlock", "seccomp"),
                   require_isolation=False)
    seconds = time.monotonic() - started
    assert report["isolation"]["level"] == "rlimits"
    assert (report["status"], report["score"]) == ("graded", 4.0)  # all but add's 3 points
    add_tests = [t for t in report["tests"] if "add" in t["name"]]
    assert add_tests and all(t["score"] == 0 for t in add_tests)
    assert any("`add` did not finish within 2 s" in t["output"] for t in add_tests), add_tests
    assert seconds < 20  # the assignment's total_seconds


def test_disable_names_are_checked():
    """An unknown layer name is an error, not a silently weaker jail."""
    with pytest.raises(ValueError, match="unknown layers to disable: \\['landlok'\\]"):
        Sandbox({"m.py": b""}, "m", disable=["landlok"])


def test_landlock_grant_skips_hidden_folders(tmp_path):
    """A granted folder holding a hidden one (a checkout on sys.path) is granted child by child,
    never the hidden child."""
    (tmp_path / "checkout" / "problems").mkdir(parents=True)
    (tmp_path / "checkout" / ".venv").mkdir()
    (tmp_path / "checkout" / "README.md").write_text("x")

    class Recorder:
        def __init__(self) -> None:
            self.granted: list[str] = []

        def allow(self, path: str, rights: int) -> bool:
            self.granted.append(path)
            return True

    rec = Recorder()
    _jail._grant(rec, str(tmp_path / "checkout"), _landlock.READ,  # type: ignore[arg-type]
                 [str(tmp_path / "checkout" / "problems")])
    assert sorted(Path(p).name for p in rec.granted) == [".venv", "README.md"]
    assert stat.S_ISDIR(os.stat(tmp_path / "checkout" / "problems").st_mode)


def test_a_stuck_hidden_half_is_stopped_not_waited_for(tiny, monkeypatch):
    """The forked grader running the hidden half is waited for no longer than its worker's
    limits allow (plus a margin): stuck, it is killed and the grade says so."""
    import grader.run
    from grader.errors import GraderInternalError

    real = grader.run.run_many

    def stuck_hidden(assignment, sandboxes, *, public_only=False, hidden_only=False):
        if hidden_only:
            time.sleep(600)
        return real(assignment, sandboxes, public_only=public_only, hidden_only=hidden_only)

    toml = tiny / "assignment.toml"
    toml.write_text(toml.read_text().replace("total_seconds = 20", "total_seconds = 4")
                    .replace("import_seconds = 10", "import_seconds = 2"))
    monkeypatch.setattr(grader.run, "run_many", stuck_hidden)
    monkeypatch.setattr(grader.run, "_SPLIT_SLACK", -3.0)  # total 4 s + import 2 s - 3 s
    from grader.api import grade

    started = time.monotonic()
    with pytest.raises(GraderInternalError, match=r"the hidden tests could not run:\n.*"
                                                  r"ended without a result \(stopped after 3 s\)"):
        grade(tiny, FIXTURES / "subs" / "correct.py")
    assert 2.5 < time.monotonic() - started < 10


LEAKY = (FIXTURES / "subs" / "correct.py").read_text() + f'''
import socket
try:
    print(open({str(SECRET)!r}).read())
except OSError as exc:
    print("SECRET:", repr(exc))
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
except OSError as exc:
    print("CONNECT:", repr(exc))
'''


@root_only
@needs_landlock
def test_full_grade_as_an_ordinary_user_without_namespaces():
    """The whole grade (split into two workers, a zygote, pytest) as an ordinary user with
    namespaces off: the honest score, the landlock level, and nothing of the hidden tests in the
    report though the submission tries to print them."""
    from grader.api import grade

    base = Path(tempfile.mkdtemp(prefix="grader-user-"))
    try:
        shutil.copytree(FIXTURES / "tiny", base / "tiny")
        (base / "s").mkdir()
        (base / "s" / "tiny.py").write_text(LEAKY)
        for path in [base, *base.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        out = _in_child(lambda: {"report": grade(base / "tiny", base / "s" / "tiny.py",
                                                  disable=("namespaces",))}, user=USER)
    finally:
        shutil.rmtree(base)
    report = out["report"]
    assert (report["status"], report["score"]) == ("graded", 7.0)
    assert report["isolation"]["level"] == "landlock"
    text = json.dumps(report)
    secret_lines = [ln.strip() for ln in SECRET.read_text().splitlines() if len(ln.strip()) > 30]
    assert secret_lines and not [ln for ln in secret_lines if ln in text]
    stdout = report["instructor"]["stdout"]
    assert "SECRET: PermissionError(13, 'Permission denied')" in stdout
    assert "CONNECT: PermissionError(1, 'Operation not permitted')" in stdout


@root_only
@needs_seccomp
@needs_landlock
def test_namespaces_refused_by_a_docker_like_filter_give_the_landlock_level():
    """Under a filter like Docker's default profile (no unshare, setns, mount, namespace clone;
    clone3 not implemented), the worker's namespaces are refused, not switched off, and it still
    reaches the landlock level with the refusal in its notes."""
    docker = [_seccomp.Rule("unshare"), _seccomp.Rule("setns"), _seccomp.Rule("mount"),
              _seccomp.Rule("clone", arg=0, mask=_seccomp.CLONE_NEW_ANY),
              _seccomp.Rule("clone3", errno=errno.ENOSYS)]

    def run() -> dict[str, Any]:
        _seccomp.install(docker)
        with Sandbox({"probe.py": PROBE.encode()}, "probe") as sb:
            out = sb.request({"op": "call", "target": 0, "name": "probe",
                              "args": [str(SECRET), "/nonexistent", 9, os.getpid()],
                              "kwargs": {}})
            return {"iso": sb.isolation, **out}

    out = _in_child(run)
    assert out["iso"]["level"] == "landlock", out["iso"]
    assert "namespaces unavailable (unshare: Operation not permitted)" in out["iso"]["notes"]
    assert out["secret"] == EACCES
    assert out["socket"] == EPERM
