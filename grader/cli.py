"""The ``grader`` command: a thin layer over the library (one library call per command).

Exit codes (a stable contract that scripts rely on):
  0  a report was written (whatever the score), or the check/verification succeeded;
  1  an internal error of the grader (or, for verify/equiv, a claim or answer that does not hold);
  2  a usage error: bad arguments, unknown assignment, unparsable input.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader import __version__
from grader.errors import AssignmentError, UsageError
from grader.text import for_terminal, json_for_terminal


def _cmd_grade(args: argparse.Namespace) -> int:
    from grader.api import grade
    from grader.report import to_json

    report = grade(args.assignment, args.submission, validate_report=args.validate,
                   require_isolation=False if args.allow_unisolated else None)
    text = to_json(report)
    if args.output:
        _write_atomic(Path(args.output), text)
    else:
        _write_json(text)
    print(for_terminal(f"{report['assignment']}: {report['score']:g}/{report['max_score']:g} "
                       f"({report['status']}) {args.submission}"), file=sys.stderr)
    refused = report.get("instructor", {}).get("refused")
    if refused:
        print(for_terminal(f"grader: {refused}"), file=sys.stderr)
        return 1
    if report["status"] == "internal-error":
        print("grader: some tests could not run (a problem in the grader or the assignment's "
              "tests); see the report's instructor section", file=sys.stderr)
        return 1
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from grader.api import grade
    from grader.report import to_json

    report = grade(args.assignment, args.submission, public_only=True)
    if args.json:
        _write_json(json_for_terminal(to_json(report)))
    else:
        # What the terminal's encoding cannot show is shown as an escape, never an error.
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(format_check(report).encode(encoding, "backslashreplace")
                         .decode(encoding))
    return 0


def _write_json(text: str) -> None:
    """JSON to stdout as UTF-8 (what JSON is), whatever encoding the terminal's locale names."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def format_check(report: dict[str, Any]) -> str:
    """A student-readable summary of a report (what ``grader check`` prints).

    Every piece of text from the report goes through ``for_terminal``, one line at a time: a
    message cannot clear the screen, set the window title, or use a carriage return to print
    over a line with a forged score. Only newlines lay out lines, and only ours.
    """
    lines = [f"{for_terminal(report['assignment'])}: public tests only (hidden tests run when "
             "you hand in)", ""]
    names = [for_terminal(t["name"]) for t in report["tests"]]
    width = max((len(n) for n in names), default=10)
    for t, name in zip(report["tests"], names, strict=True):
        mark = "PASS" if t["status"] == "passed" else "FAIL"
        lines.append(f"  {mark}  {for_terminal(t['number']):<8} {name:<{width}}  "
                     f"{t['score']:g}/{t['max_score']:g}")
        for line in t["output"].split("\n"):
            if line:
                lines.append(f"        {for_terminal(line)}")
    lines += ["", *(for_terminal(line) for line in report["output"].split("\n")), ""]
    return "\n".join(lines)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so readers see the old file or the whole new one, never half of it.

    Only a regular file (or a new path) is replaced by renaming: renaming over ``/dev/null`` or a
    pipe would replace the device itself.
    """
    import os
    import stat
    import tempfile

    data = text.encode("utf-8")  # before any file is touched: a failure leaves nothing
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        with path.open("wb") as f:
            f.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        # A full disk or an interrupt: no half-written temporary file is left behind.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _cmd_verify(args: argparse.Namespace) -> int:
    from grader.verify import run_verify

    return run_verify(args.assignments or None, as_json=args.json, out=sys.stdout)


def _cmd_equiv(args: argparse.Namespace) -> int:
    from grader.equiv import run_equiv_cli

    return run_equiv_cli(args.symbols, args.expected, args.given, as_json=args.json,
                         out=sys.stdout)


def _cmd_list(args: argparse.Namespace) -> int:
    from grader.answers import run_list_cli

    return run_list_cli(args.assignment, as_json=args.json, out=sys.stdout)


def _cmd_batch(args: argparse.Namespace) -> int:
    from grader.batch import ZipLimits, batch

    limits = ZipLimits(max_members=args.max_members, max_total_bytes=args.max_bytes)
    result = batch(args.assignment, args.submissions, args.output, jobs=args.jobs,
                   force=args.force, zip_limits=limits, validate=args.validate,
                   require_isolation=False if args.allow_unisolated else None)
    counts: dict[str, int] = {}
    for status in result.statuses.values():
        counts[status] = counts.get(status, 0) + 1
    print(f"{len(result.students)} students ({len(result.graded)} graded in this run, "
          f"{len(result.skipped)} kept from an earlier one); status: "
          + ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))
          + f"; reports in {result.out}", file=sys.stderr)
    if result.failed:
        refused = _refusal(result.out / f"{result.failed[0]}.json")
        if refused:
            # Every student of the run met the same platform: say why once, not per student.
            print(for_terminal(f"grader: {refused}"), file=sys.stderr)
        # Student ids are file names from a class's export: printed escaped, like all their text.
        print(for_terminal(f"grader: the grader failed on {', '.join(result.failed)}; see "
                           f"{result.out / 'batch.log'} and run the batch again"),
              file=sys.stderr)
    return 0 if result.ok else 1


def _refusal(report_path: Path) -> str:
    """The instructor's refusal message of a report the grader wrote, if grading was refused."""
    import json

    try:
        report = json.loads(report_path.read_text())
        return str(report.get("instructor", {}).get("refused") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def _cmd_export(args: argparse.Namespace) -> int:
    from grader.export import export_gradescope

    path = export_gradescope(args.assignment, args.output)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _cmd_student_kit(args: argparse.Namespace) -> int:
    from grader.kit import student_kit

    path = student_kit(args.assignment, args.output, force=args.force)
    print(f"wrote {path}", file=sys.stderr)
    return 0


_ALLOW_HELP = ("grade even where the worker's probe finds the hidden tests, reference or "
               "network within its reach (by default grading is then refused with exit 1)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Grade machine-learning homework in an isolated worker.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("grade", help="run all tests on a submission and write its JSON report",
                       description="Run public and hidden tests; write the JSON report to stdout "
                                   "or -o, and a one-line summary to stderr. Exit 0 whenever a "
                                   "report was written.")
    p.add_argument("assignment", help="assignment folder, or a name under problems/")
    p.add_argument("submission", help=".py file, .ipynb notebook, or folder")
    p.add_argument("-o", "--output", help="write the report here instead of stdout")
    p.add_argument("--validate", action="store_true",
                   help="also check the report against its JSON Schema (slower start)")
    p.add_argument("--allow-unisolated", action="store_true", help=_ALLOW_HELP)
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("check", help="run the public tests and print a readable summary",
                       description="What students run before handing in: public tests only.")
    p.add_argument("assignment", help="assignment folder, or a name under problems/")
    p.add_argument("submission", help=".py file, .ipynb notebook, or folder")
    p.add_argument("--json", action="store_true", help="print the JSON report instead")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("verify", help="check every closed-form derivation (SymPy/numeric)",
                       description="Prove or numerically check the derivations the reference "
                                   "solutions rest on. Exit 0 only when every claim holds.")
    p.add_argument("assignments", nargs="*", help="only the claims of these assignments")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("equiv", help="check whether a typed answer equals an expected one",
                       description="Decide equivalence of two math expressions with a shape "
                                   "table; exit 0 equivalent, 1 not, 2 unparsable.")
    p.add_argument("--symbols", required=True, help='e.g. "X: n x m; a: m x 1; b: m x 1"')
    p.add_argument("--expected", required=True, help="the expected answer")
    p.add_argument("given", help="the answer to check")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_equiv)

    p = sub.add_parser("list", help="show an assignment's typed-answer parts and how to write "
                                    "them",
                       description="List the typed answers an assignment asks for: id, kind, "
                                   "points, symbols with their shapes and the form the answer "
                                   "takes. Never shows expected answers.")
    p.add_argument("assignment", help="assignment folder, or a name under problems/")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("batch", help="grade a folder or zip export of submissions in parallel",
                       description="Grade every student's file or folder (or a Gradescope/LMS "
                                   "zip export) into OUT: one report per student, "
                                   "gradebook.csv, summary.json and summary.html. Running it "
                                   "again grades only unfinished, failed or changed students. "
                                   "Exit 0 when every student got a report the grader did not "
                                   "fail on, 1 when it failed on some or refused to grade, 2 "
                                   "for a usage error (an unsafe zip included), 130 when "
                                   "interrupted (reports written so far are kept).")
    p.add_argument("assignment", help="assignment folder, or a name under problems/")
    p.add_argument("submissions", help="folder with one entry per student, or a .zip export")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("-j", "--jobs", type=int, default=None,
                   help="submissions graded in parallel (default: number of CPUs)")
    p.add_argument("--force", action="store_true",
                   help="grade everyone again, even students with a finished report")
    p.add_argument("--validate", action="store_true",
                   help="also check every report against its JSON Schema (slower)")
    p.add_argument("--max-members", type=int, default=20_000,
                   help="most entries a zip export may have (default 20000)")
    p.add_argument("--max-bytes", type=int, default=2 * 1024**3,
                   help="most bytes a zip export may unpack to (default 2 GiB)")
    p.add_argument("--allow-unisolated", action="store_true", help=_ALLOW_HELP)
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser("export", help="build a Gradescope autograder bundle",
                       description="Write a Gradescope autograder zip: setup.sh, "
                                   "run_autograder, the grader, the assignment (hidden tests "
                                   "included) and its reference solution.")
    p.add_argument("target", choices=["gradescope"], help="the platform to export for")
    p.add_argument("assignment", help="assignment folder, or a name under problems/")
    p.add_argument("-o", "--output", default="autograder.zip", help="the zip to write")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("student-kit", help="write what students get: statement, starter, "
                                           "public tests",
                       description="Write a folder for students: the statement, the starter "
                                   "file, the public tests and how to run grader check. No "
                                   "hidden test, reference solution or answer key.")
    p.add_argument("assignment", help="assignment folder, or a name under problems/")
    p.add_argument("-o", "--output", required=True, help="the folder to create")
    p.add_argument("--force", action="store_true", help="replace the folder if it exists")
    p.set_defaults(func=_cmd_student_kit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (UsageError, AssignmentError) as exc:
        print(for_terminal(f"grader: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - the contract: an internal error is exit 1, with its trace
        print("grader: internal error (a bug in the grader, not in the submission):",
              file=sys.stderr)
        traceback.print_exc()
        return 1


_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def entry() -> None:
    """The ``grader`` command: ``main``, then exit without the interpreter's slow teardown.

    Every command has finished its work and closed its files and workers when ``main`` returns;
    what is left is freeing NumPy's, pytest's and the schema validator's modules one by one
    (about 50 ms, a twentieth of a whole grade). Output is flushed first.

    BLAS runs on one thread here unless the environment says otherwise: the grader's own
    linear algebra (reference solutions, checks) is small, and on a busy machine idle BLAS
    threads spin on the cores the student's code runs on.
    """
    for name in _BLAS_THREADS:
        os.environ.setdefault(name, "1")
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more can be said
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    entry()
