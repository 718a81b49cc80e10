"""Language consistency: the share of think/answer words in the prompt's script."""

from __future__ import annotations

import pytest

from r1cli.rewards.language import language_consistency_reward, script_counts


def user(text: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "Answer in <think> and <answer> tags."},
        {"role": "user", "content": text},
    ]


def test_consistent_mixed_and_switched_languages() -> None:
    prompt = user("Сколько яиц продаёт Джанет каждый день?")
    completions = [
        "<think>Сначала вычтем: 16 - 3 - 4 = 9</think><answer>9 яиц</answer>",
        "<think>Сначала subtract the eggs</think><answer>9</answer>",
        "<think>First subtract the eggs she eats</think><answer>9 eggs</answer>",
    ]
    rewards = language_consistency_reward(completions, prompts=[prompt] * 3)
    assert rewards[0] == 1.0
    assert rewards[1] == pytest.approx(1 / 4)
    assert rewards[2] == 0.0


def test_chinese_counts_characters_and_ignores_math() -> None:
    prompt = "小明有 3 个苹果，又买了 5 个，一共有几个？"
    completion = "<think>3 + 5 = 8，所以一共 $x = 8$ 个 \\frac{1}{2}</think><answer>8 个苹果</answer>"
    assert language_consistency_reward([completion], prompts=[prompt]) == [1.0]
    english = "<think>So the total is 8 apples</think><answer>8</answer>"
    assert language_consistency_reward([english], prompts=[prompt]) == [0.0]


def test_unknown_when_there_are_no_words() -> None:
    assert language_consistency_reward(
        ["<think>12 + 5 = 17</think><answer>17</answer>"], prompts=["What is 12 + 5?"]
    ) == [None]
    assert language_consistency_reward(["words here"], prompts=["12 + 5 = ?"]) == [None]
    assert language_consistency_reward(["words here"]) == [None]


def test_script_counts() -> None:
    assert script_counts("Hello мир x y") == {"latin": 1, "cyrillic": 1}
    assert script_counts("$\\alpha + \\beta$ \\sqrt{2}") == {}
    assert script_counts("한국어 문장") == {"hangul": 2}
