"""Every error the grader raises on purpose.

Messages say what was given, what was expected, and how to fix it, because students read them.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every error the grader raises on purpose (never a bug)."""


class UsageError(GraderError):
    """The command line or API call was wrong (exit code 2)."""


class AssignmentError(GraderError):
    """An assignment folder is missing or malformed (exit code 2)."""


class LoadError(GraderError):
    """A submission file could not be turned into source code to run.

    The grade still produces a report: score 0 with this message.
    """


class GraderInternalError(GraderError):
    """The grader or an assignment's tests are broken (exit code 1); never the student's fault."""


class CodecError(GraderError):
    """A message between grader and worker is not data-only, too big, or malformed."""


class SubmissionError(GraderError):
    """Calling into the submission failed: it raised, timed out, died or returned non-data.

    ``student_message`` is what the report shows; ``kind`` is a short machine-readable tag
    (``exception``, ``timeout``, ``memory``, ``died``, ``missing``, ``not-data``, ``output``).
    """

    def __init__(self, student_message: str, *, kind: str = "exception", detail: str = "") -> None:
        super().__init__(student_message)
        self.student_message = student_message
        self.kind = kind
        self.detail = detail


class AnswerParseError(GraderError):
    """A typed math answer could not be parsed; ``position`` is a 0-based character offset."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class IsolationRefusedError(GraderInternalError):
    """The worker's leak probe found what the grade requires unreadable or unreachable within
    reach (exit code 1, status ``internal-error``); no student code ran in that worker.

    ``isolation``: the refused worker's isolation record, ``verified`` (the probe) included.
    """

    def __init__(self, message: str, *, isolation: dict[str, object]) -> None:
        super().__init__(message)
        self.isolation = isolation
