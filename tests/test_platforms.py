"""The platforms courses grade on, simulated here (scripts/simulate_platform.py): root under
Docker's default profile (Gradescope, Docker, Kubernetes pods) and an ordinary user with
namespaces refused (a GitHub-hosted runner without sudo), each with and without Landlock. The
grader's policy is checked through the real command line under each: `grade` goes ahead where
Landlock and seccomp hold, refuses with exit 1 and the fix for that platform where they do not,
`--allow-unisolated` grades anyway, `check` always runs. The hostile corpus at these levels is in
tests/test_hostile.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import policy

ROOT = Path(__file__).resolve().parent.parent
SIMULATE = ROOT / "scripts" / "simulate_platform.py"
CORRECT = ROOT / "submissions" / "examples" / "mathml_hw4" / "correct.py"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the simulation needs root")

UNSHARE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.unshare(0x10000000 | 0x00020000)  # CLONE_NEWUSER | CLONE_NEWNS
status = open("/proc/self/status").read()
cap_eff = int(status.split("CapEff:")[1].split()[0], 16)
print(rc, os.strerror(ctypes.get_errno()) if rc else "", os.getuid(), bool(cap_eff & (1 << 21)))
"""


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A folder every user may write (the ordinary user's reports and scratch folders)."""
    path = Path(tempfile.mkdtemp(prefix="platform-", dir="/var/tmp"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _run(mode: str, *command: str, workdir: Path,
         landlock: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(workdir)}
    flags = [] if landlock else ["--no-landlock"]
    return subprocess.run([sys.executable, str(SIMULATE), mode, *flags, "--", *command],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def _grader(mode: str, *args: str, workdir: Path,
            landlock: bool = True) -> tuple[int, dict[str, Any], str]:
    out = workdir / "report.json"
    proc = _run(mode, sys.executable, "-m", "grader", *args, "-o", str(out), workdir=workdir,
                landlock=landlock)
    return proc.returncode, json.loads(out.read_text()), proc.stderr


@pytest.mark.parametrize(("mode", "uid"), [("docker", 0), ("user", 1000)])
def test_simulation_refuses_namespaces(mode: str, uid: int, workdir: Path) -> None:
    """Under both simulations unshare fails with EPERM and CAP_SYS_ADMIN is gone; the user
    mode runs as the ordinary user."""
    proc = _run(mode, sys.executable, "-c", UNSHARE, workdir=workdir)
    assert proc.stdout.split() == ["-1", "Operation", "not", "permitted", str(uid), "False"], \
        proc.stderr


@pytest.mark.parametrize("mode", ["docker", "user"])
def test_grade_without_namespaces_holds_with_landlock_and_seccomp(mode: str,
                                                                   workdir: Path) -> None:
    """Gradescope/Docker's default/a Kubernetes pod (root) and a GitHub-hosted runner without
    sudo (an ordinary user): namespaces are refused, Landlock and seccomp keep the course's
    files and the network out of reach, the probe verifies it, and the grade goes ahead."""
    code, report, err = _grader(mode, "grade", "mathml_hw4", str(CORRECT), workdir=workdir)
    assert code == 0, err
    assert report["status"] == "graded"
    isolation = report["isolation"]
    assert isolation["level"] == "landlock"
    assert (isolation["layers"]["mount_namespace"], isolation["layers"]["landlock"],
            isolation["layers"]["seccomp"]) == (False, True, True)
    assert (isolation["verified"]["hidden_unreadable"],
            isolation["verified"]["network_unreachable"]) == (True, True)
    assert isolation["layers"].get("own_uid", False) is (mode == "docker")


def test_docker_without_landlock_is_refused_with_the_container_fix(workdir: Path) -> None:
    """Root without namespaces and without Landlock: the world-readable checkout is readable by
    the worker's own uid, so `grader grade` exits 1 with status internal-error, names the
    missing layers and says to let the container create namespaces, enable Landlock, or make
    the course material root-only."""
    code, report, err = _grader("docker", "grade", "mathml_hw4", str(CORRECT), workdir=workdir,
                                landlock=False)
    assert code == 1
    assert (report["status"], report["score"]) == ("internal-error", 0)
    assert report["output"].endswith(policy.STUDENT_MESSAGE)
    assert err.startswith(f"mathml_hw4: 0/141.25 (internal-error) {CORRECT}\n"
                          "grader: grading refused: the worker, before any student code ran, "
                          f"could read the hidden tests or reference ({ROOT}/problems/mathml_hw4"
                          "/tests/hidden/")
    assert "connect to" not in err.split("\n")[1]  # seccomp still refuses sockets
    assert "Landlock (limits what the worker may open)" in err
    assert "  - enable Landlock (kernel >= 5.13" in err
    assert "  - let the container create namespaces (Docker: `--security-opt " \
           "seccomp=unconfined`" in err
    assert "  - make the course material readable by root only" in err


def test_runner_without_sudo_or_landlock_is_refused_with_run_as_root(workdir: Path) -> None:
    """An ordinary user without namespaces or Landlock (a runner without sudo on an old
    kernel): refused, and told to run as root with sudo."""
    code, report, err = _grader("user", "grade", "mathml_hw4", str(CORRECT), workdir=workdir,
                                landlock=False)
    assert code == 1
    assert report["status"] == "internal-error"
    assert "  - run as root (on GitHub-hosted runners: `sudo -E env PATH=$PATH grader ...`" in err
    assert "let the container create namespaces" not in err


def test_allow_unisolated_grades_without_landlock(workdir: Path) -> None:
    """`--allow-unisolated` grades anyway and reports what the worker reached."""
    code, report, _ = _grader("docker", "grade", "mathml_hw4", str(CORRECT),
                              "--allow-unisolated", workdir=workdir, landlock=False)
    assert code == 0
    assert report["status"] == "graded"
    assert report["isolation"]["verified"]["hidden_unreadable"] is False


@pytest.mark.parametrize("mode", ["docker", "user"])
def test_check_runs_on_every_platform(mode: str, workdir: Path) -> None:
    """`grader check` (public tests only, what students run) runs whatever the level, even
    with no layer that keeps files from the worker."""
    proc = _run(mode, sys.executable, "-m", "grader", "check", "mathml_hw4", str(CORRECT),
                "--json", workdir=workdir, landlock=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["status"], report["public_only"]) == ("graded", True)
    assert report["isolation"]["verified"]["hidden_unreadable"] is False


def test_batch_without_landlock_refuses_every_student_and_says_why_once(workdir: Path) -> None:
    """`grader batch` as an ordinary user without namespaces or Landlock: every student gets the
    refusal report (graded again by the next run), exit 1, and the reason once on stderr."""
    subs = workdir / "subs"
    subs.mkdir()
    for name in ("alice", "bob"):
        shutil.copy(CORRECT, subs / f"{name}.py")
    for p in [subs, *subs.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    out = workdir / "out"
    proc = _run("user", sys.executable, "-m", "grader", "batch", "mathml_hw4", str(subs), "-o",
                str(out), "-j", "1", workdir=workdir, landlock=False)
    assert proc.returncode == 1, proc.stderr
    for name in ("alice", "bob"):
        report = json.loads((out / f"{name}.json").read_text())
        assert (report["status"], report["score"]) == ("internal-error", 0)
        assert report["instructor"]["refused"].startswith("grading refused: ")
    assert proc.stderr.count("grader: grading refused: the worker, before any student code "
                             "ran, could read the hidden tests or reference") == 1
    assert "grader: the grader failed on alice, bob" in proc.stderr
