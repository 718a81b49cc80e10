"""Length rewards: DAPO soft overlong punishment and Kimi 1.5's per-prompt length reward."""

from __future__ import annotations

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.length import completion_lengths, make_length, make_soft_overlong


def test_soft_overlong_uses_completion_ids_when_given() -> None:
    soft_overlong = make_soft_overlong(max_length=64, cache=16)
    ids = [[7] * 40, [7] * 48, [7] * 56, [7] * 64, [7] * 65]
    assert soft_overlong(["ignored"] * 5, completion_ids=ids) == [0.0, 0.0, -0.5, -1.0, -1.0]


def test_soft_overlong_falls_back_to_whitespace_tokens() -> None:
    soft_overlong = make_soft_overlong(max_length=10, cache=4)
    assert soft_overlong(
        ["one two three", " ".join(["w"] * 8), [{"role": "assistant", "content": "a " * 20}]]
    ) == [
        0.0,
        -0.5,
        -1.0,
    ]
    assert completion_lengths(["a b", "c"], [[1, 2, 3], None]) == [3, 1]


def test_soft_overlong_settings_are_checked() -> None:
    with pytest.raises(R1Error, match="cache"):
        make_soft_overlong(max_length=8, cache=9)
    with pytest.raises(R1Error, match="max_length"):
        make_soft_overlong(max_length=0, cache=0)
    assert make_soft_overlong(max_length=4, cache=0)(["a"], completion_ids=[[1] * 5]) == [-1.0]


def test_length_reward_per_prompt_group() -> None:
    length = make_length()
    prompts = ["What is 2 + 2?"] * 3 + ["What is 3 + 3?"] * 2
    completions = [
        "<answer>4</answer>",  # shortest, right: +0.5
        "2 + 2 = 4 so <answer>4</answer>",  # longest, right: -0.5
        "2 + 2 <answer>5</answer>",  # middle, wrong: min(0, 0.5 - 1/4 ... ) = 0
        "<answer>6</answer>",
        "3 + 3 = 6, <answer>7</answer>",
    ]
    rewards = length(completions, solution=["4"] * 3 + ["6"] * 2, prompts=prompts)
    assert rewards[0] == pytest.approx(0.5)
    assert rewards[1] == pytest.approx(-0.5)
    assert rewards[2] == pytest.approx(0.0)
    assert rewards[3] == pytest.approx(0.5)
    assert rewards[4] == pytest.approx(-0.5)  # wrong and longest: min(0, -0.5)


def test_length_reward_edge_cases() -> None:
    length = make_length()
    # All the same length: 0; unknown correctness: None; no prompts: grouped by gold.
    assert length(["<answer>4</answer>", "<answer>5</answer>"], solution=["4", "4"], prompts=["p", "p"]) == [
        0.0,
        0.0,
    ]
    assert length(["<answer>4</answer>", "a b <answer>4</answer>"], solution=["no gold\nhere", "4"]) == [
        None,
        0.0,
    ]
    assert length(["<answer>4</answer>", "a b <answer>4</answer>"], solution=["4", "4"]) == [0.5, -0.5]
