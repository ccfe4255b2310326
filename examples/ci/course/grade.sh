#!/usr/bin/env bash
# Grade every collected submission with the hidden tests: `grader batch`, as root when it can.
#
#   bash grade.sh ASSIGNMENT SUBMISSIONS OUT
#
# GRADER: the grader command (default: grader on PATH). GRADER_SUDO: auto (default) runs the
# grader under `sudo -n` when this user may, never runs it as this user.
#
# Why sudo: on GitHub-hosted Ubuntu runners unprivileged user namespaces are restricted, so an
# ordinary user's grader gets no namespaces; as root it gets them (and a uid per worker). OUT is
# handed back to this user afterwards so later steps can read it.
# Exit codes are grader batch's: 0 every student got a report, 1 some did not, 2 bad arguments.
set -uo pipefail

if [ $# -ne 3 ]; then
  echo "usage: grade.sh ASSIGNMENT SUBMISSIONS OUT" >&2
  exit 2
fi
ASSIGNMENT="$1"
SUBMISSIONS="$2"
OUT="$3"
GRADER="${GRADER:-$(command -v grader || echo grader)}"

run=("$GRADER")
how="as $(id -un)"
if [ "$(id -u)" != 0 ] && [ "${GRADER_SUDO:-auto}" = auto ] && sudo -n true 2>/dev/null; then
  # sudo resets PATH: GRADER is an absolute path; GRADER_PROBLEMS says where the course is.
  run=(sudo -n env "GRADER_PROBLEMS=${GRADER_PROBLEMS:-$PWD/problems}" "$GRADER")
  how="as root (sudo)"
fi
echo "grading $ASSIGNMENT $how: ${run[*]} batch"
"${run[@]}" batch "$ASSIGNMENT" "$SUBMISSIONS" -o "$OUT"
code=$?
if [ "${run[0]}" = sudo ] && [ -d "$OUT" ]; then
  sudo -n chown -R "$(id -u):$(id -g)" "$OUT"
fi
# The isolation each student was graded under, as the reports say (a summary for the log).
python3 - "$OUT" <<'PY' || true
import json, sys
from collections import Counter
from pathlib import Path

levels = Counter()
for path in Path(sys.argv[1]).glob("*.json"):
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        continue
    if isinstance(report, dict) and "isolation" in report:
        levels[report["isolation"].get("level", "unknown")] += 1
print("isolation:", ", ".join(f"{n} at {lvl}" for lvl, n in sorted(levels.items())) or "none")
PY
exit "$code"
