"""Grade a whole class: one report per student, a gradebook, and a summary.

The supervisor (this module, in the caller's process) never runs pytest. It keeps ``jobs`` grader
processes (``python -m grader.batch --worker``), hands each one submission at a time, and writes
what comes back. Each grader process calls ``grader.api.grade`` (which starts its own sandboxed
worker for the student's code), so one submission that crashes, hangs or floods output costs at
most its own grader process, which is replaced.

Files under OUT:
  <student>.json   the report, exactly what ``grader grade`` writes (written atomically)
  gradebook.csv    one row per student
  summary.json     counts, score distribution, pass rate of every test and part
  summary.html     the same, readable, with inline SVG charts
  batch.log        one JSON line per event: start, ignored (with the reason), skip, worker,
                   graded, retry, isolate (graded again alone after its session failed),
                   failed, unwritten, interrupted (Ctrl-C: what was graded, what is left), end
  .batch/          grader processes' stderr, extracted archives

A report that exists, parses, is for this assignment, is not an internal error, and has the hash
of the submission as it is now counts as finished: running the batch again (after a kill, say)
grades only the rest. Each report is sent by its grader process and written here as soon as its
student is graded.

One student's failure is that student's alone: an exception while grading one student fails
only them; when a whole session fails (an exception outside any one student, a grader process
that exits or hangs), the students it had not reported on are graded again one by one, and only
the one that fails alone gets a failure report (after a second try). A report that cannot be
written as it is (a lone surrogate, a malformed report) is repaired or replaced by a failure
report; the supervisor itself never stops on a student's account.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
import traceback
import types
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from grader import __version__, text
from grader.archive import (  # noqa: F401 - UnsafeArchiveError is part of this API
    SKIP_NAMES,
    STUDENT_SUFFIXES,
    UnsafeArchiveError,
    ZipLimits,
    extract_zip,
)
from grader.assignment import Assignment, resolve
from grader.errors import UsageError

#: Report names that would collide with the batch's own files.
_RESERVED = {"summary", "gradebook", "batch"}
_ZIP_LIMITS = ZipLimits()
#: Extra wall time beyond the assignment's own limits before a grader process counts as hung.
_GRACE_SECONDS = 60.0
#: Largest reply line the supervisor reads from a grader process (a report and its envelope).
#: A grader process cuts the strings of a larger report first (see ``fit_report``).
REPLY_MAX = 64 * 1024 * 1024
#: Largest report a grader process sends: strings are cut until the report fits.
REPORT_MAX = 16 * 1024 * 1024
#: Ends a reply line that was longer than ``REPLY_MAX`` (its middle was dropped).
_CUT = b"\x00cut"
#: Characters of a grader failure's traceback that its failure report keeps (the end).
_DETAIL_KEPT = 20_000
#: A lone surrogate: text that cannot be written as UTF-8.


@dataclass(frozen=True)
class Student:
    """One student's entry in the submissions folder."""

    id: str
    """Safe identifier: the file stem or folder name, with unsafe characters replaced."""
    path: Path
    """The file or folder they handed in."""


@dataclass
class BatchResult:
    """What a batch run did."""

    out: Path
    """The output folder."""
    students: list[str]
    """Every student id, sorted."""
    graded: list[str] = field(default_factory=list)
    """Students graded in this run."""
    skipped: list[str] = field(default_factory=list)
    """Students whose finished report from an earlier run was kept."""
    failed: list[str] = field(default_factory=list)
    """Students the grader itself failed on (their report has status ``internal-error``)."""
    ignored: list[str] = field(default_factory=list)
    """Entries of the submissions folder that are not submissions (e.g. ``notes.txt``)."""
    statuses: dict[str, str] = field(default_factory=dict)
    """Student id -> report status."""
    seconds: float = 0.0
    """Wall time of the run."""

    @property
    def ok(self) -> bool:
        """True when every student has a report the grader did not fail on."""
        return not self.failed and set(self.statuses) == set(self.students)


# -- finding the students ---------------------------------------------------------------------

def _safe_id(name: str) -> str:
    sid = re.sub(r"[^A-Za-z0-9._@+-]", "_", name)[:100]
    # A leading dot hides the file; a leading = + - @ makes spreadsheets run it as a formula.
    if not sid or sid[0] in ".=+-@":
        sid = "_" + sid
    if sid.lower() in _RESERVED:
        sid += "_"
    return sid


def discover(folder: Path) -> tuple[list[Student], list[str]]:
    """Students in ``folder`` (one file or folder each) and the entries that were ignored.

    Hidden entries (a name that starts with a dot) are not graded, as no export names a
    student that way and system files do (``.DS_Store``, macOS's ``._name`` copies), but they
    are listed as ignored, so that a ``.dotfile.py`` cannot vanish unnoticed.
    """
    entries = []
    ignored = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.name in SKIP_NAMES:
            continue
        if not p.name.startswith(".") and (p.is_dir() or p.suffix in STUDENT_SUFFIXES):
            entries.append(p)
        else:
            ignored.append(p.name)
    stems: dict[str, int] = {}
    for p in entries:
        stem = p.name if p.is_dir() else p.stem
        stems[stem] = stems.get(stem, 0) + 1
    students: list[Student] = []
    taken: set[str] = set()
    for p in entries:
        stem = p.name if p.is_dir() else p.stem
        # alice.py and alice.ipynb are two entries: keep both, named by the full file name.
        base = _safe_id(stem if stems[stem] == 1 else p.name)
        sid, n = base, 1
        while sid.lower() in taken:
            n += 1
            sid = f"{base}_{n}"
        taken.add(sid.lower())
        students.append(Student(sid, p))
    return students, ignored


# -- finished reports -------------------------------------------------------------------------

def _submission_hash(path: Path, module: str) -> str:
    from grader.load import load_submission

    try:
        return load_submission(path, module=module).sha256
    except Exception:  # noqa: BLE001 - LoadError, or a file the loader itself chokes on
        # The grader process meets the same file and reports on it (or fails on that student
        # alone); here "" only means that no finished report of a file that loaded matches.
        return ""


def finished_report(path: Path, assignment: str, sha256: str) -> dict[str, Any] | None:
    """The report at ``path`` when it is a finished one for this submission, else None."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(report, dict):
        return None
    sub = report.get("submission")
    if (report.get("assignment") != assignment or report.get("status") in (None, "internal-error")
            or not isinstance(sub, dict) or sub.get("sha256") != sha256
            or report.get("public_only")):
        return None
    try:
        slim(report)
    except (KeyError, TypeError, ValueError, AttributeError):  # not a report this grader wrote
        return None
    return report


#: How much of a report's ``output`` the gradebook and summary keep (the summary quotes 500
#: characters after the score line).
_OUTPUT_KEPT = 8192


def slim(report: dict[str, Any]) -> dict[str, Any]:
    """What the gradebook and the summary read of a report, and no more: a class's reports
    are written as they arrive, and only this is kept in memory for the end of the batch."""
    return {
        "assignment": str(report["assignment"]), "status": str(report["status"]),
        "score": float(report["score"]), "max_score": float(report["max_score"]),
        "output": text.clean(str(report.get("output", ""))[:_OUTPUT_KEPT]),
        "parts": [{k: p[k] for k in ("id", "title", "score", "max_score", "passed", "tests")
                   if k in p} for p in report.get("parts", [])],
        "tests": [{k: t[k] for k in ("number", "name", "part", "max_score", "tags", "status",
                                     "score") if k in t} for t in report.get("tests", [])],
    }


def _write_atomic(path: Path, data: bytes) -> None:
    # A rename is enough for a batch that is killed: the report is whole or absent. No fsync
    # per report (it made the supervisor the bottleneck): after a power loss a report may be
    # empty, finished_report() rejects it, and the next run grades that student again.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def encode_report(report: dict[str, Any]) -> bytes:
    """The report file's bytes: what ``grader grade`` writes (``to_json`` escapes any lone
    surrogate, so a message a submission chose cannot stop the batch)."""
    from grader.report import to_json

    return to_json(report).encode("utf-8")


# -- grader processes -------------------------------------------------------------------------

class _Worker:
    """One ``python -m grader.batch --worker`` process and its line protocol."""

    def __init__(self, index: int, config: dict[str, Any], stderr: IO[bytes]) -> None:
        env = dict(os.environ)
        # The grader must import in the child even when it runs from a source tree.
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self.index = index
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.batch", "--worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=stderr, env=env, start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.students: dict[str, Student] = {}
        self.deadline = 0.0
        self.started = 0.0
        self.timeout = 0.0
        self.done = 0
        self._send(config)

    def _send(self, message: dict[str, Any]) -> None:
        # A process that already died shows up as end-of-file on its output, where the pool
        # handles it; a broken pipe here must not end the batch.
        with contextlib.suppress(OSError):
            self.stdin.write(json.dumps(message).encode() + b"\n")
            self.stdin.flush()

    def give(self, students: list[Student], timeout: float) -> None:
        """Hand over a chunk, graded in one session; ``timeout`` is per student: the process
        counts as hung when no report came for that long."""
        self.students = {s.id: s for s in students}
        self.started = time.monotonic()
        self.timeout = timeout
        self.deadline = self.started + timeout
        self._send({"items": [{"id": s.id, "path": str(s.path)} for s in students]})

    def replied(self) -> None:
        """A student's reply came: the next one has ``timeout`` from now."""
        self.deadline = time.monotonic() + self.timeout

    def read_lines(self) -> tuple[list[bytes], bool]:
        """Complete lines received so far, and whether the process closed its end.

        Linear in what arrives: a partial line is kept as a list of pieces, joined once when its
        end comes (appending to one bytes object and splitting it again on every read made an
        80 MB report take seconds per student). A line longer than ``REPLY_MAX`` is not kept:
        only its head, to tell whose it was, followed by ``_CUT``.
        """
        closed = False
        lines: list[bytes] = []
        try:
            while True:
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:
                    closed = True
                    break
                *ends, rest = chunk.split(b"\n")
                for end in ends:
                    lines.append(self._take(end))
                self._keep(rest)
        except BlockingIOError:
            pass
        return lines, closed

    def _keep(self, piece: bytes) -> None:
        if self.pending_bytes <= REPLY_MAX:
            self.pending.append(piece)
        self.pending_bytes += len(piece)

    def _take(self, end: bytes) -> bytes:
        self._keep(end)
        line = b"".join(self.pending)
        if self.pending_bytes > REPLY_MAX:
            line = line[:200] + _CUT
        self.pending, self.pending_bytes = [], 0
        return line

    def stop(self, *, force: bool = False) -> None:
        """End the process: close its input (it exits), or TERM then KILL its process group."""
        with contextlib.suppress(OSError):
            self.stdin.close()
        if not force:
            try:
                self.proc.wait(timeout=5)
                return
            except subprocess.TimeoutExpired:  # not exiting politely means force
                pass
        # TERM first: the process then closes its sandbox, so the student's worker dies too.
        for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, None)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:  # escalate to KILL
                continue
        with contextlib.suppress(OSError):
            self.proc.stdout.close()  # type: ignore[union-attr]


def _worker_main() -> int:
    """The grader process: read one JSON request per line, answer one JSON line each."""
    # Replies go to a private copy of stdout; anything else printed lands in stderr (the log).
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    with contextlib.suppress(Exception):
        import ctypes

        # If the batch dies (even by SIGKILL), TERM this process so it closes its sandbox.
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    stopping = []

    def on_term(*_: object) -> None:
        # KeyboardInterrupt, not SystemExit: pytest turns SystemExit inside a test into a
        # failure and goes on, but ends its session on KeyboardInterrupt, which unwinds the
        # sandbox's context manager and so kills the student's worker.
        stopping.append(True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    if os.getppid() == 1:
        return 143
    from grader.pool import Zygote

    zygote: list[Zygote] = []  # kept for every chunk this process grades (see _grade_chunk)
    try:
        config = json.loads(sys.stdin.readline())
        zygote.append(Zygote())
        for line in sys.stdin:
            _grade_chunk(config, json.loads(line)["items"], zygote, proto, stopping)
            if stopping:
                return 143
    except KeyboardInterrupt:
        return 143
    finally:
        for z in zygote:
            z.close()
    return 0


def _grade_chunk(config: dict[str, Any], items: list[dict[str, str]], zygote: list[Any],
                 proto: IO[str], stopping: list[bool]) -> None:
    """Grade a chunk in one session, sending each student's reply as soon as it is ready.

    An exception that ends the session fails nobody yet: the students it had not reported on
    are graded again one by one, so that only the one it comes from gets the error. The
    zygote (``zygote[0]``) is replaced first, in case it was what broke.
    """
    from grader.api import grade_many
    from grader.pool import Zygote

    sent: set[int] = set()

    def reply(i: int, body: dict[str, Any]) -> None:
        sent.add(i)
        line = _reply_line(items[i]["id"], body)
        # Each line at once: a batch interrupted now keeps every report already written.
        with contextlib.suppress(OSError):  # the supervisor is gone; it stops this process
            proto.write(line)
            proto.flush()

    try:
        grade_many(config["assignment"], [i["path"] for i in items],
                   extra_hide=tuple(config["hide"]), launcher=zygote[0],
                   validate_report=bool(config.get("validate")),
                   require_isolation=config.get("require_isolation"),
                   on_report=lambda i, report: reply(i, {"report": report}),
                   on_error=lambda i, error: reply(i, {"error": error}))
        for i in range(len(items)):
            if i not in sent:  # never expected; without it the supervisor would wait it out
                reply(i, {"error": "the grader gave no report for this submission"})
    except Exception:  # noqa: BLE001 - the supervisor writes the failure report
        if stopping:  # told to stop: pytest turned that into an error of the session
            raise KeyboardInterrupt from None
        error = traceback.format_exc()
        rest = [i for i in range(len(items)) if i not in sent]
        with contextlib.suppress(Exception):
            zygote.append(Zygote())
            zygote.pop(0).close()
        if len(items) == 1:
            for i in rest:
                reply(i, {"error": error})
            return
        for i in rest:
            _grade_chunk(config, [items[i]], zygote, proto, stopping)


def _reply_line(sid: str, body: dict[str, Any]) -> str:
    """One JSON line for the supervisor: the id first (a cut line still says whose it was)."""
    if "error" in body:  # what a failure report keeps of it
        body = {"error": str(body["error"])[-_DETAIL_KEPT:]}
    try:
        line = json.dumps({"id": sid, **body}, allow_nan=False)
        if len(line) > REPORT_MAX and "report" in body:
            line = json.dumps({"id": sid, "report": fit_report(body["report"], REPORT_MAX)},
                              allow_nan=False)
        return line + "\n"
    except Exception:  # noqa: BLE001 - a report that cannot be sent fails its student only
        return json.dumps({"id": sid, "error": "the report could not be sent:\n"
                           + traceback.format_exc()}) + "\n"


def fit_report(report: dict[str, Any], limit: int) -> dict[str, Any]:
    """``report`` with its longest strings (messages, output) cut until its JSON is under
    ``limit`` characters; scores and statuses are never touched. Raises ``ValueError`` when
    even its structure is too large."""
    for keep in (1 << 16, 1 << 12, 1 << 8):
        report = _cut_strings(report, keep)
        if len(json.dumps(report, allow_nan=False)) <= limit:
            return report
    raise ValueError(f"the report is larger than {limit} characters even with every text cut")


def _cut_strings(node: Any, keep: int) -> Any:
    if isinstance(node, str) and len(node) > keep:
        return node[:keep] + f"... [{len(node) - keep} more characters cut: the report was too " \
                             "large]"
    if isinstance(node, dict):
        return {k: _cut_strings(v, keep) for k, v in node.items()}
    if isinstance(node, list):
        if len(node) > keep and all(isinstance(v, str) for v in node):
            node = [*node[:keep], f"... [{len(node) - keep} more lines cut]"]
        return [_cut_strings(v, keep) for v in node]
    return node


# -- reports the supervisor writes itself -------------------------------------------------------

def failure_report(a: Assignment, student: Student, detail: str) -> dict[str, Any]:
    """A report for a submission the grader failed on: every test failed, status internal-error.

    The student is told it is not their fault; the next batch run grades them again.
    """
    from grader.report import build_report, validate
    from grader.run import run_pytest
    from grader.score import score_outcomes

    message = ("Grading failed because of a problem in the grader, not in your work; your "
               "submission will be graded again.")
    outcomes = run_pytest(a, None, public_only=False, collect_only=True)
    for o in outcomes:
        o.status = "failed"
        o.messages = [message]
    p = student.path
    kind = {".py": "py", ".ipynb": "ipynb"}.get(p.suffix, "folder" if p.is_dir() else "unknown")
    report = build_report(
        scores=score_outcomes(outcomes, a.parts), assignment=a.name, status="internal-error",
        submission={"path": str(p), "kind": kind, "sha256": _submission_hash(p, a.module)},
        execution_time=0.0, isolation={"level": "none"}, message=message,
        instructor={"detail": detail[-_DETAIL_KEPT:]}, grader_version=__version__)
    validate(report)
    return report


# -- progress ---------------------------------------------------------------------------------

class _Progress:
    """A one-line progress bar on a terminal; silent in CI and when stderr is not a terminal."""

    def __init__(self, total: int, stream: IO[str], enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.done = 0
        self.running = 0
        self.started = time.monotonic()
        self.last = 0.0

    def update(self, done: int, running: int | None = None, force: bool = False) -> None:
        self.done = done
        self.running = self.running if running is None else running
        running = self.running
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < 0.2):
            return
        self.last = now
        width = 30
        filled = int(width * done / max(self.total, 1))
        rate = done / max(now - self.started, 1e-9)
        eta = f"{(self.total - done) / rate:4.0f}s left" if done and rate > 0 else "          "
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                          f"({running} running, {eta})")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.update(self.done, 0, force=True)
            self.stream.write("\n")
            self.stream.flush()


def progress_wanted(stream: IO[str]) -> bool:
    """A progress bar only for a person at a terminal: not in CI, not into a pipe or file."""
    return bool(stream.isatty()) and not os.environ.get("CI")


# -- the batch --------------------------------------------------------------------------------

def batch(assignment: str | Path | Assignment, submissions: str | Path, out: str | Path, *,
          jobs: int | None = None, force: bool = False, progress: bool | None = None,
          zip_limits: ZipLimits = _ZIP_LIMITS, per_worker: int = 1000,
          grade_timeout: float | None = None, validate: bool = False,
          on_report: Callable[[str, dict[str, Any]], None] | None = None,
          require_isolation: bool | None = None) -> BatchResult:
    """Grade every submission in ``submissions`` (a folder or a zip export) into ``out``.

    ``jobs``: grader processes in parallel (default: CPU count).
    ``force``: grade everyone again, even students with a finished report.
    ``progress``: show a progress bar on stderr (default: only at a terminal and not in CI).
    ``per_worker``: submissions one grader process grades before it is replaced (each fresh
    process pays its start-up again; a grader process's memory stays flat as it grades).
    ``grade_timeout``: seconds after which a grader process counts as hung (default: the
    assignment's own time limits plus a minute); its student gets an internal-error report.
    ``validate``: check every report against the JSON Schema too (off by default, as for
    ``grader grade``: reports are built by the grader itself, and the project's tests validate
    every kind of report; the check costs more than grading a small submission).
    ``on_report``: called with (student id, report) after each report is written.
    ``require_isolation``: as for ``grader.api.grade``; a refused grade is an internal-error
    report for every student, graded again by the next run.
    """
    started = time.monotonic()
    a = assignment if isinstance(assignment, Assignment) else resolve(assignment)
    out = Path(out).resolve()
    source = Path(submissions).resolve()
    try:
        folder = _prepare(source, out, zip_limits)
        return _batch(a, source, folder, out, started=started, jobs=jobs, force=force,
                      progress=progress, per_worker=per_worker, grade_timeout=grade_timeout,
                      validate=validate, on_report=on_report,
                      require_isolation=require_isolation)
    finally:
        _unlock(out)


def _batch(a: Assignment, source: Path, folder: Path, out: Path, *, started: float,
           jobs: int | None, force: bool, progress: bool | None, per_worker: int,
           grade_timeout: float | None, validate: bool,
           on_report: Callable[[str, dict[str, Any]], None] | None,
           require_isolation: bool | None = None) -> BatchResult:
    students, ignored = discover(folder)
    if not students:
        raise UsageError(f"no submissions in {source}: expected one .py file, .ipynb notebook "
                         f"or folder per student (found {len(ignored)} other files)")
    result = BatchResult(out=out, students=[s.id for s in students], ignored=ignored)
    log = _Log(out / "batch.log")
    log.write("start", students=len(students), jobs=jobs, assignment=a.name,
              source=str(source), grader_version=__version__)
    for name in ignored:
        log.write("ignored", entry=name, reason=(
            "hidden: the name starts with a dot" if name.startswith(".")
            else "not a .py file, .ipynb notebook or folder"))

    # Only what the gradebook and summary need stays in memory (see ``slim``).
    reports: dict[str, dict[str, Any]] = {}
    todo = []
    for s in students:
        report = None if force else finished_report(out / f"{s.id}.json", a.name,
                                                    _submission_hash(s.path, a.module))
        if report is None:
            todo.append(s)
        else:
            reports[s.id] = slim(report)
            result.skipped.append(s.id)
            log.write("skip", student=s.id, status=report["status"])

    bar = _Progress(len(students), sys.stderr,
                    progress_wanted(sys.stderr) if progress is None else progress)

    def finish(student: Student, report: dict[str, Any], seconds: float) -> None:
        """Write a student's report as soon as it comes; whatever is wrong with it (a string
        that is not valid Unicode, a report that is not one) is that student's alone."""
        try:
            kept = slim(report)
            _write_atomic(out / f"{student.id}.json", encode_report(report))
        except Exception:  # noqa: BLE001 - the student gets a failure report instead
            why = "the report could not be written:\n" + traceback.format_exc()
            log.write("failed", student=student.id, reason=why[-2000:])
            try:
                report = failure_report(a, student, why)
                kept = slim(report)
                _write_atomic(out / f"{student.id}.json", encode_report(report))
            except Exception:  # noqa: BLE001 - e.g. a full disk: the student stays missing
                log.write("unwritten", student=student.id, reason=traceback.format_exc()[-2000:])
                return
        reports[student.id] = kept
        result.graded.append(student.id)
        log.write("graded", student=student.id, status=kept["status"],
                  score=kept["score"], seconds=round(seconds, 3))
        if on_report is not None:
            on_report(student.id, report)
        bar.update(len(reports))

    pool = _Pool(
        a, config={"assignment": str(a.path), "hide": [str(source), str(folder), str(out)],
                   "validate": validate, "require_isolation": require_isolation},
        state=out / ".batch", jobs=jobs or os.cpu_count() or 1, per_worker=per_worker,
        timeout=grade_timeout or (a.limits.total_seconds + a.limits.import_seconds
                                  + _GRACE_SECONDS),
        finish=finish, log=log, tick=lambda running: bar.update(len(reports), running))
    bar.update(len(reports), 0, force=True)
    try:
        pool.run(todo)
    except KeyboardInterrupt:
        # Every report graded so far is on disk, and the next run grades the rest; the
        # gradebook and summary are written only by a run that saw every student.
        log.write("interrupted", graded=len(result.graded), skipped=len(result.skipped),
                  remaining=len(students) - len(reports),
                  seconds=round(time.monotonic() - started, 3))
        raise
    finally:
        bar.close()
    _write_outputs(a, out, students, reports, result)
    result.seconds = time.monotonic() - started
    log.write("end", graded=len(result.graded), skipped=len(result.skipped),
              failed=len(result.failed), seconds=round(result.seconds, 3))
    return result


def _prepare(source: Path, out: Path, zip_limits: ZipLimits) -> Path:
    """Check the paths, create OUT, and return the folder that holds the students."""
    if not source.exists():
        raise UsageError(f"there is no submissions folder or archive at {source}")
    if out == source or source in out.parents:
        raise UsageError(f"the output folder {out} must not be inside the submissions {source}")
    (out / ".batch").mkdir(parents=True, exist_ok=True)
    _lock(out)
    for stale in out.glob(".*.tmp"):
        # Left by a run that was killed while writing; the real file is intact or absent.
        stale.unlink(missing_ok=True)
    if source.is_dir():
        return source
    if not zipfile.is_zipfile(source):
        raise UsageError(f"{source}: expected a folder with one entry per student or a .zip "
                         "export")
    extracted = out / ".batch" / "extracted"
    shutil.rmtree(extracted, ignore_errors=True)
    return extract_zip(source, extracted, zip_limits)


_LOCKS: dict[Path, IO[bytes]] = {}


def _lock(out: Path) -> None:
    """Refuse a second batch writing into the same folder; the kernel drops the lock when the
    process ends, even by SIGKILL, so a killed batch never blocks the next one."""
    import fcntl

    if out in _LOCKS:
        return
    f = open(out / ".batch" / "lock", "ab")  # noqa: SIM115 - held until _unlock
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise UsageError(f"another batch is writing into {out}; wait for it to finish") from None
    _LOCKS[out] = f


def _unlock(out: Path) -> None:
    f = _LOCKS.pop(out, None)
    if f is not None:
        f.close()


def _write_outputs(a: Assignment, out: Path, students: list[Student],
                   reports: dict[str, dict[str, Any]], result: BatchResult) -> None:
    from grader.gradebook import write_gradebook
    from grader.summary import summarize, write_summary

    ordered = {s.id: reports[s.id] for s in students if s.id in reports}
    result.statuses = {sid: r["status"] for sid, r in ordered.items()}
    result.failed = sorted(sid for sid, st in result.statuses.items() if st == "internal-error")
    write_gradebook(out / "gradebook.csv", ordered, a, students=result.students)
    write_summary(out, summarize(ordered, a, students=result.students, ignored=result.ignored))


#: Most students one grader process grades in one session.
CHUNK_MAX = 25


class _Pool:
    """Up to ``jobs`` grader processes, each grading one submission at a time."""

    def __init__(self, a: Assignment, *, config: dict[str, Any], state: Path, jobs: int,
                 per_worker: int, timeout: float,
                 finish: Callable[[Student, dict[str, Any], float], None], log: _Log,
                 tick: Callable[[int], None]) -> None:
        self.a = a
        self.config = config
        self.state = state
        self.jobs = jobs
        self.per_worker = per_worker
        self.timeout = timeout
        self.finish = finish
        self.log = log
        self.tick = tick
        self.queue: list[Student] = []
        self.attempts: dict[str, int] = {}
        self.alone: set[str] = set()
        """Students graded in a session of their own (their session once ended badly)."""
        self.workers: list[_Worker | None] = []
        self.selector = selectors.DefaultSelector()

    def run(self, todo: list[Student]) -> None:
        """Grade ``todo``; return when each has a report (or the grader gave up on it)."""
        if not todo:
            return
        self.queue = list(reversed(todo))
        self.workers = [None] * max(1, min(self.jobs, len(todo)))
        with open(self.state / "workers.stderr", "ab") as err:
            try:
                while self.queue or self._busy():
                    self._assign(err)
                    self.tick(len(self._busy()))
                    self._wait()
            finally:
                for i, w in enumerate(self.workers):
                    self._retire(i, force=w is not None and bool(w.students))
                self.selector.close()

    def _busy(self) -> list[_Worker]:
        return [w for w in self.workers if w is not None and w.students]

    def _assign(self, err: IO[bytes]) -> None:
        for i in range(len(self.workers)):
            current = self.workers[i]
            if current is not None and not current.students and (
                    not self.queue or current.done >= self.per_worker):
                self._retire(i, force=False)
                current = None
            if not self.queue or (current is not None and current.students):
                continue
            if current is None:
                current = self.workers[i] = _Worker(i, self.config, err)
                self.selector.register(current.fd, selectors.EVENT_READ, i)
                self.log.write("worker", pid=current.proc.pid)
            size = self._chunk_size()
            chunk = [self.queue.pop()]
            # A student whose session ended badly is graded alone from then on, so that one
            # submission that takes a grader process down takes nobody else's grade with it.
            while (chunk[0].id not in self.alone and self.queue and len(chunk) < size
                   and self.queue[-1].id not in self.alone):
                chunk.append(self.queue.pop())
            current.give(chunk, self.timeout)

    def _wait(self) -> None:
        busy = self._busy()
        if not busy:
            return
        wait = max(0.0, min(min(w.deadline for w in busy) - time.monotonic(), 0.5))
        for key, _ in self.selector.select(wait):
            w = self.workers[key.data]
            if w is None:
                continue
            lines, closed = w.read_lines()
            for line in lines:
                self._reply(w, line)
            if closed:
                if w.students:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        w.proc.wait(timeout=1)  # for its exit code, in the log
                    self._failed(w, f"the grader process exited (code {w.proc.poll()}) while "
                                    "grading")
                self._retire(key.data, force=True)
        now = time.monotonic()
        for i, w in enumerate(self.workers):
            if w is not None and w.students and now > w.deadline:
                self._failed(w, f"grading did not finish within {self.timeout:g} s; the grader "
                                "process was stopped")
                self._retire(i, force=True)

    def _chunk_size(self) -> int:
        # Big enough to spread a session's start-up (about a fifth of a student's grading) over
        # many students, small enough that a killed batch loses little finished work. Towards
        # the end a chunk is half of one process's share of what is left (guided
        # self-scheduling): all processes stay busy to the end, with few one-student sessions.
        return max(1, min(CHUNK_MAX, len(self.queue) // (2 * len(self.workers))))

    def _reply(self, w: _Worker, line: bytes) -> None:
        if not w.students:
            return
        reply: Any = None
        if line.endswith(_CUT):
            found = re.match(rb'\{"id": "([A-Za-z0-9._@+-]+)"', line)
            student = w.students.get(found.group(1).decode()) if found else None
            reply = {"error": f"the grader process sent a reply over {REPLY_MAX} bytes"}
        else:
            try:
                reply = json.loads(line)
                student = w.students.get(str(reply.get("id"))) if isinstance(reply, dict) \
                    else None
            except ValueError:
                student = None
        if student is None:
            self._failed(w, f"unreadable reply from the grader process: {line[:200]!r}")
            # Its later replies could not be told apart from a next chunk's: replace it.
            self._retire(w.index, force=True)
            return
        del w.students[student.id]
        w.done += 1
        w.replied()
        report = reply.get("report")
        if isinstance(report, dict):
            self.finish(student, report, time.monotonic() - w.started)
        else:
            self._fail_one(student, str(reply.get("error", "no report")), w.started)

    def _failed(self, w: _Worker, why: str) -> None:
        """The students the process still had: one alone is retried (once) or given a failure
        report; several are each graded again alone, at no cost to their tries (which of them
        ended the session is not known)."""
        students, w.students = list(w.students.values()), {}
        if len(students) == 1:
            self._fail_one(students[0], why, w.started)
            return
        for student in students:
            self.alone.add(student.id)
            self.log.write("isolate", student=student.id, reason=why[-2000:])
            self.queue.append(student)

    def _fail_one(self, student: Student, why: str, started: float) -> None:
        tries = self.attempts[student.id] = self.attempts.get(student.id, 0) + 1
        self.log.write("retry" if tries < 2 else "failed", student=student.id,
                       reason=why[-2000:])
        if tries < 2:
            self.queue.append(student)  # once more on a fresh process: it may be the machine
            return
        try:
            report = failure_report(self.a, student, why)
        except Exception:  # noqa: BLE001 - the student stays missing; the batch goes on
            self.log.write("unwritten", student=student.id,
                           reason=traceback.format_exc()[-2000:])
            return
        self.finish(student, report, time.monotonic() - started)

    def _retire(self, i: int, *, force: bool) -> None:
        w = self.workers[i]
        if w is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(w.fd)
        w.stop(force=force)
        self.workers[i] = None


class _Log:
    """``batch.log``: one JSON object per line, appended, so runs can be told apart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.run = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"

    def write(self, event: str, **fields: Any) -> None:
        entry = {"time": round(time.time(), 3), "run": self.run, "event": event, **fields}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def read_log(path: str | Path) -> Iterator[dict[str, Any]]:
    """Entries of a ``batch.log``, skipping a line a kill left half-written."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            with contextlib.suppress(ValueError):
                yield json.loads(line)


class _CallableModule(types.ModuleType):
    """Importing ``grader.batch`` makes the package attribute ``grader.batch`` this module, not
    the function ``__init__`` exposes; calling the module keeps ``grader.batch(...)`` working."""

    def __call__(self, *args: Any, **kwargs: Any) -> BatchResult:
        return batch(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        sys.exit(_worker_main())
    sys.exit("usage: python -m grader.batch --worker (started by grader.batch)")
