"""Reports -> ``gradebook.csv``: one row per student, one column per part.

Pure row building (``gradebook_rows``) apart from writing the file, so the table is tested
without grading anything.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from grader.assignment import Assignment


def _fmt(x: float) -> str:
    # Four decimals keep 1/3-point partial credit readable without float noise (114.3333).
    return f"{round(float(x), 4):.10g}"


def part_ids(reports: Iterable[Mapping[str, Any]],
             assignment: Assignment | None = None) -> list[str]:
    """Part ids in the assignment's order, then any that only the reports mention."""
    ids = [p.id for p in assignment.parts] if assignment is not None else []
    for report in reports:
        for part in report.get("parts", []):
            if part["id"] not in ids:
                ids.append(part["id"])
    return ids


def gradebook_rows(reports: Mapping[str, Mapping[str, Any]], assignment: Assignment | None = None,
                   *, students: Iterable[str] | None = None) -> list[list[str]]:
    """Header plus one row per student: id, each part's score, total, max, status.

    A part a report does not have (an assignment whose tests changed, say) is left empty, and a
    student listed in ``students`` without a report gets status ``missing``.
    """
    parts = part_ids(reports.values(), assignment)
    rows = [["id", *(f"part {pid}" for pid in parts), "total", "max", "status"]]
    for sid in (list(students) if students is not None else list(reports)):
        report = reports.get(sid)
        if report is None:
            rows.append([sid, *([""] * len(parts)), "", "", "missing"])
            continue
        by_id = {p["id"]: p for p in report.get("parts", [])}
        rows.append([sid, *(_fmt(by_id[pid]["score"]) if pid in by_id else "" for pid in parts),
                     _fmt(report["score"]), _fmt(report["max_score"]), str(report["status"])])
    return rows


def write_gradebook(path: str | Path, reports: Mapping[str, Mapping[str, Any]],
                    assignment: Assignment | None = None, *,
                    students: Iterable[str] | None = None) -> None:
    """Write ``gradebook.csv`` atomically."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(
        gradebook_rows(reports, assignment, students=students))
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
