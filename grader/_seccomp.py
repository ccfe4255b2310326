"""A small seccomp layer: refuse chosen system calls with an errno, nothing else to install.

Builds a classic BPF program for ``seccomp(2)`` mode ``SECCOMP_MODE_FILTER`` and installs it with
``prctl(PR_SET_SECCOMP)`` after ``prctl(PR_SET_NO_NEW_PRIVS)`` (which lets an unprivileged process
install one). The filter is a deny list: every call not named by a rule is allowed. It survives
``fork`` and ``execve`` and can never be removed; a later filter only narrows it further.

API::

    from grader import _seccomp
    _seccomp.install([
        _seccomp.Rule("unshare"),                                   # any call -> EPERM
        _seccomp.Rule("clone", arg=0, mask=_seccomp.CLONE_NEW_ANY),  # any of those bits set
        _seccomp.Rule("fcntl", arg=1, equals=6),                    # F_SETLK only
        _seccomp.Rule("clone3", errno=errno.ENOSYS),                # "not implemented"
        _seccomp.Rule("kexec_load", errno=None),                    # kill the process
    ])

``Rule(syscall, errno=EPERM, arg=None, mask=None, equals=None)`` matches a call by name, and when
``arg`` (0-5) is given also by that argument's 64-bit value:

- ``equals`` only: the argument equals it;
- ``mask`` and ``equals``: ``argument & mask == equals``;
- ``mask`` only: ``argument & mask != 0`` (any of the bits set).

Rules are tried in order and the first match decides; ``errno=None`` kills the process instead of
failing the call. Names unknown on the running architecture (``fork`` on aarch64, say) are
skipped, so one rule list serves every architecture. ``supported()`` says whether this machine can
install a filter at all; ``install`` raises ``OSError`` when the kernel refuses.

Architecture: the program first checks ``seccomp_data.arch``; a call made through another ABI
(32-bit ``int 0x80`` on x86_64) fails with EPERM (or kills, ``on_other_arch=None``), since its
numbers mean other calls. On x86_64 the x32 ABI (numbers with bit 30 set) is refused the same way.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["CLONE_NEW_ANY", "SYSCALLS", "Rule", "build", "install", "supported"]

# <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_PR_GET_SECCOMP = 21
_SECCOMP_MODE_FILTER = 2
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_BPF_AND_K = 0x54  # BPF_ALU | BPF_AND | BPF_K
_BPF_RET_K = 0x06  # BPF_RET | BPF_K
_X32_BIT = 0x40000000

#: Every CLONE_NEW* flag (namespace, mount namespace, cgroup, time): a clone with any of them
#: creates a namespace.
CLONE_NEW_ANY = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
                 | 0x40000000 | 0x00000080)

# Numbers from the kernel's tables (arch/x86/entry/syscalls/syscall_64.tbl and the generic
# include/uapi/asm-generic/unistd.h that aarch64 uses); tests check them against the system
# headers where those are installed.
_X86_64 = {
    "read": 0, "write": 1, "getpid": 39, "socket": 41, "connect": 42, "accept": 43, "bind": 49,
    "listen": 50, "socketpair": 53, "clone": 56, "fork": 57, "vfork": 58, "kill": 62,
    "fcntl": 72, "flock": 73, "ptrace": 101, "syslog": 103, "setpgid": 109, "setsid": 112,
    "uselib": 134, "personality": 135, "vhangup": 153, "pivot_root": 155, "adjtimex": 159,
    "chroot": 161, "acct": 163, "settimeofday": 164, "mount": 165, "umount2": 166,
    "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171,
    "iopl": 172, "ioperm": 173, "init_module": 175, "delete_module": 176, "quotactl": 179,
    "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "tkill": 200, "lookup_dcookie": 212,
    "clock_settime": 227, "tgkill": 234,
    "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
    "accept4": 288, "perf_event_open": 298, "fanotify_init": 300, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "kcmp": 312, "finit_module": 313, "seccomp": 317,
    "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323, "pidfd_send_signal": 424,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "pidfd_open": 434, "clone3": 435, "pidfd_getfd": 438, "mount_setattr": 442,
    "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
}
_AARCH64 = {
    "read": 63, "write": 64, "getpid": 172, "socket": 198, "connect": 203, "accept": 202,
    "bind": 200, "listen": 201, "socketpair": 199, "clone": 220, "kill": 129, "fcntl": 25,
    "flock": 32, "ptrace": 117, "syslog": 116, "setpgid": 154, "setsid": 157,
    "personality": 92, "vhangup": 58, "pivot_root": 41, "adjtimex": 171, "chroot": 51,
    "acct": 89, "settimeofday": 170, "mount": 40, "umount2": 39, "swapon": 224, "swapoff": 225,
    "reboot": 142, "sethostname": 161, "setdomainname": 162, "init_module": 105,
    "delete_module": 106, "quotactl": 60, "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240,
    "tkill": 130, "lookup_dcookie": 18,
    "clock_settime": 112, "tgkill": 131, "kexec_load": 104, "add_key": 217, "request_key": 218,
    "keyctl": 219, "unshare": 97, "accept4": 242, "perf_event_open": 241, "fanotify_init": 262,
    "name_to_handle_at": 264, "open_by_handle_at": 265, "clock_adjtime": 266, "setns": 268,
    "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272, "finit_module": 273,
    "seccomp": 277, "kexec_file_load": 294, "bpf": 280, "userfaultfd": 282,
    "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435,
    "pidfd_getfd": 438, "mount_setattr": 442, "landlock_create_ruleset": 444,
    "landlock_add_rule": 445, "landlock_restrict_self": 446,
}
# AUDIT_ARCH_X86_64 = EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE; likewise for aarch64.
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}
_ARCHES["amd64"] = _ARCHES["x86_64"]
_ARCHES["arm64"] = _ARCHES["aarch64"]


def _arch() -> tuple[int, dict[str, int]] | None:
    return _ARCHES.get(platform.machine().lower())


#: System call numbers of the running architecture (empty where this layer is unsupported).
SYSCALLS: dict[str, int] = dict(_ARCHES.get(platform.machine().lower(), (0, {}))[1])


@dataclass(frozen=True)
class Rule:
    """One refused system call (or one form of it)."""

    syscall: str
    """Name as in the kernel's table (``clone``, ``socket``, ``umount2``)."""
    errno: int | None = _errno.EPERM
    """What the call fails with; ``None`` kills the process instead."""
    arg: int | None = None
    """Which argument (0-5) the rule also looks at; ``None``: every call by that name matches."""
    mask: int | None = None
    """Bits of the argument that count (see the module docstring)."""
    equals: int | None = None
    """Value the masked argument must have (see the module docstring)."""

    def __post_init__(self) -> None:
        if self.arg is not None and not 0 <= self.arg <= 5:
            raise ValueError(f"arg must be 0-5, not {self.arg}")
        if self.arg is not None and self.mask is None and self.equals is None:
            raise ValueError(f"a rule on argument {self.arg} of {self.syscall} needs mask or "
                             "equals")
        if self.arg is None and (self.mask is not None or self.equals is not None):
            raise ValueError(f"mask/equals of {self.syscall} given without arg")
        if self.errno is not None and not 0 < self.errno < 4096:
            raise ValueError(f"errno must be 1-4095, not {self.errno}")


def _action(errno: int | None) -> int:
    return _RET_KILL_PROCESS if errno is None else _RET_ERRNO | errno


class _Asm:
    """Instructions with symbolic jump targets; ``link`` turns labels into offsets."""

    def __init__(self) -> None:
        self.code: list[tuple[int, int | str, int | str, int]] = []
        self.labels: dict[str, int] = {}

    def op(self, code: int, k: int, jt: int | str = 0, jf: int | str = 0) -> None:
        self.code.append((code, jt, jf, k & 0xFFFFFFFF))

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def link(self) -> list[tuple[int, int, int, int]]:
        out = []
        for i, (code, jt, jf, k) in enumerate(self.code):
            offsets = []
            for target in (jt, jf):
                off = self.labels[target] - i - 1 if isinstance(target, str) else target
                if not 0 <= off <= 255:
                    raise ValueError("seccomp program too large for an 8-bit jump")
                offsets.append(off)
            out.append((code, offsets[0], offsets[1], k))
        return out


def build(rules: Iterable[Rule], *, on_other_arch: int | None = _errno.EPERM,
          machine: str | None = None) -> list[tuple[int, int, int, int]]:
    """The BPF program for ``rules`` as ``(code, jt, jf, k)`` tuples (for tests and reading)."""
    arch = _ARCHES.get((machine or platform.machine()).lower())
    if arch is None:
        raise OSError(_errno.ENOSYS,
                      f"seccomp filters are not built for {machine or platform.machine()}")
    audit_arch, table = arch
    a = _Asm()
    a.op(_BPF_LD_W_ABS, 4)  # seccomp_data.arch
    a.op(_BPF_JEQ_K, audit_arch, 1, 0)
    a.op(_BPF_RET_K, _action(on_other_arch))
    a.op(_BPF_LD_W_ABS, 0)  # seccomp_data.nr
    if audit_arch == _ARCHES["x86_64"][0]:
        a.op(_BPF_JGE_K, _X32_BIT, 0, 1)
        a.op(_BPF_RET_K, _action(on_other_arch))
    for n, rule in enumerate(rules):
        nr = table.get(rule.syscall)
        if nr is None:
            continue
        nxt = f"next{n}"
        a.op(_BPF_JEQ_K, nr, 0, nxt)
        if rule.arg is not None:
            lo, hi = 16 + 8 * rule.arg, 20 + 8 * rule.arg  # little-endian halves of args[i]
            mask = 0xFFFFFFFFFFFFFFFF if rule.mask is None else rule.mask
            if rule.equals is None:  # any bit of the mask set: low half OR high half
                a.op(_BPF_LD_W_ABS, lo)
                a.op(_BPF_AND_K, mask)
                a.op(_BPF_JEQ_K, 0, 0, f"hit{n}")
                a.op(_BPF_LD_W_ABS, hi)
                a.op(_BPF_AND_K, mask >> 32)
                a.op(_BPF_JEQ_K, 0, f"reload{n}", f"hit{n}")
            else:  # masked value equal: low half AND high half
                a.op(_BPF_LD_W_ABS, lo)
                a.op(_BPF_AND_K, mask)
                a.op(_BPF_JEQ_K, rule.equals, 0, f"reload{n}")
                a.op(_BPF_LD_W_ABS, hi)
                a.op(_BPF_AND_K, mask >> 32)
                a.op(_BPF_JEQ_K, (rule.equals >> 32) & mask >> 32, f"hit{n}", f"reload{n}")
            a.label(f"hit{n}")
            a.op(_BPF_RET_K, _action(rule.errno))
            a.label(f"reload{n}")
            a.op(_BPF_LD_W_ABS, 0)  # the accumulator held the argument: nr again
        else:
            a.op(_BPF_RET_K, _action(rule.errno))
        a.label(nxt)
    a.op(_BPF_RET_K, _RET_ALLOW)
    return a.link()


class _SockFilter(ctypes.Structure):
    _fields_ = (("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32))


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter)))


_libc = ctypes.CDLL(None, use_errno=True)
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]


def supported() -> bool:
    """Whether this machine can install a filter (Linux on x86_64 or aarch64, seccomp built in)."""
    if _arch() is None or not sys.platform.startswith("linux"):
        return False
    try:
        return _libc.prctl(_PR_GET_SECCOMP, 0, 0, 0, 0) >= 0
    except AttributeError:  # no prctl: not Linux
        return False


def install(rules: Sequence[Rule] | Iterable[Rule], *,
            on_other_arch: int | None = _errno.EPERM) -> int:
    """Install a filter refusing ``rules`` in the calling thread (and all it starts later).

    Sets ``no_new_privs`` first (required unprivileged, and it keeps a setuid program from
    undoing the filter). Returns the number of BPF instructions; raises ``OSError`` if refused.
    Call it from a single-threaded process: other threads keep running unfiltered.
    """
    program = build(rules, on_other_arch=on_other_arch)
    insns = (_SockFilter * len(program))(*[_SockFilter(*i) for i in program])
    prog = _SockFprog(len(program), insns)
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"no_new_privs: {_errno_text(err)}")
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp filter refused: {_errno_text(err)}")
    return len(program)


def _errno_text(err: int) -> str:
    return os.strerror(err)
