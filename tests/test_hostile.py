"""The hostile and broken corpus: every submission scores exactly what it honestly earns.

Each submission under submissions/hostile and submissions/broken is graded against low-limit copies
of two assignments and judged by ``scripts/tally_hostile.judge``: exact score (full marks on the
parts it honestly solves, 0 on every other test), status, student-facing message, schema validity,
wall time within the limit, no process left, no file planted outside the scratch space, project
tree unchanged, no hidden-test or reference line and no grader secret in the report, no network
contact, the grader's own process untouched, a bystander process alive.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader._jail import LAYERS

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("tally_hostile",
                                               ROOT / "scripts" / "tally_hostile.py")
assert _spec is not None and _spec.loader is not None
th = importlib.util.module_from_spec(_spec)
sys.modules["tally_hostile"] = th
_spec.loader.exec_module(th)

CASES = th.load_corpus()
BY_NAME = {c.name: c for c in CASES}
#: Cases that finish in a second or two: run by default; the rest are marked slow.
FAST = {c.name for c in CASES if c.category == "broken"} | {
    "forge_patch_checkers", "forge_lying_objects", "forge_reduce_pickle", "escape_symlink_file",
    "escape_git_objects", "escape_network", "forge_fake_report_exit", "text_lone_surrogate",
    "text_terminal_escapes", "escape_walk_cmdline", "escape_scan_listeners",
    "escape_setsid_daemon"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Low-limit assignment copies, the secret lines, a bystander process; subreaper on."""
    th.become_subreaper()
    base = tmp_path_factory.mktemp("hostile")
    copies = {a: th.limited_assignment(a, base / "problems") for a in th.ASSIGNMENTS}
    # Copies every user may read, for the levels that grade as an ordinary user.
    shared = Path(tempfile.mkdtemp(prefix="hostile-open-", dir="/var/tmp"))
    shared.chmod(0o755)
    open_copies = {a: th.open_copy(a, shared / "problems") for a in th.ASSIGNMENTS}
    th._warm_up()
    bystander = subprocess.Popen(["sleep", "3600"])
    yield {"copies": copies, "open_copies": open_copies, "secrets": th.secret_lines(),
           "bystander": bystander, "base": base}
    bystander.kill()
    bystander.wait()
    shutil.rmtree(shared, ignore_errors=True)


def _params() -> list[object]:
    out = []
    for case in CASES:
        for a in th.ASSIGNMENTS:
            marks = [] if case.name in FAST else [pytest.mark.slow]
            out.append(pytest.param(case.name, a, id=f"{case.name}-{a}", marks=marks))
    return out


#: Level cases that finish in about a second; the rest are marked slow.
FAST_LEVELS = {"escape_walk_cmdline", "escape_scan_listeners", "escape_setsid_daemon"}


def _level_params() -> list[object]:
    out = []
    for case in CASES:
        for level in case.levels[1:]:
            for a in th.ASSIGNMENTS:
                marks = [pytest.mark.skipif(os.geteuid() != 0, reason="the simulation needs root")]
                if case.name not in FAST_LEVELS:
                    marks.append(pytest.mark.slow)
                out.append(pytest.param(case.name, a, level, id=f"{case.name}-{a}-{level}",
                                        marks=marks))
    return out


def _grade(env: dict[str, object], name: str, assignment: str, **kw: object) -> object:
    copies = env["open_copies" if kw.get("level", "namespaces") != "namespaces" else "copies"]
    assert isinstance(copies, dict)
    work = Path(tempfile.mkdtemp(prefix=f"{name}-{assignment}-", dir=env["base"]))  # type: ignore[arg-type]
    return th.grade_case(BY_NAME[name], copies[assignment], work, secrets=env["secrets"],
                         bystander=env["bystander"], **kw)


def test_corpus_is_large_and_declared_for_both_assignments() -> None:
    """At least 30 submissions, each with an outcome declared for every assignment graded, at
    every level it is graded at."""
    assert len(CASES) >= 30
    for case in CASES:
        for level in case.levels:
            assert set(case.expected(level)) == set(th.ASSIGNMENTS), (case.name, level)
        assert case.generate or case.path.exists() or case.path.is_symlink(), case.name


#: The exfiltration and containment attacks of the platforms without namespaces (issue 13's
#: acceptance): each is graded at both simulated levels.
PLATFORM_ATTACKS = ("escape_walk_cmdline", "escape_read_hidden", "escape_scan_listeners",
                    "escape_network", "exhaust_fork_bomb", "escape_setsid_daemon",
                    "exhaust_close_pipes_sleep")


def test_platform_attacks_are_declared_at_every_level() -> None:
    """Every platform attack is in the corpus at each level of the tally."""
    for name in PLATFORM_ATTACKS:
        assert BY_NAME[name].levels == list(th.LEVELS), name


def test_secret_lines_are_found() -> None:
    """The leak detector has hidden-test and reference lines to look for, none of them public."""
    lines = th.secret_lines()
    assert len(lines) > 100
    public = {line.strip() for p in ROOT.glob("problems/*/tests/public/*.py")
              for line in p.read_text().splitlines()}
    assert public and not public & set(lines)
    hidden = (ROOT / "problems/cs189_hw4_backprop/tests/hidden/test_hidden.py").read_text()
    assert any(line in hidden for line in lines)


@pytest.mark.parametrize(("name", "assignment"), _params())
def test_submission_scores_exactly_its_honest_points(env, name: str, assignment: str) -> None:
    """Grading the submission gives the declared outcome and breaks none of the invariants."""
    outcome = _grade(env, name, assignment)
    problems = th.judge(outcome)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "assignment", "level"), _level_params())
def test_submission_at_a_platform_level_gives_its_declared_outcome(env, name: str,
                                                                   assignment: str,
                                                                   level: str) -> None:
    """Graded by `grader grade` as root under Docker's default profile, or as an ordinary user
    with namespaces refused: the declared outcome, nothing leaked, reached or left behind,
    within the time limit."""
    outcome = _grade(env, name, assignment, level=level)
    assert outcome.level == level
    problems = th.judge(outcome)
    assert not problems, "\n".join(problems)


READ_HIDDEN = """
import os, sys  # only modules the worker has loaded: without namespaces, root's worker uid
                # cannot import from an interpreter installed under /root
root = os.path.dirname(os.path.dirname(os.path.abspath(sys.modules["grader"].__file__)))
problems = os.path.join(root, "problems")
for name in sorted(os.listdir(problems)):
    hidden = os.path.join(problems, name, "tests", "hidden")
    for f in sorted(os.listdir(hidden)) if os.path.isdir(hidden) else ():
        try:
            print(open(os.path.join(hidden, f)).read()[:3000])
        except OSError as exc:
            print("cannot read", f, exc)
"""


@pytest.mark.parametrize(("disable", "leaks"), [
    (frozenset(), False), (frozenset({"namespaces"}), False), (LAYERS, True)])
def test_leak_detector_catches_a_real_leak(env, tmp_path: Path, disable: frozenset[str],
                                            leaks: bool) -> None:
    """A submission printing the hidden tests leaks them with every layer off (so the detector
    works and the attack is real; allowed explicitly) and leaks nothing with namespaces, or
    with Landlock and seccomp alone."""
    from grader.api import grade

    sub = tmp_path / "read_hidden.py"
    sub.write_text(READ_HIDDEN)
    report = grade(env["open_copies"]["cs189_hw4_backprop"], sub, disable=disable,
                   require_isolation=False)
    assert bool(th.leaked_lines(report, env["secrets"])) is leaks


#: With namespaces off, a representative few (the whole corpus takes minutes).
RLIMITS_SAMPLE = ("forge_patch_checkers", "forge_lying_objects", "forge_protocol",
                  "exhaust_memory", "exhaust_call_loop", "exhaust_recursion", "exhaust_output",
                  "exhaust_huge_return", "syntax_error")


@pytest.mark.slow
@pytest.mark.parametrize("name", RLIMITS_SAMPLE)
def test_rlimits_only_isolation_still_bounds_the_submission(env, name: str) -> None:
    """With every layer off (allowed explicitly), the process limits alone still give a report,
    in time, leaving nothing behind, with no forged score (the declared outcome itself is only
    promised with namespaces)."""
    assert BY_NAME[name].rlimits_safe
    outcome = _grade(env, name, "cs189_hw4_backprop", disable=LAYERS)
    assert outcome.report["isolation"]["level"] in ("rlimits", "none")
    assert not th.forged(outcome)
    problems = [p for p in th.judge(outcome, exact=False) if not p.startswith("leaked")]
    assert not problems, "\n".join(problems)


def _comparable(report: dict[str, object]) -> str:
    keep = {k: report[k] for k in ("score", "max_score", "status", "tests", "parts", "output")}
    return json.dumps(keep, sort_keys=True)


@pytest.mark.slow
def test_batch_mixing_hostile_and_correct_changes_no_other_report(env) -> None:
    """Graded in a row in one process, hostile submissions change neither the correct
    submissions' reports nor each other's."""
    copies = env["copies"]
    correct = ROOT / "submissions/examples/mathml_hw4/correct.py"
    from grader.api import grade

    first = _comparable(grade(copies["mathml_hw4"], correct))
    names = ["forge_patch_checkers", "forge_edit_disk", "exhaust_output", "forge_reduce_pickle",
             "escape_kill_parent", "exhaust_fork_bomb"]
    solo = {}
    for name in names:
        solo[name] = _comparable(_grade(env, name, "mathml_hw4").report)
        assert _comparable(grade(copies["mathml_hw4"], correct)) == first, name
    again = {}
    for name in reversed(names):
        o = _grade(env, name, "mathml_hw4")
        again[name] = _comparable(o.report)
    for name in names:
        a, b = json.loads(solo[name]), json.loads(again[name])
        assert (a["score"], a["status"]) == (b["score"], b["status"]), name
        assert [t["score"] for t in a["tests"]] == [t["score"] for t in b["tests"]], name
    assert all(t["status"] == "passed" for t in json.loads(first)["tests"]
               if "answer" not in t["tags"])
