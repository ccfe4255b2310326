"""The Otter-Grader twin of mathml_hw4's worked network (benchmarks/otter_twin) and its driver
(benchmarks/otter.py), checked without Otter: the twin's cases are run in-process as Otter runs
them (doctests in the submission's globals) and compared with our tests called directly."""

from __future__ import annotations

import ast
import doctest
import importlib.util
import inspect
import io
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

import reference.mathml_hw4 as ref
from benchmarks import otter as bench_otter
from grader import plugin

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "benchmarks" / "otter_twin"
WORKED_TESTS = sorted((ROOT / "problems" / "mathml_hw4" / "tests").glob("*/test_3_worked*.py"))
EXAMPLES = ROOT / "submissions" / "examples" / "mathml_hw4"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_tests() -> ModuleType:
    return _load(TWIN / "make_tests.py", "otter_twin_make_tests")


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """worked_twin.checks, staged as benchmarks/otter.py stages it for Otter."""
    staged = bench_otter.stage_twin(tmp_path_factory.mktemp("twin"))
    sys.path.insert(0, str(staged))
    try:
        import worked_twin.checks as module

        yield module
    finally:
        sys.path.remove(str(staged))
        for name in [n for n in sys.modules if n == "worked_twin" or n.startswith("worked_twin.")]:
            del sys.modules[name]


def _our_rng(test: str) -> np.random.Generator:
    """What our ``rng`` fixture gives ``test`` of mathml_hw4."""
    return plugin.rng_for("mathml_hw4", test)


def _our_tests() -> dict[str, tuple[object, float, str, bool]]:
    """Our worked-network test functions: name -> (function, points, part, hidden)."""
    found = {}
    for path in WORKED_TESTS:
        module = _load(path, f"worked_{path.parent.name}_{path.stem}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and callable(fn):
                mark = next(m for m in fn.pytestmark if m.name == "grader")
                found[name] = (fn, mark.kwargs["points"], mark.kwargs["part"],
                               path.parent.name == "hidden")
    return found


def _our_scores(submission: ModuleType) -> dict[str, float]:
    """Our tests called directly on ``submission``, scored as grader.score does."""
    scores = {}
    for name, (fn, points, _, _) in _our_tests().items():
        credit = plugin.Credit()
        supply = {"submission": submission, "reference": ref, "rng": _our_rng(name),
                  "credit": credit}
        kwargs = {p: supply[p] for p in inspect.signature(fn).parameters}
        try:
            fn(**kwargs)
        except Exception:  # noqa: BLE001 - a failed test earns what its finished parts earned
            fraction = credit.fraction or 0.0
        else:
            fraction = 1.0 if credit.fraction is None else credit.fraction
        scores[name] = points * fraction
    return scores


def _twin_scores(make_tests: ModuleType, namespace: dict) -> dict[str, float]:
    """The twin's test files run as Otter runs OK tests: each case a doctest in the submission's
    globals, the file's points split evenly over its cases."""
    scores = {}
    for path in sorted((TWIN / "tests").glob("*.py")):
        spec = {}
        exec(path.read_text(), spec)
        cases = spec["test"]["suites"][0]["cases"]
        passed = 0
        for case in cases:
            test = doctest.DocTestParser().get_doctest(case["code"], namespace, case["name"],
                                                       None, 0)
            runner = doctest.DocTestRunner(verbose=False)
            with redirect_stdout(io.StringIO()):
                runner.run(test, clear_globs=False)
            passed += runner.summarize(verbose=False).failed == 0
        twin = next(t for t in make_tests.TWINS if make_tests.name_of(t) == path.stem)
        scores[twin.test] = spec["test"]["points"] * passed / len(cases)
    return scores


def _namespace(source: str) -> dict:
    namespace: dict = {"__name__": "submission"}
    exec(compile(source, "submission.py", "exec"), namespace)
    return namespace


def test_generated_tests_are_up_to_date(make_tests: ModuleType) -> None:
    """tests/ holds exactly what make_tests.py writes."""
    have = {p.name: p.read_text() for p in (TWIN / "tests").glob("*.py")}
    assert have == make_tests.expected_files()


def test_twin_mirrors_every_worked_test(make_tests: ModuleType) -> None:
    """Each of our worked-network tests has one twin with its points, part and visibility."""
    ours = {name: (points, part, hidden) for name, (_, points, part, hidden) in
            _our_tests().items()}
    twins = {t.test: (t.points, t.part, t.hidden) for t in make_tests.TWINS}
    assert twins == ours
    assert sum(t.points for t in make_tests.TWINS) == 25


def test_twin_files_are_ok_format(make_tests: ModuleType) -> None:
    """Every twin file is an OK test Otter accepts: OK_FORMAT, one doctest suite, named cases,
    hidden exactly when our test is hidden, and one case per credit part."""
    for twin in make_tests.TWINS:
        spec: dict = {}
        exec((TWIN / "tests" / f"{make_tests.name_of(twin)}.py").read_text(), spec)
        assert spec["OK_FORMAT"] is True
        test = spec["test"]
        assert test["name"] == make_tests.name_of(twin)
        assert len(test["suites"]) == 1 and test["suites"][0]["type"] == "doctest"
        cases = test["suites"][0]["cases"]
        assert len(cases) == (len(twin.parts) if twin.parts else 1)
        assert all(c["hidden"] is twin.hidden for c in cases)
        assert all(c["code"].startswith(">>> ") for c in cases)


def test_twin_check_functions_exist(make_tests: ModuleType, checks: ModuleType) -> None:
    """Every check a twin case calls is a function of worked_twin.checks."""
    for twin in make_tests.TWINS:
        assert callable(getattr(checks, twin.check))


def test_reference_source_matches_reference(checks: ModuleType) -> None:
    """The reference copied into the autograder computes what reference.mathml_hw4 computes."""
    copied = checks.reference
    gen = np.random.default_rng(7)
    for _ in range(5):
        x = gen.normal(size=2)
        W = {k: float(v) for k, v in zip(ref.WEIGHT_KEYS, gen.normal(size=6), strict=True)}
        assert copied.forward(x, W) == ref.forward(x, W)
        assert copied.gradients(x, W, 0.5) == ref.gradients(x, W, 0.5)
        assert copied.sgd_step(x, W, 0.5, 0.1) == ref.sgd_step(x, W, 0.5, 0.1)
    assert "import numpy" not in bench_otter.reference_source()


def test_reference_source_names_what_is_missing(tmp_path: Path) -> None:
    """A reference without one of the worked functions is reported by name."""
    path = tmp_path / "mathml_hw4.py"
    path.write_text("WEIGHT_KEYS = ()\ndef forward(x, W):\n    return {}\n")
    with pytest.raises(LookupError, match="sigmoid, loss, gradients, sgd_step"):
        bench_otter.reference_source(path)


def test_twin_rng_is_our_fixture(checks: ModuleType) -> None:
    """checks.rng(name) draws what our rng fixture draws for the test of that name."""
    for name in ("test_forward_unseen", "test_two_iterations_unseen"):
        assert np.array_equal(checks.rng(name).normal(size=8), _our_rng(name).normal(size=8))


def test_twin_public_values_are_ours(checks: ModuleType) -> None:
    """The public expected values the twin computes from the reference are our public constants."""
    public = _load(ROOT / "problems/mathml_hw4/tests/public/test_3_worked_network.py", "pub3")
    assert checks.W_START == public.W_START and checks.W_SECOND == public.W_SECOND
    for key, want in public.FORWARD_START.items():
        assert checks.reference.forward(checks.X_START, checks.W_START)[key] == pytest.approx(
            want, rel=1e-15)
    for key, want in public.UPDATE_SECOND.items():
        got = checks.reference.sgd_step(checks.X_SECOND, checks.W_SECOND, 2.0, 0.1)[key]
        assert got == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize("example", ["correct.py", "tanh_derivative.py"])
def test_twin_scores_equal_ours_on_examples(make_tests: ModuleType, checks: ModuleType,
                                            example: str) -> None:
    """Run in-process, the twin gives each example the score our tests give it, test by test."""
    source = (EXAMPLES / example).read_text()
    ours = _our_scores(_load(EXAMPLES / example, f"example_{Path(example).stem}"))
    theirs = _twin_scores(make_tests, _namespace(source))
    assert theirs == pytest.approx(ours, abs=1e-9)
    if example == "correct.py":
        assert sum(theirs.values()) == 25


MISTAKES = {
    "sign": ('"W35": dL_da5 * f["a3"]', '"W35": -dL_da5 * f["a3"]'),
    "half": ("dL_da5 = -2", "dL_da5 = -1"),
    "ascent": ("- lr * g[k]", "+ lr * g[k]"),
    "loss": ("return (target - prediction) ** 2", "return 0.5 * (target - prediction) ** 2"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_twin_scores_equal_ours_on_mistakes(make_tests: ModuleType, checks: ModuleType,
                                            mistake: str, tmp_path: Path) -> None:
    """On planted mistakes (sign, half gradient, ascent, half loss), twin and ours agree and
    both take points off."""
    old, new = MISTAKES[mistake]
    source = (EXAMPLES / "correct.py").read_text()
    assert old in source, f"correct.py no longer contains {old!r}; update MISTAKES"
    path = tmp_path / f"{mistake}.py"
    path.write_text(source.replace(old, new))
    ours = _our_scores(_load(path, f"mistake_{mistake}"))
    theirs = _twin_scores(make_tests, _namespace(path.read_text()))
    assert theirs == pytest.approx(ours, abs=1e-9)
    assert sum(ours.values()) < 25


def test_find_otter_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With no $OTTER, no /opt/otter-venv and no otter on PATH, find_otter is None."""
    monkeypatch.delenv("OTTER", raising=False)
    monkeypatch.setattr(bench_otter, "DEFAULT_OTTER", tmp_path / "none" / "otter")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert bench_otter.find_otter() is None


def test_find_otter_prefers_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$OTTER, when it names an executable, wins over the default location."""
    exe = tmp_path / "otter"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("OTTER", str(exe))
    assert bench_otter.find_otter() == exe


def test_main_without_otter_says_so(monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Without Otter, the driver reports 'not measured' and exits 0."""
    monkeypatch.setattr(bench_otter, "find_otter", lambda: None)
    monkeypatch.setattr(sys, "argv", ["otter.py"])
    assert bench_otter.main() == 0
    assert "not measured" in capsys.readouterr().out


def test_driver_imports_only_stdlib_and_numpy() -> None:
    """benchmarks/otter.py imports nothing outside the standard library and NumPy."""
    tree = ast.parse((ROOT / "benchmarks" / "otter.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    imported.discard("make_tests")  # the twin's own generator, beside it
    assert all(name in sys.stdlib_module_names or name == "numpy" for name in imported), imported


def _recorder(calls: set) -> dict:
    """Submission functions that answer as the reference does and record their arguments."""

    def flat(value: object) -> object:
        if isinstance(value, dict):
            return tuple(sorted((k, flat(v)) for k, v in value.items()))
        if isinstance(value, (list, tuple, np.ndarray)):
            return tuple(float(v) for v in value)
        return float(value)  # type: ignore[arg-type]

    def wrap(name: str):
        def call(*args: object) -> object:
            calls.add((name, tuple(flat(a) for a in args)))
            return getattr(ref, name)(*args)

        return call

    return {name: wrap(name) for name in ("forward", "loss", "gradients", "sgd_step")}


def test_twin_calls_the_submission_on_our_inputs(make_tests: ModuleType,
                                                 checks: ModuleType) -> None:
    """Each twin test calls the submission on exactly the inputs our test uses (same unseen
    cases from the same seeds, same learning rates, same rounded weights)."""
    ours_by_name = _our_tests()
    for twin in make_tests.TWINS:
        fn = ours_by_name[twin.test][0]
        ours: set = set()
        functions = _recorder(ours)
        supply = {"submission": SimpleNamespace(**functions), "reference": ref,
                  "rng": _our_rng(twin.test), "credit": plugin.Credit()}
        fn(**{p: supply[p] for p in inspect.signature(fn).parameters})
        theirs: set = set()
        namespace = _recorder(theirs)
        for part in twin.parts or (None,):
            check = getattr(checks, twin.check)
            check(namespace) if part is None else check(namespace, part)
        assert theirs == ours, twin.test
