"""Time Otter-Grader on the Otter-format twin of mathml_hw4's worked 2-2-1 network.

    python benchmarks/otter.py [--runs 5]

Otter is never a dependency of ours: it is looked up in a separate environment (``find_otter``),
and everything here says so and steps aside when it is absent. The twin (``otter_twin/``) has one
OK-format test file per test function of ``problems/mathml_hw4/tests/*/test_3_worked_network*.py``
(parts 3.1 and 3.3, 25 points), with the same inputs, tolerances, partial credit and feedback; its
expected values come from ``reference/mathml_hw4.py``, copied into the autograder when it is built.

Otter runs the submission in a Jupyter kernel and its tests in that same kernel. ``otter run``
grades one .py script or one notebook per command without containers; ``otter grade`` grades many
but only in Docker containers, so there is no batch timing here (``NO_BATCH``).

Import-safe without Otter installed: standard library and NumPy only.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TWIN = Path(__file__).resolve().parent / "otter_twin"
REFERENCE = ROOT / "reference" / "mathml_hw4.py"
EXAMPLES = ROOT / "submissions" / "examples" / "mathml_hw4"
ASSIGNMENT = "mathml_hw4"
WORKED_PARTS = ("3.1", "3.3")
DEFAULT_OTTER = Path("/opt/otter-venv/bin/otter")
# What the worked-network part of the reference needs, and nothing else of it.
REFERENCE_NAMES = ("WEIGHT_KEYS", "sigmoid", "forward", "loss", "gradients", "sgd_step")
REFERENCE_HEADER = ('"""The worked-network functions of reference/mathml_hw4.py, copied by '
                    'benchmarks/otter.py."""\n\nfrom __future__ import annotations\n\nimport math\n'
                    "from collections.abc import Mapping, Sequence\n")
# The examples agree() is shown on: the correct one, one mistake, one that cannot be imported, and
# the correct notebook (whose row explains itself when it differs; see KNOWN_DIFFERENCES).
AGREE_EXAMPLES = ("correct.py", "tanh_derivative.py", "broken_import.py", "correct.ipynb")
KNOWN_DIFFERENCES = {
    "correct.ipynb": (
        "Otter executes the notebook's `%matplotlib inline` line; matplotlib is in neither "
        "otter-grader[grading] nor Otter's default grading image, so that cell stops at its first "
        "line and its `import math` / `import numpy` never run (we comment magics out instead). "
        "Without that line Otter gives the notebook full marks."
    ),
}
NO_BATCH = ("Otter grades many submissions only with `otter grade`, which runs each in a Docker "
            "container; `otter run` takes one submission per command")


@dataclass(frozen=True)
class OtterTwin:
    """An autograder built from the twin, ready for ``otter run``."""

    otter: Path
    """The ``otter`` executable (of its own environment)."""
    version: str
    """Otter-Grader's version, as ``otter --version`` reports it."""
    autograder: Path
    """The autograder.zip built by ``otter generate``."""
    env: dict[str, str]
    """Environment for ``otter run``: Otter's own kernel, Jupyter state kept inside ``work``."""
    work: Path
    """Scratch folder holding all of the above."""


@dataclass(frozen=True)
class Agreement:
    """Otter's and our score of one submission on the worked-network part."""

    submission: str
    """File name of the submission."""
    otter: float
    """Otter's total over the twin's tests."""
    ours: float
    """Our score over the same tests (parts 3.1 and 3.3, typed answers left out)."""
    max_score: float
    """Points of the part in our report (25)."""
    otter_max: float
    """Points of the twin in Otter's results (25)."""
    mismatches: tuple[str, ...]
    """Tests whose scores differ: 'name: otter X, ours Y'."""

    @property
    def agree(self) -> bool:
        """True when the totals, the maxima and every test agree to 1e-4 points."""
        return (abs(self.otter - self.ours) < 1e-4 and abs(self.max_score - self.otter_max) < 1e-4
                and not self.mismatches)


# -- finding and preparing Otter ---------------------------------------------------------------
def find_otter() -> Path | None:
    """$OTTER, else /opt/otter-venv/bin/otter, else ``otter`` on PATH; None when none exists."""
    candidates = [os.environ.get("OTTER"), str(DEFAULT_OTTER), shutil.which("otter")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def otter_version(otter: Path) -> str:
    """The version line of ``otter --version`` (e.g. '7.0.0')."""
    out = subprocess.run([str(otter), "--version"], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    for line in out.splitlines():
        if line.startswith("Otter-Grader version:"):
            return line.split(":", 1)[1].strip()
    return out.strip().splitlines()[-1] if out.strip() else "unknown"


def _interpreter(otter: Path) -> Path:
    """The Python of Otter's environment, from the executable's ``#!`` line (or beside it)."""
    with otter.open("rb") as f:
        first = f.readline().decode(errors="replace")
    if first.startswith("#!") and Path(first[2:].split()[0]).is_file():
        return Path(first[2:].split()[0])
    return otter.parent / "python"


def reference_source(path: Path = REFERENCE) -> str:
    """Source of a module holding only the worked-network part of the reference
    (``REFERENCE_NAMES``), for the autograder: Otter's kernel cannot import our package."""
    text = path.read_text()
    found: dict[str, str] = {}
    for node in ast.parse(text).body:
        names = ([node.name] if isinstance(node, ast.FunctionDef) else
                 [t.id for t in node.targets if isinstance(t, ast.Name)]
                 if isinstance(node, ast.Assign) else [])
        for name in names:
            if name in REFERENCE_NAMES:
                found[name] = ast.get_source_segment(text, node) or ""
    missing = [n for n in REFERENCE_NAMES if n not in found]
    if missing:
        raise LookupError(f"{path} defines no {', '.join(missing)}; the Otter twin needs them")
    return REFERENCE_HEADER + "".join(f"\n\n{found[n]}\n" for n in REFERENCE_NAMES)


def stage_twin(dest: Path) -> Path:
    """Copy the twin's tests and support package to ``dest``, adding the reference beside them."""
    shutil.copytree(TWIN / "tests", dest / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(TWIN / "worked_twin", dest / "worked_twin",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "worked_twin" / "reference.py").write_text(reference_source())
    return dest


def _env(otter: Path, work: Path) -> dict[str, str]:
    """Environment for Otter: bytecode caching on, its own kernel, Jupyter state under ``work``."""
    python = _interpreter(otter)
    kernel = work / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True, exist_ok=True)
    # Pin the notebook kernel to Otter's own interpreter: a python3 kernelspec elsewhere on the
    # machine (another virtualenv's) would otherwise win and lack the otter package.
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (otter)", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        JUPYTER_PATH=str(work / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        IPYTHONDIR=str(work / "ipython"),
        # A notebook's `!pip ...` line then runs Otter's pip, not the machine's.
        PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def prepare(work: Path, otter: Path) -> OtterTwin:
    """Build autograder.zip in ``work`` with ``otter generate`` (once, not timed)."""
    work.mkdir(parents=True, exist_ok=True)
    source = stage_twin(work / "twin")
    env = _env(otter, work)
    autograder = work / "autograder.zip"
    subprocess.run(
        [str(otter), "generate", "-t", "tests", "-o", str(autograder), "--no-config",
         "--no-requirements", "--no-environment", "worked_twin"],
        cwd=source, env=env, check=True, capture_output=True, timeout=300,
    )
    return OtterTwin(otter=otter, version=otter_version(otter), autograder=autograder, env=env,
                     work=work)


# -- grading -----------------------------------------------------------------------------------
def _command(twin: OtterTwin, submission: Path, out: Path) -> list[str]:
    return [str(twin.otter), "run", "-a", str(twin.autograder), "-o", str(out), "--no-logo",
            str(submission)]


def run_otter(twin: OtterTwin, submission: Path) -> dict:
    """Grade ``submission`` (.py or .ipynb) with ``otter run``; its results.json as a dict."""
    out = Path(tempfile.mkdtemp(dir=twin.work, prefix="run-"))
    try:
        proc = subprocess.run(_command(twin, submission, out), env=twin.env, check=False,
                              capture_output=True, text=True, timeout=600)
        results = out / "results.json"
        if not results.is_file():
            raise RuntimeError(f"otter run wrote no results.json for {submission.name} "
                               f"(exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        return json.loads(results.read_text())
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _wall(twin: OtterTwin, submission: Path) -> float:
    out = Path(tempfile.mkdtemp(dir=twin.work, prefix="time-"))
    try:
        start = time.perf_counter()
        subprocess.run(_command(twin, submission, out), env=twin.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)


def time_single(twin: OtterTwin, submission: Path, runs: int) -> float:
    """Median wall seconds of one ``otter run`` of ``submission``, after one untimed warm-up
    (which writes the kernel's profile and any bytecode caches, as on a grading server)."""
    _wall(twin, submission)
    return statistics.median(_wall(twin, submission) for _ in range(runs))


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/<tid>/children)."""
    pids, i = [pid], 0
    while i < len(pids):
        try:
            for task in Path(f"/proc/{pids[i]}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
        i += 1
    return pids


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_mib(twin: OtterTwin, submission: Path, interval: float = 0.02) -> float:
    """Peak of the summed resident memory of the ``otter run`` process and all its descendants
    (the notebook kernel), sampled every ``interval`` seconds."""
    out = Path(tempfile.mkdtemp(dir=twin.work, prefix="mem-"))
    peak = 0
    try:
        proc = subprocess.Popen(_command(twin, submission, out), env=twin.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, sum(_rss_kib(p) for p in _tree(proc.pid)))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            proc.wait(timeout=600)
        finally:
            done.set()
            sampler.join()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return peak / 1024


# -- agreement with our grader -----------------------------------------------------------------
def our_worked_scores(submission: Path) -> list[tuple[str, float, float]]:
    """(name, score, max) of each of our worked-network tests (parts 3.1 and 3.3, no typed
    answers) for ``submission``, from a ``grader grade`` report, in report order."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "grader", "grade", ASSIGNMENT, str(submission),
                        "-o", str(report)], cwd=ROOT, check=True, capture_output=True,
                       timeout=600)
        data = json.loads(report.read_text())
    return [(t["name"], float(t["score"]), float(t["max_score"])) for t in data["tests"]
            if t.get("part") in WORKED_PARTS and "answer" not in t.get("tags", [])]


def otter_scores(results: dict) -> list[tuple[str, float, float]]:
    """(name, score, max) of each scored test in an Otter results.json."""
    return [(t["name"], float(t["score"]), float(t["max_score"])) for t in results["tests"]
            if "score" in t]


def _twin_order() -> list[str]:
    """Otter test names in the order of our report (public tests, then hidden, file order)."""
    sys.path.insert(0, str(TWIN))
    try:
        import make_tests
    finally:
        sys.path.remove(str(TWIN))
    ordered = sorted(make_tests.TWINS, key=lambda t: t.hidden)
    return [make_tests.name_of(t) for t in ordered]


def agree(twin: OtterTwin, submissions: list[Path]) -> list[Agreement]:
    """Grade each submission with Otter and with us; compare totals and test by test."""
    rows = []
    order = _twin_order()
    for submission in submissions:
        theirs = {name: (score, top) for name, score, top in otter_scores(run_otter(twin,
                                                                                     submission))}
        ours = our_worked_scores(submission)
        mismatches = []
        if len(ours) != len(order):
            mismatches.append(f"our report has {len(ours)} worked tests; the twin has "
                              f"{len(order)}")
        else:
            for otter_name, (name, score, top) in zip(order, ours, strict=True):
                o_score, o_top = theirs.get(otter_name, (float("nan"), float("nan")))
                if not (abs(o_score - score) < 1e-4 and abs(o_top - top) < 1e-4):
                    mismatches.append(f"{name}: otter {o_score:g}/{o_top:g}, "
                                      f"ours {score:g}/{top:g}")
        rows.append(Agreement(
            submission=submission.name,
            otter=sum(s for s, _ in theirs.values()),
            ours=sum(s for _, s, _ in ours),
            max_score=sum(m for _, _, m in ours),
            otter_max=sum(m for _, m in theirs.values()),
            mismatches=tuple(mismatches),
        ))
    return rows


# -- command line ------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs for the median")
    parser.add_argument("--no-agree", action="store_true", help="skip the score comparison")
    args = parser.parse_args()
    otter = find_otter()
    if otter is None:
        print("otter-grader: not measured: no `otter` found ($OTTER, /opt/otter-venv/bin/otter, "
              "PATH); install `otter-grader[grading]` in a separate environment")
        return 0
    work = Path(tempfile.mkdtemp(prefix="otter-bench-"))
    try:
        start = time.perf_counter()
        twin = prepare(work, otter)
        print(f"otter-grader {twin.version} at {otter}; "
              f"autograder built in {time.perf_counter() - start:.1f} s")
        correct = EXAMPLES / "correct.py"
        single = time_single(twin, correct, args.runs)
        print(f"otter run, correct.py (median of {args.runs}): {single:.2f} s")
        print(f"otter run, peak memory (otter + kernel): {peak_mib(twin, correct):.0f} MiB")
        print(f"batch: not measured: {NO_BATCH}")
        if not args.no_agree:
            for row in agree(twin, [EXAMPLES / n for n in AGREE_EXAMPLES]):
                verdict = "agree" if row.agree else "DISAGREE"
                print(f"{row.submission}: otter {row.otter:.4g}/{row.otter_max:g}, "
                      f"ours {row.ours:.4g}/{row.max_score:g}: {verdict}")
                if not row.agree and row.submission in KNOWN_DIFFERENCES:
                    print(f"    known difference: {KNOWN_DIFFERENCES[row.submission]}")
                    continue
                for line in row.mismatches:
                    print(f"    {line}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
