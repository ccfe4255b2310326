"""Student text made safe to write: valid Unicode, bounded, cut visibly, harmless on a terminal."""

from __future__ import annotations

import numpy as np
import pytest

from grader import text


@pytest.mark.parametrize(("given", "want"), [
    ("plain", "plain"),
    ("é ü 中", "é ü 中"),
    ("a\ud800b", "a\\ud800b"),
    ("\udfff", "\\udfff"),
    ("\ud83d\ude00", "\\ud83d\\ude00"),  # a pair of lone surrogates is not an emoji in a str
])
def test_clean_escapes_lone_surrogates(given: str, want: str) -> None:
    """Each lone surrogate becomes its six-character escape; everything else is kept."""
    assert text.clean(given) == want
    text.clean(given).encode("utf-8")


def test_cut_keeps_the_head_and_says_how_much_was_cut() -> None:
    """Over the limit: the first `limit` characters, then a marker with the count cut."""
    assert text.cut("abcdefghij", 4) == "abcd\n[... 6 more characters cut]"
    assert text.cut("abc", 4) == "abc"


def test_cut_tail_keeps_the_end() -> None:
    """Tracebacks keep their last lines, where the error is."""
    assert text.cut_tail("abcdefghij", 4) == "[... 6 more characters cut]\nghij"


def test_brief_of_a_huge_dict_is_short_and_says_how_many_more() -> None:
    """A 200,000-key dict is quoted in about `limit` characters without building its repr."""
    d = {f"k{i}": i for i in range(200_000)}
    out = text.brief(d, 30)
    assert out == "{'k0': 0, 'k1': 1, 'k2': 2, 'k..., ... 199996 more}"


def test_brief_of_a_huge_string_and_an_array() -> None:
    """A 10 MB string and a large array cost a few dozen characters."""
    assert text.brief("x" * 10_000_000, 10) == "'xxxxxxxxx..."
    assert len(text.brief(np.zeros((1000, 1000)), 50)) <= 53


def test_brief_of_plain_values_is_their_repr() -> None:
    """Short values are quoted exactly as repr quotes them."""
    assert text.brief([1, "a", (2.5, None)]) == "[1, 'a', (2.5, None)]"
    assert text.brief({"a": [1, 2]}) == "{'a': [1, 2]}"


def test_keys_of_a_huge_dict() -> None:
    """The smallest keys in order, then how many more."""
    d = {f"key{i:07d}": 0 for i in range(200_000)}
    assert text.keys_of(d, 3) == "['key0000000', 'key0000001', 'key0000002', ... 199997 more]"
    assert text.keys_of({"b": 1, "a": 2}) == "['a', 'b']"


def test_bound_messages_holds_a_test_to_its_budget() -> None:
    """Messages share the test's budget; the rest are counted, not kept."""
    out = text.bound_messages(["a" * 30, "b" * 30, "c", "d"], 120)
    assert out == ["a" * 30, "b" * 9 + "\n[... 21 more characters cut]",
                   "[... 2 more messages cut]"]
    assert len("\n".join(out)) <= 120


def test_bound_notes_keeps_at_most_max_notes() -> None:
    """50 notes of at most 1,000 characters, then a count of the rest."""
    out = text.bound_notes(["n" * 5000] * 60)
    assert len(out) == text.MAX_NOTES + 1
    assert out[0] == "n" * 1000 + "\n[... 4000 more characters cut]"
    assert out[-1] == "[... 10 more notes cut]"


@pytest.mark.parametrize(("given", "want"), [
    ("PASS\r  1.1  141.25/141.25", "PASS\\r  1.1  141.25/141.25"),
    ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),
    ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),  # clipboard write
    ("\x9b31m", "\\x9b31m"),  # a one-byte CSI (C1)
    ("abc\u202edef", "abc\\u202edef"),  # right-to-left override
    ("tab\tstays é", "tab\tstays é"),
    ("lone \ud800", "lone \\ud800"),
])
def test_for_terminal_escapes_control_characters(given: str, want: str) -> None:
    """Escape sequences, carriage returns, bells, C1 controls and bidi overrides are shown, not
    obeyed; tabs and ordinary text stay."""
    assert text.for_terminal(given) == want


def test_json_for_terminal_is_the_same_json() -> None:
    """The escaped JSON text decodes to the same value."""
    import json

    value = {"m": "a\x1b[2J\x9b\u202eb\r"}
    raw = json.dumps(value, ensure_ascii=False)
    safe = text.json_for_terminal(raw)
    assert "\x1b" not in safe and "\x9b" not in safe and "\u202e" not in safe
    assert json.loads(safe) == value


def test_bound_tree_holds_the_instructor_section_to_its_budget() -> None:
    """All strings together within the budget; tracebacks keep their ends."""
    tree = {"stdout": "s" * 100, "tests": {"t1": "a" * 100 + "END", "t2": "b" * 100}}
    out = text.bound_tree(tree, 150, 80)
    assert out["stdout"] == "[... 20 more characters cut]\n" + "s" * 80
    assert out["tests"]["t1"] == "[... 62 more characters cut]\n" + "a" * 38 + "END"
    assert out["tests"]["t2"] == "[... 100 more characters cut]\n"
