"""The zygote launcher: forked workers behave like directly started ones, and nothing lingers."""

from __future__ import annotations

import os
import time
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


def test_spawn_returns_before_the_zygote_is_ready_and_pids_come_in_order():
    """Workers asked for at once (the zygote still importing NumPy) each get their own fork:
    the pid is looked up when first needed, whichever is asked for first."""
    with Zygote() as z:
        first = Sandbox({"tiny.py": CORRECT}, "tiny", launcher=z)
        second = Sandbox({"tiny.py": CORRECT}, "tiny", launcher=z)
        with first, second:
            first.launch()
            second.launch()
            later, earlier = second.worker_pid(), first.worker_pid()
            assert later != earlier
            assert first.wait_ready() is None and second.wait_ready() is None
            assert SubmissionProxy(second).add(1, 2) == 3
            assert SubmissionProxy(first).add(2, 3) == 5


def test_exit_status_can_be_awaited_from_two_threads():
    """A split grade's relay thread and its main thread may both wait for one worker."""
    import threading

    with Zygote() as z, Sandbox({"m.py": b"import os\ndef f():\n    os._exit(5)\n"}, "m",
                                launcher=z) as sb:
        assert sb.start() is None
        pid = sb.worker_pid()
        assert pid is not None
        codes: list[int] = []
        waiter = threading.Thread(target=lambda: codes.append(z.wait_for(pid, None)))
        waiter.start()
        with pytest.raises(SubmissionError, match="exit code 5"):
            SubmissionProxy(sb).f()
        waiter.join(timeout=10)
        assert codes == [5]


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be collected has already died)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_dead_zygote_is_an_internal_error_not_a_hang():
    """If the zygote dies, its running workers die with it (read as killed), and no new worker
    can be asked for (the next call restarts the dead one): a clear internal error at once,
    never a wait."""
    import signal

    from grader.errors import GraderInternalError

    with Zygote() as z:
        with Sandbox({"tiny.py": CORRECT}, "tiny", launcher=z) as running:
            pid = running.worker_pid()
            assert pid is not None
            os.killpg(z._proc.pid, signal.SIGKILL)
            z._proc.wait()
            # The worker dies through its parent-death signals, a moment after the zygote: a
            # call sent before that would still be answered.
            deadline = time.monotonic() + 5
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not _alive(pid), "the worker outlived its zygote by 5 s"
            with pytest.raises(SubmissionError, match="was killed"):
                SubmissionProxy(running).add(1, 2)
            with pytest.raises(GraderInternalError, match="the worker zygote exited"):
                SubmissionProxy(running).add(1, 2)
        late = Sandbox({"tiny.py": CORRECT}, "tiny", launcher=z)
        with pytest.raises(GraderInternalError, match="the worker zygote exited"):
            late.start()
        late.close()
