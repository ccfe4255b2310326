"""Find and read an assignment folder (``problems/<name>/assignment.toml``)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from grader.errors import AssignmentError
from grader.policy import REQUIREMENTS
from grader.sandbox import Limits

#: The repository root when the grader runs from a checkout (editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Part:
    """A part of an assignment, as it appears in the breakdown."""

    id: str
    """Short id tests refer to, e.g. ``3.1``."""
    title: str
    """What the part is about."""
    source: str = ""
    """Where it comes from, e.g. "seed 003, section 3.1"."""


@dataclass(frozen=True)
class Assignment:
    """An assignment folder and what its ``assignment.toml`` says."""

    name: str
    """Folder name, e.g. ``mathml_hw4``."""
    path: Path
    """The assignment folder."""
    title: str
    """Human title."""
    seed: str
    """Which seed document it comes from."""
    module: str
    """Module name the student's code is imported as."""
    limits: Limits
    """Worker limits for this assignment."""
    parts: tuple[Part, ...] = field(default_factory=tuple)
    """Parts in the order of the statement."""
    answer_parts: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """Typed math-answer parts (``[[answers]]`` tables), if any."""
    raw: dict[str, Any] = field(default_factory=dict)
    """The whole parsed ``assignment.toml``."""
    require: frozenset[str] = frozenset(REQUIREMENTS)
    """What a grade requires the leak probe to verify (``[isolation] require``; both
    requirements of ``grader.policy`` unless the assignment lists fewer)."""

    @property
    def public_tests(self) -> Path:
        return self.path / "tests" / "public"

    @property
    def hidden_tests(self) -> Path:
        return self.path / "tests" / "hidden"

    @property
    def reference_root(self) -> Path | None:
        """The folder holding ``reference/`` beside this assignment's ``problems/``, if any.

        Reference solutions are never part of the installed package (students install it too);
        the trusted grader finds them in the course's checkout, next to the assignments.
        """
        root = self.path.parent.parent
        return root if (root / "reference" / "__init__.py").is_file() else None

    @property
    def reference_module(self) -> str:
        """Module the ``reference`` fixture imports (``reference.<name>`` unless declared)."""
        return str(self.raw.get("assignment", {}).get("reference", f"reference.{self.name}"))


def import_reference(assignment: Assignment) -> Any:
    """Import the assignment's reference module in this (trusted) process."""
    import importlib
    import sys

    root = assignment.reference_root
    if root is not None and str(root) not in sys.path:
        sys.path.append(str(root))
    try:
        return importlib.import_module(assignment.reference_module)
    except ModuleNotFoundError as exc:
        raise AssignmentError(f"{assignment.name}: its reference solution "
                              f"{assignment.reference_module} is not available here ({exc}); "
                              "the reference fixture needs the course's checkout") from None


def problems_roots() -> list[Path]:
    """Folders searched for a bare assignment name, in order."""
    roots = []
    env = os.environ.get("GRADER_PROBLEMS")
    if env:
        roots.append(Path(env))
    roots += [Path.cwd() / "problems", PROJECT_ROOT / "problems"]
    return roots


def resolve(name_or_path: str | Path) -> Assignment:
    """An assignment from a folder path or a bare name looked up under ``problems/``."""
    candidate = Path(name_or_path)
    if candidate.is_dir() and (candidate / "assignment.toml").is_file():
        return read(candidate)
    if candidate.name == str(name_or_path):
        for root in problems_roots():
            if (root / candidate / "assignment.toml").is_file():
                return read(root / candidate)
    known = sorted({p.parent.name for root in problems_roots() if root.is_dir()
                    for p in root.glob("*/assignment.toml")})
    raise AssignmentError(f"no assignment {str(name_or_path)!r}; known assignments: "
                          f"{', '.join(known) or 'none found'} (or give a folder path)")


def read(folder: Path) -> Assignment:
    """Parse ``folder/assignment.toml``."""
    folder = folder.resolve()
    try:
        raw = tomllib.loads((folder / "assignment.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AssignmentError(f"{folder / 'assignment.toml'}: {exc}") from None
    meta = raw.get("assignment", {})
    name = meta.get("name", folder.name)
    if name != folder.name:
        raise AssignmentError(f"{folder}: assignment.toml names {name!r}, folder is "
                              f"{folder.name!r}; make them equal")
    allowed = {f.name for f in fields(Limits)}
    unknown = set(raw.get("limits", {})) - allowed
    if unknown:
        raise AssignmentError(f"{folder}: unknown limits {sorted(unknown)}; "
                              f"known: {sorted(allowed)}")
    limits = Limits(**raw.get("limits", {}))
    parts = tuple(Part(str(p["id"]), p.get("title", str(p["id"])), p.get("source", ""))
                  for p in raw.get("parts", []))
    require = _requirements(folder, raw.get("isolation", {}))
    submission_file = meta.get("submission_file", f"{name}.py")
    return Assignment(name=name, path=folder, title=meta.get("title", name),
                      seed=str(meta.get("seed", "")), module=Path(submission_file).stem,
                      limits=limits, parts=parts,
                      answer_parts=tuple(raw.get("answers", [])), raw=raw, require=require)


def _requirements(folder: Path, table: Any) -> frozenset[str]:
    """``[isolation] require = [...]``: a subset of ``grader.policy.REQUIREMENTS``; an empty
    list is the instructor's explicit consent to grade where nothing is verified."""
    if not isinstance(table, dict) or set(table) - {"require"}:
        raise AssignmentError(f"{folder}: [isolation] takes one key, require (a list of "
                              f"{', '.join(REQUIREMENTS)}); got {table!r}")
    require = table.get("require", list(REQUIREMENTS))
    if not isinstance(require, list) or not set(require) <= set(REQUIREMENTS):
        raise AssignmentError(f"{folder}: [isolation] require must list some of "
                              f"{', '.join(REQUIREMENTS)} (or be [] to allow grading where "
                              f"neither is verified); got {require!r}")
    return frozenset(require)
