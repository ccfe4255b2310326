"""Benchmark grading speed and memory against floors measured in the same run.

    python benchmarks/bench.py [--quick] [--sizes 100 1000] [--assignments mathml_hw4 cs229_ps2]

Prints, for each assignment: the median wall time of one `grader grade` of the correct example
against the `python -c "import numpy"` floor; batch throughput at each class size with 2 workers
against a floor that calls the same test functions directly in plain Python processes (no pytest,
no isolation, no reports) split over 2 cores; the worked-network part alone; and peak memory of the
grader process and of one worker. Otter-Grader, when installed in an environment of its own, is
timed on the Otter-format twin of mathml_hw4's worked network (``otter.py``) beside our grade of
the same part, with the two tools' scores compared; a row says so when it is absent.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GRADER = [sys.executable, "-m", "grader"]


# -- building a class ---------------------------------------------------------------------------
def build_class(assignment: str, n: int, dest: Path) -> Path:
    """``n`` submissions cycling through the assignment's examples (.py and .ipynb)."""
    examples = sorted(p for p in (ROOT / "submissions" / "examples" / assignment).iterdir()
                      if p.suffix in (".py", ".ipynb"))
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        src = examples[i % len(examples)]
        shutil.copy(src, dest / f"student{i:04d}{src.suffix}")
    return dest


def worked_network_only(assignment_dir: Path, course: Path) -> Path:
    """A copy of mathml_hw4 keeping only the worked-network tests (sections 3.1 and 3.3), laid
    out like a course checkout (``problems/`` beside ``reference/``) so its reference is found."""
    dest = course / "problems" / assignment_dir.name
    shutil.copytree(assignment_dir, dest)
    (course / "reference").symlink_to(ROOT / "reference")
    for test in dest.glob("tests/*/test_*.py"):
        if "worked" not in test.name:
            test.unlink()
    return dest


# -- floors ------------------------------------------------------------------------------------
def wall(cmd: list[str], **kw: object) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t


def median_wall(cmd: list[str], runs: int) -> float:
    return statistics.median(wall(cmd) for _ in range(runs))


def _direct_calls(args: tuple[str, list[str]]) -> int:
    """Floor worker: import each submission in-process and call every test function directly."""
    assignment_dir, paths = args
    # What submissions print goes nowhere (the grader keeps it in the worker's output buffer),
    # not into the benchmark's table.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of this process
    from grader.assignment import read
    from grader.errors import LoadError
    from grader.load import load_submission
    from grader.plugin import Credit, rng_for

    a = read(Path(assignment_dir))
    reference = importlib.import_module(a.reference_module)
    tests = []
    for f in sorted(a.path.glob("tests/*/test_*.py")):
        spec = importlib.util.spec_from_file_location(f"floor_{f.parent.name}_{f.stem}", f)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests += [fn for name, fn in vars(mod).items() if name.startswith("test_")
                  and callable(fn)]
    calls = 0
    for path in paths:
        try:
            sub = load_submission(path, module=a.module)
        except LoadError:
            continue
        module = type(sys)(a.module)
        try:
            exec(compile(sub.files[f"{a.module}.py"], path, "exec"), module.__dict__)
        except BaseException:  # noqa: BLE001 - broken submissions fail their import, as graded
            continue
        for fn in tests:
            kwargs = {}
            for name in inspect.signature(fn).parameters:
                kwargs[name] = {"submission": module, "reference": reference,
                                "rng": rng_for(a.name, fn.__name__),
                                "credit": Credit()}.get(name)
            try:
                fn(**kwargs)
            except BaseException:  # noqa: BLE001, S110 - a failing test is still a test run
                pass
            calls += 1
    return calls


def single_direct_floor(assignment_dir: Path, submission: Path, runs: int) -> float:
    """Median wall time of a fresh interpreter that imports NumPy and calls the same test
    functions directly on one submission: the issue's "interpreter start plus the student's
    compute" (and the reference's), with no pytest, isolation or report."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import bench; "
            "bench._direct_calls((sys.argv[2], [sys.argv[3]]))")
    return median_wall([sys.executable, "-c", code, str(Path(__file__).parent),
                        str(assignment_dir), str(submission)], runs)


def direct_floor(assignment_dir: Path, folder: Path, jobs: int = 2) -> float:
    """Wall time of the same test functions called directly, split over ``jobs`` processes."""
    paths = sorted(str(p) for p in folder.iterdir())
    chunks = [(str(assignment_dir), paths[i::jobs]) for i in range(jobs)]
    t = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pool.map(_direct_calls, chunks)
    return time.perf_counter() - t


# -- memory ------------------------------------------------------------------------------------
def grader_peak_mib(assignment: str, submission: Path) -> float:
    """Peak RSS of a `grader grade` process (its own, not its worker's)."""
    code = ("import resource, sys; from grader.api import grade; "
            f"grade({assignment!r}, {str(submission)!r}, validate_report=False); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return int(out.split()[-1]) / 1024


def worker_peak_mib(assignment: str, submission: Path) -> float:
    """Peak RSS of one worker after it imported the submission and served a call."""
    from grader.assignment import resolve
    from grader.load import load_submission
    from grader.sandbox import Sandbox, SubmissionProxy

    a = resolve(assignment)
    sub = load_submission(submission, module=a.module)
    with Sandbox(sub.files, sub.entry, limits=a.limits) as sb:
        SubmissionProxy(sb).forward([1.0, -1.0], {k: 0.5 for k in
                                                  ("W13", "W14", "W23", "W24", "W35", "W45")})
        pids = [sb._p.proc.pid] if sb._p else []
        for pid in list(pids):
            children = Path(f"/proc/{pid}/task/{pid}/children")
            if children.exists():
                pids += [int(c) for c in children.read_text().split()]
        peak = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak / 1024


# -- Otter-Grader --------------------------------------------------------------------------------
def otter_rows(work: Path, runs: int) -> list[tuple[str, str, str, str]]:
    """Otter-Grader against us on the twin of mathml_hw4's worked network (``otter.py``), when
    Otter is installed in an environment of its own; one row saying so when it is not."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import otter as twin_bench  # benchmarks/otter.py, not the otter-grader package

    exe = twin_bench.find_otter()
    if exe is None:
        return [("otter-grader", "not measured: no `otter` found ($OTTER, "
                 "/opt/otter-venv/bin/otter, PATH); install otter-grader[grading] in a separate "
                 "environment", "", "")]
    twin = twin_bench.prepare(work / "otter", exe)
    correct = ROOT / "submissions" / "examples" / "mathml_hw4" / "correct.py"
    theirs = twin_bench.time_single(twin, correct, runs)
    part = work / "course" / "problems" / "mathml_hw4"
    if not part.is_dir():
        worked_network_only(ROOT / "problems" / "mathml_hw4", work / "course")
    ours_part = median_wall([*GRADER, "grade", str(part), str(correct), "-o", os.devnull], runs)
    rows = [
        (f"otter-grader {twin.version}: otter run, worked-network twin, correct.py (median of "
         f"{runs})", f"{theirs:.3f} s", "", "1.0x"),
        ("ours: grader grade, worked-network part only, same file", f"{ours_part:.3f} s", "",
         f"{ours_part / theirs:.2f}x otter"),
        ("otter-grader: peak memory, otter process + kernel",
         f"{twin_bench.peak_mib(twin, correct):.0f} MiB", "", ""),
        ("otter-grader: batch", f"not measured: {twin_bench.NO_BATCH}", "", ""),
    ]
    for a in twin_bench.agree(twin, [correct.parent / n for n in twin_bench.AGREE_EXAMPLES]):
        verdict = "same" if a.agree else "differ: " + "; ".join(a.mismatches[:2])
        note = twin_bench.KNOWN_DIFFERENCES.get(a.submission, "")
        rows.append((f"score agreement, {a.submission}",
                     f"otter {a.otter:g}/{a.otter_max:g}, ours {a.ours:g}/{a.max_score:g}", verdict,
                     note))
    return rows


# -- main --------------------------------------------------------------------------------------
def batch_wall(assignment: str | Path, folder: Path, out: Path, jobs: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, CI="1")
    return wall([*GRADER, "batch", str(assignment), str(folder), "-o", str(out), "-j", str(jobs)],
                env=env, stderr=subprocess.DEVNULL)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, "
            f"{mem:.0f} GiB, Python {platform.python_version()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--assignments", nargs="+", default=["mathml_hw4", "cs229_ps2"])
    parser.add_argument("--runs", type=int, default=5, help="runs for medians")
    parser.add_argument("--quick", action="store_true", help="sizes 20 and 40, 3 runs")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = [20, 40], 3
    # One BLAS thread per process everywhere, floors included: the floor's processes are one per
    # core, as the grader's are (the `grader` command sets the same unless told otherwise).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    rows: list[tuple[str, str, str, str]] = []
    numpy_floor = median_wall([sys.executable, "-c", "import numpy"], args.runs)
    rows.append(("floor: python -c 'import numpy'", f"{numpy_floor:.3f} s", "", "1.0x"))
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        for assignment in args.assignments:
            a_dir = ROOT / "problems" / assignment
            correct = ROOT / "submissions" / "examples" / assignment / "correct.py"
            single = median_wall([*GRADER, "grade", assignment, str(correct), "-o", os.devnull],
                                 args.runs)
            direct = single_direct_floor(a_dir, correct, args.runs)
            rows.append((f"{assignment}: same calls made directly, fresh process (median of "
                         f"{args.runs})", f"{direct:.3f} s", "",
                         f"{direct / numpy_floor:.1f}x import-numpy"))
            rows.append((f"{assignment}: single grade (median of {args.runs})",
                         f"{single:.3f} s", "", f"{single / numpy_floor:.1f}x import-numpy, "
                                                f"{single / direct:.2f}x direct calls"))
            for n in args.sizes:
                folder = build_class(assignment, n, work / f"{assignment}-{n}")
                ours = batch_wall(assignment, folder, work / f"out-{assignment}-{n}", 2)
                floor = direct_floor(a_dir, folder)
                rows.append((f"{assignment}: batch N={n}, 2 workers", f"{ours:.1f} s",
                             f"{n / ours:.1f} subs/s", f"{ours / floor:.2f}x direct floor "
                                                        f"({floor:.1f} s)"))
            if assignment == "mathml_hw4":
                part = worked_network_only(a_dir, work / "course")
                n = max(args.sizes)
                folder = work / f"{assignment}-{n}"
                ours = batch_wall(part, folder, work / "out-worked", 2)
                floor = direct_floor(part, folder)
                rows.append((f"{assignment} worked network only: batch N={n}", f"{ours:.1f} s",
                             f"{n / ours:.1f} subs/s", f"{ours / floor:.2f}x direct floor "
                                                        f"({floor:.1f} s)"))
                rows.append(("mathml_hw4: peak memory, grader process",
                             f"{grader_peak_mib(assignment, correct):.0f} MiB", "", ""))
                rows.append(("mathml_hw4: peak memory, one worker",
                             f"{worker_peak_mib(assignment, correct):.0f} MiB", "", ""))
        rows += otter_rows(work, args.runs)
    except Exception:  # noqa: BLE001 - print what was measured before the failure
        traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {machine()}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print("| measurement | time / size | throughput | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
