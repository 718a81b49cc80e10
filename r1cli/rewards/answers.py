"""Final-answer extraction: the gold answer of a dataset row and the answer a model gave.

Pure string work (regular expressions and a brace matcher, no sympy), so it is cheap enough to run on
every completion before any math verification, and safe to import anywhere:

    >>> extract_gold_answer("She makes 9 * 2 = $18 a day.\\n#### 1,234")
    '1234'
    >>> extract_gold_answer("So $x = \\\\boxed{\\\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> extract_model_answer("<think>9 * 2 = 18</think><answer>The answer is 18 dollars.</answer>")
    '18'
"""

from __future__ import annotations

import re

from r1cli.rewards.latex_text import (
    TAIL_CHARS,
    boxed_run,
    boxes,
    has_math_marks,
    one_matrix,
    single_span,
    tail_for_extraction,
    without_commands,
)
from r1cli.rewards.numbers import plain_number

__all__ = [
    "ANSWER_PLACES",
    "answer_block",
    "extract_gold_answer",
    "extract_model_answer",
    "final_answer",
    "last_boxed",
    "normalize_answer",
]

# Longest answer string kept: a final answer is short; anything longer is prose or garbage.
MAX_ANSWER_CHARS = 2000
# A gold without any marker (no `####`, no `\boxed`) is taken whole only when it is this short.
MAX_PLAIN_GOLD_CHARS = 200

_ANSWER_IS_RE = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*(?P<ans>[^\n]+)", re.IGNORECASE
)
# "The final answer is $X$" after the last box: math-verify reads that one (as the model meant).
_ANSWER_AFTER_BOX_RE = re.compile(r"(?i:final answer|answer)[^\n]{0,100}?(?<!\\)\$")
_A_COLON_RE = re.compile(r"^\s*A:\s*(?P<ans>[^\n]+)", re.MULTILINE)
# A number as written in prose: `1,234.5`, `1 000` (groups of three), `3/4`.
# A number as written in prose: `1,234.5`, `1 000` (groups of three), `1000,99` (a decimal comma), `.4`,
# `3/4`; units may follow (`1,000.99m²`), letters may not come before (`x2`).
_NUMBER_RE = re.compile(
    r"(?<![\w.])-?(?:[1-9]\d{0,2}(?:,\d{3})+(?![\d,])|[1-9]\d{0,2}(?: \d{3})+(?![\d.,])"
    r"|\d+,\d+(?![\d,])|\d+|(?=\.\d))(?:\.\d+)?(?:\s*/\s*\d+)?(?![\d.]\d|/)"
)
_SENTENCE_END_RE = re.compile(r"\.(?=\s|$)")
_WORD_RE = re.compile(r"(?<!\\)\b[A-Za-z]{3,}\b")
_DOLLAR_RE = re.compile(r"(?<!\\)\$")
_PLAIN_NUMBER_RE = re.compile(r"^-?(?:\d+(?:\.\d+)?|\.\d+)$")
# A short `<answer>` block is the answer itself; a longer one is read like a whole completion.
_SHORT_BLOCK_CHARS = 100


def last_boxed(text: str) -> str | None:
    r"""The content of the last `\boxed{...}` (or `\fbox{...}`), nested braces kept; None if there is none.

    >>> last_boxed(r"a \boxed{1} then \boxed{\frac{3}{4}}")
    '\\frac{3}{4}'
    """
    found = boxes(text)
    return found[-1].content if found else None


def answer_block(text: str) -> str | None:
    """The content of the last `<answer>` block (to the end of the text if it is never closed), or None."""
    start = text.rfind("<answer>")
    if start < 0:
        return None
    start += len("<answer>")
    end = text.find("</answer>", start)
    return text[start:] if end < 0 else text[start:end]


def _strip_delimiters(answer: str) -> str:
    answer = answer.strip()
    changed = True
    while changed and answer:
        changed = False
        span = single_span(answer)
        if span is not None:
            answer, changed = span, True
        elif len(answer) > 4 and answer.startswith("**") and answer.endswith("**"):
            answer, changed = answer[2:-2].strip(), True
        if answer.endswith((".", "\u3002")):
            answer = answer[:-1].rstrip()
            changed = True
    return answer


def normalize_answer(answer: str) -> str:
    r"""Canonical surface form of a final answer: no math delimiters, no thousands separators, no `$` sign.

    >>> normalize_answer(" $1,234.50$. ")
    '1234.50'
    >>> normalize_answer(r"10{,}000"), normalize_answer(r"11,\! 111,\! 100"), normalize_answer("$1$ and $2$")
    ('10000', '11111100', '$1$ and $2$')
    """
    answer = _strip_delimiters(answer)
    matrix = one_matrix(answer)
    if matrix is not None:
        return matrix
    if not has_math_marks(answer):
        answer = re.sub(r"^\\?\$\s*(?=-?\d)", "", answer)  # currency: $18, \$18
        answer = re.sub(r"^(-?)\\?\$\s*(?=\d)", r"\1", answer)  # -$5
    return plain_number(answer).strip()


def _reduce_phrase(phrase: str) -> str:
    """`18 dollars` -> `18`: prose around a single number is dropped; math is kept as written."""
    phrase = normalize_answer(phrase)
    if "\\" in phrase or "^" in phrase or "{" in phrase:
        return phrase
    if _WORD_RE.search(phrase):
        numbers = _NUMBER_RE.findall(phrase)
        if len(numbers) == 1:
            percent = re.search(re.escape(numbers[0]) + r"\s*(%|percent)", phrase)
            return normalize_answer(numbers[0]) + ("%" if percent else "")
    return phrase


def _first_sentence(text: str) -> str:
    end = _SENTENCE_END_RE.search(text)
    return text[: end.start()] if end else text


def _answer_is(text: str) -> str | None:
    matches = list(_ANSWER_IS_RE.finditer(text))
    if not matches:
        return None
    return _first_sentence(matches[-1].group("ans"))


def _clip(answer: str | None) -> str | None:
    if answer is None:
        return None
    answer = answer.strip()
    return answer if answer and len(answer) <= MAX_ANSWER_CHARS else None


def _from_boxes(text: str) -> str | None:
    """A boxed answer: several boxes stating one answer stay together (as text for math-verify to read);
    a "final answer is $X$" after the last box wins over it; else the last box's content. None: no box."""
    found = boxes(text)
    if not found:
        return None
    run = boxed_run(text)
    if run is not None:
        return run
    if _ANSWER_AFTER_BOX_RE.search(text, found[-1].end):
        return text[found[-1].start : found[-1].start + TAIL_CHARS]
    # `$` inside a box closes and reopens math mode (`x_0 \\cos t+$ $\\dot{x}_0`): typesetting, not content.
    return normalize_answer(_DOLLAR_RE.sub("", found[-1].content))


def _from_math_text(text: str) -> str:
    """A text with math in it and no box: one span is the answer itself; otherwise the text's end, with
    its delimiters, for math-verify's LaTeX and expression extraction (its "final answer is $X$",
    "answer: $X$" and last-expression rules), never a bare number picked out of LaTeX."""
    span = single_span(text)
    if span is not None:
        number = normalize_answer(span)
        return number if _PLAIN_NUMBER_RE.match(number) else text
    line = text.strip()
    if "\n" not in line and _only_dollars(line):
        # One line of math and no words: `x_0 \\cos t+$ $\\dot{x}_0`, `$1$, $2$`; the `$` are typesetting.
        return normalize_answer(_DOLLAR_RE.sub("", line))
    phrase = _answer_is(text)
    if phrase is not None and (not has_math_marks(phrase) or single_span(phrase) is not None):
        reduced = _reduce_phrase(phrase)
        if reduced and not _WORD_RE.search(without_commands(reduced)):
            return reduced
    anchors = list(_ANSWER_AFTER_BOX_RE.finditer(text))
    if anchors and anchors[-1].start() < len(text) - TAIL_CHARS:
        # The answer stated long before the end (notes trail after it): read from there.
        return text[anchors[-1].start() : anchors[-1].start() + TAIL_CHARS]
    return tail_for_extraction(text)


def _only_dollars(line: str) -> bool:
    """A line whose only math marks are `$` and which holds no words outside LaTeX commands."""
    bare = _DOLLAR_RE.sub(" ", line)
    return not has_math_marks(bare) and not _WORD_RE.search(without_commands(bare))


def _from_plain_text(text: str) -> str | None:
    """A text without math delimiters: the text itself when it is one line of math (no prose:
    `\\frac{10}{9}`, `1 000`, a long expression), "the answer is X", "A: X", else the last number."""
    line = text.strip()
    if one_matrix(line) is not None:  # a matrix written over several lines
        return normalize_answer(line)
    if (
        len(line) <= MAX_ANSWER_CHARS
        and "\n" not in line
        and not re.search(r"[A-Za-z]{2,}", without_commands(line))
    ):
        return normalize_answer(line)
    phrase = _answer_is(text)
    if phrase is None:
        lines = _A_COLON_RE.findall(text)
        phrase = _first_sentence(lines[-1]) if lines else None
    if phrase is not None:
        reduced = _reduce_phrase(phrase)
        if reduced:
            return reduced
    numbers = _NUMBER_RE.findall(text[-20000:])
    return normalize_answer(numbers[-1]) if numbers else None


def final_answer(text: str) -> str | None:
    r"""The final answer stated in a text (a completion, an `<answer>` block, a solution), or None.

    In order: boxes (`\boxed{}`), `#### X`, then, in a text with math delimiters, the single math span or
    the text's end for math-verify to read; in a plain text "the answer is X" / "A: X", else the last number.

    >>> final_answer(r"so the probability is $\dfrac{1}{3}$.")
    'so the probability is $\\dfrac{1}{3}$.'
    >>> final_answer("It costs 1 000 dollars, not 999")
    '999'
    """
    boxed = _from_boxes(text)
    if boxed is not None:
        return _clip(boxed)
    if "####" in text:
        return _clip(_reduce_phrase(text.rsplit("####", 1)[1].strip().split("\n", 1)[0]))
    if has_math_marks(text):
        return _clip(_from_math_text(text))
    return _clip(_from_plain_text(text))


def extract_gold_answer(text: str | int | float | None) -> str | None:
    r"""The normalized final answer of a gold solution: GSM8K, MATH or a plain answer; None if there is none.

    GSM8K worked solutions end in `#### <answer>`; MATH solutions put it in the last `\boxed{}`; a plain
    gold (`18`, `\frac{1}{2}`, `$x^2$`, a JSON number) is the answer itself. A long solution with
    neither marker gives its last "the answer is ..." phrase, else None.

    >>> extract_gold_answer("#### 70,000")
    '70000'
    >>> extract_gold_answer(r"so $s = \boxed{1.6} \mathrm{~cm}$")
    '1.6'
    >>> extract_gold_answer(27.0)
    '27'
    >>> extract_gold_answer("   ") is None
    True
    """
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int):
        return str(text)
    if isinstance(text, float):
        return str(int(text)) if text.is_integer() else repr(text)
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text:
        return None
    if "####" in text:
        tail = text.rsplit("####", 1)[1].strip().split("\n", 1)[0]
        return _clip(normalize_answer(tail))
    boxed = _from_boxes(text)
    if boxed is not None:
        return _clip(boxed)
    if one_matrix(text) is not None:  # a matrix written over several lines
        return _clip(normalize_answer(text))
    if "\n" not in text and len(text) <= MAX_PLAIN_GOLD_CHARS:
        if has_math_marks(text):
            return _clip(_from_math_text(text))
        phrase = _answer_is(text)
        return _clip(_reduce_phrase(phrase) if phrase else normalize_answer(text))
    phrase = _answer_is(text)
    if phrase is None:
        return None
    return _clip(tail_for_extraction(text) if has_math_marks(phrase) else _reduce_phrase(phrase))


# Where `extract_model_answer` looks: "anywhere" (the `<answer>` block, else the whole completion), or
# "tags" (only the `<answer>` block, the R1-Zero rule: an answer outside the asked format is no answer).
ANSWER_PLACES = ("anywhere", "tags")


def extract_model_answer(text: str | None, answer_in: str = "anywhere") -> str | None:
    r"""The final answer in a model completion, or None.

    The last `<answer>...</answer>` block when there is one (a short one is the answer itself, prose
    around a single number dropped: `18 dollars` -> `18`), else (unless `answer_in` is "tags") the whole
    completion, read by `final_answer`. An answer that still holds math delimiters is text for
    math-verify to read.

    >>> extract_model_answer(r"<think>...</think> <answer>\boxed{\frac{1}{2}}</answer>")
    '\\frac{1}{2}'
    >>> extract_model_answer("Q: 2 + 2?\nA: The answer is 4.")
    '4'
    >>> extract_model_answer("I think it costs 5 then 7 dollars")
    '7'
    >>> extract_model_answer("no numbers here") is None
    True
    >>> extract_model_answer("So 2 + 2 = 4.", answer_in="tags") is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    inner = answer_block(text)
    if inner is not None and inner.strip():
        inner = inner.strip()
        if "####" in inner:
            inner = inner.rsplit("####", 1)[1].strip()
        if len(inner) <= _SHORT_BLOCK_CHARS and not has_math_marks(inner):
            phrase = _answer_is(inner)
            reduced = _reduce_phrase(phrase if phrase and len(inner) > len(phrase) + 3 else inner)
            if not (_WORD_RE.search(without_commands(reduced)) and _NUMBER_RE.search(reduced)):
                return _clip(reduced)
            return _clip(_from_plain_text(inner))
        return final_answer(inner)
    return final_answer(text) if answer_in != "tags" else None
