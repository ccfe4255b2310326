"""The submission proxy calls module functions by name in one round trip, and ``side_by_side``
runs a submission call and trusted code at the same time; neither changes what a test sees."""

from __future__ import annotations

import threading

import pytest

from grader import side_by_side
from grader.errors import SubmissionError
from grader.sandbox import Sandbox, SubmissionProxy, _names

MODULE = b'''
import numpy as np

def double(x):
    return 2 * x

def rebind():
    global double
    double = lambda x: 3 * x

def forget():
    global double
    del double

class Box:
    def __init__(self, v):
        self.v = v
    def get(self):
        return self.v

limit = 7
weights = np.arange(3.0)
'''


@pytest.fixture
def proxy():
    with Sandbox({"m.py": MODULE}, "m") as sb:
        yield sb, SubmissionProxy(sb)


def _counting(sb: Sandbox) -> list[str]:
    """Record the op of every request the sandbox sends from now on."""
    ops: list[str] = []
    request = sb.request

    def counted(message, **kw):
        ops.append(message["op"])
        return request(message, **kw)

    sb.request = counted  # type: ignore[method-assign]
    return ops


def test_module_function_call_is_one_round_trip(proxy):
    """Calling a module-level function sends one request (no getattr first)."""
    sb, sub = proxy
    ops = _counting(sb)
    assert sub.double(4) == 8
    assert ops == ["call"]


def test_function_rebound_after_import_is_the_one_called(proxy):
    """A function the submission rebinds at run time is looked up when called, not at import."""
    _, sub = proxy
    double = sub.double
    sub.rebind()
    assert double(4) == 12
    assert sub.double(4) == 12


def test_function_deleted_after_import_is_reported_missing(proxy):
    """Calling a function the submission deleted says it is not defined, like a missing one."""
    _, sub = proxy
    sub.forget()
    with pytest.raises(SubmissionError) as info:
        sub.double(1)
    assert info.value.kind == "missing"
    assert str(info.value) == ("your submission does not define `double`; check the name and "
                               "that it is at the top level of your file")


def test_data_attributes_and_missing_names_still_ask_the_worker(proxy):
    """Data attributes come back as values, classes still build handles, unknown names are
    missing."""
    sb, sub = proxy
    assert sub.limit == 7
    assert sub.weights.tolist() == [0.0, 1.0, 2.0]
    assert sub.Box(5).get() == 5
    with pytest.raises(SubmissionError, match="does not define `nothing_here`"):
        sub.nothing_here(1)
    assert sb.callables >= {"double", "rebind", "forget", "Box"}
    assert "limit" not in sb.callables and "weights" not in sb.callables


@pytest.mark.parametrize("junk", [None, "double", {"double": 1}, [1, 2], ["", "x" * 201],
                                  ["ok"] * 10_001])
def test_worker_hint_that_is_not_a_list_of_names_is_ignored(junk):
    """The worker's list of callables is untrusted: anything but a list of short names is
    dropped (calls then ask the worker first, as before)."""
    assert _names(junk) == frozenset()


def test_worker_hint_keeps_only_names():
    """Valid names of a mixed list are kept, the rest dropped."""
    assert _names(["f", 3, "g", None]) == frozenset({"f", "g"})


def test_side_by_side_runs_both_at_once():
    """The trusted side runs while the student side is still running (each waits for the other;
    run one after the other, this would time out)."""
    student_started, trusted_started = threading.Event(), threading.Event()

    def student():
        student_started.set()
        assert trusted_started.wait(5)
        return "got"

    def trusted():
        trusted_started.set()
        assert student_started.wait(5)
        return "want"

    assert side_by_side(student, trusted) == ("got", "want")


def test_side_by_side_raises_the_student_error_after_both_finish():
    """A failing student call is raised in the test, but only after the trusted side is done."""
    done = []

    def student():
        raise SubmissionError("calling `f` raised ValueError: no", kind="exception")

    def trusted():
        done.append(True)
        return 1

    with pytest.raises(SubmissionError, match="ValueError: no"):
        side_by_side(student, trusted)
    assert done == [True]


def test_side_by_side_waits_for_the_student_call_when_trusted_code_fails():
    """When the trusted side raises, the student call still finishes before the error is raised
    (so no request to the worker is left running behind the next one)."""
    finished = []
    release = threading.Event()

    def student():
        release.wait(5)
        finished.append(True)

    def trusted():
        release.set()
        raise KeyError("reference bug")

    with pytest.raises(KeyError):
        side_by_side(student, trusted)
    assert finished == [True]


def test_side_by_side_with_a_real_worker(proxy):
    """A submission call and a trusted computation side by side give both results."""
    _, sub = proxy
    got, want = side_by_side(lambda: sub.double(21), lambda: sum(range(10)))
    assert (got, want) == (42, 45)


def test_side_by_side_raises_the_student_error_when_both_fail():
    """When both sides raise, the student's error is the one raised (as if run first)."""

    def student():
        raise SubmissionError("calling `f` raised ValueError: mine", kind="exception")

    def trusted():
        raise KeyError("reference")

    with pytest.raises(SubmissionError, match="ValueError: mine"):
        side_by_side(student, trusted)


FORGED_TEXT = b'''
import os
import stat
import struct


def value():
    # A reply frame holding a str that is not UTF-8, written into the reply pipe ahead of the
    # real reply.
    body = b"s" + struct.pack(">I", 2) + b"\\xff\\xfe"
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, struct.pack(">I", len(body)) + body)
        except OSError:
            pass
    return 1
'''


def test_reply_with_text_that_is_not_utf8_stops_the_worker():
    """A forged reply whose text is not UTF-8 is a malformed reply like any other: the call
    fails with that message and the worker is stopped (before, the decoding error escaped as
    if the test itself had failed, and the worker went on)."""
    with Sandbox({"m.py": FORGED_TEXT}, "m") as sb:
        with pytest.raises(SubmissionError) as info:
            SubmissionProxy(sb).value()
        assert str(info.value) == (
            "`value`: sent a malformed reply (malformed message (UnicodeDecodeError: 'utf-8' "
            "codec can't decode byte 0xff in position 0: invalid start byte))")
        assert info.value.kind == "protocol"
        assert sb.worker_pid() is None
