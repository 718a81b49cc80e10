r"""Where a final answer sits in LaTeX text: `\boxed{}` groups, math spans, the tail worth reading.

Pure string rules (no sympy), used by `r1cli.rewards.answers` to cut an answer out of a completion or a
gold. When no short answer can be cut out cleanly (several connected `\boxed{}`, an answer stated in
prose around `$...$`), the answer is handed on as a short piece of text that still holds its math
delimiters; the verifier's workers read such a piece with math-verify's own LaTeX and expression
extraction (`r1cli.rewards.mathcheck`), exactly as math-verify reads a whole completion.

    >>> boxed_run(r"so \(\boxed{1}\) and \(\boxed{-2}\).")
    '\\boxed{1} and \\boxed{-2}'
    >>> single_span(r" $\dfrac{1}{3}$. ")
    '\\dfrac{1}{3}'
"""

from __future__ import annotations

import itertools
import re
from typing import NamedTuple

__all__ = [
    "Box",
    "boxed_run",
    "boxes",
    "has_math_marks",
    "one_matrix",
    "single_span",
    "tail_for_extraction",
    "without_commands",
]

# What makes a string "text to extract from" rather than a bare answer: math delimiters or a box.
_MATH_MARK_RE = re.compile(r"\\\(|\\\[|\\boxed\b|\\fbox\b")
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\b")
# A LaTeX command, or a whole `\begin{pmatrix}` / `\end{pmatrix}`: an environment's name is no prose.
_COMMAND_RE = re.compile(r"\\(?:begin|end)\s*\{[A-Za-z*]*\}|\\[A-Za-z]+")
_MATRIX_TAG_RE = re.compile(r"\\(begin|end)\s*\{(?:[pbBvV]?matrix|smallmatrix|array)\*?\}")
_DOLLAR_RE = re.compile(r"(?<!\\)\$")
_MAX_BOXES = 8
_MAX_BRACED_CHARS = 20_000
# Two boxes belong to one answer when at most this much (delimiters, "and", `\quad`) stands between them.
_MAX_BOX_GAP = 40
_GAP_DELIMITERS_RE = re.compile(r"(?<!\\)\$+|\\[()\[\]]")
_SPANS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
# A tail handed on for extraction: long enough for "the final answer is $...$" and a few boxes.
TAIL_CHARS = 1500


class Box(NamedTuple):
    """A `\\boxed{...}`: where `\\boxed` starts, its content, and where its closing brace ends."""

    start: int
    content: str
    end: int


def has_math_marks(text: str) -> bool:
    r"""Whether `text` holds math delimiters (`$...$`, `\(`, `\[`) or a `\boxed`; a lone `$` is money.

    >>> has_math_marks(r"so $x=1$"), has_math_marks(r"\frac{1}{2}"), has_math_marks("She makes $18 a day")
    (True, False, False)
    """
    if _MATH_MARK_RE.search(text) is not None:
        return True
    dollars = _DOLLAR_RE.finditer(text)
    return next(dollars, None) is not None and next(dollars, None) is not None


def without_commands(text: str) -> str:
    r"""`text` with its LaTeX commands and environment names taken out: what is left is where prose shows.

    >>> without_commands(r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}"), without_commands(r"18\text{ dollars}")
    (' 1 \\\\ 2 ', '18{ dollars}')
    """
    return _COMMAND_RE.sub("", text)


def _braced(text: str, start: int) -> tuple[str, int] | None:
    """The balanced `{...}` group at `start` (spaces allowed before it) and where it ends, or `\\boxed 5`."""
    i = start
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] != "{":
        token = re.match(r"[^\s$]+", text[i:])
        return (token.group(0), i + token.end()) if token and i > start else None
    depth = 0
    for j in range(i, min(len(text), i + _MAX_BRACED_CHARS)):
        char = text[j]
        if char == "{" and text[j - 1] != "\\":
            depth += 1
        elif char == "}" and text[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
    return None


def boxes(text: str) -> list[Box]:
    r"""The closed `\boxed{}` (or `\fbox{}`) groups among the last few in `text`, in order.

    Only the last few: a pathological text with thousands of unclosed ones stays linear.

    >>> [box.content for box in boxes(r"\boxed{1} then \boxed{\frac{3}{4}} and \boxed{")]
    ['1', '\\frac{3}{4}']
    """
    found = []
    for match in list(_BOXED_RE.finditer(text))[-_MAX_BOXES:]:
        braced = _braced(text, match.end())
        if braced is not None:
            found.append(Box(match.start(), braced[0], braced[1]))
    return [box for i, box in enumerate(found) if i == 0 or box.start >= found[i - 1].end]


def boxed_run(text: str) -> str | None:
    r"""The last box with the boxes just before it that state the same answer (`\boxed{1} and \boxed{2}`,
    `\boxed{1},\boxed{2}`), math delimiters between them dropped; None unless there are two or more.

    >>> boxed_run(r"\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}")
    '\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}'
    >>> boxed_run(r"First \boxed{3}. Much later, after more work: \boxed{5}") is None
    True
    """
    found = boxes(text)
    run = found[-1:]
    for box in reversed(found[:-1]):
        gap = text[box.end : run[0].start]
        if len(gap) > _MAX_BOX_GAP or not _joins_answers(gap):
            break
        run.insert(0, box)
    if len(run) < 2:
        return None
    pieces = [text[run[0].start : run[0].end]]
    for before, box in itertools.pairwise(run):
        gap = _GAP_DELIMITERS_RE.sub("", text[before.end : box.start])
        pieces.append(gap + text[box.start : box.end])
    return "".join(pieces)


def _joins_answers(gap: str) -> bool:
    r"""What may stand between two boxes of one answer: no sentence end, and either a connector (a comma,
    "and", "or") or no words at all (`\quad \text{and} \quad`, `\) and \( y_2 =`, `papers and`); not "then".

    >>> _joins_answers(r"\) and \( y_2 = "), _joins_answers(" ++ "), _joins_answers(" then "), _joins_answers(". And ")
    (True, True, False, False)
    """
    gap = _GAP_DELIMITERS_RE.sub(" ", gap)
    if "\n\n" in gap or re.search(r"[.!?](?:\s|$)", gap):
        return False
    gap = re.sub(r"\\[A-Za-z]+|\\.", " ", gap)
    return re.search(r"[,;]|\b(?:and|or)\b", gap) is not None or re.search(r"[A-Za-z]", gap) is None


def one_matrix(text: str) -> str | None:
    r"""The text on one line when it is one matrix (`pmatrix`, `bmatrix`, `array`, ...) and nothing else,
    as golds often write a matrix over several lines; None otherwise.

    >>> one_matrix("\\begin{pmatrix}\n 1 & 2 \\\\\n 3 & 4\n\\end{pmatrix}")
    '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}'
    >>> one_matrix(r"\begin{pmatrix}1\end{pmatrix} + \begin{pmatrix}2\end{pmatrix}") is None
    True
    """
    text = text.strip()
    if not (text.startswith("\\begin") and text.endswith("}")):
        return None
    tags = list(_MATRIX_TAG_RE.finditer(text))
    if not tags or tags[0].start() != 0 or tags[-1].end() != len(text):
        return None
    depth = 0
    for tag in tags[:-1]:
        depth += 1 if tag.group(1) == "begin" else -1
        if depth <= 0:  # closed before the end: two matrices, or a stray \end
            return None
    if depth != 1 or tags[-1].group(1) != "end":
        return None
    return " ".join(text.split())


def single_span(text: str) -> str | None:
    r"""The content when `text` is one math span (`$x$`, `$$x$$`, `\(x\)`, `\[x\]`, a final period
    allowed) with no other delimiter inside; None otherwise.

    >>> single_span("$1$ and $2$") is None, single_span(r"\( 9 \)")
    (True, '9')
    """
    text = text.strip()
    if text.endswith("."):
        text = text[:-1].rstrip()
    for left, right in _SPANS:
        if len(text) > len(left) + len(right) and text.startswith(left) and text.endswith(right):
            inner = text[len(left) : -len(right)]
            if has_math_marks(inner.replace("\\boxed", "").replace("\\fbox", "")):
                return None
            return inner.strip()
    return None


def tail_for_extraction(text: str, limit: int = TAIL_CHARS) -> str:
    r"""The end of `text` (about `limit` characters) cut where no `$...$` span is open, so that math
    delimiters still pair up; the whole text when it is short.

    >>> tail_for_extraction("a $x$ b $y$ c", limit=7)
    'b $y$ c'
    """
    if len(text) <= limit:
        return text
    start = len(text) - limit
    dollars = [match.start() for match in _DOLLAR_RE.finditer(text)]
    before = sum(1 for position in dollars if position < start)
    if before % 2:  # inside a span: start right after it closes
        closing = next((p for p in dollars if p >= start), None)
        start = len(text) if closing is None else closing + 1
    return text[start:]
