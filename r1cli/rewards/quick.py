r"""Numbers judged in the parent process: identical strings and plainly written numbers, with
math-verify's own verdicts, so that most GSM8K-style pairs never start a worker (r1cli/rewards/verifier.py);
and the answer kinds other graders' tests agree on (r1cli/rewards/answer_kinds.py).

`quick_judge(gold, answer)` is True or False where its rules give math-verify's verdict, NotImplemented
where math-verify must decide. Pure: no sympy, no math-verify import.
"""

from __future__ import annotations

import re
from fractions import Fraction

from r1cli.rewards.answer_kinds import judge_answer_kind
from r1cli.rewards.latex_text import single_span
from r1cli.rewards.numbers import decimal_comma_value, mixed_number_value

__all__ = ["number_value", "quick_judge"]

# A plainly written number: a decimal, optionally in scientific notation, or an integer fraction.
_NUMBER_RE = re.compile(
    r"^(-?)(?:(\d+(?:\.\d+)?)[eE]([+-]?\d+)|(\d+(?:\.\d*)?|\.\d+)|\\[dt]?frac\{(\d+)\}\{(\d+)\})$"
)
# A whole, non-negative percentage: math-verify reads `-5\%` and `12.5\%` by other rules, left to it.
_PERCENT_RE = re.compile(r"^(\d{1,6})\s*\\?%$")
_MAX_EXPONENT = 400
# Plain numbers joined by + - * (or ×, ·, \times, \cdot): a computation left undone. A leading sign alone is a number.
_OPERAND = r"\(?-?\d+(?:\.\d+)?\)?"
_UNEVALUATED_RE = re.compile(rf"^-?{_OPERAND}(?:\s*(?:[-+*×·]|\\times|\\cdot)\s*{_OPERAND})+\.?$")


def number_value(text: str) -> tuple[Fraction, bool] | None:
    r"""The exact value of a number written plainly (`-12`, `0.5`, `4.5e33`, `\frac{1}{2}`, the mixed number
    `3128 1/2`), and whether math-verify reads it as exact (an integer or a fraction, not a decimal); None
    for anything else.

    >>> number_value("-0.25"), number_value(r"\dfrac{3}{4}"), number_value("x")
    ((Fraction(-1, 4), False), (Fraction(3, 4), True), None)
    """
    match = _NUMBER_RE.match(text)
    if not match:
        mixed = mixed_number_value(text)
        return None if mixed is None else (mixed, True)
    sign, mantissa, exponent, decimal, numerator, denominator = match.groups()
    try:
        if mantissa is not None:
            if abs(int(exponent)) > _MAX_EXPONENT:
                return None
            value, exact = Fraction(mantissa) * Fraction(10) ** int(exponent), False
        elif decimal is not None:
            value, exact = Fraction(decimal), "." not in decimal
        else:
            if int(denominator) == 0:
                return None
            value, exact = Fraction(int(numerator), int(denominator)), True
    except ValueError:  # more digits than Python converts
        return None
    return (-value if sign else value), exact


def quick_judge(gold: str, answer: str | None) -> bool | type[NotImplemented] | None:
    r"""Judge identical strings, plainly written numbers and the answer kinds of `judge_answer_kind`
    (multiple choice, fonts, primes) without sympy; NotImplemented when math-verify must decide.

    Equal values are equal for math-verify too, and unequal exact numbers (integers, fractions) unequal.
    Decimals are compared by math-verify rounded to 6 places (1/3 == 0.333333), and the verifier refuses
    tiny numbers that round alike but differ by more than 0.01%, so unequal decimals are decided here only
    when they are far apart (more than 0.1% and, above 0.01, more than 1e-5); the rest go to math-verify.

    >>> quick_judge("1234", "1234.0"), quick_judge("18", "19"), quick_judge("4.5e33", "4.6e33")
    (True, False, False)
    >>> quick_judge("0.5", r"\frac{1}{2}"), quick_judge("0.333333", r"\frac{1}{3}")
    (True, NotImplemented)

    An answer written exactly as the gold is right, even where math-verify cannot parse the gold:

    >>> quick_judge(r"\text{(B)}", r"\text{(B)}"), quick_judge(r"$\frac{\pi r}{h+r}$", r"\frac{\pi r}{h+r}")
    (True, True)
    >>> quick_judge("C", "C. x = 42"), quick_judge("E", "E'"), quick_judge("3128 1/2", "3128.5")
    (True, False, True)

    Against a number, an answer that is plain numbers joined by + - * is the computation, not its
    value: math-verify would work it out ("What is 3 + 54?" answered "3 + 54" is 57), and a GRPO run on a
    real model learnt to restate the question for full marks. Fractions (`1/2`) and powers stay math's:

    >>> quick_judge("57", "3 + 54"), quick_judge("57", r"$50 \times 1 + 7$"), quick_judge("-3", "-3")
    (False, False, True)
    """
    if answer is not None and _math_content(answer) == _math_content(gold):
        return True
    gold_value = number_value(gold)
    if answer is not None and _decimal_comma_equal(gold, answer, gold_value):
        return True
    if gold_value is None:  # the answer kinds have no number for a gold: they are read only here
        return judge_answer_kind(gold, answer) if answer is not None else NotImplemented
    if answer is None:
        return False
    answer_value = number_value(answer)
    if answer_value is None:
        if _UNEVALUATED_RE.match(_math_content(answer)):
            return False  # the sum to work out, restated: not its value
        return _percent_judge(gold, gold_value, answer)
    (a, a_exact), (b, b_exact) = gold_value, answer_value
    if a == b:
        return True
    if a_exact and b_exact:
        return False
    apart, largest = abs(a - b), max(abs(a), abs(b))
    if apart > largest / 1000 and (largest < Fraction(1, 100) or apart > Fraction(1, 100_000)):
        return False
    return NotImplemented


def _math_content(text: str) -> str:
    r"""The text inside its math delimiters when it is one math span (`$x$`, `\(x\)`), else the text:
    the same writing with or without delimiters is the same answer.

    >>> _math_content(" $x^2$ "), _math_content("$1$ and $2$")
    ('x^2', '$1$ and $2$')
    """
    span = single_span(text)
    return span if span is not None else text.strip()


def _percent_judge(gold: str, gold_value: tuple[Fraction, bool], answer: str) -> bool | type[NotImplemented]:
    r"""A whole percentage (`20\%`, `20%`, `20 \%`) against a plain gold, as math-verify judges it: equal
    to its hundredth (0.2) and, when the gold is exact (an integer or a fraction, not `20.0`), to its
    number (20). Saves GSM8K-style files with an odd percentage a worker start (a second or more).

    >>> _percent_judge("20", (Fraction(20), True), "20\\%"), _percent_judge("0.2", (Fraction(1, 5), False), "20%")
    (True, True)
    >>> _percent_judge("20.0", (Fraction(20), False), "20\\%"), _percent_judge("25", (Fraction(25), True), "40\\%")
    (False, False)
    """
    match = _PERCENT_RE.match(answer)
    if not match:
        return NotImplemented
    number = int(match.group(1))
    whole = quick_judge(gold, str(number)) if gold_value[1] else False
    hundredth = quick_judge(gold, f"\\frac{{{number}}}{{100}}")
    if whole is True or hundredth is True:
        return True
    if whole is False and hundredth is False:
        return False
    return NotImplemented


def _decimal_comma_equal(gold: str, answer: str, gold_value: tuple[Fraction, bool] | None) -> bool:
    r"""One side written with a decimal comma (`1,22`), the other with a point (`1.22`), same value.

    >>> _decimal_comma_equal("1,22", "1.22", None), _decimal_comma_equal("1000.99", "1000,99", None)
    (True, True)
    """
    gold_comma = decimal_comma_value(gold)
    if gold_comma is not None:
        answer_value = number_value(answer)
        return answer_value is not None and answer_value[0] == gold_comma
    answer_comma = decimal_comma_value(answer)
    gold_value = gold_value if gold_value is not None else number_value(gold)
    return answer_comma is not None and gold_value is not None and gold_value[0] == answer_comma
