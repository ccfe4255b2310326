"""grader.verify: running claims with time limits, the table, the JSON, and exit codes."""

from __future__ import annotations

import io
import json
import math
import threading
import time

import pytest

from grader import verify
from grader.errors import UsageError
from reference import derivations
from reference.derivations._registry import Claim, Evidence


def _claim(name: str, check: object, assignments: tuple[str, ...] = ("mathml_hw4",)) -> Claim:
    return Claim(name=name, source="seed 003, section 9", assignments=assignments,
                 statement=f"{name} in words", check=check)  # type: ignore[arg-type]


def _holds() -> Evidence:
    return Evidence(method="symbolic", holds=True, trials=3, worst_error=0.0, detail="shown")


def _fails() -> Evidence:
    return Evidence(method="finite differences", holds=False, trials=2, worst_error=float("inf"),
                    detail="dW: has shape (3, 2); expected (2, 3)")


def _raises() -> Evidence:
    raise ZeroDivisionError("division by zero in the check")


def _hangs() -> Evidence:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # a busy loop, like SymPy stuck in simplify
        pass
    return _holds()


def _sleeps() -> Evidence:
    # The abandoned thread cannot be stopped: it sleeps rather than spin so it costs no CPU.
    time.sleep(3)
    return _holds()


@pytest.fixture
def fake_claims(monkeypatch: pytest.MonkeyPatch) -> list[Claim]:
    """Replace the registry seen by run_claims with three quick claims."""
    claims = [_claim("alpha_holds", _holds), _claim("beta_fails", _fails),
              _claim("gamma_holds", _holds, ("cs229_ps2",))]

    def claims_for(assignments: list[str] | None = None) -> list[Claim]:
        if assignments is None:
            return claims
        return [c for c in claims if set(assignments) & set(c.assignments)]

    monkeypatch.setattr(derivations, "claims_for", claims_for)
    return claims


def test_run_claim_records_evidence() -> None:
    """A holding claim's evidence is copied into the result with its timing."""
    r = verify.run_claim(_claim("alpha_holds", _holds))
    assert (r.name, r.verdict, r.method, r.trials, r.worst_error) == (
        "alpha_holds", "holds", "symbolic", 3, 0.0)
    assert r.source == "seed 003, section 9" and r.assignments == ("mathml_hw4",)
    assert r.seconds >= 0


def test_run_claim_crash_is_error_verdict() -> None:
    """A check that raises is reported as 'error' naming the exception, not propagated."""
    r = verify.run_claim(_claim("broken", _raises))
    assert r.verdict == "error"
    assert "ZeroDivisionError" in r.detail


def test_run_claim_timeout_stops_a_hung_check() -> None:
    """A check running past its limit comes back as 'timeout' quickly."""
    start = time.monotonic()
    r = verify.run_claim(_claim("stuck", _hangs), timeout=0.3)
    assert r.verdict == "timeout"
    assert time.monotonic() - start < 5
    assert "0.3 s" in r.detail


def test_run_claim_timeout_off_the_main_thread() -> None:
    """Off the main thread (no SIGALRM) a hung check still yields 'timeout'."""
    box: dict[str, verify.ClaimResult] = {}
    worker = threading.Thread(
        target=lambda: box.setdefault("r", verify.run_claim(_claim("stuck", _sleeps),
                                                            timeout=0.3)))
    worker.start()
    worker.join(10)
    assert box["r"].verdict == "timeout"


def test_run_claims_unknown_assignment_is_usage_error() -> None:
    """An unknown assignment name raises UsageError listing the known ones."""
    with pytest.raises(UsageError, match=r"cs999.*mathml_hw4"):
        verify.run_claims(["cs999"])


def test_run_claims_filters_by_assignment(fake_claims: list[Claim]) -> None:
    """Only claims of the named assignment run; an empty list means all."""
    assert [r.name for r in verify.run_claims(["cs229_ps2"])] == ["gamma_holds"]
    assert len(verify.run_claims([])) == 3
    assert len(verify.run_claims(None)) == 3


def test_format_table_has_columns_summary_and_failure_details(fake_claims: list[Claim]) -> None:
    """The table shows claim, source, method with trials and error, verdict, a summary line and
    the detail of each claim that did not hold."""
    text = verify.format_table(verify.run_claims())
    lines = text.splitlines()
    assert lines[0].split() == ["claim", "source", "method", "verdict"]
    alpha = next(line for line in lines if line.startswith("alpha_holds"))
    assert "seed 003, section 9" in alpha and "symbolic, 3 trials, worst error 0" in alpha
    assert alpha.rstrip().endswith("holds")
    assert "3 claims: 2 hold, 1 fail, 0 error, 0 timeout" in text
    assert "FAILS beta_fails (seed 003, section 9): dW: has shape (3, 2); expected (2, 3)" in text
    assert "shown" not in text  # details of holding claims stay out of the table


def test_format_table_empty() -> None:
    """An empty result list still gives a header and a zero summary."""
    assert "0 claims: 0 hold" in verify.format_table([])


def test_to_json_keys_and_non_finite_error(fake_claims: list[Claim]) -> None:
    """Each entry has the documented keys; an infinite error becomes null so the JSON is valid."""
    data = verify.to_json(verify.run_claims())
    for entry in data:
        assert {"name", "source", "method", "verdict", "detail", "trials", "worst_error",
                "assignments", "statement", "seconds"} <= set(entry)
    failing = next(e for e in data if e["name"] == "beta_fails")
    assert failing["worst_error"] is None and failing["verdict"] == "fails"
    json.dumps(data, allow_nan=False)


def test_run_verify_exit_code_one_when_a_claim_fails(fake_claims: list[Claim]) -> None:
    """Exit code is 1 when any claim does not hold, and the table is printed."""
    out = io.StringIO()
    assert verify.run_verify(None, False, out) == 1
    assert "beta_fails" in out.getvalue()


def test_run_verify_exit_code_zero_when_all_hold(fake_claims: list[Claim]) -> None:
    """Exit code is 0 when every selected claim holds; JSON mode prints only JSON."""
    out = io.StringIO()
    assert verify.run_verify(["cs229_ps2"], True, out) == 0
    data = json.loads(out.getvalue())
    assert [e["name"] for e in data] == ["gamma_holds"]


def test_run_verify_real_claims_of_one_assignment() -> None:
    """The real cs189_hw4_backprop claims all hold through run_verify, as JSON."""
    out = io.StringIO()
    assert verify.run_verify(["cs189_hw4_backprop"], True, out) == 0
    data = json.loads(out.getvalue())
    names = {e["name"] for e in data}
    assert {"relu_derivative_is_step", "softmax_cross_entropy_output_delta",
            "backprop_deltas_give_weight_gradients"} <= names
    assert all(e["verdict"] == "holds" for e in data)
    assert all(e["worst_error"] is None or math.isfinite(e["worst_error"]) for e in data)
