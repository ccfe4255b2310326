"""Batch grading: a whole class into reports, gradebook and summary; resume; safe zip import.

The class is built from the example, broken and hostile submissions of cs189_hw4_backprop (the
fastest assignment to grade), copied into ``tmp_path`` with small time limits so that the hostile
submissions that hang cost seconds, not minutes.
"""

from __future__ import annotations

import collections
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

import grader
from grader.api import grade
from grader.batch import (
    UnsafeArchiveError,
    ZipLimits,
    _Progress,
    discover,
    extract_zip,
    progress_wanted,
    read_log,
)
from grader.cli import main
from grader.gradebook import gradebook_rows
from grader.report import validate
from grader.summary import render_html, summarize

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples" / "cs189_hw4_backprop"
BROKEN = ROOT / "submissions" / "broken"
HOSTILE = ROOT / "submissions" / "hostile"
#: Hostile submissions that each stress one thing a batch must survive: output floods, a hang at
#: import, signals sent at the grader, a forged report and an early exit, shadowed modules.
HOSTILE_PICK = ("exhaust_output.py", "exhaust_import_loop.py", "escape_kill_parent.py",
                "forge_fake_report_exit.py", "shadow_modules")
SMALL_LIMITS = """
[limits]
call_seconds = 2
import_seconds = 3
total_seconds = 12
cpu_seconds = 10
restarts = 1
"""


def small_assignment(dest: Path) -> Path:
    """cs189_hw4_backprop copied under ``dest`` with small limits (same tests, same points)."""
    target = dest / "cs189_hw4_backprop"
    shutil.copytree(ROOT / "problems" / "cs189_hw4_backprop", target,
                    ignore=shutil.ignore_patterns("__pycache__"))
    toml = target / "assignment.toml"
    text = re.sub(r"\[limits\][^\[]*", "", toml.read_text())
    toml.write_text(text + SMALL_LIMITS)
    return target


def notebook_of(source: Path, dest: Path) -> Path:
    """A notebook whose code cells hold ``source`` (a markdown cell first, as students write)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# My homework"),
                nbformat.v4.new_code_cell(source.read_text())]
    dest.write_text(nbformat.writes(nb))
    return dest


def build_class(folder: Path) -> dict[str, str]:
    """Write a class of submissions into ``folder``; return student id -> what they handed in."""
    folder.mkdir(parents=True)
    kinds: dict[str, str] = {}

    def put(sid: str, src: Path, kind: str, suffix: str = ".py") -> None:
        shutil.copyfile(src, folder / f"{sid}{suffix}")
        kinds[sid] = kind

    for i in range(5):
        put(f"s{i:02d}_correct", EXAMPLES / "correct.py", "correct")
    put("s05_loops", EXAMPLES / "correct_float32_loops.py", "correct_float32_loops")
    put("s06_loops", EXAMPLES / "correct_float32_loops.py", "correct_float32_loops")
    mistakes = sorted(p.stem for p in EXAMPLES.glob("mistake_*.py"))
    assert len(mistakes) >= 5
    n = 10
    for stem in mistakes:
        for _ in range(2):
            put(f"s{n:02d}_{stem}", EXAMPLES / f"{stem}.py", stem)
            n += 1
    put("t01_starter", EXAMPLES / "starter.py", "starter")
    put("t02_starter", EXAMPLES / "starter.py", "starter")
    for i in range(2):
        notebook_of(EXAMPLES / "correct.py", folder / f"nb{i}.ipynb")
        kinds[f"nb{i}"] = "correct"
        sub = folder / f"dir{i}"
        sub.mkdir()
        shutil.copyfile(EXAMPLES / "correct.py", sub / "backprop.py")
        (sub / "notes.md").write_text("my notes\n")
        kinds[f"dir{i}"] = "correct"
    for p in sorted(BROKEN.iterdir()):
        if p.suffix in (".py", ".ipynb"):
            put(f"broken_{p.stem}", p, "broken", p.suffix)
        elif p.is_dir():
            shutil.copytree(p, folder / f"broken_{p.name}")
            kinds[f"broken_{p.name}"] = "broken"
    for name in HOSTILE_PICK:
        p = HOSTILE / name
        if p.is_dir():
            shutil.copytree(p, folder / f"hostile_{p.name}")
            kinds[f"hostile_{p.name}"] = "hostile"
        elif p.is_file():
            put(f"hostile_{p.stem}", p, "hostile")
    (folder / "notes.txt").write_text("not a submission\n")
    (folder / ".DS_Store").write_bytes(b"\0")
    return kinds


def load_reports(out: Path, ids: list[str]) -> dict[str, dict]:
    return {sid: json.loads((out / f"{sid}.json").read_text()) for sid in ids}


def outcome(report: dict) -> list[tuple[str, float, str]]:
    return [(t["name"], t["score"], t["status"]) for t in report["tests"]]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory):
    """A 40+ student batch graded once with two workers (shared by the tests that inspect it)."""
    tmp = tmp_path_factory.mktemp("class")
    assignment = small_assignment(tmp)
    kinds = build_class(tmp / "subs")
    started = time.monotonic()
    # validate=True: each grader process also checks its reports against the schema.
    result = grader.batch(assignment, tmp / "subs", tmp / "out", jobs=2, progress=False,
                          validate=True)
    return assignment, kinds, result, time.monotonic() - started


@pytest.mark.slow
def test_batch_grades_every_student_of_a_class(graded_class):
    """Each of 40+ students gets a valid report; honest work is graded as alone, hostile work
    earns nothing beyond its honest part, and the run ends ok."""
    assignment, kinds, result, seconds = graded_class
    assert len(kinds) >= 40
    assert sorted(result.students) == sorted(kinds)
    assert result.ok and not result.failed and not result.skipped
    assert sorted(result.graded) == sorted(kinds)
    assert result.ignored == ["notes.txt"]
    reports = load_reports(result.out, result.students)
    for report in reports.values():
        validate(report)
    by_kind = collections.defaultdict(list)
    for sid, kind in kinds.items():
        by_kind[kind].append(sid)
    alone = grade(assignment, EXAMPLES / "correct.py")
    for sid in by_kind["correct"]:
        assert reports[sid]["status"] == "graded", sid
        assert outcome(reports[sid]) == outcome(alone), sid
        assert reports[sid]["score"] == alone["score"] > 0
    for kind in [k for k in by_kind if k.startswith("mistake_")]:
        first = reports[by_kind[kind][0]]
        assert 0 < first["score"] < first["max_score"], kind
        for sid in by_kind[kind]:
            assert outcome(reports[sid]) == outcome(first), sid
    for sid in by_kind["starter"]:
        assert (reports[sid]["status"], reports[sid]["score"]) == ("graded", 0.0)
    for sid in by_kind["broken"]:
        assert reports[sid]["score"] == 0.0, sid
    statuses = {reports[sid]["status"] for sid in by_kind["broken"]}
    assert statuses <= {"load-error", "import-error", "graded"}
    assert {"load-error", "import-error"} <= statuses
    part_1a = next(p["max_score"] for p in alone["parts"] if p["id"] == "1a")
    for sid in by_kind["hostile"]:
        # The honest part of each hostile submission is part 1a: no more points than that.
        assert reports[sid]["score"] <= part_1a, sid
        assert reports[sid]["status"] != "internal-error", sid
    if (HOSTILE / "exhaust_import_loop.py").exists():
        assert reports["hostile_exhaust_import_loop"]["status"] == "timeout"
    assert seconds < 120


@pytest.mark.slow
def test_gradebook_has_one_row_per_student_matching_the_reports(graded_class):
    """gradebook.csv: a header, then per student the part scores, total, max and status of its
    report, in student order."""
    _, kinds, result, _ = graded_class
    rows = list(csv.reader(io.StringIO((result.out / "gradebook.csv").read_text())))
    parts = ["1a", "1b", "1c", "1d", "1e"]
    assert rows[0] == ["id", *(f"part {p}" for p in parts), "total", "max", "status"]
    assert [r[0] for r in rows[1:]] == sorted(kinds)
    reports = load_reports(result.out, result.students)
    for row in rows[1:]:
        report = reports[row[0]]
        by_part = {p["id"]: p["score"] for p in report["parts"]}
        assert [float(x) for x in row[1:6]] == pytest.approx([by_part[p] for p in parts],
                                                             abs=1e-4)
        assert float(row[6]) == pytest.approx(report["score"], abs=1e-4)
        assert float(row[7]) == report["max_score"]
        assert row[8] == report["status"]


@pytest.mark.slow
def test_summary_counts_match_the_reports(graded_class):
    """summary.json counts statuses, bins every score, and counts each test's passes exactly."""
    _, kinds, result, _ = graded_class
    summary = json.loads((result.out / "summary.json").read_text())
    reports = load_reports(result.out, result.students)
    assert summary["students"] == summary["reports"] == len(kinds)
    assert summary["status_counts"] == dict(collections.Counter(
        r["status"] for r in reports.values()))
    assert sum(b["count"] for b in summary["histogram"]) == len(kinds)
    for i, b in enumerate(summary["histogram"]):
        inside = [r for r in reports.values()
                  if b["low"] <= r["score"] < b["high"]
                  or (i == 9 and r["score"] == summary["max_score"])]
        assert b["count"] == len(inside), b
    for t in summary["tests"]:
        passed = sum(any(x["name"] == t["name"] and x["status"] == "passed"
                         for x in r["tests"]) for r in reports.values())
        assert t["passed"] == passed, t["name"]
        assert t["pass_rate"] == pytest.approx(passed / len(kinds), abs=1e-4)
    for p in summary["parts"]:
        full = sum(any(x["id"] == p["id"] and x["score"] == x["max_score"] for x in r["parts"])
                   for r in reports.values())
        assert p["full_credit"] == full, p["id"]
    not_graded = sorted(sid for sid, r in reports.items() if r["status"] != "graded")
    assert sorted(a["id"] for a in summary["attention"]) == not_graded
    page = (result.out / "summary.html").read_text()
    assert page.count("<svg") >= 3 and "<script" not in page.lower()


@pytest.mark.slow
def test_rerun_grades_nobody_again(graded_class):
    """A second run over a finished batch keeps every report: all skipped, none rewritten."""
    assignment, kinds, result, _ = graded_class
    mtimes = {sid: (result.out / f"{sid}.json").stat().st_mtime_ns for sid in kinds}
    again = grader.batch(assignment, result.out.parent / "subs", result.out, jobs=2,
                         progress=False)
    assert again.graded == [] and sorted(again.skipped) == sorted(kinds) and again.ok
    assert {sid: (result.out / f"{sid}.json").stat().st_mtime_ns for sid in kinds} == mtimes


def _start_batch(assignment: Path, subs: Path, out: Path, jobs: int) -> subprocess.Popen:
    env = {**os.environ, "CI": "1"}
    return subprocess.Popen([sys.executable, "-m", "grader", "batch", str(assignment), str(subs),
                             "-o", str(out), "-j", str(jobs)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_killed_batch_resumes_without_regrading_finished_students(tmp_path: Path):
    """SIGKILL the batch midway: its grader processes die with it, and a second run grades only
    the students without a finished report, leaving finished reports untouched."""
    assignment = small_assignment(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    stems = ["correct", "mistake_relu_grad", "starter", "mistake_no_bias"]
    for i in range(12):
        shutil.copyfile(EXAMPLES / f"{stems[i % len(stems)]}.py", subs / f"st{i:02d}.py")
    out = tmp_path / "out"
    proc = _start_batch(assignment, subs, out, jobs=1)
    deadline = time.monotonic() + 60
    while len(list(out.glob("st*.json"))) < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = sorted(p.stem for p in out.glob("st*.json"))
    assert 3 <= len(finished) < 12
    mtimes = {sid: (out / f"{sid}.json").stat().st_mtime_ns for sid in finished}
    first_run = list(read_log(out / "batch.log"))
    workers = [e["pid"] for e in first_run if e["event"] == "worker"]
    assert workers
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "grader processes outlived the batch"
    assert not (out / "gradebook.csv").exists()

    second = _start_batch(assignment, subs, out, jobs=2)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()
    runs = collections.OrderedDict.fromkeys(e["run"] for e in read_log(out / "batch.log"))
    last = [e for e in read_log(out / "batch.log") if e["run"] == list(runs)[-1]]
    graded = sorted(e["student"] for e in last if e["event"] == "graded")
    skipped = sorted(e["student"] for e in last if e["event"] == "skip")
    all_ids = [f"st{i:02d}" for i in range(12)]
    assert skipped == finished
    assert graded == sorted(set(all_ids) - set(finished))
    assert {sid: (out / f"{sid}.json").stat().st_mtime_ns for sid in finished} == mtimes
    rows = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    assert [r[0] for r in rows[1:]] == all_ids
    reports = load_reports(out, all_ids)
    for i, sid in enumerate(all_ids):
        validate(reports[sid])
        assert reports[sid]["status"] == "graded"
        twin = reports[all_ids[i % len(stems)]]
        assert outcome(reports[sid]) == outcome(twin), sid
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow
def test_changed_submission_and_grader_failure_are_graded_again(tmp_path: Path):
    """A grader process that overruns its deadline yields an internal-error report and a batch
    that is not ok; the next run grades that student again, and one whose file changed, but
    not an unchanged finished one."""
    assignment = small_assignment(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(EXAMPLES / "correct.py", subs / "ann.py")
    shutil.copyfile(EXAMPLES / "starter.py", subs / "bob.py")
    out = tmp_path / "out"
    hung = grader.batch(assignment, subs, out, jobs=2, progress=False, grade_timeout=0.01)
    assert not hung.ok and hung.failed == ["ann", "bob"]
    report = json.loads((out / "ann.json").read_text())
    validate(report)
    assert report["status"] == "internal-error" and report["score"] == 0
    assert "not in your work" in report["output"]
    events = [e["event"] for e in read_log(out / "batch.log") if e.get("student") == "ann"]
    assert events == ["retry", "failed", "graded"]

    fixed = grader.batch(assignment, subs, out, jobs=2, progress=False)
    assert fixed.ok and sorted(fixed.graded) == ["ann", "bob"]
    assert json.loads((out / "bob.json").read_text())["score"] == 0.0
    shutil.copyfile(EXAMPLES / "correct.py", subs / "bob.py")
    third = grader.batch(assignment, subs, out, jobs=2, progress=False)
    assert third.graded == ["bob"] and third.skipped == ["ann"]
    ann = json.loads((out / "ann.json").read_text())
    assert json.loads((out / "bob.json").read_text())["score"] == ann["score"] > 0


# -- zip exports ----------------------------------------------------------------------------

def _zip(path: Path, members: dict[str, bytes], *, links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.slow
def test_gradescope_style_zip_export_is_graded(tmp_path: Path):
    """A zip with a wrapper folder, a metadata file and one folder per submission is graded
    with the folder names as student ids."""
    assignment = small_assignment(tmp_path)
    correct = (EXAMPLES / "correct.py").read_bytes()
    archive = _zip(tmp_path / "export.zip", {
        "assignment_1_export/submission_metadata.yml": b"submission_11: {}\n",
        "assignment_1_export/submission_11/backprop.py": correct,
        "assignment_1_export/submission_12/backprop.py": (EXAMPLES / "starter.py").read_bytes(),
    })
    result = grader.batch(assignment, archive, tmp_path / "out", jobs=2, progress=False)
    assert result.ok and result.students == ["submission_11", "submission_12"]
    assert result.ignored == ["submission_metadata.yml"]
    scores = [json.loads((tmp_path / "out" / f"{sid}.json").read_text())["score"]
              for sid in result.students]
    assert scores[0] > 0 and scores[1] == 0


@pytest.mark.parametrize(("members", "links", "words"), [
    ({"../evil.py": b"x = 1\n"}, (), "outside the archive"),
    ({"a/../../evil.py": b"x = 1\n"}, (), "outside the archive"),
    ({"/etc/evil.py": b"x = 1\n"}, (), "absolute path"),
    ({"alice.py": b"x = 1\n"}, ("bob.py",), "symbolic link"),
    ({"bomb.py": b"0" * (3 * 1024 * 1024)}, (), "zip bomb"),
])
def test_unsafe_archives_are_refused(tmp_path: Path, members, links, words):
    """Path traversal, absolute names, links and bombs are refused before anything is written."""
    archive = _zip(tmp_path / "bad.zip", members, links=links)
    with pytest.raises(UnsafeArchiveError, match=words):
        extract_zip(archive, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "evil.py").exists()


def test_archive_caps_on_members_and_total_size(tmp_path: Path):
    """Too many entries, or more bytes than the cap, are refused with a message naming the cap."""
    archive = _zip(tmp_path / "many.zip", {f"s{i}.py": b"x = 1\n" for i in range(30)})
    with pytest.raises(UnsafeArchiveError, match="30 entries; the limit is 10"):
        extract_zip(archive, tmp_path / "x", ZipLimits(max_members=10))
    big = _zip(tmp_path / "big.zip", {"a.py": os.urandom(4000), "b.py": os.urandom(4000)})
    with pytest.raises(UnsafeArchiveError, match="possible zip bomb"):
        extract_zip(big, tmp_path / "y", ZipLimits(max_total_bytes=5000))


def test_cli_batch_on_a_bad_archive_is_a_usage_error(tmp_path: Path, capsys):
    """grader batch exits 2 with a clear message for a traversal archive and for a non-zip."""
    archive = _zip(tmp_path / "bad.zip", {"../evil.py": b"x = 1\n"})
    assert main(["batch", "cs189_hw4_backprop", str(archive), "-o", str(tmp_path / "o")]) == 2
    assert "outside the archive" in capsys.readouterr().err
    (tmp_path / "plain.txt").write_text("hello")
    assert main(["batch", "cs189_hw4_backprop", str(tmp_path / "plain.txt"), "-o",
                 str(tmp_path / "o")]) == 2


def test_batch_without_submissions_is_a_usage_error(tmp_path: Path, capsys):
    """An empty folder (or one with only other files) is a usage error, exit 2, not a batch of
    nobody."""
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "grades.xlsx").write_bytes(b"PK")
    assert main(["batch", "cs189_hw4_backprop", str(tmp_path / "subs"), "-o",
                 str(tmp_path / "out")]) == 2
    assert "no submissions" in capsys.readouterr().err


# -- pieces -----------------------------------------------------------------------------------

def test_student_ids_are_safe_and_unique(tmp_path: Path):
    """Ids are file stems or folder names; clashes keep both, formulas and reserved names are
    defused; hidden entries and other files are not graded but listed as ignored (a student's
    ``.hidden.py`` must not vanish), system files skipped."""
    for name in ("alice.py", "alice.ipynb", "+cmd.py", "summary.py", "bob", ".hidden.py",
                 "readme.pdf", "carol smith.py", ".DS_Store", "__MACOSX"):
        p = tmp_path / name
        if "." in name:
            p.write_text("x = 1\n")
        else:
            p.mkdir()
    students, ignored = discover(tmp_path)
    assert [s.id for s in students] == ["_+cmd", "alice.ipynb", "alice.py", "bob",
                                        "carol_smith", "summary_"]
    assert ignored == [".hidden.py", "readme.pdf"]


def test_progress_bar_only_at_a_terminal_outside_ci(monkeypatch):
    """The bar is drawn for a terminal, and not in CI or into a pipe."""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    assert progress_wanted(Tty()) and not progress_wanted(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not progress_wanted(Tty())
    stream = Tty()
    bar = _Progress(4, stream, enabled=True)
    bar.update(2, 1, force=True)
    bar.close()
    assert "2/4" in stream.getvalue() and stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    bar = _Progress(4, quiet, enabled=False)
    bar.update(2, 1, force=True)
    bar.close()
    assert quiet.getvalue() == ""


def _report(score: float, status: str = "graded", passed: tuple[bool, bool] = (True, True),
            output: str = "Score") -> dict:
    tests = [{"name": f"t{i}", "number": f"1.{i}", "score": 5.0 if ok else 0.0,
              "max_score": 5.0, "status": "passed" if ok else "failed", "output": "",
              "visibility": "visible", "tags": ["hidden"] if i else ["public"], "part": "1"}
             for i, ok in enumerate(passed)]
    return {"assignment": "demo", "score": score, "max_score": 10.0, "status": status,
            "output": output, "tests": tests,
            "parts": [{"id": "1", "title": "Part one", "score": score, "max_score": 10.0,
                       "passed": sum(passed), "tests": 2}]}


def test_gradebook_rows_from_reports():
    """Rows hold each part's score, total, max and status; a missing report is 'missing'."""
    rows = gradebook_rows({"a": _report(10.0), "b": _report(10 / 3, passed=(False, False))},
                          students=["a", "b", "c"])
    assert rows == [["id", "part 1", "total", "max", "status"],
                    ["a", "10", "10", "10", "graded"],
                    ["b", "3.3333", "3.3333", "10", "graded"],
                    ["c", "", "", "", "missing"]]


def test_summary_of_synthetic_reports_and_escaped_html():
    """Pass rates, histogram and attention list come out of the reports; student-controlled
    text is escaped in the page."""
    reports = {
        "a": _report(10.0),
        "b": _report(5.0, passed=(True, False)),
        "<img src=x onerror=alert(1)>": _report(0.0, "import-error", (False, False),
                                                "Score: 0\n<script>alert(1)</script>"),
    }
    s = summarize(reports)
    assert s["status_counts"] == {"graded": 2, "import-error": 1}
    assert [b["count"] for b in s["histogram"]] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert [(t["name"], t["passed"], t["pass_rate"]) for t in s["tests"]] == [
        ("t0", 2, pytest.approx(2 / 3, abs=1e-4)), ("t1", 1, pytest.approx(1 / 3, abs=1e-4))]
    assert s["parts"][0]["full_credit"] == 1 and s["parts"][0]["mean_score"] == 5.0
    assert [a["id"] for a in s["attention"]] == ["<img src=x onerror=alert(1)>"]
    page = render_html(s)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "Most of the class failed" in page


@pytest.mark.slow
def test_a_grader_process_killed_while_grading_is_replaced(tmp_path: Path):
    """When a grader process dies mid-grading (here: SIGKILL from outside), its student is
    graded again on a fresh process and the batch still ends ok."""
    import threading

    assignment = small_assignment(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(EXAMPLES / "correct.py", subs / "ann.py")
    out = tmp_path / "out"
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            if (out / "batch.log").exists():
                pids = [e["pid"] for e in read_log(out / "batch.log") if e["event"] == "worker"]
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
            time.sleep(0.01)

    thread = threading.Thread(target=killer)
    thread.start()
    result = grader.batch(assignment, subs, out, jobs=1, progress=False)
    thread.join()
    assert killed
    assert result.ok and result.statuses == {"ann": "graded"}
    events = [(e["event"], e.get("reason", "")) for e in read_log(out / "batch.log")
              if e.get("student") == "ann"]
    assert events[0][0] == "retry" and "exited" in events[0][1]
    assert events[-1][0] == "graded"
    assert json.loads((out / "ann.json").read_text())["score"] > 0


@pytest.mark.slow
def test_grader_process_is_replaced_after_per_worker_students(tmp_path: Path):
    """``per_worker`` bounds how many students one grader process grades: with 2 per process,
    five students take three processes (chunks of 2, 1 + 1, and 1), and each is graded as
    alone."""
    assignment = small_assignment(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ann", "bob", "cat", "dan", "eve"):
        shutil.copyfile(EXAMPLES / "correct.py", subs / f"{name}.py")
    alone = grader.grade(assignment, EXAMPLES / "correct.py")["score"]
    out = tmp_path / "out"
    result = grader.batch(assignment, subs, out, jobs=1, per_worker=2, progress=False)
    assert result.ok and set(result.statuses.values()) == {"graded"}
    assert {json.loads((out / f"{s}.json").read_text())["score"] for s in result.students} \
        == {alone}
    pids = [e["pid"] for e in read_log(out / "batch.log") if e["event"] == "worker"]
    assert len(pids) == len(set(pids)) == 3


# -- one student's failure stays that student's ------------------------------------------------

#: Loaded by every Python process started with ``PYTHONPATH`` pointing at its folder; in a batch's
#: grader process it breaks the grader itself on the submissions whose path names a fault. This
#: is how a bug of the grader (or an attack that finds one) looks to the supervisor.
FAULTS = '''
import os
import sys

if sys.orig_argv[-2:] == ["grader.batch", "--worker"]:
    import grader.api as api

    original_report = api._report
    original_hidden = api._hidden

    def fault(path):
        name = os.path.basename(str(path))
        return name.split("fault_")[1].split(".")[0] if "fault_" in name else None

    def report(a, sub, *args, **kwargs):
        kind = fault(sub.path)
        if kind == "report":
            raise OverflowError("cannot convert float infinity to integer")
        if kind == "exit":
            os._exit(3)
        result = original_report(a, sub, *args, **kwargs)
        if kind == "surrogate":
            result["output"] += "\\nNote: \\ud800"
            result["tests"][0]["output"] = "\\udcff" + result["tests"][0]["output"]
        if kind == "huge":
            result["instructor"]["detail"] = "x" * (40 * 1024 * 1024)
        if kind == "nan":
            result["execution_time"] = float("nan")
        return result

    def hidden(a, sub, extra_hide):
        if fault(sub.path) == "session":
            raise RuntimeError("the session broke")
        return original_hidden(a, sub, extra_hide)

    api._report = report
    api._hidden = hidden
'''
#: What a student whose grading failed reads.
GRADER_FAILED = ("Grading failed because of a problem in the grader, not in your work; your "
                 "submission will be graded again.")


def _attacker_class(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """15 honest students, the submissions of issue 14 that broke batches, and copies of a
    correct submission that break the grader itself (see FAULTS); returns the folder and
    each student's file."""
    subs = tmp_path / "subs"
    subs.mkdir()
    files: dict[str, Path] = {}
    stems = ["correct", "mistake_relu_grad", "starter"]
    for i in range(15):
        files[f"c{i:02d}"] = EXAMPLES / f"{stems[i % 3]}.py"
        shutil.copyfile(files[f"c{i:02d}"], subs / f"c{i:02d}.py")
    # A cell whose tags are a number, not a list: the loader once failed on it; now such tags
    # count as none and the cell is graded as the code it is.
    nb = json.loads(nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell((EXAMPLES / "correct.py").read_text())])))
    nb["cells"][0]["metadata"]["tags"] = 5
    (subs / "a_tags.ipynb").write_text(json.dumps(nb))
    # Every function raises with a lone surrogate as its message.
    (subs / "a_surrogate.py").write_text((EXAMPLES / "starter.py").read_text().replace(
        "raise NotImplementedError", 'raise ValueError("\\ud800")'))
    # Typed answers that are not finite.
    (subs / "a_inf").mkdir()
    shutil.copyfile(EXAMPLES / "complete" / "backprop.py", subs / "a_inf" / "backprop.py")
    (subs / "a_inf" / "answers.toml").write_text((EXAMPLES / "complete" / "answers.toml")
                                                  .read_text().replace("= 1\n", "= inf\n", 1))
    files["a_inf"] = subs / "a_inf"
    for kind in ("report", "session", "exit", "surrogate", "huge", "nan"):
        shutil.copyfile(EXAMPLES / "correct.py", subs / f"fault_{kind}.py")
    (subs / ".dotfile.py").write_text((EXAMPLES / "correct.py").read_text())
    # Raises at import with a lone surrogate: the summary quotes its message.
    (subs / "a_import.py").write_text('raise ValueError("\\ud800")\n')
    # File names that are not UTF-8: a student's and one that is not a submission.
    shutil.copyfile(EXAMPLES / "correct.py", subs / os.fsdecode(b"b\xffd.py"))
    files["b_d"] = EXAMPLES / "correct.py"
    (subs / os.fsdecode(b"n\xffotes.txt")).write_text("hello\n")
    return subs, files


@pytest.mark.slow
def test_attackers_and_grader_failures_cost_only_their_own_grade(  # noqa: PLR0915 - one batch
        tmp_path: Path, monkeypatch, capsys):  # checked from every side: it costs seconds
    """A class of 15 graded in mixed chunks with students who break the loader, write text that
    is not Unicode, or break the grader (an exception building one report, one that ends the
    session, a grader process that exits mid-chunk, a report of 40 MB, one that is not JSON):
    every classmate gets the report ``grade`` gives them alone, each culprit a schema-valid
    report of its own, the gradebook and summary are written, the batch exits 1 (the grader
    failed on someone), no grader process is left, and a re-run grades only the failed ones."""
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(FAULTS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(tmp_path / "inject"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    assignment = small_assignment(tmp_path)
    subs, files = _attacker_class(tmp_path)
    out = tmp_path / "out"
    alone = {p: outcome(grade(assignment, p)) for p in set(files.values())}

    assert main(["batch", str(assignment), str(subs), "-o", str(out), "-j", "1"]) == 1
    err = capsys.readouterr().err
    reports = {p.stem: p for p in out.glob("*.json")}
    assert sorted(reports) == sorted([*files, "a_surrogate", "a_tags", "a_import",
                                      *(f"fault_{k}" for k in ("report", "session", "exit",
                                                               "surrogate", "huge", "nan")),
                                      "summary"])
    loaded = {}
    for sid, path in reports.items():
        if sid == "summary":
            continue
        # Valid UTF-8 (a lone surrogate became U+FFFD) and valid against the schema.
        loaded[sid] = json.loads(path.read_bytes().decode("utf-8"))
        validate(loaded[sid])
        assert path.stat().st_size < 20 * 1024 * 1024, sid
    for sid, source in files.items():
        assert loaded[sid]["status"] == "graded", sid
        assert outcome(loaded[sid]) == alone[source], sid
    correct = alone[EXAMPLES / "correct.py"]
    assert outcome(loaded["fault_huge"]) == outcome(loaded["fault_surrogate"]) == correct
    assert "more characters cut: the report was too large" in \
        loaded["fault_huge"]["instructor"]["detail"]
    assert loaded["fault_surrogate"]["output"].endswith("Note: \\ud800")  # escaped, not lost
    assert loaded["a_surrogate"]["score"] == 0 and loaded["a_surrogate"]["status"] == "graded"
    assert "\ud800" not in reports["a_surrogate"].read_text(encoding="utf-8")
    assert (loaded["a_import"]["status"], loaded["a_import"]["score"]) == ("import-error", 0)
    failed = sorted(sid for sid, r in loaded.items() if r["status"] == "internal-error")
    assert failed == ["fault_exit", "fault_nan", "fault_report", "fault_session"]
    assert f"the grader failed on {', '.join(failed)}" in err
    assert loaded["a_tags"]["status"] == "graded"
    assert loaded["a_tags"]["score"] == loaded["c00"]["score"] > 0  # c00 is correct.py
    for sid in failed:
        assert loaded[sid]["score"] == 0
        assert loaded[sid]["output"].splitlines()[1] == GRADER_FAILED
    rows = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    assert {r[0]: r[-1] for r in rows[1:]} == {sid: r["status"] for sid, r in loaded.items()}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["students"] == len(loaded)
    assert summary["ignored"] == [".dotfile.py", os.fsdecode(b"n\xffotes.txt")]
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "n\\udcffotes.txt" in page and "a_import" in page

    log = list(read_log(out / "batch.log"))
    events = collections.defaultdict(list)
    for e in log:
        events[e.get("student")].append(e["event"])
    for sid in files:
        assert events[sid][-1] == "graded" and "failed" not in events[sid], sid
    assert events["fault_exit"][-3:] == ["retry", "failed", "graded"]
    assert [(e["entry"], e["reason"]) for e in log if e["event"] == "ignored"] == [
        (".dotfile.py", "hidden: the name starts with a dot"),
        (os.fsdecode(b"n\xffotes.txt"), "not a .py file, .ipynb notebook or folder")]
    workers = [e["pid"] for e in log if e["event"] == "worker"]
    assert not any(_alive(pid) for pid in workers), "grader processes outlived the batch"
    deadline = time.monotonic() + 10  # a worker's end is signalled, not waited for
    while _in_sessions(set(workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _in_sessions(set(workers)), "processes of the grader processes outlived them"

    again = grader.batch(assignment, subs, out, jobs=2, progress=False)
    assert sorted(again.graded) == failed
    assert sorted(again.skipped) == sorted(set(loaded) - set(failed))


def _in_sessions(sids: set[int]) -> list[int]:
    """Live processes in any of these sessions (each grader process leads its own; the workers
    it starts stay in it unless they start their own, in which case they die with their
    grader anyway)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) in sids:
            found.append(int(stat_file.parent.name))
    return found


def test_reply_lines_are_read_in_linear_time_and_capped(tmp_path: Path, monkeypatch):
    """The supervisor reads an 80 MB reply that arrives in 64 KiB pieces in well under a second
    (it took seconds when every read re-split the whole buffer), and a reply over the cap is
    dropped but for its head, which still names the student."""
    import threading

    import grader.batch as gb

    monkeypatch.setattr(gb, "REPLY_MAX", 50 * 1024 * 1024)
    read_end, write_end = os.pipe()
    w = gb._Worker.__new__(gb._Worker)
    w.fd, w.pending, w.pending_bytes = read_end, [], 0
    os.set_blocking(read_end, False)
    small = json.dumps({"id": "ann", "report": {"output": "y" * 30_000_000}}).encode()
    big = b'{"id": "bob", "report": "' + b"z" * 80_000_000 + b'"}'

    def write() -> None:
        with os.fdopen(write_end, "wb") as f:
            for data in (small, b"\n", big, b"\n", b'{"id": "cat"}\n'):
                for k in range(0, len(data), 1 << 16):
                    f.write(data[k:k + (1 << 16)])

    thread = threading.Thread(target=write)
    started = time.monotonic()
    thread.start()
    lines: list[bytes] = []
    closed = False
    while not closed:
        got, closed = w.read_lines()
        lines += got
        time.sleep(0.001)
    thread.join()
    os.close(read_end)
    assert time.monotonic() - started < 5
    assert lines[0] == small
    assert lines[1].startswith(b'{"id": "bob", "report": "zzz') and lines[1].endswith(gb._CUT)
    assert len(lines[1]) < 300
    assert lines[2] == b'{"id": "cat"}'


def test_reports_are_cut_to_fit_and_made_valid_utf8():
    """A report too large to send has its longest texts cut (scores untouched); one with a lone
    surrogate is written with its escape in its place."""
    from grader.batch import encode_report, fit_report

    report = {"score": 1.5, "tests": [{"output": "m" * 100_000, "score": 1.5}],
              "notes": ["n"] * 100_000, "instructor": {"detail": "d" * 5_000_000}}
    fitted = fit_report(report, 200_000)
    assert len(json.dumps(fitted)) <= 200_000
    assert fitted["score"] == 1.5 and fitted["tests"][0]["score"] == 1.5
    assert fitted["instructor"]["detail"].startswith("d" * 256)
    assert fitted["instructor"]["detail"].endswith("more characters cut: the report was too "
                                                   "large]")
    with pytest.raises(ValueError, match="even with every text cut"):
        fit_report({"tests": [{"score": 1}] * 100_000}, 1000)
    data = encode_report({"output": "a\ud800b", "tests": [{"x\udcff": ["\ud83d"]}]})
    assert json.loads(data.decode("utf-8")) == {"output": "a\\ud800b",
                                                 "tests": [{"x\\udcff": ["\\ud83d"]}]}


@pytest.mark.slow
def test_interrupted_batch_keeps_each_report_graded_so_far(tmp_path: Path):
    """SIGINT while a chunk is being graded: the reports already graded in it are on disk (each
    is written as it is graded, not with its chunk), batch.log says the run was interrupted,
    the batch exits 130, no grader process is left, and the next run grades only the rest."""
    assignment = small_assignment(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(12):
        shutil.copyfile(EXAMPLES / "correct.py", subs / f"st{i:02d}.py")
    # The third student of the first chunk (of six: one grader process) hangs at import for
    # import_seconds (3 s): the two before it must be written long before the chunk ends.
    shutil.copyfile(HOSTILE / "exhaust_import_loop.py", subs / "st02.py")
    out = tmp_path / "out"
    proc = _start_batch(assignment, subs, out, jobs=1)
    deadline = time.monotonic() + 60
    while len(list(out.glob("st*.json"))) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    finished = sorted(p.stem for p in out.glob("st*.json"))
    assert finished == ["st00", "st01"]
    log = list(read_log(out / "batch.log"))
    assert [e["event"] for e in log if e.get("student") in finished] == ["graded", "graded"]
    stop = [e for e in log if e["event"] == "interrupted"]
    assert len(stop) == 1 and (stop[0]["graded"], stop[0]["remaining"]) == (2, 10)
    workers = [e["pid"] for e in log if e["event"] == "worker"]
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)
    assert not (out / "gradebook.csv").exists()
    result = grader.batch(assignment, subs, out, jobs=2, progress=False)
    assert result.ok and sorted(result.skipped) == finished
    assert result.statuses["st02"] == "timeout"


# -- zip exports that cannot be extracted as they are --------------------------------------------

def _raw_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A zip with exactly these members, duplicates included."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return path


@pytest.mark.parametrize(("members", "words"), [
    ([("alice.py", b"x = 1\n"), ("alice.py", b"x = 2\n")], "in the archive twice"),
    ([("bob/a.py", b"x = 1\n"), ("bob/./a.py", b"x = 2\n")], "in the archive twice"),
    ([("bob", b"x = 1\n"), ("bob/backprop.py", b"x = 2\n")], "both a file and a folder"),
    ([("bob/backprop.py", b"x = 2\n"), ("bob", b"x = 1\n")], "both a file and a folder"),
    ([("bob/", b""), ("bob", b"x = 1\n")], "both a file and a folder"),
    ([("a" * 300 + ".py", b"x = 1\n")], "longer than 255 bytes"),
    ([("/".join(["d" * 200] * 6) + "/x.py", b"x = 1\n")], "longer than 255 bytes"),
    # 40 files of 512 KiB, each under the old 1 MiB floor of the ratio check.
    ([(f"s{i}.py", b"\0" * (512 * 1024)) for i in range(40)], "zip bomb"),
])
def test_archives_that_cannot_be_extracted_are_usage_errors(tmp_path: Path, capsys, members,
                                                            words):
    """Duplicate members, a name that is a file and a folder, names no file system takes and
    many small bombs are refused before anything is written, and the CLI exits 2 with the
    reason (not a traceback and exit 1)."""
    archive = _raw_zip(tmp_path / "bad.zip", members)
    with pytest.raises(UnsafeArchiveError, match=words):
        extract_zip(archive, tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert main(["batch", "cs189_hw4_backprop", str(archive), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_archive_ratio_counts_every_file_and_the_whole(tmp_path: Path):
    """Small files are ratio-checked too (above 4 KiB), and many files under that floor still
    count in the archive's own ratio."""
    one = _raw_zip(tmp_path / "one.zip", [("a.py", b"\0" * (100 * 1024))])
    with pytest.raises(UnsafeArchiveError, match=r"'a\.py' compresses 102400 bytes"):
        extract_zip(one, tmp_path / "x")
    many = _raw_zip(tmp_path / "many.zip", [(f"s{i}.py", b"\0" * 4000) for i in range(2000)])
    with pytest.raises(UnsafeArchiveError, match=r"many\.zip compresses 8000000 bytes"):
        extract_zip(many, tmp_path / "y", ZipLimits(max_ratio=50))
    fine = _raw_zip(tmp_path / "fine.zip", [("s.py", b"\0" * 4000), ("t.py", os.urandom(9000))])
    assert sorted(p.name for p in extract_zip(fine, tmp_path / "z").iterdir()) == ["s.py", "t.py"]


def test_a_member_that_fails_to_extract_is_a_usage_error(tmp_path: Path):
    """A member whose data is damaged (here: its CRC does not match) is a usage error, and
    nothing half-extracted is left."""
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.py", b"x = 1\n")
        zf.writestr("b.py", b"hello world, this is b\n")
    data = archive.read_bytes()
    archive.write_bytes(data.replace(b"hello world", b"HELLO world"))
    with pytest.raises(grader.errors.UsageError, match=r"could not be extracted.*Bad CRC"):
        extract_zip(archive, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_hidden_entries_are_listed_as_ignored_with_their_reason(tmp_path: Path):
    """A ``.dotfile.py`` is not graded, but the summary lists it and says why (batch.log too:
    see the class with attackers)."""
    (tmp_path / ".dotfile.py").write_text("x = 1\n")
    (tmp_path / "ann.py").write_text("x = 1\n")
    students, ignored = discover(tmp_path)
    assert [s.id for s in students] == ["ann"] and ignored == [".dotfile.py"]
    page = render_html(summarize({"ann": _report(10.0)}, ignored=ignored))
    assert "hidden: the name starts with a dot) and were ignored: .dotfile.py" in page


def test_submission_the_loader_chokes_on_does_not_stop_the_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The supervisor's hash of a submission is empty (not an exception) for a file the
    loader fails on in any way, even with an exception the loader does not promise."""
    import grader.load
    from grader.assignment import resolve
    from grader.batch import Student, _submission_hash, failure_report

    def choke(*_a: object, **_k: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    (tmp_path / "deep.py").write_text("x = 1\n")
    monkeypatch.setattr(grader.load, "load_submission", choke)
    assert _submission_hash(tmp_path / "deep.py", "backprop") == ""
    # With --force no finished report is read, and the failure report hashes it again.
    report = failure_report(resolve("cs189_hw4_backprop"),
                            Student("deep", tmp_path / "deep.py"), "detail")
    validate(report)
    assert (report["status"], report["score"], report["submission"]["sha256"]) == (
        "internal-error", 0, "")


def test_slim_reports_give_the_same_gradebook_and_summary():
    """What the supervisor keeps of each report gives the gradebook and summary the full
    reports give."""
    from grader.batch import slim

    reports = {"a": _report(10.0), "b": _report(5.0, "import-error", (True, False),
                                                "Score: 5\n" + "why " * 5000)}
    for r in reports.values():
        r["instructor"] = {"detail": "x" * 100_000}
        r["tests"][0]["output"] = "m" * 100_000
    kept = {sid: slim(r) for sid, r in reports.items()}
    assert gradebook_rows(kept) == gradebook_rows(reports)
    full, small = summarize(reports), summarize(kept)
    full.pop("generated"), small.pop("generated")
    assert small == full
    assert len(json.dumps(kept)) < 20_000


def test_a_cut_reply_fails_only_its_student(tmp_path: Path):
    """A reply too long to read fails the student it names (tried again once), not the others
    of its chunk, who are still awaited from the same process."""
    import grader.batch as gb
    from grader.assignment import resolve

    log = gb._Log(tmp_path / "batch.log")
    finished: list[str] = []
    pool = gb._Pool(resolve("cs189_hw4_backprop"), config={}, state=tmp_path, jobs=1,
                    per_worker=10, timeout=5.0, log=log, tick=lambda running: None,
                    finish=lambda student, report, seconds: finished.append(student.id))
    w = gb._Worker.__new__(gb._Worker)
    w.students = {sid: gb.Student(sid, tmp_path / f"{sid}.py") for sid in ("ann", "bob")}
    w.started, w.timeout, w.deadline, w.done, w.index = time.monotonic(), 5.0, 0.0, 0, 0
    pool._reply(w, b'{"id": "bob", "report": {"score": 1' + gb._CUT)
    assert list(w.students) == ["ann"] and [s.id for s in pool.queue] == ["bob"]
    assert [(e["event"], e["student"]) for e in read_log(tmp_path / "batch.log")] == [
        ("retry", "bob")]
    pool._reply(w, b'{"id": "ann", "report": {"score": 1}}')
    assert finished == ["ann"] and not w.students
