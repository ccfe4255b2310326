r"""Restricted parser for typed math answers: plain text and the LaTeX of ML writeups.

Student text is never given to ``eval``, ``exec``, ``sympify``, ``parse_expr`` or a
LaTeX-to-SymPy converter: those read matrices as commuting scalars, read ``I`` as sqrt(-1),
drop ``^T`` and stop silently at the first character they do not understand, so
``2Xba^T`` would pass for ``X(ab^T + ba^T)``. This module tokenizes and parses by hand
(recursive descent), checks every product and sum against the declared shapes while it builds
the tree, and only then turns the tree into SymPy (``ParsedExpr.to_sympy``, for symbolic
proofs) or evaluates it with NumPy (``ParsedExpr.evaluate``, for random identity tests).

Limits (input length, nesting depth, node count, exponent size, magnitude of constants) are
checked while parsing, so hostile input is refused before anything is computed.

What an answer may contain (plain text and LaTeX mix freely):

- declared symbols (``SymbolTable``); juxtaposed names are split into declared ones
  (``2Xba^T`` is 2 X b a^T); Greek names are one symbol however typed (``lambda``, ``lam``,
  ``\lambda``, ``λ``); case matters; ``\hat{y}`` is the declared ``y_hat`` or ``yhat``;
  subscripts name symbols (``W_1``, ``W_{1}``, ``W1``);
- numbers (``2``, ``0.25``, ``1.5e-3``), ``e`` and ``pi`` (unless declared), ``I`` the
  identity sized by its context, or ``I_n``;
- ``+ -``, products ``* @ \cdot \times`` or juxtaposition (a matrix product when both sides
  are matrices; a 1 x 1 product such as ``w^T x`` scales), ``/`` by a scalar, ``\frac{a}{b}``,
  elementwise ``\odot``; powers ``^`` and ``**``; ``^T``, ``^\top``, ``^{T}``, ``.T`` and
  ``'`` transpose; ``^{-1}`` and ``inv()`` invert; ``^{-T}``;
- functions ``exp log ln sqrt tanh sigmoid`` (``\sigma`` when sigma is not declared),
  ``sin cos sinh cosh`` (elementwise on matrices), ``tr``/``trace``, ``det``, ``softmax``
  (per row), with or without brackets (``\log 2x`` is log(2x)), ``\tanh^2 z``;
- brackets ``() [] {}``, ``\left( \right)``, spacing ``\, \; \quad``, fonts ``\mathbf``,
  ``\boldsymbol``, ``\mathrm``, ``\operatorname``.

Anything else (``=``, ``,``, norms, sums, unknown commands, leftover text) is an error with
its position; nothing is skipped.
"""

# ruff: noqa: RUF001  (Greek letters, the minus sign and the multiplication sign are input we read)
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.errors import AnswerParseError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_INPUT_CHARS",
    "MAX_NODES",
    "AnswerShapeError",
    "IllConditionedError",
    "ParsedExpr",
    "SymbolSpec",
    "SymbolTable",
    "parse_expression",
]

MAX_INPUT_CHARS = 2000
"""Longest answer accepted; a derivation result never needs more, and parsing stays instant."""
MAX_DEPTH = 100
"""Deepest nesting of brackets, exponents, signs and function arguments."""
MAX_NODES = 1000
"""Most tree nodes one answer may produce."""
MAX_EXPONENT = 1000
"""Largest constant exponent, in absolute value (``9^9^9`` is refused, never computed)."""
MAX_LOG10 = 300
"""Constants must stay within 10^-300 .. 10^300, the range of a float."""
_MAX_TREE_DEPTH = 400
_MAX_WORD = 60

Dim = int | str
"""A matrix dimension: a number, or a declared dimension name such as ``n``."""


class AnswerShapeError(AnswerParseError):
    """The answer reads fine but its shapes do not fit (``X X`` with X of shape d x n)."""


class IllConditionedError(ArithmeticError):
    """Evaluation had to invert a (numerically) singular matrix."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is singular (or nearly so) at these values")
        self.what = what


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}
# Spellings students use for the same letter; ``lambda`` is a Python keyword, hence ``lam``.
_GREEK_ALIASES = {
    "lam": "lambda", "lmbda": "lambda", "varepsilon": "epsilon", "eps": "epsilon",
    "vartheta": "theta", "varphi": "phi", "varsigma": "sigma", "varrho": "rho",
}
_UNICODE_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
    "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Σ": "Sigma", "Λ": "Lambda", "Φ": "Phi", "Ω": "Omega", "Δ": "Delta", "Γ": "Gamma",
    "Θ": "Theta",
}
_FUNCTIONS = {
    "exp": "exp", "log": "log", "ln": "log", "tanh": "tanh", "sigmoid": "sigmoid",
    "sqrt": "sqrt", "tr": "tr", "trace": "tr", "Tr": "tr", "inv": "inv", "det": "det",
    "softmax": "softmax", "sin": "sin", "cos": "cos", "sinh": "sinh", "cosh": "cosh",
}
_ELEMENTWISE = {"exp", "log", "tanh", "sigmoid", "sqrt", "sin", "cos", "sinh", "cosh"}
_SPACING = {",", ";", ":", "!", " ", "quad", "qquad", "displaystyle", "textstyle", "limits"}
_SIZERS = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr", "middle",
}
_FONTS = {
    "mathbf", "boldsymbol", "bm", "mathit", "mathrm", "mathsf", "mathbb", "mathcal", "vec",
    "operatorname", "text", "textrm", "textbf", "mathnormal", "pmb",
}
_ACCENTS = {
    "hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
    "widetilde": "tilde",
}
_UNSUPPORTED = {
    "sum": "sums", "prod": "products over an index", "int": "integrals", "nabla": "gradients",
    "partial": "partial derivatives", "infty": "infinity", "lim": "limits",
    "max": "max", "min": "min", "arg": "arg", "argmax": "argmax", "argmin": "argmin",
}


def _canon(word: str) -> str:
    """The canonical spelling of a name: no backslash, Greek aliases unified per part."""
    parts = word.replace("\\", "").split("_")
    return "_".join(_GREEK_ALIASES.get(p, p) for p in parts)


@dataclass(frozen=True)
class SymbolSpec:
    """One declared symbol."""

    name: str
    """Canonical name (``lambda`` for ``lam``, ``\\lambda`` and ``lambda``)."""
    display: str
    """The name as the instructor declared it, used in messages."""
    shape: tuple[Dim, Dim] | None
    """``None`` for a scalar, else (rows, cols)."""
    structure: str = "general"
    """Matrices: ``general``, ``symmetric`` or ``spd``. Scalars: ``real`` or ``positive``."""

    @property
    def is_matrix(self) -> bool:
        return self.shape is not None


_NAME_RE = re.compile(r"\\?[A-Za-z][A-Za-z0-9_]*\Z")
_DIM_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass
class SymbolTable:
    """Declared symbols and their shapes: ``X: d x n; y: n x 1; lambda: scalar``.

    Entries are separated by ``;`` or new lines; several names may share one shape
    (``a, b: m x 1``). A shape is ``scalar`` (optionally ``positive``), or ``R x C`` where R and
    C are numbers or dimension names, optionally followed by ``symmetric`` or ``spd``. A scalar
    whose name is also a dimension (``n: scalar`` beside ``X: n x d``) takes that dimension's
    value in numeric tests, as the number of samples does in ``(1/n) X^T (P - Y)``.
    """

    specs: dict[str, SymbolSpec] = field(default_factory=dict)
    """Canonical name -> spec."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Every accepted spelling (``y_hat``, ``yhat``, ``lam``) -> canonical name."""

    @classmethod
    def parse(cls, text: str) -> SymbolTable:
        """Read a declaration such as ``"X: d x n; y: n x 1; lambda: scalar"``."""
        table = cls()
        offset = 0
        for raw in re.split(r"[;\n]", text):
            entry_pos = offset
            offset += len(raw) + 1
            if not raw.strip():
                continue
            if ":" not in raw:
                raise AnswerParseError(
                    f"symbol table: entry '{raw.strip()}' needs a ':' as in 'X: d x n'",
                    position=entry_pos,
                )
            names_part, spec_part = raw.split(":", 1)
            shape, structure = _parse_spec(spec_part.strip(), entry_pos)
            for name in (n.strip() for n in names_part.split(",")):
                if not _NAME_RE.match(name):
                    raise AnswerParseError(
                        f"symbol table: '{name}' is not a valid name (letters, digits, '_')",
                        position=entry_pos,
                    )
                table._add(SymbolSpec(_canon(name), name.lstrip("\\"), shape, structure))
        table._check_dims()
        return table

    def _add(self, spec: SymbolSpec) -> None:
        if spec.name in self.specs:
            raise AnswerParseError(f"symbol table: '{spec.display}' is declared twice")
        self.specs[spec.name] = spec
        self.aliases[spec.name] = spec.name
        self.aliases[spec.display] = spec.name
        # ``y_hat`` may be typed ``yhat`` and ``W_1`` as ``W1``, unless that spelling is taken.
        squeezed = spec.name.replace("_", "")
        if squeezed != spec.name and squeezed not in self.aliases:
            self.aliases[squeezed] = spec.name

    def _check_dims(self) -> None:
        for dim in self.dim_names:
            spec = self.specs.get(dim)
            if spec is not None and spec.is_matrix:
                raise AnswerParseError(
                    f"symbol table: '{dim}' is used both as a dimension and as a matrix"
                )

    def lookup(self, word: str) -> SymbolSpec | None:
        """The spec a typed name refers to, or None."""
        name = self.aliases.get(word) or self.aliases.get(_canon(word))
        if name is None and "_" in word:
            name = self.aliases.get(_canon(word).replace("_", ""))
        return self.specs.get(name) if name else None

    @property
    def dim_names(self) -> list[str]:
        """Named dimensions in declaration order."""
        out: list[str] = []
        for spec in self.specs.values():
            for dim in spec.shape or ():
                if isinstance(dim, str) and dim not in out:
                    out.append(dim)
        return out

    @property
    def display_names(self) -> list[str]:
        return [spec.display for spec in self.specs.values()]

    def describe(self) -> str:
        """The table in the syntax ``parse`` reads."""
        parts = []
        for spec in self.specs.values():
            if spec.shape is None:
                kind = "scalar" + (" positive" if spec.structure == "positive" else "")
            else:
                kind = f"{spec.shape[0]} x {spec.shape[1]}"
                if spec.structure != "general":
                    kind += f" {spec.structure}"
            parts.append(f"{spec.display}: {kind}")
        return "; ".join(parts)


def _parse_spec(spec: str, pos: int) -> tuple[tuple[Dim, Dim] | None, str]:
    words = spec.replace("×", " x ").replace("*", " x ").replace("(", " ").replace(")", " ")
    words = words.replace(",", " x ")
    tokens = words.split()
    if not tokens:
        raise AnswerParseError("symbol table: a shape is missing after ':'", position=pos)
    flags = {t for t in tokens if t in {"scalar", "positive", "symmetric", "spd", "real"}}
    dims = [t for t in tokens if t not in flags]
    if "scalar" in flags or (not dims and "positive" in flags):
        if dims:
            raise AnswerParseError(f"symbol table: cannot read shape '{spec}'", position=pos)
        return None, "positive" if "positive" in flags else "real"
    if len(dims) == 1 and "x" in dims[0]:
        dims = dims[0].split("x", 1)
    elif len(dims) == 3 and dims[1] in {"x", "*", "by"}:
        dims = [dims[0], dims[2]]
    elif len(dims) != 2 or any(d in {"x", "*", "by"} for d in dims):
        dims = []
    if len(dims) != 2:
        raise AnswerParseError(
            f"symbol table: cannot read shape '{spec}'; write 'scalar' or 'R x C' as in 'd x 1'",
            position=pos,
        )
    out: list[Dim] = []
    for d in dims:
        if d.isdigit() and 1 <= int(d) <= 64:
            out.append(int(d))
        elif _DIM_RE.match(d):
            out.append(d)
        else:
            raise AnswerParseError(
                f"symbol table: dimension '{d}' must be a number from 1 to 64 or a name",
                position=pos,
            )
    structure = "spd" if "spd" in flags else "symmetric" if "symmetric" in flags else "general"
    if structure != "general" and out[0] != out[1]:
        raise AnswerParseError(
            f"symbol table: a {structure} matrix must be square, not {out[0]} x {out[1]}",
            position=pos,
        )
    return (out[0], out[1]), structure


# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tok:
    kind: str
    """num, sym, const, ident, func, top, op, open, close, frac, sqrt, eof."""
    text: str
    pos: int
    value: Any = None
    end: int = -1


_NUM_RE = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?")
_DIGITS = frozenset("0123456789")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SUB_RE = re.compile(r"_(?:\{([^{}]*)\}|([A-Za-z0-9]+))")
_CMD_RE = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_OPEN = {"(": ")", "[": "]", "{": "}"}


class _Lexer:
    def __init__(self, text: str, table: SymbolTable) -> None:
        self.text = text
        self.table = table
        self.i = 0
        self.toks: list[_Tok] = []

    def error(self, message: str, pos: int) -> AnswerParseError:
        return AnswerParseError(f"{message} at position {pos}", position=pos)

    def run(self) -> list[_Tok]:  # noqa: PLR0912, PLR0915  (one branch per character class)
        text = self.text
        while self.i < len(text):
            c = text[self.i]
            start = self.i
            if c.isspace() or c in "~$":
                self.i += 1
            elif c in _DIGITS or (c == "." and text[self.i + 1 : self.i + 2] in _DIGITS):
                self.number()
            elif c == "." and text[self.i + 1 : self.i + 2] == "T" and not _is_word_char(
                text[self.i + 2 : self.i + 3]
            ):
                self.emit("op", ".T", start, "T")
                self.i += 2
            elif c.isascii() and c.isalpha():
                m = _WORD_RE.match(text, self.i)
                assert m is not None
                self.i = m.end()
                self.word(m.group(0), start, split=True)
            elif c in _UNICODE_GREEK:
                self.i += 1
                self.word(_UNICODE_GREEK[c], start, split=False)
            elif c == "\\":
                self.command()
            elif c == "*":
                if text[self.i + 1 : self.i + 2] == "*":
                    self.emit("op", "**", start, "^")
                    self.i += 2
                else:
                    self.emit("op", "*", start, "*")
                    self.i += 1
            elif c in "+-/@^":
                self.emit("op", c, start, c)
                self.i += 1
            elif c in "−–":
                self.emit("op", c, start, "-")
                self.i += 1
            elif c in "·×":
                self.emit("op", c, start, "*")
                self.i += 1
            elif c in "⊙∘":
                self.emit("op", c, start, "had")
                self.i += 1
            elif c in "'ᵀ":
                self.emit("op", c, start, "T")
                self.i += 1
            elif c == "⊤":
                self.emit("top", c, start)
                self.i += 1
            elif c in _OPEN:
                self.emit("open", c, start, c)
                self.i += 1
            elif c in ")]}":
                self.emit("close", c, start, c)
                self.i += 1
            elif c == "_":
                m = re.compile(r"_+[A-Za-z0-9_]*").match(text, self.i)
                assert m is not None
                raise self.unknown(m.group(0), start, split=False)
            elif c == "|":
                raise self.error(
                    "absolute values and norms '|...|' are not supported; write them out "
                    "(for example w^T w for the squared norm of w)",
                    start,
                )
            else:
                raise self.error(f"unexpected character {c!r}", start)
        self.toks.append(_Tok("eof", "end of input", len(text), None, len(text)))
        return self.toks

    def emit(
        self, kind: str, text: str, pos: int, value: Any = None, end: int | None = None
    ) -> None:
        if kind == "num" and self.toks and self.toks[-1].kind == "num":
            raise self.error(
                f"two numbers in a row ('{self.toks[-1].text}' and '{text}'); "
                "put * or \\cdot between them",
                pos,
            )
        self.toks.append(_Tok(kind, text, pos, value, pos + len(text) if end is None else end))

    def number(self) -> None:
        start = self.i
        m = _NUM_RE.match(self.text, self.i)
        assert m is not None
        mantissa, exponent = m.group(1), m.group(2)
        if sum(ch.isdigit() for ch in mantissa) > 40:
            raise self.error("number has too many digits (the limit is 40)", start)
        if exponent is not None and abs(int(exponent)) > MAX_LOG10:
            raise self.error(f"number '{m.group(0)}' is too large or too small", start)
        value = float(m.group(0))
        if value != 0 and not (10.0 ** -MAX_LOG10 <= abs(value) <= 10.0**MAX_LOG10):
            raise self.error(f"number '{m.group(0)}' is too large or too small", start)
        self.i = m.end()
        self.emit("num", m.group(0), start, m.group(0))

    def subscript(self, word: str) -> str:
        """Append ``_sub`` parts (``W_1``, ``x_{i}``, ``\\beta_{0}``) to a name."""
        while True:
            m = _SUB_RE.match(self.text, self.i)
            if m is None:
                if self.text.startswith("_", self.i):
                    raise self.error("cannot read this subscript", self.i)
                return word
            sub = m.group(1) if m.group(1) is not None else m.group(2)
            clean = re.sub(r"\\(mathrm|text|mathbf|mathit)\s*", "", sub)
            clean = clean.replace("{", "").replace("}", "").replace("\\", "").strip()
            if not re.fullmatch(r"[A-Za-z0-9]+", clean):
                raise self.error(
                    f"subscript '{sub}' is not supported; subscripts name symbols, as in W_1",
                    self.i,
                )
            word = f"{word}_{clean}"
            self.i = m.end()

    def word(self, word: str, start: int, *, split: bool) -> None:
        word = self.subscript(word)
        kind_value = self.resolve(word)
        if kind_value is not None:
            self.emit(kind_value[0], word, start, kind_value[1], end=self.i)
            return
        # An undeclared Greek name or a known word is never read as a product of letters:
        # 'beta' with b declared must not become b * eta.
        whole = word.split("_")[0]
        protected = whole in _GREEK or whole in _GREEK_ALIASES or whole in _UNSUPPORTED
        can_split = split and not protected and len(word) <= _MAX_WORD
        pieces = self.split(word) if can_split else None
        if pieces is None:
            raise self.unknown(word, start, split=can_split)
        pos = start
        for piece in pieces:
            kind, value = self.resolve(piece)  # type: ignore[misc]
            self.emit(kind, piece, pos, value)
            pos += len(piece)

    def resolve(self, word: str) -> tuple[str, Any] | None:  # noqa: PLR0911  (one per kind of name)
        """What a whole name means: a declared symbol first, then functions and constants."""
        spec = self.table.lookup(word)
        if spec is not None:
            return "sym", spec
        if word in _FUNCTIONS:
            return "func", _FUNCTIONS[word]
        if word == "sigma":
            # An undeclared sigma is the logistic function, as in \sigma(w^T x).
            return "func", "sigmoid"
        if word in {"e", "pi"}:
            return "const", word
        if word == "T":
            return "top", None
        if word == "I":
            return "ident", None
        m = re.fullmatch(r"I_([A-Za-z0-9]+)", word)
        if m:
            size = m.group(1)
            if size.isdigit():
                return "ident", int(size)
            if size in self.table.dim_names:
                return "ident", size
        return None

    def split(self, word: str) -> list[str] | None:
        """Read juxtaposed names (``Xba`` as X, b, a) with the fewest pieces, or None."""
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[n] = []
        for i in range(n - 1, -1, -1):
            for j in range(n, i, -1):
                rest = best[j]
                if rest is None or word[i] == "_" or word[i].isdigit():
                    continue
                if self.resolve(word[i:j]) is None:
                    continue
                cand = [word[i:j], *rest]
                if best[i] is None or len(cand) < len(best[i]):  # type: ignore[arg-type]
                    best[i] = cand
        return best[0]

    def unknown(self, word: str, start: int, *, split: bool) -> AnswerParseError:
        # Point at the part that could not be read, not at the whole run of letters.
        bad, bad_pos = word, start
        if split and len(word) <= _MAX_WORD:
            for i in range(1, len(word)):
                if self.split(word[:i]) is not None and self.split(word[i:]) is None:
                    bad, bad_pos = word[i:], start + i
        declared = ", ".join(self.table.display_names) or "none"
        hint = ""
        if len(word) > _MAX_WORD:
            return AnswerParseError(
                f"a run of {len(word)} letters at position {start} is too long to read as a "
                "product of symbols; separate the factors with spaces or *",
                position=start,
            )
        if bad in self.table.dim_names:
            hint = f" ('{bad}' is a dimension; declare '{bad}: scalar' to use it in answers)"
        else:
            same = [n for n in self.table.display_names if n.lower() == bad.lower()]
            if same:
                hint = f" (upper and lower case differ: did you mean '{same[0]}'?)"
        if len(bad) > 40:
            bad = bad[:37] + "..."
        where = f" in '{word}'" if bad != word else ""
        return AnswerParseError(
            f"unknown symbol '{bad}'{where} at position {bad_pos}{hint}; "
            f"declared symbols are {declared}",
            position=bad_pos,
        )

    def command(self) -> None:  # noqa: PLR0912  (one branch per family of LaTeX commands)
        start = self.i
        m = _CMD_RE.match(self.text, self.i)
        if m is None:
            raise self.error("a lone backslash", start)
        name = m.group(1)
        self.i = m.end()
        if name in _SPACING:
            return
        if name in {"|", "lVert", "rVert", "Vert", "vert", "lvert", "rvert"}:
            raise self.error(
                "absolute values and norms are not supported; write them out "
                "(for example w^T w for the squared norm of w)",
                start,
            )
        if name in _SIZERS:
            # \left. and \right. are invisible delimiters.
            if self.text.startswith(".", self.i):
                self.i += 1
            return
        if name in {"cdot", "times", "ast", "cross"}:
            self.emit("op", "\\" + name, start, "*")
        elif name in {"odot", "circ"}:
            self.emit("op", "\\" + name, start, "had")
        elif name in {"top", "intercal", "T"}:
            self.emit("top", "\\" + name, start)
        elif name in {"frac", "dfrac", "tfrac"}:
            self.emit("frac", "\\" + name, start)
        elif name == "sqrt":
            self.emit("sqrt", "\\sqrt", start)
        elif name in {"{", "}"}:
            kind = "open" if name == "{" else "close"
            self.emit(kind, "\\" + name, start, "(" if name == "{" else ")")
        elif name in _FONTS:
            self.font(name, start)
        elif name in _ACCENTS:
            self.accent(_ACCENTS[name], name, start)
        elif name in _GREEK or name in _GREEK_ALIASES or name == "pi":
            self.word(_canon(name), start, split=False)
        elif name in _FUNCTIONS or name in {"tr", "trace"}:
            self.emit("func", "\\" + name, start, _FUNCTIONS[name])
        elif name in _UNSUPPORTED:
            what = _UNSUPPORTED[name]
            raise self.error(f"'\\{name}' ({what}) is not supported in answers", start)
        else:
            raise self.error(f"unknown LaTeX command '\\{name}'", start)

    def braced_word(self) -> str | None:
        """Read ``{word}``, ``{\\greek}``, ``{\\mathbf{w}}`` or a single letter; None otherwise."""
        text = self.text
        j = self.i
        while j < len(text) and text[j].isspace():
            j += 1
        if j < len(text) and text[j] != "{":
            m = re.compile(r"\\([A-Za-z]+)|([A-Za-z])").match(text, j)
            if m and (m.group(2) or _canon(m.group(1)) in _GREEK):
                self.i = m.end()
                return m.group(2) or _canon(m.group(1))
            return None
        m = re.compile(
            r"\{\s*(?:\\(?:mathbf|boldsymbol|bm|mathit|mathrm)\s*\{\s*(\\?[A-Za-z][A-Za-z0-9]*)"
            r"\s*\}|(\\?[A-Za-z][A-Za-z0-9]*))\s*\}"
        ).match(text, j)
        if m is None:
            return None
        self.i = m.end()
        return _canon(m.group(1) or m.group(2))

    def font(self, name: str, start: int) -> None:
        if re.match(r"\s*\{\s*1\s*\}", self.text[self.i :]):
            raise self.error(
                f"'\\{name}{{1}}' (a vector of ones) is not supported; declare it as a symbol",
                start,
            )
        word = self.braced_word()
        if word is None:
            # Bold or roman applied to a whole expression: the braces just group it.
            return
        if word in {"T", "top"} and self.table.lookup("T") is None:
            self.emit("top", word, start)
            return
        self.word(word, start, split=name in {"mathbf", "boldsymbol", "bm", "mathit"})

    def accent(self, accent: str, name: str, start: int) -> None:
        word = self.braced_word()
        if word is None:
            raise self.error(
                f"'\\{name}' must be applied to a symbol name, as in \\{name}{{y}}", start
            )
        word = self.subscript(word)
        for cand in (f"{word}_{accent}", f"{word}{accent}", f"{accent}_{word}", f"{accent}{word}"):
            spec = self.table.lookup(cand)
            if spec is not None:
                self.emit("sym", f"\\{name}{{{word}}}", start, spec, end=self.i)
                return
        declared = ", ".join(self.table.display_names) or "none"
        raise AnswerParseError(
            f"unknown symbol '{word}_{accent}' (typed as \\{name}{{{word}}}) at position {start}; "
            f"declared symbols are {declared}",
            position=start,
        )


def _is_word_char(c: str) -> bool:
    return bool(c) and (c.isalnum() or c == "_")


# ---------------------------------------------------------------------------------------------
# Tree and shapes
# ---------------------------------------------------------------------------------------------


class _Var:
    """An unknown dimension, such as the size of an ``I`` not yet fixed by its context."""

    __slots__ = ("id",)
    _count = 0

    def __init__(self) -> None:
        _Var._count += 1
        self.id = _Var._count

    def __repr__(self) -> str:
        return "?"


Shape = tuple[Any, Any] | None


@dataclass(eq=False, slots=True)
class Node:
    """One node of an answer's tree."""

    kind: str
    """num sym const ident neg add prod recip had pow matpow T inv fn tr det scalar_of."""
    args: tuple[Node, ...]
    value: Any
    start: int
    end: int
    shape: Shape
    const: float | None = None
    """Float value of a constant scalar node (no symbols), used for the size limits."""
    depth: int = 1


class _Dims:
    """Union-find over dimensions; concrete dims are ints or names, unknowns are _Var."""

    def __init__(self) -> None:
        self.parent: dict[_Var, Any] = {}

    def find(self, d: Any) -> Any:
        while isinstance(d, _Var) and d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a: Any, b: Any) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra is rb or (not isinstance(ra, _Var) and not isinstance(rb, _Var) and ra == rb):
            return True
        if isinstance(ra, _Var):
            self.parent[ra] = rb
            return True
        if isinstance(rb, _Var):
            self.parent[rb] = ra
            return True
        return False

    def unify_all(self, pairs: list[tuple[Any, Any]]) -> bool:
        saved = dict(self.parent)
        if all(self.unify(a, b) for a, b in pairs):
            return True
        self.parent = saved
        return False

    def is_one(self, d: Any) -> bool:
        return self.find(d) == 1

    def text(self, shape: Shape) -> str:
        if shape is None:
            return "scalar"
        return " x ".join(str(self.find(d)) for d in shape)


_SAFE_FLOAT: dict[str, Any] = {
    "exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt,
    "sin": math.sin, "cos": math.cos, "sinh": math.sinh, "cosh": math.cosh,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0,
}


class _Parser:
    def __init__(self, text: str, table: SymbolTable) -> None:
        self.text = text
        self.table = table
        self.toks = _Lexer(text, table).run()
        self.k = 0
        self.depth = 0
        self.nodes = 0
        self.dims = _Dims()

    # -- helpers ------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.k + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.toks[self.k]
        self.k += 1
        return tok

    def error(self, message: str, pos: int) -> AnswerParseError:
        return AnswerParseError(f"{message} at position {pos}", position=pos)

    def shape_error(self, message: str, pos: int) -> AnswerShapeError:
        return AnswerShapeError(f"shape error: {message} at position {pos}", position=pos)

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested too deeply (more than {MAX_DEPTH} levels)", pos)

    def leave(self) -> None:
        self.depth -= 1

    def snip(self, node: Node) -> str:
        s = " ".join(self.text[node.start : node.end].split())
        return s if len(s) <= 40 else s[:37] + "..."

    def describe(self, node: Node) -> str:
        return f"{self.snip(node)} ({self.dims.text(node.shape)})"

    def node(  # noqa: PLR0917  (the arguments mirror Node's fields)
        self, kind: str, args: tuple[Node, ...], value: Any, start: int, end: int, shape: Shape,
        *, const: float | None = None,
    ) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(f"answer is too long (more than {MAX_NODES} parts)", start)
        depth = 1 + max((a.depth for a in args), default=0)
        if depth > _MAX_TREE_DEPTH:
            raise self.error("expression nested too deeply", start)
        if const is not None and not (
            math.isfinite(const) and (const == 0 or abs(const) <= 10.0**MAX_LOG10)
        ):
            raise self.error(f"'{self.text[start:end].strip()}' is too large a number", start)
        return Node(kind, args, value, start, end, shape, const, depth)

    def is_matrix(self, n: Node) -> bool:
        return n.shape is not None

    def is_1x1(self, n: Node) -> bool:
        return n.shape is not None and self.dims.is_one(n.shape[0]) and self.dims.is_one(n.shape[1])

    def as_scalar(self, n: Node) -> Node:
        """A 1 x 1 matrix (``a^T b``) used where a scalar is needed."""
        if n.shape is None:
            return n
        return self.node("scalar_of", (n,), None, n.start, n.end, None)

    # -- grammar --------------------------------------------------------------------------

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise self.error("the answer is empty", 0)
        root = self.expr()
        tok = self.peek()
        if tok.kind != "eof":
            if tok.kind == "close":
                raise self.error(f"unmatched '{tok.text}'", tok.pos)
            raise self.error(
                f"cannot read '{self.text[tok.pos : tok.pos + 20].strip()}' after a complete "
                "expression; everything typed must be part of the answer",
                tok.pos,
            )
        return root

    def expr(self) -> Node:
        terms = [self.term()]
        while self.peek().kind == "op" and self.peek().value in {"+", "-"}:
            op = self.take()
            term = self.term()
            if op.value == "-":
                term = self.neg(term, op.pos)
            terms.append(term)
        if len(terms) == 1:
            return terms[0]
        return self.add(terms)

    def starts_factor(self, tok: _Tok) -> bool:
        return tok.kind in {"num", "sym", "const", "ident", "func", "open", "frac", "sqrt"}

    def term(self) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value in {"*", "@", "/", "had"}:
                self.take()
                right = self.unary()
                if tok.value == "/":
                    left = self.mul(left, self.recip(right, tok.pos), tok.pos)
                elif tok.value == "had":
                    left = self.hadamard(left, right, tok.pos)
                else:
                    left = self.mul(left, right, tok.pos)
            elif self.starts_factor(tok):
                right = self.unary()
                left = self.mul(left, right, tok.pos)
            else:
                return left

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.value in {"+", "-"}:
            self.take()
            self.enter(tok.pos)
            operand = self.unary()
            self.leave()
            return self.neg(operand, tok.pos) if tok.value == "-" else operand
        return self.power()

    def power(self) -> Node:
        node = self.primary()
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value == "T":
                self.take()
                node = self.transpose(node, tok.pos + len(tok.text))
            elif tok.kind == "op" and tok.value == "^":
                self.take()
                node = self.exponent(node, tok)
            elif tok.kind == "top":
                raise self.error("a transpose T must follow ^ as in X^T (or write X.T)", tok.pos)
            else:
                return node

    def exponent(self, base: Node, caret: _Tok) -> Node:
        """What follows ``^``: T, \\top, {T}, {-T}, -1, {-1}, 2, {x+1}, ..."""
        kinds = [self.peek(i) for i in range(4)]

        def is_top(t: _Tok) -> bool:
            return t.kind == "top" or (t.kind == "sym" and t.text == "T" and self.is_matrix(base))

        def is_minus(t: _Tok) -> bool:
            return t.kind == "op" and t.value == "-"

        if is_top(kinds[0]):
            self.take()
            return self.transpose(base, kinds[0].pos + len(kinds[0].text))
        if is_minus(kinds[0]) and is_top(kinds[1]):
            self.k += 2
            return self.transpose(self.inverse(base, kinds[1].pos), kinds[1].pos + 1)
        if kinds[0].kind == "open" and kinds[1].kind != "eof":
            if is_top(kinds[1]) and kinds[2].kind == "close":
                self.k += 3
                return self.transpose(base, kinds[2].pos + 1)
            if is_minus(kinds[1]) and is_top(kinds[2]) and kinds[3].kind == "close":
                self.k += 4
                return self.transpose(self.inverse(base, kinds[3].pos + 1), kinds[3].pos + 1)
        self.enter(caret.pos)
        exp = self.exponent_operand()
        self.leave()
        return self.pow(base, exp, caret.pos)

    def exponent_operand(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.value in {"+", "-"}:
            self.take()
            self.enter(tok.pos)
            operand = self.exponent_operand()
            self.leave()
            return self.neg(operand, tok.pos) if tok.value == "-" else operand
        if tok.kind == "eof":
            raise self.error("an exponent is missing after '^'", tok.pos)
        return self.power()

    def primary(self) -> Node:  # noqa: PLR0911  (one branch per token kind)
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return self.node("num", (), tok.value, tok.pos, tok.end, None,
                             const=float(tok.value))
        if tok.kind == "sym":
            self.take()
            spec: SymbolSpec = tok.value
            return self.node("sym", (), spec, tok.pos, tok.end, spec.shape)
        if tok.kind == "const":
            self.take()
            const = math.e if tok.value == "e" else math.pi
            return self.node("const", (), tok.value, tok.pos, tok.end, None, const=const)
        if tok.kind == "ident":
            self.take()
            size = tok.value if tok.value is not None else _Var()
            return self.node("ident", (), None, tok.pos, tok.pos + len(tok.text), (size, size))
        if tok.kind == "open":
            return self.group()
        if tok.kind == "func":
            return self.function()
        if tok.kind == "frac":
            self.take()
            num = self.frac_arg(tok)
            den = self.frac_arg(tok)
            return self.mul(num, self.recip(den, den.start), tok.pos, start=tok.pos)
        if tok.kind == "sqrt":
            return self.latex_sqrt()
        if tok.kind == "eof":
            raise self.error("the answer ends too early; something is missing", tok.pos)
        if tok.kind == "close":
            raise self.error(f"unmatched '{tok.text}'", tok.pos)
        if tok.kind == "top":
            raise self.error("a transpose T must follow ^ as in X^T (or write X.T)", tok.pos)
        raise self.error(f"'{tok.text}' cannot start a term", tok.pos)

    def group(self) -> Node:
        open_tok = self.take()
        self.enter(open_tok.pos)
        if self.peek().kind == "close" and self.peek().value == _OPEN[open_tok.value]:
            raise self.error(f"empty brackets '{open_tok.text}...'", open_tok.pos)
        inner = self.expr()
        close = self.peek()
        if close.kind == "eof":
            raise AnswerParseError(
                f"unbalanced '{open_tok.text}' opened at position {open_tok.pos} "
                "(it is never closed)",
                position=open_tok.pos,
            )
        if close.kind != "close":
            want = _OPEN[open_tok.value]
            raise self.error(f"expected '{want}' but found '{close.text}'", close.pos)
        if close.value != _OPEN[open_tok.value]:
            raise self.error(
                f"'{close.text}' does not match '{open_tok.text}' opened at position "
                f"{open_tok.pos}",
                close.pos,
            )
        self.take()
        self.leave()
        inner.start, inner.end = open_tok.pos, close.pos + 1
        return inner

    def braced(self, owner: _Tok, message: str) -> Node:
        tok = self.peek()
        if tok.kind != "open" or tok.value != "{":
            raise self.error(message, owner.pos)
        return self.group()

    def frac_arg(self, owner: _Tok) -> Node:
        """One argument of \\frac: ``{...}``, or a single digit or symbol as in ``\\frac12``."""
        tok = self.peek()
        if tok.kind == "open" and tok.value == "{":
            return self.group()
        if tok.kind == "num" and tok.text.isdigit():
            if len(tok.text) > 1:
                # LaTeX reads \frac12 as 1/2: the argument is one digit; leave the rest.
                rest = _Tok("num", tok.text[1:], tok.pos + 1, tok.text[1:], tok.end)
                self.toks.insert(self.k + 1, rest)
                tok.text = tok.value = tok.text[0]
                tok.end = tok.pos + 1
            self.take()
            return self.node("num", (), tok.value, tok.pos, tok.end, None, const=float(tok.value))
        if tok.kind in {"sym", "const"} and len(tok.text) == 1:
            return self.primary()
        raise self.error("\\frac needs {numerator}{denominator}", owner.pos)

    def latex_sqrt(self) -> Node:
        tok = self.take()
        root: Node | None = None
        if self.peek().kind == "open" and self.peek().value == "[":
            root = self.group()
            if root.shape is not None or root.const is None:
                raise self.error("the index of \\sqrt[...] must be a number", root.start)
        arg = self.braced(tok, "\\sqrt needs its argument in braces, as in \\sqrt{x}")
        if root is None:
            return self.apply("sqrt", arg, tok.pos)
        one = self.node("num", (), "1", root.start, root.end, None, const=1.0)
        return self.pow(arg, self.recip(root, root.start, base=one), tok.pos, start=tok.pos)

    def function(self) -> Node:
        tok = self.take()
        name: str = tok.value
        power: Node | None = None
        if self.peek().kind == "op" and self.peek().value == "^":
            # \tanh^2(z) is (tanh z)^2, as in 1 - \tanh^2(z).
            caret = self.take()
            self.enter(caret.pos)
            power = self.exponent_operand()
            self.leave()
            if power.const is not None and power.const < 0:
                raise self.error(
                    f"'{tok.text}^{{-1}}' (an inverse function) is not supported", caret.pos
                )
        nxt = self.peek()
        self.enter(tok.pos)
        if nxt.kind == "open":
            arg = self.group()
        elif self.starts_factor(nxt):
            # Without brackets a function takes the juxtaposed factors after it: \log 2x = log(2x).
            arg = self.power()
            while self.starts_factor(self.peek()):
                arg = self.mul(arg, self.power(), self.peek().pos)
        else:
            raise self.error(f"'{tok.text}' needs an argument, as in {tok.text}(x)", nxt.pos)
        self.leave()
        result = self.apply(name, arg, tok.pos)
        if power is not None:
            result = self.pow(result, power, tok.pos)
        return result

    # -- node constructors with shape rules ---------------------------------------------

    def neg(self, a: Node, pos: int) -> Node:
        const = -a.const if a.const is not None else None
        return self.node("neg", (a,), None, min(pos, a.start), a.end, a.shape, const=const)

    def add(self, terms: list[Node]) -> Node:
        flat: list[Node] = []
        for t in terms:
            flat.extend(t.args if t.kind == "add" else (t,))
        shape: Shape = None
        mats = [t for t in flat if t.shape is not None and not self.is_1x1(t)]
        if mats:
            shape = mats[0].shape
            assert shape is not None
            for t in flat:
                if t is mats[0]:
                    continue
                if t.shape is None:
                    raise self.shape_error(
                        f"cannot add the scalar {self.snip(t)} to {self.describe(mats[0])}",
                        t.start,
                    )
                if not self.dims.unify_all([(t.shape[0], shape[0]), (t.shape[1], shape[1])]):
                    raise self.shape_error(
                        f"cannot add {self.describe(mats[0])} and {self.describe(t)}", t.start
                    )
        elif any(t.shape is None for t in flat):
            # A 1 x 1 product such as w^T x added to a scalar is read as a scalar.
            flat = [self.as_scalar(t) for t in flat]
        else:
            shape = flat[0].shape
        const = None
        if all(t.const is not None for t in flat):
            const = math.fsum(t.const for t in flat)  # type: ignore[misc]
        return self.node(
            "add", tuple(flat), None, flat[0].start, flat[-1].end, shape, const=const
        )

    def mul(self, a: Node, b: Node, pos: int, *, start: int | None = None) -> Node:
        """Product: matrix product when both sides are matrices, scaling otherwise."""
        a_mat, b_mat = self.is_matrix(a), self.is_matrix(b)
        if a_mat and b_mat:
            a_shape, b_shape = a.shape, b.shape
            assert a_shape is not None and b_shape is not None
            one_a, one_b = self.is_1x1(a), self.is_1x1(b)
            free_b = isinstance(self.dims.find(b_shape[0]), _Var)
            free_a = isinstance(self.dims.find(a_shape[1]), _Var)
            if one_a and (free_b or not self.dims.unify_all([(a_shape[1], b_shape[0])])):
                a = self.as_scalar(a)
            elif one_b and (free_a or not self.dims.unify_all([(a_shape[1], b_shape[0])])):
                b = self.as_scalar(b)
            elif not self.dims.unify_all([(a_shape[1], b_shape[0])]):
                raise self.shape_error(
                    f"cannot multiply {self.describe(a)} by {self.describe(b)}", b.start
                )
        factors: list[Node] = []
        for f in (a, b):
            factors.extend(f.args if f.kind == "prod" else (f,))
        mats = [f for f in factors if f.shape is not None]
        shape: Shape = (mats[0].shape[0], mats[-1].shape[1]) if mats else None  # type: ignore[index]
        const = None
        if not mats and all(f.const is not None for f in factors):
            const = math.prod(f.const for f in factors)  # type: ignore[misc]
        begin = a.start if start is None else min(start, a.start)
        return self.node("prod", tuple(factors), None, begin, b.end, shape, const=const)

    def recip(self, b: Node, pos: int, *, base: Node | None = None) -> Node:
        if b.shape is not None:
            if not self.is_1x1(b):
                raise self.shape_error(
                    f"cannot divide by the matrix {self.describe(b)}; use inv(...) or ^{{-1}}", pos
                )
            b = self.as_scalar(b)
        const = None
        if b.const is not None:
            if b.const == 0:
                raise self.error("division by zero", b.start)
            const = 1.0 / b.const
        node = self.node("recip", (b,), None, b.start, b.end, None, const=const)
        if base is not None:
            return self.mul(base, node, pos)
        return node

    def hadamard(self, a: Node, b: Node, pos: int) -> Node:
        if a.shape is None or b.shape is None:
            return self.mul(a, b, pos)
        if not self.dims.unify_all([(a.shape[0], b.shape[0]), (a.shape[1], b.shape[1])]):
            raise self.shape_error(
                "elementwise product needs equal shapes: "
                f"{self.describe(a)} and {self.describe(b)}",
                b.start,
            )
        return self.node("had", (a, b), None, a.start, b.end, a.shape)

    def transpose(self, a: Node, end: int) -> Node:
        if a.shape is None:
            return a
        return self.node("T", (a,), None, a.start, end, (a.shape[1], a.shape[0]))

    def square(self, a: Node, what: str, pos: int) -> None:
        assert a.shape is not None
        if not self.dims.unify_all([(a.shape[0], a.shape[1])]):
            raise self.shape_error(f"{what} needs a square matrix; {self.describe(a)} is not", pos)

    def inverse(self, a: Node, end: int) -> Node:
        if a.shape is None or self.is_1x1(a):
            return self.recip(a, a.start)
        self.square(a, "an inverse", a.start)
        return self.node("inv", (a,), None, a.start, end, a.shape)

    def pow(self, base: Node, exp: Node, pos: int, *, start: int | None = None) -> Node:
        begin = base.start if start is None else min(start, base.start)
        if exp.shape is not None:
            if not self.is_1x1(exp):
                raise self.shape_error(
                    f"an exponent cannot be the matrix {self.describe(exp)}", pos
                )
            exp = self.as_scalar(exp)
        if exp.const is not None and abs(exp.const) > MAX_EXPONENT:
            raise self.error(
                f"exponent {exp.const:.3g} in '{self.snip(exp)}' is too large "
                f"(the limit is {MAX_EXPONENT})",
                exp.start,
            )
        if base.shape is not None and not self.is_1x1(base):
            k = exp.const
            if k is None or k != int(k) or k == 0:
                raise self.shape_error(
                    f"cannot raise the matrix {self.describe(base)} to the power "
                    f"'{self.snip(exp)}'; only ^T, ^{{-1}} and whole powers of square matrices "
                    "are defined",
                    pos,
                )
            if k == -1:
                return self.inverse(base, exp.end)
            self.square(base, "a matrix power", pos)
            node = self.node("matpow", (base,), abs(int(k)), begin, exp.end, base.shape)
            return self.inverse(node, exp.end) if k < 0 else node
        base = self.as_scalar(base)
        const = None
        if base.const is not None and exp.const is not None:
            b, p = base.const, exp.const
            if b == 0 and p < 0:
                raise self.error("division by zero (0 to a negative power)", begin)
            if b != 0 and abs(p * math.log10(abs(b))) > MAX_LOG10:
                what = self.text[begin : exp.end].strip()
                raise self.error(f"'{what}' is too large a number", begin)
            if b < 0 and p != int(p):
                raise self.error("a negative number to a fractional power is not real", begin)
            const = b**p
        return self.node("pow", (base, exp), None, begin, exp.end, None, const=const)

    def apply(self, name: str, arg: Node, pos: int) -> Node:
        end = arg.end
        if name in _ELEMENTWISE:
            const = None
            if arg.const is not None:
                try:
                    const = float(_SAFE_FLOAT[name](arg.const))
                except (ValueError, OverflowError, ZeroDivisionError):
                    raise self.error(
                        f"'{self.text[pos:end].strip()}' is not a real number", pos
                    ) from None
            return self.node("fn", (arg,), name, pos, end, arg.shape, const=const)
        if name == "inv":
            node = self.inverse(arg, end)
            node.start = pos
            return node
        if name in {"tr", "det"}:
            if arg.shape is None:
                return arg
            self.square(arg, "a trace" if name == "tr" else "a determinant", pos)
            return self.node(name, (arg,), None, pos, end, None)
        if name == "softmax":
            if arg.shape is None:
                raise self.shape_error("softmax needs a vector or a matrix, not a scalar", pos)
            return self.node("softmax", (arg,), None, pos, end, arg.shape)
        raise self.error(f"unknown function '{name}'", pos)  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Public: parse, shapes, SymPy, NumPy
# ---------------------------------------------------------------------------------------------


class _NotSymbolicError(Exception):
    """The tree uses something SymPy cannot represent faithfully (softmax)."""


@dataclass
class ParsedExpr:
    """A parsed answer: its tree, its shape, and ways to turn it into SymPy or numbers."""

    text: str
    table: SymbolTable
    root: Node
    _dims: _Dims

    @property
    def is_matrix(self) -> bool:
        return self.root.shape is not None

    @property
    def shape(self) -> tuple[Any, Any] | None:
        """(rows, cols) with dims as ints or names (``'?'`` when not yet known), None for scalar."""
        if self.root.shape is None:
            return None
        return tuple(self._resolved(d) for d in self.root.shape)  # type: ignore[return-value]

    @property
    def shape_text(self) -> str:
        return self._dims.text(self.root.shape)

    @property
    def is_1x1(self) -> bool:
        return self.root.shape is not None and self.shape == (1, 1)

    def _resolved(self, d: Any) -> Any:
        r = self._dims.find(d)
        return "?" if isinstance(r, _Var) else r

    def fit_shape(self, shape: tuple[Any, Any] | None) -> bool:
        """Fix unknown sizes (a bare ``I``) from the shape the answer must have."""
        if shape is None or self.root.shape is None:
            return True
        return self._dims.unify_all(list(zip(self.root.shape, shape, strict=True)))

    def symbols(self) -> list[SymbolSpec]:
        """Declared symbols used in the answer, in order of first use."""
        seen: dict[str, SymbolSpec] = {}
        for node in _walk(self.root):
            if node.kind == "sym":
                seen.setdefault(node.value.name, node.value)
        return list(seen.values())

    def dim_names(self) -> list[str]:
        """Named dimensions the answer depends on (through symbols and sized ``I``)."""
        out: list[str] = []
        for node in _walk(self.root):
            dims: tuple[Any, ...] = ()
            if node.kind == "sym" and node.value.shape is not None:
                dims = node.value.shape
            elif node.kind == "ident":
                dims = tuple(self._dims.find(d) for d in node.shape)  # type: ignore[union-attr]
            for d in dims:
                if isinstance(d, str) and d not in out:
                    out.append(d)
        return out

    def check_sizes_known(self) -> None:
        """Raise if some ``I`` has a size nothing in the answer determines."""
        for node in _walk(self.root):
            if node.kind == "ident" and isinstance(self._dims.find(node.shape[0]), _Var):  # type: ignore[index]
                raise AnswerShapeError(
                    f"cannot tell the size of I at position {node.start}; write it as I_n",
                    position=node.start,
                )

    def has(self, kind: str) -> bool:
        return any(node.kind == kind for node in _walk(self.root))

    # -- SymPy ------------------------------------------------------------------------

    def to_sympy(self) -> Any:
        """The answer as a SymPy expression (``MatrixSymbol`` for matrices)."""
        import sympy as sp

        dim_syms = {d: sp.Symbol(d, integer=True, positive=True) for d in self.table.dim_names}

        def dim(d: Any) -> Any:
            r = self._dims.find(d)
            if isinstance(r, _Var):
                raise AnswerShapeError("cannot tell the size of I; write it as I_n")
            return sp.Integer(r) if isinstance(r, int) else dim_syms[r]

        def sym(spec: SymbolSpec) -> Any:
            if spec.shape is not None:
                return sp.MatrixSymbol(spec.name, dim(spec.shape[0]), dim(spec.shape[1]))
            if spec.name in dim_syms:
                return dim_syms[spec.name]
            if spec.structure == "positive":
                return sp.Symbol(spec.name, positive=True)
            return sp.Symbol(spec.name, real=True)

        t = sp.Dummy("t")
        scalar_fns = {
            "exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sqrt": sp.sqrt, "sin": sp.sin,
            "cos": sp.cos, "sinh": sp.sinh, "cosh": sp.cosh,
            "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
        }

        def conv(node: Node) -> Any:  # noqa: PLR0911, PLR0912  (one branch per node kind)
            kind = node.kind
            args = [conv(a) for a in node.args]
            if kind == "num":
                return sp.Rational(node.value)
            if kind == "sym":
                return sym(node.value)
            if kind == "const":
                return sp.E if node.value == "e" else sp.pi
            if kind == "ident":
                return sp.Identity(dim(node.shape[0]))  # type: ignore[index]
            if kind == "neg":
                return -args[0]
            if kind == "add":
                out = args[0]
                for a in args[1:]:
                    out = out + a
                return out
            if kind == "prod":
                scal = sp.Integer(1)
                mats = []
                for f, a in zip(node.args, args, strict=True):
                    if f.shape is None:
                        scal = scal * a
                    else:
                        mats.append(a)
                if not mats:
                    return scal
                return scal * (sp.MatMul(*mats) if len(mats) > 1 else mats[0])
            if kind == "recip":
                return 1 / args[0]
            if kind == "had":
                return sp.HadamardProduct(*args)
            if kind == "pow":
                return sp.Pow(args[0], args[1])
            if kind == "matpow":
                return sp.MatPow(args[0], node.value)
            if kind == "T":
                return sp.Transpose(args[0])
            if kind == "inv":
                return sp.Inverse(args[0])
            if kind == "fn":
                fn = scalar_fns[node.value]
                if node.args[0].shape is None:
                    return fn(args[0])
                from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

                return ElementwiseApplyFunction(sp.Lambda(t, fn(t)), args[0])
            if kind in {"tr", "scalar_of"}:
                return sp.Trace(args[0])
            if kind == "det":
                return sp.Determinant(args[0])
            raise _NotSymbolicError(kind)

        return conv(self.root)

    # -- NumPy --------------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Any], dims: Mapping[str, int]) -> Any:
        """Evaluate at concrete values: a float for a scalar, a 2-D array for a matrix.

        ``values`` maps canonical symbol names to floats / arrays, ``dims`` maps dimension names
        to sizes. Raises ``IllConditionedError`` when an inverse is (nearly) singular.
        """
        with np.errstate(all="ignore"):
            return self._eval(self.root, values, dims)

    def _size(self, d: Any, dims: Mapping[str, int]) -> int:
        r = self._dims.find(d)
        if isinstance(r, _Var):
            raise AnswerShapeError("cannot tell the size of I; write it as I_n")
        return r if isinstance(r, int) else int(dims[r])

    def _eval(  # noqa: PLR0911, PLR0912  (one branch per node kind)
        self, node: Node, values: Mapping[str, Any], dims: Mapping[str, int]
    ) -> Any:
        kind = node.kind
        if kind == "num":
            return float(node.value)
        if kind == "sym":
            return values[node.value.name]
        if kind == "const":
            return math.e if node.value == "e" else math.pi
        if kind == "ident":
            return np.eye(self._size(node.shape[0], dims))  # type: ignore[index]
        args = [self._eval(a, values, dims) for a in node.args]
        if kind == "neg":
            return -args[0]
        if kind == "add":
            out = args[0]
            for a in args[1:]:
                out = out + a
            return out
        if kind == "prod":
            scal = 1.0
            mat = None
            for f, a in zip(node.args, args, strict=True):
                if f.shape is None:
                    scal = scal * a
                else:
                    mat = a if mat is None else mat @ a
            return scal if mat is None else scal * mat
        if kind == "recip":
            return np.float64(1.0) / args[0]
        if kind == "had":
            return args[0] * args[1]
        if kind == "pow":
            return np.power(np.float64(args[0]), args[1])
        if kind == "matpow":
            return np.linalg.matrix_power(args[0], node.value)
        if kind == "T":
            return args[0].T
        if kind == "inv":
            m = args[0]
            if not np.all(np.isfinite(m)) or np.linalg.cond(m) > 1e10:
                raise IllConditionedError(_snippet(self.text, node.args[0]))
            return np.linalg.inv(m)
        if kind == "fn":
            return _NUMPY_FNS[node.value](args[0])
        if kind == "tr":
            return float(np.trace(args[0]))
        if kind == "det":
            return float(np.linalg.det(args[0]))
        if kind == "scalar_of":
            return float(args[0][0, 0])
        if kind == "softmax":
            m = args[0]
            axis = 1 if m.shape[1] > 1 else 0
            z = np.exp(m - m.max(axis=axis, keepdims=True))
            return z / z.sum(axis=axis, keepdims=True)
        raise AssertionError(kind)  # pragma: no cover


def _sigmoid(x: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


_NUMPY_FNS: dict[str, Any] = {
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "sqrt": np.sqrt, "sin": np.sin,
    "cos": np.cos, "sinh": np.sinh, "cosh": np.cosh, "sigmoid": _sigmoid,
}


def _snippet(text: str, node: Node) -> str:
    s = " ".join(text[node.start : node.end].split())
    return s if len(s) <= 40 else s[:37] + "..."


def _walk(root: Node) -> list[Node]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.args))
    return out


def parse_expression(text: str, symbols: SymbolTable | str) -> ParsedExpr:
    """Parse an answer against a symbol table; raise ``AnswerParseError`` saying what and where.

    Shape errors raise ``AnswerShapeError`` (a subclass) naming both operands and their shapes.
    """
    table = SymbolTable.parse(symbols) if isinstance(symbols, str) else symbols
    if not isinstance(text, str):
        raise AnswerParseError(f"an answer must be text, not {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        raise AnswerParseError(
            f"answer is too long ({len(text)} characters; the limit is {MAX_INPUT_CHARS})",
            position=MAX_INPUT_CHARS,
        )
    parser = _Parser(text, table)
    root = parser.parse()
    return ParsedExpr(text, table, root, parser.dims)
