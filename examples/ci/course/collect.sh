#!/usr/bin/env bash
# Clone every student's repository, read-only, into SUBMISSIONS/<login>/ for `grader batch`.
#
#   bash collect.sh STUDENTS.txt SUBMISSIONS
#
# STUDENTS.txt: one student per line, "LOGIN URL" (blank lines and # comments ignored). When it
# does not exist and STUDENT_REPO_PREFIX is set, the list is COURSE_ORG's repositories named
# PREFIX-LOGIN, from the GitHub CLI (`gh`, with GH_TOKEN).
#
# GIT_TOKEN (optional): a read-only token for https URLs. It is passed to git in the
# environment of each clone, never written to a git config or a file.
#
# Each clone is shallow (the latest commit), its .git and .github are removed, and nothing in it
# is run: the student's files are data for the grader's sandbox. A repository that cannot be
# cloned is listed in SUBMISSIONS.failed.txt and the others are still collected.
# Exit 0 when every student was collected, 1 when some were not, 2 on bad arguments.
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: collect.sh STUDENTS.txt SUBMISSIONS" >&2
  exit 2
fi
LIST="$1"
OUT="$2"
FAILED="$OUT.failed.txt"
mkdir -p "$OUT"
: > "$FAILED"

if [ ! -f "$LIST" ]; then
  if [ -z "${STUDENT_REPO_PREFIX:-}" ]; then
    echo "collect.sh: no $LIST and no STUDENT_REPO_PREFIX" >&2
    exit 2
  fi
  LIST="$(mktemp)"
  org="${STUDENT_REPO_ORG:-${GITHUB_REPOSITORY_OWNER:?set STUDENT_REPO_ORG}}"
  gh repo list "$org" --limit 5000 --json name,url \
    --jq ".[] | select(.name | startswith(\"$STUDENT_REPO_PREFIX-\"))
              | \"\(.name | ltrimstr(\"$STUDENT_REPO_PREFIX-\")) \(.url)\"" > "$LIST" || {
    echo "collect.sh: could not list the repositories of $org" >&2
    exit 1
  }
fi

git_auth=()
if [ -n "${GIT_TOKEN:-}" ]; then
  # A header for this git process only (GIT_CONFIG_* are read from the environment).
  basic="$(printf 'x-access-token:%s' "$GIT_TOKEN" | base64 -w0)"
  git_auth=(env GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader
            "GIT_CONFIG_VALUE_0=Authorization: Basic $basic")
fi

count=0
while read -r login url _; do
  case "$login" in ""|\#*) continue ;; esac
  # A login becomes a folder name: letters, digits, '-', '_' and '.' only, never '..'.
  if ! [[ "$login" =~ ^[A-Za-z0-9_.-]+$ ]] || [ "$login" = . ] || [ "$login" = .. ]; then
    echo "$login: not a valid login" >> "$FAILED"
    continue
  fi
  dest="$OUT/$login"
  rm -rf "$dest"
  if GIT_TERMINAL_PROMPT=0 "${git_auth[@]}" git -c protocol.file.allow=always \
      -c core.symlinks=false clone --quiet --depth 1 --no-tags "$url" "$dest" 2>/dev/null; then
    rm -rf "$dest/.git" "$dest/.github"
    count=$((count + 1))
  else
    rm -rf "$dest"
    echo "$login: could not clone $url" >> "$FAILED"
  fi
done < "$LIST"

echo "collected $count submissions into $OUT"
if [ -s "$FAILED" ]; then
  echo "not collected (see $FAILED):" >&2
  cat "$FAILED" >&2
  exit 1
fi
rm -f "$FAILED"
