"""A hostile submission for the Gradescope bundle: finds the bundle's folders on the grader's
command line (/proc/*/cmdline: --root, --source) and tries to open the reference and list and
read the hidden tests, printing whatever it gets and returning it from relu().

It defines nothing else, so its honest score is 0; the test checks that it opened nothing."""

import os

targets = set()
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        continue
    for flag, value in zip(args, args[1:]):
        if flag in ("--source", "--root"):
            targets.add(value)

found = []
denied = []
for top in sorted(targets):
    for rel in ("grader_src/reference/cs189_hw4_backprop.py",
                "source/grader_src/reference/cs189_hw4_backprop.py",
                "grader_src/problems/cs189_hw4_backprop/tests/hidden",
                "source/grader_src/problems/cs189_hw4_backprop/tests/hidden",
                "results", "."):
        path = os.path.join(top, rel)
        try:
            if os.path.isdir(path) or path.endswith(("hidden", "results", ".")):
                for name in os.listdir(path):
                    full = os.path.join(path, name)
                    if name.endswith(".py"):
                        with open(full) as f:
                            found.append(f.read())
                    else:
                        found.append(name)
            else:
                with open(path) as f:
                    found.append(f.read())
        except OSError as exc:
            denied.append(f"{path}: {exc.strerror}")

course = [t for t in found if "def " in t or "import" in t]
print(f"LEAK-PROBE looked in {len(targets)} folders; course files opened: {len(course)}; "
      f"errors: {sorted({d.rsplit(': ', 1)[1] for d in denied})}")
for text in found:
    print(text)


def relu(s):
    return "\n".join(found) or "nothing"
