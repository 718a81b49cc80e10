r"""Correctness rewards: `accuracy` (math-verify) and `cosine` (correctness scaled by length).

The model's answer is cut out of the completion by `extract_model_answer` (`<answer>`, `\boxed{}`,
`####`, the last math span or "final answer is $X$" for math-verify's own extraction, "the answer
is", "A:", and only in a text without LaTeX the last number) and the gold by `extract_gold_answer`
(GSM8K `#### 18`, MATH `\boxed{}`, or a plain `18`); only those short strings reach math-verify, in
worker processes with a hard timeout (`r1cli.rewards.verifier`). A gold with no final answer scores None, as
does a pair that runs past the timeout: GRPO leaves None out of the reward's mean.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.answers import ANSWER_PLACES, extract_gold_answer, extract_model_answer
from r1cli.rewards.completions import completion_text
from r1cli.rewards.verifier import get_verifier


@functools.lru_cache(maxsize=65536)
def _gold_cached(solution: str | int | float) -> str | None:
    return extract_gold_answer(solution)


def gold_answer(solution: object) -> str | None:
    """The normalized gold answer of a `solution` value (parsed once per distinct value)."""
    if isinstance(solution, str | int | float) and not isinstance(solution, bool):
        return _gold_cached(solution)
    return None


def correctness(
    completions: Sequence,
    solution: Sequence | None,
    *,
    workers: int = 1,
    timeout: float = 5.0,
    answer_in: str = "anywhere",
) -> list[bool | None]:
    """Per completion: True/False, or None when its gold has no answer or verification timed out.
    `answer_in` = "tags": only an answer inside `<answer>` counts (none there: False)."""
    _check_answer_in(answer_in)
    if solution is None:
        raise R1Error(
            "this reward needs the gold answer: a `solution` column in the dataset",
            hint="add a `solution` field (e.g. `#### 18`, `\\boxed{18}` or `18`) to every row",
        )
    golds = [gold_answer(sol) for sol in solution]
    answers = [extract_model_answer(completion_text(c), answer_in) for c in completions]
    return get_verifier(workers, timeout).judge_many(list(zip(golds, answers, strict=True)))


def _check_answer_in(answer_in: str) -> None:
    if answer_in not in ANSWER_PLACES:
        raise R1Error(
            f"rewards.accuracy.answer_in = {answer_in!r}: must be one of {', '.join(ANSWER_PLACES)}",
            hint="anywhere: <answer>, \\boxed{}, 'the answer is', the last number; tags: <answer> only (R1-Zero)",
        )


def make_accuracy(
    timeout: float = 5.0, workers: int = 1, answer_in: str = "anywhere"
) -> Callable[..., list[float | None]]:
    r"""1.0 if the completion's final answer equals the gold mathematically, 0.0 if not, None if unknown.

    `answer_in` ([rewards.accuracy]): "anywhere" reads the answer from `<answer>`, `\boxed{}`, "the answer
    is" or the last number; "tags" only from `<answer>` (the R1-Zero rule: a right answer written outside
    the asked format earns nothing, so GRPO cannot settle for prose answers).

    >>> accuracy = make_accuracy()
    >>> accuracy(
    ...     ["<think>9 * 2 = 18</think><answer>18</answer>", "<answer>\\boxed{0.5}</answer>", "I give up"],
    ...     solution=["She makes 9 * 2 = $18.\n#### 18", "\\frac{1}{2}", "no final answer here\nat all"],
    ... )
    [1.0, 1.0, None]
    """

    _check_answer_in(answer_in)  # a bad setting fails when the reward is built, before any training

    def accuracy(completions: list, solution: list | None = None, **kwargs) -> list[float | None]:
        verdicts = correctness(completions, solution, workers=workers, timeout=timeout, answer_in=answer_in)
        return [None if verdict is None else float(verdict) for verdict in verdicts]

    return accuracy


def make_cosine(
    min_value_wrong: float = -0.5,
    max_value_wrong: float = -0.1,
    min_value_correct: float = 0.8,
    max_value_correct: float = 1.0,
    max_len: int = 1000,
    *,
    timeout: float = 5.0,
    workers: int = 1,
) -> Callable[..., list[float | None]]:
    """Cosine-scaled correctness over the completion's length in characters (the seed's formula).

    Short correct answers earn up to max_value_correct, long ones down to min_value_correct; short wrong
    answers are punished with min_value_wrong, long ones only with max_value_wrong. Lengths past max_len
    count as max_len. Correctness is computed here (the seed expected an `accuracy_rewards` argument
    that GRPO never passes); None where it is unknown.

    >>> cosine = make_cosine(max_len=100)
    >>> [round(r, 3) for r in cosine(["<answer>18</answer>", "<answer>17</answer>"], solution=["18", "18"])]
    [0.983, -0.465]
    """
    if max_len <= 0:
        raise R1Error(f"rewards.cosine.max_len = {max_len!r}: must be > 0")

    def cosine(completions: list, solution: list | None = None, **kwargs) -> list[float | None]:
        verdicts = correctness(completions, solution, workers=workers, timeout=timeout)
        rewards: list[float | None] = []
        for completion, verdict in zip(completions, verdicts, strict=True):
            if verdict is None:
                rewards.append(None)
                continue
            progress = min(len(completion_text(completion)) / max_len, 1.0)
            if verdict:
                low, high = min_value_correct, max_value_correct
            else:  # the seed's swap: long wrong answers are punished less
                low, high = max_value_wrong, min_value_wrong
            rewards.append(float(low + 0.5 * (high - low) * (1.0 + math.cos(progress * math.pi))))
        return rewards

    return cosine
