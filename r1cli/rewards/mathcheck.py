"""Math verification of one (gold, answer) pair with math-verify: the code that runs in worker processes.

Both sides are short answer strings already cut out of their texts by `r1cli.rewards.answers`, so
math-verify only parses a few characters instead of scanning a whole chain of thought. Its own
`signal.alarm` timeouts are switched off (they only work in a main thread); the hard limit is enforced
by `r1cli.rewards.verifier`, which kills a worker that runs past it.
"""

from __future__ import annotations

import functools
import logging
import random
import re
from collections.abc import Callable

from latex2sympy2_extended import NormalizationConfig
from math_verify import ExprExtractionConfig, LatexExtractionConfig, grader, parse, verify
from sympy import Basic, Derivative, Eq, Expr, Float, Integral, Product, S, Subs, Sum, Symbol
from sympy.core.function import AppliedUndef

from r1cli.rewards import fast_latex  # noqa: F401  (patches latex2sympy's parser on import)
from r1cli.rewards.latex_text import has_math_marks, single_span, without_commands
from r1cli.rewards.numbers import mixed_number_value

# math-verify warns once that its timeout is off: the verifier enforces it, so the note is noise.
logging.getLogger("math_verify").setLevel(logging.ERROR)

# math-verify's full normalization (the seed turns off `nits` and `malformed_operators`, which loses
# answers such as `\frac12`; its `equations=True` is deprecated and a no-op apart from a warning).
_NORMALIZATION = NormalizationConfig(
    basic_latex=True, units=True, malformed_operators=True, nits=True, boxed="all"
)
_LATEX = [LatexExtractionConfig(normalization_config=_NORMALIZATION, boxed_match_priority=0)]
_LATEX_OR_EXPR = [LatexExtractionConfig(normalization_config=_NORMALIZATION), ExprExtractionConfig()]
# A piece of text still holding its math delimiters: read as math-verify reads a whole completion
# (`compare_strings` in its tests: boxes first, then "final answer is", "answer:", the last expression).
_FROM_TEXT = [
    LatexExtractionConfig(normalization_config=_NORMALIZATION, boxed_match_priority=0),
    ExprExtractionConfig(),
]
# Two or more numbers in a list (`19, 46, and 82`): a set, not "a number with words around it".
_NUMBER_LIST_RE = re.compile(
    r"\d\s*(?:,|\band\b|\bor\b)\s*(?:and\s+|or\s+)?-?\d|\\text\{\s*(?:and|or)\s*\}|,"
)
_PROSE_RE = re.compile(r"(?<![\\a-zA-Z])[A-Za-z]{3,}")
_SCIENTIFIC_RE = re.compile(r"^(-?\d+(?:\.\d+)?)[eE]([+-]?\d+)$")


def _has_sympy(parsed: list) -> bool:
    return any(not isinstance(item, str) for item in parsed)


@functools.lru_cache(maxsize=65536)
def parse_answer(answer: str) -> tuple:
    r"""Parse a short answer string (`18`, `\frac{1}{2}`, `x = 5`, `42 apples`) into math-verify's form,
    rates of change (`\frac{dx}{dt}`) as unknowns of their own (see _rates_as_symbols).

    A piece of text that still holds math delimiters (`so $x = 1$`, `\boxed{1} and \boxed{2}`) is read by
    math-verify's own LaTeX and expression extraction; a bare LaTeX-looking answer is parsed as the
    content of a `\boxed{}`; one with prose in it goes through math-verify's anchored extraction.
    Cached: golds and common answers repeat.
    """
    return tuple(_rates_as_symbols(item) for item in _parse(answer))


def _parse(answer: str) -> list:
    mixed = mixed_number_value(answer)
    if mixed is not None:  # `3128 1/2` is 3128.5, not the product 1564 math-verify makes of it
        answer = f"\\frac{{{mixed.numerator}}}{{{mixed.denominator}}}"
    if has_math_marks(answer):
        return _parse_text(answer)
    return _parse_bare(answer)


def _parse_text(text: str) -> list:
    """A piece of text with its math delimiters, read by math-verify's extraction; what it extracts must
    be whole: `$1 - \\frac{1}{\\mathrm{e}}$` gives math-verify the fragment `1 - \\frac{1}{` (that is, 1),
    so that `1 + 1/e` would equal it. A fragment counts as nothing; a single span is then read bare."""
    parsed = parse(text, _FROM_TEXT, parsing_timeout=None)
    if len(parsed) == 2 and isinstance(parsed[1], str) and not _balanced(parsed[1]):
        span = single_span(text)
        return _parse_bare(span) if span else []
    return parsed


def _balanced(latex: str) -> bool:
    depth = 0
    for char in latex.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _parse_bare(answer: str) -> list:
    scientific = _SCIENTIFIC_RE.match(answer)
    if scientific:
        answer = f"{scientific.group(1)} \\times 10^{{{int(scientific.group(2))}}}"
    if _PROSE_RE.search(without_commands(answer)) and not _NUMBER_LIST_RE.search(answer):
        parsed = parse(answer, _LATEX_OR_EXPR, parsing_timeout=None)
        if _has_sympy(parsed):
            return parsed
    # The whole answer or nothing: not a number picked out of LaTeX that failed to parse (first match only).
    boxed = parse(f"\\boxed{{{answer}}}", _LATEX, parsing_timeout=None, extraction_mode="first_match")
    if not _has_sympy(boxed):
        # `-1./3` is no LaTeX but a plain expression; only taken when it is the whole answer, not a
        # number picked out of LaTeX that failed to parse (`2` out of `\hbar \omega(v+1 / 2)`).
        plain = parse(answer, _LATEX_OR_EXPR, parsing_timeout=None)
        if _has_sympy(plain) and _squeeze(plain[-1]) == _squeeze(answer):
            return plain
    return boxed


def _rates_as_symbols(item: object) -> object:
    """`\\frac{dx}{dt}` parses as the derivative of a symbol x, which sympy evaluates to 0, so that
    `2 dx/dt = kx - a` would equal `dx/dt = kx - a`. Each such rate becomes a symbol of its own, named
    after it (the same in gold and answer), as in a differential equation; derivatives of expressions
    (`\\frac{d}{dx} x^2`) are left to be computed."""
    if not isinstance(item, Basic):
        return item
    rates = {
        rate: Symbol(str(rate))
        for rate in item.atoms(Derivative)
        if isinstance(rate.expr, AppliedUndef) or (rate.expr.is_Symbol and rate.expr not in rate.variables)
    }
    return item.xreplace(rates) if rates else item


def _squeeze(text: object) -> str:
    return re.sub(r"\s+", "", str(text))


def _random_value(unknown: object, rng: random.Random) -> complex | float:
    """A random value in the unknown's domain: complex if it is not real, negative if not positive."""
    magnitude = rng.uniform(0.3, 1.7)
    if getattr(unknown, "is_real", None) is False:
        return complex(magnitude, rng.uniform(0.3, 1.7))
    if getattr(unknown, "is_positive", None) is False:
        return -magnitude
    return magnitude


def _unknowns(*exprs: Expr) -> list:
    """The symbols and the applications of undefined functions (`u(t)`, `I(0)`, opaque to simplify) in
    `exprs`, in a fixed order so that the random points are the same in every process."""
    found: set = set()
    for expr in exprs:
        found |= expr.free_symbols | expr.atoms(AppliedUndef)
    return sorted(found, key=str)


def _summation_bounds(*exprs: Expr) -> frozenset:
    """The unknowns in the bounds of sums and products (`n` in `\\sum_{k=0}^{n-1}`): integers there,
    whatever their assumptions say."""
    return frozenset(
        symbol
        for expr in exprs
        for node in expr.atoms(Sum, Product)
        for _, *bounds in node.limits
        for bound in bounds
        for symbol in bound.free_symbols
    )


def _random_points(unknowns: list, count: int = 2, bounds: frozenset = frozenset()) -> list[dict]:
    """`count` random points: a value in its domain for each unknown; none at all when one is an integer
    (a random real value proves nothing about it), except the bounds of a sum, which get small integers
    (a sum up to a real number means nothing, and sympy spends a second on one with Euler-Maclaurin)."""
    if any(getattr(x, "is_integer", None) for x in unknowns if x not in bounds):
        return []
    rng = random.Random(len(unknowns))
    return [
        {x: rng.randint(2, 6) if x in bounds else _random_value(x, rng) for x in unknowns}
        for _ in range(count)
    ]


def _complex_at(exprs: tuple, point: dict) -> list[complex] | None:
    """The exprs' values at `point`; None unless every one is a finite number."""
    try:
        values = [complex(e.subs(point).evalf(15)) for e in exprs]
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    if any(v != v or abs(v) == float("inf") for v in values):  # nan / infinity
        return None
    return values


def _clearly_nonzero(value: complex, *sizes: complex) -> bool:
    """|value| is more than a millionth of the largest of 1 and the sizes it came from."""
    return abs(value) > 1e-6 * max([1.0, *(abs(size) for size in sizes)])


def _opaque(expr: Expr) -> bool:
    """Derivatives, integrals and substitutions: random values for their symbols say nothing."""
    return expr.has(Derivative, Integral, Subs)


def numerically_different(a: object, b: object) -> bool:
    """True when a - b is clearly non-zero at two random points, so no simplification can make it 0.

    Symbols get random values in their domain (non-real symbols complex ones); applications of undefined
    functions (`u(t)`, `I(0)`) are opaque to simplify and get random values too. Anything that does not
    evaluate to a finite number is "not shown different" (False), except a difference holding `zoo` or
    `nan`, which simplify can never turn into 0.
    """
    if not (isinstance(a, Expr) and isinstance(b, Expr)):
        return False
    difference = a - b
    if difference.has(S.ComplexInfinity, S.NaN):
        return True
    if _opaque(difference):
        return False
    points = _random_points(_unknowns(difference), bounds=_summation_bounds(difference))
    for point in points:
        values = _complex_at((difference, a, b), point)
        if values is None or not _clearly_nonzero(*values):
            return False
    return bool(points)


def equations_differ(gold: Eq, pred: Eq) -> bool:
    """True when some point satisfies the gold equation but clearly not the predicted one, so the two
    have different solutions and math-verify's solve-and-compare can only say False.

    The points are found without solving: the gold `A = 0` is affine in some symbol s (dA/ds is free of
    s), so at random values of the other unknowns its root is s = -(A - s dA/ds) / (dA/ds). The
    prediction's `B` must be clearly non-zero there at two random points; anything unclear is False.
    """
    a, b = gold.lhs - gold.rhs, pred.lhs - pred.rhs
    if not (isinstance(a, Expr) and isinstance(b, Expr)):
        return False
    if _opaque(a) or _opaque(b):
        return False
    unknowns, bounds = _unknowns(a, b), _summation_bounds(a, b)
    for symbol in sorted(a.free_symbols - bounds, key=str):
        slope = a.diff(symbol)
        if slope.has(symbol) or slope == 0:
            continue
        rest = a - slope * symbol
        points = _random_points(unknowns, bounds=bounds)
        for point in points:
            values = _complex_at((slope, rest), point)
            if values is None or not _clearly_nonzero(values[0]):
                return False
            point[symbol] = -values[1] / values[0]
            residual = _complex_at((b, pred.lhs, pred.rhs), point)
            if residual is None or not _clearly_nonzero(*residual):
                return False
        return bool(points)
    return False


_SYMBOLIC_EQ = grader.sympy_symbolic_eq


def _symbolic_eq_after_numeric_check(a: object, b: object) -> bool:
    """math-verify's last resort is `simplify(a - b) == 0`, which costs up to a second on unrelated
    expressions; a numeric disproof first gives the same verdict in milliseconds."""
    if numerically_different(a, b):
        return False
    return _SYMBOLIC_EQ(a, b)


_SOLVE = grader.solve
_SOLVE_AND_COMPARE = grader.sympy_solve_and_compare


_SOLVED: dict[tuple, tuple] = {}


class GoldTooSlow(BaseException):
    """The pair's gold equation could not be solved within the timeout before: it is not tried again.
    (A BaseException, so that math-verify's own `except Exception` does not turn it into False.)"""


class PairContext:
    """What the worker is judging: told by r1cli.rewards.worker's `serve`, read around the slow
    gold-equation solve."""

    gold_too_slow = False
    announce: Callable[[bool], None] | None = None


def _solve(relation: object, symbols: object, *, gold: bool = False) -> list:
    """math-verify solves the gold equation again for every answer: once per gold is enough. Solving a
    gold is announced to the verifier, which remembers a gold whose solve ran past the timeout."""
    try:
        key = (relation, frozenset(symbols))
        hash(key)
    except TypeError:  # unhashable: solve it as math-verify would
        return _SOLVE(relation, symbols)
    if key not in _SOLVED:
        if gold and PairContext.gold_too_slow:
            raise GoldTooSlow
        if len(_SOLVED) >= 1024:
            _SOLVED.clear()
        announce = PairContext.announce if gold else None
        if announce:
            announce(True)
        try:
            _SOLVED[key] = tuple(_SOLVE(relation, set(symbols)))
        finally:
            if announce:
                announce(False)
    return list(_SOLVED[key])


def _solve_and_compare_gold_first(gold: object, pred: object, float_rounding: int, precision: int) -> bool:
    """math-verify's last resort for two equations solves both and compares the solutions; it is False
    when a point of the gold's clearly fails the answer's equation (`equations_differ`, no solving at
    all), whenever the gold's solutions are not a list of {symbol: value} (a one-unknown equation), and
    when a solution of the gold's clearly fails the answer's equation. The last two are decided from the
    gold's (cached) solutions alone, without solving the answer's equation, which can take seconds."""
    if isinstance(gold, Eq) and isinstance(pred, Eq):
        if equations_differ(gold, pred):
            return False
        solutions = _solve(gold, gold.free_symbols, gold=True)
        if solutions and not all(isinstance(solution, dict) for solution in solutions):
            return False
        for solution in solutions:
            if numerically_different(pred.lhs.subs(solution), pred.rhs.subs(solution)):
                return False
    return _SOLVE_AND_COMPARE(gold, pred, float_rounding, precision)


_NUMERIC_EQ = grader.sympy_numeric_eq


def _numeric_eq_or_rounded(a: object, b: object, float_rounding: int, numeric_precision: int) -> bool:
    """math-verify's numeric equality, or a decimal that is an exact value rounded to 4 places
    (`2.6667` for 8/3, inside intervals and matrices too), as graders with a relative tolerance accept."""
    if _NUMERIC_EQ(a, b, float_rounding, numeric_precision):
        return True
    return _rounded_to_four_places(a, b) or _rounded_to_four_places(b, a)


def _rounded_to_four_places(exact: object, decimal: object) -> bool:
    """`decimal` is a Float within half a unit of the 4th place of `exact`, a number that 4 decimal places
    cannot write (1/3, 8/3, sqrt(2): not 3/2, whose answer should be exact)."""
    if not (isinstance(decimal, Float) and isinstance(exact, Expr) and exact.is_number):
        return False
    if isinstance(exact, Float):
        return False
    try:
        if (exact * 10**4).is_integer:
            return False
        difference = abs(float(exact) - float(decimal))
    except (TypeError, ValueError, ArithmeticError):
        return False
    return difference < 5e-5 and round(float(exact), 4) == round(float(decimal), 4)


# Same verdicts, much faster on wrong symbolic answers. Only in the processes that import this module
# (the verifier's workers); math-verify is pinned to 0.9, whose functions look these names up.
grader.sympy_symbolic_eq = _symbolic_eq_after_numeric_check
grader.solve = _solve
grader.sympy_solve_and_compare = _solve_and_compare_gold_first
# Different verdicts, on purpose: see _numeric_eq_or_rounded.
grader.sympy_numeric_eq = _numeric_eq_or_rounded


def judge(gold: str, answer: str | None) -> bool | None:
    """True/False: does `answer` equal `gold` mathematically; None when the gold itself does not parse."""
    gold_parsed = parse_answer(gold)
    if not gold_parsed:
        return None
    if answer is None:
        return False
    if _undefined(gold_parsed[0]):
        return _squeeze(gold) == _squeeze(answer)
    answer_parsed = parse_answer(answer)
    if not answer_parsed:
        return False
    if not verify(list(gold_parsed), list(answer_parsed), timeout_seconds=None):
        return False
    return not _tiny_numbers_apart(gold_parsed[0], answer_parsed[0])


def _undefined(gold: object) -> bool:
    """A gold that parses to something undefined (`12:00` read as 12/0, `\\gamma^{2}` read as the gamma
    function at its pole): every answer with the same flaw would "equal" it, so only the same writing does."""
    return isinstance(gold, Basic) and gold.has(S.ComplexInfinity, S.NaN)


def _tiny_numbers_apart(gold: object, answer: object) -> bool:
    """math-verify compares numbers rounded to 6 decimals, so 2.88e-19 "equals" 8.64e-19. Below 0.01 in
    size, numbers that differ by more than 0.01% are not equal (above it, the rounding already implies
    that, so only verdicts on tiny numbers change)."""
    try:
        if not (getattr(gold, "is_number", False) and getattr(answer, "is_number", False)):
            return False
        gold_value, answer_value = complex(gold.evalf()), complex(answer.evalf())
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return False
    largest = max(abs(gold_value), abs(answer_value))
    return largest < 0.01 and abs(gold_value - answer_value) > 1e-4 * largest
