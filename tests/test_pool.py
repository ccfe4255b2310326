"""The zygote launcher: forked workers behave like directly started ones, and nothing lingers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.errors import SubmissionError
from grader.pool import Zygote
from grader.sandbox import Sandbox, SubmissionProxy

CORRECT = (Path(__file__).parent / "fixtures" / "subs" / "correct.py").read_bytes()


def _children_running(cmd_fragment: str) -> list[int]:
    """Pids of live processes whose command line contains ``cmd_fragment``."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if cmd_fragment in cmdline and ppid == os.getpid():
            found.append(int(pid))
    return found


def test_forked_workers_are_isolated_and_answer():
    """Workers forked by the zygote get full isolation and serve calls."""
    with Zygote() as z:
        for _ in range(3):
            with Sandbox({"tiny.py": CORRECT}, "tiny", launcher=z) as sb:
                assert SubmissionProxy(sb).add(2, 3) == 5
                assert sb.isolation["level"] == "namespaces"


@pytest.mark.parametrize("body,fragment", [
    ("import os\ndef f():\n    os._exit(3)\n", "exit code 3"),
    # A real fault: a signal sent to itself would be ignored, as the worker is PID 1 of its
    # namespace and the kernel protects PID 1 from signals it has no handler for.
    ("import ctypes\ndef f():\n    ctypes.string_at(0)\n", "segmentation fault"),
])
def test_exit_status_of_forked_worker_reaches_the_message(body, fragment):
    """How a forked worker ended (exit code, signal) is relayed by the zygote."""
    with Zygote() as z, Sandbox({"m.py": body.encode()}, "m", launcher=z) as sb:
        with pytest.raises(SubmissionError, match=fragment):
            SubmissionProxy(sb).f()


def test_nothing_left_running_after_grade_many(tiny):
    """After a multi-submission grade, neither the zygote nor any worker is alive."""
    from grader.api import grade_many

    fixtures = Path(__file__).parent / "fixtures" / "subs"
    reports = grade_many(tiny, [fixtures / "correct.py", fixtures / "half.py"])
    assert [r["score"] for r in reports] == [7.0, 3.75]
    assert _children_running("grader._zygote") == []
    assert _children_running("grader._worker") == []
