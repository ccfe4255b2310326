"""Data for ``cs229_ps2`` (seed 002), generated with fixed seeds: nothing is downloaded.

Four small data sets, each a pure function of its arguments:

- ``logistic_dataset(separable=...)``: 2-D points with labels in {0, 1}; one set is linearly
  separable with a margin (unregularised logistic regression has no finite maximiser), the
  other has overlapping classes (it has one);
- ``spam_corpus()``: short text messages drawn from fixed per-class token distributions;
- ``ring_dataset()``: 2-D points labelled 1 inside a disc and 0 outside, which no hyperplane
  through the origin separates but an RBF kernel does.

``python -m reference.data.cs229_ps2_data`` writes the student copies in
``problems/cs229_ps2/data/``; a project test checks that those files equal what this module
generates, so the two cannot drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from reference._cache import memoize_by_value

DATA_DIR = Path(__file__).resolve().parents[2] / "problems" / "cs229_ps2" / "data"

# The separating direction of both logistic data sets: w . x + b = 0.
_LINE_W = np.array([1.0, 1.0])
_LINE_B = -0.25


# Every generator is a pure function of its arguments, and grading draws the same sets for
# every submission: each is generated once per process (callers get copies).
@memoize_by_value()
def logistic_dataset(
    *, separable: bool, n: int = 100, seed: int = 229
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` with X of shape (n, 2) (no intercept column) and y in {0, 1} of shape (n,).

    Separable: labels are the side of a fixed line and points closer than 0.3 to it are
    redrawn, so a margin exists. Not separable: labels are drawn from a logistic model with a
    shallow slope, so both classes appear on both sides of the line.
    """
    rng = np.random.default_rng([seed, 1 if separable else 0])
    norm = float(np.linalg.norm(_LINE_W))
    X = np.empty((0, 2))
    while X.shape[0] < n:
        batch = rng.normal(scale=1.2, size=(2 * n, 2))
        if separable:
            dist = (batch @ _LINE_W + _LINE_B) / norm
            batch = batch[np.abs(dist) > 0.3]
        X = np.vstack([X, batch])
    X = X[:n]
    s = X @ _LINE_W + _LINE_B
    if separable:
        y = (s > 0).astype(np.int64)
    else:
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-1.5 * s))).astype(np.int64)
    return X, y


def add_intercept(X: np.ndarray) -> np.ndarray:
    """Prepend a column of ones, so theta[0] is the intercept."""
    return np.hstack([np.ones((X.shape[0], 1)), X])


# Token lists for the synthetic corpus. Spam and ham words are boosted in their own class;
# common words have the same weight in both classes, so they carry no signal.
_SPAM_WORDS = (  # noqa: SIM905 (a word list reads best as one string)
    "free winner claim prize urgent cash offer txt reply won guaranteed bonus credit loan "
    "discount click subscribe ringtone voucher award selected entry mobile call now stop "
    "unsubscribe deal cheap win exclusive limited apply bank account congratulations rate "
    "tone collect delivery quiz camera holiday network"
).split()
_HAM_WORDS = (  # noqa: SIM905 (a word list reads best as one string)
    "lunch meeting tomorrow home dinner sorry later love mom dad tonight class homework "
    "movie coffee sleep work bus train friend party weekend birthday cook miss thanks "
    "okay sure maybe library office morning game study project room walk early late "
    "family pick drive"
).split()
_COMMON_WORDS = (  # noqa: SIM905 (a word list reads best as one string)
    "the a to you i is and it in of for on me my be at with this that have so but not are "
    "do can will just get what if your up out about all when there how know time day good "
    "go come see one back like from we they he she or was got need want here today"
).split()
_SYLLABLES = ("ka", "lo", "mi", "ru", "te", "po", "sa", "ni", "bo", "ze", "fu", "da")


def _filler_words(count: int) -> list[str]:
    """Pseudo-words (two or three syllables) that pad the vocabulary to a few hundred tokens."""
    words: list[str] = []
    k = 0
    while len(words) < count:
        a, b, c = k % 12, (k // 12) % 12, (k // 144) % 12
        word = _SYLLABLES[a] + _SYLLABLES[b] + (_SYLLABLES[c] if k % 3 == 0 else "")
        if word not in words:
            words.append(word)
        k += 7  # a stride coprime to 12 spreads the syllables
    return words


@memoize_by_value()
def spam_token_distributions(seed: int = 229) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``(tokens, p_spam, p_ham)``: the fixed per-class token distributions of the corpus."""
    tokens = sorted(
        set(_SPAM_WORDS) | set(_HAM_WORDS) | set(_COMMON_WORDS) | set(_filler_words(190))
    )
    rng = np.random.default_rng([seed, 2])
    base = rng.gamma(shape=1.0, scale=1.0, size=len(tokens))
    w_spam = base.copy()
    w_ham = base.copy()
    for j, tok in enumerate(tokens):
        if tok in _COMMON_WORDS:
            w_spam[j] = w_ham[j] = 6.0 + 4.0 * base[j]
        elif tok in _SPAM_WORDS:
            w_spam[j] = 3.0 + 4.0 * base[j]
            w_ham[j] = 0.05 * base[j]
        elif tok in _HAM_WORDS:
            w_ham[j] = 3.0 + 4.0 * base[j]
            w_spam[j] = 0.05 * base[j]
        else:  # filler: rare in both classes, slightly different between them
            w_spam[j] = 1.5 * base[j]
            w_ham[j] = 1.5 * rng.gamma(1.0)
    return tokens, w_spam / w_spam.sum(), w_ham / w_ham.sum()


@memoize_by_value()
def spam_corpus(
    n_messages: int = 400, *, spam_fraction: float = 0.3, seed: int = 229, dist_seed: int = 229
) -> tuple[list[str], np.ndarray]:
    """``(messages, labels)``: n_messages strings and labels (1 = spam, 0 = ham).

    Each message draws its length (4 to 30 tokens) and then its tokens independently from its
    class's distribution (fixed by ``dist_seed``; ``seed`` only drives the sampling, so a
    training and a test corpus share distributions). A few tokens are capitalised, so
    tokenising must lower-case.
    """
    tokens, p_spam, p_ham = spam_token_distributions(dist_seed)
    rng = np.random.default_rng([seed, 3])
    labels = (rng.random(n_messages) < spam_fraction).astype(np.int64)
    messages = []
    for label in labels:
        length = int(rng.integers(4, 31))
        idx = rng.choice(len(tokens), size=length, p=p_spam if label else p_ham)
        words = [tokens[i].upper() if rng.random() < 0.05 else tokens[i] for i in idx]
        messages.append(" ".join(words))
    return messages, labels


@memoize_by_value()
def ring_dataset(
    n: int = 200, *, seed: int = 229, radius: float = 2.4
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: n points uniform in [-3, 3]^2, y = 1 strictly inside the disc of ``radius``.

    Points within 0.1 of the circle are redrawn so the classes have a small margin.
    """
    rng = np.random.default_rng([seed, 4])
    X = np.empty((0, 2))
    while X.shape[0] < n:
        batch = rng.uniform(-3.0, 3.0, size=(2 * n, 2))
        r = np.linalg.norm(batch, axis=1)
        X = np.vstack([X, batch[np.abs(r - radius) > 0.1]])
    X = X[:n]
    y = (np.linalg.norm(X, axis=1) < radius).astype(np.int64)
    return X, y


def _csv(X: np.ndarray, y: np.ndarray) -> str:
    lines = ["x1,x2,y"] + [f"{a!r},{b!r},{int(c)}" for (a, b), c in zip(X.tolist(), y, strict=True)]
    return "\n".join(lines) + "\n"


def student_files() -> dict[str, str]:
    """File name -> text of every data file shipped to students in ``problems/cs229_ps2/data``."""
    files = {
        "logistic_a.csv": _csv(*logistic_dataset(separable=False)),
        "logistic_b.csv": _csv(*logistic_dataset(separable=True)),
        "ring_train.csv": _csv(*ring_dataset(200, seed=229)),
        "ring_test.csv": _csv(*ring_dataset(200, seed=230)),
    }
    for name, seed in (("spam_train.tsv", 229), ("spam_test.tsv", 230)):
        messages, labels = spam_corpus(400 if seed == 229 else 200, seed=seed)
        body = "".join(
            f"{'spam' if lab else 'ham'}\t{msg}\n"
            for msg, lab in zip(messages, labels, strict=True)
        )
        files[name] = "label\tmessage\n" + body
    return files


def write_student_files(directory: Path = DATA_DIR) -> list[Path]:
    """Write :func:`student_files` into ``directory`` and return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in student_files().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_student_files(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR):
        print(path)
