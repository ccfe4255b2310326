"""A student kit works on a student's machine: without the course checkout or its reference.

The grader is installed (students install it too) but `reference/` is not importable there, so
public tests must carry their expected values themselves. The check runs in a subprocess started
outside the repository, as a student would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ASSIGNMENTS = ["cs189_hw4_backprop", "softmax_regression", "cs229_ps2", "mathml_hw4"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_kit_check_passes_correct_code_without_reference(name, tmp_path):
    """grader check in the kit gives the correct code every public point, reference absent."""
    kit = tmp_path / "kit"
    subprocess.run([sys.executable, "-m", "grader", "student-kit", name, "-o", str(kit)],
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run([sys.executable, "-c", "import reference"], cwd=tmp_path, env=env,
                           capture_output=True)
    assert probe.returncode != 0, "reference must not be importable from an installed grader"
    correct = ROOT / "submissions" / "examples" / name / "correct.py"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "check", f"grading/{name}", str(correct), "--json"],
        cwd=kit, env=env, capture_output=True, text=True, timeout=300, check=True)
    report = json.loads(done.stdout)
    code_tests = [t for t in report["tests"] if "answer" not in t["tags"]]
    assert code_tests, "the kit has no public tests"
    failed = [(t["name"], t["output"][:120]) for t in code_tests if t["status"] != "passed"]
    assert not failed, failed
