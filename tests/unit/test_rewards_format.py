"""Format, tag count, reasoning steps and repetition rewards on realistic completions."""

from __future__ import annotations

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.format import (
    format_reward,
    make_reasoning_steps,
    make_repetition_penalty,
    tag_count_reward,
)

# The seed's "GENERATION EXAMPLES": best (format 1, reasoning_steps 0.667) and worst (all 0).
BEST = (
    "<think>\nStep 1: I need to solve 2 + 2\nStep 2: Adding these numbers gives 4\n</think>\n\n"
    "<answer>\n4\n</answer>"
)
WORST = "The answer is 5 because I think so."


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def test_seed_generation_examples() -> None:
    reasoning_steps = make_reasoning_steps(3)
    assert format_reward([BEST, WORST]) == [1.0, 0.0]
    assert reasoning_steps([BEST, WORST]) == [pytest.approx(2 / 3), 0.0]
    assert tag_count_reward([BEST, WORST]) == [1.0, 0.0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>a</think><answer>b</answer>", 1.0),
        ("  \n<think>\nreasoning\n</think>\n\n<answer>\n42\n</answer>\n  ", 1.0),
        ("<think>a</think> some text <answer>b</answer>", 0.0),
        ("<think>a</think><answer>b</answer> trailing", 0.0),
        ("<answer>b</answer><think>a</think>", 0.0),
        ("<think>a <answer>x</answer></think><answer>b</answer>", 0.0),
        ("<think>a</think>", 0.0),
        ("", 0.0),
    ],
)
def test_format_is_strict(text: str, expected: float) -> None:
    assert format_reward([text]) == [expected]
    assert format_reward([chat(text)]) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>a</think><answer>b</answer>", 1.0),
        ("<think>a</think>\nb", 0.5),
        ("reasoning</think><answer>b</answer>", 0.75),
        ("<think>a</think><think>b</think><answer>c</answer>", 0.5),
        ("<think>a</think><answer>b</answer> more", 0.75),
        ("plain text", 0.0),
    ],
)
def test_tag_count_gives_partial_credit(text: str, expected: float) -> None:
    assert tag_count_reward([text]) == [expected]


def test_reasoning_steps_counts_line_start_numbering_and_bullets() -> None:
    reasoning_steps = make_reasoning_steps(3)
    numbered = "We compute:\n1. 16 - 3 = 13\n2. 13 - 4 = 9\n3. 9 * 2 = 18"
    indented = "  1) add\n  2) multiply"
    bullets = "- first bullet\n* second bullet\n• third"
    words = "First, add. Next, multiply. Finally, report."
    not_steps = "The temperature fell\n-5 degrees, then 1.5 more."
    assert reasoning_steps([numbered, indented, bullets, words, not_steps]) == [
        1.0,
        pytest.approx(2 / 3),
        1.0,
        1.0,
        0.0,
    ]
    assert make_reasoning_steps(1)(["Step 1: go"]) == [1.0]


def test_repetition_penalty_returns_a_reward_function() -> None:
    penalty = make_repetition_penalty(ngram_size=3, max_penalty=-0.1)
    assert penalty.__name__ == "repetition_penalty"
    looping = "the answer is 4 " * 20
    fresh = "First add sixteen and three, then subtract four to get the final count of eggs."
    scores = penalty([looping, fresh, "", "too short"])
    assert scores[0] == pytest.approx(-0.1 * (1 - 4 / 78))
    assert scores[1:] == [0.0, 0.0, 0.0]


def test_bad_settings_are_user_errors() -> None:
    with pytest.raises(R1Error, match="max_penalty"):
        make_repetition_penalty(max_penalty=0.5)
    with pytest.raises(R1Error, match="ngram_size"):
        make_repetition_penalty(ngram_size=0)
    with pytest.raises(R1Error, match="min_steps"):
        make_reasoning_steps(0)


def test_rewards_accept_grpo_keyword_arguments() -> None:
    kwargs = {"prompts": ["p"], "completion_ids": [[1, 2]], "trainer_state": None, "solution": ["4"]}
    assert format_reward(completions=[BEST], **kwargs) == [1.0]
    assert tag_count_reward(completions=[BEST], **kwargs) == [1.0]
    assert make_reasoning_steps()(completions=[BEST], **kwargs) == [pytest.approx(2 / 3)]
    assert make_repetition_penalty()(completions=[BEST], **kwargs) == [0.0]
