"""The platforms courses grade on, simulated here (scripts/simulate_platform.py): root under
Docker's default profile (Gradescope, Docker, Kubernetes pods) and an ordinary user with
namespaces refused (a GitHub-hosted runner without sudo). The grader's policy is checked through
the real command line under each: `grade` refuses with exit 1 and the fix for that platform,
`--allow-unisolated` grades, `check` runs. The hostile corpus at these levels is in
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


def _run(mode: str, *command: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(workdir)}
    return subprocess.run([sys.executable, str(SIMULATE), mode, "--", *command], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def _grader(mode: str, *args: str, workdir: Path) -> tuple[int, dict[str, object], str]:
    out = workdir / "report.json"
    proc = _run(mode, sys.executable, "-m", "grader", *args, "-o", str(out), workdir=workdir)
    return proc.returncode, json.loads(out.read_text()), proc.stderr


@pytest.mark.parametrize(("mode", "uid"), [("docker", 0), ("user", 1000)])
def test_simulation_refuses_namespaces(mode: str, uid: int, workdir: Path) -> None:
    """Under both simulations unshare fails with EPERM and CAP_SYS_ADMIN is gone; the user
    mode runs as the ordinary user."""
    proc = _run(mode, sys.executable, "-c", UNSHARE, workdir=workdir)
    assert proc.stdout.split() == ["-1", "Operation", "not", "permitted", str(uid), "False"], \
        proc.stderr


def test_docker_default_grade_is_refused_with_the_container_fix(workdir: Path) -> None:
    """Root without namespaces (Gradescope, Docker's default, a Kubernetes pod): `grader
    grade` exits 1 with status internal-error and says to let the container create namespaces
    or make the course material root-only."""
    code, report, err = _grader("docker", "grade", "mathml_hw4", str(CORRECT), workdir=workdir)
    assert code == 1
    assert (report["status"], report["score"]) == ("internal-error", 0)
    assert report["output"].endswith(policy.STUDENT_MESSAGE)
    assert err.startswith(f"mathml_hw4: 0/141.25 (internal-error) {CORRECT}\n"
                          "grader: grading refused: the worker, before any student code ran, "
                          f"could read the hidden tests or reference ({ROOT}/problems/mathml_hw4"
                          "/tests/hidden/")
    assert "  - let the container create namespaces (Docker: `--security-opt " \
           "seccomp=unconfined`" in err
    assert "  - make the course material readable by root only" in err
    assert "unshare: Operation not permitted" in err


def test_runner_without_sudo_grade_is_refused_with_run_as_root(workdir: Path) -> None:
    """An ordinary user without namespaces (a GitHub-hosted runner without sudo): refused, and
    told to run as root with sudo."""
    code, report, err = _grader("user", "grade", "mathml_hw4", str(CORRECT), workdir=workdir)
    assert code == 1
    assert report["status"] == "internal-error"
    assert "  - run as root (on GitHub-hosted runners: `sudo -E env PATH=$PATH grader ...`" in err
    assert "let the container create namespaces" not in err


def test_docker_default_allow_unisolated_grades(workdir: Path) -> None:
    """`--allow-unisolated` grades at the rlimits level and reports what the worker reached."""
    code, report, _ = _grader("docker", "grade", "mathml_hw4", str(CORRECT),
                              "--allow-unisolated", workdir=workdir)
    assert code == 0
    assert report["status"] == "graded"
    isolation = report["isolation"]
    assert isinstance(isolation, dict) and isolation["level"] == "rlimits"
    assert isolation["verified"]["network_unreachable"] is False


@pytest.mark.parametrize("mode", ["docker", "user"])
def test_check_runs_on_every_platform(mode: str, workdir: Path) -> None:
    """`grader check` (public tests only, what students run) runs whatever the level."""
    proc = _run(mode, sys.executable, "-m", "grader", "check", "mathml_hw4", str(CORRECT),
                "--json", workdir=workdir)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["status"], report["public_only"]) == ("graded", True)
    assert report["isolation"]["level"] == "rlimits"
