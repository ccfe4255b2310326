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
import warnings
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
MAX_NOTES_LISTED = 5
"""Notes of one kind (skipped magics, ignored links) listed one by one; the others are counted
in one last note, so that 450,000 magic lines make a few lines of report, not 78 MB."""
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
    answers_error: str = ""
    """Why the answers file next to the code could not be read (every answer part then says
    so); empty when it was read or there is none."""

    @property
    def has_code(self) -> bool:
        """False for an answers-only submission (nothing for the worker to import)."""
        return f"{self.entry}.py" in self.files


class _Listed:
    """Notes of one kind: the first ``MAX_NOTES_LISTED`` one by one, the others only counted."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.count = 0

    def listed(self) -> bool:
        """Count one more; whether to write its note out."""
        self.count += 1
        return self.count <= MAX_NOTES_LISTED

    def close(self, what: str) -> None:
        if self.count > MAX_NOTES_LISTED:
            self.notes.append(f"and {self.count - MAX_NOTES_LISTED} more {what} "
                              f"({self.count} in all)")


def load_submission(path: str | Path, *, module: str, cell_tags: tuple[str, ...] = (),
                    answer_ids: Collection[str] = ()) -> Submission:
    """Load a submission for an assignment whose code module is named ``module``.

    ``cell_tags``: for notebooks, only code cells carrying one of these tags are used (all code
    cells when empty).
    ``answer_ids``: the assignment's typed-answer ids; notebook cells tagged with one of them are
    answers, not code.
    """
    p = Path(path)
    name = _printable(p.name)
    try:
        return _load(p, module, cell_tags, answer_ids)
    except LoadError as exc:
        if str(exc).isprintable():
            raise
        # The file's own name may not be text (bytes that are not UTF-8 read as lone
        # surrogates): the message a report shows must be.
        raise LoadError(_printable(str(exc))) from None
    except RecursionError:
        raise LoadError(f"{name} is nested too deeply to read (brackets, lists or tables "
                        "inside each other thousands of levels deep); hand in plain code and "
                        "one number or text per answer") from None
    except MemoryError:
        raise LoadError(f"{name} needs too much memory to read; hand in a smaller "
                        "file") from None
    except OSError as exc:
        raise LoadError(f"{name} could not be read ({exc.strerror or type(exc).__name__}); "
                        "check that the file is readable and hand it in again") from None
    except Exception as exc:  # noqa: BLE001 - untrusted input: any failure is this student's
        # A file the checks above did not foresee must still give this student a report, never
        # stop the grader (or a batch): name the error so the instructor can improve the loader.
        raise LoadError(f"{name} could not be read ({type(exc).__name__}: "
                        f"{_printable(str(exc)[:200])}); re-save it (from Jupyter for a "
                        "notebook, as UTF-8 text otherwise) and hand it in again") from None


def _printable(text: str) -> str:
    """Text safe to put in a message: lone surrogates and control characters escaped."""
    return "".join(c if c.isprintable()  # lone surrogates and controls are not printable
                   else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


def _load(p: Path, module: str, cell_tags: tuple[str, ...], answer_ids: Collection[str]
          ) -> Submission:
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
    except ValueError:
        # tomllib turns digits into an int with int(); Python refuses more than 4,300 digits.
        raise LoadError(f"{name}: {_long_number(text)} has too many digits to be read; write "
                        "each answer with at most 17 significant digits, such as 0.8337 or "
                        "1.5e-3") from None
    except RecursionError:
        raise LoadError(f"{name}: its arrays or tables are nested too deeply to be read; "
                        "write one number or text per answer, such as 3.1.a5 = 0.8337") from None
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
                # Numbers are kept as TOML read them (a 400-digit int too): they are checked,
                # and turned into floats, once, where answers are graded (grader.answers).
                answers[full] = value
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


def _long_number(text: str) -> str:
    """Where the over-long number of a TOML file is, for the message."""
    match = re.search(r"[0-9_]{4000,}", text)
    if match is None:
        return "a number"
    return f"the number on line {text.count(chr(10), 0, match.start()) + 1}"


def _notebook_json(text: str, name: str) -> Any:
    """The parsed JSON of a notebook, or a ``LoadError`` saying what is wrong with it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(f"{name} is not a valid notebook: its JSON is broken at line {exc.lineno}, "
                        f"column {exc.colno} ({exc.msg}). Re-save it from Jupyter") from None
    except ValueError:
        # json reads integers with int(), which refuses more than 4,300 digits.
        raise LoadError(f"{name} is not a valid notebook: {_long_number(text)} has too many "
                        "digits to be read. Re-save it from Jupyter") from None
    except RecursionError:
        raise LoadError(f"{name} is not a valid notebook: its JSON is nested too deeply. "
                        "Re-save it from Jupyter") from None


def _notebook_cells(data: bytes, name: str) -> list[Any]:
    raw = _notebook_json(check_source(data, name=name), name)
    cells = raw.get("cells") if isinstance(raw, dict) else None
    if not isinstance(cells, list):
        raise LoadError(f"{name} is not a Jupyter notebook (no 'cells'); re-save it from Jupyter")
    return [c for c in cells if isinstance(c, dict)]


def _cell_tags(cell: dict[str, Any]) -> tuple[str, ...]:
    meta = cell.get("metadata")
    tags = meta.get("tags", ()) if isinstance(meta, dict) else ()
    return tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()


def _cell_text(cell: dict[str, Any], name: str) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    if not isinstance(source, str):
        return ""
    bad = _SURROGATE.search(source)
    if bad is not None:
        # JSON may escape half of a UTF-16 pair alone: that is no character, and no file,
        # report or message could hold it.
        line = source.count("\n", 0, bad.start()) + 1
        raise LoadError(f"{name}: line {line} of a cell holds the escape \\u{ord(bad[0]):x}, "
                        "half of a character that is no character on its own; delete it and "
                        "re-save the notebook from Jupyter")
    return source


_SURROGATE = re.compile("[\ud800-\udfff]")


def notebook_answers(data: bytes, *, name: str, answer_ids: Collection[str]
                     ) -> dict[str, str | float]:
    """Answers in a notebook: the text of each cell (Markdown or code) tagged with an answer id."""
    if not answer_ids:
        return {}
    answers: dict[str, str | float] = {}
    for cell in _notebook_cells(data, name):
        for tag in _cell_tags(cell):
            if tag in answer_ids:
                answers[tag] = _cell_text(cell, name).strip()
    return answers


def _has_code_cells(data: bytes, answer_ids: Collection[str]) -> bool:
    return any(c.get("cell_type") == "code" and not set(_cell_tags(c)) & set(answer_ids)
               and _cell_text(c, "notebook").strip() for c in _notebook_cells(data, "notebook"))


def notebook_to_source(data: bytes, *, name: str, cell_tags: tuple[str, ...] = (),
                       answer_tags: Collection[str] = ()) -> tuple[str, list[str], dict[int, str]]:
    """Code cells of an nbformat-4 notebook, in order, as one module; magics commented out.

    Cells tagged with one of ``answer_tags`` are typed answers (``notebook_answers``), not code.
    """
    import nbformat

    text = check_source(data, name=name)
    raw = _notebook_json(text, name)
    if not isinstance(raw, dict) or "cells" not in raw:
        raise LoadError(f"{name} is not a Jupyter notebook (no 'cells'); re-save it from Jupyter")
    try:
        with warnings.catch_warnings():
            # An invalid notebook is read as far as it can be; what matters is reported below.
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types for bad files
        raise LoadError(f"{name} is not a valid nbformat-4 notebook ({type(exc).__name__}); "
                        "re-save it from Jupyter") from None
    lines: list[str] = []
    notes: list[str] = []
    cell_of_line: dict[int, str] = {}
    used = 0
    skipped = _Listed(notes)
    for index, cell in enumerate(nb.cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        tags = _cell_tags(cell)
        if cell_tags and not set(tags) & set(cell_tags):
            continue
        if set(tags) & set(answer_tags):
            continue
        used += 1
        cell_lines = _cell_text(cell, name).splitlines()
        if cell_lines and cell_lines[0].lstrip().startswith("%%"):
            if skipped.listed():
                notes.append(f"cell {index}: cell magic {cell_lines[0].strip()[:40]!r} was not "
                             "run")
            cell_lines = ["# " + line for line in cell_lines]
        lines.append(f"# --- cell {index} ---")
        after_magic = False
        for number, line in enumerate(cell_lines, start=1):
            code = line
            magic = bool(_MAGIC.match(line)) and not line.lstrip().startswith("#")
            if magic:
                if skipped.listed():
                    notes.append(f"cell {index}, line {number}: {line.strip()[:60]!r} is an "
                                 "IPython magic or shell command and was not run")
                # The first of a run of magics becomes a statement (it may be a block's only
                # line); the rest are comments, which cost the compiler nothing even when a
                # notebook holds hundreds of thousands of them.
                code = (_indent_of(line) + ("# (not run) " if after_magic else
                                            "pass  # (not run) ") + line.strip())
            after_magic = magic
            lines.append(code)
            cell_of_line[len(lines)] = f"cell {index}, line {number}"
        lines.append("")
    skipped.close("IPython magics or shell commands were not run")
    if used == 0:
        which = f" tagged {', '.join(cell_tags)}" if cell_tags else ""
        raise LoadError(f"{name} has no code cells{which}; put your code in code cells")
    return "\n".join(lines) + "\n", notes, cell_of_line


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _folder_answers(files: dict[str, bytes], notes: list[str], answer_ids: Collection[str],
                    errors: list[str]) -> dict[str, str | float]:
    """Answers of a folder: ``answers.toml`` (or, without one, the folder's one top-level
    ``.toml`` file, as a lone ``.py`` is its code: a Gradescope upload keeps the student's own
    file names), then tagged cells of its one top-level notebook.

    An answers file that cannot be read adds its message to ``errors``."""
    answers: dict[str, str | float] = {}
    tomls = [r for r in files if r.endswith(".toml") and "/" not in r]
    name = ANSWERS_FILE if ANSWERS_FILE in files else tomls[0] if len(tomls) == 1 else None
    if name is not None:
        try:
            answers, answer_notes = read_answers_toml(files[name], name=name,
                                                      answer_ids=answer_ids)
        except LoadError as exc:
            # The code next to it is still graded: only the answers are lost, each saying why.
            answers, answer_notes = {}, [f"{exc} (your code was graded; your typed answers "
                                         "were not)"]
            errors.append(str(exc))
        notes += answer_notes
    top_notebooks = [r for r in files if r.endswith(".ipynb") and "/" not in r]
    if len(top_notebooks) == 1:
        for key, value in notebook_answers(files[top_notebooks[0]], name=top_notebooks[0],
                                           answer_ids=answer_ids).items():
            if key in answers:
                notes.append(f"answer {key} is both in {name} and in "
                             f"{top_notebooks[0]}; the one in {name} was used")
            else:
                answers[key] = value
    return answers


def _check_name(root: Path, rel: str) -> None:
    if not rel.isprintable():
        # A name that is not UTF-8 (it reads with lone surrogates) or holds control characters
        # could not be written into the worker's folder, a report or a terminal as it is.
        raise LoadError(f"{root.name}: the file name {_printable(rel)[:200]!r} is not plain "
                        "text (it is not UTF-8 or holds control characters); rename the file")


def _folder_files(root: Path, notes: list[str]) -> tuple[dict[str, bytes], str]:
    """The files of a folder submission worth giving the worker, and the folder's hash."""
    files: dict[str, bytes] = {}
    total = 0
    links = _Listed(notes)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        _check_name(root, rel)
        if any(p.startswith(".") or p == "__pycache__" for p in path.relative_to(root).parts):
            continue
        if path.is_symlink():
            # Following a link would let a submission point the trusted loader at hidden files.
            if links.listed():
                notes.append(f"{rel[:200]} is a symbolic link and was ignored")
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
    links.close("symbolic links were ignored")
    return files, digest.hexdigest()


def _load_folder(root: Path, module: str, cell_tags: tuple[str, ...],
                 answer_ids: Collection[str] = ()) -> Submission:
    notes: list[str] = []
    files, sha = _folder_files(root, notes)
    entry_name = f"{module}.py"
    cell_of_line: dict[int, str] = {}
    errors: list[str] = []
    answers = _folder_answers(files, notes, answer_ids, errors)
    if errors and not any(r.endswith((".py", ".ipynb")) for r in files):
        raise LoadError(errors[0])  # nothing else to grade: the folder is unreadable
    code_files = [r for r in files if r.endswith(".py")
                  or (r.endswith(".ipynb") and _has_code_cells(files[r], answer_ids))]
    # A folder of typed answers alone (ids this assignment does not have included: the notes
    # say so) is graded as answers, like a lone .toml file.
    read_answers = answers or (not errors and any(r.endswith(".toml") and "/" not in r
                                                  for r in files))
    if read_answers and not code_files:
        return Submission(str(root), "folder", files, module, sha, notes, answers=answers)
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
    return Submission(str(root), "folder", files, module, sha, notes, cell_of_line, answers,
                      "; ".join(errors))
