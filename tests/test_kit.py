"""The student kit: statement, starter, public tests and a working ``grader check``; checked file
by file for hidden tests, reference code and answers, for every assignment."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader.assignment import read, resolve
from grader.cli import main
from grader.errors import UsageError
from grader.export import reference_files
from grader.kit import ANSWER_KEYS_SHOWN, dump_toml, kit_toml, student_kit

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "problems").glob("*/assignment.toml"))


def _lines(paths) -> set[str]:
    out = set()
    for p in paths:
        if p.is_file():
            out |= {line.strip() for line in p.read_text(errors="replace").splitlines()}
    return out


def _distinctive(paths, allowed: set[str]) -> set[str]:
    """Lines of ``paths`` long enough to be code or prose of their own, not shared with the
    files a student is meant to get."""
    return {line for line in _lines(paths) if len(line) >= 25 and line not in allowed}


def _hidden_test_names(a) -> set[str]:
    names = set()
    for p in a.hidden_tests.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    public = set()
    for p in a.public_tests.rglob("*.py"):
        public |= {n.name for n in ast.walk(ast.parse(p.read_text()))
                   if isinstance(n, ast.FunctionDef)}
    return names - public


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_kit_has_no_hidden_test_reference_code_or_answer(name: str, tmp_path: Path):
    """Every kit file is on the allow-list, and none holds a hidden test, a line of the reference
    solution or of an example answer that the starter, public tests and statement do not show."""
    a = resolve(name)
    kit = student_kit(a, tmp_path / "kit")
    files = sorted(p for p in kit.rglob("*") if p.is_file())
    rel = [p.relative_to(kit).as_posix() for p in files]
    submission_file = a.raw["assignment"].get("submission_file", f"{a.module}.py")
    for r in rel:
        assert (r in ("README.md", "CHECKING.md", "check.sh", submission_file,
                      f"grading/{name}/assignment.toml")
                or r.startswith(("data/", f"grading/{name}/tests/public/",
                                 f"grading/{name}/data/"))), r
        assert "hidden" not in r and "reference" not in r and "solution" not in r, r

    shown = _lines([a.path / "starter.py", a.path / "README.md", a.path / "assignment.toml",
                    *a.public_tests.rglob("*")])
    hidden_files = [p for p in a.hidden_tests.rglob("*") if p.is_file()]
    secrets = {
        "hidden test": _distinctive(hidden_files, shown),
        "reference": _distinctive(reference_files(a.reference_module), shown),
        "example answer": _distinctive(
            [p for p in (ROOT / "submissions" / "examples" / name).glob("*")
             if p.stem != "starter"], shown),
    }
    assert secrets["reference"], "the check would be empty: no distinctive reference line"
    hidden_names = _hidden_test_names(a)
    hidden_bytes = {p.read_bytes() for p in hidden_files}
    for path in files:
        data = path.read_bytes()
        assert data not in hidden_bytes, path
        text = data.decode(errors="replace")
        lines = {line.strip() for line in text.splitlines()}
        for what, secret in secrets.items():
            leaked = lines & secret
            assert not leaked, f"{path.relative_to(kit)} holds {what} lines: {sorted(leaked)[:3]}"
        for test_name in hidden_names:
            assert test_name not in text, f"{path.relative_to(kit)} names hidden {test_name}"
    assert (kit / submission_file).read_bytes() == (a.path / "starter.py").read_bytes()
    shipped = tomllib.loads((kit / "grading" / name / "assignment.toml").read_text())
    for entry in shipped.get("answers", []):
        assert set(entry) <= set(ANSWER_KEYS_SHOWN), entry
    assert len(shipped.get("answers", [])) == len(a.answer_parts)


def test_kit_checks_work_with_grader_check(tmp_path: Path, capsys):
    """In the kit, grader check on the assignment folder it ships runs only the public tests:
    full public marks for a correct file, nothing for the starter."""
    kit = student_kit("cs189_hw4_backprop", tmp_path / "kit")
    folder = kit / "grading" / "cs189_hw4_backprop"
    assert main(["check", str(folder), str(kit / "backprop.py"), "--json"]) == 0
    starter = json.loads(capsys.readouterr().out)
    shutil.copyfile(ROOT / "submissions" / "examples" / "cs189_hw4_backprop" / "correct.py",
                    kit / "backprop.py")
    assert main(["check", str(folder), str(kit / "backprop.py"), "--json"]) == 0
    correct = json.loads(capsys.readouterr().out)
    assert correct["public_only"] and correct["score"] == correct["max_score"] > 0
    assert all("hidden" not in t["tags"] for t in correct["tests"])
    assert starter["score"] == 0 and len(starter["tests"]) == len(correct["tests"])


@pytest.mark.slow
def test_check_script_runs_grader_check(tmp_path: Path):
    """bash check.sh from the kit prints the public tests' PASS/FAIL lines."""
    kit = student_kit("cs189_hw4_backprop", tmp_path / "kit")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "check.sh"], cwd=kit, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "FAIL" in done.stdout and "public tests only" in done.stdout


def test_kit_refuses_to_overwrite_unless_it_is_a_kit(tmp_path: Path):
    """An existing folder is kept unless --force, and --force replaces only a previous kit."""
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.tex").write_text("precious\n")
    with pytest.raises(UsageError, match="already exists"):
        student_kit("cs189_hw4_backprop", other)
    with pytest.raises(UsageError, match="not a student kit"):
        student_kit("cs189_hw4_backprop", other, force=True)
    assert (other / "thesis.tex").exists()
    kit = student_kit("cs189_hw4_backprop", tmp_path / "kit")
    (kit / "stale.txt").write_text("old\n")
    student_kit("cs189_hw4_backprop", kit, force=True)
    assert not (kit / "stale.txt").exists() and (kit / "CHECKING.md").exists()


def test_typed_answers_lose_their_expected_values(tmp_path: Path):
    """assignment.toml's [[answers]] keep the question (id, prompt, symbols, points) and lose
    the expected answer and the named wrong variants."""
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "assignment.toml").write_text(
        '[assignment]\nname = "demo"\ntitle = "Demo"\n\n[limits]\ncall_seconds = 5\n\n'
        '[[parts]]\nid = "1"\ntitle = "One"\n\n'
        '[[answers]]\nid = "1a"\nprompt = "Gradient of a^T X b"\nsymbols = "X: n x m"\n'
        'points = 2\nexpected = "a*b.T"\nvariants = [{expr = "b*a.T", feedback = "transposed"}]\n')
    text = kit_toml(read(folder))
    assert "a*b.T" not in text and "transposed" not in text
    data = tomllib.loads(text)
    assert data["answers"] == [{"id": "1a", "prompt": "Gradient of a^T X b",
                                "symbols": "X: n x m", "points": 2}]
    assert data["limits"] == {"call_seconds": 5} and data["parts"][0]["title"] == "One"


def test_toml_writer_round_trips():
    """What dump_toml writes, tomllib reads back unchanged."""
    data = {"top": 1, "assignment": {"name": "x", "ratio": 0.5, "ok": True,
                                     "quote": 'say "hi"\\now'},
            "parts": [{"id": "1", "tags": ["a", "b"], "inline": {"k": 2}}, {"id": "2"}]}
    assert tomllib.loads(dump_toml(data)) == data
