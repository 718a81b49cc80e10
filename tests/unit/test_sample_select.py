"""Rejection sampling: which samples are accepted, which are kept, and the summary's numbers."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import r1cli.sample.reject
from r1cli.plumbing.errors import R1Error
from r1cli.sample.reject import (
    RejectSummary,
    Scorer,
    check_acceptance,
    is_accepted,
    read_mix,
    rows_to_write,
    score_samples,
    select_accepted,
)


def sample(index: int, text: str, accuracy: float | None, fmt: float, language: float | None = 1.0) -> dict:
    rewards = {"accuracy": accuracy, "format": fmt, "language_consistency": language}
    return {
        "sample": index,
        "completion": text,
        "rewards": rewards,
        "total": sum(v or 0 for v in rewards.values()),
    }


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(r1cli.sample.reject)
    assert result.attempted > 0 and result.failed == 0


def test_accepted_only_when_correct_and_well_formed() -> None:
    assert is_accepted({"accuracy": 1.0, "format": 1.0}, 2.0)
    assert not is_accepted({"accuracy": 0.0, "format": 1.0}, 1.0)
    assert not is_accepted({"accuracy": 1.0, "format": 0.0}, 1.0)
    assert not is_accepted({"accuracy": None, "format": 1.0}, 1.0)  # unknown is not correct
    assert is_accepted({"format": 1.0, "tag_count": 1.0}, 2.0)  # accuracy not scored: format alone
    assert is_accepted({"reasoning_steps": 0.7}, 0.7, min_total=0.5)
    assert not is_accepted({"accuracy": 1.0, "format": 1.0, "language_consistency": 0.2}, 2.2, min_total=2.5)


def test_best_accepted_kept_ties_to_the_earliest_and_texts_distinct() -> None:
    samples = [
        sample(0, "wrong", 0.0, 1.0),
        sample(1, "<think>a</think><answer>4</answer>", 1.0, 1.0, 0.5),
        sample(2, "<think>b</think><answer>4</answer>", 1.0, 1.0),
        sample(3, " <think>b</think><answer>4</answer>\n", 1.0, 1.0),  # same text as 2, spaces aside
        sample(4, "<think>c</think><answer>4</answer>", 1.0, 1.0),
    ]
    assert [s["sample"] for s in select_accepted(samples)] == [2]
    assert [s["sample"] for s in select_accepted(samples, keep=3)] == [2, 4, 1]
    assert [s["sample"] for s in select_accepted(samples, keep=10)] == [2, 4, 1]
    assert select_accepted([sample(0, "x", 0.0, 1.0)]) == []
    with pytest.raises(R1Error, match="--keep = 0: must be at least 1"):
        select_accepted(samples, keep=0)


def test_a_reward_list_with_nothing_to_accept_by_is_refused() -> None:
    check_acceptance(["accuracy", "format", "language_consistency"], None)
    check_acceptance(["reasoning_steps"], 0.5)
    with pytest.raises(R1Error, match="neither accuracy nor format"):
        check_acceptance(["reasoning_steps", "cosine"], None)
    with pytest.raises(R1Error, match="must be a finite number"):
        check_acceptance(["accuracy"], float("nan"))


def test_summary_counts_acceptance_pass_at_k_and_means() -> None:
    summary = RejectSummary()
    summary.add_problem([sample(0, "a", 1.0, 1.0), sample(1, "b", 0.0, 1.0)])
    summary.add_problem([sample(0, "c", 1.0, 0.0), sample(1, "d", 0.0, 0.0, None)])  # correct, never accepted
    summary.add_problem([sample(0, "e", None, 1.0), sample(1, "f", None, 1.0)])  # no gold: not judged
    assert (summary.samples, summary.accepted, summary.problems, summary.problems_accepted) == (6, 1, 3, 1)
    assert summary.acceptance_rate == pytest.approx(1 / 6)
    assert summary.pass_at_k == pytest.approx(2 / 2)
    means = summary.reward_means()
    assert means["accuracy"] == pytest.approx(2 / 4)
    assert means["format"] == pytest.approx(4 / 6)
    assert means["language_consistency"] == pytest.approx(1.0)
    assert RejectSummary().acceptance_rate is None and RejectSummary().pass_at_k is None


def test_mix_rows_from_messages_and_sharegpt_keep_the_system_turn(tmp_path: Path) -> None:
    path = tmp_path / "mix.jsonl"
    path.write_text(
        '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n\n'
        '{"system": "Be brief.", "conversations": [{"from": "human", "value": "Name?"}, {"from": "gpt", "value": "r1"}]}\n'
    )
    rows = read_mix(path)
    assert [r["id"] for r in rows] == ["mix-0", "mix-1"]
    assert rows[1]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Name?"},
        {"role": "assistant", "content": "r1"},
    ]
    assert all(r["mix"] and r["sample"] == 0 for r in rows)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ('{"text": "hi"}\n', ":1: no `messages` or `conversations`"),
        ('{"messages": [{"role": "user", "content": "Hi"}]}\n', ":1: no assistant turn"),
        ('{"conversations": [{"from": "alien", "value": "x"}]}\n', ":1: unknown role"),
    ],
)
def test_bad_mix_file_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "mix.jsonl"
    path.write_text(content)
    with pytest.raises(R1Error, match=message):
        read_mix(path)


def test_samples_of_a_problem_are_scored_flagged_and_the_best_kept() -> None:
    scorer = Scorer.from_recipe({"functions": ["accuracy"], "timeout": 3.0, "workers": 1})
    assert scorer.names == ["accuracy", "format", "language_consistency"]
    prompt = [{"role": "system", "content": "S"}, {"role": "user", "content": "What is 9 * 2?"}]
    item = {"id": "p1", "prompt": prompt, "answer": "18", "solution": "#### 18"}
    completions = [
        "<think>9 * 2 = 17</think><answer>17</answer>",  # wrong
        "9 * 2 = 18, the answer is 18",  # right, badly formed
        "<think>Nine times two is 18.</think><answer>18</answer>",  # right and well formed
        "<think>9 * 2 = 18</think><answer>18</answer>",  # right, well formed, no words: language None
    ]
    rows = score_samples(item, completions, scorer)
    assert [r["sample"] for r in rows] == [0, 1, 2, 3]
    assert [r["accepted"] for r in rows] == [False, False, True, True]
    assert rows[2]["rewards"] == {"accuracy": 1.0, "format": 1.0, "language_consistency": 1.0}
    assert rows[3]["rewards"]["language_consistency"] is None and rows[3]["total"] == 2.0
    assert rows[2]["messages"] == [*prompt, {"role": "assistant", "content": completions[2]}]
    assert rows[2]["solution"] == "#### 18"
    assert [r["sample"] for r in rows_to_write(rows)] == [2]
    assert [r["sample"] for r in rows_to_write(rows, keep=5)] == [2, 3]
    assert rows_to_write(rows, keep_all=True) == rows


def test_a_problem_without_gold_is_never_accepted() -> None:
    scorer = Scorer.from_recipe({"timeout": 3.0, "workers": 1})
    item = {"id": 0, "prompt": [{"role": "user", "content": "Why?"}]}
    rows = score_samples(item, ["<think>Because.</think><answer>yes</answer>"], scorer)
    assert rows[0]["rewards"]["accuracy"] is None and rows[0]["accepted"] is False
    assert "solution" not in rows[0]
