"""Rule-based refinement of R1-Zero outputs, and the trace forms every cold-start row uses."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import pytest

from r1cli.coldstart.refine import (
    clean_reasoning,
    keep_rewrites,
    model_refine_prompt,
    read_zero_outputs,
    refine_by_rules,
    refine_completion,
)
from r1cli.coldstart.traces import coldstart_row, gold_columns, render_trace, split_trace
from r1cli.plumbing.errors import R1Error
from r1cli.rewards.answers import extract_model_answer
from r1cli.rewards.format import format_reward

SEED_MESSY = "<think>  ummm... multiply 3 and 4... get 12... then add 2...</think>\n<answer> 14 </answer>"


@pytest.mark.parametrize("name", ["r1cli.coldstart.refine", "r1cli.coldstart.traces"])
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_seed_example_comes_out_clean_in_both_forms() -> None:
    think = refine_completion(SEED_MESSY)
    assert think == "<think>\nMultiply 3 and 4. Get 12. Then add 2.\n</think>\n<answer>\n14\n</answer>"
    assert format_reward([think]) == [1.0]
    special = refine_completion(SEED_MESSY, "special")
    assert special == (
        "<|special_token|> Reasoning: Multiply 3 and 4. Get 12. Then add 2.\n"
        "<|special_token|> Summary: The answer is 14."
    )
    assert extract_model_answer(special) == "14"


@pytest.mark.parametrize(
    ("messy", "reasoning", "answer"),
    [
        (  # filler runs in any case, dots of any length, doubled sentences, prose answer
            "<think>Hmm, HMM... so umm we have 5 apples.. and uh we eat 2....   that leaves 3. "
            "that leaves 3.</think>\n\n<answer>The answer is 3 apples.</answer>",
            "So we have 5 apples. And we eat 2. That leaves 3.",
            "3",
        ),
        (  # no opening tag, blank lines, a step per line kept, stray spaces before punctuation
            "uhh   first , 12 / 4 = 3\n\n\n\nthen 3 * 2 = 6 ,\n</think><answer>  $6$ </answer>",
            "First, 12 / 4 = 3.\nThen 3 * 2 = 6.",
            "6",
        ),
        (  # the seed's special form as input; a unicode ellipsis; thousands separator in the answer
            "<|special_token|> Reasoning: erm… 1,000 + 234 is 1,234!! <|special_token|> Summary: The answer is 1,234.",
            "1,000 + 234 is 1,234!",
            "1234",
        ),
        (  # no tags at all: the closing "the answer is" sentence becomes the answer
            "ummm 7 - 2 = 5\nso the answer is 5",
            "7 - 2 = 5.",
            "5",
        ),
    ],
)
def test_messy_variants_come_out_clean(messy: str, reasoning: str, answer: str) -> None:
    refined = refine_completion(messy)
    assert refined == render_trace(reasoning, answer)
    assert format_reward([refined]) == [1.0]
    assert extract_model_answer(refined) == answer


def test_math_and_words_that_contain_filler_letters_are_left_alone() -> None:
    assert clean_reasoning("x = 3.5 and y = 2") == "x = 3.5 and y = 2."
    assert (
        clean_reasoning("the drum hummed, summing 1, 2, ..., n") == "The drum hummed, summing 1, 2, ..., n."
    )
    assert clean_reasoning("i think so") == "I think so."


def test_nothing_left_to_train_on_is_dropped() -> None:
    assert refine_completion("<think>umm... hmm...</think><answer>4</answer>") is None
    assert refine_completion("<think>I cannot tell.</think><answer></answer>") is None
    assert refine_completion("") is None


def test_split_trace_reads_each_form() -> None:
    assert split_trace("<think>a</think> <answer>\\boxed{\\frac{1}{2}}</answer>") == ("a", "\\frac{1}{2}")
    assert split_trace("reason <answer>7</answer>") == ("reason", "7")
    assert split_trace("<think>no end <answer>3</answer>") == ("no end", "3")


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(R1Error, match="unknown format 'xml'"):
        render_trace("r", "1", "xml")


def test_row_is_sft_ready_and_carries_the_gold() -> None:
    gold = gold_columns({"question": "q", "answer": "so\n#### 1,200"})
    row = coldstart_row(3, "q", "a", method="refine", model=None, system_prompt="sys", gold=gold)
    assert row == {
        "id": 3,
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
        ],
        "method": "refine",
        "model": None,
        "answer": "1200",
        "solution": "so\n#### 1,200",
    }
    assert gold_columns({"answer": 12}) == {"answer": "12", "solution": "12"}
    assert gold_columns({"problem": "no gold"}) == {}


def test_zero_outputs_are_read_from_chat_prompts_and_refined_into_rows(tmp_path: Path) -> None:
    path = tmp_path / "zero.jsonl"
    chat_prompt = [
        {"role": "system", "content": "think first"},
        {"role": "user", "content": "What is 2 + 3 * 4?"},
    ]
    lines = [
        {"prompt": chat_prompt, "completion": SEED_MESSY, "solution": "#### 14"},
        {
            "id": "b",
            "problem": "1 + 1?",
            "completion": [{"role": "assistant", "content": "<think>hmm</think>"}],
        },
        {"question": "2 + 2?", "completion": "uh 2 + 2 = 4 <answer>4</answer>"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    rows = read_zero_outputs(path)
    assert [(r["id"], r["problem"]) for r in rows] == [
        (0, "What is 2 + 3 * 4?"),
        ("b", "1 + 1?"),
        (2, "2 + 2?"),
    ]
    refined, unusable = refine_by_rules(rows, "think", "SYS")
    assert unusable == 1
    assert [r["id"] for r in refined] == [0, 2]
    first = refined[0]
    assert first["method"] == "refine" and first["model"] is None
    assert first["messages"][0] == {"role": "system", "content": "SYS"}
    assert first["messages"][1] == {"role": "user", "content": "What is 2 + 3 * 4?"}
    assert first["messages"][2]["content"] == refine_completion(SEED_MESSY)
    assert (first["answer"], first["solution"]) == ("14", "#### 14")
    assert "answer" not in refined[1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ('{"prompt": "q"}\n', ":1: no `completion`"),
        ('{"prompt": "q", "completion": "4"}\n{"completion": "4"}\n', ":2: no problem text"),
        ('{"prompt": [], "completion": "4"}\n', ":1: no problem text"),
        ("not json\n", ":1: malformed JSON"),
        (
            '{"id": 1, "prompt": "q", "completion": "4"}\n{"id": 1, "prompt": "r", "completion": "5"}\n',
            ":2: id 1 repeats line 1",
        ),
        ('{"id": [1], "prompt": "q", "completion": "4"}\n', ":1: `id` must be a string or an integer"),
    ],
)
def test_bad_refine_input_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "zero.jsonl"
    path.write_text(content)
    with pytest.raises(R1Error, match=message):
        read_zero_outputs(path)
    with pytest.raises(R1Error, match="input not found"):
        read_zero_outputs(tmp_path / "missing.jsonl")


def test_model_rewrites_are_kept_only_when_the_answer_still_matches() -> None:
    row = {"problem": "What is 2 + 3 * 4?", "completion": SEED_MESSY}
    prompt = model_refine_prompt(row, "SYS")
    assert prompt[0] == {"role": "system", "content": "SYS"}
    assert "Messy reasoning: Multiply 3 and 4. Get 12. Then add 2.\nFinal answer: 14" in prompt[1]["content"]
    assert model_refine_prompt({"problem": "q", "completion": "<think>umm</think>"}, "") is None
    rewrites = [
        "<think>Multiplication first: 3 * 4 = 12. Then 2 + 12 = 14.</think><answer>14</answer>",
        "<think>Left to right: 2 + 3 = 5, 5 * 4 = 20.</think><answer>20</answer>",
        "<think>  </think><answer>14</answer>",
        "<|special_token|> Reasoning: 12 + 2 = 14.0 <|special_token|> Summary: The answer is 14.0.",
    ]
    kept = keep_rewrites([SEED_MESSY] * 4, rewrites, "think", {"timeout": 3.0, "workers": 1})
    assert kept[0] == render_trace("Multiplication first: 3 * 4 = 12. Then 2 + 12 = 14.", "14")
    assert kept[1] is None and kept[2] is None
    assert kept[3] == render_trace("12 + 2 = 14.0.", "14")  # the original's answer, in its form


def test_several_samples_of_a_problem_as_generating_stages_write_them(tmp_path: Path) -> None:
    """`r1 sample reject --keep-all` rows: id + sample, `messages` (prompt + completion), prepared gold."""
    path = tmp_path / "samples.jsonl"
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "What is 9 + 9?"}]
    lines = [
        {"id": 7, "sample": s, "completion": text, "messages": [*messages, {"role": "assistant", "content": text}],
         "answer": "18", "solution": "9 + 9 = 18\n#### 18"}
        for s, text in enumerate(["<think>umm 9 + 9 = 18</think><answer>18</answer>", "<think>so 18</think><answer>18</answer>"])
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    rows = read_zero_outputs(path)
    assert [(r["id"], r["sample"], r["problem"]) for r in rows] == [
        (7, 0, "What is 9 + 9?"),
        (7, 1, "What is 9 + 9?"),
    ]
    refined, _ = refine_by_rules(rows, "think", "")
    assert [(r["id"], r["sample"]) for r in refined] == [(7, 0), (7, 1)]
    assert (refined[0]["answer"], refined[0]["solution"]) == ("18", "9 + 9 = 18\n#### 18")
    path.write_text("".join(json.dumps(line) + "\n" for line in [lines[0], lines[0]]))
    with pytest.raises(R1Error, match=":2: id 7 sample 0 repeats line 1"):
        read_zero_outputs(path)
