#!/usr/bin/env bash
# Grade a student's checkout in CI with the course's private autograder bundle.
#
# The bundle is what `grader export gradescope ASSIGNMENT -o autograder.zip` writes: the grader,
# the assignment with its hidden tests, and the reference solution. It never lives in the
# student's repository: this script takes it from a path or downloads it with a token, checks
# its hash, and grades a copy of the student's files in a folder outside the workspace.
#
# Run from the root of the student's checkout:   bash /path/to/grade.sh
#
# Environment:
#   AUTOGRADER_ZIP     path of the bundle, or
#   AUTOGRADER_URL     where to download it (https://... or file://...)        (a CI secret)
#   AUTOGRADER_TOKEN   bearer token for AUTOGRADER_URL, if it needs one          (a CI secret)
#   AUTOGRADER_SHA256  the bundle's expected sha256; grading stops on a mismatch (recommended)
#   GRADER_PYTHON      an interpreter that already has the grader's dependencies (skips the
#                      venv that setup.sh would build; for self-hosted runners and tests)
#   GRADE_OUT          folder that receives results.json (default: ./grade-results)
#
# Exit codes: 0 a report was written, whatever the score (a low score is not a CI failure);
#             1 grading itself failed (bundle missing or altered, grader error);
#             2 misconfigured (neither AUTOGRADER_ZIP nor AUTOGRADER_URL).
set -uo pipefail

STUDENT="$(pwd)"
OUT="${GRADE_OUT:-$STUDENT/grade-results}"
WORK="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/grade.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "grade.sh: $*" >&2; exit 1; }

if [ -n "${AUTOGRADER_ZIP:-}" ]; then
  cp "$AUTOGRADER_ZIP" "$WORK/autograder.zip" || fail "cannot read $AUTOGRADER_ZIP"
elif [ -n "${AUTOGRADER_URL:-}" ]; then
  auth=()
  if [ -n "${AUTOGRADER_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $AUTOGRADER_TOKEN"); fi
  curl -fsSL --retry 3 "${auth[@]}" "$AUTOGRADER_URL" -o "$WORK/autograder.zip" ||
    fail "could not download the autograder bundle"
else
  echo "grade.sh: set AUTOGRADER_ZIP or AUTOGRADER_URL (see the top of this script)" >&2
  exit 2
fi
if [ -n "${AUTOGRADER_SHA256:-}" ]; then
  echo "$AUTOGRADER_SHA256  $WORK/autograder.zip" | sha256sum -c --status ||
    fail "the autograder bundle does not have the expected sha256; refusing to grade with it"
fi

# The layout Gradescope uses, which the bundle's scripts expect.
mkdir -p "$WORK/source" "$WORK/submission" "$WORK/results"
python3 -m zipfile -e "$WORK/autograder.zip" "$WORK/source/" || fail "the bundle is not a zip"
# Only the student's files are copied, never their CI configuration or git metadata; the loader
# then takes only code and data files, and nothing in them runs outside the sandbox.
tar -C "$STUDENT" --exclude=./.git --exclude=./.github --exclude=./grade-results -cf - . |
  tar -C "$WORK/submission" -xf - || fail "could not copy the submission"

export AUTOGRADER_ROOT="$WORK" GRADER_VENV="$WORK/venv"
if [ -z "${GRADER_PYTHON:-}" ]; then
  bash "$WORK/source/setup.sh" > "$WORK/setup.log" 2>&1 ||
    { cat "$WORK/setup.log" >&2; fail "installing the grader failed"; }
fi
bash "$WORK/source/run_autograder"
code=$?

mkdir -p "$OUT"
if [ -f "$WORK/results/results.json" ]; then
  cp "$WORK/results/results.json" "$OUT/results.json"
  line="$(python3 - "$OUT/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("Score: %g / %g (%s)" % (r.get("score", 0), r.get("max_score", 0), r.get("status", "failed")))
PY
)"
  echo "$line"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then echo "### $line" >> "$GITHUB_STEP_SUMMARY"; fi
fi
exit "$code"
