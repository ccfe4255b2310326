"""Faults from outside the submission: a worker killed mid-test, the grader itself killed, a full
scratch disk. Each still gives a complete report (or, for the killed grader, leaves nothing
behind and a re-run works) and loses no test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("tally_hostile",
                                               ROOT / "scripts" / "tally_hostile.py")
assert _spec is not None and _spec.loader is not None
th = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("tally_hostile", th)
_spec.loader.exec_module(th)

CORRECT = ROOT / "submissions" / "examples" / "cs189_hw4_backprop" / "correct.py"
MARK = "slow-call-in-progress"

# Appended to the correct solution: the first cross_entropy call of each worker holds a file open
# under a recognisable name for a while, so the test knows which process to kill and when.
SLOW_FIRST_CALL = f'''

import os as _os
import time as _time

_correct_cross_entropy = cross_entropy
_calls = []


def cross_entropy(x2, y):
    if not _calls:
        _calls.append(1)
        with open("{MARK}", "w"):
            _time.sleep(__SLEEP__)
    return _correct_cross_entropy(x2, y)
'''


def _slow_submission(tmp_path: Path, seconds: float) -> Path:
    path = tmp_path / "slow_first_call.py"
    path.write_text(CORRECT.read_text() + SLOW_FIRST_CALL.replace("__SLEEP__", repr(seconds)))
    return path


def _workers(root: int | None = None) -> dict[int, str]:
    """Workers (started directly, or forked by a zygote, whose command line they keep) and
    zygotes."""
    return {p: c for p, c in th.descendants(root).items()
            if "grader._worker" in c or "grader._zygote" in c}


def _holding_mark(pid: int) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").endswith(MARK):
                return True
        except OSError:
            continue
    return False


def _kill_when_marked(root: int | None, killed: list[int], deadline: float,
                      target: str = "worker") -> None:
    """Poll for the worker that holds the mark; SIGKILL it (or the grader ``root``) once."""
    while time.monotonic() < deadline and not killed:
        for pid in _workers(root):
            if _holding_mark(pid):
                victim = pid if target == "worker" else root
                assert victim is not None
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                return
        time.sleep(0.02)


@pytest.fixture
def cs189(tmp_path: Path) -> Path:
    """cs189_hw4_backprop with a 5 s call limit (the slow call sleeps less than that)."""
    th.become_subreaper()
    limits = dict(th.LIMITS, call_seconds=5, total_seconds=30)
    return th.limited_assignment("cs189_hw4_backprop", tmp_path / "problems", limits)


def test_worker_killed_mid_test_costs_only_that_test(tmp_path: Path, cs189: Path) -> None:
    """SIGKILL of the worker during one call fails exactly that test; every other test passes."""
    from grader.api import grade
    from grader.report import validate

    sub = _slow_submission(tmp_path, 3.0)
    killed: list[int] = []
    killer = threading.Thread(target=_kill_when_marked,
                              args=(os.getpid(), killed, time.monotonic() + 30))
    killer.start()
    report = grade(cs189, sub)
    killer.join()
    validate(report)
    assert killed, "the slow call was never seen"
    baseline = grade(cs189, CORRECT)
    failed = _newly_failed(report, baseline)
    assert len(failed) == 1, [t["name"] for t in failed]
    assert "was killed" in failed[0]["output"]
    assert failed[0]["score"] == 0
    assert report["score"] == baseline["score"] - failed[0]["max_score"]
    assert any("was killed" in e for e in report["instructor"]["events"])
    assert not _workers()


def _newly_failed(report: dict[str, object], baseline: dict[str, object]) -> list[dict]:
    """Tests that pass for the correct submission but not in ``report`` (typed-answer tests fail
    for both: no answers file is handed in). Both reports must list the same tests."""
    ok = {t["name"] for t in baseline["tests"] if t["status"] == "passed"}  # type: ignore[index]
    assert [t["name"] for t in report["tests"]] == [  # type: ignore[index]
        t["name"] for t in baseline["tests"]]  # type: ignore[index]
    return [t for t in report["tests"]  # type: ignore[index]
            if t["status"] != "passed" and t["name"] in ok]


def _grader_cmd(assignment: Path, submission: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "grader", "grade", str(assignment), str(submission), "-o",
            str(out)]


@pytest.mark.slow
def test_grader_killed_leaves_nothing_and_rerun_works(tmp_path: Path, cs189: Path) -> None:
    """SIGKILL of the grader mid-call: its worker dies too, no scratch folder or report is left,
    and grading again gives the full report."""
    sub = _slow_submission(tmp_path, 20.0)
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    out = tmp_path / "report.json"
    proc = subprocess.Popen(_grader_cmd(cs189, sub, out), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed: list[int] = []
    _kill_when_marked(proc.pid, killed, time.monotonic() + 30, target="grader")
    proc.wait(timeout=10)
    assert killed == [proc.pid], proc.stderr.read().decode() if proc.stderr else ""
    deadline = time.monotonic() + 5
    while (_workers() or list(tmp.iterdir())) and time.monotonic() < deadline:
        th.reap_zombies()
        time.sleep(0.1)
    assert not _workers(), "a worker outlived the grader"
    assert not out.exists(), "a partial report was written"
    # The re-run sweeps the folder the killed grader could not remove, and then removes its own.
    fast = _slow_submission(tmp_path, 0.1)
    rerun = subprocess.run(_grader_cmd(cs189, fast, out), cwd=ROOT, env=env, capture_output=True,
                           timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr.decode()
    report = json.loads(out.read_text())
    from grader.api import grade

    assert _newly_failed(report, grade(cs189, CORRECT)) == []
    assert list(tmp.iterdir()) == [], "scratch folders left behind"
    assert not _workers()


FILL_AND_WRITE = '''

import os as _os

_filled = 0
try:
    for _i in range(4096):
        with open(f"fill-{_i}", "wb") as _f:
            for _ in range(16):
                _f.write(b"\\0" * 2**20)
                _filled += 1
except OSError as _exc:
    print(f"scratch full after {_filled} MB: {_exc.strerror}")


def output_delta(x2, y):
    with open("more.bin", "wb") as f:
        f.write(b"\\0" * 2**20)
    return x2 - y
'''


def test_full_scratch_disk_gives_a_complete_report(tmp_path: Path, cs189: Path) -> None:
    """A submission that fills its scratch tmpfs still gets every test reported: the code that does
    not write scores, the function that writes fails with 'No space left on device'."""
    from grader.api import grade
    from grader.report import validate

    sub = tmp_path / "fill_disk.py"
    sub.write_text(CORRECT.read_text() + FILL_AND_WRITE)
    report = grade(cs189, sub)
    validate(report)
    assert report["status"] == "graded"
    assert "No space left on device" in report["instructor"]["stdout"]
    failing = {t["name"]: t["output"] for t in _newly_failed(report, grade(cs189, CORRECT))}
    assert failing, "the write into a full scratch folder should have failed"
    assert all("No space left on device" in out for out in failing.values()), failing
    assert any("output delta" in name for name in failing), failing
    passed = {t["name"] for t in report["tests"] if t["status"] == "passed"}
    assert {"relu on a fixed input", "softmax of a vector and of a batch"} <= passed
    assert not _workers()
