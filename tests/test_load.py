"""Loading submissions: files, notebooks, folders, and clear errors for malformed input."""

from __future__ import annotations

import json
import os

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
