"""Run a command the way Gradescope's container runs it: new namespaces and mounts are refused.

    python tests/no_namespaces.py COMMAND [ARG ...]

Installs a seccomp filter like Docker's default profile (``unshare``, ``setns``, ``mount`` and
``clone`` with a namespace flag fail with EPERM; ``clone3`` fails with ENOSYS, so the C library
falls back to ``clone``, whose flags a filter can read), then execs the command, which keeps the
filter, as do all its children. x86_64 only (the filter names that architecture's syscall
numbers); elsewhere it exits 77 without running anything.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AUDIT_ARCH_X86_64 = 0xC000003E
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
NR = {"clone": 56, "mount": 165, "unshare": 272, "setns": 308, "clone3": 435}
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 \
    | 0x20000000 | 0x40000000


class _Filter(ctypes.Structure):
    _fields_ = (("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint))


class _Prog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter)))


def program() -> list[tuple[int, int, int, int]]:
    """The BPF program: (code, jump if true, jump if false, k); jumps count from the next."""
    deny = (RET_K, 0, 0, RET_ERRNO | errno.EPERM)
    allow = (RET_K, 0, 0, RET_ALLOW)
    return [
        (LD_W_ABS, 0, 0, 4),                    # 0: seccomp_data.arch
        (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),       # 1: x86_64 -> 3
        deny,                                   # 2: another ABI (x32, i386): refuse it all
        (LD_W_ABS, 0, 0, 0),                    # 3: seccomp_data.nr
        (JEQ_K, 7, 0, NR["unshare"]),           # 4: -> 12 deny
        (JEQ_K, 6, 0, NR["setns"]),             # 5: -> 12 deny
        (JEQ_K, 5, 0, NR["mount"]),             # 6: -> 12 deny
        (JEQ_K, 6, 0, NR["clone3"]),            # 7: -> 14 ENOSYS
        (JEQ_K, 1, 0, NR["clone"]),             # 8: -> 10
        allow,                                  # 9
        (LD_W_ABS, 0, 0, 16),                   # 10: low half of clone's flags (args[0])
        (JSET_K, 0, 1, NAMESPACE_FLAGS),        # 11: any namespace flag -> 12 deny, else 13
        deny,                                   # 12
        allow,                                  # 13 (clone without namespace flags)
        (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),  # 14: clone3
    ]


def install() -> None:
    """Refuse new namespaces and mounts to this process and everything it starts."""
    libc = ctypes.CDLL(None, use_errno=True)
    prog = program()
    array = (_Filter * len(prog))(*[_Filter(*ins) for ins in prog])
    fprog = _Prog(len(prog), array)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def main(argv: list[str]) -> None:
    if platform.machine() != "x86_64" or not sys.platform.startswith("linux"):
        sys.exit(77)
    install()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
