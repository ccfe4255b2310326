"""Text that came from a student, made safe to write: valid Unicode, a bounded size, cut visibly.

Anything a submission can influence (its exception messages and type names, what it printed, the
values test helpers quote in messages, file names) reaches the report, the terminal and the
gradebook. Two rules hold for all of it, and this module is where both are kept:

- **Valid Unicode.** Python strings may hold lone surrogates (``"\\ud800"``), which no UTF-8
  writer accepts: one in an exception message used to stop the report from being written at all.
  Each lone surrogate becomes the six characters of its escape, ``\\ud800`` (what ``repr`` shows),
  so the text stays readable and nothing is silently dropped.
- **A size budget.** Per test and per report (see the constants below). Text over its budget is
  cut, and the cut is marked (``[... 123456 more characters cut]``), so nobody mistakes a cut
  message for the whole one.

Pure functions on plain data; nothing here imports NumPy or starts a process.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: Characters of student-facing text one test may show (its messages joined).
TEST_CHARS = 4_000
#: Characters of instructor-only text one test may keep (tracebacks, internal detail).
INTERNAL_CHARS = 8_000
#: Characters of student-facing text a whole report may show, over all of its tests; once spent,
#: each further test keeps ``FLOOR_CHARS`` (so every test still says why it failed).
REPORT_CHARS = 200_000
FLOOR_CHARS = 300
#: Characters of one note (load notes, carried-forward notes) and how many notes a report keeps.
NOTE_CHARS = 1_000
MAX_NOTES = 50
#: Characters of the instructor section of a report, all strings together, and of any one string.
INSTRUCTOR_CHARS = 400_000
INSTRUCTOR_STRING_CHARS = 100_000
#: Most characters of a report's JSON (with non-ASCII characters escaped, so also its most bytes
#: as UTF-8): the budgets above are shrunk until the report fits.
MAX_REPORT_CHARS = 1_000_000
#: Characters of any other string in a report (paths, names, ids).
OTHER_CHARS = 2_000

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` with every lone surrogate written as its escape (``\\ud800``): always encodable
    as UTF-8."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _marker(n: int) -> str:
    return f"[... {n} more characters cut]"


def cut(text: str, limit: int) -> str:
    """``text`` cleaned and cut to at most about ``limit`` characters: its head, then a marker
    saying how much was cut."""
    if len(text) > limit:
        text = f"{text[:max(limit, 0)]}\n{_marker(len(text) - limit)}"
    return clean(text)


def cut_tail(text: str, limit: int) -> str:
    """Like ``cut``, keeping the end (of a traceback, where the error is)."""
    if len(text) > limit:
        text = f"{_marker(len(text) - limit)}\n{text[len(text) - max(limit, 0):]}"
    return clean(text)


def brief(value: Any, limit: int = 200) -> str:
    """A ``repr`` of ``value`` of at most about ``limit`` characters, built without building the
    whole ``repr`` first: a 2 MB dict quoted in a message costs a few hundred characters, not a
    few megabytes per message."""
    out: list[str] = []
    _brief(value, limit, out, [limit])
    return clean("".join(out))


_BRACKETS: dict[type, str] = {list: "[]", tuple: "()", set: "{}", frozenset: "{}", dict: "{}"}


def _brief(value: Any, limit: int, out: list[str], left: list[int]) -> None:
    """Append pieces of ``value``'s repr to ``out`` while ``left[0]`` characters remain."""
    if left[0] <= 0:
        return
    t = type(value)
    if t in (list, tuple, set, frozenset, dict):
        brackets = _BRACKETS[t]
        opening, closing = brackets[0], brackets[1]
        items: Iterable[Any] = value.items() if t is dict else value
        _emit(opening, out, left)
        n = len(value)
        for i, item in enumerate(items):
            if left[0] <= 0:
                out.append(f", ... {n - i} more" if i else f"... {n} more")
                break
            if i:
                _emit(", ", out, left)
            if t is dict:
                _brief(item[0], limit, out, left)
                _emit(": ", out, left)
                _brief(item[1], limit, out, left)
            else:
                _brief(item, limit, out, left)
        out.append(closing)
        return
    try:
        if t is str or t is bytes:
            text = repr(value[:left[0] + 1])  # never the repr of all of a 100 MB string
        elif t in (int, float, bool, complex, type(None)):
            text = repr(value)
        else:
            text = _repr_head(value, left[0] + 1)
    except Exception:  # noqa: BLE001 - a value's repr may raise; say what it is instead
        text = f"<{t.__name__}>"
    _emit(text, out, left)


def _repr_head(value: Any, limit: int) -> str:
    """The start of a repr whose size the caller cannot bound (arrays: NumPy's own summary)."""
    text = repr(value)
    return text[:limit]


def _emit(text: str, out: list[str], left: list[int]) -> None:
    if left[0] <= 0:
        return  # already cut (and marked) within this value
    if len(text) > left[0]:
        text = text[:max(left[0], 0)] + "..."
    out.append(text)
    left[0] -= len(text)


def keys_of(mapping: Mapping[Any, Any], limit: int = 20) -> str:
    """The first ``limit`` keys of ``mapping`` in sorted order, quoted briefly, and how many more:
    for messages like "returned no 'W1' entry (keys: ['b1', 'b2'])"."""
    n = len(mapping)
    try:
        first = heapq.nsmallest(limit, mapping) if n > limit else sorted(mapping)
    except TypeError:  # keys of mixed types have no order
        first = list(itertools.islice(mapping, limit))
    shown = "[" + ", ".join(brief(k, 40) for k in first) + "]"
    return shown if n <= limit else f"{shown[:-1]}, ... {n - limit} more]"


def bound_messages(messages: list[str], limit: int = TEST_CHARS) -> list[str]:
    """A test's messages, each cleaned, together at most about ``limit`` characters."""
    out = []
    left = limit - _RESERVE  # room for the markers, so the joined text stays within `limit`
    for i, m in enumerate(messages):
        if left <= 0:
            out.append(f"[... {len(messages) - i} more messages cut]")
            break
        kept = cut(m, left)
        out.append(kept)
        left -= len(kept) + 1  # and the newline that joins it to the next
    return out


_RESERVE = 80


def bound_notes(notes: list[str], chars: int = NOTE_CHARS) -> list[str]:
    """At most ``MAX_NOTES`` notes of at most ``chars`` characters each."""
    out = [cut(n, chars) for n in notes[:MAX_NOTES]]
    if len(notes) > MAX_NOTES:
        out.append(f"[... {len(notes) - MAX_NOTES} more notes cut]")
    return out


def clean_tree(value: Any, limit: int = OTHER_CHARS) -> Any:
    """Plain JSON-like data with every str (dict keys too) cleaned and cut to ``limit``."""
    if isinstance(value, str):
        return cut(value, limit)
    if isinstance(value, dict):
        return {cut(str(k), limit): clean_tree(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v, limit) for v in value]
    return value


def bound_tree(value: Any, budget: int, string_limit: int) -> Any:
    """Like ``clean_tree``, with all strings together held to ``budget`` characters (each
    string at most ``string_limit``; strings over what is left keep their end: tracebacks)."""
    left = [budget]

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            text = cut_tail(v, max(min(string_limit, left[0]), 0))
            left[0] -= len(text)
            return text
        if isinstance(v, dict):
            return {cut(str(k), OTHER_CHARS): walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    return walk(value)


# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), the bidi controls
# that reorder what a line appears to say, and the line and paragraph separators.
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(line: str) -> str:
    """``line`` safe to print on a terminal: escape sequences (clear screen, window title,
    clipboard, hyperlinks), carriage returns, bells and bidi overrides become visible escapes
    (``\\x1b``, ``\\r``, ``\\u202e``), so printed text cannot rewrite or disguise the lines
    around it. Tabs and newlines stay (callers split on newlines to lay out their own lines)."""
    text = clean(line)
    if text.isascii() and text.isprintable():
        return text
    return _TERMINAL_UNSAFE.sub(_escape, text)


def json_for_terminal(text: str) -> str:
    """JSON text with the characters ``for_terminal`` escapes written as JSON escapes
    (``\\u001b``): the same JSON value, harmless on a terminal."""
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
