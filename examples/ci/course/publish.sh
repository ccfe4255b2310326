#!/usr/bin/env bash
# Post each student's feedback (FEEDBACK/<login>.md from feedback.py) to their repository as an
# issue, with the GitHub CLI (`gh`, GH_TOKEN with "Issues: write" on those repositories).
#
#   bash publish.sh STUDENTS.txt FEEDBACK
#
# STUDENTS.txt as for collect.sh ("LOGIN URL"). PUBLISH_DRY_RUN=1 prints what it would post.
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: publish.sh STUDENTS.txt FEEDBACK" >&2
  exit 2
fi
title="Feedback: ${ASSIGNMENT:-assignment} ($(date -u +%Y-%m-%d))"
failed=0
while read -r login url _; do
  case "$login" in ""|\#*) continue ;; esac
  body="$2/$login.md"
  [ -f "$body" ] || continue
  repo="${url#https://github.com/}"
  repo="${repo%.git}"
  if [ -n "${PUBLISH_DRY_RUN:-}" ]; then
    echo "would post $body to $repo"
  elif ! gh issue create --repo "$repo" --title "$title" --body-file "$body" >/dev/null; then
    echo "publish.sh: could not post to $repo" >&2
    failed=1
  fi
done < "$1"
exit "$failed"
