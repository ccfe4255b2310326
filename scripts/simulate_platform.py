"""Run a command the way a platform without namespaces would run it, then exec it.

    python scripts/simulate_platform.py docker -- grader grade ASSIGNMENT SUBMISSION
    python scripts/simulate_platform.py user --uid 1000 -- grader grade ASSIGNMENT SUBMISSION

Modes (run this as root; the command inherits what is set here and can never undo it):

- ``docker``: root in a container with Docker's default profile, as Gradescope runs its
  autograders: a seccomp filter refusing ``unshare``, ``setns``, ``mount`` and ``clone`` with any
  namespace flag (EPERM), and ``clone3`` (ENOSYS, as Docker's profile does, so that C libraries
  fall back to ``clone``), and only Docker's default capabilities left in the bounding set (no
  CAP_SYS_ADMIN).
- ``user``: an ordinary user on a machine that refuses it namespaces (a GitHub-hosted runner
  without sudo, whose AppArmor policy restricts unprivileged user namespaces): the same filter,
  then the command runs under ``--uid`` (default 1000) with no supplementary groups and no
  capabilities.

``--no-landlock`` also refuses the Landlock calls (ENOSYS, as from a kernel built without it or
a container whose seccomp profile predates it): the platform then has no layer that keeps the
course's files from a worker of the same uid.

The filter comes from ``grader._seccomp`` (the grader's own seccomp layer), so the grader sees
exactly what a real platform's refusal looks like to it: ``unshare`` fails with EPERM. Used by
``tests/test_platforms.py`` and ``scripts/tally_hostile.py --level``.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grader import _seccomp  # noqa: E402 - the checkout's grader, found through ROOT

MODES = ("docker", "user")

#: Docker's default capability set (moby's oci/caps/defaults.go); every other one is dropped.
DOCKER_CAPS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_FSETID": 4,
               "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
               "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13, "CAP_SYS_CHROOT": 18,
               "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29, "CAP_SETFCAP": 31}
_PR_CAPBSET_DROP = 24
_LAST_CAP = 40

#: What Docker's default seccomp profile refuses of namespace creation to a process without
#: CAP_SYS_ADMIN (moby's profiles/seccomp/default.json).
NAMESPACE_RULES = (
    _seccomp.Rule("unshare"),
    _seccomp.Rule("setns"),
    _seccomp.Rule("mount"),
    _seccomp.Rule("umount2"),
    _seccomp.Rule("pivot_root"),
    _seccomp.Rule("clone", arg=0, mask=_seccomp.CLONE_NEW_ANY),
    _seccomp.Rule("clone3", errno=errno.ENOSYS),
)


LANDLOCK_RULES = tuple(_seccomp.Rule(name, errno=errno.ENOSYS) for name in (
    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"))


def refuse_namespaces(*, landlock: bool = True) -> None:
    """Install the filter in this process (and everything it execs); ``landlock=False`` refuses
    Landlock too."""
    _seccomp.install(NAMESPACE_RULES + (() if landlock else LANDLOCK_RULES))


def drop_to_docker_caps() -> None:
    """Keep only Docker's default capabilities in the bounding set: after exec, root has no
    more than a container's root (no CAP_SYS_ADMIN, CAP_SYS_PTRACE, ...)."""
    libc = ctypes.CDLL(None, use_errno=True)
    keep = set(DOCKER_CAPS.values())
    for cap in range(_LAST_CAP + 1):
        if cap not in keep and libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            if err != errno.EINVAL:  # EINVAL: a capability this kernel does not have
                raise OSError(err, f"PR_CAPBSET_DROP {cap}: {os.strerror(err)}")


def make_interpreter_reachable() -> None:
    """Let an ordinary user run this interpreter when it lives under a folder only root may
    enter (a Python built under /root, as on this project's CI machine; a runner's Python lives
    in a world-readable tool cache). In a mount namespace of this launcher's own, made before
    namespaces are refused, such a folder is covered by an empty tmpfs with only the
    interpreter's own child bound back: nothing else of it becomes visible."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]

    def check(rc: int, what: str) -> None:
        if rc != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{what}: {os.strerror(err)}")

    blocked: dict[Path, set[str]] = {}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        path = Path(prefix).resolve()
        for ancestor in [*reversed(path.parents)][1:]:
            if not ancestor.stat().st_mode & 0o001:
                blocked.setdefault(ancestor, set()).add(path.relative_to(ancestor).parts[0])
                break
    if not blocked:
        return
    check(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
    check(libc.mount(None, b"/", None, 16384 | (1 << 18), None), "make / private")
    for folder, children in blocked.items():
        handles = {c: os.open(folder / c, os.O_PATH | os.O_DIRECTORY) for c in children}
        check(libc.mount(b"tmpfs", str(folder).encode(), b"tmpfs", 2 | 4, b"mode=0755"),
              f"tmpfs on {folder}")
        for child, fd in handles.items():
            (folder / child).mkdir()
            check(libc.mount(f"/proc/self/fd/{fd}".encode(), str(folder / child).encode(), None,
                             4096 | 16384, None), f"bind {folder / child}")
            os.close(fd)


def become_user(uid: int) -> None:
    """Become an ordinary user for good (root's privileges are gone after this)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--uid", type=int, default=1000, help="the ordinary user (user mode)")
    parser.add_argument("--no-landlock", action="store_true",
                        help="refuse Landlock too (a kernel or profile without it)")
    parser.add_argument("command", nargs="*", help="the command to run, after --")
    argv = sys.argv[1:] if argv is None else argv
    # Everything after the first -- is the command, options of its own included.
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = args.command + argv[split + 1:]
    if not command:
        parser.error("no command given (put it after --)")
    if os.geteuid() != 0:
        parser.error("run as root: the simulation takes privileges away, it cannot add them")
    if args.mode == "docker":
        drop_to_docker_caps()
    else:
        make_interpreter_reachable()
    refuse_namespaces(landlock=not args.no_landlock)
    if args.mode == "user":
        become_user(args.uid)
        os.environ["HOME"] = os.environ.get("TMPDIR", "/tmp")
    os.execvp(command[0], command)
    return 127  # not reached: execvp replaces this process or raises


if __name__ == "__main__":
    sys.exit(main())
