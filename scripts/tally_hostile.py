"""Grade the corpus of hostile and broken submissions and tally what the attacks achieved.

    .venv/bin/python scripts/tally_hostile.py                 # print the Markdown tally
    .venv/bin/python scripts/tally_hostile.py --write         # also rewrite docs/threat-model.md
    .venv/bin/python scripts/tally_hostile.py --only forge_   # a subset, by name prefix
    .venv/bin/python scripts/tally_hostile.py --level root-without-namespaces   # one level only

Every submission under ``submissions/hostile`` and ``submissions/broken`` declares its expected
outcome per assignment in that folder's ``expected.toml``. Each is graded against low-limit copies
of the assignments (seconds, not minutes, per timeout) and judged by ``judge``: the exact score
(full marks on the declared honest parts, 0 on every other test), status, student-facing message,
schema validity, wall time, leftover processes, files left outside the scratch space, changes to
the project tree, hidden-test or reference lines in the report, network contact, and tampering with
the grader's own process. ``tests/test_hostile.py`` uses the same functions, so the tally in the
documentation and the test suite judge by the same rules.

Levels: every case is graded with namespaces (``grade()`` in this process, the default); the cases
listed under ``[levels]`` in expected.toml are also graded by the ``grader grade`` command run
through ``scripts/simulate_platform.py``, as root under Docker's default profile
(``root-without-namespaces``) and as an ordinary user with namespaces refused
(``user-without-namespaces``), with the outcome declared for that level. The tally has a column
per level.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIRS = (ROOT / "submissions" / "hostile", ROOT / "submissions" / "broken")
ASSIGNMENTS = ("mathml_hw4", "cs189_hw4_backprop")
THREAT_MODEL = ROOT / "docs" / "threat-model.md"
SIMULATE = ROOT / "scripts" / "simulate_platform.py"
#: Isolation levels the corpus is graded at, and the simulate_platform.py mode of each (None:
#: graded in this process, with namespaces).
LEVELS = {"namespaces": None, "root-without-namespaces": "docker",
          "user-without-namespaces": "user"}
#: The ordinary user of the ``user-without-namespaces`` level.
PLAIN_UID = 1000

#: Low limits for the copies the corpus is graded against, so a timeout costs seconds.
LIMITS = {"call_seconds": 2, "total_seconds": 15, "import_seconds": 5, "memory_mb": 512,
          "cpu_seconds": 20, "file_mb": 16}
#: Wall time a grade may take beyond the submission's total time (pytest, collection, report).
MARGIN_SECONDS = 10.0
#: Port and abstract socket the network attack aims at; the harness listens on both.
LISTEN_PORT = 47391
ABSTRACT_SOCKET = f"\0grader-hostile-{LISTEN_PORT}"
#: Placed in the grader's environment; it must never reach a report.
SECRET_ENV = "GRADER_HOSTILE_SECRET"
#: Names hostile submissions use for files they plant; none may appear outside their scratch.
PLANTED = re.compile(r"grader-hostile|results\.json|report\.json|leaked\.txt|pwned", re.I)
WATCHED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", str(Path.home()))
TREE_DIRS = ("grader", "problems", "reference")

PR_SET_CHILD_SUBREAPER = 36
#: What the corpus writes when it plants something: a changed trusted file carrying one of these
#: (or a file deleted, or one of the planted names) is an attack that worked. Other changes to the
#: tree during a grade are people editing the project at the same time; they are listed, not failed.
PLANTED_TEXT = ("forge_edit_disk", "GRADER_FORGED", "grader-hostile", "grader_hostile",
                "shadow module")
PLANTED_NAMES = re.compile(r"(^|/)(conftest\.py|sitecustomize\.py|usercustomize\.py|[^/]*\.pth|"
                           r"results\.json|report\.json)$")


# ------------------------------------------------------------------------------ the corpus


@dataclass(frozen=True)
class Expectation:
    """What grading one submission against one assignment must give."""

    status: str
    """Report status: graded, import-error, timeout or load-error."""
    credit: tuple[str, ...]
    """Parts whose every test earns full marks; every other test must score exactly 0."""
    message: str
    """Fragment of the student-facing text (report output plus every test's output)."""
    instructor: str = ""
    """Fragment of the instructor-only section (the submission's output, events), if any."""


@dataclass(frozen=True)
class Case:
    """One submission of the corpus."""

    name: str
    """Key in expected.toml."""
    path: Path
    """The file or folder handed in (a ``generate`` case writes it at grading time)."""
    category: str
    """forge, escape, exhaust or broken."""
    attack: str
    """What it tries, in a few words."""
    expect: dict[str, Expectation]
    """Per assignment."""
    rlimits_safe: bool = False
    """Safe to run with namespaces off (it writes nothing outside its scratch and kills nothing)."""
    generate: str = ""
    """For submissions too large to commit: how to make them (see ``materialise``)."""
    at: dict[str, dict[str, Expectation]] = field(default_factory=dict)
    """Per level other than ``namespaces`` it is graded at, per assignment (see ``LEVELS``)."""

    def expected(self, level: str) -> dict[str, Expectation]:
        """What grading at ``level`` must give, per assignment."""
        return self.expect if level == "namespaces" else self.at.get(level, {})

    @property
    def levels(self) -> list[str]:
        """The levels this case is graded at, in the order of ``LEVELS``."""
        return [lv for lv in LEVELS if lv == "namespaces" or lv in self.at]


def _expectations(entry: dict[str, Any]) -> dict[str, Expectation]:
    return {a: Expectation(status=e["status"], credit=tuple(e.get("credit", ())),
                           message=e["message"], instructor=e.get("instructor", ""))
            for a, e in entry.items() if isinstance(e, dict) and a in ASSIGNMENTS}


def load_corpus() -> list[Case]:
    """Every submission declared in the corpus folders' expected.toml files, in file order."""
    cases = []
    for folder in CORPUS_DIRS:
        data = tomllib.loads((folder / "expected.toml").read_text())
        levels = data.pop("levels", {})
        for name, entry in data.items():
            at = {}
            for level, table in levels.items():
                if name in table.get("cases", ()):
                    # Declared for the level, or else the same outcome as with namespaces.
                    at[level] = {**_expectations(entry),
                                 **_expectations(table.get("expect", {}).get(name, {}))}
            cases.append(Case(name=name, path=folder / entry["path"], category=entry["category"],
                              attack=entry["attack"], expect=_expectations(entry),
                              rlimits_safe=bool(entry.get("rlimits_safe", False)),
                              generate=entry.get("generate", ""), at=at))
    return cases


def materialise(case: Case, workdir: Path) -> Path:
    """The path to hand in: the committed file, or one generated into ``workdir``."""
    if not case.generate:
        return case.path
    workdir.mkdir(parents=True, exist_ok=True)
    if case.generate == "50MB":
        path = workdir / case.path.name
        with path.open("w") as f:
            line = "x = 1  # padding, so the file is larger than any limit on source size\n"
            for _ in range(50 * 2**20 // len(line) + 1):
                f.write(line)
        return path
    if case.generate == "magic-flood":
        # The committed notebook with its magic cell grown to 450,000 '%a' lines (1.8 MB).
        nb = json.loads(case.path.read_text())
        nb["cells"][1]["source"] = "%a\n" * 450_000
        path = workdir / case.path.name
        path.write_text(json.dumps(nb))
        return path
    if case.generate == "nest-50000":
        path = workdir / case.path.name
        path.write_text('"3.1.a3" = ' + "[" * 50_000 + "]" * 50_000 + "\n")
        return path
    raise ValueError(f"unknown generator {case.generate!r} for {case.name}")


def limited_assignment(name: str, dest: Path, limits: dict[str, float] | None = None) -> Path:
    """Copy ``problems/<name>`` to ``dest/<name>`` with the low ``[limits]`` of the corpus."""
    folder = dest / name
    if not folder.exists():
        shutil.copytree(ROOT / "problems" / name, folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    toml = folder / "assignment.toml"
    text = toml.read_text()
    table = "[limits]\n" + "".join(f"{k} = {v}\n" for k, v in (limits or LIMITS).items()) + "\n"
    text, n = re.subn(r"(?ms)^\[limits\]\n.*?(?=^\[)", table, text, count=1)
    if n == 0:
        text = text.replace("[[parts]]", table + "[[parts]]", 1)
    toml.write_text(text)
    return folder


# --------------------------------------------------------------------- what must never change


def tree_digest(root: Path = ROOT) -> dict[str, str]:
    """sha256 of every file under the trusted folders (bytecode caches included: a forged .pyc
    would run in the grader's process)."""
    out = {}
    for d in TREE_DIRS:
        for path in sorted((root / d).rglob("*")):
            if path.is_file() and not path.is_symlink():
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def site_packages_entries() -> set[str]:
    """Top-level names in the interpreter's site-packages (a planted .pth would run anywhere)."""
    import site

    names = set()
    for sp in site.getsitepackages():
        with contextlib.suppress(OSError):
            names.update(f"{sp}/{n}" for n in os.listdir(sp))
    return names


def planted_files() -> set[str]:
    """Files with a hostile submission's marker names in the machine's shared writable places."""
    found = set()
    for d in WATCHED_DIRS:
        with contextlib.suppress(OSError):
            found.update(f"{d}/{n}" for n in os.listdir(d) if PLANTED.search(n))
    return found


_SECRET_LINE_MIN = 30


def secret_lines() -> list[str]:
    """Distinctive lines of the hidden tests and reference solutions: long, not boilerplate, and
    not present in anything students see or hand in (public tests, starters, submissions)."""
    visible: set[str] = set()
    shown = [*ROOT.glob("problems/*/tests/public/*.py"), *ROOT.glob("problems/*/starter.py"),
             *ROOT.glob("problems/*/README.md"), *ROOT.glob("submissions/**/*.py"),
             *ROOT.glob("submissions/**/*.ipynb")]
    for path in shown:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            visible.update(line.strip() for line in path.read_text().splitlines())
    secret = [*ROOT.glob("problems/*/tests/hidden/*.py"), *ROOT.glob("reference/*.py")]
    lines = set()
    for path in secret:
        for line in path.read_text().splitlines():
            s = line.strip()
            if len(s) >= _SECRET_LINE_MIN and s not in visible and \
                    not s.startswith(("#", "import ", "from ", '"""', "@points(")):
                lines.add(s)
    return sorted(lines)


def report_strings(value: Any) -> str:
    """Every string in a report (keys included), one per line: what a reader could see."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(f"{k}\n{report_strings(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(report_strings(v) for v in value)
    return ""


def leaked_lines(report: dict[str, Any], secrets: list[str]) -> list[str]:
    """Secret lines that appear anywhere in a report."""
    text = report_strings(report)
    return [s for s in secrets if s in text]


# --------------------------------------------------------------------- processes


def become_subreaper() -> None:
    """Adopt orphaned descendants, so a daemon a worker leaves behind is found, not lost to init."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def descendants(pid: int | None = None) -> dict[int, str]:
    """Live (non-zombie) descendants of ``pid`` (default: this process) -> command line."""
    root = os.getpid() if pid is None else pid
    parent: dict[int, int] = {}
    cmd: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] == "Z":
                continue
            parent[int(entry)] = int(fields[1])
            cmd[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().replace(
                b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError, IndexError):
            continue
    out = {}
    for p in parent:
        q, hops = p, 0
        while q in parent and q != root and hops < 64:
            q, hops = parent[q], hops + 1
        if q == root and p != root:
            out[p] = cmd[p]
    return out


def reap_zombies() -> None:
    """Collect exited orphans this process adopted as subreaper."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --------------------------------------------------------------------- listeners


class Listeners:
    """A TCP server on 127.0.0.1 and an abstract Unix socket; records every connection."""

    def __init__(self) -> None:
        self.contacts: list[str] = []
        self.socks: list[socket.socket] = []
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", LISTEN_PORT))
            tcp.listen(8)
            self.socks.append(tcp)
        except OSError:
            tcp.close()
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            unix.bind(ABSTRACT_SOCKET)
            unix.listen(8)
            self.socks.append(unix)
        except OSError:
            unix.close()
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import select

        while not self._stop:
            ready, _, _ = select.select(self.socks, [], [], 0.1)
            for s in ready:
                with contextlib.suppress(OSError):
                    conn, addr = s.accept()
                    self.contacts.append(f"{s.family.name} {addr!r}")
                    conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        for s in self.socks:
            s.close()


# --------------------------------------------------------------------- grading and judging


@dataclass
class Outcome:
    """One grade of one case against one assignment, and everything observed around it."""

    case: Case
    assignment: str
    report: dict[str, Any]
    seconds: float
    time_limit: float
    level: str = "namespaces"
    """Which of ``LEVELS`` it was graded at."""
    leftovers: dict[int, str] = field(default_factory=dict)
    scratch_left: list[str] = field(default_factory=list)
    planted: list[str] = field(default_factory=list)
    tree_changed: list[str] = field(default_factory=list)
    site_packages_added: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    bystander_killed: bool = False
    crashed: str = ""
    """The grader raised instead of returning a report (should never happen)."""


def _trusted_state() -> dict[str, Any]:
    """Objects in the grader's own process that a successful attack would replace."""
    import numpy
    import numpy.testing

    import grader.checks

    return {"numpy.testing.assert_allclose": numpy.testing.assert_allclose,
            "numpy.allclose": numpy.allclose, "numpy.isclose": numpy.isclose,
            "math.isclose": math.isclose, "grader.checks.check_array": grader.checks.check_array,
            "grader.checks.check_scalar": grader.checks.check_scalar,
            "env GRADER_FORGED": os.environ.get("GRADER_FORGED")}


SYSTEM_TMP = tempfile.gettempdir()


@contextlib.contextmanager
def private_tempdir() -> Iterator[Path]:
    """Make this process create its temporary folders (the workers' scratch) in a fresh folder.

    The folder sits directly in the system's temporary folder and is traversable by others: with
    namespaces off, a root grader's worker runs under its own uid and must reach its scratch.
    """
    base = Path(tempfile.mkdtemp(prefix="tally-scratch-", dir=SYSTEM_TMP))
    base.chmod(0o711)
    old = tempfile.tempdir
    tempfile.tempdir = str(base)
    try:
        yield base
    finally:
        tempfile.tempdir = old
        shutil.rmtree(base, ignore_errors=True)


def _grade_at_level(level: str, assignment_dir: Path, path: Path, tmp: Path,
                    timeout: float = 300) -> dict[str, Any]:
    """Grade with the ``grader grade`` command under ``simulate_platform.py``'s mode for
    ``level``; the report it wrote, whatever its exit code. A command that wrote none, or did
    not finish within ``timeout`` seconds, raises (a crash of the grader)."""
    mode = LEVELS[level]
    assert mode is not None
    out = tmp / "report.json"
    tmp.chmod(0o1777)  # the ordinary user's grader writes its report and scratch folders here
    cmd = [sys.executable, str(SIMULATE), mode, "--uid", str(PLAIN_UID), "--",
           sys.executable, "-m", "grader", "grade", str(assignment_dir), str(path), "-o", str(out)]
    env = {**os.environ, "TMPDIR": str(tmp)}
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"grader grade at level {level} did not finish in {timeout:g} s "
                           "(a wait without a time limit?)") from None
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError):
        raise RuntimeError(f"grader grade at level {level} wrote no report (exit "
                           f"{proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}"
                           ) from None
    out.unlink()
    return dict(report)


def open_copy(name: str, dest: Path) -> Path:
    """A low-limit assignment copy any user may read, for the levels that grade as an ordinary
    user (pytest's and tempfile's own folders are root's only)."""
    dest.mkdir(parents=True, exist_ok=True)
    folder = limited_assignment(name, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return folder


def grade_case(case: Case, assignment_dir: Path, workdir: Path, *, secrets: list[str],
               disable: frozenset[str] = frozenset(),
               bystander: subprocess.Popen[bytes] | None = None,
               level: str = "namespaces") -> Outcome:
    """Grade one case against one (low-limit) assignment copy, observing everything around it.

    ``level``: ``namespaces`` grades in this process (``disable``: confinement layers to switch
    off, and then an unisolated grade is explicitly allowed); any other of ``LEVELS`` runs the
    ``grader grade`` command under that level's platform simulation (``assignment_dir`` must
    then be readable by every user: ``open_copy``)."""
    from grader.api import grade
    from grader.assignment import read

    assignment = read(assignment_dir)
    path = materialise(case, workdir)
    before_tree = tree_digest()
    before_site = site_packages_entries()
    before_planted = planted_files()
    before_kids = set(descendants())
    before_state = _trusted_state()
    listeners = Listeners()
    secret = f"secret-{os.getpid()}-{time.monotonic_ns()}"
    os.environ[SECRET_ENV] = secret
    crashed = ""
    t0 = time.monotonic()
    try:
        with private_tempdir() as tmp:
            try:
                if level != "namespaces":
                    report = _grade_at_level(level, assignment_dir, path, tmp,
                                             timeout=assignment.limits.total_seconds
                                             + 2 * MARGIN_SECONDS)
                else:
                    report = grade(assignment, path, disable=disable,
                                   require_isolation=False if disable else None)
            except Exception as exc:  # noqa: BLE001 - a grader crash is what the tally counts
                crashed = f"{type(exc).__name__}: {exc}"
                report = {}
            seconds = time.monotonic() - t0
            scratch_left = [str(p) for p in tmp.iterdir()]
    finally:
        os.environ.pop(SECRET_ENV, None)
        listeners.close()
    time.sleep(0.05)
    reap_zombies()
    leftovers = {p: c for p, c in descendants().items() if p not in before_kids}
    for pid in leftovers:  # leave nothing running, whatever the verdict
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    after_tree = tree_digest()
    leaks = leaked_lines(report, secrets)
    if secret in report_strings(report):
        leaks.append(f"the grader's environment ({SECRET_ENV})")
    after_state = _trusted_state()
    return Outcome(
        case=case, assignment=assignment.name, report=report, seconds=seconds, level=level,
        time_limit=assignment.limits.total_seconds + MARGIN_SECONDS, leftovers=leftovers,
        scratch_left=scratch_left, planted=sorted(planted_files() - before_planted),
        tree_changed=sorted(k for k in before_tree.keys() | after_tree.keys()
                            if before_tree.get(k) != after_tree.get(k)),
        site_packages_added=sorted(site_packages_entries() - before_site), leaks=leaks,
        contacts=list(listeners.contacts),
        tampered=[k for k in before_state if before_state[k] is not after_state[k]],
        bystander_killed=bystander is not None and bystander.poll() is not None,
        crashed=crashed)


def credited(test: dict[str, Any], exp: Expectation | None) -> bool:
    """Whether a report's test is one the submission honestly earns: a code test (not a typed
    math answer: the corpus hands in no answers file) of a part it solves."""
    return exp is not None and test.get("part") in exp.credit and "answer" not in test.get(
        "tags", ())


def tampered_files(o: Outcome) -> list[str]:
    """Changed files of the trusted tree that an attack explains: deleted, named like a planted
    file, or carrying a planted marker."""
    out = []
    for rel in o.tree_changed:
        path = ROOT / rel
        if not path.exists() or PLANTED_NAMES.search(rel):
            out.append(rel)
            continue
        with contextlib.suppress(OSError):
            data = path.read_bytes()
            if any(m.encode() in data for m in PLANTED_TEXT):
                out.append(rel)
    return out


def student_text(report: dict[str, Any]) -> str:
    """Everything in a report a student sees."""
    return "\n".join([report.get("output", ""), *(t.get("output", "")
                                                   for t in report.get("tests", []))])


def _declared_problems(r: dict[str, Any], exp: Expectation) -> list[str]:
    """How a report differs from its declared status, exact score and messages."""
    problems = []
    if r["status"] != exp.status:
        problems.append(f"status {r['status']!r}, expected {exp.status!r}")
    for t in r["tests"]:
        want = t["max_score"] if credited(t, exp) else 0.0
        if abs(t["score"] - want) > 1e-9:
            problems.append(f"test {t['name']!r} (part {t.get('part')}) scored {t['score']}, "
                            f"expected {want}")
    honest = sum(t["max_score"] for t in r["tests"] if credited(t, exp))
    if abs(r["score"] - honest) > 1e-9:
        problems.append(f"score {r['score']}, expected the honest {honest}")
    if exp.credit and not any(credited(t, exp) for t in r["tests"]):
        problems.append(f"no test belongs to the credited parts {exp.credit}")
    if exp.message not in student_text(r):
        problems.append(f"message {exp.message!r} not in the student-facing text")
    if exp.instructor and exp.instructor not in report_strings(r.get("instructor", {})):
        problems.append(f"{exp.instructor!r} not in the instructor section")
    return problems


def judge(o: Outcome, *, exact: bool = True) -> list[str]:
    """Every way the outcome differs from what was declared and what must always hold.

    ``exact=False`` skips the declared score/status/message (used with namespaces off, where the
    declared outcome is not promised) and keeps the safety checks.
    """
    problems = []
    r = o.report
    if o.crashed:
        return [f"the grader crashed: {o.crashed}"]
    exp = o.case.expected(o.level).get(o.assignment)
    if exact and exp is not None:
        problems += _declared_problems(r, exp)
    try:
        from grader.report import validate

        validate(r)
    except Exception as exc:  # noqa: BLE001 - any validation failure is a problem to list
        problems.append(f"report is not schema-valid: {exc}")
    if o.seconds > o.time_limit:
        problems.append(f"took {o.seconds:.1f} s, limit {o.time_limit:g} s")
    checks = [("processes left", o.leftovers), ("scratch left", o.scratch_left),
              ("files planted", o.planted), ("project tree changed", tampered_files(o)),
              ("site-packages added", o.site_packages_added), ("leaked", o.leaks),
              ("network contact", o.contacts), ("grader process tampered", o.tampered)]
    problems += [f"{what}: {found}" for what, found in checks if found]
    if o.bystander_killed:
        problems.append("a bystander process was killed")
    if len(json.dumps(r)) > 1_000_000:
        problems.append(f"report is {len(json.dumps(r))} bytes")
    return problems


# --------------------------------------------------------------------- the tally


def forged(o: Outcome) -> bool:
    """The score exceeds what the declared honest parts are worth (or the grader crashed)."""
    if o.crashed or not o.report:
        return False
    exp = o.case.expected(o.level).get(o.assignment)
    honest = sum(t["max_score"] for t in o.report["tests"] if credited(t, exp))
    return o.report["score"] > honest + 1e-9 or any(
        t["score"] > (t["max_score"] if credited(t, exp) else 0) + 1e-9
        for t in o.report["tests"])


def tally(outcomes: list[Outcome]) -> str:
    """The Markdown tables: totals with a column per level, then one row per attack and
    assignment with the verdict at each level it was graded at."""
    by_level = {lv: [o for o in outcomes if o.level == lv] for lv in LEVELS}

    def row(label: str, count: Any) -> str:
        return f"| {label} | " + " | ".join(str(count(by_level[lv])) for lv in LEVELS) + " |"

    def n(pred: Any) -> Any:
        return lambda os_: sum(1 for o in os_ if pred(o))

    lines = [
        "| | " + " | ".join(f"`{lv}`" for lv in LEVELS) + " |",
        "|---|" + "---|" * len(LEVELS),
        row("attacks tried", lambda os_: len({o.case.name for o in os_})),
        row("grades", len),
        row("forged scores", n(forged)),
        row("leaks", n(lambda o: o.leaks)),
        row("network contacts", n(lambda o: o.contacts)),
        row("crashed runs", n(lambda o: o.crashed)),
        row("left-behind processes/files",
            n(lambda o: o.leftovers or o.scratch_left or o.planted or tampered_files(o))),
        row("other deviations", n(judge)),
        "",
        "| submission | kind | attack | assignment | honest | "
        + " | ".join(f"`{lv}`" for lv in LEVELS) + " |",
        "|---|---|---|---|---|" + "---|" * len(LEVELS),
    ]
    cells: dict[tuple[str, str], dict[str, Outcome]] = {}
    for o in outcomes:
        cells.setdefault((o.case.name, o.assignment), {})[o.level] = o
    for (_, assignment), at in cells.items():
        first = next(iter(at.values()))
        exp = first.case.expected(first.level).get(assignment)
        honest = sum(t["max_score"] for t in first.report.get("tests", []) if credited(t, exp))
        verdicts = []
        for lv in LEVELS:
            o = at.get(lv)
            if o is None:
                verdicts.append("-")
                continue
            problems = judge(o)
            score = f"{o.report['score']:g}" if o.report else "-"
            text = "as declared" if not problems else "; ".join(problems)[:200]
            verdicts.append(f"{o.report.get('status', 'crash')} {score}, "
                            + " ".join(text.split()).replace("|", "/"))
        lines.append(f"| `{first.case.name}` | {first.case.category} | {first.case.attack} | "
                     f"{assignment} | {honest:g} | " + " | ".join(verdicts) + " |")
    return "\n".join(lines) + "\n"


def run_corpus(only: str = "", log: Any = None,
               levels: tuple[str, ...] = tuple(LEVELS)) -> list[Outcome]:
    """Grade every case (or those whose name starts with ``only``) against every assignment, at
    each of ``levels`` the case is declared for."""
    become_subreaper()
    secrets = secret_lines()
    outcomes = []
    bystander = subprocess.Popen(["sleep", "3600"])
    try:
        with tempfile.TemporaryDirectory(prefix="tally-hostile-") as tmp:
            work = Path(tmp)
            copies = {a: limited_assignment(a, work / "problems") for a in ASSIGNMENTS}
            shared = Path(tempfile.mkdtemp(prefix="tally-hostile-open-", dir="/var/tmp"))
            shared.chmod(0o755)
            try:
                open_copies = {a: open_copy(a, shared / "problems") for a in ASSIGNMENTS}
                _warm_up()
                for case in load_corpus():
                    if only and not case.name.startswith(only):
                        continue
                    for level in (lv for lv in case.levels if lv in levels):
                        for a in ASSIGNMENTS:
                            folder = copies[a] if level == "namespaces" else open_copies[a]
                            o = grade_case(case, folder, work / "run", secrets=secrets,
                                           bystander=bystander, level=level)
                            outcomes.append(o)
                            if log is not None:
                                verdict = judge(o)
                                print(f"{case.name:32} {a:20} {level:24} "
                                      f"{o.report.get('score', '-')!s:>6} {o.seconds:5.1f}s "
                                      f"{verdict or 'ok'}", file=log)
            finally:
                shutil.rmtree(shared, ignore_errors=True)
    finally:
        bystander.kill()
        bystander.wait()
    return outcomes


def _warm_up() -> None:
    """Import what the grader's process imports on its first grade, so the bytecode caches it
    writes then are not mistaken for a change made by a submission."""
    import importlib

    for a in ASSIGNMENTS:
        importlib.import_module(f"reference.{a}")
    import grader.api
    import grader.run  # noqa: F401


def write_tally(text: str, path: Path = THREAT_MODEL) -> None:
    """Replace the block between the tally markers of the threat model with ``text``."""
    doc = path.read_text()
    start, end = "<!-- tally:start -->", "<!-- tally:end -->"
    if start not in doc or end not in doc:
        raise SystemExit(f"{path} has no {start} ... {end} block")
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text}{end}{tail}")


def main(argv: list[str] | None = None) -> int:
    if str(ROOT) not in sys.path:  # run as a script: the checkout's packages (reference) importable
        sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="rewrite the tally blocks of docs/threat-model.md and README.md")
    parser.add_argument("--only", default="", help="only cases whose name starts with this")
    parser.add_argument("--level", choices=list(LEVELS), action="append",
                        help="only this level (repeatable; default: every level)")
    args = parser.parse_args(argv)
    outcomes = run_corpus(args.only, log=sys.stderr, levels=tuple(args.level or LEVELS))
    text = tally(outcomes)
    sys.stdout.write(text)
    if args.write:
        write_tally(text)
        # The README carries the summary table only (the first block), same markers.
        write_tally(text.split("\n\n", 1)[0] + "\n", ROOT / "README.md")
    return 0 if not any(judge(o) for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
