"""The trusted side's budget per test: a test whose own code (the reference, the checks) runs
too long or takes too much memory is an internal error for the test author, never a hang, and
never swallowed by the test's own ``except Exception``."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from grader.api import grade

SUB = "def value():\n    return 1\n"

BUSY = '''
import time

from grader import points


@points(1, name="fine", part="A")
def test_fine(submission):
    assert submission.value() == 1


@points(1, name="busy", part="A")
def test_busy(submission):
    assert submission.value() == 1
    try:
        while True:  # the reference "training" forever, here in the grader
            sum(range(10_000))
    except Exception:
        pass  # a test's own handler cannot swallow the budget
'''

GREEDY = '''
import numpy as np

from grader import points


@points(1, name="greedy", part="A")
def test_greedy(submission, credit):
    assert submission.value() == 1
    with credit.part("huge", weight=1):
        np.ones(4 * 1024**3 // 8)  # 4 GB of floats, in the grader
'''


def _limits(folder: Path, extra: str) -> Path:
    toml = folder / "assignment.toml"
    toml.write_text(toml.read_text().replace("cpu_seconds = 20\n", f"cpu_seconds = 20\n{extra}"))
    return folder


def _test(report: dict, name: str) -> dict:
    return next(t for t in report["tests"] if t["name"] == name)


STUDENT = ("this test could not finish (a problem in the grader or the test, not in your code); "
           "your instructor can see why")


def test_trusted_code_over_its_cpu_budget_is_an_internal_error(tiny_with, write_sub):
    """A test burning the grader's CPU stops after trusted_seconds: the run is an internal
    error, the student is told it is not their doing, the instructor reads why."""
    folder = _limits(tiny_with("hidden/test_busy.py", BUSY), "trusted_seconds = 1\n")
    report = grade(folder, write_sub(SUB, "tiny.py"))
    assert report["status"] == "internal-error"
    assert _test(report, "fine")["score"] == 1.0
    busy = _test(report, "busy")
    assert busy["score"] == 0.0
    assert busy["output"] == STUDENT
    assert report["instructor"]["tests"]["busy"] == (
        "trusted-side budget exceeded: the test's own code (reference solution, checks) used "
        "more than 1 s of the grader's CPU time (limits.trusted_seconds); reject inputs that "
        "would make it this slow before computing with them\n")


def test_trusted_code_over_its_memory_budget_is_an_internal_error(tiny_with, write_sub):
    """A test allocating gigabytes in the grader gets a MemoryError at trusted_memory_mb, which
    a credit part does not record as the student's failure; the limit is restored afterwards."""
    before = resource.getrlimit(resource.RLIMIT_AS)
    folder = _limits(tiny_with("hidden/test_greedy.py", GREEDY), "trusted_memory_mb = 256\n")
    report = grade(folder, write_sub(SUB, "tiny.py"), split=False)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert report["status"] == "internal-error"
    greedy = _test(report, "greedy")
    assert greedy["score"] == 0.0
    assert greedy["output"] == STUDENT
    assert report["instructor"]["tests"]["greedy"] == (
        "trusted-side budget exceeded: the test's own code (reference solution, checks) needed "
        "more than 256 MB of the grader's memory (limits.trusted_memory_mb); check the size of "
        "what the submission returned before computing with it\n")


@pytest.mark.parametrize("split", [True, False])
def test_tests_within_budget_are_untouched(tiny, write_sub, split):
    """The ordinary tests of the fixture assignment pass as before, split or not."""
    report = grade(tiny, write_sub(_correct(), "tiny.py"), split=split)
    assert report["status"] == "graded"
    assert report["score"] == report["max_score"]


def _correct() -> str:
    return (Path(__file__).parent / "fixtures" / "subs" / "correct.py").read_text()


def test_the_budget_never_interrupts_an_exchange_with_the_worker():
    """A budget signal arriving while the grader is in the sandbox's or the codec's code (a
    request half sent, a reply half read) is put off, not raised there; elsewhere it raises."""
    import signal
    import sys

    from grader import sandbox
    from grader.plugin import TrustedBudgetExceeded, _TrustedBudget

    budget = _TrustedBudget(cpu_seconds=100, wall_seconds=100, memory_mb=0)
    budget.armed = True
    inside: dict[str, object] = {}
    code = compile("frame = sys._getframe()", sandbox.__file__, "exec")
    exec(code, {"sys": sys}, inside)  # a frame that says it runs sandbox.py
    try:
        budget._on_signal(signal.SIGALRM, inside["frame"])  # put off: no exception
        assert budget.armed
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0  # tried again shortly
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    with pytest.raises(TrustedBudgetExceeded, match="more than 100 s of wall time"):
        budget._on_signal(signal.SIGALRM, sys._getframe())
    assert not budget.armed


def test_side_by_side_waits_for_the_student_call_when_interrupted():
    """A budget signal during side_by_side's wait is raised only after the student's call has
    ended, so no request is left running behind the next test."""
    import threading
    import time

    from grader.plugin import TrustedBudgetExceeded, _join, _TrustedBudget

    done = threading.Event()

    def student() -> None:
        time.sleep(0.3)
        done.set()

    thread = threading.Thread(target=student)
    with pytest.raises(TrustedBudgetExceeded, match="wall time"), \
            _TrustedBudget(cpu_seconds=100, wall_seconds=0.05, memory_mb=0):
        thread.start()
        _join(thread)
        time.sleep(1)  # the budget, put off while joining, fires here
    assert done.is_set()  # the join was not cut short: the student's call had ended
