"""Built-in synthetic tasks: training data with exact gold answers and no download.

- `synthetic:addition` (the embedded default dataset) asks `What is A + B?` for distinct pairs of integers
  drawn from `[data] synthetic_min..synthetic_max`; its gold `answer` is `str(A + B)`.
- `synthetic:chain` asks `What is A + B - C + D?`: `synthetic_terms` operands from the same range, each
  joined to the running total by + or -, the gold `str(result)`. It is the task that needs reasoning: one
  guess at the final number is rarely right, while a line per operation (`47 + 85 = 132`,
  `132 - 19 = 113`) keeps every step a small sum the model can check. It is chosen over wider additions,
  which `synthetic:addition` already makes with a wider range, because its answer depends on a sequence
  of results, not on independent columns. The result may be negative (`13 - 25 = -12`): forbidding it
  would make the signs depend on the operands, so a model could guess the sign from them; a `-` in the
  answer is one more thing the written steps get right (the accuracy reward tells `-12` from `12`).

`r1 data prepare` copies `answer` to `solution`, the column the accuracy reward reads. Use a task as a
source: `r1 data prepare synthetic:chain -o data/chain`. `TASKS` gives each task's rows, its worked
cold-start trace (`r1 pipeline run` with `pipeline.coldstart = "traces"`) and the same work in prose
(the `synthetic:NAME-text` corpora of `r1 train pretrain`, r1cli/data/text.py).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from r1cli.plumbing.errors import R1Error, did_you_mean

PREFIX = "synthetic:"
TEXT_SUFFIX = "-text"


def addition_rows(size: int, low: int = 0, high: int = 99, seed: int = 0) -> list[dict[str, str]]:
    """`size` distinct `What is A + B?` problems with A, B in [low, high], in a seeded random order.

    >>> addition_rows(2, 0, 9, seed=1)[0]["problem"]
    'What is 1 + 7?'
    """
    width = _check_range(low, high)
    pairs = _distinct_indices(size, width * width, f"{low}..{high}", seed)
    rows = []
    for pair in pairs:
        a, b = low + pair // width, low + pair % width
        rows.append({"problem": f"What is {a} + {b}?", "answer": str(a + b)})
    return rows


def chain_rows(
    size: int, low: int = 0, high: int = 99, terms: int = 4, seed: int = 0
) -> list[dict[str, str]]:
    """`size` distinct `What is A + B - C ...?` problems of `terms` operands in [low, high], seeded order.

    >>> chain_rows(2, seed=0)[1]
    {'problem': 'What is 62 - 81 + 44 - 56?', 'answer': '-31'}
    """
    if low < 0:
        raise R1Error(
            f"data.synthetic_min must be >= 0 for synthetic:chain, got {low}",
            hint="the signs of a chain are its + and - operators: operands are whole numbers",
        )
    width = _check_range(low, high)
    if isinstance(terms, bool) or not isinstance(terms, int) or terms < 2:
        raise R1Error(f"data.synthetic_terms must be an integer >= 2, got {terms!r}")
    signs = 2 ** (terms - 1)
    # One index per (operands, operators) problem: random.sample draws from the range without listing it.
    space = f"{low}..{high} with {terms} terms"
    picks = _distinct_indices(
        size, width**terms * signs, space, seed, hint=f"{_SIZE_HINT}, or raise data.synthetic_terms"
    )
    rows = []
    for pick in picks:
        pick, sign_bits = divmod(pick, signs)
        operands = []
        for _ in range(terms):
            pick, digit = divmod(pick, width)
            operands.append(low + digit)
        operators = ["-" if sign_bits >> i & 1 else "+" for i in range(terms - 1)]
        steps = _chain_steps(operands[0], list(zip(operators, operands[1:], strict=True)))
        rows.append(
            {"problem": f"What is {_chain_expression(operands[0], steps)}?", "answer": str(steps[-1][2])}
        )
    return rows


_SIZE_HINT = "lower data.synthetic_size or widen data.synthetic_min/synthetic_max"


def _check_range(low: int, high: int) -> int:
    """How many integers [low, high] holds; an R1Error when the range is empty."""
    if high < low:
        raise R1Error(f"data.synthetic_max ({high}) is below data.synthetic_min ({low})")
    return high - low + 1


def _distinct_indices(size: int, distinct: int, space: str, seed: int, hint: str = _SIZE_HINT) -> list[int]:
    """`size` distinct problem numbers in range(distinct), seeded: dedupe drops nothing and the test
    split never repeats a train problem."""
    if size < 1:
        raise R1Error(f"data.synthetic_size must be at least 1, got {size}")
    if size > distinct:
        raise R1Error(
            f"data.synthetic_size {size} is more than the {distinct} distinct problems in {space}",
            hint=hint,
        )
    return random.Random(seed).sample(range(distinct), size)


_ADDITION_RE = re.compile(r"^What is (\d+) \+ (\d+)\?$")


def addition_trace(problem: str) -> str | None:
    r"""A worked solution of a `What is A + B?` problem: column sums, then the answer; None for other text.

    The reasoning adds one column per line, least significant first, a missing digit read as 0 and the
    carry written as `+ 1`; the answer is the sum. These are the pipeline's programmatic cold-start traces.

    >>> print(addition_trace("What is 47 + 85?"))
    <think>
    7 + 5 = 12
    4 + 8 + 1 = 13
    </think>
    <answer>
    132
    </answer>
    >>> addition_trace("What is 7 + 2?").splitlines()[1], addition_trace("Hello") is None
    ('7 + 2 = 9', True)
    """
    match = _ADDITION_RE.match(problem.strip())
    if not match:
        return None
    a, b = match.groups()
    reasoning = "\n".join(sum_text for sum_text, _ in _column_sums(a, b))
    return f"<think>\n{reasoning}\n</think>\n<answer>\n{int(a) + int(b)}\n</answer>"


def addition_text(problem: str) -> str | None:
    """A `What is A + B?` problem worked in plain prose, no tags and no chat turns: what a base model reads.

    The same column sums as `addition_trace`, each saying which digit is written and what is carried; the
    `r1 train pretrain` corpus `synthetic:addition-text` (r1cli/data/text.py) is made of these.

    >>> print(addition_text("What is 47 + 85?"))
    Question: What is 47 + 85?
    Answer: 7 + 5 = 12, write 2 and carry 1. 4 + 8 + 1 = 13, write 13. So 47 + 85 = 132.
    >>> addition_text("Hello") is None
    True
    """
    match = _ADDITION_RE.match(problem.strip())
    if not match:
        return None
    a, b = match.groups()
    sums = _column_sums(a, b)
    steps = []
    for index, (sum_text, column) in enumerate(sums):
        if index == len(sums) - 1:  # the last column is written whole, its carry included
            steps.append(f"{sum_text}, write {column}.")
        else:
            steps.append(f"{sum_text}, write {column % 10}" + (" and carry 1." if column > 9 else "."))
    return f"Question: What is {a} + {b}?\nAnswer: {' '.join(steps)} So {a} + {b} = {int(a) + int(b)}."


def _column_sums(a: str, b: str) -> list[tuple[str, int]]:
    """(`x + y [+ carry] = column`, column) per column of A + B, least significant first.

    A missing digit reads as 0, so both numbers have the same columns.
    """
    width = max(len(a), len(b))
    sums, carry = [], 0
    for x, y in zip(a.zfill(width)[::-1], b.zfill(width)[::-1], strict=True):
        column = int(x) + int(y) + carry
        sums.append((f"{x} + {y}" + (f" + {carry}" if carry else "") + f" = {column}", column))
        carry = column // 10
    return sums


_CHAIN_RE = re.compile(r"^What is (\d+)((?: [+-] \d+)+)\?$")
_CHAIN_TERM_RE = re.compile(r" ([+-]) (\d+)")


def chain_trace(problem: str) -> str | None:
    r"""A worked solution of a `What is A + B - C ...?` problem: one operation per line, then the answer.

    Each line applies the next operator to the running total, so the last line's result is the answer;
    None for other text. These are the pipeline's programmatic cold-start traces for synthetic:chain.

    >>> print(chain_trace("What is 13 - 25 + 40?"))
    <think>
    13 - 25 = -12
    -12 + 40 = 28
    </think>
    <answer>
    28
    </answer>
    >>> chain_trace("Hello") is None
    True
    """
    parsed = _parse_chain(problem)
    if parsed is None:
        return None
    _, steps = parsed
    reasoning = "\n".join(line for line, _, _ in steps)
    return f"<think>\n{reasoning}\n</think>\n<answer>\n{steps[-1][2]}\n</answer>"


def chain_text(problem: str) -> str | None:
    """A `What is A + B - C ...?` problem worked in plain prose, no tags: the `synthetic:chain-text` corpus.

    >>> print(chain_text("What is 47 + 85 - 19?"))
    Question: What is 47 + 85 - 19?
    Answer: 47 + 85 = 132. 132 - 19 = 113. So 47 + 85 - 19 = 113.
    >>> chain_text("Hello") is None
    True
    """
    parsed = _parse_chain(problem)
    if parsed is None:
        return None
    first, steps = parsed
    expression = _chain_expression(first, steps)
    work = " ".join(f"{line}." for line, _, _ in steps)
    return f"Question: What is {expression}?\nAnswer: {work} So {expression} = {steps[-1][2]}."


def _parse_chain(problem: str) -> tuple[int, list[tuple[str, str, int]]] | None:
    """(first operand, steps) of a chain problem; None for other text."""
    match = _CHAIN_RE.match(problem.strip())
    if not match:
        return None
    first = int(match.group(1))
    return first, _chain_steps(first, [(op, int(x)) for op, x in _CHAIN_TERM_RE.findall(match.group(2))])


def _chain_steps(first: int, terms: list[tuple[str, int]]) -> list[tuple[str, str, int]]:
    """(`total op x = result`, `op x`, result) per operator, left to right, starting from `first`."""
    steps, total = [], first
    for op, x in terms:
        result = total + x if op == "+" else total - x
        steps.append((f"{total} {op} {x} = {result}", f"{op} {x}", result))
        total = result
    return steps


def _chain_expression(first: int, steps: list[tuple[str, str, int]]) -> str:
    return " ".join([str(first), *(term for _, term, _ in steps)])


def _addition(data_cfg: dict[str, Any]) -> list[dict[str, str]]:
    return addition_rows(
        size=int(data_cfg.get("synthetic_size", 2000)),
        low=int(data_cfg.get("synthetic_min", 0)),
        high=int(data_cfg.get("synthetic_max", 99)),
        seed=int(data_cfg.get("synthetic_seed", 0)),
    )


def _chain(data_cfg: dict[str, Any]) -> list[dict[str, str]]:
    return chain_rows(
        size=int(data_cfg.get("synthetic_size", 2000)),
        low=int(data_cfg.get("synthetic_min", 0)),
        high=int(data_cfg.get("synthetic_max", 99)),
        terms=data_cfg.get("synthetic_terms", 4),  # as given: chain_rows names a non-integer in its error
        seed=int(data_cfg.get("synthetic_seed", 0)),
    )


class Task(NamedTuple):
    """A built-in task: its rows from `[data]`, a worked trace with tags and the same work in prose."""

    rows: Callable[[dict[str, Any]], list[dict[str, str]]]
    trace: Callable[[str], str | None]
    text: Callable[[str], str | None]


TASKS: dict[str, Task] = {
    "addition": Task(_addition, addition_trace, addition_text),
    "chain": Task(_chain, chain_trace, chain_text),
}
TASK_NAMES = tuple(PREFIX + name for name in TASKS)
# `r1 train pretrain`'s built-in corpora: each task's train problems worked in prose (r1cli/data/text.py).
TEXT_CORPORA: dict[str, str] = {source + TEXT_SUFFIX: source for source in TASK_NAMES}


def is_synthetic(source: str) -> bool:
    return source.startswith(PREFIX)


def synthetic_task(source: str) -> Task:
    """The task of a `synthetic:NAME` source; an R1Error with a did-you-mean hint for an unknown name."""
    name = source[len(PREFIX) :]
    if not is_synthetic(source) or name not in TASKS:
        hint = did_you_mean(source, TASK_NAMES) or f"built-in tasks: {', '.join(TASK_NAMES)}"
        raise R1Error(f"unknown synthetic task '{source}'", hint=hint)
    return TASKS[name]


def synthetic_rows(source: str, data_cfg: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of a `synthetic:NAME` source, sized and seeded from the `[data]` section."""
    return synthetic_task(source).rows(data_cfg)
