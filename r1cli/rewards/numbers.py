r"""How people write one number: thousands separators, LaTeX spacing, a decimal comma, a mixed number.
Pure string rules.

Each rule is a small function with its cases as doctests; `r1cli.rewards.answers` applies them to a
final answer before anything compares it, and `r1cli.rewards.verifier` reads the decimal comma.

    >>> plain_number(r"56,\!01,\!78,\!95,\!760"), plain_number("1 000"), plain_number(r"10{,}000")
    ('56017895760', '1000', '10000')
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["decimal_comma_value", "mixed_number_value", "plain_number"]

# `1,234`, `1 234`, `1,234.5`: groups of exactly three digits after the first.
# A leading 0 is no thousands group: `0,111` is a decimal comma.
_COMMA_THOUSANDS_RE = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")
_SPACE_THOUSANDS_RE = re.compile(r"^-?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$")
# Indian grouping (`56,01,78,95,760`) and other comma-grouped digit runs once LaTeX spacing is gone.
_COMMA_GROUPS_RE = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{2,3})*,\d{3}(?:\.\d+)?$")
_DECIMAL_COMMA_RE = re.compile(r"^(-?)(\d+),(\d+)$")
# A whole number and a proper fraction: `3128 1/2`, `918\frac{1}{2}`, `-2\tfrac{3}{4}`.
_MIXED_NUMBER_RE = re.compile(
    r"^(-?)([1-9]\d*)(?:\s+(\d+)\s*/\s*(\d+)|\s*\\[dt]?frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\})$"
)
# LaTeX spacing inside a number: `\!`, `\,`, `{,}`; a trailing backslash left by a cut `\\`.
_LATEX_SPACING_RE = re.compile(r"(?<!\\)\\[!,;: ]\s*")


def _without_latex_spacing(text: str) -> str:
    r"""`56,\!01` -> `56,01`; `10{,}000` -> `10,000`; `1\,000` -> `1000` (a thin space is no separator).

    >>> _without_latex_spacing(r"1\,000"), _without_latex_spacing("42\\"), _without_latex_spacing(r"1 \\ 2")
    ('1000', '42', '1 \\\\ 2')
    """
    text = text.replace("{,}", ",")
    text = _LATEX_SPACING_RE.sub("", text)
    return text[:-1] if text.endswith("\\") and not text.endswith("\\\\") else text


def plain_number(text: str) -> str:
    r"""A number written with separators, as digits only (`1,234.5` -> `1234.5`); anything else unchanged
    apart from LaTeX spacing inside digits.

    >>> plain_number("7,425,000"), plain_number(r"11,\! 111,\! 111,\! 100"), plain_number("1,5")
    ('7425000', '11111111100', '1,5')
    >>> plain_number("32, 349"), plain_number("0,111")  # a list of two numbers; a decimal comma
    ('32, 349', '0,111')
    >>> plain_number(r"x^{2}\!+1")
    'x^{2}+1'
    """
    squeezed = _without_latex_spacing(text.strip())
    if _COMMA_THOUSANDS_RE.match(squeezed) or _COMMA_GROUPS_RE.match(squeezed):
        return squeezed.replace(",", "")
    if _SPACE_THOUSANDS_RE.match(squeezed):
        return squeezed.replace(" ", "")
    return squeezed


def decimal_comma_value(text: str) -> Fraction | None:
    """The value of a number written with a decimal comma (`1,22` = 1.22, `1000,99`, `0,111`); None for
    anything else, and for thousands (`1,234` stays 1234, read by `plain_number`).

    Only ever compared with a number written with a decimal point, so a gold list `2,3` is not read as 2.3
    against an answer `2, 3`.

    >>> decimal_comma_value("1,22"), decimal_comma_value("0,111"), decimal_comma_value("1,234")
    (Fraction(61, 50), Fraction(111, 1000), None)
    """
    match = _DECIMAL_COMMA_RE.match(text.strip())
    if not match or _COMMA_THOUSANDS_RE.match(text.strip()):
        return None
    sign, whole, fraction = match.groups()
    value = Fraction(f"{whole}.{fraction}")
    return -value if sign else value


def mixed_number_value(text: str) -> Fraction | None:
    r"""The value of a mixed number, a whole number followed by a proper fraction (`3128 1/2` = 3128.5,
    `918\frac{1}{2}` = 918.5, `-2 3/4` = -2.75), as graders' tests read it (NeMo-Skills: `3128 1/2` is
    3128.5), not the product math-verify's parser makes of it (1564); None for anything else.

    >>> mixed_number_value("3128 1/2"), mixed_number_value(r"-2\frac{3}{4}"), mixed_number_value("2 4/3")
    (Fraction(6257, 2), Fraction(-11, 4), None)
    """
    match = _MIXED_NUMBER_RE.match(text.strip())
    if not match:
        return None
    sign, whole, *fraction = match.groups()
    numerator, denominator = (int(part) for part in fraction if part is not None)
    if not 0 < numerator < denominator:
        return None
    value = int(whole) + Fraction(numerator, denominator)
    return -value if sign else value
