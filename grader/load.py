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
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import LoadError

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_FOLDER_BYTES = 20 * 1024 * 1024
MAX_FOLDER_FILES = 200
MAX_ANSWERS_BYTES = 8 * 1024 * 1024
"""An answers file may be this large, so that one absurd answer is refused by the answer
checker with a message about that answer, not the whole submission."""
MAX_ANSWERS = 500
"""Most answers one submission may hold."""
ANSWERS_FILE = "answers.toml"
"""The answers file of a folder submission, next to the code."""
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
    answers: dict[str, str | float] = field(default_factory=dict)
    """Typed answers: answer id -> the text or number handed in (from a ``.toml`` file,
    ``answers.toml`` in a folder, or notebook cells tagged with the answer id). Untrusted."""

    @property
    def has_code(self) -> bool:
        """False for an answers-only submission (nothing for the worker to import)."""
        return f"{self.entry}.py" in self.files


def load_submission(path: str | Path, *, module: str, cell_tags: tuple[str, ...] = (),
                    answer_ids: Collection[str] = ()) -> Submission:
    """Load a submission for an assignment whose code module is named ``module``.

    ``cell_tags``: for notebooks, only code cells carrying one of these tags are used (all code
    cells when empty).
    ``answer_ids``: the assignment's typed-answer ids; notebook cells tagged with one of them are
    answers, not code.
    """
    p = Path(path)
    if p.is_symlink():
        raise LoadError(f"{p.name} is a symbolic link; hand in the file itself")
    if not p.exists():
        raise LoadError(f"there is no file or folder at {p}")
    if p.is_dir():
        return _load_folder(p, module, cell_tags, answer_ids)
    if p.suffix == ".ipynb":
        data = _read_capped(p, MAX_NOTEBOOK_BYTES)
        answers = notebook_answers(data, name=p.name, answer_ids=answer_ids)
        if answers and not _has_code_cells(data, answer_ids):
            return Submission(str(p), "ipynb", {}, module, _sha(data), answers=answers)
        source, notes, cell_of_line = notebook_to_source(data, name=p.name, cell_tags=cell_tags,
                                                         answer_tags=answer_ids)
        return Submission(str(p), "ipynb", {f"{module}.py": source.encode()}, module,
                          _sha(data), notes, cell_of_line, answers)
    if p.suffix == ".toml":
        data = _read_capped(p, MAX_ANSWERS_BYTES)
        answers, notes = read_answers_toml(data, name=p.name, answer_ids=answer_ids)
        return Submission(str(p), "toml", {}, module, _sha(data), notes, answers=answers)
    if p.suffix == ".py":
        data = _read_capped(p, MAX_SOURCE_BYTES)
        text = check_source(data, name=p.name)
        return Submission(str(p), "py", {f"{module}.py": text.encode()}, module, _sha(data))
    raise LoadError(f"{p.name}: expected a .py file, a .ipynb notebook, a .toml file of typed "
                    "answers or a folder")


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


def read_answers_toml(data: bytes, *, name: str, answer_ids: Collection[str] = ()
                      ) -> tuple[dict[str, str | float], list[str]]:
    """Typed answers from a TOML file: one key per answer id, each a string or a number.

    Dotted keys and tables are joined with dots, so ``3.1.a5 = 0.9``, ``"3.1.a5" = 0.9`` and
    ``[3.1]`` followed by ``a5 = 0.9`` all answer ``3.1.a5``. Returns the answers and notes
    (ids the assignment does not have, when ``answer_ids`` is given).
    """
    text = check_source(data, name=name) if data.strip() else ""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(f"{name} is not valid TOML: {exc}. Write one line per answer, such as "
                        '3.1.a5 = 0.8337 or "2.grad_W" = "(1/n) X (Y_hat - Y)^T" (text in '
                        "quotes)") from None
    answers: dict[str, str | float] = {}

    def walk(prefix: str, table: dict[str, Any], depth: int) -> None:
        for key, value in table.items():
            full = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) and depth < 8:
                walk(full, value, depth + 1)
            elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise LoadError(f"{name}: the answer '{full}' is a {type(value).__name__}; "
                                "write a number or text in quotes")
            else:
                answers[full] = value if isinstance(value, str) else float(value)
            if len(answers) > MAX_ANSWERS:
                raise LoadError(f"{name} has more than {MAX_ANSWERS} answers; hand in one "
                                "answer per question")

    walk("", raw, 0)
    notes = []
    if answer_ids:
        unknown = [k for k in answers if k not in answer_ids]
        if unknown:
            shown = ", ".join(repr(k[:40]) for k in unknown[:5])
            notes.append(f"{name}: {len(unknown)} answer(s) with an id this assignment does not "
                         f"have were ignored ({shown}); see 'grader list' for the ids")
            for k in unknown:
                del answers[k]
    return answers, notes


def _notebook_cells(data: bytes, name: str) -> list[Any]:
    text = check_source(data, name=name)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{name} is not a valid notebook: its JSON is broken at line {exc.lineno}, "
                        f"column {exc.colno} ({exc.msg}). Re-save it from Jupyter") from None
    cells = raw.get("cells") if isinstance(raw, dict) else None
    if not isinstance(cells, list):
        raise LoadError(f"{name} is not a Jupyter notebook (no 'cells'); re-save it from Jupyter")
    return [c for c in cells if isinstance(c, dict)]


def _cell_tags(cell: dict[str, Any]) -> tuple[str, ...]:
    meta = cell.get("metadata")
    tags = meta.get("tags", ()) if isinstance(meta, dict) else ()
    return tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()


def _cell_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def notebook_answers(data: bytes, *, name: str, answer_ids: Collection[str]
                     ) -> dict[str, str | float]:
    """Answers in a notebook: the text of each cell (Markdown or code) tagged with an answer id."""
    if not answer_ids:
        return {}
    answers: dict[str, str | float] = {}
    for cell in _notebook_cells(data, name):
        for tag in _cell_tags(cell):
            if tag in answer_ids:
                answers[tag] = _cell_text(cell).strip()
    return answers


def _has_code_cells(data: bytes, answer_ids: Collection[str]) -> bool:
    return any(c.get("cell_type") == "code" and not set(_cell_tags(c)) & set(answer_ids)
               and _cell_text(c).strip() for c in _notebook_cells(data, "notebook"))


def notebook_to_source(data: bytes, *, name: str, cell_tags: tuple[str, ...] = (),
                       answer_tags: Collection[str] = ()) -> tuple[str, list[str], dict[int, str]]:
    """Code cells of an nbformat-4 notebook, in order, as one module; magics commented out.

    Cells tagged with one of ``answer_tags`` are typed answers (``notebook_answers``), not code.
    """
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
        if set(tags) & set(answer_tags):
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
            code = line
            if _MAGIC.match(line) and not line.lstrip().startswith("#"):
                notes.append(f"cell {index}, line {number}: {line.strip()[:60]!r} is an IPython "
                             "magic or shell command and was not run")
                code = _indent_of(line) + "pass  # (not run) " + line.strip()
            lines.append(code)
            cell_of_line[len(lines)] = f"cell {index}, line {number}"
        lines.append("")
    if used == 0:
        which = f" tagged {', '.join(cell_tags)}" if cell_tags else ""
        raise LoadError(f"{name} has no code cells{which}; put your code in code cells")
    return "\n".join(lines) + "\n", notes, cell_of_line


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _folder_answers(files: dict[str, bytes], notes: list[str],
                    answer_ids: Collection[str]) -> dict[str, str | float]:
    """Answers of a folder: ``answers.toml``, then tagged cells of its one top-level notebook."""
    answers: dict[str, str | float] = {}
    if ANSWERS_FILE in files:
        answers, answer_notes = read_answers_toml(files[ANSWERS_FILE], name=ANSWERS_FILE,
                                                  answer_ids=answer_ids)
        notes += answer_notes
    top_notebooks = [r for r in files if r.endswith(".ipynb") and "/" not in r]
    if len(top_notebooks) == 1:
        for key, value in notebook_answers(files[top_notebooks[0]], name=top_notebooks[0],
                                           answer_ids=answer_ids).items():
            if key in answers:
                notes.append(f"answer {key} is both in {ANSWERS_FILE} and in "
                             f"{top_notebooks[0]}; the one in {ANSWERS_FILE} was used")
            else:
                answers[key] = value
    return answers


def _load_folder(root: Path, module: str, cell_tags: tuple[str, ...],
                 answer_ids: Collection[str] = ()) -> Submission:
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
    answers = _folder_answers(files, notes, answer_ids)
    code_files = [r for r in files if r.endswith(".py")
                  or (r.endswith(".ipynb") and _has_code_cells(files[r], answer_ids))]
    if answers and not code_files:
        return Submission(str(root), "folder", files, module, digest.hexdigest(), notes,
                          answers=answers)
    if entry_name in files:
        files[entry_name] = check_source(files[entry_name], name=entry_name).encode()
    else:
        notebooks = [r for r in files if r.endswith(".ipynb") and "/" not in r]
        sources = [r for r in files if r.endswith(".py") and "/" not in r]
        if len(notebooks) == 1 and not sources:
            text, nb_notes, cell_of_line = notebook_to_source(files[notebooks[0]],
                                                              name=notebooks[0],
                                                              cell_tags=cell_tags,
                                                              answer_tags=answer_ids)
            notes += nb_notes
            files[entry_name] = text.encode()
        elif len(sources) == 1:
            files[entry_name] = check_source(files.pop(sources[0]), name=sources[0]).encode()
            notes.append(f"{sources[0]} was used as {entry_name}")
        else:
            raise LoadError(f"{root.name} has no {entry_name}; name your main file {entry_name}")
    return Submission(str(root), "folder", files, module, digest.hexdigest(), notes, cell_of_line,
                      answers)
