"""Length rewards: DAPO's soft overlong punishment and Kimi 1.5's per-prompt length reward.

Lengths are in tokens: `completion_ids` when the caller passes them (GRPO does), else whitespace-separated
words of the completion text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.accuracy import correctness
from r1cli.rewards.completions import completion_text


def completion_lengths(completions: Sequence, completion_ids: Sequence | None = None) -> list[int]:
    """Token counts: len(completion_ids[i]) where given, else the number of whitespace-separated words."""
    lengths = []
    for index, completion in enumerate(completions):
        ids = completion_ids[index] if completion_ids is not None and index < len(completion_ids) else None
        lengths.append(len(ids) if ids is not None else len(completion_text(completion).split()))
    return lengths


def make_soft_overlong(max_length: int = 64, cache: int = 16) -> Callable[..., list[float]]:
    """DAPO: 0 up to max_length - cache tokens, then falling linearly to -1 at max_length, -1 beyond.

    >>> soft_overlong = make_soft_overlong(max_length=10, cache=4)
    >>> soft_overlong(["a"] * 3, completion_ids=[[0] * 6, [0] * 8, [0] * 12])
    [0.0, -0.5, -1.0]
    """
    if not isinstance(max_length, int) or max_length < 1:
        raise R1Error(f"rewards.soft_overlong.max_length = {max_length!r}: must be an integer >= 1")
    if not isinstance(cache, int) or not 0 <= cache <= max_length:
        raise R1Error(f"rewards.soft_overlong.cache = {cache!r}: must be an integer in [0, max_length]")
    expected = max_length - cache

    def soft_overlong(completions: list, completion_ids: list | None = None, **kwargs) -> list[float]:
        rewards = []
        for length in completion_lengths(completions, completion_ids):
            if length <= expected:
                rewards.append(0.0)
            elif length <= max_length:
                rewards.append((expected - length) / cache)
            else:
                rewards.append(-1.0)
        return rewards

    return soft_overlong


def _group_key(prompt: object, solution: object) -> str:
    return json.dumps([prompt, solution], sort_keys=True, default=str)


def make_length(timeout: float = 5.0, workers: int = 1) -> Callable[..., list[float | None]]:
    """Kimi 1.5's length reward, within each group of completions of one prompt.

    lambda = 0.5 - (len - min_len) / (max_len - min_len) over the group's lengths; a correct completion
    earns lambda, a wrong one min(0, lambda); a group whose lengths are all equal earns 0. Completions
    are grouped by `prompts` (as GRPO passes them) and, without prompts, by their gold `solution`.
    None where correctness is unknown.

    >>> length = make_length()
    >>> length(["<answer>4</answer>", "so 2 + 2 = 4 <answer>4</answer>", "<answer>5</answer>"],
    ...        solution=["4", "4", "4"], prompts=["2 + 2?"] * 3)
    [0.5, -0.5, 0.0]
    """

    def length(
        completions: list,
        solution: list | None = None,
        prompts: list | None = None,
        completion_ids: list | None = None,
        **kwargs,
    ) -> list[float | None]:
        verdicts = correctness(completions, solution, workers=workers, timeout=timeout)
        lengths = completion_lengths(completions, completion_ids)
        groups: dict[str, list[int]] = {}
        for index in range(len(completions)):
            prompt = prompts[index] if prompts is not None else None
            solution_value = solution[index] if prompts is None and solution is not None else None
            groups.setdefault(_group_key(prompt, solution_value), []).append(index)
        rewards: list[float | None] = [None] * len(completions)
        for members in groups.values():
            shortest = min(lengths[i] for i in members)
            longest = max(lengths[i] for i in members)
            for i in members:
                if verdicts[i] is None:
                    continue
                if longest == shortest:
                    rewards[i] = 0.0
                    continue
                scale = 0.5 - (lengths[i] - shortest) / (longest - shortest)
                rewards[i] = scale if verdicts[i] else min(0.0, scale)
        return rewards

    return length
