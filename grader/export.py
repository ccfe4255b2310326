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
folder laid out like the container, without root. ``GRADER_SITE`` makes setup.sh take the
dependencies from an existing site-packages folder instead of pip (offline image builds, tests).

Gradescope runs everything as root in a container that refuses new namespaces, so the sandbox
cannot hide folders from the worker there; the worker drops to a uid of its own instead, and
the course material (``source/``: hidden tests, reference, this grader) is made readable by
root only, by setup.sh and again by run_autograder before every grade (``secure_material``),
which refuses to grade when some of it stays readable by others.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import stat
import sys
import time
import traceback
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignment import PROJECT_ROOT, Assignment, resolve
from grader.errors import AssignmentError, GraderError

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
VENV_ARGS=()
if [ -n "${GRADER_SITE:-}" ]; then VENV_ARGS=(--without-pip); fi
if ! "$PY" -m venv "${VENV_ARGS[@]}" "$VENV"; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$(basename "$PY")-venv" || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
  "$PY" -m venv "${VENV_ARGS[@]}" "$VENV"
fi
if [ -z "${GRADER_SITE:-}" ]; then
  "$VENV/bin/python" -m pip install --upgrade pip
  "$VENV/bin/python" -m pip install -r "$SOURCE/requirements.txt"
fi

# The grader and the reference stay in $SOURCE (which the student's worker cannot see); a .pth
# file puts them on the venv's path, also for the worker's isolated (-I) interpreter.
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ -n "${GRADER_SITE:-}" ]; then
  # Building offline: the dependencies come from a site-packages folder that already has them.
  echo "$GRADER_SITE" > "$SITE/mlgrader-deps.pth"
fi
echo "$SOURCE/grader_src" > "$SITE/mlgrader.pth"
"$VENV/bin/python" -c 'import grader, reference; print("grader", grader.__version__, "ready")'

# The course material (hidden tests, reference, the grader's copy) is readable by root only:
# Gradescope runs the grader as root in a container where namespaces are refused, and the
# worker that runs the student's code drops to a uid of its own, to which all of this is then
# closed. The venv stays readable: the worker's interpreter needs it. run_autograder checks
# (and if need be repairs) these modes again before every grade.
if [ "$(id -u)" = 0 ]; then
  chown -R 0:0 "$SOURCE"
fi
chmod -R go-rwx "$SOURCE"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade submission/ into results/results.json.
set -uo pipefail
# Whatever the grader creates (results, scratch folders) is private to it.
umask 077
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${GRADER_SOURCE:-$ROOT/source}"
VENV="${GRADER_VENV:-$ROOT/venv}"
PY="${GRADER_PYTHON:-$VENV/bin/python}"
RESULTS="$ROOT/results/results.json"
# The bundled grader comes first, whatever else is installed (-m also puts the working folder
# first on the path, hence the cd).
export PYTHONPATH="$SOURCE/grader_src${PYTHONPATH:+:$PYTHONPATH}"
cd "$SOURCE/grader_src" || echo "run_autograder: cannot enter $SOURCE/grader_src" >&2
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
"$PY" -m grader.export run-autograder --assignment "__ASSIGNMENT__" \
  --root "$ROOT" --source "$SOURCE"
code=$?
# Gradescope shows nothing at all without results.json: if the grader could not even start
# (interpreter missing, killed), say so in one.
if [ ! -s "$RESULTS" ]; then
  {
    printf '{"score": 0, "output": "The autograder itself failed (not a problem in your work); '
    printf 'your instructor has been told. Please do not resubmit.", "visibility": "visible", '
    printf '"stdout_visibility": "hidden", "tests": [], "extra_data": {"grader_error": '
    printf '"the grader wrote no results (exit status %s)"}}\n' "$code"
  } > "$RESULTS"
  code=1
fi
exit "$code"
"""

README = """# Gradescope autograder for {name}

Built by grader {version} on {date}. Upload this zip as the assignment's autograder
(Ubuntu base image); students hand in `{file}` (or a notebook, or a folder with it).

- `setup.sh` installs Python >= 3.11, the pinned packages of `requirements.txt`, and puts the
  grader from `grader_src/` on the path.
- `setup.sh` also makes `/autograder/source` (hidden tests, reference, this grader) readable by
  root only: the student's code runs under a uid of its own, which can then open none of it.
  `run_autograder` checks this again before every grade, repairs it as root, and refuses to grade
  (score 0, "the autograder refused to grade") when course material stays readable by others.
- `run_autograder` grades `/autograder/submission` and writes `/autograder/results/results.json`
  (a superset of Gradescope's format) whatever happens: a failure of the autograder itself gives
  score 0 and a message saying so. Students see the hidden tests {hidden_when}
  (`[gradescope] hidden_visibility` in assignment.toml). The student's own output and
  tracebacks are printed to the autograder's output, which Gradescope shows to instructors only.

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
    hidden = hidden_visibility(a)  # a bad setting is the author's error now, not every student's
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
            file=a.raw.get("assignment", {}).get("submission_file", f"{a.module}.py"),
            hidden_when={"visible": "always", "after_due_date": "after the due date",
                         "after_published": "once you publish the grades",
                         "hidden": "never"}[hidden],
        ).encode())
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


#: Gradescope's visibility values, from most to least shown.
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
#: How hidden tests are shown on Gradescope unless the assignment says otherwise
#: (``[gradescope] hidden_visibility`` in assignment.toml): after the instructor publishes grades,
#: so students cannot probe hidden tests by resubmitting.
HIDDEN_VISIBILITY = "after_published"
_WHEN_SHOWN = {"after_due_date": "after the due date",
               "after_published": "when your instructor publishes the grades",
               "hidden": "to your instructor only"}
#: Most characters of each instructor-only text (student output, a traceback) put in
#: Gradescope's stdout box: the head and tail of anything longer.
INSTRUCTOR_TEXT_CHARS = 100_000
#: Most characters of all of it together.
INSTRUCTOR_TOTAL_CHARS = 1_000_000
_FAILED = ("The autograder itself failed (not a problem in your work); your instructor has been "
           "told. Please do not resubmit.")


def hidden_visibility(a: Assignment) -> str:
    """The Gradescope visibility of ``a``'s hidden tests (``[gradescope] hidden_visibility``)."""
    settings = a.raw.get("gradescope", {})
    if not isinstance(settings, dict):
        raise AssignmentError(f"{a.path}/assignment.toml: [gradescope] must be a table")
    unknown = set(settings) - {"hidden_visibility"}
    if unknown:
        raise AssignmentError(f"{a.path}/assignment.toml: unknown [gradescope] keys "
                              f"{sorted(unknown)}; known: ['hidden_visibility']")
    value = settings.get("hidden_visibility", HIDDEN_VISIBILITY)
    if value not in VISIBILITIES:
        raise AssignmentError(f"{a.path}/assignment.toml: [gradescope] hidden_visibility is "
                              f"{value!r}; expected one of {list(VISIBILITIES)}")
    return str(value)


def gradescope_results(report: dict[str, Any], *, hidden: str = HIDDEN_VISIBILITY
                       ) -> dict[str, Any]:
    """``report`` as Gradescope should show it to students.

    Hidden tests declared ``visible`` (the default) get ``hidden`` instead; a test that declares
    something stricter keeps it. While any test is held back, the summary in ``output`` gives
    the score of the tests shown and no total (Gradescope hides the total itself), and drops
    the notes that name held-back tests: students learn nothing of hidden tests by resubmitting.
    The student's own output goes to run_autograder's stdout instead (see instructor_text),
    which Gradescope shows to instructors only (``stdout_visibility``)."""
    tests = []
    for declared in report.get("tests", []):
        t = dict(declared)
        if "hidden" in t.get("tags", ()) and t.get("visibility", "visible") == "visible":
            t["visibility"] = hidden
        tests.append(t)
    out = {**report, "tests": tests, "stdout_visibility": "hidden"}
    held = [t for t in tests if t.get("visibility", "visible") != "visible"]
    if not held:
        return out
    shown = [t for t in tests if t.get("visibility", "visible") == "visible"]
    lines = str(report.get("output", "")).split("\n")
    names = {str(t["name"]) for t in held}
    kept = [line for line in lines[1:]
            if not any(line.startswith(f"Note: {name}: ") for name in names)]
    when = sorted({_WHEN_SHOWN[str(t["visibility"])] for t in held})
    summary = [f"Score on the tests shown now: {sum(t['score'] for t in shown):g} / "
               f"{sum(t['max_score'] for t in shown):g}",
               f"{len(held)} more tests ({sum(t['max_score'] for t in held):g} points) are "
               f"shown {' or '.join(when)}; so is your total score."]
    out["output"] = "\n".join([*summary, *kept])
    return out


def _printable(text: str, limit: int = INSTRUCTOR_TEXT_CHARS) -> str:
    """Student-made text made safe for a log: control characters (terminal escapes, a ``\\r``
    that rewrites a line) and lone surrogates escaped, and cut to its head and tail."""
    if len(text) > limit:
        cut = len(text) - limit
        text = f"{text[:limit // 2]}\n[... {cut} characters cut ...]\n{text[-limit // 2:]}"
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t" or (code >= 32 and code != 127 and not 0xD800 <= code <= 0xDFFF
                            and not 0x80 <= code < 0xA0):
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def instructor_text(report: dict[str, Any]) -> str:
    """The report's instructor-only part (the student's output, tracebacks, worker events,
    per-test detail) as text for run_autograder's stdout, which Gradescope shows to
    instructors in "Autograder Output" and to students never (``stdout_visibility``)."""
    inst = report.get("instructor") or {}
    parts = []
    for key, title in (("stdout", "the submission's own output"),
                       ("detail", "traceback of the submission"),
                       ("events", "worker events")):
        value = inst.get(key)
        if not value:
            continue
        text = value if isinstance(value, str) else json.dumps(value, indent=1, default=str)
        parts.append(f"---- {title} ----\n{_printable(text)}")
    for name, detail in (inst.get("tests") or {}).items():
        text = detail if isinstance(detail, str) else json.dumps(detail, indent=1, default=str)
        parts.append(f"---- test {_printable(str(name), 300)} ----\n{_printable(text)}")
    whole = "\n".join(parts)
    if len(whole) > INSTRUCTOR_TOTAL_CHARS:  # many tests, each with its own long detail
        half = INSTRUCTOR_TOTAL_CHARS // 2
        whole = (f"{whole[:half]}\n[... {len(whole) - 2 * half} characters cut ...]\n"
                 f"{whole[-half:]}")
    return whole


class MaterialExposedError(GraderError):
    """Hidden tests, reference or grader files that another uid could read, and could not be
    closed to it."""


def readable_by_others(path: Path) -> bool:
    """Whether a uid that neither owns ``path`` nor is in its group can read it: every folder
    above it lets others through (x) and ``path`` lets others read it (r). This is the worker's
    position after it drops to its own uid (its own group, no supplementary groups)."""
    path = Path(os.path.abspath(path))
    for folder in path.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    return bool(os.lstat(path).st_mode & stat.S_IROTH)


def secure_material(folders: list[Path], check: list[Path]) -> list[str]:
    """Make ``folders`` readable and writable by root only, then make sure no file of
    ``check`` (hidden tests, reference, the grader's copy) is readable by another uid.

    As root (Gradescope), every entry is given to root and loses its group and other bits: the
    worker, which drops to a uid of its own, can then open none of it. As an ordinary user the
    worker keeps the grader's uid, so file modes cannot protect anything and nothing is changed
    (the sandbox's namespaces or Landlock must). Returns notes for the instructor; raises
    MaterialExposedError when a file stays readable by others."""
    if os.geteuid() != 0:
        return ["not running as root: the worker keeps the grader's uid, so file modes do not "
                "keep the course material from it (the sandbox's other layers must)"]
    for folder in folders:
        if not folder.exists():
            continue
        for entry in [folder, *folder.rglob("*")]:
            if entry.is_symlink():
                continue  # chmod would follow it; the bundle holds none
            st = entry.lstat()
            if st.st_uid != 0 or st.st_gid != 0:
                os.lchown(entry, 0, 0)
            if st.st_mode & 0o077:
                os.chmod(entry, stat.S_IMODE(st.st_mode) & 0o700)
    exposed = []
    for top in check:
        if not top.exists():
            continue
        for entry in [top, *top.rglob("*")]:
            if not entry.is_symlink() and readable_by_others(entry):
                exposed.append(str(entry))
    if exposed:
        raise MaterialExposedError(
            f"{len(exposed)} files of the course material are readable by other users (first: "
            f"{exposed[0]}); grading would let the student's code read them. Make them "
            f"readable by root only (chmod -R go-rwx) or keep them under the bundle's source "
            f"folder, which run_autograder closes itself.")
    return []


def _scrub(value: Any) -> Any:
    """``value`` with every string made encodable: a lone surrogate becomes the text ``\\udXXX``."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode()
        return value
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def _encode(results: dict[str, Any]) -> bytes:
    """results.json's bytes. Text that cannot be UTF-8 (a lone surrogate from the student's
    code) is escaped rather than lose the report: the grade stands."""
    try:
        return (json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False)
                + "\n").encode()
    except UnicodeEncodeError:
        return (json.dumps(_scrub(results), indent=2, ensure_ascii=False, allow_nan=False)
                + "\n").encode()


def _failure(detail: str, message: str = _FAILED) -> bytes:
    """A results.json that always encodes: score 0, the reason for the instructor."""
    safe = detail[-10000:].encode("ascii", "backslashreplace").decode("ascii")
    return (json.dumps({"score": 0, "output": message, "visibility": "visible",
                        "stdout_visibility": "hidden", "tests": [],
                        "extra_data": {"grader_error": safe}}, indent=2) + "\n").encode()


def _write(target: Path, data: bytes) -> None:
    tmp = target.with_name(".results.json.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)


def run_autograder(assignment: str, root: Path, source: Path) -> int:
    """Grade ``root/submission`` and write ``root/results/results.json``; 0 when the grade was
    written, 1 when the autograder failed (results.json then says so, with score 0)."""
    # Student text reaches these streams (the instructor's view): never die on encoding it.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    results = root / "results"
    target = results / "results.json"
    print(f"grader {__version__} from {Path(__file__).resolve().parent}")
    try:
        results.mkdir(parents=True, exist_ok=True)
        from grader.api import grade
        from grader.assignment import read

        problem = source / "grader_src" / "problems" / assignment
        a = read(problem) if problem.is_dir() else resolve(assignment)
        hidden = hidden_visibility(a)
        check = [a.path, *reference_files(a.reference_module, a.reference_root or PROJECT_ROOT),
                 source]
        for note in secure_material([source, results], check):
            print(f"note: {note}")
        submission = pick_submission(root / "submission", a.module)
        report = grade(a, submission, extra_hide=(str(source), str(results)))
        data = _encode(gradescope_results(report, hidden=hidden))
        code = 0
        log = "\n".join([
            f"{a.name}: {report['score']:g}/{report['max_score']:g} ({report['status']})",
            f"isolation: {report.get('isolation', {}).get('level')}", instructor_text(report)])
    except BaseException as exc:  # noqa: BLE001 - Gradescope must get a results.json whatever happens
        detail = traceback.format_exc()
        log = ""
        with contextlib.suppress(Exception):
            print(_printable(detail), file=sys.stderr)
        message = _FAILED
        if isinstance(exc, MaterialExposedError):
            message = ("The autograder refused to grade (not a problem in your work): its set-up "
                       "would let submissions read the hidden tests. Your instructor has been "
                       "told. Please do not resubmit.")
        data = _failure(detail, message)
        code = 1
    try:
        _write(target, data)
    except BaseException:  # noqa: BLE001 - e.g. a report too big for the disk: say so instead
        _write(target, _failure(traceback.format_exc()))
        code = 1
    # Printed only once results.json is safe: Gradescope shows this output to instructors.
    if log:
        with contextlib.suppress(Exception):
            print(log.rstrip())
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
