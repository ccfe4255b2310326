"""Scores and per-student feedback from a `grader batch` output folder, for publishing.

    python feedback.py GRADES -o FEEDBACK [--reveal-hidden]

Writes FEEDBACK/<student>.md (what that student may see), FEEDBACK/scores.md and
FEEDBACK/scores.csv (for staff: every student's total). A student's feedback holds the summary
and the tests Gradescope would show them: public tests and typed answers always, hidden tests
only with --reveal-hidden (after the deadline), following the assignment's
`[gradescope] hidden_visibility` otherwise. Reports hold no test source and no reference (only
names, points and the checks' messages); the instructor-only part of each report (the
student's output, tracebacks) is left out.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

from grader.export import HIDDEN_VISIBILITY, gradescope_results

_NOT_REPORTS = {"summary.json"}


def _fence(text: str) -> str:
    """``text`` in a code block no line of it can close (the student wrote some of it)."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def student_feedback(student: str, report: dict[str, Any], *, reveal_hidden: bool) -> str:
    """The Markdown one student may see."""
    shown = gradescope_results(report, hidden="visible" if reveal_hidden else HIDDEN_VISIBILITY)
    lines = [f"# {report.get('assignment', '')}: feedback for {student}", "",
             _fence(str(shown.get("output", ""))), ""]
    for t in shown["tests"]:
        if t.get("visibility", "visible") != "visible":
            continue
        lines.append(f"- {t['name']}: {t['score']:g} / {t['max_score']:g}")
        if t.get("output"):
            lines += ["", _fence(str(t["output"])), ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="feedback.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("grades", type=Path, help="the output folder of grader batch")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--reveal-hidden", action="store_true",
                        help="show hidden tests too (once grades are final)")
    args = parser.parse_args(argv)
    reports = sorted(p for p in args.grades.glob("*.json") if p.name not in _NOT_REPORTS)
    if not reports:
        print(f"feedback.py: no reports in {args.grades}", file=sys.stderr)
        return 2
    args.output.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in reports:
        student = path.stem
        report = json.loads(path.read_text(encoding="utf-8"))
        (args.output / f"{student}.md").write_text(
            student_feedback(student, report, reveal_hidden=args.reveal_hidden),
            encoding="utf-8")
        rows.append((student, report["score"], report["max_score"], report["status"]))
    with open(args.output / "scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", "status"])
        writer.writerows(rows)
    table = ["| student | score | status |", "|---|---:|---|"]
    table += [f"| {s} | {score:g} / {top:g} | {status} |" for s, score, top, status in rows]
    (args.output / "scores.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    print(f"feedback for {len(rows)} students in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
