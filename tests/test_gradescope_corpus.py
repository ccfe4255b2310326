"""The hostile corpus through the Gradescope bundle, run as Gradescope runs it.

A bundle of a low-limit copy of cs189_hw4_backprop is set up by its own setup.sh and every
corpus submission is graded by its run_autograder as root, under a seccomp filter that refuses
namespaces (tests/no_namespaces.py), with the project's checkout out of sight (as in the
container, where only /autograder exists). For each: results.json is written, no line of a hidden
test or reference reaches it or the autograder's output, and a submission that plants and kills
nothing (rlimits_safe) gets exactly its honest score and status.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader._jail import WORKER_UID_BASE
from grader.assignment import read
from grader.export import export_gradescope

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("tally_hostile",
                                               ROOT / "scripts" / "tally_hostile.py")
assert _spec is not None and _spec.loader is not None
th = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("tally_hostile", th)
_spec.loader.exec_module(th)

ASSIGNMENT = "cs189_hw4_backprop"
CASES = [c for c in th.load_corpus() if ASSIGNMENT in c.expect]
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (as on Gradescope)"),
    pytest.mark.skipif(not SYSTEM_PYTHON.exists() or shutil.which("unshare") is None,
                       reason=f"needs {SYSTEM_PYTHON} and unshare(1)"),
]


def _out_of_sight(base: Path) -> list[Path]:
    """What a Gradescope container does not have: the checkout (its parent too, where sibling
    checkouts may live, unless that holds the container) and its git objects."""
    hide = [ROOT.parent if ROOT.parent != Path("/") and not base.is_relative_to(ROOT.parent)
            else ROOT]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        common = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--git-common-dir"],
                                capture_output=True, text=True, check=True).stdout.strip()
        git_dir = (ROOT / common).resolve()
        if not any(git_dir.is_relative_to(h) for h in hide):
            hide.append(git_dir)
    return hide


def _hidden_world(base: Path, command: list[str]) -> list[str]:
    """``command`` in a mount namespace where the checkout is an empty folder and the test's
    site-packages appear at base/deps; then the seccomp filter, so the grader itself can
    create no namespace, as in Gradescope's container."""
    site = sysconfig.get_paths()["purelib"]
    hide = " && ".join(f'mount -t tmpfs none "{p}"' for p in _out_of_sight(base))
    script = (f'mount --bind "{site}" "{base}/deps" && {hide} && '
              f'exec "{SYSTEM_PYTHON}" "{base}/no_namespaces.py" "$@"')
    return ["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script,
            "sh", *command]


@pytest.fixture(scope="module")
def container() -> Iterator[dict[str, object]]:
    base = Path(tempfile.mkdtemp(prefix="gs-corpus-"))
    assert not base.is_relative_to(ROOT)
    base.chmod(0o755)
    # The low-limit copy and the zip are course material too: kept in a folder only root can
    # enter (mkdtemp's 0700), as on the machine that built the bundle.
    private = Path(tempfile.mkdtemp(prefix="gs-corpus-course-"))
    copy = th.limited_assignment(ASSIGNMENT, private / "problems")
    bundle = export_gradescope(read(copy), private / "autograder.zip")
    for sub in ("source", "submission", "results", "deps"):
        (base / sub).mkdir(mode=0o755)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(base / "source")
    shutil.copyfile(Path(__file__).with_name("no_namespaces.py"), base / "no_namespaces.py")
    shutil.copyfile(ROOT / "grader" / "_seccomp.py", base / "_seccomp.py")
    env = {"PATH": f"{SYSTEM_PYTHON.parent}:/bin", "AUTOGRADER_ROOT": str(base),
           "GRADER_SITE": str(base / "deps"), "HOME": str(base)}
    done = subprocess.run(_hidden_world(base, ["bash", str(base / "source" / "setup.sh")]),
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    yield {"base": base, "secrets": th.secret_lines()}
    shutil.rmtree(base)
    shutil.rmtree(private)


def _kill_workers() -> list[int]:
    """Processes of worker uids (the sandbox's to end; swept here so cases stay independent)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if entry.stat().st_uid >= WORKER_UID_BASE:
                found.append(int(entry.name))
                os.kill(int(entry.name), signal.SIGKILL)
    return found


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_corpus_case_through_the_bundle(container: dict[str, object], name: str,
                                        tmp_path: Path):
    """results.json written, nothing of the hidden tests or reference in it or in the
    autograder's output; the honest score and status where the case is rlimits_safe."""
    case = next(c for c in CASES if c.name == name)
    base = container["base"]
    assert isinstance(base, Path)
    submission = base / "submission"
    shutil.rmtree(submission)
    submission.mkdir(mode=0o755)
    path = th.materialise(case, tmp_path)
    if path.is_dir():
        shutil.copytree(path, submission, dirs_exist_ok=True, symlinks=True)
    elif path.is_symlink():
        os.symlink(os.readlink(path), submission / path.name)
    else:
        shutil.copyfile(path, submission / path.name)
    env = {"PATH": f"{SYSTEM_PYTHON.parent}:/bin", "AUTOGRADER_ROOT": str(base), "HOME": "/root"}
    proc = subprocess.Popen(_hidden_world(base, ["bash", str(base / "source" / "run_autograder")]),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        _kill_workers()
        pytest.fail(f"run_autograder did not finish in 120 s\n{stderr[-2000:]}")
    _kill_workers()
    results = json.loads((base / "results" / "results.json").read_text(encoding="utf-8"))
    secrets = container["secrets"]
    assert isinstance(secrets, list)
    assert th.leaked_lines(results, secrets) == []
    assert [s for s in secrets if s in stdout or s in stderr] == []
    if case.rlimits_safe:
        exp = case.expect[ASSIGNMENT]
        honest = sum(t["max_score"] for t in results["tests"] if th.credited(t, exp))
        assert (results.get("status"), results["score"]) == (exp.status, honest), (
            results.get("output"), stderr[-2000:])
