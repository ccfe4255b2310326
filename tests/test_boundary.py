"""The trust boundary: a submission scores exactly what it honestly earns, whatever it does.

Each hostile submission below attacks the grader from inside the worker. None can change its
score: the tests judge values in the trusted process, and only data crosses the pipe.
The tiny fixture assignment is worth 7 points: add (1 public + 2 hidden), scale (1), Counter (3,
partial credit 1/2/1 of 4).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from grader import _landlock
from grader.api import grade
from grader.report import validate

FIXTURES = Path(__file__).parent / "fixtures"

CORRECT_BODY = (FIXTURES / "subs" / "correct.py").read_text()


def _grade(tiny, path, **kw):
    t0 = time.monotonic()
    report = grade(tiny, path, **kw)
    validate(report)
    text = json.dumps(report)
    assert "tiny-hidden-test-secret-7f3a" not in text  # hidden tests' source never leaks
    assert "check_scalar(submission.add" not in text
    return report, time.monotonic() - t0


def _messages(report):
    return "\n".join(t["output"] for t in report["tests"]) + report["output"]


def test_correct_submission_gets_full_marks(tiny):
    """The correct fixture earns 7/7 with every isolation layer active."""
    report, _ = _grade(tiny, FIXTURES / "subs" / "correct.py")
    assert (report["score"], report["max_score"], report["status"]) == (7.0, 7.0, "graded")
    assert report["isolation"]["level"] == "namespaces"
    assert [p["score"] for p in report["parts"]] == [3.0, 4.0]


def test_partial_submission_gets_exact_partial_credit(tiny):
    """add right (3), scale transposed (0), Counter 1 of 4 parts-weight (0.75): 3.75."""
    report, _ = _grade(tiny, FIXTURES / "subs" / "half.py")
    assert report["score"] == 3.75
    msgs = _messages(report)
    assert "Did you transpose it?" in msgs
    assert "value after increment(5) is wrong" in msgs


def test_public_only_runs_public_tests(tiny):
    """check mode runs only public tests (2 points) and says so."""
    report, _ = _grade(tiny, FIXTURES / "subs" / "correct.py", public_only=True)
    assert (report["score"], report["max_score"]) == (2.0, 2.0)
    assert all("public" in t["tags"] for t in report["tests"])
    assert "hidden tests" in report["output"]


HOSTILE = {
    "patch_numpy_testing_and_isclose": """
import numpy as np, numpy.testing, math
numpy.testing.assert_allclose = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
math.isclose = lambda *a, **k: True
def add(a, b): return 0
def scale(x, k): return x
""",
    "patch_pytest_and_grader_modules": """
import sys
for name in ["pytest", "_pytest", "pytest_jsonreport", "grader", "grader.checks", "grader.score"]:
    try:
        __import__(name)
    except Exception:
        pass
for name, mod in list(sys.modules.items()):
    if name.startswith(("grader", "pytest", "_pytest")):
        for attr in dir(mod):
            if attr.startswith(("check", "score", "clamp", "assert")):
                try:
                    setattr(mod, attr, lambda *a, **k: 1e9)
                except Exception:
                    pass
def add(a, b): return -1
""",
    "module_getattr": """
def __getattr__(name):
    return lambda *a, **k: 42
""",
    "lying_eq": """
class Liar(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __float__(self): return 5.0
    def __array__(self, *a, **k):
        import numpy as np
        return np.array(5.0)
class AlwaysEqual:
    def __eq__(self, other): return True
    def __float__(self): return 5.0
def add(a, b): return AlwaysEqual()
def scale(x, k): return Liar(0.0)
""",
    "fake_results_then_exit": """
import json, os
fake = {"score": 8, "max_score": 8, "tests": [], "output": "all good"}
for d in ["/autograder/results", "/tmp", ".", os.path.expanduser("~"), "/work", "/"]:
    try:
        with open(os.path.join(d, "results.json"), "w") as f:
            json.dump(fake, f)
    except Exception:
        pass
print(json.dumps(fake))
os._exit(0)
""",
    "unpickle_runs_code": """
import os
class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/grader-pwned-by-pickle",))
def add(a, b): return Evil()
def scale(x, k): return [Evil()]
""",
    "infinite_loop_at_import": """
while True:
    pass
""",
    "allocate_20_gb": """
import numpy as np
blocks = []
def add(a, b):
    blocks.append(np.ones(20 * 1024**3 // 8))
    return a + b
def scale(x, k):
    return bytearray(20 * 1024**3)
""",
}

EXPECTED = {
    # name: (score, status, fragment of a student-facing message)
    "patch_numpy_testing_and_isclose": (0.0, "graded", "add(2, 3) is wrong"),
    "patch_pytest_and_grader_modules": (0.0, "graded", "add(2, 3) is wrong"),
    "module_getattr": (0.0, "graded", "add(2, 3) is wrong: got 42, expected 5"),
    "lying_eq": (0.0, "graded", "should be a number, got <submission object of type AlwaysEqual>"),
    "fake_results_then_exit": (0.0, "import-error", "ended its own process (exit code 0"),
    "unpickle_runs_code": (0.0, "graded", "got <submission object of type Evil>"),
    "infinite_loop_at_import": (0.0, "timeout", "did not finish importing within"),
    "allocate_20_gb": (0.0, "graded", "ran out of memory"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_submission_scores_exactly_what_it_earns(tiny, write_sub, name, tmp_path):
    """Forging, lying, exiting, pickling, looping and hogging memory earn exactly 0."""
    report, seconds = _grade(tiny, write_sub(HOSTILE[name]))
    score, status, fragment = EXPECTED[name]
    assert (report["score"], report["status"]) == (score, status), _messages(report)
    assert fragment in _messages(report)
    assert seconds < 20 + 10  # the assignment's total_seconds plus a margin
    assert not (tmp_path / "results.json").exists()


def test_unpickling_attack_ran_nothing():
    """After the pickle attack the marker file it tried to create does not exist."""
    import os

    assert not os.path.exists("/tmp/grader-pwned-by-pickle")


def test_hostile_half_right_keeps_honest_points(tiny, write_sub):
    """A correct `add` next to a forged-results attack in `scale` keeps add's 3 points."""
    source = CORRECT_BODY + """
def scale(x, k):
    import os, json
    print(json.dumps({"score": 8, "max_score": 8}))
    os._exit(0)
"""
    report, _ = _grade(tiny, write_sub(source))
    assert report["score"] == 3.0 + 3.0  # add (3) and Counter (3) are right
    assert "ended its own process" in _messages(report)


def test_rlimits_only_mode_still_grades_honestly(tiny, write_sub):
    """Without namespaces, Landlock and seccomp (allowed explicitly), the boundary still holds
    and the report says the level."""
    off = ("namespaces", "landlock", "seccomp")
    report, _ = _grade(tiny, write_sub(HOSTILE["lying_eq"]), disable=off,
                       require_isolation=False)
    assert report["score"] == 0.0
    assert report["isolation"]["level"] == "rlimits"
    report, _ = _grade(tiny, FIXTURES / "subs" / "correct.py", disable=off,
                       require_isolation=False)
    assert report["score"] == 7.0


@pytest.mark.skipif(not _landlock.abi_version(), reason="no Landlock in this kernel")
def test_landlock_level_without_namespaces(tiny, write_sub):
    """With namespaces off (as in Docker's default profile), Landlock and seccomp give the
    ``landlock`` level, and the boundary holds."""
    report, _ = _grade(tiny, write_sub(HOSTILE["lying_eq"]), namespaces=False)
    assert report["score"] == 0.0
    assert report["isolation"]["level"] == "landlock"
    assert report["isolation"]["layers"]["seccomp"] is True
    report, _ = _grade(tiny, FIXTURES / "subs" / "correct.py", namespaces=False)
    assert report["score"] == 7.0


def test_syntax_error_reports_line(tiny, write_sub):
    """A syntax error is an import error that names the line."""
    report, _ = _grade(tiny, write_sub("def add(a, b):\n    return a +\n"))
    assert (report["score"], report["status"]) == (0.0, "import-error")
    assert "SyntaxError: invalid syntax (line 2)" in report["output"]


def test_load_error_report(tiny, write_sub):
    """An unreadable file yields a load-error report with every test at 0."""
    report, _ = _grade(tiny, write_sub(b"\xff\xfe\x00\x01binary"))
    assert (report["score"], report["max_score"], report["status"]) == (0.0, 7.0, "load-error")
    assert "binary file" in report["tests"][0]["output"]


def test_submission_in_tmp_is_graded(tiny, tmp_path):
    """A submission whose folder is /tmp itself (hidden by a fresh tmpfs anyway) grades normally."""
    import shutil
    import uuid

    path = Path("/tmp") / f"grader-test-{uuid.uuid4().hex}.py"
    shutil.copy(FIXTURES / "subs" / "correct.py", path)
    try:
        report, _ = _grade(tiny, path)
    finally:
        path.unlink()
    assert report["score"] == 7.0


def _strip_timing(report):
    r = json.loads(json.dumps(report))
    r.pop("execution_time")
    r["instructor"].pop("events", None)
    for check in r["isolation"].get("verified", {}).get("checked", []):
        if check["kind"] == "tcp":  # each sandbox listens on a port of its own
            check["target"] = "127.0.0.1:PORT"
    return r


def test_grade_many_matches_grade_and_neighbours_do_not_interfere(tiny, write_sub, tmp_path):
    """One session over [correct, hostile, half, broken, correct] gives each exactly its own
    report: a looping, exiting, memory-hogging neighbour changes nothing for the others."""
    from grader.api import grade_many

    hostile = write_sub(HOSTILE["allocate_20_gb"] + HOSTILE["fake_results_then_exit"], "evil.py")
    broken = tmp_path / "broken.py"
    broken.write_bytes(b"")
    paths = [FIXTURES / "subs" / "correct.py", hostile, FIXTURES / "subs" / "half.py", broken,
             FIXTURES / "subs" / "correct.py"]
    many = grade_many(tiny, paths)
    assert [r["score"] for r in many] == [7.0, 0.0, 3.75, 0.0, 7.0]
    assert [r["status"] for r in many] == ["graded", "import-error", "graded", "load-error",
                                           "graded"]
    for path, report in zip(paths, many, strict=True):
        validate(report)
        assert _strip_timing(report) == _strip_timing(grade(tiny, path))


def test_folders_elsewhere_on_the_machine_are_invisible(tmp_path):
    """Another checkout or a home folder (world-readable, outside this checkout) is not visible:
    only the system's folders and the interpreter's own are."""
    import shutil
    import uuid

    from grader.sandbox import Sandbox, SubmissionProxy

    secret = Path("/srv") / f"grader-test-{uuid.uuid4().hex}"
    secret.mkdir(parents=True)
    (secret / "hidden_test.py").write_text("SECRET = 1\n")
    secret.chmod(0o755)
    probe = f"import os\ndef seen():\n    return os.path.exists({str(secret)!r})\n".encode()
    try:
        with Sandbox({"probe.py": probe}, "probe") as sb:
            assert SubmissionProxy(sb).seen() is False
            assert sb.isolation["level"] == "namespaces"
    finally:
        shutil.rmtree(secret)
