"""The Gradescope bundle: what it holds, and run_autograder in a folder laid out like the
container (source/, submission/, results/), without root and without Gradescope."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import export
from grader.api import grade
from grader.assignment import resolve
from grader.cli import main
from grader.errors import AssignmentError
from grader.export import (
    MaterialExposedError,
    export_gradescope,
    gradescope_results,
    hidden_visibility,
    instructor_text,
    pick_submission,
    readable_by_others,
    reference_files,
    secure_material,
)
from grader.report import validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "examples" / "cs189_hw4_backprop"
FORGE = ROOT / "submissions" / "hostile" / "forge_fake_report_exit.py"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cs189_hw4_backprop bundle, built once through the CLI."""
    path = tmp_path_factory.mktemp("export") / "autograder.zip"
    assert main(["export", "gradescope", "cs189_hw4_backprop", "-o", str(path)]) == 0
    return path


def test_bundle_holds_scripts_grader_assignment_and_its_reference_only(bundle: Path):
    """Executable setup.sh and run_autograder, pinned requirements, the grader, this assignment
    with its hidden tests and its reference; no other assignment, no examples, no caches."""
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        requirements = zf.read("requirements.txt").decode()
    names = set(infos)
    for script in ("setup.sh", "run_autograder"):
        assert infos[script].external_attr >> 16 == 0o100755
    assert {"grader_src/grader/api.py", "grader_src/grader/_worker.py",
            "grader_src/grader/schema/report.schema.json", "grader_src/reference/__init__.py",
            "grader_src/reference/cs189_hw4_backprop.py",
            "grader_src/problems/cs189_hw4_backprop/assignment.toml"} <= names
    assert any(n.startswith("grader_src/problems/cs189_hw4_backprop/tests/hidden/test_")
               for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith("grader_src/problems/")
                and not n.startswith("grader_src/problems/cs189_hw4_backprop/")]
    assert not [n for n in names if n.startswith("grader_src/reference/")
                and n not in ("grader_src/reference/__init__.py",
                              "grader_src/reference/cs189_hw4_backprop.py")]
    assert not [n for n in names if "submissions" in n or n.startswith("grader_src/tests/")]
    assert "numpy==" in requirements and "pytest-json-report==" in requirements


def test_bundle_is_reproducible(bundle: Path, tmp_path: Path):
    """Exporting the same assignment twice gives the same bytes."""
    again = export_gradescope("cs189_hw4_backprop", tmp_path / "again.zip")
    assert again.read_bytes() == bundle.read_bytes()


def test_reference_files_follow_imports_inside_functions():
    """mathml_hw4's reference imports its data generator inside a function; it is bundled."""
    names = {p.relative_to(ROOT).as_posix() for p in reference_files("reference.mathml_hw4")}
    assert {"reference/__init__.py", "reference/mathml_hw4.py",
            "reference/data/mathml_regression.py"} <= names
    assert "reference/cs229_ps2.py" not in names


def test_setup_script_is_valid_bash(bundle: Path, tmp_path: Path):
    """setup.sh and run_autograder parse as bash."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(tmp_path / script)], check=True)


def test_pick_submission_finds_the_file_in_an_uploaded_repository(tmp_path: Path):
    """The submission folder itself, unless the module sits deeper (a repository upload)."""
    (tmp_path / "repo" / "hw4").mkdir(parents=True)
    (tmp_path / "repo" / "hw4" / "backprop.py").write_text("x = 1\n")
    (tmp_path / "repo" / "README.md").write_text("mine\n")
    assert pick_submission(tmp_path, "backprop") == tmp_path / "repo" / "hw4"
    (tmp_path / "backprop.py").write_text("x = 1\n")
    assert pick_submission(tmp_path, "backprop") == tmp_path


def _container(bundle: Path, tmp_path: Path) -> Path:
    root = tmp_path / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    return root


def _run(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    return subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.slow
def test_run_autograder_grades_like_grader_grade(bundle: Path, tmp_path: Path):
    """In a container-shaped folder, run_autograder grades with the bundled grader and writes
    results.json equal in scores to grading the same file directly."""
    root = _container(bundle, tmp_path)
    shutil.copyfile(EXAMPLES / "mistake_relu_grad.py", root / "submission" / "backprop.py")
    done = _run(root)
    assert done.returncode == 0, done.stderr
    assert f"from {root / 'source' / 'grader_src' / 'grader'}" in done.stdout
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    direct = grade("cs189_hw4_backprop", EXAMPLES / "mistake_relu_grad.py")
    assert results["score"] == direct["score"] < results["max_score"]
    assert [(t["name"], t["score"]) for t in results["tests"]] == [
        (t["name"], t["score"]) for t in direct["tests"]]


@pytest.mark.slow
def test_run_autograder_ignores_a_forged_results_file(bundle: Path, tmp_path: Path):
    """A submission that writes a full-marks results.json and exits gets 0 in the real one."""
    if not FORGE.exists():
        pytest.skip("hostile example forge_fake_report_exit.py is not there")
    root = _container(bundle, tmp_path)
    shutil.copyfile(FORGE, root / "submission" / "backprop.py")
    done = _run(root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    assert results["score"] == 0 and results["status"] == "import-error"


def test_run_autograder_writes_results_even_when_the_grader_fails(bundle: Path,
                                                                 tmp_path: Path):
    """With the assignment missing from the bundle, results.json still appears, says the
    autograder failed (not the student), and the script exits 1."""
    root = _container(bundle, tmp_path)
    shutil.rmtree(root / "source" / "grader_src" / "problems")
    shutil.copyfile(EXAMPLES / "correct.py", root / "submission" / "backprop.py")
    env = {**os.environ, "GRADER_PROBLEMS": str(tmp_path / "none")}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")],
                          env={**env, "AUTOGRADER_ROOT": str(root),
                               "GRADER_PYTHON": sys.executable},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["output"] == export._FAILED
    assert "cs189_hw4_backprop" in results["extra_data"]["grader_error"]


def test_run_autograder_writes_results_when_python_cannot_start(bundle: Path, tmp_path: Path):
    """An interpreter that does not exist still leaves a results.json (written by the shell
    script) with score 0 and the exit status, and run_autograder exits 1."""
    root = _container(bundle, tmp_path)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": "/nonexistent/python"}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert json.loads((root / "results" / "results.json").read_text()) == {
        "score": 0, "output": export._FAILED, "visibility": "visible",
        "stdout_visibility": "hidden", "tests": [],
        "extra_data": {"grader_error": "the grader wrote no results (exit status 127)"}}


def _fake_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: object) -> Path:
    """A container whose grade() returns ``report`` (or raises it)."""
    root = tmp_path / "ag"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)

    def fake_grade(*_args: object, **_kwargs: object) -> object:
        if isinstance(report, BaseException):
            raise report
        return report

    monkeypatch.setattr("grader.api.grade", fake_grade)
    # The assignment here is the checkout's, which others may read; see the test below.
    monkeypatch.setattr(export, "secure_material", lambda *_a: [])
    return root


@pytest.mark.parametrize(("report", "cause"), [
    (RuntimeError("the grader broke"), "RuntimeError: the grader broke"),
    (MemoryError(), "MemoryError"),
    ({"score": float("nan"), "tests": [], "output": "", "instructor": {}, "max_score": 1,
      "status": "graded", "isolation": {}}, "ValueError: Out of range float values"),
])
def test_run_autograder_turns_any_failure_into_a_zero_with_a_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: object, cause: str):
    """Whatever grade() does (raises, runs out of memory, returns a report JSON cannot hold),
    results.json says the autograder failed, with score 0 and the cause for the instructor."""
    root = _fake_report(tmp_path, monkeypatch, report)
    code = export.run_autograder("cs189_hw4_backprop", root, root / "source")
    assert code == 1
    results = json.loads((root / "results" / "results.json").read_text())
    assert (results["score"], results["output"], results["tests"]) == (0, export._FAILED, [])
    assert cause in results["extra_data"]["grader_error"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (as on Gradescope)")
def test_run_autograder_as_root_refuses_course_material_others_can_read(tmp_path: Path):
    """As root, with the assignment and reference taken from a checkout others may read (not
    from the bundle's source, which it closes), run_autograder grades nothing: score 0 and a
    message saying the set-up is at fault; the instructor learns which file."""
    root = tmp_path / "ag"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "correct.py", root / "submission" / "backprop.py")
    assert readable_by_others(ROOT / "problems" / "cs189_hw4_backprop" / "assignment.toml")
    assert export.run_autograder("cs189_hw4_backprop", root, root / "source") == 1
    results = json.loads((root / "results" / "results.json").read_text())
    assert (results["score"], results["tests"]) == (0, [])
    assert results["output"] == (
        "The autograder refused to grade (not a problem in your work): its set-up would let "
        "submissions read the hidden tests. Your instructor has been told. Please do not "
        "resubmit.")
    assert ("files of the course material are readable by other users (first: "
            f"{ROOT / 'problems' / 'cs189_hw4_backprop'})") in results["extra_data"]["grader_error"]


@pytest.mark.slow
def test_run_autograder_keeps_the_grade_of_a_message_with_a_lone_surrogate(bundle: Path,
                                                                          tmp_path: Path):
    """A submission raising ValueError("\\ud800") gets its honest score in a results.json that
    is valid UTF-8 (the surrogate is escaped), not a crash without results."""
    root = _container(bundle, tmp_path)
    student = tmp_path / "backprop.py"
    student.write_text('import numpy as np\n'
                       'def relu(s): raise ValueError("bad \\ud800 value")\n'
                       'def relu_grad(s): return np.where(np.asarray(s) > 0, 1.0, 0.0)\n')
    shutil.copyfile(student, root / "submission" / "backprop.py")
    done = _run(root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_bytes().decode("utf-8"))
    direct = grade("cs189_hw4_backprop", student)
    assert results["score"] == direct["score"] > 0
    relu = [t for t in results["tests"] if t["name"] == "relu on a fixed input"]
    assert relu[0]["score"] == 0 and "raised ValueError: bad " in relu[0]["output"]


# -- what Gradescope shows ---------------------------------------------------------------------

def _report(**over: object) -> dict:
    tests = [
        {"name": "pub", "score": 1.0, "max_score": 2.0, "visibility": "visible",
         "tags": ["public"], "output": "pub failed"},
        {"name": "hid", "score": 3.0, "max_score": 3.0, "visibility": "visible",
         "tags": ["hidden"], "output": ""},
        {"name": "secret", "score": 0.0, "max_score": 4.0, "visibility": "hidden",
         "tags": ["hidden"], "output": "no"},
        {"name": "typed", "score": 0.5, "max_score": 1.0, "visibility": "visible",
         "tags": ["answer"], "output": "half"},
    ]
    return {"score": 4.5, "max_score": 10.0, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests,
            "output": "Score: 4.5 / 10\nNote: hid: earned by error carried forward\n"
                      "Note: typed: earned by error carried forward\nNote: magic skipped",
            **over}


def test_hidden_tests_are_shown_after_publication_and_the_total_is_not_told():
    """Hidden tests declared visible become after_published; one declaring hidden stays so;
    public and typed-answer tests stay visible; the summary gives the score of the tests shown
    and drops notes about held-back tests."""
    out = gradescope_results(_report())
    assert [(t["name"], t["visibility"]) for t in out["tests"]] == [
        ("pub", "visible"), ("hid", "after_published"), ("secret", "hidden"),
        ("typed", "visible")]
    assert out["output"] == (
        "Score on the tests shown now: 1.5 / 3\n"
        "2 more tests (7 points) are shown to your instructor only or when your instructor "
        "publishes the grades; so is your total score.\n"
        "Note: typed: earned by error carried forward\nNote: magic skipped")
    assert out["stdout_visibility"] == "hidden" and out["score"] == 4.5
    assert _report()["tests"][1]["visibility"] == "visible"  # the input is not changed


def test_hidden_visibility_visible_shows_everything_as_before():
    """An assignment that sets hidden_visibility = "visible" gets the report's output as is."""
    report = _report()
    report["tests"] = report["tests"][:2]
    out = gradescope_results(report, hidden="visible")
    assert [t["visibility"] for t in out["tests"]] == ["visible", "visible"]
    assert out["output"] == report["output"]


def test_hidden_visibility_is_read_from_assignment_toml(tmp_path: Path):
    """Default after_published; [gradescope] hidden_visibility overrides it; a value Gradescope
    does not know, or an unknown key, is an assignment error naming the file."""
    a = resolve("cs189_hw4_backprop")
    assert hidden_visibility(a) == "after_published"
    due = dataclasses.replace(a, raw={**a.raw, "gradescope": {
        "hidden_visibility": "after_due_date"}})
    assert hidden_visibility(due) == "after_due_date"
    bad = dataclasses.replace(a, raw={**a.raw, "gradescope": {"hidden_visibility": "later"}})
    with pytest.raises(AssignmentError) as err:
        hidden_visibility(bad)
    assert str(err.value) == (
        f"{a.path}/assignment.toml: [gradescope] hidden_visibility is 'later'; expected one "
        "of ['visible', 'after_due_date', 'after_published', 'hidden']")
    typo = dataclasses.replace(a, raw={**a.raw, "gradescope": {"hidden": "hidden"}})
    with pytest.raises(AssignmentError, match=r"unknown \[gradescope\] keys \['hidden'\]"):
        hidden_visibility(typo)
    with pytest.raises(AssignmentError, match="hidden_visibility is 'later'"):
        export_gradescope(bad, tmp_path / "never.zip")
    assert not (tmp_path / "never.zip").exists()


def test_instructor_text_escapes_terminal_control_and_cuts_long_output():
    """The student's output and traceback go to Gradescope's instructor-only stdout with escape
    sequences, carriage returns and lone surrogates escaped, and at most the head and tail of a
    long text."""
    text = instructor_text({"instructor": {
        "stdout": "hi\x1b]0;owned\x07\rPASS 38.5/38.5\n\ud800", "detail": "Traceback: x",
        "events": [], "tests": {"relu": {"diagnosis": "missing"}}}})
    assert text == ("---- the submission's own output ----\n"
                    "hi\\x1b]0;owned\\x07\\x0dPASS 38.5/38.5\n\\ud800\n"
                    "---- traceback of the submission ----\nTraceback: x\n"
                    "---- test relu ----\n{\n \"diagnosis\": \"missing\"\n}")
    long = instructor_text({"instructor": {"stdout": "a" * 60_000 + "b" * 60_000}})
    assert long == ("---- the submission's own output ----\n" + "a" * 50_000
                    + "\n[... 20000 characters cut ...]\n" + "b" * 50_000)


# -- course material readable by root only ------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (as on Gradescope)")


def _as_other_uid(path: Path) -> str:
    """What a process of another uid (like the worker after it drops root) gets opening path."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setresgid(54321, 54321, 54321)
            os.setresuid(54321, 54321, 54321)
            open(path).close()
        except PermissionError:
            code = 13
        except BaseException:  # noqa: BLE001
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return {0: "read", 13: "denied"}.get(os.waitstatus_to_exitcode(status), "error")


@pytest.fixture
def open_tree() -> Iterator[Path]:
    """A world-readable folder outside pytest's private (0700) temporary folders."""
    base = Path(tempfile.mkdtemp(prefix="gs-"))
    base.chmod(0o755)
    (base / "source" / "reference").mkdir(parents=True)
    (base / "source" / "reference" / "ref.py").write_text("ANSWER = 42\n")
    (base / "source" / "reference" / "ref.py").chmod(0o644)
    (base / "results").mkdir()
    for folder in (base / "source", base / "source" / "reference", base / "results"):
        folder.chmod(0o755)
    yield base
    shutil.rmtree(base)


def test_readable_by_others_follows_every_folder_above(open_tree: Path):
    """A file others may read is still closed when one folder above it lets others not through."""
    ref = open_tree / "source" / "reference" / "ref.py"
    assert readable_by_others(ref)
    (open_tree / "source").chmod(0o750)
    assert not readable_by_others(ref)
    (open_tree / "source").chmod(0o755)
    ref.chmod(0o640)
    assert not readable_by_others(ref)


@needs_root
def test_secure_material_closes_the_source_to_other_uids(open_tree: Path):
    """As root: everything under source/ and results/ loses its group and other bits and
    another uid can no longer open the reference, which it could before."""
    ref = open_tree / "source" / "reference" / "ref.py"
    assert _as_other_uid(ref) == "read"
    assert secure_material([open_tree / "source", open_tree / "results"],
                           [open_tree / "source"]) == []
    assert _as_other_uid(ref) == "denied"
    modes = {p.relative_to(open_tree).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in [*open_tree.rglob("*")]}
    assert modes == {"source": 0o700, "source/reference": 0o700,
                     "source/reference/ref.py": 0o600, "results": 0o700}


@needs_root
def test_secure_material_refuses_material_it_cannot_close(open_tree: Path):
    """Course material outside the folders it may change, readable by others: an error that
    names the file and says how to fix it."""
    outside = open_tree / "elsewhere.py"
    outside.write_text("SECRET = 1\n")
    outside.chmod(0o644)
    with pytest.raises(MaterialExposedError) as err:
        secure_material([open_tree / "source"], [outside])
    assert str(err.value) == (
        f"1 files of the course material are readable by other users (first: {outside}); "
        "grading would let the student's code read them. Make them readable by root only "
        "(chmod -R go-rwx) or keep them under the bundle's source folder, which run_autograder "
        "closes itself.")


def test_secure_material_as_an_ordinary_user_changes_nothing(open_tree: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    """Without root the worker keeps the grader's uid: modes cannot help, so none are changed
    and the note says why."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert secure_material([open_tree / "source"], [open_tree / "source"]) == [
        "not running as root: the worker keeps the grader's uid, so file modes do not keep the "
        "course material from it (the sandbox's other layers must)"]
    assert stat.S_IMODE((open_tree / "source").stat().st_mode) == 0o755


# -- the bundle as Gradescope runs it: root, set-up once, namespaces refused --------------------

LAUNCHER = Path(__file__).with_name("no_namespaces.py")
READ_SOURCE = ROOT / "tests" / "data" / "gradescope" / "read_source.py"
_SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}")


def _distinctive_lines(*files: Path) -> set[str]:
    """Lines of the course's files long and specific enough that finding one is a leak."""
    return {line.strip() for f in files for line in f.read_text().splitlines()
            if len(line.strip()) > 40 and not line.strip().startswith(("#", '"""'))}


@pytest.fixture(scope="module")
def container(bundle: Path) -> Iterator[Path]:
    """/autograder laid out in a folder others can traverse, set up by the bundle's own setup.sh
    (offline: the dependencies come from this test's site-packages) with a system Python that
    a dropped uid can read, as on Gradescope's image."""
    if os.geteuid() != 0:
        pytest.skip("needs root (as on Gradescope)")
    if not _SYSTEM_PYTHON.exists():
        pytest.skip(f"needs {_SYSTEM_PYTHON} (the same Python version in a readable place)")
    base = Path(tempfile.mkdtemp(prefix="gs-autograder-"))
    base.chmod(0o755)
    for sub in ("source", "submission", "results"):
        (base / sub).mkdir(mode=0o755)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(base / "source")
    import sysconfig

    env = {"PATH": f"{_SYSTEM_PYTHON.parent}:/bin", "AUTOGRADER_ROOT": str(base),
           "GRADER_SITE": sysconfig.get_paths()["purelib"], "HOME": str(base)}
    done = subprocess.run(["bash", str(base / "source" / "setup.sh")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("grader 0.1.0 ready")
    yield base
    shutil.rmtree(base)


def _gradescope(root: Path, submission: Path) -> subprocess.CompletedProcess:
    """run_autograder as Gradescope runs it: as root, no namespaces (Docker's seccomp profile)."""
    shutil.rmtree(root / "submission")
    (root / "submission").mkdir()
    shutil.copyfile(submission, root / "submission" / "backprop.py")
    env = {"PATH": f"{_SYSTEM_PYTHON.parent}:/bin", "AUTOGRADER_ROOT": str(root),
           "HOME": "/root"}
    done = subprocess.run([sys.executable, str(LAUNCHER), "bash",
                           str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode == 77:
        pytest.skip("the namespace-refusing launcher runs on x86_64 Linux only")
    return done


def _modes(folder: Path) -> set[int]:
    return {stat.S_IMODE(p.lstat().st_mode) & 0o077 for p in [folder, *folder.rglob("*")]}


@pytest.mark.slow
def test_setup_closes_the_course_material_and_leaves_the_venv_readable(container: Path):
    """After setup.sh, nothing under source/ has group or other bits and all of it is root's;
    the venv's interpreter is still readable and runnable by others."""
    assert _modes(container / "source") == {0}
    assert {p.lstat().st_uid for p in (container / "source").rglob("*")} == {0}
    assert _as_other_uid(container / "source" / "grader_src" / "reference"
                         / "cs189_hw4_backprop.py") == "denied"
    assert readable_by_others(container / "venv" / "pyvenv.cfg")


@pytest.mark.slow
def test_gradescope_run_keeps_the_reference_and_hidden_tests_from_the_submission(
        container: Path):
    """As root with namespaces refused, a submission that finds the bundle's folders on the
    grader's command line opens none of the course's files: score 0, nothing of the reference
    or hidden tests in results.json or the instructor's stdout; the worker ran under its own
    uid at the landlock level (the probe verified it); hidden tests are after_published; results
    are root's only."""
    done = _gradescope(container, READ_SOURCE)
    assert done.returncode == 0, done.stderr
    results = json.loads((container / "results" / "results.json").read_text())
    # Landlock refuses every /proc/<pid> and /proc itself: the walk stops at its first step.
    assert (results["score"], results["status"]) == (0, "import-error")
    assert ("Your code could not be imported: PermissionError: [Errno 13] Permission denied: "
            "'/proc' (line 10)") in results["output"]
    assert results["isolation"]["level"] == "landlock"
    assert results["isolation"]["layers"]["unprivileged"] is True
    verified = results["isolation"]["verified"]
    assert (verified["hidden_unreadable"], verified["network_unreachable"]) == (True, True)
    assert ('---- traceback of the submission ----\nFile "backprop.py", line 10, in <module>\n'
            '    for pid in os.listdir("/proc"):') in done.stdout
    a = resolve("cs189_hw4_backprop")
    secret = _distinctive_lines(ROOT / "reference" / "cs189_hw4_backprop.py",
                                *a.hidden_tests.glob("test_*.py"))
    assert len(secret) > 20
    text = (container / "results" / "results.json").read_text() + done.stdout
    assert [line for line in secret if line in text] == []
    assert {(t["tags"][0], t["visibility"]) for t in results["tests"]} == {
        ("public", "visible"), ("answer", "visible"), ("hidden", "after_published")}
    assert (results["visibility"], results["stdout_visibility"]) == ("visible", "hidden")
    assert results["output"].split("\n")[:2] == [
        "Score on the tests shown now: 0 / 21.5",
        "14 more tests (17 points) are shown when your instructor publishes the grades; so is "
        "your total score."]
    assert _modes(container / "source") == {0} and _modes(container / "results") == {0}


@pytest.mark.slow
def test_gradescope_run_grades_honestly_and_repairs_modes_reset_after_setup(container: Path):
    """With the source made world-readable again after set-up (as a rebuilt image might), the
    next run closes it before grading, and the worker, under its own uid, grades a real
    submission to the same scores as grader grade."""
    subprocess.run(["chmod", "-R", "a+rX", str(container / "source")], check=True)
    assert readable_by_others(container / "source" / "grader_src" / "reference"
                              / "cs189_hw4_backprop.py")
    done = _gradescope(container, EXAMPLES / "mistake_relu_grad.py")
    assert done.returncode == 0, done.stderr
    assert _modes(container / "source") == {0}
    results = json.loads((container / "results" / "results.json").read_text())
    assert results["isolation"]["level"] == "landlock"
    direct = grade("cs189_hw4_backprop", EXAMPLES / "mistake_relu_grad.py")
    assert [(t["name"], t["score"]) for t in results["tests"]] == [
        (t["name"], t["score"]) for t in direct["tests"]]
    assert results["score"] == direct["score"] < results["max_score"]


def test_instructor_text_is_bounded_in_total(monkeypatch: pytest.MonkeyPatch):
    """Many tests with long details are cut as a whole to head and tail."""
    monkeypatch.setattr(export, "INSTRUCTOR_TOTAL_CHARS", 1000)
    text = instructor_text({"instructor": {"tests": {f"t{i}": "x" * 400 for i in range(10)}}})
    whole = "\n".join(f"---- test t{i} ----\n" + "x" * 400 for i in range(10))
    assert len(whole) == 4189
    assert text == f"{whole[:500]}\n[... 3189 characters cut ...]\n{whole[-500:]}"
