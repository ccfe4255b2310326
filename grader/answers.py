"""Typed math answers as graded parts of an assignment.

An assignment declares its answer parts in ``assignment.toml`` (``[[answers]]`` tables, see
docs/authoring.md, "Typed answers"); a student hands them in as a TOML file, as
``answers.toml`` in a folder, or as notebook cells tagged with the answer id (``grader.load``).
``grade_answers`` turns each part into one ``Outcome`` that scores like a test.

Kinds:

- ``number``: a relative tolerance (never rounding) or a number of significant figures;
- ``expression``: scalar or matrix, decided by ``grader.equiv.check_equivalent``;
- ``gradient``: compared with finite differences of a declared loss
  (``grader.equiv.check_gradient``);
- ``worked``: one number of a multi-step computation. Its ``expected`` is a formula in the
  constants of its chain (``[worked.<chain>]``) and the earlier numbers of the chain, so a later
  number computed correctly from the student's own wrong earlier numbers earns its points
  (error carried forward).

Student text is parsed and evaluated only in a forked child with time and memory limits
(``grader.equiv.run_isolated_many``: one child for all answers of a submission, each answer with
its own limits, ``ANSWERS_TOTAL_TIMEOUT`` for all of them); the instructor's formulas are trusted,
parsed once per process and evaluated here.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from grader.assignment import Assignment, resolve
from grader.errors import AnswerParseError, AssignmentError
from grader.interval import Interval
from grader.score import CaseInfo, Outcome

__all__ = [
    "ANSWERS_TOTAL_TIMEOUT",
    "ANSWER_TIMEOUT",
    "KINDS",
    "AnswerSpec",
    "answer_specs",
    "describe_answers",
    "format_answer_list",
    "grade_answers",
    "run_list_cli",
    "worked_ranges",
    "worked_reference",
]

KINDS = ("number", "expression", "gradient", "worked")
ANSWER_TIMEOUT = 5.0
"""Seconds one answer may take to parse and check."""
ANSWERS_TOTAL_TIMEOUT = 30.0
"""Seconds all answers of one submission may take together. Half of the minute a batch grants
a grader process beyond the code's own limits, so answers alone never make it overrun."""
WORKED_RTOL = 5e-4
"""Default tolerance of a worked number: 4 significant figures, as a hand computation gives."""
WORKED_ATOL = 5e-6
_NUMBER_RTOL = 1e-3
_KEYS = {
    "id", "part", "points", "kind", "title", "prompt", "symbols", "shape", "expected", "loss",
    "wrt", "define", "helpers", "rtol", "atol", "sig_figs", "variants", "chain", "name",
    "decimals", "timeout", "unit",
}
_VARIANT_KEYS = {"name", "expr", "credit", "feedback"}


@dataclass(frozen=True)
class AnswerSpec:
    """One ``[[answers]]`` table of ``assignment.toml``."""

    id: str
    """The key students answer under (``3.1.a5``); dots allowed, as in TOML dotted keys."""
    part: str
    """Breakdown part it counts towards."""
    points: float
    """Points it is worth."""
    kind: str
    """``number``, ``expression``, ``gradient`` or ``worked``."""
    title: str = ""
    """Short name of the quantity."""
    prompt: str = ""
    """What to write, in the words students read (shown by ``grader list``)."""
    symbols: str = ""
    """Symbols answers may use, with shapes (``X: d x n; lambda: scalar``)."""
    shape: str = ""
    """Shape of the answer as students are told (``d x 1``, ``scalar``)."""
    expected: str | float | None = None
    """The answer (expression, number, or the worked formula); never shown to students."""
    loss: str = ""
    """``gradient``: the scalar loss whose gradient is asked."""
    wrt: str = ""
    """``gradient``: the symbol the gradient is taken with respect to."""
    define: tuple[tuple[str, str], ...] = ()
    """``gradient``: symbols computed from others (``Y_hat = softmax(...)``), in order."""
    helpers: str = ""
    """``gradient``: symbols only the definitions use (random inputs they are built from)."""
    rtol: float | None = None
    """``number``/``worked``: relative tolerance."""
    atol: float = 0.0
    """``number``/``worked``: absolute tolerance (needed when the answer is 0)."""
    sig_figs: int | None = None
    """``number``/``worked``: significant figures (sets ``rtol``)."""
    variants: tuple[dict[str, Any], ...] = ()
    """Named wrong answers and automatic diagnoses: ``{name, expr, credit, feedback}``."""
    chain: str = ""
    """``worked``: the ``[worked.<chain>]`` table of constants it belongs to."""
    name: str = ""
    """``worked``: the name later formulas of the chain use for this number."""
    decimals: int | None = None
    """``worked``: the number is the value rounded to this many decimals."""
    timeout: float = ANSWER_TIMEOUT
    """Seconds the check may take."""

    @property
    def case_name(self) -> str:
        return f"answer {self.id}"

    def equiv_variants(self) -> list[tuple[str, str | None, float, str]]:
        out = []
        for v in self.variants:
            expr = v.get("expr")
            out.append((str(v["name"]), None if expr is None else str(expr),
                        float(v.get("credit", 0.0)), str(v.get("feedback", ""))))
        return out


# ---------------------------------------------------------------------------------------------
# Reading the specs
# ---------------------------------------------------------------------------------------------


_SPECS: dict[int, tuple[Assignment, list[AnswerSpec]]] = {}


def answer_specs(assignment: Assignment) -> list[AnswerSpec]:
    """The assignment's answer parts, checked; ``AssignmentError`` says what is wrong.

    Read once per ``Assignment`` object: a batch grades hundreds of submissions with one.
    """
    cached = _SPECS.get(id(assignment))
    if cached is not None and cached[0] is assignment:
        return list(cached[1])
    specs = _read_specs(assignment)
    _SPECS[id(assignment)] = (assignment, specs)
    return list(specs)


def _read_specs(assignment: Assignment) -> list[AnswerSpec]:
    where = f"{assignment.path / 'assignment.toml'}"
    part_ids = {p.id for p in assignment.parts}
    chains = assignment.raw.get("worked", {})
    specs: list[AnswerSpec] = []
    for index, raw in enumerate(assignment.answer_parts, start=1):
        specs.append(_read_spec(raw, f"{where}, [[answers]] #{index}", part_ids, chains))
    ids = [s.id for s in specs]
    for s in specs:
        if ids.count(s.id) > 1:
            raise AssignmentError(f"{where}: answer id {s.id!r} is declared twice")
        clash = [o for o in ids if o.startswith(s.id + ".")]
        if clash:
            # In TOML, "3.1 = 2" and "3.1.a = 1" cannot both be written.
            raise AssignmentError(f"{where}: answer id {s.id!r} is a prefix of {clash[0]!r}; "
                                  "students could not write both in TOML")
    for chain in {s.chain for s in specs if s.kind == "worked"}:
        names = [s.name for s in specs if s.chain == chain]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise AssignmentError(f"{where}: worked chain {chain!r} uses the name "
                                  f"{sorted(dup)[0]!r} twice")
    return specs


def _read_spec(  # noqa: PLR0912  (one check per key)
        raw: Mapping[str, Any], where: str, part_ids: set[str], chains: Mapping[str, Any],
) -> AnswerSpec:
    unknown = set(raw) - _KEYS
    if unknown:
        raise AssignmentError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    for key in ("id", "part", "points", "kind"):
        if key not in raw:
            raise AssignmentError(f"{where}: '{key}' is missing")
    sid, kind = str(raw["id"]), str(raw["kind"])
    where = f"{where} ({sid})"
    if kind not in KINDS:
        raise AssignmentError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    if part_ids and str(raw["part"]) not in part_ids:
        raise AssignmentError(f"{where}: part {raw['part']!r} is not a [[parts]] id")
    points = float(raw["points"])
    if not points >= 0:
        raise AssignmentError(f"{where}: points must be >= 0")
    needed = {"number": ("expected",), "expression": ("expected", "symbols"),
              "gradient": ("loss", "wrt", "symbols"), "worked": ("expected", "chain", "name")}
    for key in needed[kind]:
        if key not in raw:
            raise AssignmentError(f"{where}: a {kind} answer needs '{key}'")
    variants = tuple(dict(v) for v in raw.get("variants", ()))
    for v in variants:
        if set(v) - _VARIANT_KEYS or "name" not in v:
            raise AssignmentError(f"{where}: a variant is {{name, expr, credit, feedback}}, "
                                  f"got {sorted(v)}")
        if not 0.0 <= float(v.get("credit", 0.0)) <= 1.0:
            raise AssignmentError(f"{where}: variant {v['name']!r}: credit must be in [0, 1]")
    define = raw.get("define", {})
    if not isinstance(define, dict):
        raise AssignmentError(f"{where}: 'define' is a table of name = expression")
    if kind == "worked" and str(raw["chain"]) not in chains:
        raise AssignmentError(f"{where}: there is no [worked.{raw['chain']}] table of constants")
    sig = raw.get("sig_figs")
    return AnswerSpec(
        id=sid, part=str(raw["part"]), points=points, kind=kind,
        title=str(raw.get("title", "")), prompt=str(raw.get("prompt", "")),
        symbols=str(raw.get("symbols", "")), shape=str(raw.get("shape", "")),
        expected=raw.get("expected"), loss=str(raw.get("loss", "")),
        wrt=str(raw.get("wrt", "")),
        define=tuple((str(k), str(v)) for k, v in define.items()),
        helpers=str(raw.get("helpers", "")),
        rtol=None if raw.get("rtol") is None else float(raw["rtol"]),
        atol=float(raw.get("atol", WORKED_ATOL if kind == "worked" else 0.0)),
        sig_figs=None if sig is None else int(sig), variants=variants,
        chain=str(raw.get("chain", "")), name=str(raw.get("name", "")),
        decimals=None if raw.get("decimals") is None else int(raw["decimals"]),
        timeout=float(raw.get("timeout", ANSWER_TIMEOUT)),
    )


# ---------------------------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------------------------


@dataclass
class _Verdict:
    credit: float
    message: str
    internal: str = ""
    correct: bool = False
    carried: bool = False
    """Correct only when computed from the student's own earlier (wrong) numbers."""


def grade_answers(assignment: Assignment, submission: Any | None, *,
                  missing_message: str = "") -> list[Outcome]:
    """One ``Outcome`` per answer part of ``assignment``, graded from ``submission.answers``.

    ``submission`` is a ``grader.load.Submission`` (or None when it could not be read: every
    part then earns 0 with ``missing_message``). A problem with one answer (unreadable, too
    long, too slow to check) is that answer's result; it never stops the others.
    """
    specs = answer_specs(assignment)
    if not specs:
        return []
    answers, unreadable = _read_given(getattr(submission, "answers", {}) or {})
    file_error = getattr(submission, "answers_error", "")
    if file_error and not missing_message:
        missing_message = f"Your answers could not be read: {file_error}"
    values, checked = _check_in_child(specs, answers)
    worked = _grade_worked(assignment, [s for s in specs if s.kind == "worked"], answers, values)
    outcomes = []
    for spec in specs:
        if spec.id in unreadable:
            verdict = _Verdict(0.0, f"Could not read your answer: {unreadable[spec.id]}",
                               json.dumps({"diagnosis": "unreadable"}))
        elif spec.id not in answers:
            text = missing_message or (f"no answer for {spec.id}: write it in your answers file "
                                       f"as {_toml_example(spec)}")
            verdict = _Verdict(0.0, text, json.dumps({"diagnosis": "missing"}))
        elif spec.kind == "worked":
            verdict = worked[spec.id]
        elif spec.kind == "number":
            verdict = _from_result(_number_result(spec, answers[spec.id], values.get(spec.id),
                                                  _constant(spec.expected, spec.id)))
        else:
            verdict = _from_result(checked[spec.id])
        info = CaseInfo(nodeid=f"answers::{spec.id}", name=spec.case_name, points=spec.points,
                        part=spec.part, visibility="visible", tags=("answer",))
        fraction = min(max(verdict.credit, 0.0), 1.0)
        outcomes.append(Outcome(info=info, status="passed" if verdict.correct else "failed",
                                fraction=fraction,
                                # A passed answer says nothing, unless its points come from
                                # error carried forward: the student must learn that.
                                messages=[] if verdict.correct and not verdict.carried
                                else [verdict.message],
                                internal=verdict.internal))
    return outcomes


def _read_given(given: Mapping[str, Any]) -> tuple[dict[str, str | float], dict[str, str]]:
    """The handed-in answers as text or finite floats, and why the others cannot be graded.

    The one place where an answer's number is checked: TOML reads ``inf``, ``nan`` and integers
    of any length (a 400-digit one has no float), and everything after this point may compute
    with the numbers it is given.
    """
    answers: dict[str, str | float] = {}
    unreadable: dict[str, str] = {}
    for key, value in given.items():
        if isinstance(value, str):
            answers[key] = value
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            unreadable[key] = (f"an answer must be a number or text, not a "
                               f"{type(value).__name__}")
        else:
            number = _finite(value)
            if isinstance(number, str):
                unreadable[key] = number
            else:
                answers[key] = number
    return answers, unreadable


def _finite(x: int | float) -> float | str:
    """A number handed in, as a float; or why it cannot be graded."""
    try:
        value = float(x)
    except OverflowError:  # an int beyond 1.8e308
        try:
            digits = f"{len(str(abs(x)))} digits"
        except ValueError:  # beyond Python's int-str limit (TOML cannot give those)
            digits = "thousands of digits"
        return (f"it is a number of {digits}, too large to compute with; write the value you "
                "computed, such as 0.8337 or 1.5e-3")
    if not math.isfinite(value):
        return (f"{value} is not a finite number; write the value you computed, such as 0.8337 "
                "or 1.5e-3")
    return value


@functools.cache
def _warm_up_sympy() -> None:
    """Run SymPy's lazily imported machinery once in this (trusted) process.

    Answers are checked in a forked child; what SymPy imports or caches on first use would
    otherwise be redone in the child of every submission a process grades (about 0.1 s each).
    """
    import sympy as sp

    a, b = sp.symbols("a b", positive=True)
    sp.cancel(sp.together(a**2 / b**2 - b / a))
    sp.expand((a + b) ** 3 - a * b)
    sp.N(sp.exp(a).subs(a, 1) - sp.E, 40)
    m = sp.Symbol("m", integer=True, positive=True)
    A, B = sp.MatrixSymbol("A", m, m), sp.MatrixSymbol("B", m, m)
    sp.expand((A + B) * (A - B) - A * A)


def _check_in_child(specs: Sequence[AnswerSpec], answers: Mapping[str, Any]
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Evaluate the numbers and check the expressions and gradients of one submission.

    Returns (id -> float or ``{"error", ...}`` for number-like answers, id -> ``EquivResult``
    for expressions and gradients). Everything that reads student text runs in one forked
    child (``grader.equiv.run_isolated_many``): each answer keeps its own time and memory
    limit, one that is too slow or too big fails alone, and all of them together get
    ``ANSWERS_TOTAL_TIMEOUT``.
    """
    values, texts = _number_texts(specs, answers)
    asked = [s for s in specs if s.kind in {"expression", "gradient"} and s.id in answers]
    if not texts and not asked:
        return values, {}  # nothing to check (a code-only submission): no checker to import
    from grader import equiv

    if any(s.kind == "expression" for s in asked):
        _warm_up_sympy()
    prepared = {s.id: _prepare(s, answers[s.id]) for s in asked}
    jobs = [equiv.IsolatedJob(f"value {key}", functools.partial(_eval_number, text),
                              ANSWER_TIMEOUT, 512) for key, text in texts.items()]
    jobs += [p.job(f"check {key}") for key, p in prepared.items() if p.result is None]
    replies = equiv.run_isolated_many(jobs, total_timeout=ANSWERS_TOTAL_TIMEOUT) if jobs else {}
    for key in texts:
        values[key] = _value_of(replies[f"value {key}"])
    checked = {key: p.finish(replies.get(f"check {key}")) for key, p in prepared.items()}
    return values, checked


def _prepare(spec: AnswerSpec, given: Any) -> Any:
    from grader import equiv

    if not isinstance(given, str):
        given = _number_text(given)
    if spec.kind == "expression":
        return equiv.prepare_equivalent(str(spec.expected), given, spec.symbols,
                                        variants=spec.equiv_variants(), timeout=spec.timeout)
    return equiv.prepare_gradient(spec.loss, spec.wrt, given, spec.symbols, define=spec.define,
                                  helpers=spec.helpers, variants=spec.equiv_variants(),
                                  timeout=spec.timeout)


def _value_of(reply: Mapping[str, Any]) -> Any:
    """A number answer's value (float) or its error, from the child's reply."""
    if "value" in reply:
        return float(reply["value"])
    if reply.get("internal") == "budget":
        return {"message": f"This answer was not checked: checking all your answers together "
                f"may take {ANSWERS_TOTAL_TIMEOUT:g}s, and other answers used that time up; "
                "simplify the ones reported as too complex and hand in again.",
                "diagnosis": "not-checked"}
    if "internal" in reply:
        return {"error": f"it is too complex to check in {ANSWER_TIMEOUT:g}s; simplify it and "
                "try again", "diagnosis": "too-complex"}
    return dict(reply)


def _toml_example(spec: AnswerSpec) -> str:
    if spec.kind in {"number", "worked"}:
        return f"{spec.id} = 0.1234"
    return f'{spec.id} = "your expression"'


def _number_text(x: Any) -> str:
    return repr(float(x)) if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def _from_result(result: Any) -> _Verdict:
    internal = {"verdict": result.verdict, "diagnosis": result.diagnosis,
                "method": result.method}
    if result.counterexample is not None:
        internal["counterexample"] = result.counterexample
    return _Verdict(result.credit, result.message,
                    json.dumps(internal, default=str)[:4000], result.equivalent)


def _number_result(spec: AnswerSpec, given: Any, value: Any, expected: float,
                   variants: Sequence[tuple[str, str | None, float, str]] | None = None) -> Any:
    """Compare a number answer; ``value`` is its float (or an error dict) when pre-evaluated."""
    from grader.equiv import EquivResult, check_number

    if isinstance(value, dict):
        message = value.get("message") or f"Could not read your answer: {value['error']}"
        return EquivResult("parse-error", False, value.get("diagnosis"), message, 0.0, None,
                           "parse", value.get("position"))
    rtol = spec.rtol if spec.rtol is not None else (
        WORKED_RTOL if spec.kind == "worked" else _NUMBER_RTOL)
    number = value if isinstance(value, float) else given
    return check_number(number, expected, rtol=rtol, atol=spec.atol, sig_figs=spec.sig_figs,
                        variants=spec.equiv_variants() if variants is None else variants,
                        timeout=spec.timeout)


def _constant(expected: Any, what: str) -> float:
    """The value of a trusted constant (a number or an expression such as ``1/(1+e)``)."""
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return float(expected)
    try:
        return float(_scalar_formula(str(expected), ()).evaluate({}, {}))
    except (AnswerParseError, TypeError, ValueError) as exc:
        raise AssignmentError(f"answer {what}: expected value {expected!r}: {exc}") from None


def _number_texts(specs: Sequence[AnswerSpec], answers: Mapping[str, Any]
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """Number-like answers that need no parsing (id -> float or error), and the texts to parse.

    Text that is too long is refused here, before anything is forked.
    """
    from grader.mathparse import MAX_INPUT_CHARS

    out: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for spec in specs:
        if spec.kind not in {"number", "worked"} or spec.id not in answers:
            continue
        given = answers[spec.id]
        if not isinstance(given, str):
            out[spec.id] = given  # a finite float (``_read_given``)
        elif len(given) > MAX_INPUT_CHARS:
            out[spec.id] = {"error": f"answer is too long ({len(given)} characters; the limit "
                            f"is {MAX_INPUT_CHARS})", "position": MAX_INPUT_CHARS}
        else:
            texts[spec.id] = given
    return out, texts


def _eval_number(text: str) -> dict[str, Any]:  # pragma: no cover - runs in the child
    from grader.mathparse import SymbolTable, parse_expression

    try:
        expr = parse_expression(text.replace(",", "") if _is_plain_thousands(text) else text,
                                SymbolTable())
        if expr.is_matrix:
            return {"error": "a number is expected, not a matrix", "position": 0}
        value = float(expr.evaluate({}, {}))
    except AnswerParseError as exc:
        return {"error": str(exc), "position": exc.position}
    except (ArithmeticError, ValueError, TypeError) as exc:
        return {"error": f"it has no value ({type(exc).__name__})"}
    if not math.isfinite(value):
        return {"error": "it is not a finite number"}
    return {"value": value}


def _is_plain_thousands(text: str) -> bool:
    """``1,234.5`` is a number with a thousands separator, not a list."""
    body = text.strip().lstrip("+-")
    head, _, _ = body.partition(".")
    groups = head.split(",")
    return len(groups) > 1 and groups[0].isdigit() and len(groups[0]) <= 3 and all(
        g.isdigit() and len(g) == 3 for g in groups[1:])


# -- worked numbers, error carried forward ----------------------------------------------------


def worked_reference(constants: Mapping[str, float], steps: Sequence[AnswerSpec],
                     earlier: Mapping[str, float]) -> dict[str, float]:
    """The expected value of every step of a worked chain, from the given earlier values.

    ``constants`` are the chain's data (inputs, starting weights, learning rate), ``steps`` its
    answers in order, ``earlier`` the values to use for steps already answered (by step name).
    A step found in ``earlier`` keeps that value for the steps after it; a step that is not is
    computed from its formula. With ``earlier`` empty this is the correct computation; with a
    student's own numbers it is what each later step should be if computed correctly from them,
    or NaN where those numbers give no finite value (a step that is NaN is never carried).
    """
    names = (*constants, *(s.name for s in steps))
    table = _scalar_table(names)
    values: dict[str, float] = {table.lookup(k).name: float(v)  # type: ignore[union-attr]
                                for k, v in constants.items()}
    out: dict[str, float] = {}
    for step in steps:
        try:
            expr = _scalar_formula(str(step.expected), names)
            value = float(expr.evaluate(values, {}))
        except AnswerParseError as exc:
            raise AssignmentError(f"worked answer {step.id}: formula {step.expected!r}: "
                                  f"{exc}") from None
        except (ArithmeticError, ValueError) as exc:
            if not earlier:
                raise AssignmentError(f"worked answer {step.id}: formula {step.expected!r}: "
                                      f"{exc}") from None
            value = math.nan  # the student's numbers leave this step without a value
        if not math.isfinite(value) and earlier:
            value = math.nan
        if step.decimals is not None:
            value = _round_half_up(value, step.decimals)
        out[step.name] = value
        canon = table.lookup(step.name).name  # type: ignore[union-attr]
        values[canon] = float(earlier[step.name]) if step.name in earlier else value
    return out


def worked_ranges(constants: Mapping[str, float], steps: Sequence[AnswerSpec]
                  ) -> dict[str, Interval]:
    """Every value each step of a worked chain can take, whatever numbers it is computed from.

    Only such values are carried forward: a sigmoid of exactly 0 or a tanh of 1 can be
    produced by no input, and carried it would make every later derivative 0 and "unchanged"
    weights correct. The chain's constants count as any real (a student's slip in a first
    step is still carried); a step's symbols range over the earlier steps' own ranges.
    """
    from grader.interval import image

    names = (*constants, *(s.name for s in steps))
    table = _scalar_table(names)
    canon: dict[str, Interval] = {}
    out: dict[str, Interval] = {}
    for step in steps:
        r = image(_scalar_formula(str(step.expected), names), canon)
        if step.decimals is not None:  # rounding reaches the rounded ends themselves
            r = Interval(_round_half_up(r.lo, step.decimals), _round_half_up(r.hi, step.decimals))
        out[step.name] = canon[table.lookup(step.name).name] = r  # type: ignore[union-attr]
    return out


def _round_half_up(x: float, decimals: int) -> float:
    scale = 10.0**decimals
    if not math.isfinite(x * scale):
        return x  # nothing to round (and math.floor refuses infinities)
    return math.floor(x * scale + 0.5) / scale


@functools.lru_cache(maxsize=64)
def _scalar_table(names: tuple[str, ...]) -> Any:
    """The scalar symbol table of a worked chain, built once per process."""
    from grader.mathparse import SymbolTable

    return SymbolTable.parse("; ".join(f"{n}: scalar" for n in names))


@functools.lru_cache(maxsize=2048)
def _scalar_formula(text: str, names: tuple[str, ...]) -> Any:
    """A trusted formula of a worked chain, parsed once per process (only ever evaluated)."""
    from grader.mathparse import parse_expression

    return parse_expression(text, _scalar_table(names))


def _step_deps(step: AnswerSpec, names: Sequence[str], constants: Mapping[str, Any]) -> list[str]:
    everything = (*constants, *names)
    table = _scalar_table(everything)
    used = {s.name for s in _scalar_formula(str(step.expected), everything).symbols()}
    return [n for n in names if table.lookup(n).name in used]  # type: ignore[union-attr]


def _grade_worked(assignment: Assignment, steps: Sequence[AnswerSpec],
                  answers: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, _Verdict]:
    out: dict[str, _Verdict] = {}
    chains = assignment.raw.get("worked", {})
    for chain in dict.fromkeys(s.chain for s in steps):
        members = [s for s in steps if s.chain == chain]
        if not any(s.id in answers for s in members):
            continue
        constants = {str(k): float(v) for k, v in chains[chain].items()}
        truth = worked_reference(constants, members, {})
        own, refused = _carried_numbers(constants, members, values, truth)
        carried = worked_reference(constants, members, own)
        names = [s.name for s in members]
        for step in members:
            if step.id not in answers:
                continue
            variants = [(str(v["name"]), None if v.get("expr") is None else
                         repr(_chain_value(str(v["expr"]), constants, truth, step.id)),
                         float(v.get("credit", 0.0)), str(v.get("feedback", "")))
                        for v in step.variants]
            verdict = _grade_step(step, answers[step.id], values.get(step.id), truth, carried,
                                  own, _step_deps(step, names, constants), variants)
            if step.name in refused and not verdict.correct:
                verdict.message += f" {refused[step.name]}"
            out[step.id] = verdict
    return out


def _carried_numbers(constants: Mapping[str, float], steps: Sequence[AnswerSpec],
                     values: Mapping[str, Any], truth: Mapping[str, float],
                     ) -> tuple[dict[str, float], dict[str, str]]:
    """The student's numbers that later steps are graded from (by step name), and why each of
    the others is not.

    A wrong number is carried forward (a slip costs its own step only), unless it is one the
    step cannot produce from any input (outside ``worked_ranges``), or it follows only from
    such a number: a sigmoid of 0 makes every later derivative 0, and carrying those zeros
    would make "unchanged" weights correct. Later steps are then graded from the correct value
    of the refused step (as if it had not been answered), so nothing is earned from it.
    """
    ranges = worked_ranges(constants, steps)
    own: dict[str, float] = {}
    refused: dict[str, str] = {}
    refused_values: dict[str, float] = {}
    impossible: dict[str, float] = {}
    for s in steps:
        value = values.get(s.id)
        if not isinstance(value, float):
            continue
        # A value within the tolerance of the truth is kept even just outside the range
        # (0.99999 written as 1.000): it is correct, and carrying it changes nothing.
        if _near(value, truth[s.name], s):
            own[s.name] = value
        elif not ranges[s.name].contains(value):
            refused[s.name] = (f"{value:g} is not a value this step can take (it lies in "
                               f"{ranges[s.name]} whatever it is computed from), so later "
                               "steps are not graded from it.")
            refused_values[s.name] = impossible[s.name] = value
        elif refused and _follows_from_refused(constants, steps, s, value, own,
                                               refused_values):
            used = ", ".join(f"{k} = {v:g}" for k, v in impossible.items())
            refused[s.name] = (f"It follows from your {used}, which no input can give, so "
                               "later steps are not graded from it either.")
            refused_values[s.name] = value
        else:
            own[s.name] = value
    return own, refused


def _follows_from_refused(  # noqa: PLR0917  (the chain, the step, and both sets of numbers)
        constants: Mapping[str, float], steps: Sequence[AnswerSpec], step: AnswerSpec,
        value: float, own: Mapping[str, float], refused: Mapping[str, float]) -> bool:
    """Whether ``value`` is what ``step`` gives from the refused numbers, and not what it gives
    from the carried ones alone."""
    with_refused = worked_reference(constants, steps, {**own, **refused})[step.name]
    without = worked_reference(constants, steps, own)[step.name]
    return _near(value, with_refused, step) and not _near(value, without, step)


def _chain_value(text: str, constants: Mapping[str, float], values: Mapping[str, float],
                 what: str) -> float:
    """A trusted formula of a worked chain (a variant's wrong formula) at the given values."""
    names = (*constants, *values)
    table = _scalar_table(names)
    point = {table.lookup(k).name: float(v)  # type: ignore[union-attr]
             for k, v in {**constants, **values}.items()}
    try:
        return float(_scalar_formula(text, names).evaluate(point, {}))
    except (AnswerParseError, ArithmeticError, ValueError) as exc:
        raise AssignmentError(f"worked answer {what}: variant {text!r}: {exc}") from None


def _grade_step(  # noqa: PLR0917  (a step needs the truth, the carried values and its deps)
        step: AnswerSpec, given: Any, value: Any, truth: Mapping[str, float],
                carried: Mapping[str, float], own: Mapping[str, float],
                deps: Sequence[str], variants: Sequence[tuple[str, str | None, float, str]],
                ) -> _Verdict:
    want = truth[step.name]
    if step.decimals is not None:
        return _grade_rounded(step, given, value, want, carried, own, deps, variants)
    result = _number_result(step, given, value, want, variants)
    if result.equivalent:
        return _from_result(result)
    alt = carried[step.name]
    wrong_deps = [d for d in deps if d in own and not _near(own[d], truth[d], step)]
    if isinstance(value, float) and wrong_deps and _near(value, alt, step) \
            and not _near(alt, want, step):
        used = ", ".join(f"{d} = {own[d]:.6g}" for d in wrong_deps)
        return _Verdict(1.0, f"Correct for your own earlier values: consistent with your "
                        f"{used}, carried forward (full credit for this step).",
                        json.dumps({"diagnosis": "carried-forward", "expected": want,
                                    "expected_from_own_values": alt}), True, True)
    verdict = _from_result(result)
    if isinstance(value, float) and wrong_deps:
        used = ", ".join(f"{d} = {own[d]:.6g}" for d in wrong_deps)
        verdict.message += (f" It is not consistent with your own {used} either (computed "
                            "from them, this step comes out differently).")
    return verdict


def _near(a: float, b: float, step: AnswerSpec) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return False  # abs(x - inf) <= rtol * inf would hold for every x
    rtol = step.rtol if step.rtol is not None else WORKED_RTOL
    if step.sig_figs:
        rtol = 0.5 * 10.0 ** (1 - step.sig_figs)
    return abs(a - b) <= rtol * abs(b) + step.atol


def _grade_rounded(  # noqa: PLR0917  (as _grade_step)
        step: AnswerSpec, given: Any, value: Any, want: float,
                   carried: Mapping[str, float], own: Mapping[str, float],
                   deps: Sequence[str], variants: Sequence[tuple[str, str | None, float, str]],
                   ) -> _Verdict:
    """A number rounded to ``step.decimals``: exactly the rounded value is expected."""
    if not isinstance(value, float):
        return _from_result(_number_result(step, given, value, want, variants))
    digits = f"{step.decimals} decimals"
    half = 0.5 * 10.0 ** -(step.decimals or 0)

    def same(a: float, b: float) -> bool:
        return math.isfinite(b) and abs(a - b) <= 1e-9 * max(1.0, abs(b))

    if same(value, want):
        return _Verdict(1.0, f"Correct (rounded to {digits}).",
                        json.dumps({"diagnosis": None}), True)
    alt = carried[step.name]
    own_deps = [d for d in deps if d in own]
    if own_deps and same(value, alt) and not same(alt, want):
        used = ", ".join(f"{d} = {own[d]:.6g}" for d in own_deps)
        return _Verdict(1.0, f"Correct for your own earlier values: {value:g} is your {used} "
                        f"rounded to {digits}, carried forward (full credit for this step).",
                        json.dumps({"diagnosis": "carried-forward", "expected": want}), True,
                        True)
    for name, expr, credit, feedback in variants:
        if expr is not None and same(value, float(expr)):
            return _Verdict(credit, feedback or f"Not correct: this is the known mistake "
                            f"'{name}'.", json.dumps({"diagnosis": name}))
    if abs(value - want) < half:
        return _Verdict(0.0, f"Not correct: give the value rounded to exactly {digits}.",
                        json.dumps({"diagnosis": "not-rounded", "expected": want}))
    return _Verdict(0.0, f"Not correct: the value rounded to {digits} is different.",
                    json.dumps({"diagnosis": None, "expected": want}))


# ---------------------------------------------------------------------------------------------
# grader list
# ---------------------------------------------------------------------------------------------


def describe_answers(assignment: Assignment) -> list[dict[str, Any]]:
    """What students need to write each answer: id, kind, points, symbols with shapes, form.

    Uses only keys the student kit keeps (no expected answers, no variants), so it works on
    the kit's copy of ``assignment.toml`` as well.
    """
    from grader.mathparse import SymbolTable

    out = []
    chains = assignment.raw.get("worked", {})
    for raw in assignment.answer_parts:
        kind = str(raw.get("kind", ""))
        symbols = []
        if raw.get("symbols"):
            try:
                table = SymbolTable.parse(str(raw["symbols"]))
            except AnswerParseError as exc:
                raise AssignmentError(f"answer {raw.get('id')}: symbols: {exc}") from None
            for spec in table.specs.values():
                shape = "scalar" if spec.shape is None else f"{spec.shape[0]} x {spec.shape[1]}"
                if spec.structure not in {"general", "real"}:
                    shape += f" ({spec.structure})"
                symbols.append({"name": spec.display, "shape": shape})
        entry: dict[str, Any] = {
            "id": str(raw.get("id")), "part": str(raw.get("part", "")), "kind": kind,
            "points": float(raw.get("points", 0)), "title": str(raw.get("title", "")),
            "prompt": str(raw.get("prompt", "")), "symbols": symbols,
            "shape": str(raw.get("shape", "")),
            "form": _form(kind, raw, symbols),
        }
        if kind == "worked" and raw.get("chain") in chains:
            entry["given"] = {str(k): v for k, v in chains[raw["chain"]].items()}
        out.append(entry)
    return out


def _form(kind: str, raw: Mapping[str, Any], symbols: Sequence[Mapping[str, str]]) -> str:
    if kind == "number":
        return ("a number: a decimal (0.2689) or a constant expression such as 1/(1+e); it is "
                "compared with a relative tolerance, so do not round it much")
    if kind == "worked":
        if raw.get("decimals") is not None:
            return f"a number rounded to {raw['decimals']} decimals"
        return ("a number: give at least 4 significant figures (0.001573, not 0.0016); a value "
                "computed correctly from your own earlier numbers counts as correct")
    names = ", ".join(s["name"] for s in symbols) or "no symbols"
    shape = str(raw.get("shape", "")).strip()
    what = ("a scalar expression" if shape in {"", "scalar", "1 x 1"}
            else f"an expression whose value is a {shape} matrix")
    form = (f"{what} in {names}, as text or LaTeX (X^T, X^{{-1}}, \\frac{{a}}{{b}}, \\odot for "
            "the elementwise product)")
    if kind == "gradient":
        form += "; it is checked against finite differences of the loss, so any correct form passes"
    return form


def format_answer_list(assignment: Assignment, entries: Sequence[Mapping[str, Any]]) -> str:
    """The human-readable table ``grader list`` prints."""
    total = sum(e["points"] for e in entries)
    lines = [f"{assignment.name}: {len(entries)} typed answers, {total:g} points", ""]
    if not entries:
        return "\n".join([f"{assignment.name} has no typed answers.", ""])
    lines += [
        "Hand in answers in a TOML file (one line per answer id; text in quotes), e.g.",
        f"    {_toml_example_raw(entries[0])}",
        "alone (grader grade ASSIGNMENT answers.toml), as answers.toml next to your code, or in",
        "notebook cells tagged with the answer id (the cell's text is the answer).",
        "",
    ]
    for e in entries:
        head = f"{e['id']}  [{e['kind']}, {e['points']:g} pt, part {e['part']}]"
        if e["title"]:
            head += f"  {e['title']}"
        lines.append(head)
        if e["prompt"]:
            lines.append(f"    {e['prompt']}")
        if e["symbols"]:
            lines.append("    symbols: " + "; ".join(f"{s['name']}: {s['shape']}"
                                                     for s in e["symbols"]))
        if e.get("given"):
            lines.append("    given: " + ", ".join(f"{k} = {v:g}" if isinstance(v, float | int)
                                                   else f"{k} = {v}"
                                                   for k, v in e["given"].items()))
        if e["shape"]:
            lines.append(f"    shape: {e['shape']}")
        lines.append(f"    write: {e['form']}")
        lines.append("")
    return "\n".join(lines)


def _toml_example_raw(entry: Mapping[str, Any]) -> str:
    if entry["kind"] in {"number", "worked"}:
        return f"{entry['id']} = 0.1234"
    return f'{entry["id"]} = "X^T (X w - y)"'


def run_list_cli(assignment: str | Path, *, as_json: bool, out: TextIO) -> int:
    """``grader list``: print the answer parts of an assignment; exit 0."""
    a = resolve(assignment)
    entries = describe_answers(a)
    if as_json:
        out.write(json.dumps({"assignment": a.name, "answers": entries}, indent=2) + "\n")
    else:
        out.write(format_answer_list(a, entries))
    return 0
