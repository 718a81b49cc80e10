r"""Rewards for the shape of a completion: the `<think>`/`<answer>` format, its tags, reasoning steps,
and repetition.

Each reward has TRL's signature `f(completions, **kwargs) -> list[float | None]`; completions are strings
or chat messages (`[{"role": "assistant", "content": ...}]`). Where a row's prompt ends with an opened
`<think>` (a reasoning model's chat template), the completion is read as starting inside it
(`r1cli.rewards.completions.scored_texts`). The configurable ones are built from the
recipe's `[rewards.<name>]` table by `r1cli.rewards.registry`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.completions import completion_text, scored_texts

_TAGS = ("<think>", "</think>", "<answer>", "</answer>")


def format_reward(
    completions: list, prompts: list | None = None, rendered_prompt: list | None = None, **kwargs
) -> list[float]:
    r"""1.0 for exactly `<think>...</think>` then `<answer>...</answer>` (whitespace around and between), else 0.0.

    Each tag must appear exactly once, so a second `<answer>` hidden in the reasoning fails.

    >>> format_reward(["<think>\n2 + 2 = 4\n</think>\n\n<answer>\n4\n</answer>", "The answer is 4."])
    [1.0, 0.0]
    >>> format_reward(["2 + 2 = 4\n</think>\n<answer>\n4\n</answer>"], prompts=["<think>\n"])
    [1.0]
    """
    texts = scored_texts(completions, prompts, rendered_prompt)
    return [1.0 if is_well_formed(text) else 0.0 for text in texts]


def is_well_formed(text: str) -> bool:
    """Exactly one think block then one answer block, only whitespace around and between them."""
    text = text.strip()
    if not (text.startswith("<think>") and text.endswith("</answer>")):
        return False
    if any(text.count(tag) != 1 for tag in _TAGS):
        return False
    between = text[text.index("</think>") + len("</think>") : text.index("<answer>")]
    return between.strip() == "" and text.index("<answer>") > text.index("</think>")


def tag_count_reward(
    completions: list, prompts: list | None = None, rendered_prompt: list | None = None, **kwargs
) -> list[float]:
    r"""Partial format credit, 0.25 per well-placed tag (open-r1's tag count, without its newline rules).

    `<think>` earns 0.25 when it occurs once and opens the completion; `</think>` when it occurs once after
    `<think>`; `<answer>` when it occurs once after `</think>`; `</answer>` when it occurs once after
    `<answer>` and closes the completion. Tags that are missing or repeated earn nothing.

    >>> tag_count_reward(["<think>a</think><answer>4</answer>", "<think>a</think> 4", "4 </answer>"])
    [1.0, 0.5, 0.25]
    """
    return [_tag_score(text) for text in scored_texts(completions, prompts, rendered_prompt)]


def _tag_score(text: str) -> float:
    text = text.strip()
    position = {tag: text.find(tag) if text.count(tag) == 1 else -1 for tag in _TAGS}
    think, think_end, answer, answer_end = (position[tag] for tag in _TAGS)
    score = 0.0
    if think == 0:
        score += 0.25
    if think_end >= 0 and (think < 0 or think_end > think):
        score += 0.25
    if answer >= 0 and (think_end < 0 or answer > think_end):
        score += 0.25
    if answer_end >= 0 and text.endswith("</answer>") and (answer < 0 or answer_end > answer):
        score += 0.25
    return score


# The seed's indicators, fixed: numbered lines count wherever they start (also indented, `1)` style),
# bullets count on the first line too, and `\n-5` (a negative number) is not a bullet.
_STEP_RE = re.compile(
    r"Step \d+:|^[ \t]*\d+[.)][ \t]|^[ \t]*[-*•][ \t]|\b(?:First|Second|Next|Finally),", re.MULTILINE
)


def count_reasoning_steps(text: str) -> int:
    """How many reasoning-step indicators the text holds (Step N:, numbered lines, bullets, First, ...)."""
    return len(_STEP_RE.findall(text))


def make_reasoning_steps(min_steps: int = 3) -> Callable[..., list[float]]:
    r"""Reward step-by-step reasoning: min(1, indicators / min_steps), indicators as in the seed.

    >>> reasoning_steps = make_reasoning_steps(3)
    >>> reasoning_steps(["Step 1: I need to solve 2 + 2\nStep 2: Adding these numbers gives 4"])
    [0.6666666666666666]
    >>> reasoning_steps(["1. add\n2. check\n3. answer", "The answer is 5 because I think so."])
    [1.0, 0.0]
    """
    if not isinstance(min_steps, int) or isinstance(min_steps, bool) or min_steps < 1:
        raise R1Error(f"rewards.reasoning_steps.min_steps = {min_steps!r}: must be an integer >= 1")

    def reasoning_steps(
        completions: list, prompts: list | None = None, rendered_prompt: list | None = None, **kwargs
    ) -> list[float]:
        texts = scored_texts(completions, prompts, rendered_prompt)
        return [min(1.0, count_reasoning_steps(text) / min_steps) for text in texts]

    return reasoning_steps


def make_repetition_penalty(ngram_size: int = 3, max_penalty: float = -0.1) -> Callable[..., list[float]]:
    """Penalize repeated word n-grams: max_penalty x (1 - unique n-grams / all n-grams); 0 for short texts.

    (The seed's factory returned itself instead of this function.)

    >>> penalty = make_repetition_penalty(ngram_size=2, max_penalty=-1.0)
    >>> penalty(["a b a b a b", "a b c d", "a"])
    [-0.6, 0.0, 0.0]
    """
    if not isinstance(ngram_size, int) or isinstance(ngram_size, bool) or ngram_size < 1:
        raise R1Error(f"rewards.repetition_penalty.ngram_size = {ngram_size!r}: must be an integer >= 1")
    if max_penalty > 0:
        raise R1Error(f"rewards.repetition_penalty.max_penalty = {max_penalty!r}: must be <= 0")

    def repetition_penalty(completions: list, **kwargs) -> list[float]:
        rewards = []
        for completion in completions:
            words = completion_text(completion).lower().split()
            if len(words) < ngram_size:
                rewards.append(0.0)
                continue
            ngrams = list(zip(*[words[i:] for i in range(ngram_size)], strict=False))
            rewards.append((1 - len(set(ngrams)) / len(ngrams)) * max_penalty or 0.0)  # no -0.0
        return rewards

    return repetition_penalty
