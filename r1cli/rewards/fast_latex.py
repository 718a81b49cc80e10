"""latex2sympy's LaTeX parser made faster, with the same results: patches applied on import, in the
processes that import r1cli.rewards.mathcheck (the verifier's workers).

- ANTLR's two-stage parsing: the fast SLL prediction first, the full LL parse only when it fails.
- Numbers converted once: latex2sympy turns every number token into a sympy number through
  `sympy.Number(text)`, which runs sympy's expression parser (and `from sympy import *`) each time.
"""

from __future__ import annotations

import functools

import sympy
from antlr4.atn.PredictionMode import PredictionMode
from latex2sympy2_extended import latex2sympy2 as _latex2sympy2

# latex2sympy's own methods, kept for the patches below and for tests that compare against them.
CREATE_PARSER = _latex2sympy2._Latex2Sympy.create_parser
PARSE_LATEX = _latex2sympy2._Latex2Sympy.parse
PARSE_NUMBER = _latex2sympy2._Latex2Sympy.parse_number


def _create_parser(self: object, latex: str) -> object:
    parser = CREATE_PARSER(self, latex)
    if getattr(self, "_r1_sll", False):
        parser._interp.predictionMode = PredictionMode.SLL
    return parser


def _parse_latex_in_two_stages(self: object, latex: str) -> object:
    """ANTLR's two-stage parsing: the fast SLL prediction first, which gives exactly the LL parse tree
    whenever it succeeds; on any failure, the full LL parse math-verify always does (about 20% less
    time on LaTeX answers, the same results)."""
    self._r1_sll = True
    try:
        return PARSE_LATEX(self, latex)
    except Exception:
        pass
    finally:
        self._r1_sll = False
    return PARSE_LATEX(self, latex)


_CACHED_NUMBER_CHARS = 40


@functools.lru_cache(maxsize=4096)
def _number(text: str) -> sympy.Number:
    return PARSE_NUMBER(None, text)  # it reads only `text` (latex2sympy2_extended 1.11)


def _parse_number_once(self: object, text: str) -> sympy.Number:
    """latex2sympy's `parse_number`, cached: a third of a millisecond each, and the same few numbers
    (`1`, `2`, `0`) come back in most answers (68 distinct ones in the 767 of math-verify's suite).
    Sympy numbers are immutable, so a shared one is as good as a new one. Long numbers (rare, and up to
    an answer's 2,000 characters) are not kept."""
    return _number(text) if len(text) <= _CACHED_NUMBER_CHARS else PARSE_NUMBER(self, text)


_latex2sympy2._Latex2Sympy.create_parser = _create_parser
_latex2sympy2._Latex2Sympy.parse = _parse_latex_in_two_stages
_latex2sympy2._Latex2Sympy.parse_number = _parse_number_once
