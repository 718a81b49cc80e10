"""The numbers `r1 eval` reports, from judged samples: pass@1 (avg@n), maj@n, unbiased pass@k, format rate.

    problems = [[JudgedSample(answer="18", correct=True, ...), JudgedSample(answer="17", correct=False, ...)], ...]
    metrics = aggregate(problems)        # {"accuracy": ..., "maj@2": ..., "pass@1": ..., "pass@2": ...}

Pure functions, no model: a `JudgedSample` is one completion already judged by the accuracy reward
(`correct` None when verification could not decide: a timeout; it counts as wrong) and the format
reward. Conventions follow the public reasoning-benchmark reports (lighteval, open-r1, Codex paper):
accuracy is pass@1 as the mean over the n samples of each problem (avg@n), averaged over problems;
maj@n takes the most frequent normalized final answer of a problem (ties: the one seen first);
pass@k is the unbiased estimator 1 - C(n-c, k) / C(n, k) for k = 1 and each power of two up to n.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class JudgedSample:
    """One judged completion of one problem."""

    answer: str | None  # the normalized final answer read from the completion, None if none
    correct: bool | None  # the accuracy reward's verdict (None: undecided, counted as wrong)
    formatted: bool  # the format reward gave it full marks
    tokens: int  # completion tokens generated
    truncated: bool  # stopped by max_new_tokens, not by the end-of-sequence token


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: the chance that at least one of k samples drawn from n (c of them right) is right.

    >>> pass_at_k(4, 1, 1), pass_at_k(4, 1, 2), pass_at_k(4, 0, 4), pass_at_k(4, 3, 2)
    (0.25, 0.5, 0.0, 1.0)
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    # 1 - C(n-c, k) / C(n, k) as a product: no huge binomials for n = 64.
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def ks_for(n: int) -> list[int]:
    """k = 1 and each power of two up to n.

    >>> ks_for(1), ks_for(4), ks_for(6), ks_for(64)[-2:]
    ([1], [1, 2, 4], [1, 2, 4], [32, 64])
    """
    ks, k = [], 1
    while k <= n:
        ks.append(k)
        k *= 2
    return ks


def majority_correct(samples: Sequence[JudgedSample]) -> bool:
    """Is the most frequent final answer right? Samples with no answer do not vote; ties go to the first seen.

    >>> s = lambda a, ok: JudgedSample(a, ok, True, 1, False)
    >>> majority_correct([s("17", False), s("18", True), s("18", True)]), majority_correct([s(None, False)])
    (True, False)
    """
    votes = Counter(sample.answer for sample in samples if sample.answer is not None)
    if not votes:
        return False
    winner = votes.most_common(1)[0][0]  # most_common keeps first-seen order among equal counts
    return any(sample.correct is True for sample in samples if sample.answer == winner)


def aggregate(problems: Sequence[Sequence[JudgedSample]]) -> dict[str, float | int]:
    """The benchmark's metrics over problems that each have the same number of samples n."""
    if not problems:
        raise ValueError("no problems to aggregate")
    n = len(problems[0])
    if n == 0 or any(len(samples) != n for samples in problems):
        raise ValueError(
            f"every problem needs the same number (>= 1) of samples, got {sorted({len(p) for p in problems})}"
        )
    count = len(problems)
    flat = [sample for samples in problems for sample in samples]
    right = [sum(sample.correct is True for sample in samples) for samples in problems]
    metrics: dict[str, float | int] = {
        "accuracy": sum(c / n for c in right) / count,
        "n": count,
        "samples": n,
        f"maj@{n}": sum(majority_correct(samples) for samples in problems) / count,
    }
    for k in ks_for(n):
        metrics[f"pass@{k}"] = sum(pass_at_k(n, c, k) for c in right) / count
    metrics["format_rate"] = sum(sample.formatted for sample in flat) / len(flat)
    metrics["mean_completion_tokens"] = sum(sample.tokens for sample in flat) / len(flat)
    metrics["truncated_rate"] = sum(sample.truncated for sample in flat) / len(flat)
    metrics["no_answer_rate"] = sum(sample.answer is None for sample in flat) / len(flat)
    metrics["undecided"] = sum(sample.correct is None and sample.answer is not None for sample in flat)
    return metrics
