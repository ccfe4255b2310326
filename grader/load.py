"""Turn what a student handed in (a .py file, a notebook, a folder) into a ``Submission``.

Loading runs in the trusted process and never executes anything: it reads bytes, checks them, and
converts notebooks to Python source. Notebook magics and shell lines are commented out with a note,
never run. Anything malformed raises ``LoadError`` with a message that says how to fix it; the
grade then still produces a report (score 0, that message).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import LoadError

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_FOLDER_BYTES = 20 * 1024 * 1024
MAX_FOLDER_FILES = 200
_DATA_SUFFIXES = {".py", ".txt", ".csv", ".json", ".toml", ".npy", ".npz", ".md", ".ipynb"}


@dataclass
class Submission:
    """A student's work, ready to be written into the worker's scratch folder."""

    path: str
    """Where it was loaded from."""
    kind: str
    """``py``, ``ipynb`` or ``folder``."""
    files: dict[str, bytes]
    """Relative path -> content, as the worker will see them; the entry module is among them."""
    entry: str
    """Module name the worker imports."""
    sha256: str
    """Hash of what was handed in (for a folder: of its file names and contents)."""
    notes: list[str] = field(default_factory=list)
    """Things the student should know about how the submission was read (skipped magics...)."""
    cell_of_line: dict[int, str] = field(default_factory=dict)
    """For notebooks: line of the generated module -> "cell N, line M"."""


def load_submission(path: str | Path, *, module: str, cell_tags: tuple[str, ...] = ()) -> Submission:
    """Load a submission for an assignment whose code module is named ``module``.

    ``cell_tags``: for notebooks, only code cells carrying one of these tags are used (all code
    cells when empty).
    """
    p = Path(path)
    if p.is_symlink():
        raise LoadError(f"{p.name} is a symbolic link; hand in the file itself")
    if not p.exists():
        raise LoadError(f"there is no file or folder at {p}")
    if p.is_dir():
        return _load_folder(p, module, cell_tags)
    if p.suffix == ".ipynb":
        data = _read_capped(p, MAX_NOTEBOOK_BYTES)
        source, notes, cell_of_line = notebook_to_source(data, name=p.name, cell_tags=cell_tags)
        return Submission(str(p), "ipynb", {f"{module}.py": source.encode()}, module,
                          _sha(data), notes, cell_of_line)
    if p.suffix == ".py":
        data = _read_capped(p, MAX_SOURCE_BYTES)
        text = check_source(data, name=p.name)
        return Submission(str(p), "py", {f"{module}.py": text.encode()}, module, _sha(data))
    raise LoadError(f"{p.name}: expected a .py file, a .ipynb notebook or a folder")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_capped(p: Path, limit: int) -> bytes:
    size = p.stat().st_size
    if size > limit:
        raise LoadError(f"{p.name} is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB. "
                        "Remove data and outputs from it and hand it in again")
    with p.open("rb") as f:
        return f.read(limit + 1)


def check_source(data: bytes, *, name: str) -> str:
    """Bytes of a Python file -> text, or a ``LoadError`` saying what is wrong with them."""
    if not data.strip():
        raise LoadError(f"{name} is empty; hand in the file with your code in it")
    if b"\x00" in data:
        raise LoadError(f"{name} is a binary file, not Python source; hand in the .py file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadError(f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line});"
                        " save it with UTF-8 encoding") from None
    return text


_MAGIC = re.compile(r"^\s*([%!]|\w+\s*=\s*[%!])")


def notebook_to_source(data: bytes, *, name: str,
                       cell_tags: tuple[str, ...] = ()) -> tuple[str, list[str], dict[int, str]]:
    """Code cells of an nbformat-4 notebook, in order, as one module; magics commented out."""
    import nbformat

    text = check_source(data, name=name)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{name} is not a valid notebook: its JSON is broken at line {exc.lineno}, "
                        f"column {exc.colno} ({exc.msg}). Re-save it from Jupyter") from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise LoadError(f"{name} is not a Jupyter notebook (no 'cells'); re-save it from Jupyter")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types for bad files
        raise LoadError(f"{name} is not a valid nbformat-4 notebook ({type(exc).__name__}); "
                        "re-save it from Jupyter") from None
    lines: list[str] = []
    notes: list[str] = []
    cell_of_line: dict[int, str] = {}
    used = 0
    for index, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        tags = tuple(cell.get("metadata", {}).get("tags", ()))
        if cell_tags and not set(tags) & set(cell_tags):
            continue
        used += 1
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cell_lines = source.splitlines()
        if cell_lines and cell_lines[0].lstrip().startswith("%%"):
            notes.append(f"cell {index}: cell magic {cell_lines[0].strip()[:40]!r} was not run")
            cell_lines = ["# " + line for line in cell_lines]
        lines.append(f"# --- cell {index} ---")
        for number, line in enumerate(cell_lines, start=1):
            if _MAGIC.match(line) and not line.lstrip().startswith("#"):
                notes.append(f"cell {index}, line {number}: {line.strip()[:60]!r} is an IPython "
                             "magic or shell command and was not run")
                line = "pass  # (not run) " + line.strip()
                line = _indent_of(cell_lines[number - 1]) + line
            lines.append(line)
            cell_of_line[len(lines)] = f"cell {index}, line {number}"
        lines.append("")
    if used == 0:
        which = f" tagged {', '.join(cell_tags)}" if cell_tags else ""
        raise LoadError(f"{name} has no code cells{which}; put your code in code cells")
    return "\n".join(lines) + "\n", notes, cell_of_line


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _load_folder(root: Path, module: str, cell_tags: tuple[str, ...]) -> Submission:
    files: dict[str, bytes] = {}
    notes: list[str] = []
    total = 0
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts):
            continue
        if path.is_symlink():
            # Following a link would let a submission point the trusted loader at hidden files.
            notes.append(f"{rel} is a symbolic link and was ignored")
            continue
        if not path.is_file() or path.suffix not in _DATA_SUFFIXES:
            continue
        if len(files) >= MAX_FOLDER_FILES:
            raise LoadError(f"{root.name} has more than {MAX_FOLDER_FILES} files; hand in only "
                            "your code")
        data = _read_capped(path, MAX_SOURCE_BYTES if path.suffix == ".py" else MAX_NOTEBOOK_BYTES)
        total += len(data)
        if total > MAX_FOLDER_BYTES:
            raise LoadError(f"{root.name} holds more than {MAX_FOLDER_BYTES / 1e6:.0f} MB; hand in "
                            "only your code")
        files[rel] = data
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    entry_name = f"{module}.py"
    cell_of_line: dict[int, str] = {}
    if entry_name in files:
        files[entry_name] = check_source(files[entry_name], name=entry_name).encode()
    else:
        notebooks = [r for r in files if r.endswith(".ipynb") and "/" not in r]
        sources = [r for r in files if r.endswith(".py") and "/" not in r]
        if len(notebooks) == 1 and not sources:
            text, nb_notes, cell_of_line = notebook_to_source(files[notebooks[0]],
                                                              name=notebooks[0],
                                                              cell_tags=cell_tags)
            notes += nb_notes
            files[entry_name] = text.encode()
        elif len(sources) == 1:
            files[entry_name] = check_source(files.pop(sources[0]), name=sources[0]).encode()
            notes.append(f"{sources[0]} was used as {entry_name}")
        else:
            raise LoadError(f"{root.name} has no {entry_name}; name your main file {entry_name}")
    return Submission(str(root), "folder", files, module, digest.hexdigest(), notes, cell_of_line)
