"""The Gradescope bundle: what it holds, and run_autograder in a folder laid out like the
container (source/, submission/, results/), without root and without Gradescope."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.api import grade
from grader.cli import main
from grader.export import export_gradescope, pick_submission, reference_files
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
    assert results["score"] == 0 and "autograder itself failed" in results["output"]
    assert "cs189_hw4_backprop" in results["extra_data"]["grader_error"]


# -- examples/ci/grade.sh ---------------------------------------------------------------------

CI_SCRIPT = ROOT / "examples" / "ci" / "grade.sh"


def _ci(student: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "GRADE"))}
    return subprocess.run(["bash", str(CI_SCRIPT)], cwd=student, env={**clean, **env},
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.slow
def test_ci_script_grades_a_checkout_with_a_downloaded_bundle(bundle: Path, tmp_path: Path):
    """grade.sh downloads the bundle, checks its hash, grades only the student's files (their
    .github and a sabotaging conftest.py change nothing) and exits 0 with the report saved."""
    import hashlib

    student = tmp_path / "student"
    (student / ".github" / "workflows").mkdir(parents=True)
    (student / ".github" / "workflows" / "grade.yml").write_text("name: mine\n")
    (student / "conftest.py").write_text(
        "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n    yield\n")
    shutil.copyfile(EXAMPLES / "mistake_no_bias.py", student / "backprop.py")
    out = tmp_path / "results"
    done = _ci(student, AUTOGRADER_URL=bundle.as_uri(), GRADE_OUT=str(out),
               AUTOGRADER_SHA256=hashlib.sha256(bundle.read_bytes()).hexdigest(),
               GRADER_PYTHON=sys.executable)
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    validate(results)
    direct = grade("cs189_hw4_backprop", EXAMPLES / "mistake_no_bias.py")
    assert 0 < results["score"] == direct["score"] < results["max_score"]
    assert f"Score: {direct['score']:g} / {direct['max_score']:g} (graded)" in done.stdout


def test_ci_script_refuses_an_altered_bundle_and_a_missing_one(bundle: Path, tmp_path: Path):
    """A bundle whose sha256 does not match is not used (exit 1, no report); no bundle
    configured at all is exit 2."""
    student = tmp_path / "student"
    student.mkdir()
    shutil.copyfile(EXAMPLES / "correct.py", student / "backprop.py")
    out = tmp_path / "results"
    done = _ci(student, AUTOGRADER_ZIP=str(bundle), AUTOGRADER_SHA256="0" * 64,
               GRADE_OUT=str(out), GRADER_PYTHON=sys.executable)
    assert done.returncode == 1 and "expected sha256" in done.stderr
    assert not (out / "results.json").exists()
    assert _ci(student, GRADE_OUT=str(out)).returncode == 2
