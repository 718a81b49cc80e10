"""DAPO's dynamic sampling on top of trl's GRPO: groups that teach nothing are replaced before the step.

    batch, counts = fill_batch(rows, score, draw, num_generations=8, max_rounds=3, pad_token_id=0)

`score(rows)` is trl's generation and scoring of rows (prompts repeated num_generations times): the
scored batch and one filter value per completion (the raw accuracy reward by default); `draw(k, round)`
gives k further train prompts, repeated. A group whose completions all get the same filter value (all
right or all wrong) has zero advantage under GRPO's group normalisation: it costs a forward and
backward pass and moves nothing. The informative groups are kept in the order they came, up to the
batch's size; a batch still short after the last round trains with what it has: the missing places
are filled with dropped groups whose completion tokens are masked out (no loss, no token in the
normaliser), as trl does for truncated completions with `mask_truncated_completions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

# Per-completion keys of trl's scored batch laid out (rows, prompt tokens): padded on the left.
PROMPT_KEYS = ("prompt_ids", "prompt_mask")
# Keys whose padding is the pad token (the rest pad with 0: masks, log-probabilities).
TOKEN_KEYS = ("prompt_ids", "completion_ids")
# Keys that are not per-completion rows: recomputed for the combined batch.
BATCH_KEYS = ("num_items_in_batch",)


def informative_groups(values: torch.Tensor, num_generations: int) -> list[bool]:
    """Per group of `num_generations` consecutive completions: whether their values differ.

    NaN (a reward that could not judge the completion) is left out; a group with fewer than two
    judged completions is not informative.

    >>> informative_groups(torch.tensor([1.0, 0.0, 1.0, 1.0, float("nan"), 0.0]), 2)
    [True, False, False]
    """
    groups = values.detach().float().cpu().view(-1, num_generations)
    keep = []
    for group in groups:
        judged = group[~torch.isnan(group)]
        keep.append(judged.numel() >= 2 and bool((judged.max() - judged.min()).abs() > 1e-6))
    return keep


@dataclass
class GroupCounts:
    """What one generation batch's dynamic sampling did (logged under dynamic_sampling/)."""

    kept: int = 0  # informative groups trained on
    dropped: int = 0  # zero-variance groups generated and left out
    rounds: int = 0  # extra generation rounds
    short: int = 0  # places filled with masked-out groups after the last round
    completions: int = 0  # completions generated, all rounds

    def metrics(self) -> dict[str, float]:
        return {
            "dynamic_sampling/groups_kept": float(self.kept),
            "dynamic_sampling/groups_dropped": float(self.dropped),
            "dynamic_sampling/extra_rounds": float(self.rounds),
            "dynamic_sampling/groups_short": float(self.short),
            "dynamic_sampling/completions": float(self.completions),
        }


class GroupPlan:
    """The groups a generation batch of `needed` groups is built from, across generation rounds."""

    def __init__(self, needed: int, num_generations: int):
        self.needed, self.size = needed, num_generations
        self.kept: list[tuple[dict[str, Any], int]] = []  # (scored batch, group index)
        self.dropped: list[tuple[dict[str, Any], int]] = []
        self.counts = GroupCounts()

    @property
    def missing(self) -> int:
        return max(self.needed - len(self.kept), 0)

    def add(self, batch: dict[str, Any], values: torch.Tensor) -> None:
        """One scored batch (trl's `_generate_and_score_completions` output) and its filter values."""
        keep = informative_groups(values, self.size)
        self.counts.completions += len(keep) * self.size
        for group, informative in enumerate(keep):
            (self.kept if informative else self.dropped).append((batch, group))
        self.counts.dropped = len(self.dropped)

    def prompts_to_draw(self) -> int:
        """Prompts for the next round: the missing groups over the share of groups kept so far (DAPO
        over-samples rather than going round after round), at most one batch's worth."""
        seen = len(self.kept) + len(self.dropped)
        share = len(self.kept) / seen if seen else 1.0
        wanted = math.ceil(self.missing / share) if share > 0 else self.needed
        return min(max(wanted, self.missing), self.needed)

    def finish(self, pad_token_id: int) -> tuple[dict[str, Any], GroupCounts]:
        """The combined batch: the first `needed` informative groups, then masked-out fillers."""
        chosen = self.kept[: self.needed]
        fillers = self.dropped[: self.needed - len(chosen)]
        self.counts.kept, self.counts.short = len(chosen), len(fillers)
        parts = [_group_rows(batch, group, self.size) for batch, group in chosen]
        parts += [_masked(_group_rows(batch, group, self.size)) for batch, group in fillers]
        combined = _concatenate(parts, pad_token_id)
        mask = combined["completion_mask"]
        if "tool_mask" in combined:
            mask = mask * combined["tool_mask"]
        combined["num_items_in_batch"] = mask.sum()
        return combined, self.counts


def fill_batch(
    rows: list[dict[str, Any]],
    score: Callable[[list[dict[str, Any]]], tuple[dict[str, Any], torch.Tensor]],
    draw: Callable[[int, int], list[dict[str, Any]]],
    *,
    num_generations: int,
    max_rounds: int,
    pad_token_id: int,
) -> tuple[dict[str, Any], GroupCounts]:
    """One generation batch of informative groups, from `rows` and up to `max_rounds` rounds of `draw`."""
    plan = GroupPlan(len(rows) // num_generations, num_generations)
    plan.add(*score(rows))
    while plan.missing and plan.counts.rounds < max_rounds:
        plan.counts.rounds += 1
        plan.add(*score(draw(plan.prompts_to_draw(), plan.counts.rounds)))
    return plan.finish(pad_token_id)


def _group_rows(batch: dict[str, Any], group: int, size: int) -> dict[str, Any]:
    rows = slice(group * size, (group + 1) * size)
    return {key: value[rows] for key, value in batch.items() if key not in BATCH_KEYS}


def _masked(part: dict[str, Any]) -> dict[str, Any]:
    """A filler group: its completion tokens out of the loss (its advantages are zero anyway)."""
    return {**part, "completion_mask": torch.zeros_like(part["completion_mask"])}


def _pad_columns(tensor: torch.Tensor, width: int, value: float, left: bool) -> torch.Tensor:
    missing = width - tensor.shape[1]
    if missing <= 0:
        return tensor
    return torch.nn.functional.pad(tensor, (missing, 0) if left else (0, missing), value=value)


def _concatenate(parts: list[dict[str, Any]], pad_token_id: int) -> dict[str, Any]:
    """Rows of several scored batches as one: prompts padded on the left, completions on the right."""
    combined: dict[str, Any] = {}
    for key in parts[0]:
        values = [part[key] for part in parts]
        if not all(isinstance(v, torch.Tensor) for v in values):
            raise TypeError(f"dynamic sampling cannot combine trl's batch key '{key}'")
        if values[0].dim() == 2:
            width = max(v.shape[1] for v in values)
            pad = pad_token_id if key in TOKEN_KEYS else 0
            values = [_pad_columns(v, width, pad, left=key in PROMPT_KEYS) for v in values]
        combined[key] = torch.cat(values)
    return combined
