r"""Answer kinds judged by the writing alone, as other graders' own tests judge them: small named rules,
pure string work (no sympy), run before math-verify on every pair whose gold is no plain number
(`r1cli.rewards.quick`). Mixed numbers (`3128 1/2`) are numbers: `r1cli.rewards.numbers` reads them.

Each rule reads one kind of answer and says right (True), wrong (False), or NotImplemented when the pair
is not of its kind (math-verify then decides). The cases each rule follows are other graders' published
test cases, kept as data in tests/data/grader_cases_round2.json (source file, commit and licence named):

    >>> judge_answer_kind("C", "C. x = 42"), judge_answer_kind("B", r"\mathcal{B}"), judge_answer_kind("E", "E'")
    (True, True, False)
    >>> judge_answer_kind("18", "18.0")
    NotImplemented
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["RULES", "choice_letter", "judge_answer_kind", "without_font"]

# Longest answer these rules read: a letter, a word, a choice with its option text; anything longer is math.
_MAX_CHARS = 200
# A font command around the whole answer: the letter or word inside is the answer. Not `\mathbb{R}` (the
# reals are not R) nor `\mathfrak`, which name other things than the letter.
_FONT_RE = re.compile(
    r"^\\(?:mathrm|mathcal|mathbf|mathit|mathsf|mathtt|mathscr|boldsymbol|bm|textbf|textit|textrm|textsf"
    r"|texttt|textup|text|mbox|operatorname)\s*\{([^{}]*)\}$"
)
_NAME_RE = re.compile(r"^[A-Za-z]+(?: [A-Za-z]+)*$")
# Multiple choice: a capital letter A-J, alone or in parentheses, maybe followed by its option's text.
_LETTER = r"[A-J]"
_CHOICE_RES = (
    re.compile(rf"^\(({_LETTER})\)(?:\s+\S.*)?$", re.DOTALL),  # (C), (D) Alina
    re.compile(rf"^({_LETTER})$"),  # C
    re.compile(rf"^({_LETTER})[.):]\s+\S.*$", re.DOTALL),  # C. x = 42, C) 42, C: 42
    re.compile(rf"^({_LETTER})\s+[A-Z][a-z]"),  # C Cecile (the option's text starts with a capital word)
)
# A prime after a name: `'`, `^\prime`, `^{\prime}` (and `\prime\prime` inside the braces).
_PRIME_RE = re.compile(r"'|\^\s*\\prime\b|\^\s*\{\s*(?:\\prime\s*)+\}")
_PRIMED_NAME_RE = re.compile(r"[A-Za-z)]\s*(?:'|\^\s*\\prime\b|\^\s*\{\s*\\prime)")


def without_font(text: str) -> str:
    r"""The answer with the font commands around the whole of it taken off (`\textbf{\text{A}}` -> `A`).

    >>> without_font(r"\mathrm{E}"), without_font(r"\text{(C)}"), without_font(r"\mathbb{R}"), without_font(r"\mathrm{E}*2")
    ('E', '(C)', '\\mathbb{R}', '\\mathrm{E}*2')
    """
    text = text.strip()
    while (match := _FONT_RE.match(text)) is not None:
        text = match.group(1).strip()
    return text


def choice_letter(text: str) -> str | None:
    r"""The option letter a multiple-choice answer names (`C`, `(C)`, `\text{(C)}`, `C. x = 42`,
    `(D) Alina`), or None when the text is no choice (`A, B`, `E'`, `c`, `A = 5`).

    >>> [choice_letter(t) for t in ["C", r"\textbf{(B)}", "C. x = 42", "(D) Alina", "C Cecile"]]
    ['C', 'B', 'C', 'D', 'C']
    >>> [choice_letter(t) for t in ["A, B", "E'", "c", "A = 5", "K", "Cx"]]
    [None, None, None, None, None, None]
    """
    text = without_font(text)
    if len(text) > _MAX_CHARS:
        return None
    for pattern in _CHOICE_RES:
        match = pattern.match(text)
        if match is not None:
            return match.group(1)
    return None


def choices(gold: str, answer: str) -> bool | type[NotImplemented]:
    r"""Multiple choice: a gold and an answer that both name an option letter are right when it is the
    same letter, whatever option text either carries (`C` and `C. x = 42`; `(D) Alina` and `D`).

    >>> choices("C", "C. x = 42"), choices("(A) Cecile", "C"), choices("C", "12")
    (True, False, NotImplemented)
    """
    gold_letter = choice_letter(gold)
    if gold_letter is None:
        return NotImplemented
    answer_letter = choice_letter(answer)
    if answer_letter is None:
        return NotImplemented
    return gold_letter == answer_letter


def font_names(gold: str, answer: str) -> bool | type[NotImplemented]:
    r"""A letter or word in a font (`\mathrm{E}`, `\mathcal{B}`, `\textbf{A}`, `\text{odd}`) is the letter or
    word itself: right when the same, wrong when another word. Only when a font is the difference.

    >>> font_names("E", r"\mathrm{E}"), font_names("odd", r"\text{oddd}"), font_names("E", r"\mathrm{E}*2")
    (True, False, NotImplemented)
    """
    plain_gold, plain_answer = without_font(gold), without_font(answer)
    if (plain_gold, plain_answer) == (gold.strip(), answer.strip()):
        return NotImplemented  # no font around either: not this rule's kind
    if not (_NAME_RE.match(plain_gold) and _NAME_RE.match(plain_answer)):
        return NotImplemented
    if len(plain_gold) > 1 and len(plain_answer) > 1:  # words: `Odd` is `odd`; a letter keeps its case
        return plain_gold.lower() == plain_answer.lower()
    return plain_gold == plain_answer


def primed_names(gold: str, answer: str) -> bool | type[NotImplemented]:
    r"""A primed name is another name (`E'` is not `E`, `f''` is not `f'`): wrong when the two differ only
    in their primes, right when only in how the primes are written (`f'` and `f^{\prime}`).

    >>> primed_names("E", "E'"), primed_names("f'", r"f^{\prime}"), primed_names("5'", "5"), primed_names("x", "y'")
    (False, True, NotImplemented, NotImplemented)
    """
    if not (_PRIMED_NAME_RE.search(gold) or _PRIMED_NAME_RE.search(answer)):
        return NotImplemented
    bare_gold, bare_answer = _PRIME_RE.sub("", gold), _PRIME_RE.sub("", answer)
    if _squeeze(bare_gold) != _squeeze(bare_answer):
        return NotImplemented
    return _prime_count(gold) == _prime_count(answer)


def _prime_count(text: str) -> int:
    return text.count("'") + text.count("\\prime")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# In order; the first rule with a verdict decides.
RULES: tuple[Callable[[str, str], bool | type[NotImplemented]], ...] = (primed_names, choices, font_names)


def judge_answer_kind(gold: str, answer: str) -> bool | type[NotImplemented]:
    """The verdict of the first rule whose kind the pair is (see RULES); NotImplemented if none."""
    if len(gold) > _MAX_CHARS or len(answer) > _MAX_CHARS:
        return NotImplemented
    for rule in RULES:
        verdict = rule(gold, answer)
        if verdict is not NotImplemented:
            return verdict
    return NotImplemented
