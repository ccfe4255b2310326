"""Loading submissions: files, notebooks, folders, and clear errors for malformed input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from grader.errors import LoadError
from grader.load import load_submission


def test_py_file_becomes_the_assignment_module(write_sub):
    """A .py file is stored under the assignment's module name, whatever it was called."""
    sub = load_submission(write_sub("def f():\n    return 1\n", "my_work.py"), module="hw")
    assert sub.kind == "py" and sub.entry == "hw"
    assert sub.files == {"hw.py": b"def f():\n    return 1\n"}
    assert len(sub.sha256) == 64


@pytest.mark.parametrize("content,fragment", [
    (b"", "is empty"),
    (b"  \n\n", "is empty"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary file"),
    (b"x = 1\ny = '\xe9'\n", "not UTF-8 text (byte 0xe9 on line 2)"),
])
def test_malformed_source_gives_clear_load_error(write_sub, content, fragment):
    """Empty, binary and non-UTF-8 files are refused with a message that says what to do."""
    with pytest.raises(LoadError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_submission(write_sub(content), module="hw")


def test_huge_file_is_refused_without_reading_it(write_sub):
    """A 50 MB file is refused by its size."""
    path = write_sub(b"x = 1\n")
    with path.open("r+b") as f:
        f.truncate(50 * 1024 * 1024)
    with pytest.raises(LoadError, match=r"52\.4 MB; the limit is 2 MB"):
        load_submission(path, module="hw")


def test_missing_file_and_unknown_suffix(tmp_path):
    """A missing path or an unsupported file type says so."""
    with pytest.raises(LoadError, match="no file or folder"):
        load_submission(tmp_path / "nope.py", module="hw")
    other = tmp_path / "work.docx"
    other.write_text("x")
    with pytest.raises(LoadError, match="expected a .py file"):
        load_submission(other, module="hw")


def _notebook(cells: list) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    return nbformat.writes(nb).encode()


def test_notebook_code_cells_in_order_with_magics_neutralised(write_sub):
    """Code cells are joined in order; magics and shell lines are commented out with notes."""
    data = _notebook([
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np"),
        nbformat.v4.new_code_cell("!pip install numpy\nfiles = !ls\ndef f():\n    return 2"),
        nbformat.v4.new_code_cell("%%bash\necho hi"),
    ])
    sub = load_submission(write_sub(data, "work.ipynb"), module="hw")
    source = sub.files["hw.py"].decode()
    assert "import numpy as np" in source and "def f():" in source
    assert "pass  # (not run) %matplotlib inline" in source
    assert "pass  # (not run) !pip install numpy" in source
    assert "# echo hi" in source
    compile(source, "hw.py", "exec")  # still valid Python
    assert len(sub.notes) == 4
    assert any("cell 2, line 1" in n for n in sub.notes)


def test_notebook_cells_selected_by_tag(write_sub):
    """With cell tags only the tagged code cells are used."""
    graded = nbformat.v4.new_code_cell("def f():\n    return 1")
    graded.metadata["tags"] = ["graded"]
    data = _notebook([nbformat.v4.new_code_cell("raise SystemExit"), graded])
    sub = load_submission(write_sub(data, "w.ipynb"), module="hw", cell_tags=("graded",))
    assert "SystemExit" not in sub.files["hw.py"].decode()


@pytest.mark.parametrize("content,fragment", [
    (b'{"cells": [', "JSON is broken at line 1"),
    (b"[1, 2]", "not a Jupyter notebook"),
    (json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(),
     "has no code cells"),
])
def test_malformed_notebooks(write_sub, content, fragment):
    """Broken notebooks give load errors naming the problem."""
    with pytest.raises(LoadError, match=fragment):
        load_submission(write_sub(content, "bad.ipynb"), module="hw")


def test_folder_ignores_symlinks_and_finds_entry(tmp_path):
    """A folder's symlinks are never followed (they could point at hidden tests)."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "hw.py").write_text("from helper import g\n")
    (folder / "helper.py").write_text("def g():\n    return 1\n")
    secret = tmp_path / "secret.py"
    secret.write_text("HIDDEN = 1\n")
    os.symlink(secret, folder / "leak.py")
    sub = load_submission(folder, module="hw")
    assert set(sub.files) == {"hw.py", "helper.py"}
    assert any("symbolic link" in n for n in sub.notes)


def test_folder_with_single_differently_named_file(tmp_path):
    """A folder holding one .py file uses it as the module."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "solution.py").write_text("x = 1\n")
    assert set(load_submission(folder, module="hw").files) == {"hw.py"}


def test_symlinked_submission_file_is_refused(tmp_path):
    """The submission itself may not be a link."""
    target = tmp_path / "t.py"
    target.write_text("x = 1\n")
    link = tmp_path / "link.py"
    os.symlink(target, link)
    with pytest.raises(LoadError, match="symbolic link"):
        load_submission(link, module="hw")


# -- files the loader cannot read: always a LoadError, never another exception ------------------


def _raw_notebook(cells: list, **top: object) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
                       **top}).encode()


def _code(source: object, **metadata: object) -> dict:
    return {"cell_type": "code", "metadata": metadata, "source": source, "outputs": [],
            "execution_count": None}


@pytest.mark.parametrize("metadata", [{"tags": 5}, {"tags": "graded"}, {"tags": [1, None]}])
def test_notebook_tags_that_are_not_a_list_of_text_are_no_tags(write_sub, metadata):
    """metadata.tags = 5 (or text, or numbers) is read as no tags: the cell is code."""
    data = _raw_notebook([_code("def f():\n    return 1\n", **metadata)])
    sub = load_submission(write_sub(data, "w.ipynb"), module="hw", answer_ids=("1.1",))
    assert "def f():" in sub.files["hw.py"].decode()
    with pytest.raises(LoadError, match="has no code cells tagged graded"):
        load_submission(write_sub(data, "w.ipynb"), module="hw", cell_tags=("graded",))


def test_notebook_cells_of_other_types(write_sub):
    """A cell whose source is a number is empty; an entry that is no cell or a cell whose
    metadata is a number make an invalid notebook: a LoadError, never a crash."""
    data = _raw_notebook([_code("x = 1\n"), _code(12)])
    sub = load_submission(write_sub(data, "w.ipynb"), module="hw")
    assert sub.files["hw.py"].decode() == "# --- cell 1 ---\nx = 1\n\n# --- cell 2 ---\n\n"
    for cells in ([_code("x = 1\n"), "not a cell"],
                  [{"cell_type": "code", "metadata": 7, "source": "x = 1\n"}]):
        with pytest.raises(LoadError, match=r"not a valid nbformat-4 notebook \(Validation"):
            load_submission(write_sub(_raw_notebook(cells), "w.ipynb"), module="hw")


@pytest.mark.parametrize("where", ["code", "answer"])
def test_notebook_lone_surrogate_escape_is_a_load_error(write_sub, where):
    """The JSON escape \\ud800 (half a UTF-16 pair) in a cell: a LoadError naming it, since no
    file or report could hold it (a paired escape, an emoji, is fine)."""
    tags = ["1.1"] if where == "answer" else []
    text = _raw_notebook([_code("y = '\U0001f600'\n"),
                          _code("x = 1\nz = 'X'\n", tags=tags)]).decode()
    text = text.replace("'X'", "'\\ud800'")
    assert "\\ud800" in text
    with pytest.raises(LoadError) as info:
        load_submission(write_sub(text, "w.ipynb"), module="hw", answer_ids=("1.1",))
    assert str(info.value) == (
        "w.ipynb: line 2 of a cell holds the escape \\ud800, half of a character that is no "
        "character on its own; delete it and re-save the notebook from Jupyter")


@pytest.mark.parametrize(("content", "fragment"), [
    (b'{"cells": [], "n": ' + b"9" * 5000 + b"}", "the number on line 1 has too many digits"),
    (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
])
def test_notebook_json_python_cannot_read_is_a_load_error(write_sub, content, fragment):
    """JSON with more than 4,300 digits in a number or nested 50,000 deep: a LoadError."""
    with pytest.raises(LoadError, match=fragment):
        load_submission(write_sub(content, "w.ipynb"), module="hw")


def test_450000_magic_lines_make_a_few_notes(write_sub):
    """Notes of skipped magics are listed up to 5, the others counted in one note: a notebook
    of 450,000 %a lines gives six short notes, not 78 MB of report."""
    data = _raw_notebook([_code("%a\n" * 450_000 + "x = 1\n")])
    sub = load_submission(write_sub(data, "w.ipynb"), module="hw")
    assert len(sub.notes) == 6
    assert sub.notes[0] == ("cell 1, line 1: '%a' is an IPython magic or shell command and was "
                            "not run")
    assert sub.notes[-1] == ("and 449995 more IPython magics or shell commands were not run "
                             "(450000 in all)")
    source = sub.files["hw.py"].decode()
    assert "x = 1" in source
    assert source.count("pass  # (not run) %a") == 1  # the rest are comments: cheap to compile


def test_runs_of_magics_leave_valid_blocks(write_sub):
    """The first magic of a run is a statement (it may be a block's only line), the rest are
    comments; the module compiles."""
    data = _raw_notebook([_code("if True:\n    %time f()\n    !ls\nelse:\n    %a\n%b\n"
                                "def f():\n    %c\n")])
    source = load_submission(write_sub(data, "w.ipynb"), module="hw").files["hw.py"].decode()
    assert source.splitlines()[1:9] == [
        "if True:", "    pass  # (not run) %time f()", "    # (not run) !ls", "else:",
        "    pass  # (not run) %a", "# (not run) %b", "def f():", "    pass  # (not run) %c"]
    compile(source, "hw.py", "exec")


def test_folder_of_many_links_makes_a_few_notes(tmp_path):
    """Ignored symbolic links are listed up to 5, the others counted."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "hw.py").write_text("x = 1\n")
    for i in range(40):
        os.symlink("/etc/passwd", folder / f"l{i:02}.py")
    sub = load_submission(folder, module="hw")
    assert sub.notes[:5] == [f"l{i:02}.py is a symbolic link and was ignored" for i in range(5)]
    assert sub.notes[5:] == ["and 35 more symbolic links were ignored (40 in all)"]


def test_folder_file_name_that_is_not_text_is_a_load_error(tmp_path):
    """A file name that is not UTF-8 (or holds a control character) is a LoadError naming it."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "hw.py").write_text("x = 1\n")
    (Path(os.fsdecode(bytes(folder) + b"/bad\xff.py"))).write_text("y = 2\n")
    with pytest.raises(LoadError, match=r"the file name 'bad\\\\udcff.py' is not plain text"):
        load_submission(folder, module="hw")


@pytest.mark.parametrize(("error", "message"), [
    (KeyError("cells"), "w.py could not be read (KeyError: 'cells'); re-save it (from Jupyter for "
     "a notebook, as UTF-8 text otherwise) and hand it in again"),
    (RecursionError(), "w.py is nested too deeply to read (brackets, lists or tables inside each "
     "other thousands of levels deep); hand in plain code and one number or text per answer"),
    (PermissionError(13, "Permission denied"), "w.py could not be read (Permission denied); "
     "check that the file is readable and hand it in again"),
    (MemoryError(), "w.py needs too much memory to read; hand in a smaller file"),
])
def test_any_unforeseen_exception_becomes_a_load_error(write_sub, monkeypatch, error, message):
    """A failure the loader's checks did not foresee is still this student's LoadError, with
    the error's type for the instructor; a batch never sees another exception."""
    import grader.load

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(grader.load, "check_source", broken)
    with pytest.raises(LoadError) as info:
        load_submission(write_sub("x = 1\n", "w.py"), module="hw")
    assert str(info.value) == message


def _mutations(rng, data: bytes, count: int) -> list[bytes]:
    """Seeded mutations of ``data``: flipped bytes, cut tails, pasted JSON/TOML fragments."""
    fragments = [b'"\\ud800"', b"9" * 4400, b"[" * 3000, b"{", b'"tags": 5', b"nan", b"inf",
                 b"\x00", b"\xff", b"1e999", b'"source": 3', b"null", b'"metadata": []',
                 b"[[[", b"= {", b"'''", b'"\\u0000"', b"-0", b"[1,2]"]
    out = []
    for _ in range(count):
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            kind = int(rng.integers(0, 3))
            pos = int(rng.integers(0, len(b) + 1))
            if kind == 0 and b:
                b[min(pos, len(b) - 1)] = int(rng.integers(0, 256))
            elif kind == 1:
                del b[pos:pos + int(rng.integers(1, 20))]
            else:
                b[pos:pos] = fragments[int(rng.integers(0, len(fragments)))]
        out.append(bytes(b))
    return out


@pytest.mark.parametrize("name", ["w.ipynb", "answers.toml", "folder"])
def test_fuzzed_submissions_load_or_give_a_load_error(tmp_path, name):
    """300 seeded mutations of a notebook with tagged answers and of an answers file (alone and
    in a folder): each loads or raises LoadError, and the code and every text the report could
    show (notes, answers, errors) are valid UTF-8."""
    import numpy as np

    tagged = _code("x = 0.5\n", tags=["1.1"])
    notebook = _raw_notebook([_code("import numpy as np\n%time f()\ndef f():\n    return 1\n",
                                    tags=["graded"]), tagged])
    answers = b'[3.1]\na3 = 0.2689\nloss = "2.03"\n"1.1" = "M^T M"\n'
    seed = {"w.ipynb": notebook, "answers.toml": answers, "folder": answers}[name]
    rng = np.random.default_rng(14)
    for i, data in enumerate(_mutations(rng, seed, 300)):
        if name == "folder":
            path = tmp_path / f"f{i}"
            path.mkdir()
            (path / "hw.py").write_text("x = 1\n")
            (path / "answers.toml").write_bytes(data)
        else:
            path = tmp_path / f"{i}{name}"
            path.write_bytes(data)
        try:
            sub = load_submission(path, module="hw", answer_ids=("3.1.a3", "3.1.loss", "1.1"))
        except LoadError as exc:
            str(exc).encode("utf-8")
            continue
        json.dumps({"notes": sub.notes, "files": sorted(sub.files), "error": sub.answers_error,
                    "answers": {k: v if isinstance(v, str) else 0 for k, v in
                                sub.answers.items()}}, ensure_ascii=False).encode("utf-8")
        if sub.has_code:  # data files (answers.toml in a folder) are handed over as bytes
            sub.files["hw.py"].decode("utf-8")


def test_load_error_about_a_file_whose_name_is_not_text_is_text(tmp_path):
    """A submission named with bytes that are not UTF-8: the LoadError names it escaped."""
    path = Path(os.fsdecode(bytes(tmp_path) + b"/w\xff.py"))
    path.write_bytes(b"")
    with pytest.raises(LoadError) as info:
        load_submission(path, module="hw")
    assert str(info.value) == "w\\udcff.py is empty; hand in the file with your code in it"


def test_fuzzed_notebook_structures_load_or_give_a_load_error(tmp_path):
    """200 seeded random notebook structures (fields of every JSON type, old and unknown
    nbformat versions, tags and sources that are not what Jupyter writes): each loads or
    raises LoadError, with and without cell tags."""
    import random

    rng = random.Random(14)
    scalars = [0, 1, -1, 5, 1.5, True, None, "", "x", "%a", "code", "graded", "1.1", 10**30]
    keys = ["cells", "metadata", "tags", "source", "cell_type", "nbformat", "worksheets"]

    def value(depth: int = 0) -> object:
        r = rng.random()
        if depth > 3 or r < 0.3:
            return rng.choice(scalars)
        if r < 0.6:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}

    def cell() -> dict:
        return {"cell_type": rng.choice(["code", "markdown", "raw", 5, None]),
                "metadata": rng.choice([{}, {"tags": value()}, value()]),
                "source": rng.choice(["x = 1\n", ["%a\n", "y = 2\n"], value()]),
                "outputs": rng.choice([[], value()])}

    path = tmp_path / "w.ipynb"
    for _ in range(200):
        nb = {"cells": rng.choice([[cell() for _ in range(rng.randint(0, 4))], value()]),
              "metadata": rng.choice([{}, value()]), "nbformat": rng.choice([4, 4, 3, 5, "4"]),
              "nbformat_minor": rng.choice([0, 5, -1, None])}
        path.write_text(json.dumps(nb))
        for tags in ((), ("graded",)):
            try:
                sub = load_submission(path, module="hw", cell_tags=tags, answer_ids=("1.1",))
            except LoadError:
                continue
            json.dumps([sub.notes, sub.answers], ensure_ascii=False).encode("utf-8")


def test_folder_with_a_lone_answers_file_of_another_name_reads_it(tmp_path):
    """A Gradescope upload keeps the student's file name: a folder's one .toml file is its
    answers file when there is no answers.toml, as a lone .py is its code."""
    (tmp_path / "hw4_answers.toml").write_text('"1.1" = "2*X"\n')
    sub = load_submission(tmp_path, module="mathml_hw4", answer_ids=["1.1"])
    assert (sub.has_code, sub.answers) == (False, {"1.1": "2*X"})
    (tmp_path / "mathml_hw4.py").write_text("x = 1\n")
    sub = load_submission(tmp_path, module="mathml_hw4", answer_ids=["1.1"])
    assert (sub.has_code, sub.answers) == (True, {"1.1": "2*X"})


def test_folder_with_two_toml_files_and_no_answers_toml_reads_neither(tmp_path):
    """Which of two .toml files holds the answers is not guessed."""
    (tmp_path / "a.toml").write_text('"1.1" = "2*X"\n')
    (tmp_path / "b.toml").write_text('"1.1" = "3*X"\n')
    (tmp_path / "mathml_hw4.py").write_text("x = 1\n")
    assert load_submission(tmp_path, module="mathml_hw4", answer_ids=["1.1"]).answers == {}
