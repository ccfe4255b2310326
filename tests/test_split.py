"""A single grade runs its public and hidden tests at the same time, each against a worker of
its own (``grader.run.run_split``); the report is the one a single worker gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import grader.run
from grader.api import grade
from grader.errors import GraderInternalError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "submissions" / "examples" / "mathml_hw4"


def _comparable(report: dict) -> dict:
    return {"score": report["score"], "status": report["status"],
            "output": report["output"],
            "tests": [(t["name"], t["score"], t["max_score"], t.get("status"), t.get("output"))
                      for t in report["tests"]]}


@pytest.mark.parametrize("example", ["correct.py", "tanh_derivative.py", "broken_import.py",
                                     "correct.ipynb"])
def test_split_report_equals_one_worker_report(example):
    """Same tests in the same order, same scores, statuses and messages, split or not."""
    split = grade("mathml_hw4", EXAMPLES / example)
    alone = grade("mathml_hw4", EXAMPLES / example, split=False)
    assert _comparable(split) == _comparable(alone)
    assert split["isolation"]["level"] == alone["isolation"]["level"]


def _live_children() -> list[int]:
    """Pids of live (not zombie) children of this process."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            pids.append(int(pid))
    return pids


def test_split_leaves_no_process_behind(tiny):
    """After a split grade, neither the forked grader nor either worker is left running."""
    before = set(_live_children())
    report = grade(tiny, ROOT / "tests" / "fixtures" / "subs" / "correct.py")
    assert report["score"] == report["max_score"]
    assert set(_live_children()) <= before


def test_split_hidden_side_failure_is_an_internal_error(tiny, monkeypatch):
    """If the forked grader cannot run the hidden tests, the grade is an internal error that
    says so (never a report missing the hidden tests)."""
    run_many = grader.run.run_many

    def failing(assignment, sandboxes, *, public_only=False, hidden_only=False):
        if hidden_only:
            raise RuntimeError("hidden side broke")
        return run_many(assignment, sandboxes, public_only=public_only)

    monkeypatch.setattr(grader.run, "run_many", failing)
    with pytest.raises(GraderInternalError) as info:
        grade(tiny, ROOT / "tests" / "fixtures" / "subs" / "correct.py")
    assert "the hidden tests could not run" in str(info.value)
    assert "RuntimeError: hidden side broke" in str(info.value)


class _Touch:
    """A pickle that creates a file when unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_hidden_half_result_is_data_never_unpickled(tiny, tmp_path, monkeypatch):
    """The hidden half's result crosses its pipe as data (the codec), never as a pickle: a
    pickle arriving there is refused as no result at all, and nothing in it runs."""
    import pickle
    import types

    marker = tmp_path / "unpickled"
    real = grader.run.codec
    fake = types.SimpleNamespace(decode=real.decode,
                                 encode=lambda value, **kw: pickle.dumps(_Touch(marker)))
    monkeypatch.setattr(grader.run, "codec", fake)  # only the split's result pipe uses it
    with pytest.raises(GraderInternalError) as info:
        grade(tiny, ROOT / "tests" / "fixtures" / "subs" / "correct.py")
    assert str(info.value) == ("the hidden tests could not run:\n"
                               "the process running the hidden tests ended without a result")
    assert not marker.exists()


def test_submission_that_ends_at_import_is_an_import_error_when_split(tmp_path):
    """A worker that is gone before the grader forks (its output pipe closed, its number
    reused by the pipe the forked grader reports through) still gives an import-error report
    from the grader command, not a lost hidden half: the forked grader once closed that pipe
    as the worker's."""
    sub = tmp_path / "sub" / "backprop.py"
    sub.parent.mkdir()
    sub.write_text("import os\nprint('bye')\nos._exit(0)\n")
    for i in range(3):
        out = tmp_path / f"r{i}.json"
        done = subprocess.run([sys.executable, "-m", "grader", "grade", "cs189_hw4_backprop",
                               str(sub), "-o", str(out)], capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        report = json.loads(out.read_text())
        assert (report["status"], report["score"]) == ("import-error", 0)


def test_interrupted_split_grade_stops_the_hidden_half_at_once(tiny, monkeypatch):
    """Ctrl-C during the public half ends the grade now: the forked grader running the hidden
    half is killed, not waited for, and nothing is left running."""
    import time

    def slow_hidden(assignment, sandboxes, *, public_only=False, hidden_only=False):
        if hidden_only:
            time.sleep(60)
        raise KeyboardInterrupt

    monkeypatch.setattr(grader.run, "run_many", slow_hidden)
    before = set(_live_children())
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        grade(tiny, ROOT / "tests" / "fixtures" / "subs" / "correct.py")
    assert time.monotonic() - started < 20
    assert set(_live_children()) <= before


def test_hidden_worker_killed_is_reported_as_killed(tiny, tmp_path):
    """The hidden half's worker is a child of the grader, not of the forked copy that uses it;
    its death by a signal (here for CPU time) is still reported as such: it once read as
    "exit code 0". The report is the one a single worker gives."""
    toml = tiny / "assignment.toml"
    toml.write_text(toml.read_text().replace("cpu_seconds = 20", "cpu_seconds = 1")
                    .replace("call_seconds = 2", "call_seconds = 10"))
    sub = tmp_path / "sub" / "tiny.py"
    sub.parent.mkdir()
    correct = (ROOT / "tests" / "fixtures" / "subs" / "correct.py").read_text()
    sub.write_text(correct.replace(  # Counter is used by the hidden tests only
        "    def increment(self, k):\n",
        "    def increment(self, k):\n        while True:\n            pass\n"))
    split = grade(tiny, sub)
    alone = grade(tiny, sub, split=False)
    assert _comparable(split) == _comparable(alone)
    counter = next(t for t in split["tests"] if t["name"].startswith("counter object"))
    assert "the process running your code used more than 1 s of CPU time" in counter["output"]
    assert "exit code" not in counter["output"]
    assert counter["score"] == 0.75  # one of its parts (weight 1 of 4) passed
    assert split["score"] == 1 + 1 + 2 + 0.75


HUGE_MESSAGES = '''
from grader import points


@points(1, name="fine", part="A")
def test_fine(submission):
    assert submission.value() == 1


@points(2, name="wordy", part="A")
def test_wordy(submission, credit):
    for i in range(20):
        with credit.part(f"part {i}", weight=1):
            assert submission.value() == 2, "w" * 1_000_000
'''


def test_hidden_half_sends_budgeted_text_back(tiny_with, write_sub):
    """A hidden test whose messages total 20 MB: each test's text is held to its budget before
    the hidden half sends its result over the pipe, so the grade succeeds and the report is
    small, the cut marked."""
    from grader import text

    folder = tiny_with("hidden/test_wordy.py", HUGE_MESSAGES)
    (folder / "tests" / "public" / "test_public.py").write_text(
        "from grader import points\n\n\n@points(1, name='public', part='A')\n"
        "def test_public(submission):\n    assert submission.value() == 1\n")
    report = grade(folder, write_sub("def value():\n    return 1\n", "tiny.py"))
    assert report["status"] == "graded"
    assert report["score"] == 2.0
    wordy = next(t for t in report["tests"] if t["name"] == "wordy")
    assert wordy["output"].startswith("part 0: " + "w" * 100)
    assert wordy["output"].endswith("[... 19 more messages cut]")
    assert len(wordy["output"]) < text.TEST_CHARS + 200
    assert len(json.dumps(report)) < 50_000
