"""Confine the worker process before it runs any student code (Linux namespaces + rlimits).

Runs inside the worker, after the worker has imported what it needs and before the submission is
loaded. Each layer is tried on its own and recorded; what the platform refuses is skipped, so the
worker degrades to fewer layers instead of failing, and the report says which layers were active.

Layers, strongest setup (root, or unprivileged user namespaces):
- new PID namespace: the worker is PID 1 of its own tree; it cannot see or signal the grader, other
  workers or anything else on the machine, and every process it starts dies with it;
- new network namespace: no interface but a downed loopback, so no connection to anything;
- new mount namespace: a fresh /proc (only the worker's own processes), every existing mount
  remounted read-only, empty tmpfs over the grader's and assignments' folders, size-limited tmpfs
  for the scratch folder, /tmp, /var/tmp and /dev/shm;
- a user id of its own with no capabilities and ``no_new_privs``, so nothing above can be undone;
- rlimits: address space, CPU seconds, processes, file size, open files, no core dumps.

Layers that need no namespaces (Docker's default profile, CI runners, an ordinary user), applied
with namespaces too, as a second wall:
- Landlock (``grader._landlock``): the worker may read only the interpreter's folders and the
  system folders, and read and write only its scratch folder (and, with a mount namespace, its
  private /tmp); the grader's checkout, hidden tests, reference, other workers' scratch and every
  /proc entry stay unreachable; with ABI 4+ every TCP bind/connect is refused, with ABI 6+ so are
  signals to processes outside the worker (the grader, the other half of a split grade);
- seccomp (``grader._seccomp``): no ``socket``, ``ptrace``, namespace or mount calls, ``bpf``,
  keyrings, ``io_uring``, kernel modules; no ``setsid``/``setpgid`` (the whole worker tree stays
  in the process group the grader kills) and no file locks (a channel between two workers);
- the parent-death signal, set again after the uid change (which clears it);
- as root: a uid of the worker's own, so the grader can sweep every process of it afterwards.
Each can be switched off alone (``JailConfig.disable``) to test the others.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import resource
import signal
import sys
from dataclasses import dataclass, field

from grader import _landlock, _seccomp

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_MOVE = 8192
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24

#: Base of the unprivileged user ids given to workers (when the grader runs as root): the worker
#: whose outer process has pid P runs as WORKER_UID_BASE + P, unique while P is not reaped, so a
#: sweep of that uid (``kill_uid``) reaches that worker's processes and nobody else's.
WORKER_UID_BASE = 200_000

#: Layers ``JailConfig.disable`` can switch off (for tests and for platforms that break one).
LAYERS = frozenset({"namespaces", "landlock", "seccomp"})


def worker_uid_of(pid: int) -> int:
    """The uid a root grader's worker started as process ``pid`` runs under."""
    return WORKER_UID_BASE + pid


@dataclass
class JailConfig:
    """What the worker must confine itself to."""

    scratch: str
    """Folder the submission's files are written to and the only writable place (tmpfs)."""
    hide: list[str] = field(default_factory=list)
    """Folders that must look empty to the submission (assignments, reference, grader, others)."""
    memory_mb: int = 1024
    """Address-space limit."""
    cpu_seconds: int = 120
    """CPU time limit of the worker (SIGXCPU, then SIGKILL)."""
    max_processes: int = 32
    """Processes and threads of the worker's user id."""
    file_mb: int = 64
    """Largest file the worker may write, and the size of each tmpfs it gets."""
    open_files: int = 256
    """Open file descriptors."""
    namespaces: bool = True
    """Try namespaces at all (``False`` is the same as ``"namespaces"`` in ``disable``)."""
    disable: frozenset[str] = frozenset()
    """Layers not to apply, from ``LAYERS`` (tests force each platform's set of layers)."""


@dataclass
class Isolation:
    """Which layers are active in the worker; copied into every report."""

    level: str = "none"
    """``namespaces`` (all namespace layers), ``partial`` (some), ``landlock`` (no namespaces, but
    Landlock keeps files unreachable and Landlock or seccomp the network), or ``rlimits`` (process
    limits only)."""
    layers: dict[str, bool] = field(default_factory=dict)
    """Each layer and whether it is active."""
    notes: list[str] = field(default_factory=list)
    """Why a layer is missing."""

    def as_dict(self) -> dict[str, object]:
        return {"level": self.level, "layers": dict(self.layers), "notes": list(self.notes)}


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def enter(cfg: JailConfig) -> Isolation:
    """Confine the calling process; returns what is active.

    This forks: the caller's process stays outside (of the PID namespace, if there is one) only
    to wait for the confined child and exit with its status, and the child returns from this
    function (see ``_fork_waiter``).
    """
    iso = Isolation()
    layers = iso.layers
    unknown = set(cfg.disable) - LAYERS
    if unknown:
        raise ValueError(f"unknown layers to disable: {sorted(unknown)}; known: {sorted(LAYERS)}")
    use_ns = cfg.namespaces and "namespaces" not in cfg.disable
    parent = os.getppid()
    uid = os.geteuid()
    gid = os.getegid()  # read before unshare: inside an unmapped namespace it reads as 65534
    # One uid per worker, taken from the outer pid (unique among live workers), so per-user limits
    # such as the process count of one submission never starve another graded at the same time.
    worker_uid = worker_uid_of(os.getpid())
    ns_ok = _unshare(iso, uid, gid) if use_ns else False
    if not use_ns:
        iso.notes.append("namespaces switched off")
    for name in ("pid_namespace", "network_namespace", "mount_namespace"):
        layers[name] = ns_ok
    if ns_ok:
        _fork_waiter(cfg.cpu_seconds, namespace=True)
        # Only real root hands the scratch folder to another uid; inside a user namespace
        # geteuid() reads 0 but no other uid is mapped.
        _private_mounts(cfg, iso, worker_uid if uid == 0 else None)
    else:
        # The same waiting parent without a namespace: on the grader's death it kills the
        # worker's process group and (as root) sweeps the worker's uid, so children of the
        # worker do not outlive a killed grader either.
        _fork_waiter(cfg.cpu_seconds, namespace=False, sweep=worker_uid if uid == 0 else None)
        parent = os.getppid()
        layers.update(readonly_filesystem=False, hidden_paths=False, scratch_tmpfs=False)
        if uid == 0:
            # The worker drops to its own uid below; its scratch folder must stay writable.
            os.chown(cfg.scratch, worker_uid, worker_uid)
            iso.notes.append("without a mount namespace, modules in folders the worker's uid "
                             "cannot read are unavailable to the submission")
    _drop_privileges(uid, worker_uid, ns_ok, iso)
    layers["own_uid"] = uid == 0 and layers.get("unprivileged", False)
    if uid != 0 and not ns_ok:
        iso.notes.append("the worker shares the grader's uid (only root can give it one of its "
                         "own), so its processes are not swept by uid after grading")
    # setresuid cleared the parent-death signal set at start (a worker that then left the
    # grader's process group outlived a killed grader); set it again now the uid is final.
    _die_with(parent if not ns_ok else None)
    _set_limits(cfg, iso)
    # In a PID namespace the grader's pids mean nothing (and cannot be reached anyway).
    protect = [] if ns_ok else _ancestors()
    _apply_landlock(cfg, iso, ns_ok)
    _apply_seccomp(cfg, iso, protect)
    iso.level = _level(layers)
    return iso


def _unshare(iso: Isolation, uid: int, gid: int) -> bool:
    """Enter new namespaces (and map our user id in a user namespace); ``False`` if refused."""
    if not sys.platform.startswith("linux"):
        return False
    ns_ok = False
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if uid != 0:
        flags |= CLONE_NEWUSER
    if uid != 0:
        # A process that changed its uid is not "dumpable", and then may not write its own
        # /proc/self/uid_map; an ordinary user's process is, and this makes sure of it.
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        _check(_libc.unshare(flags), "unshare")
    except OSError as exc:
        iso.notes.append(f"namespaces unavailable ({exc.strerror})")
    else:
        ns_ok = True
        if uid != 0:
            try:
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", f"0 {uid} 1")
                _write("/proc/self/gid_map", f"0 {gid} 1")
            except OSError as exc:
                # Unmapped, the namespace grants nothing usable: no mounts, no isolation of
                # files. Process limits still apply below.
                ns_ok = False
                iso.notes.append(f"user namespace could not be mapped ({exc.strerror})")
    return ns_ok


def _level(layers: dict[str, bool]) -> str:
    core = ("pid_namespace", "network_namespace", "mount_namespace", "readonly_filesystem",
            "hidden_paths", "unprivileged")
    if all(layers.get(k) for k in core):
        return "namespaces"
    if any(layers.get(k) for k in core if k != "unprivileged"):
        return "partial"
    if layers.get("landlock") and layers.get("unprivileged") and (
            layers.get("landlock_network") or layers.get("seccomp")):
        return "landlock"
    return "rlimits"


def _die_with(parent: int | None) -> None:
    """Set the parent-death signal; exit at once if ``parent`` is already gone (``None``: in a
    PID namespace, where the parent is outside and ``getppid`` says 0)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


#: System folders the interpreter may read (and run programs from) besides its own folders.
SYSTEM_READ = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc",
               "/sys/devices/system/cpu")  # the C library counts processors there
#: Device files a program may open for reading and writing.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def _apply_landlock(cfg: JailConfig, iso: Isolation, ns_ok: bool) -> None:
    layers = iso.layers
    for name in ("landlock", "landlock_network", "landlock_scope"):
        layers[name] = False
    if "landlock" in cfg.disable:
        iso.notes.append("Landlock switched off")
        return
    try:
        ruleset = _landlock.Ruleset()
    except OSError as exc:
        iso.notes.append(f"Landlock unavailable ({exc.strerror}); files are protected only by "
                         "their modes" + (" and the mount namespace" if ns_ok else ""))
        return
    hidden = [os.path.realpath(h) for h in cfg.hide]
    try:
        for path in [*interpreter_paths(), *SYSTEM_READ]:
            _grant(ruleset, path, _landlock.EXECUTE_READ, hidden)
        for dev in DEVICES:
            ruleset.allow(dev, _landlock.WRITE)
        writable = [cfg.scratch]
        if ns_ok:  # each a fresh tmpfs of this worker alone (see _private_mounts)
            writable += ["/tmp", "/var/tmp", "/dev/shm"]
        if layers.get("private_proc"):  # shows the worker's own processes only
            ruleset.allow("/proc", _landlock.READ)
        for path in writable:
            ruleset.allow(path, _landlock.WRITE)
        ruleset.restrict_self()
    except OSError as exc:
        ruleset.close()
        iso.notes.append(f"Landlock not applied ({exc.strerror})")
        return
    layers["landlock"] = True
    layers["landlock_network"] = ruleset.network
    layers["landlock_scope"] = ruleset.scope
    if not ruleset.network:
        iso.notes.append(f"Landlock ABI {ruleset.abi} cannot refuse TCP connections (needs 4, "
                         "Linux 6.7)")
    if not ruleset.scope:
        iso.notes.append(f"Landlock ABI {ruleset.abi} cannot refuse signals to the grader "
                         "(needs 6, Linux 6.12)")


def _grant(ruleset: _landlock.Ruleset, path: str, rights: int, hidden: list[str]) -> None:
    """Grant ``path``, except the hidden folders inside it: a folder holding one (a checkout
    on ``sys.path``, site-packages holding the grader) is granted child by child."""
    path = os.path.realpath(path)
    if any(_inside(path, h) for h in hidden):
        return
    if not any(_inside(h, path) for h in hidden):
        ruleset.allow(path, rights)
        return
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        _grant(ruleset, os.path.join(path, name), rights, hidden)


def _worker_rules() -> list[_seccomp.Rule]:
    """System calls the worker never needs once confined: each fails with EPERM, so the student
    sees an ordinary Python error (``PermissionError``), not a killed process."""
    denied = (
        # Networking: the worker talks to the grader over inherited pipes only. socketpair
        # stays (a local pair reaches nothing; multiprocessing uses it).
        "socket",
        # Other processes' memory and files.
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        # Undoing the confinement: namespaces and mounts.
        "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree",
        "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        # Kernel attack surface an unprivileged program has no use for.
        "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "io_uring_setup",
        "io_uring_enter", "io_uring_register", "userfaultfd", "kexec_load", "kexec_file_load",
        "init_module", "finit_module", "delete_module", "name_to_handle_at",
        "open_by_handle_at", "acct", "swapon", "swapoff", "reboot", "sethostname",
        "setdomainname", "iopl", "ioperm", "quotactl", "syslog", "lookup_dcookie", "uselib",
        "vhangup", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
        "fanotify_init",
        # Leaving the process group the grader kills (a setsid daemon outlived the grading).
        "setsid", "setpgid",
        # File locks: two workers of one grade both see /usr, and a lock there is a channel.
        "flock",
    )
    rules = [_seccomp.Rule(name) for name in denied]
    rules.append(_seccomp.Rule("clone", arg=0, mask=_seccomp.CLONE_NEW_ANY))
    # clone3 passes its flags in memory a filter cannot read: "not implemented" makes the C
    # library fall back to clone, whose flags are checked above.
    rules.append(_seccomp.Rule("clone3", errno=errno.ENOSYS))
    # F_GETLK, F_SETLK, F_SETLKW, their open-file-description forms, leases, dnotify.
    for cmd in (5, 6, 7, 36, 37, 38, 1024, 1025, 1026):
        rules.append(_seccomp.Rule("fcntl", arg=1, mask=0xFFFFFFFF, equals=cmd))
    return rules


#: Calls that send a signal, or open a process to signal, with the target pid as argument 0.
_SIGNAL_CALLS = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open")


def _protect(pids: list[int]) -> list[_seccomp.Rule]:
    """Rules refusing signals to ``pids`` (the grader and the processes between it and the
    worker) and to their process groups, and ``kill(-1)``. Where the worker shares the grader's
    uid and Landlock cannot scope signals (ABI < 6), nothing else stops it killing the grader.
    Pids are C ints: only the low half of the register counts."""
    low = 0xFFFFFFFF
    rules = [_seccomp.Rule("kill", arg=0, mask=low, equals=-1 & low)]
    for pid in pids:
        rules += [_seccomp.Rule(name, arg=0, mask=low, equals=pid) for name in _SIGNAL_CALLS]
        rules.append(_seccomp.Rule("kill", arg=0, mask=low, equals=-pid & low))
    return rules


def _ancestors(limit: int = 4) -> list[int]:
    """Pids of this process's parent, its parent's parent, ... (read before /proc is closed)."""
    out: list[int] = []
    pid = os.getppid()
    while pid > 1 and len(out) < limit:
        out.append(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return out


def _apply_seccomp(cfg: JailConfig, iso: Isolation, protect: list[int]) -> None:
    iso.layers["seccomp"] = False
    if "seccomp" in cfg.disable:
        iso.notes.append("seccomp switched off")
        return
    if not _seccomp.supported():
        iso.notes.append("seccomp unavailable on this machine")
        return
    try:
        _seccomp.install([*_worker_rules(), *_protect(protect)])
    except OSError as exc:
        iso.notes.append(f"seccomp filter not installed ({exc.strerror})")
        return
    iso.layers["seccomp"] = True


def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (a root grader's worker uid; see ``worker_uid_of``).

    The worker's process group is not enough without a PID namespace: a child that left it (a
    ``setsid`` daemon where seccomp is missing) or one forked while the group was being killed
    lives on. A forked child takes that uid and sends SIGKILL to everything it may signal, which
    is exactly that uid's processes (never itself, never root's). Needs root."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked child
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(3):  # children forked while the first signal went out
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except InterruptedError:
            continue


def die_with_parent() -> None:
    """Be killed when the process that started us dies (so a killed grader leaves nothing)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before the line above took effect
        os._exit(1)


def _fork_waiter(cpu_seconds: float, *, namespace: bool, sweep: int | None = None) -> None:
    """Fork; the child returns and becomes the worker, the parent only waits for it and exits
    as it did. This parent runs no student code and keeps the grader's uid.

    With a PID namespace (``namespace``): after unshare(CLONE_NEWPID) only children enter the
    new namespace. The child is the namespace's init, which the kernel spares SIGXCPU: over its
    CPU limit it runs on to the hard limit and gets SIGKILL. The parent sees its CPU time and
    passes such a death on as SIGXCPU, so the student hears it was CPU time, not "killed".

    Without one, the waiting parent stands where the namespace would: when the grader dies, it
    kills the worker's process group and (``sweep``: the worker's own uid, as root) every process
    of that uid, so no child of the worker outlives a killed grader."""
    grader = os.getppid()
    pid = os.fork()
    if pid == 0:
        # If the waiting parent is killed (the grader kills it on timeout), PID 1 dies, and the
        # kernel then kills every process of the namespace: nothing outlives the grading.
        # (Set again once the worker's uid is final: changing it clears this.)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        return

    def stop(_sig: int, _frame: object) -> None:
        with contextlib.suppress(OSError):  # the worker may be gone already
            os.kill(pid, signal.SIGKILL)
        if not namespace:
            if sweep is not None:
                kill_uid(sweep)
            os.killpg(0, signal.SIGKILL)  # the worker's group, this process included

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    # The child is the namespace's init, and init ignores a parent-death SIGKILL (the kernel
    # treats it like a signal from inside the namespace), so it outlived a killed grader. This
    # process runs no student code: it turns the grader's death into a SIGTERM, and the handler
    # above kills the child from outside its namespace, where SIGKILL cannot be ignored.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != grader:
        stop(signal.SIGTERM, None)
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        ended_by = os.WTERMSIG(status)
        if ended_by == signal.SIGKILL and usage.ru_utime + usage.ru_stime >= cpu_seconds:
            ended_by = signal.SIGXCPU
        if ended_by not in (signal.SIGKILL, signal.SIGSTOP):
            # Neither can have a handler: signal.signal would raise and this process would exit
            # with status 1, turning "killed" (memory, CPU, an operator) into "the student exited".
            signal.signal(ended_by, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), ended_by)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _mountpoints() -> list[tuple[str, set[str]]]:
    """Mount points with their per-mount options, from /proc/self/mountinfo."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            mp = parts[4].replace("\\040", " ")
            out.append((mp, set(parts[5].split(","))))
    return out


_OPT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
              "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}


def _private_mounts(cfg: JailConfig, iso: Isolation, worker_uid: int | None) -> None:
    layers = iso.layers
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        layers["private_proc"] = True
    except OSError as exc:
        layers["private_proc"] = False
        iso.notes.append(f"fresh /proc not mounted ({exc.strerror})")
    size = f"size={cfg.file_mb}m"
    needed = interpreter_paths()
    writable = []
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(path):
            try:
                _fresh_tmpfs(path, f"{size},mode=1777", keep=needed)
                writable.append(path)
            except OSError as exc:
                iso.notes.append(f"could not mount tmpfs on {path} ({exc.strerror})")
    hidden_ok = _hide_top_level(needed, iso)
    _make_reachable(needed, iso)
    for path in cfg.hide:
        if not os.path.isdir(path) or path in writable:
            continue  # a fresh tmpfs already shows nothing of what was there
        if any(_inside(p, path) for p in [*needed, cfg.scratch]):
            iso.notes.append(f"{path} not hidden: the interpreter or scratch folder is inside it")
            continue
        try:
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=000")
        except OSError as exc:
            hidden_ok = False
            iso.notes.append(f"could not hide {path} ({exc.strerror})")
    layers["hidden_paths"] = hidden_ok
    _remount_readonly(iso, writable)
    owner = f",uid={worker_uid},gid={worker_uid}" if worker_uid is not None else ""
    try:
        os.makedirs(cfg.scratch, exist_ok=True)
        _mount("tmpfs", cfg.scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"{size},mode=0700{owner}")
        layers["scratch_tmpfs"] = True
    except OSError as exc:
        layers["scratch_tmpfs"] = False
        iso.notes.append(f"could not mount tmpfs on the scratch folder ({exc.strerror})")


def _remount_readonly(iso: Isolation, writable: list[str]) -> None:
    """Every mount the worker can reach, read-only (its own tmpfs folders excepted)."""
    failed = []
    mounts = _mountpoints()
    # A mount covered by a later one at or above its place is unreachable: nothing to protect.
    visible = [(mp, opts) for i, (mp, opts) in enumerate(mounts)
               if not any(_inside(mp, later) for later, _ in mounts[i + 1:])]
    for mp, opts in sorted(visible, key=lambda m: len(m[0])):
        if mp in writable or mp.startswith(("/proc", "/sys")):
            continue  # pseudo-filesystems: permissions, not the mount flag, protect them
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for opt, bit in _OPT_FLAGS.items():
            if opt in opts:
                flags |= bit
        try:
            _mount(None, mp, None, flags)
        except OSError:
            failed.append(mp)
    iso.layers["readonly_filesystem"] = not failed
    if failed:
        iso.notes.append(f"could not make read-only: {', '.join(failed[:5])}")


#: Top-level folders the worker sees as they are (read-only): the system it runs on. Every other
#: one (/home, /root, /work, /srv, /opt, /var, /run, /mnt, ...) is replaced by an empty tmpfs, with
#: only the interpreter's own folders bound back, so no checkout, home folder or socket elsewhere on
#: the machine is visible: hiding the grader's own checkout is not enough.
SYSTEM_TOP = frozenset({"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev",
                        "proc", "sys", "tmp"})


def _hide_top_level(needed: list[str], iso: Isolation) -> bool:
    ok = True
    for name in sorted(os.listdir("/")):
        path = "/" + name
        if name in SYSTEM_TOP or os.path.islink(path) or not os.path.isdir(path):
            continue
        try:
            _fresh_tmpfs(path, "size=64k,mode=0755", keep=needed)
        except OSError as exc:
            ok = False
            iso.notes.append(f"could not hide {path} ({exc.strerror})")
    return ok


def _fresh_tmpfs(path: str, data: str, *, keep: list[str]) -> None:
    """Mount an empty tmpfs on ``path``, keeping the folders of ``keep`` that lie inside it.

    The interpreter (a virtual environment in a checkout under /tmp, say) must survive the fresh
    /tmp. A handle opened on each such folder before the mount still reaches it afterwards, and
    is bind-mounted back at the same place through /proc/self/fd.
    """
    kept = sorted((k for k in keep if _inside(k, path) and k != path and os.path.isdir(k)),
                  key=len)
    handles = {k: os.open(k, os.O_PATH | os.O_DIRECTORY) for k in kept}
    try:
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data)
        for folder, fd in handles.items():
            os.makedirs(folder, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", folder, None, MS_BIND | MS_REC)
    finally:
        for fd in handles.values():
            os.close(fd)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def interpreter_paths() -> list[str]:
    """Folders the interpreter reads modules from (real paths): they stay visible to the worker."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    return sorted(os.path.realpath(p) for p in paths)


def _make_reachable(paths: list[str], iso: Isolation) -> None:
    """Let the unprivileged worker reach the interpreter when it lives under a private folder.

    A folder such as /root (mode 700) blocks every path below it. It is replaced by an empty
    tmpfs into which only the needed children are bind-mounted back, which also hides the rest.
    """
    blocked: dict[str, set[str]] = {}
    for path in paths:
        parts = path.strip("/").split("/")
        for i in range(len(parts)):
            ancestor = "/" + "/".join(parts[:i])
            try:
                mode = os.stat(ancestor).st_mode
            except OSError:
                break  # gone from this view (under a replaced folder), or not ours to reach
            if not mode & 0o001:
                blocked.setdefault(ancestor, set()).add(parts[i])
                break
    for n, (ancestor, children) in enumerate(sorted(blocked.items())):
        try:
            holds = {}
            for m, child in enumerate(sorted(children)):
                hold = f"/tmp/.reach-{n}-{m}"
                os.mkdir(hold)
                _mount(os.path.join(ancestor, child), hold, None, MS_BIND | MS_REC)
                holds[child] = hold
            _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=16k,mode=0755")
            for child, hold in holds.items():
                os.mkdir(os.path.join(ancestor, child), 0o755)
                _mount(hold, os.path.join(ancestor, child), None, MS_MOVE)
                os.rmdir(hold)
        except OSError as exc:
            iso.notes.append(f"could not make {ancestor} reachable ({exc.strerror})")


def _drop_privileges(uid: int, worker_uid: int, ns_ok: bool, iso: Isolation) -> None:
    layers = iso.layers
    # Without this a setuid-root program on the machine could hand root back to the submission.
    layers["no_new_privs"] = _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    if uid == 0:
        os.setgroups([])
        os.setresgid(worker_uid, worker_uid, worker_uid)
        os.setresuid(worker_uid, worker_uid, worker_uid)  # leaving uid 0 clears every capability
        layers["unprivileged"] = True
    elif ns_ok:
        # Inside our own user namespace we are root of it; nest once more as a non-root id so the
        # mounts above are locked and no capability is left to undo them.
        try:
            _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare user")
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", "1000 0 1")
            _write("/proc/self/gid_map", "1000 0 1")
            _drop_capabilities()
            layers["unprivileged"] = True
        except OSError as exc:
            layers["unprivileged"] = False
            iso.notes.append(f"could not drop privileges in the namespace ({exc.strerror})")
    else:
        layers["unprivileged"] = True  # an ordinary user without namespaces has no privileges


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32))


def _drop_capabilities() -> None:
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _set_limits(cfg: JailConfig, iso: Isolation) -> None:
    mb = 1024 * 1024
    limits = {
        "RLIMIT_AS": (cfg.memory_mb * mb, cfg.memory_mb * mb),
        "RLIMIT_CPU": (cfg.cpu_seconds, cfg.cpu_seconds + 2),
        "RLIMIT_NPROC": (cfg.max_processes, cfg.max_processes),
        "RLIMIT_FSIZE": (cfg.file_mb * mb, cfg.file_mb * mb),
        "RLIMIT_NOFILE": (cfg.open_files, cfg.open_files),
        "RLIMIT_CORE": (0, 0),
    }
    for name, value in limits.items():
        try:
            resource.setrlimit(getattr(resource, name), value)
            iso.layers[name.lower()] = True
        except (OSError, ValueError) as exc:
            iso.layers[name.lower()] = False
            iso.notes.append(f"{name} not set ({exc})")
    # Writing past RLIMIT_FSIZE should be an error in the student's code, not a silent kill.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
