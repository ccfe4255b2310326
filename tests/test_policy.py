"""The isolation policy: a grade whose worker can reach the hidden material or the network is
refused (exit 1, status internal-error, a message naming the missing layer and the fix) unless
the instructor allows it; ``grader check`` runs at any level. Also the leak probe behind it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import api, cli, policy
from grader._jail import LAYERS
from grader.assignment import read
from grader.errors import AssignmentError, IsolationRefusedError
from grader.report import validate
from grader.sandbox import LeakProbe, Sandbox

FIXTURES = Path(__file__).parent / "fixtures"
CORRECT = FIXTURES / "subs" / "correct.py"
#: Every layer that keeps files or the network from the worker switched off: what remains is
#: the rlimits level (and, as root, the worker's own uid).
NO_LAYERS = frozenset(LAYERS)
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="the worker's own uid needs root")


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A world-readable folder outside pytest's private temporary tree, so that without
    namespaces a worker under any uid can read what is planted there (a real leak)."""
    base = Path(tempfile.mkdtemp(prefix="grader-policy-", dir="/var/tmp"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def open_tiny(open_dir: Path) -> Path:
    """The tiny assignment in a world-readable folder (hidden tests readable by any uid)."""
    dest = open_dir / "tiny"
    shutil.copytree(FIXTURES / "tiny", dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


def _force_disable(monkeypatch: pytest.MonkeyPatch, disable: frozenset[str]) -> None:
    """Every worker the API starts goes without these layers, whatever the caller asked."""
    def sandbox(*args: object, **kw: object) -> Sandbox:
        return Sandbox(*args, **{**kw, "disable": disable})  # type: ignore[arg-type]

    monkeypatch.setattr(api, "Sandbox", sandbox)


@pytest.fixture
def no_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every worker the API starts is confined by process limits only, as on a platform that
    refuses namespaces and has neither Landlock nor seccomp."""
    _force_disable(monkeypatch, NO_LAYERS)


def _planted(folder: Path, mode: int = 0o644) -> Path:
    path = folder / "test_secret_hidden.py"
    path.write_text("SECRET = 'planted'\n")
    path.chmod(mode)
    return path


def _probe(folder: Path, files: tuple[str, ...], *, disable: frozenset[str] = frozenset(),
           require: frozenset[str] = frozenset()) -> dict[str, object]:
    probe = LeakProbe(files=files, folders=(str(folder),), require=require)
    with Sandbox({"m.py": b"x = 1\n"}, "m", disable=disable, hide=[str(folder)],
                 probe=probe) as sb:
        assert sb.import_failure is None
        return dict(sb.isolation["verified"])


# -- the probe ---------------------------------------------------------------------------------

def test_probe_reports_a_planted_file_the_worker_can_read(open_dir: Path) -> None:
    """Without namespaces, Landlock and seccomp, a world-readable trusted file, its folder and a
    loopback port are all reached, and the probe says so."""
    planted = _planted(open_dir)
    verified = _probe(open_dir, (str(planted),), disable=NO_LAYERS)
    assert verified["hidden_unreadable"] is False
    assert verified["network_unreachable"] is False
    results = {(c["kind"], c["target"]): c["result"] for c in verified["checked"]}
    assert results[("file", str(planted))] == "readable"
    assert results[("folder", str(open_dir))] == "listed"
    assert [r for (kind, _), r in results.items() if kind == "tcp"] == ["connected"]


def test_probe_with_namespaces_reaches_nothing(open_dir: Path) -> None:
    """With every layer, the same file and folder are gone from the worker's view and no
    socket reaches the port."""
    planted = _planted(open_dir)
    verified = _probe(open_dir, (str(planted),))
    assert verified["hidden_unreadable"] is True
    assert verified["network_unreachable"] is True
    results = {c["kind"]: c["result"] for c in verified["checked"]}
    assert results == {"file": "refused: ENOENT", "folder": "refused: ENOENT",
                       "tcp": "refused: EPERM"}


@pytest.mark.parametrize(("disable", "file_result", "hidden", "network"), [
    (frozenset({"namespaces"}), "refused: EACCES", True, True),
    (frozenset({"namespaces", "landlock"}), "readable", False, True),
    (frozenset({"namespaces", "seccomp"}), "refused: EACCES", True, True),
])
def test_probe_measures_each_layer_without_namespaces(open_dir: Path, disable: frozenset[str],
                                                      file_result: str, hidden: bool,
                                                      network: bool) -> None:
    """Without namespaces Landlock alone keeps the planted file out of reach (EACCES); with
    Landlock off it is readable; the network stays cut off by either Landlock or seccomp."""
    planted = _planted(open_dir)
    verified = _probe(open_dir, (str(planted),), disable=disable)
    assert (verified["hidden_unreadable"], verified["network_unreachable"]) == (hidden, network)
    results = {c["kind"]: c["result"] for c in verified["checked"]}
    assert results["file"] == file_result
    assert results["tcp"].startswith("refused: ")


@ROOT_ONLY
def test_probe_sees_file_modes_keep_a_root_only_file_from_the_worker(open_dir: Path) -> None:
    """As root without namespaces, the worker runs under a uid of its own: a file readable by
    root only is refused to it (the file-modes layer), and the probe measures that."""
    planted = _planted(open_dir, mode=0o600)
    open_dir.chmod(0o711)  # traversable, not listable
    verified = _probe(open_dir, (str(planted),), disable=NO_LAYERS)
    assert verified["hidden_unreadable"] is True
    assert {c["kind"]: c["result"] for c in verified["checked"]
            if c["kind"] != "tcp"} == {"file": "refused: EACCES", "folder": "refused: EACCES"}


def test_a_refused_worker_never_imports_the_submission(open_dir: Path) -> None:
    """A worker that misses a requirement is refused before the submission is imported: the
    import's side effect never happens."""
    planted = _planted(open_dir)
    marker = open_dir / "imported"
    open_dir.chmod(0o777)
    source = f"open({str(marker)!r}, 'w').write('ran')\n".encode()
    probe = LeakProbe(files=(str(planted),), require=frozenset({"hidden_unreadable"}))
    sb = Sandbox({"m.py": source}, "m", disable=NO_LAYERS, probe=probe)
    try:
        with pytest.raises(IsolationRefusedError) as info:
            sb.start()
    finally:
        sb.close()
    assert not marker.exists()
    assert info.value.isolation["verified"]["hidden_unreadable"] is False
    assert str(info.value).startswith("grading refused: the worker, before any student code "
                                      f"ran, could read the hidden tests or reference ({planted})")


# -- the policy in the API and the CLI -------------------------------------------------------------

REFUSED_START = ("grading refused: the worker, before any student code ran, could read the "
                 "hidden tests or reference (")


def test_grade_without_any_layer_is_refused(open_tiny: Path) -> None:
    """The default: the worker could read the hidden tests and reach the network, so nothing
    is graded; every test scores 0 with the student message, the instructor hears why."""
    report = api.grade(open_tiny, CORRECT, disable=NO_LAYERS)
    validate(report)
    assert (report["status"], report["score"]) == ("internal-error", 0.0)
    assert report["output"].endswith(policy.STUDENT_MESSAGE)
    assert {t["output"] for t in report["tests"]} == {policy.STUDENT_MESSAGE}
    refused = report["instructor"]["refused"]
    hidden = open_tiny / "tests" / "hidden"
    assert refused.startswith(f"{REFUSED_START}{sorted(hidden.glob('*.py'))[0]}, {hidden}) "
                              "and connect to 127.0.0.1:")
    assert "(isolation level 'rlimits')" in refused
    assert "Missing layers: mount namespace (hides the course's folders), network namespace, " \
        "Landlock (limits what the worker may open), seccomp filter (no sockets)" in refused
    assert refused.endswith(policy.ALLOW_HINT)
    assert report["isolation"]["verified"]["hidden_unreadable"] is False
    assert "stdout" not in report["instructor"]  # no student code ran


def test_grade_with_landlock_and_seccomp_alone_passes_the_probe(open_tiny: Path) -> None:
    """Namespaces refused (Docker's default) but Landlock and seccomp active: the probe
    verifies both requirements and the grade goes ahead at the landlock level."""
    report = api.grade(open_tiny, CORRECT, namespaces=False)
    assert (report["status"], report["score"], report["isolation"]["level"]) == (
        "graded", 7.0, "landlock")
    verified = report["isolation"]["verified"]
    assert (verified["hidden_unreadable"], verified["network_unreachable"]) == (True, True)


def test_grade_without_landlock_says_enable_landlock(open_tiny: Path) -> None:
    """Namespaces and Landlock missing, seccomp active: the network is cut off but the hidden
    tests are readable; refused, and the message names Landlock and how to enable it."""
    report = api.grade(open_tiny, CORRECT, disable=frozenset({"namespaces", "landlock"}))
    assert report["status"] == "internal-error"
    refused = report["instructor"]["refused"]
    assert "could read the hidden tests or reference (" in refused
    assert "connect to" not in refused
    assert "Landlock (limits what the worker may open)" in refused
    assert "  - enable Landlock (kernel >= 5.13, not disabled by the container's LSM " \
           "settings: `landlock` must be listed in /sys/kernel/security/lsm)" in refused


def test_grade_with_namespaces_passes_the_probe(tiny: Path) -> None:
    """With namespaces the probe verifies both requirements and the grade goes ahead."""
    report = api.grade(tiny, CORRECT)
    assert (report["status"], report["score"]) == ("graded", 7.0)
    verified = report["isolation"]["verified"]
    assert (verified["hidden_unreadable"], verified["network_unreachable"]) == (True, True)
    kinds = [c["kind"] for c in verified["checked"]]
    assert kinds == ["file", "folder", "tcp"]


def test_allowing_an_unisolated_grade_grades_and_reports_what_was_reached(
        open_tiny: Path) -> None:
    """require_isolation=False grades at the rlimits level; the report still says what the
    worker could reach."""
    report = api.grade(open_tiny, CORRECT, disable=NO_LAYERS, require_isolation=False)
    assert (report["status"], report["score"]) == ("graded", 7.0)
    assert report["isolation"]["verified"]["hidden_unreadable"] is False
    assert report["isolation"]["verified"]["network_unreachable"] is False


def test_assignment_can_lower_its_requirements(open_tiny: Path) -> None:
    """``[isolation] require = ["hidden_unreadable"]`` no longer needs the network cut off, and
    ``require = []`` needs nothing."""
    toml = open_tiny / "assignment.toml"
    toml.write_text(toml.read_text() + '\n[isolation]\nrequire = ["hidden_unreadable"]\n')
    assert read(open_tiny).require == frozenset({"hidden_unreadable"})
    report = api.grade(open_tiny, CORRECT, disable=NO_LAYERS)
    assert report["status"] == "internal-error"
    assert "and connect to" not in report["instructor"]["refused"]
    report = api.grade(open_tiny, CORRECT, disable=frozenset({"namespaces", "seccomp"}))
    assert (report["status"], report["score"]) == ("graded", 7.0)
    toml.write_text(toml.read_text().replace('require = ["hidden_unreadable"]', "require = []"))
    report = api.grade(open_tiny, CORRECT, disable=NO_LAYERS)
    assert (report["status"], report["score"]) == ("graded", 7.0)


@pytest.mark.parametrize("table", ['require = ["no_internet"]', 'require = "all"',
                                   "allow = true"])
def test_a_malformed_isolation_table_is_an_assignment_error(tiny: Path, table: str) -> None:
    """Unknown requirements or keys are refused with the list of known ones."""
    toml = tiny / "assignment.toml"
    toml.write_text(toml.read_text() + f"\n[isolation]\n{table}\n")
    with pytest.raises(AssignmentError, match="hidden_unreadable, network_unreachable"):
        read(tiny)


def test_cli_grade_refuses_with_exit_1_and_the_message(open_tiny: Path, tmp_path: Path,
                                                       no_layers: None,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`grader grade` where namespaces are refused: exit 1, report written with status
    internal-error, the instructor's message on stderr."""
    out = tmp_path / "report.json"
    code = cli.main(["grade", str(open_tiny), str(CORRECT), "-o", str(out)])
    err = capsys.readouterr().err
    report = json.loads(out.read_text())
    assert code == 1
    assert (report["status"], report["score"]) == ("internal-error", 0.0)
    assert f"grader: {report['instructor']['refused']}\n" in err
    assert err.startswith(f"tiny: 0/7 (internal-error) {CORRECT}\ngrader: {REFUSED_START}")


def test_cli_grade_allow_unisolated_grades(open_tiny: Path, tmp_path: Path,
                                           no_layers: None) -> None:
    """`--allow-unisolated` grades anyway, exit 0."""
    out = tmp_path / "report.json"
    assert cli.main(["grade", str(open_tiny), str(CORRECT), "-o", str(out),
                     "--allow-unisolated"]) == 0
    report = json.loads(out.read_text())
    assert (report["status"], report["score"], report["isolation"]["level"]) == (
        "graded", 7.0, "rlimits")


@pytest.mark.parametrize("disable", [frozenset(), NO_LAYERS])
def test_cli_check_runs_at_any_level(open_tiny: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str],
                                     disable: frozenset[str]) -> None:
    """`grader check` (public tests only) requires nothing: it runs with or without layers."""
    _force_disable(monkeypatch, disable)
    assert cli.main(["check", str(open_tiny), str(CORRECT), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["status"], report["public_only"]) == ("graded", True)
    assert report["score"] == sum(t["max_score"] for t in report["tests"])
    assert report["isolation"]["verified"]["hidden_unreadable"] is not disable


def test_refusal_comes_before_any_hidden_test_runs(open_tiny: Path) -> None:
    """A hidden test that would record its run never runs in a refused grade."""
    marker = open_tiny / "hidden-ran"
    (open_tiny / "tests" / "hidden" / "test_marker.py").write_text(
        "from grader import points\n\n"
        "@points(1)\n"
        "def test_marker(submission):\n"
        f"    open({str(marker)!r}, 'w').write('ran')\n")
    report = api.grade(open_tiny, CORRECT, disable=NO_LAYERS)
    assert report["status"] == "internal-error"
    assert not marker.exists()
    report = api.grade(open_tiny, CORRECT, disable=NO_LAYERS, require_isolation=False)
    assert marker.exists()


# -- the message, per platform (pure) ------------------------------------------------------------

def _isolation(layers: dict[str, bool], *, hidden: bool, network: bool) -> dict[str, object]:
    checked = [{"target": "/c/tests/hidden/test_h.py", "kind": "file",
                "result": "readable" if hidden else "refused: EACCES"},
               {"target": "127.0.0.1:4000", "kind": "tcp",
                "result": "connected" if network else "refused: EPERM"}]
    return {"level": "rlimits", "layers": layers, "notes": [],
            "verified": {"hidden_unreadable": not hidden, "network_unreachable": not network,
                         "checked": checked}}


NO_NS = {"pid_namespace": False, "network_namespace": False, "mount_namespace": False}


def test_message_on_macos_says_no_layer_exists_there() -> None:
    """macOS: nothing can keep the files from the worker; grade on Linux or allow it."""
    text = policy.refusal_message(_isolation({}, hidden=True, network=True),
                                  policy.REQUIREMENTS, euid=501, platform="darwin")
    assert "could read the hidden tests or reference (/c/tests/hidden/test_h.py) and connect " \
           "to 127.0.0.1:4000" in text
    assert "  - this platform (darwin) has no layer that keeps files or the network from the " \
           "worker; grade hidden tests on Linux" in text


def test_message_for_an_ordinary_user_says_run_as_root() -> None:
    """An ordinary user without namespaces (a GitHub-hosted runner): run as root with sudo,
    or enable Landlock when that layer is missing."""
    layers = {**NO_NS, "landlock": False}
    text = policy.refusal_message(_isolation(layers, hidden=True, network=False),
                                  policy.REQUIREMENTS, euid=1001, platform="linux")
    assert "Missing layers: mount namespace (hides the course's folders), network namespace, " \
           "Landlock (limits what the worker may open)." in text
    assert "  - enable Landlock (kernel >= 5.13, not disabled by the container's LSM " \
           "settings" in text
    assert "  - run as root (on GitHub-hosted runners: `sudo -E" in text
    assert "connect to" not in text


def test_message_for_root_in_a_container_says_namespaces_or_file_modes() -> None:
    """Root whose container refuses namespaces (Docker's default, Gradescope): allow them, or
    make the course material root-only; seccomp advice when the network was reachable."""
    layers = {**NO_NS, "seccomp": False}
    text = policy.refusal_message(_isolation(layers, hidden=True, network=True),
                                  policy.REQUIREMENTS, euid=0, platform="linux")
    assert "  - let the container create namespaces (Docker: `--security-opt " \
           "seccomp=unconfined`" in text
    assert "  - make the course material readable by root only (`chmod -R go-rwx`" in text
    assert "  - allow seccomp filters" in text
    assert "run as root" not in text


def test_missing_counts_an_absent_probe_as_unverified() -> None:
    """No probe result verifies nothing; an empty requirement needs nothing."""
    assert policy.missing(None, policy.REQUIREMENTS) == list(policy.REQUIREMENTS)
    assert policy.missing({"hidden_unreadable": True}, ["hidden_unreadable"]) == []
    assert policy.missing(None, []) == []


@pytest.mark.parametrize(("flags", "expected"), [([], None), (["--allow-unisolated"], False)])
def test_cli_batch_passes_the_allowance_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           flags: list[str], expected: bool | None) -> None:
    """`grader batch --allow-unisolated` hands require_isolation=False to the batch (whose
    grader processes pass it to every grade); without it the assignment's requirement holds."""
    import grader.batch

    seen: dict[str, object] = {}

    def fake_batch(*args: object, **kwargs: object) -> None:
        seen.update(kwargs)
        raise KeyboardInterrupt  # stop here: the CLI reports an interruption, exit 130

    monkeypatch.setattr(grader.batch, "batch", fake_batch)
    assert cli.main(["batch", "tiny", str(tmp_path), "-o", str(tmp_path / "out"),
                     *flags]) == 130
    assert seen["require_isolation"] is expected


def test_grade_many_refuses_every_submission(open_tiny: Path, tmp_path: Path) -> None:
    """A session of several submissions (a batch chunk) that is refused gives each its refusal
    report, with the instructor's message; the answers-only and unreadable ones keep theirs."""
    broken = tmp_path / "empty.py"
    broken.write_bytes(b"")
    reports = api.grade_many(open_tiny, [CORRECT, FIXTURES / "subs" / "half.py", broken],
                             disable=NO_LAYERS)
    assert [r["status"] for r in reports] == ["internal-error", "internal-error", "load-error"]
    for report in reports[:2]:
        assert report["score"] == 0.0
        assert report["instructor"]["refused"].startswith(REFUSED_START)
