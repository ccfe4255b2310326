"""The worker's confinement as an ordinary (non-root) user: user namespaces, every layer active.

CI runs as root, where the jail takes its root path (namespaces, then a dedicated uid). These tests
fork, become an ordinary user, and confine themselves as a worker of a non-root grader would.
"""

from __future__ import annotations

import encodings.idna  # noqa: F401 - the forked user cannot read the stdlib under /root
import json
import os
import shutil
import socket
import tempfile

import pytest

from grader import _jail

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")

USER = 1000


def _confined(probe, tmp_path):
    """Run ``probe()`` in a forked child that became USER and entered the jail; return its dict."""
    scratch = tempfile.mkdtemp(prefix="jail-scratch-")
    os.chown(scratch, USER, USER)
    secret = tempfile.mkdtemp(prefix="grader-jail-secret-", dir="/var/cache")
    with open(os.path.join(secret, "hidden_test.py"), "w") as f:
        f.write("SECRET = 1\n")
    os.chmod(secret, 0o755)
    os.chmod(os.path.join(secret, "hidden_test.py"), 0o644)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setresgid(USER, USER, USER)
            os.setresuid(USER, USER, USER)
            iso = _jail.enter(_jail.JailConfig(scratch=scratch, hide=[secret], memory_mb=512))
            out = {"iso": iso.as_dict(), **probe(secret, scratch)}
        except BaseException as exc:  # noqa: BLE001 - report, never let the child escape
            out = {"error": repr(exc)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    shutil.rmtree(secret)
    shutil.rmtree(scratch, ignore_errors=True)
    return json.loads(data)


def _attempt(fn):
    try:
        return fn()
    except OSError as exc:
        return exc.errno


def _probe(secret, scratch):
    import errno

    with open(os.path.join(scratch, "mine.txt"), "w") as f:
        f.write("ok")
    return {
        "uid": os.getuid(),
        "secret": _attempt(lambda: os.listdir(secret)),
        "write_etc": _attempt(lambda: open("/etc/grader-jail-probe", "w")),
        "net": _attempt(lambda: socket.create_connection(("127.0.0.1", 9), timeout=1)),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "scratch": os.listdir(scratch),
        "enoent": errno.ENOENT,
    }


def test_unprivileged_worker_gets_every_layer(tmp_path):
    """As an ordinary user the jail uses user namespaces and every layer is active."""
    out = _confined(_probe, tmp_path)
    assert "error" not in out, out
    assert out["iso"]["level"] == "namespaces", out["iso"]
    # Every layer but a uid of its own, which only a root grader can give.
    assert {k for k, v in out["iso"]["layers"].items() if not v} == {"own_uid"}, out["iso"]
    assert out["uid"] == 1000  # the nested namespace's non-root id: no capabilities left
    assert out["secret"] == out["enoent"]  # outside the allow-listed system folders: absent
    assert isinstance(out["write_etc"], int)  # read-only filesystem
    assert isinstance(out["net"], int)  # no network
    assert out["pids"] == [1]  # alone in its PID namespace
    assert out["scratch"] == ["mine.txt"]


def test_jail_without_namespaces_degrades_to_rlimits(tmp_path):
    """With namespaces, Landlock and seccomp off, the level says rlimits and the limits are still
    set."""
    def probe(secret, scratch):
        import resource

        return {"nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0]}

    scratch = tempfile.mkdtemp()
    os.chown(scratch, USER, USER)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.setgroups([])
        os.setresgid(USER, USER, USER)
        os.setresuid(USER, USER, USER)
        iso = _jail.enter(_jail.JailConfig(scratch=scratch, namespaces=False, max_processes=7,
                                           disable=frozenset({"landlock", "seccomp"})))
        os.write(w, json.dumps({"iso": iso.as_dict(), **probe(None, scratch)}).encode())
        os._exit(0)
    os.close(w)
    out = json.loads(os.read(r, 1 << 16))
    os.waitpid(pid, 0)
    shutil.rmtree(scratch, ignore_errors=True)
    assert out["iso"]["level"] == "rlimits"
    assert out["nproc"] == 7


def test_fresh_tmp_keeps_the_interpreter_folders_inside_it():
    """A checkout (and its virtual environment) under /tmp survives the worker's fresh /tmp,
    while everything else in /tmp disappears."""
    keep = tempfile.mkdtemp(prefix="grader-keep-")
    other = tempfile.mkdtemp(prefix="grader-other-")
    with open(os.path.join(keep, "site.py"), "w") as f:
        f.write("x = 1\n")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _jail._check(_jail._libc.unshare(_jail.CLONE_NEWNS), "unshare")
            _jail._mount(None, "/", None, _jail.MS_REC | _jail.MS_PRIVATE)
            _jail._fresh_tmpfs("/tmp", "size=1m,mode=1777", keep=[keep])
            out = {"kept": os.listdir(keep), "other": os.path.exists(other)}
        except BaseException as exc:  # noqa: BLE001 - report, never let the child escape
            out = {"error": repr(exc)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    out = json.loads(os.read(r, 1 << 16))
    os.waitpid(pid, 0)
    shutil.rmtree(keep)
    shutil.rmtree(other)
    assert out == {"kept": ["site.py"], "other": False}
