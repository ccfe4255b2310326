"""An autograder for machine-learning homework that student code cannot talk into a good grade.

What test authors and course scripts use is listed in ``__all__``. Names are imported lazily so
that the worker process (which imports ``grader._worker``) and ``grader --help`` stay light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "CheckFailed",
    "SubmissionError",
    "as_floats",
    "batch",
    "brief",
    "check_array",
    "check_scalar",
    "check_true",
    "grade",
    "grade_answers",
    "keys_of",
    "points",
    "set_attribute",
    "side_by_side",
]

_LAZY = {
    "CheckFailed": "grader.checks",
    "as_floats": "grader.checks",
    "check_array": "grader.checks",
    "check_scalar": "grader.checks",
    "check_true": "grader.checks",
    "brief": "grader.text",
    "keys_of": "grader.text",
    "points": "grader.plugin",
    "side_by_side": "grader.plugin",
    "set_attribute": "grader.sandbox",
    "grade": "grader.api",
    "grade_answers": "grader.answers",
    "batch": "grader.batch",
    "SubmissionError": "grader.errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
