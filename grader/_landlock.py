"""A small Landlock layer: let the calling process reach only the files it is granted.

Landlock (Linux 5.13+) is an unprivileged sandbox: after ``no_new_privs`` any process may restrict
itself, and every process it starts later, to a set of file hierarchies; it works in default
Docker containers and on CI runners where namespaces are refused. Once applied it cannot be
lifted. This module wraps its three system calls (numbers 444-446 on every architecture) with
ctypes and degrades by the kernel's ABI version:

- ABI 1+: file system access (read, write, execute, make/remove entries) beneath granted folders;
- ABI 2+: moving or linking a file between folders (``REFER``);
- ABI 3+: truncating files;
- ABI 4+: TCP ``bind`` and ``connect`` (``network``: all of them refused);
- ABI 5+: ioctl on devices;
- ABI 6+: ``scope``: no signals to processes outside the sandbox (so the sandboxed process cannot
  signal the grader, even under the same uid), no connecting to abstract unix sockets made outside.

API::

    ruleset = Ruleset()                  # raises OSError where Landlock is missing
    ruleset.allow("/usr", READ)          # a folder (and all beneath it) or a single file
    ruleset.allow(scratch, WRITE)
    ruleset.restrict_self()              # sets no_new_privs; from now on nothing else is reachable
    ruleset.abi, ruleset.network, ruleset.scope   # what the kernel enforces

Everything not granted is refused with ``EACCES`` ("Permission denied"), exactly as a file
mode would refuse it. Rights the running ABI does not know are dropped from each grant.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import sys

__all__ = ["EXECUTE_READ", "READ", "WRITE", "Ruleset", "abi_version"]

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# LANDLOCK_ACCESS_FS_* (include/uapi/linux/landlock.h)
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

#: Rights that make sense on a single file (the kernel refuses others on a non-folder).
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
#: Read a folder's files and list it.
READ = FS_READ_FILE | FS_READ_DIR
#: Read and run programs and shared libraries.
EXECUTE_READ = READ | FS_EXECUTE
#: Everything: the scratch folder.
WRITE = (1 << 16) - 1
#: File rights each ABI version handles (index = version).
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1,
              5: (1 << 16) - 1}


class _RulesetAttr(ctypes.Structure):
    _fields_ = (("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64))


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in the kernel's header: 12 bytes
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]


def _fail(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}")


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing or turned off."""
    if not sys.platform.startswith("linux"):
        return 0  # system call 444 means something else elsewhere
    try:
        rc = _libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                           ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except AttributeError:  # no syscall(): not Linux
        return 0
    return max(int(rc), 0)


class Ruleset:
    """A Landlock ruleset being built; ``restrict_self`` applies it to the calling process."""

    def __init__(self, *, network: bool = True, scope: bool = True) -> None:
        """``network``: also refuse every TCP bind/connect (ABI 4+); ``scope``: also refuse
        signals and abstract unix sockets reaching outside (ABI 6+)."""
        self.abi = abi_version()
        if self.abi <= 0:
            raise OSError(errno.ENOSYS, "Landlock is not available in this kernel")
        self.fs = _FS_BY_ABI.get(self.abi, _FS_BY_ABI[5])
        self.network = network and self.abi >= 4
        self.scope = scope and self.abi >= 6
        attr = _RulesetAttr(self.fs, NET_BIND_TCP | NET_CONNECT_TCP if self.network else 0,
                            SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if self.scope else 0)
        # Older kernels refuse a larger struct than they know: pass only the fields of this ABI.
        size = 24 if self.abi >= 6 else 16 if self.abi >= 4 else 8
        fd = _libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), ctypes.byref(attr),
                           ctypes.c_size_t(size), ctypes.c_uint32(0))
        if fd < 0:
            raise _fail("landlock_create_ruleset")
        self.fd = int(fd)

    def allow(self, path: str, rights: int) -> bool:
        """Grant ``rights`` beneath ``path`` (a folder) or on it (a file); ``False`` if the path
        cannot be opened (missing, or not reachable by this user)."""
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return False
        try:
            rights &= self.fs
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                rights &= _FILE_RIGHTS
            attr = _PathBeneathAttr(rights, fd)
            rc = _libc.syscall(ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(self.fd),
                               ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(attr),
                               ctypes.c_uint32(0))
            if rc != 0:
                raise _fail(f"landlock_add_rule {path}")
        finally:
            os.close(fd)
        return True

    def restrict_self(self) -> None:
        """Apply the ruleset to this thread (and every process it starts from now on)."""
        try:
            if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                raise _fail("no_new_privs")
            if _libc.syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(self.fd),
                             ctypes.c_uint32(0)) != 0:
                raise _fail("landlock_restrict_self")
        finally:
            self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
