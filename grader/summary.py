"""A class's reports -> ``summary.json`` and a readable ``summary.html``.

``summarize`` is pure (reports in, plain data out); ``render_html`` turns that data into one
self-contained page: inline SVG charts, inline CSS, no script, nothing fetched. Every string that
came from a report (student ids, messages) is escaped, because submissions control parts of them.
"""

from __future__ import annotations

import html
import json
import os
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignment import Assignment

BINS = 10


def _rate(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def summarize(reports: Mapping[str, Mapping[str, Any]], assignment: Assignment | None = None, *,
              students: Iterable[str] | None = None,
              ignored: Sequence[str] = ()) -> dict[str, Any]:
    """Counts, score statistics and histogram, and per part and per test how the class did.

    A student without a report counts under status ``missing``; pass rates are over students
    with a report (an import error counts as failing every test, as it does in the grade).
    """
    ids = list(students) if students is not None else list(reports)
    status_counts: dict[str, int] = {}
    for sid in ids:
        status = str(reports[sid]["status"]) if sid in reports else "missing"
        status_counts[status] = status_counts.get(status, 0) + 1
    present = [reports[sid] for sid in ids if sid in reports]
    scores = [float(r["score"]) for r in present]
    max_score = max((float(r["max_score"]) for r in present), default=0.0)

    histogram = [0] * BINS
    for s in scores:
        frac = s / max_score if max_score else 0.0
        histogram[min(int(frac * BINS), BINS - 1)] += 1

    titles = {p.id: p.title for p in assignment.parts} if assignment is not None else {}
    part_order = [p.id for p in assignment.parts] if assignment is not None else []
    parts: dict[str, dict[str, Any]] = {}
    tests: dict[tuple[str, str], dict[str, Any]] = {}
    for r in present:
        for p in r.get("parts", []):
            entry = parts.setdefault(p["id"], {
                "id": p["id"], "title": p.get("title") or titles.get(p["id"], p["id"]),
                "max_score": p["max_score"], "students": 0, "full_credit": 0, "_sum": 0.0,
                "tests_passed": 0, "tests_run": 0})
            entry["students"] += 1
            entry["_sum"] += p["score"]
            entry["full_credit"] += p["score"] >= p["max_score"] - 1e-9
            entry["tests_passed"] += p["passed"]
            entry["tests_run"] += p["tests"]
        for t in r.get("tests", []):
            key = (t["number"], t["name"])
            entry = tests.setdefault(key, {
                "number": t["number"], "name": t["name"], "part": t.get("part", ""),
                "max_score": t["max_score"], "hidden": "hidden" in t.get("tags", []),
                "passed": 0, "students": 0, "_sum": 0.0})
            entry["students"] += 1
            entry["passed"] += t["status"] == "passed"
            entry["_sum"] += t["score"]
    part_list = sorted(parts.values(), key=lambda p: (part_order.index(p["id"])
                                                      if p["id"] in part_order else len(part_order),
                                                      p["id"]))
    for p in part_list:
        p["mean_score"] = round(p.pop("_sum") / p["students"], 4)
        p["mean_fraction"] = round(p["mean_score"] / p["max_score"], 4) if p["max_score"] else 0.0
        p["full_credit_rate"] = _rate(p["full_credit"], p["students"])
        p["test_pass_rate"] = _rate(p["tests_passed"], p["tests_run"])
    rank = {p["id"]: i for i, p in enumerate(part_list)}
    # Group by part, public and hidden together, so a part the class failed shows as one block.
    test_list = sorted(tests.values(), key=lambda t: (rank.get(t["part"], len(rank)),
                                                       _number_key(t["number"])))
    for t in test_list:
        t["mean_score"] = round(t.pop("_sum") / t["students"], 4)
        t["pass_rate"] = _rate(t["passed"], t["students"])

    attention = []
    for sid in ids:
        found = reports.get(sid)
        if found is None or found["status"] != "graded":
            lines = str(found["output"]).splitlines() if found is not None else []
            attention.append({"id": sid,
                              "status": found["status"] if found is not None else "missing",
                              "message": "\n".join(lines[1:])[:500]})
    return {
        "assignment": present[0]["assignment"] if present else (
            assignment.name if assignment is not None else ""),
        "title": assignment.title if assignment is not None else "",
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "grader_version": __version__,
        "students": len(ids),
        "reports": len(present),
        "status_counts": dict(sorted(status_counts.items())),
        "max_score": max_score,
        "score": {
            "mean": round(statistics.fmean(scores), 4) if scores else 0.0,
            "median": round(statistics.median(scores), 4) if scores else 0.0,
            "min": min(scores, default=0.0),
            "max": max(scores, default=0.0),
            "stdev": round(statistics.pstdev(scores), 4) if scores else 0.0,
        },
        "histogram": [
            {"low": round(max_score * i / BINS, 4), "high": round(max_score * (i + 1) / BINS, 4),
             "count": c} for i, c in enumerate(histogram)
        ],
        "parts": part_list,
        "tests": test_list,
        "attention": attention,
        "ignored": list(ignored),
        "scores": {sid: reports[sid]["score"] for sid in ids if sid in reports},
    }


def _number_key(number: str) -> tuple[int | str, ...]:
    return tuple(int(x) if x.isdigit() else x for x in number.split("."))


def write_summary(out: str | Path, summary: Mapping[str, Any]) -> None:
    """Write ``summary.json`` and ``summary.html`` into ``out`` (each atomically)."""
    out = Path(out)
    for name, text in (("summary.json", json.dumps(summary, indent=2, allow_nan=False) + "\n"),
                       ("summary.html", render_html(summary))):
        tmp = out / f".{name}.{os.getpid()}.tmp"
        # A file name that is not UTF-8 (listed as ignored) shows as its escapes.
        tmp.write_text(text, encoding="utf-8", errors="backslashreplace")
        os.replace(tmp, out / name)


# -- HTML -------------------------------------------------------------------------------------

_E = html.escape


def _color(frac: float) -> str:
    if frac < 0.5:
        return "#c0392b"
    if frac < 0.8:
        return "#e08e0b"
    return "#2e8b57"


def _n(x: float) -> str:
    return f"{round(float(x), 2):g}"


def _histogram_svg(summary: Mapping[str, Any]) -> str:
    bins = summary["histogram"]
    width, height, left, bottom, top = 660, 240, 40, 40, 20
    plot_w, plot_h = width - left - 30, height - bottom - top
    peak = max((b["count"] for b in bins), default=0) or 1
    bar_w = plot_w / len(bins)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Distribution of total '
             f'scores">']
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
                 f'y2="{top + plot_h}" stroke="#555"/>')
    for i, b in enumerate(bins):
        h = plot_h * b["count"] / peak
        x = left + i * bar_w
        frac = (i + 0.5) / len(bins)
        parts.append(f'<rect x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 4:.1f}" '
                     f'height="{h:.1f}" fill="{_color(frac)}"><title>{_n(b["low"])}-'
                     f'{_n(b["high"])}: {b["count"]} students</title></rect>')
        if b["count"]:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 4:.1f}" '
                         f'text-anchor="middle" class="small">{b["count"]}</text>')
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'class="small">{i * 100 // len(bins)}%</text>')
    parts.append(f'<text x="{left + plot_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                 f'class="small">100%</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                 f'class="small">total score, share of {_n(summary["max_score"])} points</text>')
    parts.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="small" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">students</text>')
    parts.append("</svg>")
    return "".join(parts)


def _bars_svg(rows: Sequence[tuple[str, float, str]], label: str) -> str:
    """Horizontal bars: (label, fraction in [0, 1], text after the bar)."""
    width, row_h, label_w, bar_w = 900, 24, 380, 300
    height = row_h * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_E(label)}">']
    for i, (text, frac, note) in enumerate(rows):
        y = 5 + i * row_h
        shown = text if len(text) <= 52 else text[:51] + "\u2026"
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">'
                     f'<title>{_E(text)}</title>{_E(shown)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" '
                     f'fill="#eee"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * frac:.1f}" '
                     f'height="{row_h - 6}" fill="{_color(frac)}"/>')
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 16}">{_E(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 960px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 1.8em; }
.meta { color: #666; font-size: .9em; }
.cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; min-width: 8em; }
.card b { display: block; font-size: 1.4em; }
.alert { background: #fdecea; border-left: 4px solid #c0392b; padding: .6em 1em; }
table { border-collapse: collapse; font-size: .9em; }
td, th { border-bottom: 1px solid #eee; padding: .25em .8em; text-align: left;
         vertical-align: top; }
td.status { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; margin: 0; font-size: .85em; max-width: 600px; }
svg text { font-size: 13px; fill: #222; } svg text.small { font-size: 11px; fill: #555; }
details { margin-top: 1em; }
"""


def render_html(summary: Mapping[str, Any]) -> str:
    """One self-contained HTML page for the instructor."""
    s = summary
    title = f"{s['assignment']}: class summary"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{_E(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_E(title)}</h1>",
           f'<p class="meta">{_E(s.get("title", ""))}<br>generated {_E(s["generated"])} by '
           f'grader {_E(s["grader_version"])}</p>']
    score = s["score"]
    mx = s["max_score"]
    pct = f" ({100 * score['mean'] / mx:.0f}%)" if mx else ""
    cards = [("students", str(s["students"])),
             ("mean score", f"{_n(score['mean'])} / {_n(mx)}{pct}"),
             ("median", _n(score["median"])), ("lowest / highest",
                                              f"{_n(score['min'])} / {_n(score['max'])}")]
    cards += [(status, str(n)) for status, n in s["status_counts"].items()]
    out.append('<div class="cards">' + "".join(
        f'<div class="card"><b>{_E(v)}</b>{_E(k)}</div>' for k, v in cards) + "</div>")

    weak = sorted((t for t in s["tests"] if t["students"]), key=lambda t: t["pass_rate"])[:3]
    weak = [t for t in weak if t["pass_rate"] < 0.5]
    if weak:
        items = "".join(f"<li>{_E(t['number'])} {_E(t['name'])}: {t['passed']} of "
                        f"{t['students']} passed</li>" for t in weak)
        out.append(f'<div class="alert"><b>Most of the class failed:</b><ul>{items}</ul></div>')

    out.append("<h2>Score distribution</h2>")
    out.append(_histogram_svg(s))

    if s["parts"]:
        out.append("<h2>Parts: mean score (share of the part's points)</h2>")
        rows = [(f"{p['id']} {p['title']}", p["mean_fraction"],
                 f"{_n(p['mean_score'])}/{_n(p['max_score'])}, full credit "
                 f"{100 * p['full_credit_rate']:.0f}%") for p in s["parts"]]
        out.append(_bars_svg(rows, "mean score per part"))

    if s["tests"]:
        out.append("<h2>Tests: pass rate</h2>")
        rows = [(f"{t['number']} {t['name']}" + (" (hidden)" if t["hidden"] else ""),
                 t["pass_rate"], f"{t['passed']}/{t['students']} passed") for t in s["tests"]]
        out.append(_bars_svg(rows, "pass rate per test"))

    if s["attention"]:
        out.append("<h2>Submissions that were not graded normally</h2><table>"
                   "<tr><th>student</th><th>status</th><th>message</th></tr>")
        for a in s["attention"]:
            out.append(f"<tr><td>{_E(a['id'])}</td><td class=\"status\">{_E(a['status'])}</td>"
                       f"<td><pre>{_E(a['message'])}</pre></td></tr>")
        out.append("</table>")
    if s["ignored"]:
        out.append("<p>Entries that are not submissions (not a .py file, .ipynb notebook or "
                   "folder, or hidden: the name starts with a dot) and were ignored: "
                   + ", ".join(_E(x) for x in s["ignored"]) + "</p>")

    out.append(f"<details><summary>All {len(s['scores'])} students</summary><table>"
               "<tr><th>student</th><th>score</th></tr>")
    for sid, sc in s["scores"].items():
        out.append(f'<tr><td>{_E(sid)}</td><td class="num">{_n(sc)}</td></tr>')
    out.append("</table></details></body></html>\n")
    return "\n".join(out)
