"""Dynamic sampling's group filter on crafted reward tables: what is dropped, how refills are counted,
that the round limit holds, and how scored batches of different widths are combined."""

from __future__ import annotations

import math

import pytest
import torch

from r1cli.plumbing.errors import R1Error
from r1cli.train.dynamic_sampling import GroupPlan, fill_batch, informative_groups
from r1cli.train.settings import dynamic_sampling_settings

G = 4  # completions per group
PAD = 0


def scored(values: list[float], prompt_width: int = 3, completion_width: int = 5, tag: int = 1) -> dict:
    """A batch shaped like trl's scored one: row r's tokens are `tag * 100 + r` (to follow rows through)."""
    rows = len(values)
    ids = torch.arange(rows).unsqueeze(1) + tag * 100
    return {
        "prompt_ids": ids.repeat(1, prompt_width),
        "prompt_mask": torch.ones(rows, prompt_width, dtype=torch.long),
        "completion_ids": ids.repeat(1, completion_width),
        "completion_mask": torch.ones(rows, completion_width, dtype=torch.long),
        "advantages": torch.tensor(values) - 0.5,
        "num_items_in_batch": torch.tensor(rows * completion_width),
    }


def test_groups_with_equal_values_are_not_informative() -> None:
    groups = [
        [1, 0, 0, 0],  # mixed: kept
        [1, 1, 1, 1],  # all right
        [0, 0, 0, 0],  # all wrong
        [0.5, 0.5, 0.5, 0.5 + 1e-9],  # equal within rounding
        [math.nan, 1, math.nan, 0],  # two judged, different
        [math.nan, math.nan, math.nan, 1],  # one judged
    ]
    values = torch.tensor([value for group in groups for value in group], dtype=torch.float64)
    assert informative_groups(values, G) == [True, False, False, False, True, False]


def test_plan_keeps_informative_groups_in_order_and_counts_what_it_dropped() -> None:
    plan = GroupPlan(needed=3, num_generations=G)
    first = [*[1, 0, 1, 1], *[1, 1, 1, 1], *[0, 0, 0, 0]]
    plan.add(scored(first, tag=1), torch.tensor(first, dtype=torch.float))
    assert plan.missing == 2
    assert plan.prompts_to_draw() == 3  # 2 missing / (1 kept of 3 seen), capped at one batch (3)
    second = [*[0, 0, 0, 0], *[0, 1, 0, 0], *[1, 0, 0, 1]]
    plan.add(scored(second, tag=2), torch.tensor(second, dtype=torch.float))
    plan.counts.rounds = 1
    batch, counts = plan.finish(PAD)
    assert (counts.kept, counts.dropped, counts.short, counts.completions) == (3, 3, 0, 24)
    # The first batch's group 0, then the second batch's groups 1 and 2.
    assert batch["completion_ids"][:, 0].tolist() == [
        100,
        101,
        102,
        103,
        204,
        205,
        206,
        207,
        208,
        209,
        210,
        211,
    ]
    assert batch["num_items_in_batch"].item() == 12 * 5


def test_fill_batch_stops_at_the_round_limit_and_masks_the_places_left() -> None:
    calls: list[int] = []

    def score(rows: list[dict]) -> tuple[dict, torch.Tensor]:
        calls.append(len(rows))
        values = [1.0] * len(rows)
        if len(calls) == 1:
            values[1] = 0.0  # only the very first group varies
        return scored(values, tag=len(calls)), torch.tensor(values)

    def draw(count: int, round_: int) -> list[dict]:
        return [{"prompt": f"further {round_}.{i}"} for i in range(count) for _ in range(G)]

    rows = [{"prompt": f"p{i}"} for i in range(4) for _ in range(G)]
    batch, counts = fill_batch(rows, score, draw, num_generations=G, max_rounds=2, pad_token_id=PAD)
    assert counts.rounds == 2 and len(calls) == 3  # the first generation and two extra rounds, no more
    assert (counts.kept, counts.short) == (1, 3)
    assert counts.completions == sum(calls)
    assert batch["completion_ids"].shape[0] == 16  # the batch keeps its size
    # The fillers add no loss and no token to the normaliser.
    assert batch["completion_mask"][:G].sum().item() == G * 5
    assert batch["completion_mask"][G:].sum().item() == 0
    assert batch["num_items_in_batch"].item() == G * 5


def test_no_extra_round_when_every_group_is_informative() -> None:
    def score(rows: list[dict]) -> tuple[dict, torch.Tensor]:
        values = [1.0, 0, 1, 0] * (len(rows) // G)
        return scored(values), torch.tensor(values)

    def draw(count: int, round_: int) -> list[dict]:
        raise AssertionError("no further prompts are needed")

    rows = [{"prompt": "p"}] * 8
    _, counts = fill_batch(rows, score, draw, num_generations=G, max_rounds=3, pad_token_id=PAD)
    assert (counts.kept, counts.dropped, counts.rounds, counts.short) == (2, 0, 0, 0)


def test_batches_of_different_widths_are_padded_on_the_right_side() -> None:
    plan = GroupPlan(needed=2, num_generations=G)
    narrow, wide = [1.0, 0, 0, 0], [0.0, 1, 1, 1]
    plan.add(scored(narrow, prompt_width=2, completion_width=3, tag=1), torch.tensor(narrow))
    plan.add(scored(wide, prompt_width=4, completion_width=6, tag=2), torch.tensor(wide))
    batch, _ = plan.finish(pad_token_id=99)
    assert batch["prompt_ids"].shape == (8, 4) and batch["completion_ids"].shape == (8, 6)
    assert batch["prompt_ids"][0].tolist() == [99, 99, 100, 100]  # prompts on the left
    assert batch["prompt_mask"][0].tolist() == [0, 0, 1, 1]
    assert batch["completion_ids"][0].tolist() == [100, 100, 100, 99, 99, 99]  # completions on the right
    assert batch["completion_mask"][0].tolist() == [1, 1, 1, 0, 0, 0]
    assert batch["num_items_in_batch"].item() == 4 * 3 + 4 * 6


@pytest.mark.parametrize(
    ("section", "names", "processes", "message"),
    [
        ({"enabled": True, "reward": "acuracy"}, ["accuracy", "format"], 1, "not among rewards.functions"),
        ({"max_rounds": -1}, ["accuracy"], 1, "max_rounds must be a whole number >= 0"),
        ({"enabled": "yes"}, ["accuracy"], 1, "enabled must be true or false"),
        ({"enabled": True}, ["accuracy"], 2, "runs in one process (2 were launched)"),
    ],
)
def test_bad_settings_are_one_line_errors(
    section: dict, names: list[str], processes: int, message: str
) -> None:
    with pytest.raises(R1Error, match=None) as caught:
        dynamic_sampling_settings(section, names, processes)
    assert message in caught.value.message


def test_total_and_any_named_reward_are_accepted() -> None:
    assert dynamic_sampling_settings({"enabled": True, "reward": "total"}, ["format"]).reward == "total"
    assert dynamic_sampling_settings({"enabled": True, "reward": "format"}, ["format"]).enabled
