"""Cold-start runs through the real engine (files, settings, resume) with a scripted generator in place
of a model, so the rows' content can be checked; tests/e2e runs the same commands on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import generate_recipe as recipe
from conftest import read_rows as rows

from r1cli.coldstart.generate import run_coldstart, run_refine
from r1cli.generation.backends import Sample
from r1cli.plumbing.errors import R1Error


class ScriptedGenerator:
    """Answers each conversation with `reply(user message, sample index)`; records the conversations."""

    def __init__(self, reply):
        self.reply = reply
        self.seen: list[list[dict[str, str]]] = []

    def generate(self, conversations, num_samples):
        self.seen.extend(conversations)
        return [
            [Sample(i, self.reply(c[-1]["content"], i), 5, True) for i in range(num_samples)]
            for c in conversations
        ]


@pytest.fixture
def problems(tmp_path: Path) -> Path:
    path = tmp_path / "problems.jsonl"
    lines = [
        {"question": "What is 9 * 2?", "answer": "9 * 2 = 18\n#### 18"},
        {"question": "What is 5 + 5?", "answer": "#### 10"},
        {"question": "Name a colour."},  # no gold
        {"question": "What is 1 + 1?", "answer": "#### 2"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def arithmetic(user: str, index: int) -> str:
    """Right on 9 * 2 and 5 + 5, wrong on 1 + 1, no answer on the colour question (special form)."""
    if "9 * 2?" in user.rsplit("Problem:", 1)[-1]:
        return "<|special_token|> Nine times two: 9 * 2 = 18. <|special_token|> Summary: The answer is 18."
    if "5 + 5?" in user.rsplit("Problem:", 1)[-1]:
        return "<think>5 + 5 = 10</think><answer>10</answer>"
    if "1 + 1?" in user.rsplit("Problem:", 1)[-1]:
        return "<think>1 + 1 = 3</think><answer>3</answer>"
    return "blue"


def test_fewshot_rows_are_sft_ready_in_the_target_form(tmp_path: Path, problems: Path) -> None:
    out = tmp_path / "cold.jsonl"
    generator = ScriptedGenerator(arithmetic)
    result = run_coldstart(recipe(problems), "fewshot", out, generator=generator)
    assert (result.written, result.unusable, result.wrong) == (3, 1, 0)
    first, second, third = rows(out)
    assert first["id"] == 0 and first["method"] == "fewshot" and first["model"] == "r1-tiny"
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    assert first["messages"][1]["content"] == "What is 9 * 2?"  # the problem, not the few-shot prompt
    assert first["messages"][0]["content"].startswith("A conversation between User and Assistant")
    assert (
        first["messages"][2]["content"]
        == "<think>\nNine times two: 9 * 2 = 18.\n</think>\n<answer>\n18\n</answer>"
    )
    assert (first["answer"], first["solution"]) == ("18", "9 * 2 = 18\n#### 18")
    assert second["id"] == 1 and third["id"] == 3
    # the model saw the seed's two worked examples, then the problem
    assert "Problem: Train travels at 60 mph" in generator.seen[0][1]["content"]
    assert generator.seen[0][1]["content"].endswith("Problem: What is 9 * 2?\nSolution:")


def test_direct_drop_wrong_and_special_form(tmp_path: Path, problems: Path) -> None:
    out = tmp_path / "cold.jsonl"
    result = run_coldstart(
        recipe(problems),
        "direct",
        out,
        fmt="special",
        drop_wrong=True,
        generator=ScriptedGenerator(arithmetic),
    )
    assert (result.written, result.unusable, result.wrong) == (2, 1, 1)
    kept = rows(out)
    assert [r["id"] for r in kept] == [0, 1]
    assert kept[1]["messages"][2]["content"] == (
        "<|special_token|> Reasoning: 5 + 5 = 10\n<|special_token|> Summary: The answer is 10."
    )
    assert (
        kept[1]["messages"][0]["content"]
        == "You are a helpful assistant that provides step-by-step solutions."
    )
    assert "wrong answers dropped" in result.counts()


def test_rerun_resumes_and_other_settings_are_refused_without_touching_the_output(
    tmp_path: Path, problems: Path
) -> None:
    out = tmp_path / "cold.jsonl"
    run_coldstart(recipe(problems), "direct", out, generator=ScriptedGenerator(arithmetic))
    before = out.read_bytes()
    again = ScriptedGenerator(arithmetic)
    result = run_coldstart(recipe(problems), "direct", out, generator=again)
    assert (result.resumed, result.written, again.seen) == (4, 0, [])
    with pytest.raises(R1Error, match="format"):
        run_coldstart(recipe(problems), "direct", out, fmt="special", generator=again)
    examples = tmp_path / "ex.jsonl"
    examples.write_text('{"problem": "q"}\n')
    with pytest.raises(R1Error, match="no `solution` text"):
        run_coldstart(recipe(problems), "fewshot", out, examples=examples, generator=again)
    assert out.read_bytes() == before
    result = run_coldstart(recipe(problems), "direct", out, fmt="special", overwrite=True, generator=again)
    assert result.written == 3 and "<|special_token|>" in rows(out)[0]["messages"][2]["content"]


def test_refine_by_rules_then_by_a_model_that_must_keep_the_answer(tmp_path: Path) -> None:
    zero = tmp_path / "zero.jsonl"
    messy = "<think>  ummm... multiply 3 and 4... get 12... then add 2...</think>\n<answer> 14 </answer>"
    lines = [
        {
            "prompt": [{"role": "user", "content": "What is 2 + 3 * 4?"}],
            "completion": messy,
            "solution": "#### 14",
        },
        {"prompt": "What is 2 * 5?", "completion": "<think>2 * 5 = 10</think><answer>10</answer>"},
        {"prompt": "What is 7 - 7?", "completion": "<think>hmm</think><answer>0</answer>"},
    ]
    zero.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "refined.jsonl"
    result = run_refine(recipe(zero), zero, out)
    assert (result.written, result.unusable) == (2, 1)
    assert rows(out)[0]["messages"][2]["content"] == (
        "<think>\nMultiply 3 and 4. Get 12. Then add 2.\n</think>\n<answer>\n14\n</answer>"
    )
    assert rows(out)[0]["model"] is None and rows(out)[0]["answer"] == "14"
    assert run_refine(recipe(zero), zero, out).written == 2  # same input, same settings: same rows
    with pytest.raises(R1Error, match=r"already holds rows|differs"):
        run_refine(recipe(zero), zero, out, fmt="special")

    def rewrite(user: str, index: int) -> str:
        if "2 + 3 * 4" in user:
            return "<think>First 3 * 4 = 12. Then 2 + 12 = 14.</think><answer>14</answer>"
        return "<think>2 * 5 = 11</think><answer>11</answer>"  # changed the answer: left out

    by_model = tmp_path / "by_model.jsonl"
    result = run_refine(recipe(zero), zero, by_model, model="r1-tiny", generator=ScriptedGenerator(rewrite))
    assert (result.written, result.unusable, result.changed_answer) == (1, 1, 1)
    (row,) = rows(by_model)
    assert row["model"] == "r1-tiny"
    assert (
        row["messages"][2]["content"]
        == "<think>\nFirst 3 * 4 = 12. Then 2 + 12 = 14.\n</think>\n<answer>\n14\n</answer>"
    )
