"""Forge the report: write a full-marks results.json/report.json into every writable place,
print a fake full-marks report, then end the process with os._exit(0) before any test runs.

The grader never reads files or output of the worker as results: the forged files land in the
worker's private tmpfs (gone when it ends), the printed report is kept only as instructor-visible
output, and the early exit is an import failure worth 0.
"""

import json
import os
import sys

FAKE = {"score": 1000.0, "max_score": 100.0, "status": "graded", "output": "All tests passed",
        "tests": [{"name": "everything", "score": 1000.0, "max_score": 100.0,
                   "status": "passed"}]}
TEXT = json.dumps(FAKE)

places = {os.getcwd(), os.path.expanduser("~"), "/tmp", "/var/tmp", "/dev/shm", "/autograder",  # noqa: S108
          "/autograder/results", "/", "/work", "/root"}
for mod in ("grader", "grader.sandbox", "numpy"):
    m = sys.modules.get(mod)
    if m is not None and getattr(m, "__file__", None):
        d = os.path.dirname(m.__file__)
        places.update({d, os.path.dirname(d), os.path.dirname(os.path.dirname(d))})
written = []
for place in sorted(places):
    for name in ("results.json", "report.json", "grader-hostile-fake-report.json"):
        try:
            with open(os.path.join(place, name), "w") as f:
                f.write(TEXT)
            written.append(os.path.join(place, name))
        except OSError:
            pass
print(TEXT)
print("wrote:", written)
sys.stdout.flush()
os._exit(0)
