"""Few-shot and direct prompts, --examples validation, generated text -> rows, --drop-wrong."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from r1cli.coldstart.direct import direct_prompt
from r1cli.coldstart.fewshot import BUILTIN_EXAMPLES, fewshot_prompt, load_examples
from r1cli.coldstart.traces import coldstart_row, drop_wrong, trace_from_generation
from r1cli.plumbing.errors import R1Error

RECIPE_REWARDS = {"functions": ["accuracy"], "timeout": 3.0, "workers": 1}


@pytest.mark.parametrize("name", ["r1cli.coldstart.fewshot", "r1cli.coldstart.direct"])
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_fewshot_prompt_shows_the_seed_examples_in_the_target_form_then_asks_once() -> None:
    prompt = fewshot_prompt("What is 2 + 3 * 4?", list(BUILTIN_EXAMPLES))
    assert prompt.startswith("Problem: What's the square root of 9 plus 5?\nSolution: <think>\nFirst, find")
    assert "<answer>\n120\n</answer>\n\nProblem: Train" not in prompt
    assert prompt.count("What is 2 + 3 * 4?") == 1  # the seed appended the problem twice
    assert prompt.endswith("Problem: What is 2 + 3 * 4?\nSolution:")
    special = fewshot_prompt("q", list(BUILTIN_EXAMPLES), "special")
    assert "<|special_token|> Summary: The answer is 120." in special and "<think>" not in special


def test_direct_prompt_asks_for_reasoning_verification_and_the_form() -> None:
    assert "verify" in direct_prompt("q") and "<answer>" in direct_prompt("q")
    assert "<|special_token|> Summary: The answer is" in direct_prompt("q", "special")
    with pytest.raises(R1Error, match="unknown format"):
        direct_prompt("q", "html")


def test_examples_file_gsm8k_rows_and_worked_forms(tmp_path: Path) -> None:
    path = tmp_path / "ex.jsonl"
    path.write_text(
        '{"question": "Natalia sold 48 clips, then half as many. Total?", '
        '"answer": "She sold 48/2 = <<48/2=24>>24 more.\\n48+24 = <<48+24=72>>72.\\n#### 72"}\n'
        '{"problem": "1 + 1?", "solution": "<think>1 + 1 = 2</think><answer>2</answer>"}\n'
    )
    assert load_examples(path) == [
        ("Natalia sold 48 clips, then half as many. Total?", "She sold 48/2 = 24 more.\n48+24 = 72.", "72"),
        ("1 + 1?", "1 + 1 = 2", "2"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ('{"problem": "q"}\n', ":1: no `solution` text"),
        ('{"problem": "q", "solution": "ok\\n#### 2"}\n{"solution": "4"}\n', ":2: no `problem` text"),
        ('{"problem": "q", "solution": "I do not\\nknow"}\n', "needs worked reasoning and a final answer"),
        ('{"problem": "q", "solution": "18"}\n', "needs worked reasoning and a final answer"),
        ("[1]\n", ":1: expected a JSON object"),
    ],
)
def test_bad_examples_file_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "ex.jsonl"
    path.write_text(content)
    with pytest.raises(R1Error, match=message.replace("(", r"\(")):
        load_examples(path)


def test_missing_examples_file(tmp_path: Path) -> None:
    with pytest.raises(R1Error, match="examples file not found"):
        load_examples(tmp_path / "nope.jsonl")


def test_generated_text_is_put_in_the_target_form_or_dropped() -> None:
    generated = "<|special_token|> 3 * 4 = 12, then 2 + 12 = 14. <|special_token|> Summary: The answer is 14."
    assert (
        trace_from_generation(generated, "think")
        == "<think>\n3 * 4 = 12, then 2 + 12 = 14.\n</think>\n<answer>\n14\n</answer>"
    )
    assert trace_from_generation("<think></think><answer>3</answer>", "think") is None
    assert trace_from_generation("no idea at all", "special") is None


def test_drop_wrong_drops_only_rows_marked_wrong() -> None:
    def row(i: int, answer: str, gold: dict) -> dict:
        text = f"<think>\nwork\n</think>\n<answer>\n{answer}\n</answer>"
        return coldstart_row(i, "q", text, method="direct", model="m", system_prompt="", gold=gold)

    rows = [
        row(0, "18", {"answer": "18", "solution": "so\n#### 18"}),
        row(1, "17", {"answer": "18", "solution": "so\n#### 18"}),
        row(2, "0.5", {"answer": "\\frac{1}{2}", "solution": "\\boxed{\\frac{1}{2}}"}),
        row(3, "5", {}),  # no gold: nothing to judge, kept
        row(4, "12", {"answer": "21", "solution": "21"}),
    ]
    kept, dropped = drop_wrong(rows, RECIPE_REWARDS)
    assert [r["id"] for r in kept] == [0, 2, 3]
    assert dropped == 2
