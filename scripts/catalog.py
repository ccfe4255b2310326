"""Print (or --write into README.md) the table of every assignment, part and points.

Points come from the tests themselves (collected, not run), so the table cannot drift from what
is graded. Usage: python scripts/catalog.py [--write]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.assignment import read  # noqa: E402
from grader.run import run_pytest  # noqa: E402

START, END = "<!-- catalog:start -->", "<!-- catalog:end -->"


def table() -> str:
    from grader.answers import answer_specs

    rows = ["| assignment | part | what | seed section | public tests | hidden tests | typed answers "
            "| total |",
            "|---|---|---|---|---:|---:|---:|---:|"]
    for folder in sorted((ROOT / "problems").glob("*/assignment.toml")):
        a = read(folder.parent)
        outcomes = run_pytest(a, None, public_only=False, collect_only=True)
        answers = answer_specs(a)
        part_ids = [p.id for p in a.parts] + sorted(
            ({o.info.part or "-" for o in outcomes} | {s.part or "-" for s in answers})
            - {p.id for p in a.parts})
        parts = {p.id: p for p in a.parts}
        total = 0.0
        for pid in part_ids:
            pub = sum(o.info.points for o in outcomes
                      if (o.info.part or "-") == pid and "public" in o.info.tags)
            hid = sum(o.info.points for o in outcomes
                      if (o.info.part or "-") == pid and "hidden" in o.info.tags)
            ans = sum(s.points for s in answers if (s.part or "-") == pid)
            if not pub + hid + ans:
                continue
            total += pub + hid + ans
            p = parts.get(pid)
            rows.append(f"| {a.name} | {pid} | {p.title if p else pid} | "
                        f"{p.source if p else ''} | {pub:g} | {hid:g} | {ans:g} | "
                        f"{pub + hid + ans:g} |")
        rows.append(f"| **{a.name}** | | **total** | seed {a.seed} | | | | **{total:g}** |")
    return "\n".join(rows)


def main() -> int:
    text = table()
    if "--write" in sys.argv:
        readme = ROOT / "README.md"
        content = readme.read_text()
        new = re.sub(re.escape(START) + ".*?" + re.escape(END),
                     lambda _m: f"{START}\n{text}\n{END}", content, flags=re.S)
        readme.write_text(new)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
