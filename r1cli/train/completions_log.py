"""GRPO's generated text, kept: `completions.jsonl` in the run folder, a sample of each logging step.

Where reward hacking and the "aha" moment are seen. Each line is one completion of the step's
generation batch: {"step", "prompt", "completion", "rewards": {name: value}, "reward", "advantage"},
with trl's own rewards and advantages (the ones the update used). `logging.completions_per_step`
(default 8, 0 = off) sets how many, spread over the batch. A resumed run continues the file from its
checkpoint, like metrics.jsonl.

The file's format lives here (written by r1cli/train/reward_log.py's CompletionsLogCallback, read by
r1cli/report/samples.py); pure, no transformers import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

COMPLETIONS_FILE = "completions.jsonl"


def spread(count: int, wanted: int) -> list[int]:
    """`wanted` indices spread evenly over `count` items (all of them when there are fewer).

    >>> spread(32, 4), spread(3, 8)
    ([0, 10, 21, 31], [0, 1, 2])
    """
    if wanted >= count:
        return list(range(count))
    if wanted == 1:
        return [0]
    return sorted({round(i * (count - 1) / (wanted - 1)) for i in range(wanted)})


def text_of(item: Any) -> str:
    """A prompt or completion as text: a conversation's last message, or the string itself."""
    if isinstance(item, list) and item and isinstance(item[-1], dict):
        return str(item[-1].get("content", ""))
    return str(item)


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


BATCH_KEYS = frozenset({"prompt", "completion", "rewards", "advantages"})


def batch_rows(
    batch: dict[str, Any], step: int, per_step: int, weights: Sequence[float]
) -> list[dict[str, Any]]:
    """The lines for one logging step: `per_step` completions spread over the generation batch (trl's own
    record of it: prompt, completion, rewards per function, advantages), with the weighted total."""
    prompts, completions = list(batch["prompt"]), list(batch["completion"])
    rewards = {name: list(values) for name, values in batch["rewards"].items()}
    advantages = list(batch["advantages"])
    rows = []
    for index in spread(len(completions), per_step):
        values = {name: _number(column[index]) for name, column in rewards.items() if index < len(column)}
        total = sum(float(w) * (v or 0.0) for w, v in zip(weights, values.values(), strict=False))
        rows.append(
            {
                "step": step,
                "prompt": text_of(prompts[index]) if index < len(prompts) else "",
                "completion": text_of(completions[index]),
                "rewards": values,
                "reward": total,
                "advantage": _number(advantages[index]) if index < len(advantages) else None,
            }
        )
    return rows
