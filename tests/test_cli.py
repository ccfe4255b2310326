"""The CLI contract: exit codes, outputs, help text, and the README documenting every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import build_parser, main

ROOT = Path(__file__).parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"
SUBS = ROOT / "tests" / "fixtures" / "subs"


def _commands() -> dict[str, object]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)


def test_every_command_has_help_and_is_in_the_readme():
    """Each subcommand has help text and appears as `grader <cmd>` in README.md."""
    readme = (ROOT / "README.md").read_text()
    for name, sub in _commands().items():
        assert sub.description or sub.format_help().strip()
        assert f"`grader {name}" in readme, f"README does not document `grader {name}`"


def test_catalog_table_in_readme_is_current():
    """The README's assignment table equals what scripts/catalog.py generates from the tests."""
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "catalog.py")],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out in (ROOT / "README.md").read_text(), \
        "README table is stale: run python scripts/catalog.py --write"


def test_grade_writes_report_and_summary(tmp_path, capsys):
    """grade -o writes a valid report file, prints a summary line to stderr, exits 0."""
    out = tmp_path / "deep" / "r.json"
    assert main(["grade", str(TINY), str(SUBS / "half.py"), "-o", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["score"] == 3.75
    assert "tiny: 3.75/7 (graded)" in capsys.readouterr().err
    assert not list(out.parent.glob(".r.json.*"))  # no temp file left


def test_grade_to_stdout_is_pure_json(capsys):
    """Without -o, stdout holds exactly one JSON document."""
    assert main(["grade", str(TINY), str(SUBS / "correct.py")]) == 0
    assert json.loads(capsys.readouterr().out)["score"] == 7.0


def test_unknown_assignment_exits_2(capsys):
    """An unknown assignment is a usage error listing the known ones."""
    assert main(["grade", "no_such_assignment", str(SUBS / "correct.py")]) == 2
    err = capsys.readouterr().err
    assert "no assignment 'no_such_assignment'" in err and "mathml_hw4" in err


def test_broken_submission_still_exits_0(tmp_path, capsys):
    """A submission that cannot be read still yields a report, so the exit code is 0."""
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"")
    assert main(["grade", str(TINY), str(bad)]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "load-error"


def test_check_prints_readable_summary(capsys):
    """check shows PASS/FAIL lines for public tests and their messages."""
    assert main(["check", str(TINY), str(SUBS / "half.py")]) == 0
    out = capsys.readouterr().out
    assert "PASS  A.1" in out and "FAIL  B.1" in out
    assert "Did you transpose it?" in out
    assert "counter" not in out.lower()  # hidden tests are not run by check


def test_usage_error_exits_2():
    """Missing arguments exit 2 (argparse's convention, same as ours)."""
    with pytest.raises(SystemExit) as exc:
        main(["grade"])
    assert exc.value.code == 2


def test_python_m_grader_works():
    """python -m grader is the same command."""
    proc = subprocess.run([sys.executable, "-m", "grader", "--version"], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("grader ")


def test_output_to_a_device_writes_through_it(capsys):
    """-o /dev/null writes into the device; it never replaces it with a file (we may be root)."""
    import stat

    assert main(["grade", str(TINY), str(SUBS / "correct.py"), "-o", os.devnull]) == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_tests_that_cannot_be_set_up_are_an_internal_error(tmp_path, capsys):
    """If the assignment's own tests cannot set up (here: its reference is missing), the report
    says internal-error, blames nobody's work, and grade exits 1."""
    import shutil

    broken = tmp_path / "tiny"
    shutil.copytree(TINY, broken)
    test = broken / "tests" / "public" / "test_public.py"
    test.write_text(test.read_text().replace("def test_add(submission):",
                                             "def test_add(submission, reference):"))
    out = tmp_path / "r.json"
    assert main(["grade", str(broken), str(SUBS / "correct.py"), "-o", str(out)]) == 1
    report = json.loads(out.read_text())
    assert report["status"] == "internal-error"
    assert "not in your work" in report["output"]


def test_assignment_test_that_cannot_be_collected_names_the_file_and_error(tmp_path):
    """A broken test file of the assignment stops grading with an internal error that names the
    file and pytest's reason (the instructor's clue; pytest's terminal output is not kept)."""
    import shutil

    from grader.api import grade
    from grader.errors import GraderInternalError

    broken = tmp_path / "tiny"
    shutil.copytree(TINY, broken)
    (broken / "tests" / "public" / "test_broken.py").write_text("def test_x(:\n    pass\n")
    with pytest.raises(GraderInternalError) as info:
        grade(broken, SUBS / "correct.py")
    message = str(info.value)
    assert "ERROR collecting tests/public/test_broken.py" in message
    assert "SyntaxError" in message


def test_grader_command_runs_blas_on_one_thread_unless_told(monkeypatch):
    """The grader command sets one BLAS thread where the environment sets none (idle BLAS
    threads spin on the cores student code runs on) and keeps what the environment sets."""
    import grader.cli as cli

    for name in cli._BLAS_THREADS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    seen: dict[str, str | None] = {}

    def fake_main() -> int:
        seen.update({name: os.environ.get(name) for name in cli._BLAS_THREADS})
        return 0

    def fake_exit(code: int) -> None:
        raise SystemExit(code)

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    with pytest.raises(SystemExit):
        cli.entry()
    assert seen == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "4", "MKL_NUM_THREADS": "1"}


FORGER = '''
import numpy as np


def add(a, b):
    raise ValueError("\\r  PASS  A.1      add two numbers  141.25/141.25\\x1b[2J\\x1b]0;owned\\x07"
                     "\\x9b31m\\u202eevil")


def scale(x, k):
    raise ValueError("lone \\ud800")
'''


def test_check_escapes_control_characters_in_messages(tmp_path, capsys):
    """A message with a carriage return, escape sequences, a C1 CSI and a bidi override is
    printed with each of them escaped: nothing can overwrite the PASS/FAIL lines."""
    sub = tmp_path / "tiny.py"
    sub.write_text(FORGER)
    assert main(["check", str(TINY), str(sub)]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    assert ("        calling `add` raised ValueError: \\r  PASS  A.1      add two numbers  "
            "141.25/141.25\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202eevil (line 6)") in out
    assert "        calling `scale` raised ValueError: lone \\ud800 (line 11)" in out
    assert "  FAIL  A.1      add two numbers" in out


def test_check_json_escapes_control_characters(tmp_path, capsys):
    """check --json prints the same JSON value with control characters as JSON escapes."""
    sub = tmp_path / "tiny.py"
    sub.write_text(FORGER)
    assert main(["check", "--json", str(TINY), str(sub)]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    test = json.loads(out)["tests"][0]
    assert test["output"].startswith("calling `add` raised ValueError: \r  PASS")


def test_grade_with_lone_surrogates_writes_its_report(tmp_path, capsys):
    """Lone surrogates in exception messages: grade writes a UTF-8 report and exits 0."""
    sub = tmp_path / "tiny.py"
    sub.write_text(FORGER)
    out = tmp_path / "r.json"
    assert main(["grade", str(TINY), str(sub), "-o", str(out)]) == 0
    report = json.loads(out.read_bytes().decode("utf-8"))
    assert report["status"] == "graded"
    assert report["score"] == 0.0
    scale = next(t for t in report["tests"] if t["name"] == "scale an array")
    assert scale["output"] == "calling `scale` raised ValueError: lone \\ud800 (line 11)"
    assert not list(tmp_path.glob(".r.json.*"))


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    """When the write fails midway (a full disk, say), the temporary file is removed and the
    old report is untouched."""
    from grader import cli

    target = tmp_path / "r.json"
    target.write_text("old")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        cli._write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_format_check_escapes_names_and_report_output():
    """Test names and the report's own output are escaped too, line by line."""
    from grader.cli import format_check

    report = {"assignment": "a\x1b[2J", "output": "Score: 0 / 1\nNote: x\r\x07",
              "tests": [{"name": "n\r", "number": "1", "status": "failed", "score": 0,
                         "max_score": 1, "output": "line one\nline\rtwo"}]}
    assert format_check(report).splitlines() == [
        "a\\x1b[2J: public tests only (hidden tests run when you hand in)", "",
        "  FAIL  1        n\\r  0/1", "        line one", "        line\\rtwo", "",
        "Score: 0 / 1", "Note: x\\r\\x07", ""][:-1]


def test_check_on_the_terminal_attack_of_the_corpus(capsys):
    """The corpus's terminal attack through `grader check`: every control character printed as
    an escape, the forged PASS line only inside an indented message."""
    sub = ROOT / "submissions" / "hostile" / "text_terminal_escapes.py"
    assert main(["check", "mathml_hw4", str(sub)]) == 0
    out = capsys.readouterr().out
    assert not any(c in out for c in "\r\x07\x1b\x9b\u202e")
    forged = [line for line in out.splitlines() if "141.25/141.25" in line]
    assert forged and all(line.startswith("        ") and not line.lstrip().startswith("PASS")
                          for line in forged)
    assert ("        calling `forward` raised ValueError: \\r  PASS  3.1.1    forward pass  "
            "141.25/141.25\\x1b[K\\x1b[2J\\x1b[H\\x1b]0;all tests passed\\x07") in out


def test_check_on_a_terminal_that_cannot_show_unicode(tmp_path):
    """With an ASCII-only terminal, text it cannot show is printed as escapes, exit 0."""
    sub = tmp_path / "tiny.py"
    sub.write_text("def add(a, b):\n    raise ValueError('\\u2211 é')\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(TINY), str(sub)],
                          capture_output=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert b"calling `add` raised ValueError: \\u2211 \\xe9 (line 2)" in proc.stdout


def test_grade_to_stdout_is_utf8_json_whatever_the_locale(tmp_path):
    """With an ASCII-only stdout, grade still prints its report as UTF-8 JSON, exit 0."""
    sub = tmp_path / "tiny.py"
    sub.write_text("def add(a, b):\n    raise ValueError('\\u2211 é \\ud800')\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(TINY), str(sub)],
                          capture_output=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.decode("utf-8"))
    add = next(t for t in report["tests"] if t["name"] == "add two numbers")
    assert add["output"] == "calling `add` raised ValueError: \u2211 é \\ud800 (line 2)"
