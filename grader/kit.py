"""What students get: the statement, the starter file, the data, the public tests.

``student_kit`` copies by allow-list, never by "everything but": only the statement, the starter,
``data/``, ``tests/public/`` and a filtered ``assignment.toml`` leave the assignment folder, so a
file added to the assignment later (an answer key, a new hidden test) stays out until someone
decides it belongs in the kit.

Layout of the kit:

  README.md                 the statement
  CHECKING.md               how to run the public tests
  <submission_file>         the starter, under the name students hand in
  data/                     the assignment's data files, if any
  grading/<name>/           assignment.toml, tests/public/, data/: what ``grader check`` needs
  check.sh                  ``grader check grading/<name> <submission_file>``
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

from grader.assignment import Assignment, resolve
from grader.errors import UsageError

#: Keys of a typed-answer table that describe the question; anything else (expected answers,
#: wrong variants and their feedback) stays with the instructor.
ANSWER_KEYS_SHOWN = ("id", "part", "title", "name", "prompt", "kind", "symbols", "points",
                     "shape", "unit")
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}

CHECKING = """# Checking your work

`grading/{name}/` holds the public tests of this homework (`tests/public/`). Run them on your
file with the course's `grader` command:

    grader check grading/{name} {file}

or `bash check.sh`. It prints every public test with PASS or FAIL, the points, and what is wrong.
A notebook works too: `grader check grading/{name} {stem}.ipynb`.

- Your code runs in a separate, isolated process without network, with a time limit per call.
- The public tests carry their expected values with them; all they need is `grader` installed
  (`pip install` the course's grader). Where the course provides no local installation, push
  your work: the course's CI runs the same check.
- Passing every public test does not guarantee full marks: hidden tests run when you hand in,
  on inputs you have not seen (other shapes, seeds and edge cases).
"""

CHECK_SH = """#!/usr/bin/env bash
# Run the public tests of {name} on your work: bash check.sh [file]
set -euo pipefail
cd "$(dirname "$0")"
FILE="${{1:-{file}}}"
if command -v grader >/dev/null 2>&1; then
  exec grader check grading/{name} "$FILE"
fi
exec python3 -m grader check grading/{name} "$FILE"
"""


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not p.is_symlink()
                  and not _SKIP_PARTS & set(p.relative_to(folder).parts)
                  and p.suffix not in (".pyc", ".pyo"))


def _copy_tree(src: Path, dest: Path) -> None:
    for p in _files_under(src):
        target = dest / p.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)


def kit_toml(a: Assignment) -> str:
    """``assignment.toml`` for the kit: as written, unless typed answers carry expected values,
    in which case it is rewritten with only the keys that describe each question."""
    text = (a.path / "assignment.toml").read_text()
    raw = tomllib.loads(text)
    if not raw.get("answers"):
        return text
    raw["answers"] = [{k: v for k, v in entry.items() if k in ANSWER_KEYS_SHOWN}
                      for entry in raw["answers"]]
    return dump_toml(raw)


def dump_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for what assignment.toml holds: tables, arrays of tables, scalars
    and arrays of scalars (the standard library reads TOML but does not write it)."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{_key(k)} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(f"cannot write {type(v).__name__} to TOML")

    scalars = {k: v for k, v in data.items()
               if not isinstance(v, dict) and not _is_table_array(v)}
    lines += [f"{_key(k)} = {value(v)}" for k, v in scalars.items()]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{_key(k)}]"]
            lines += [f"{_key(kk)} = {value(vv)}" for kk, vv in v.items()]
        elif _is_table_array(v):
            for entry in v:
                lines += ["", f"[[{_key(k)}]]"]
                lines += [f"{_key(kk)} = {value(vv)}" for kk, vv in entry.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else value_str(k)


def value_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def student_kit(assignment: str | Path | Assignment, output: str | Path, *,
                force: bool = False) -> Path:
    """Write the student kit of ``assignment`` into the new folder ``output``; return it."""
    a = assignment if isinstance(assignment, Assignment) else resolve(assignment)
    out = Path(output)
    if out.exists():
        if not force:
            raise UsageError(f"{out} already exists; choose a new folder or pass --force")
        if not (out / "CHECKING.md").is_file():
            # --force replaces a kit, never an arbitrary folder someone pointed it at.
            raise UsageError(f"{out} exists and is not a student kit; refusing to replace it")
        shutil.rmtree(out)
    submission_file = a.raw.get("assignment", {}).get("submission_file", f"{a.module}.py")
    starter = a.path / "starter.py"
    if not starter.is_file():
        raise UsageError(f"{a.path} has no starter.py; the kit needs one")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    statement = a.path / "README.md"
    if statement.is_file():
        shutil.copyfile(statement, tmp / "README.md")
    else:
        parts = "\n".join(f"- {p.id}: {p.title}" for p in a.parts)
        (tmp / "README.md").write_text(f"# {a.title}\n\nHand in `{submission_file}`.\n\n"
                                       f"{parts}\n")
    shutil.copyfile(starter, tmp / submission_file)
    _copy_tree(a.path / "data", tmp / "data")
    grading = tmp / "grading" / a.name
    grading.mkdir(parents=True)
    (grading / "assignment.toml").write_text(kit_toml(a))
    _copy_tree(a.public_tests, grading / "tests" / "public")
    _copy_tree(a.path / "data", grading / "data")
    fmt = {"name": a.name, "file": submission_file, "stem": Path(submission_file).stem}
    (tmp / "CHECKING.md").write_text(CHECKING.format(**fmt))
    (tmp / "check.sh").write_text(CHECK_SH.format(**fmt))
    (tmp / "check.sh").chmod(0o755)
    os.replace(tmp, out)
    return out
