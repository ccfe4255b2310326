"""A Gradescope autograder bundle for one assignment, and the code that runs inside it.

The zip Gradescope gets:

  setup.sh            run once when Gradescope builds the image: a venv with the pinned
                      dependencies, and the grader in ``source/grader_src`` put on its path
  run_autograder      run for every submission: grades ``submission/`` into
                      ``results/results.json`` (``python -m grader.export run-autograder``)
  requirements.txt    the dependency versions this bundle was built and tested with
  grader_src/         the grader package, ``reference/<assignment>.py`` and what it imports,
                      and ``problems/<assignment>/`` (statement, data, public and hidden tests)

Every path is an environment variable with Gradescope's value as default (``AUTOGRADER_ROOT``,
``GRADER_SOURCE``, ``GRADER_VENV``, ``GRADER_PYTHON``), so the same scripts run in a temporary
folder laid out like the container, without root.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
import traceback
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignment import PROJECT_ROOT, Assignment, resolve

#: Distributions the grader imports at grading time (pinned in requirements.txt).
RUNTIME_DEPENDENCIES = ("numpy", "sympy", "pytest", "pytest-json-report", "nbformat",
                        "jsonschema")
_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root and with network, when it builds the autograder image.
set -euo pipefail
SOURCE="${GRADER_SOURCE:-${AUTOGRADER_ROOT:-/autograder}/source}"
VENV="${GRADER_VENV:-${AUTOGRADER_ROOT:-/autograder}/venv}"

# The grader needs Python >= 3.11 (tomllib); Gradescope's Ubuntu 22.04 image ships 3.10.
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    PY="$candidate"; break
  fi
done
if [ -z "$PY" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
  PY=python3.11
fi
if ! "$PY" -m venv "$VENV"; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$(basename "$PY")-venv" || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install -r "$SOURCE/requirements.txt"

# The grader and the reference stay in $SOURCE (which the student's worker cannot see); a .pth
# file puts them on the venv's path, also for the worker's isolated (-I) interpreter.
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$SOURCE/grader_src" > "$SITE/mlgrader.pth"
"$VENV/bin/python" -c 'import grader, reference; print("grader", grader.__version__, "ready")'
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade submission/ into results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${GRADER_SOURCE:-$ROOT/source}"
VENV="${GRADER_VENV:-$ROOT/venv}"
PY="${GRADER_PYTHON:-$VENV/bin/python}"
# The bundled grader comes first, whatever else is installed (-m also puts the working folder
# first on the path, hence the cd).
export PYTHONPATH="$SOURCE/grader_src${PYTHONPATH:+:$PYTHONPATH}"
cd "$SOURCE/grader_src"
exec "$PY" -m grader.export run-autograder --assignment "__ASSIGNMENT__" \
  --root "$ROOT" --source "$SOURCE"
"""

README = """# Gradescope autograder for {name}

Built by grader {version} on {date}. Upload this zip as the assignment's autograder
(Ubuntu base image); students hand in `{file}` (or a notebook, or a folder with it).

- `setup.sh` installs Python >= 3.11, the pinned packages of `requirements.txt`, and puts the
  grader from `grader_src/` on the path.
- `run_autograder` grades `/autograder/submission` and writes `/autograder/results/results.json`
  (a superset of Gradescope's format; the student's own output and tracebacks are in the report's
  `instructor` block, which students do not see on Gradescope).

To try it without Gradescope, lay out a folder like the container and point the scripts at it:

    mkdir -p ag/source ag/submission ag/results && unzip autograder.zip -d ag/source
    cp {file} ag/submission/
    AUTOGRADER_ROOT=$PWD/ag GRADER_PYTHON=$(which python3) bash ag/source/run_autograder
"""


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not _SKIP_PARTS & set(p.relative_to(folder).parts)
                  and p.suffix not in (".pyc", ".pyo"))


def reference_files(module: str, root: Path = PROJECT_ROOT) -> list[Path]:
    """``reference/<module>.py`` and every ``reference.*`` module it imports, transitively."""
    found: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        rel = Path(*name.split("."))
        for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
            if candidate.is_file():
                break
        else:
            continue
        if name in found:
            continue
        found[name] = candidate
        package = name if candidate.name == "__init__.py" else name.rpartition(".")[0]
        # Each package on the way needs its __init__.py.
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        for node in ast.walk(ast.parse(candidate.read_text(), str(candidate))):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.split(".")[0] == "reference"]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                if base.split(".")[0] == "reference":
                    todo.append(base)
                    todo += [f"{base}.{a.name}" for a in node.names]
    return sorted(found.values())


def requirements() -> str:
    """Pinned versions of the runtime dependencies as installed here."""
    lines = []
    for dist in RUNTIME_DEPENDENCIES:
        try:
            lines.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            lines.append(dist)
    return "\n".join(lines) + "\n"


def _add(zf: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    # A fixed date: the same inputs give the same bundle, byte for byte.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    zf.writestr(info, data)


def export_gradescope(assignment: str | Path | Assignment, output: str | Path) -> Path:
    """Write the Gradescope autograder zip for ``assignment`` to ``output``; return its path."""
    a = assignment if isinstance(assignment, Assignment) else resolve(assignment)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    grader_dir = Path(__file__).resolve().parent
    root = grader_dir.parent
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.replace("__ASSIGNMENT__", a.name).encode(),
             executable=True)
        _add(zf, "requirements.txt", requirements().encode())
        _add(zf, "README.md", README.format(
            name=a.name, version=__version__, date=time.strftime("%Y-%m-%d"),
            file=a.raw.get("assignment", {}).get("submission_file", f"{a.module}.py")).encode())
        for name in ("pyproject.toml", "LICENSE"):
            if (root / name).is_file():
                _add(zf, f"grader_src/{name}", (root / name).read_bytes())
        for p in _files_under(grader_dir):
            _add(zf, f"grader_src/grader/{p.relative_to(grader_dir).as_posix()}", p.read_bytes())
        for p in reference_files(a.reference_module, root):
            _add(zf, f"grader_src/{p.relative_to(root).as_posix()}", p.read_bytes())
        for p in _files_under(a.path):
            _add(zf, f"grader_src/problems/{a.name}/{p.relative_to(a.path).as_posix()}",
                 p.read_bytes())
    os.replace(tmp, output)
    return output


# -- inside the container ---------------------------------------------------------------------

def pick_submission(folder: Path, module: str) -> Path:
    """What to grade in Gradescope's ``submission/`` folder.

    The folder itself (the loader finds ``<module>.py``, a lone notebook or a lone .py in it),
    or, when a student uploaded a repository with the file further down, that file's folder.
    """
    if (folder / f"{module}.py").is_file():
        return folder
    nested = sorted(p for p in folder.rglob(f"{module}.py")
                    if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if nested:
        return nested[0].parent
    return folder


def run_autograder(assignment: str, root: Path, source: Path) -> int:
    """Grade ``root/submission`` and write ``root/results/results.json``; 0 when written."""
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    target = results / "results.json"
    print(f"grader {__version__} from {Path(__file__).resolve().parent}")
    try:
        from grader.api import grade
        from grader.assignment import read
        from grader.report import to_json

        problem = source / "grader_src" / "problems" / assignment
        a = read(problem) if problem.is_dir() else resolve(assignment)
        submission = pick_submission(root / "submission", a.module)
        report = grade(a, submission, extra_hide=(str(source), str(results)))
        text = to_json(report)
        code = 0
        print(f"{a.name}: {report['score']:g}/{report['max_score']:g} ({report['status']})")
    except Exception:  # Gradescope must get a results.json whatever happens
        detail = traceback.format_exc()
        print(detail, file=sys.stderr)
        failure: dict[str, Any] = {
            "score": 0, "output": "The autograder itself failed (not a problem in your work); "
                                  "your instructor has been told. Please do not resubmit.",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": [],
            "extra_data": {"grader_error": detail[-10000:]}}
        text = json.dumps(failure, indent=2) + "\n"
        code = 1
    tmp = target.with_name(".results.json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return code


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.export")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run-autograder", help="grade a Gradescope submission folder")
    p.add_argument("--assignment", required=True)
    p.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    p.add_argument("--source", default=None)
    args = parser.parse_args(argv)
    root = Path(args.root)
    return run_autograder(args.assignment, root, Path(args.source or root / "source"))


if __name__ == "__main__":
    sys.exit(_main())
