"""examples/ci/: the student's workflow runs public checks with no secret; the course's
workflow collects student repositories read-only, grades them with `grader batch` and
publishes feedback without hidden tests or reference. The workflows must parse and say so; the
scripts are run here on local repositories."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.api import grade
from grader.assignment import resolve

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "examples" / "ci"
COURSE = CI / "course"
EXAMPLES = ROOT / "submissions" / "examples" / "cs189_hw4_backprop"
STUDENTS = {"alice": "correct", "bob": "mistake_relu_grad", "carol": "mistake_no_bias"}


def _workflow(path: Path) -> dict:
    wf = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    wf["on"] = wf.pop(True, wf.get("on"))
    return wf


def _steps(wf: dict) -> list[dict]:
    return [step for job in wf["jobs"].values() for step in job["steps"]]


def test_student_workflow_runs_public_checks_with_no_secret():
    """The student's workflow names no secret, may only read, and runs the kit's check.sh."""
    text = (CI / "student-check.yml").read_text()
    wf = _workflow(CI / "student-check.yml")
    assert "secrets." not in text and "AUTOGRADER" not in text
    assert wf["permissions"] == {"contents": "read"}
    assert set(wf["on"]) == {"push", "pull_request", "workflow_dispatch"}
    runs = [s["run"] for s in _steps(wf) if "run" in s]
    assert any("bash check.sh" in r for r in runs)
    assert not any("grader grade" in r or "batch" in r for r in runs)
    checkout = [s for s in _steps(wf) if s.get("uses", "").startswith("actions/checkout")]
    assert [s["with"]["persist-credentials"] for s in checkout] == [False]


def test_course_workflow_is_started_only_by_the_course_and_keeps_tokens_to_their_steps():
    """The grading workflow runs on a schedule or by hand (never on an event a student's
    repository can cause), may only read, checks out only the course's repository, gives
    each token to the one step that needs it, and grades with ci/grade.sh."""
    wf = _workflow(COURSE / "grade-class.yml")
    assert set(wf["on"]) == {"schedule", "workflow_dispatch"}
    assert wf["permissions"] == {"contents": "read"}
    steps = _steps(wf)
    checkout = [s for s in steps if s.get("uses", "").startswith("actions/checkout")]
    assert len(checkout) == 1 and "repository" not in checkout[0]["with"]
    assert checkout[0]["with"]["persist-credentials"] is False
    with_secret = {s["name"]: sorted(v for v in s.get("env", {}).values() if "secrets." in v)
                   for s in steps if "secrets." in json.dumps(s)}
    assert with_secret == {
        "Collect the submissions": ["${{ secrets.STUDENT_REPOS_TOKEN }}"] * 2,
        "Post each student's feedback to their repository": ["${{ secrets.FEEDBACK_TOKEN }}"]}
    grade_step = next(s for s in steps if s.get("name") == "Grade with the hidden tests")
    assert grade_step["run"].startswith("bash ci/grade.sh ")
    assert "secrets." not in json.dumps(wf.get("env", {}))


def _student_repos(tmp_path: Path) -> Path:
    """Local git repositories for three students (each with a .github folder) and a list
    naming them, one missing repository and one login that is not a folder name."""
    lines = []
    for login, example in STUDENTS.items():
        repo = tmp_path / "repos" / login
        (repo / ".github" / "workflows").mkdir(parents=True)
        (repo / ".github" / "workflows" / "check.yml").write_text("name: mine\n")
        shutil.copyfile(EXAMPLES / f"{example}.py", repo / "backprop.py")
        git = ["git", "-C", str(repo), "-c", "user.email=s@example.org", "-c", "user.name=s"]
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-qm", "work"], check=True)
        lines.append(f"{login} file://{repo}")
    lines += ["# a comment", "", f"dave file://{tmp_path}/repos/nobody",
              f"../up file://{tmp_path}/repos/alice"]
    listing = tmp_path / "students.txt"
    listing.write_text("\n".join(lines) + "\n")
    return listing


def _bash(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), *map(str, args)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300, check=False)


def test_collect_clones_read_only_copies_and_lists_what_failed(tmp_path: Path):
    """Each student's latest commit without .git or .github; a repository that cannot be
    cloned and a login that could escape the folder are listed, the rest collected (exit 1);
    the token is written nowhere."""
    listing = _student_repos(tmp_path)
    out = tmp_path / "subs"
    done = _bash(COURSE / "collect.sh", listing, out, GIT_TOKEN="tok-123-secret")
    assert done.returncode == 1
    assert done.stdout == f"collected 3 submissions into {out}\n"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "alice", "alice/backprop.py", "bob", "bob/backprop.py", "carol", "carol/backprop.py"]
    assert (tmp_path / "subs.failed.txt").read_text() == (
        f"dave: could not clone file://{tmp_path}/repos/nobody\n../up: not a valid login\n")
    encoded = base64.b64encode(b"x-access-token:tok-123-secret")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"tok-123-secret" not in data and encoded not in data, path
    assert _bash(COURSE / "collect.sh", listing).returncode == 2


@pytest.mark.slow
def test_grade_and_feedback_publish_scores_without_hidden_tests(tmp_path: Path):
    """grade.sh runs grader batch over the collected repositories (scores equal to grader
    grade); feedback.py writes each student's tests without any hidden test, its source or the
    reference, and adds the hidden tests only with --reveal-hidden."""
    listing = _student_repos(tmp_path)
    subs, grades, feedback = tmp_path / "subs", tmp_path / "grades", tmp_path / "feedback"
    _bash(COURSE / "collect.sh", listing, subs)
    grader = Path(sys.executable).with_name("grader")
    done = _bash(COURSE / "grade.sh", "cs189_hw4_backprop", subs, grades, GRADER=str(grader),
                 GRADER_SUDO="never")
    assert done.returncode == 0, done.stderr
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout
    lines = done.stdout.splitlines()
    assert lines[0] == f"grading cs189_hw4_backprop as {user.strip()}: {grader} batch"
    assert re.fullmatch(r"isolation: 3 at [a-z]+", lines[-1])
    book = {login: json.loads((grades / f"{login}.json").read_text())["score"]
            for login in STUDENTS}
    direct = {login: grade("cs189_hw4_backprop", EXAMPLES / f"{example}.py")
              for login, example in STUDENTS.items()}
    assert book == {login: r["score"] for login, r in direct.items()}

    feedback_py = [sys.executable, str(COURSE / "feedback.py"), str(grades)]
    subprocess.run([*feedback_py, "-o", str(feedback)], check=True, capture_output=True)
    assert (feedback / "scores.md").read_text() == (
        "| student | score | status |\n|---|---:|---|\n"
        + "".join(f"| {login} | {r['score']:g} / 38.5 | graded |\n"
                  for login, r in direct.items()))
    a = resolve("cs189_hw4_backprop")
    hidden_names = {t["name"] for t in direct["bob"]["tests"] if "hidden" in t["tags"]}
    public_names = {t["name"] for t in direct["bob"]["tests"] if "hidden" not in t["tags"]}
    secret = {line.strip() for f in [ROOT / "reference" / "cs189_hw4_backprop.py",
                                     *a.hidden_tests.glob("test_*.py")]
              for line in f.read_text().splitlines() if len(line.strip()) > 40}
    bob = (feedback / "bob.md").read_text()
    assert all(f"- {name}: " in bob for name in public_names)
    assert [name for name in hidden_names if f"- {name}: " in bob] == []
    assert bob.startswith("# cs189_hw4_backprop: feedback for bob\n\n```text\n"
                          "Score on the tests shown now: 8.66667 / 21.5\n")
    for page in feedback.glob("*.md"):
        assert [line for line in secret if line in page.read_text()] == []

    revealed = tmp_path / "revealed"
    subprocess.run([*feedback_py, "-o", str(revealed), "--reveal-hidden"], check=True,
                   capture_output=True)
    bob = (revealed / "bob.md").read_text()
    assert all(f"- {name}: " in bob for name in hidden_names | public_names)
    assert "```text\nScore: 20 / 38.5\n" in bob
    assert [line for line in secret if line in bob] == []


def test_grade_script_usage_and_publish_dry_run(tmp_path: Path):
    """grade.sh without its three arguments is a usage error (2); publish.sh posts each
    feedback file to the repository named by its student's URL."""
    assert _bash(COURSE / "grade.sh", "only-one").returncode == 2
    (tmp_path / "fb").mkdir()
    (tmp_path / "fb" / "alice.md").write_text("# hi\n")
    (tmp_path / "students.txt").write_text("alice https://github.com/org/hw-alice.git\n"
                                           "bob https://github.com/org/hw-bob\n")
    done = _bash(COURSE / "publish.sh", tmp_path / "students.txt", tmp_path / "fb",
                 PUBLISH_DRY_RUN="1")
    assert (done.returncode, done.stdout) == (
        0, f"would post {tmp_path}/fb/alice.md to org/hw-alice\n")


@pytest.mark.slow
def test_grade_script_runs_the_grader_under_sudo_when_it_may(tmp_path: Path):
    """As an ordinary user allowed to sudo (a hosted runner), grade.sh runs grader batch as
    root with the course's problems folder named, then gives the output back to the user.
    (`id` and `sudo` are stand-ins that log their calls and run the command.)"""
    bin_dir, log = tmp_path / "bin", tmp_path / "sudo.log"
    bin_dir.mkdir()
    (bin_dir / "id").write_text('#!/bin/sh\ncase "$1" in -u|-g) echo 1001;; -un) echo runner;; '
                                'esac\n')
    (bin_dir / "sudo").write_text(f'#!/bin/sh\necho "sudo $*" >> "{log}"\n'
                                  '[ "$1" = -n ] && shift\nexec "$@"\n')
    for tool in ("id", "sudo"):
        (bin_dir / tool).chmod(0o755)
    subs = tmp_path / "subs" / "alice"
    subs.mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "correct.py", subs / "backprop.py")
    grader = Path(sys.executable).with_name("grader")
    done = subprocess.run(
        ["bash", str(COURSE / "grade.sh"), "cs189_hw4_backprop", str(subs.parent),
         str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "GRADER": str(grader)},
        check=False)
    assert done.returncode == 0, done.stderr
    batch = f"sudo -n env GRADER_PROBLEMS={ROOT}/problems {grader} batch"
    assert done.stdout.splitlines()[0] == f"grading cs189_hw4_backprop as root (sudo): {batch}"
    assert log.read_text().splitlines() == [
        "sudo -n true", f"{batch} cs189_hw4_backprop {subs.parent} -o {tmp_path}/out",
        f"sudo -n chown -R 1001:1001 {tmp_path}/out"]
    assert {p.stat().st_uid for p in (tmp_path / "out").rglob("*")} == {1001}
