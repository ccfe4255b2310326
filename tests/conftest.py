"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A copy of the tiny fixture assignment (so tests may change its limits)."""
    dest = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", dest)
    return dest


@pytest.fixture
def tiny_with(tiny: Path):
    """The tiny assignment with its tests replaced: ``tiny_with("hidden/test_x.py", source)``
    leaves that one test file and no other, and returns the assignment's folder."""

    def make(relative: str, source: str) -> Path:
        for test in tiny.glob("tests/*/test_*.py"):
            test.unlink()
        (tiny / "tests" / relative).write_text(source)
        return tiny

    return make


@pytest.fixture
def write_sub(tmp_path: Path):
    """Write a submission file into its own folder and return its path."""

    def write(source: str | bytes, name: str = "sub.py") -> Path:
        folder = tmp_path / "submission"
        folder.mkdir(exist_ok=True)
        path = folder / name
        if isinstance(source, str):
            path.write_text(source)
        else:
            path.write_bytes(source)
        return path

    return write
