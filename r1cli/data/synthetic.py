"""Built-in synthetic tasks: training data with exact gold answers and no download.

`synthetic:addition` (the embedded default dataset) asks `What is A + B?` for distinct pairs of
integers drawn from `[data] synthetic_min..synthetic_max`; its gold `answer` is `str(A + B)` (and
`r1 data prepare` copies it to `solution`, the column the accuracy reward reads). Use it as a source: `r1 data prepare synthetic:addition -o data/addition`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from r1cli.errors import R1Error, did_you_mean

PREFIX = "synthetic:"


def addition_rows(size: int, low: int = 0, high: int = 99, seed: int = 0) -> list[dict[str, str]]:
    """`size` distinct `What is A + B?` problems with A, B in [low, high], in a seeded random order.

    >>> addition_rows(2, 0, 9, seed=1)[0]["problem"]
    'What is 1 + 7?'
    """
    if high < low:
        raise R1Error(f"data.synthetic_max ({high}) is below data.synthetic_min ({low})")
    if size < 1:
        raise R1Error(f"data.synthetic_size must be at least 1, got {size}")
    width = high - low + 1
    distinct = width * width
    if size > distinct:
        raise R1Error(
            f"data.synthetic_size {size} is more than the {distinct} distinct problems in {low}..{high}",
            hint="lower data.synthetic_size or widen data.synthetic_min/synthetic_max",
        )
    # Distinct pairs, so that dedupe drops nothing and the test split never repeats a train problem.
    pairs = random.Random(seed).sample(range(distinct), size)
    rows = []
    for pair in pairs:
        a, b = low + pair // width, low + pair % width
        rows.append({"problem": f"What is {a} + {b}?", "answer": str(a + b)})
    return rows


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


def _addition(data_cfg: dict[str, Any]) -> list[dict[str, str]]:
    return addition_rows(
        size=int(data_cfg.get("synthetic_size", 2000)),
        low=int(data_cfg.get("synthetic_min", 0)),
        high=int(data_cfg.get("synthetic_max", 99)),
        seed=int(data_cfg.get("synthetic_seed", 0)),
    )


TASKS: dict[str, Callable[[dict[str, Any]], list[dict[str, str]]]] = {"addition": _addition}


def is_synthetic(source: str) -> bool:
    return source.startswith(PREFIX)


def synthetic_rows(source: str, data_cfg: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of a `synthetic:NAME` source, sized and seeded from the `[data]` section."""
    name = source[len(PREFIX) :]
    if name not in TASKS:
        names = [PREFIX + task for task in TASKS]
        hint = did_you_mean(source, names) or f"built-in tasks: {', '.join(names)}"
        raise R1Error(f"unknown synthetic task '{source}'", hint=hint)
    return TASKS[name](data_cfg)
