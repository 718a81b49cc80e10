"""Gold and model answer extraction (pure string work, no math-verify)."""

from __future__ import annotations

import json
import time

import pytest
from conftest import SHARED_DATA, needs_shared_data

from r1cli.rewards.answers import (
    answer_block,
    extract_gold_answer,
    extract_model_answer,
    last_boxed,
    normalize_answer,
)
from r1cli.rewards.completions import completion_text, prompt_text


@pytest.mark.parametrize(
    ("gold", "expected"),
    [
        (
            "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18",
            "18",
        ),
        ("So he made a profit of 200,000-130,000=$<<200000-130000=70000>>70,000\n#### 70000", "70000"),
        ("#### 1,234", "1234"),
        ("#### -5", "-5"),
        ("#### 0.5", "0.5"),
        (r"So the answer is $\boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
        (r"\[ s=\frac{45}{3600} \frac{\pi}{180} 7200=\boxed{1.6} \mathrm{~cm} \]", "1.6"),
        (r"first \boxed{1} then \boxed{\left(\frac{3}{4}\right)}", r"\left(\frac{3}{4}\right)"),
        (r"\boxed{10{,}000}", "10000"),
        ("18", "18"),
        (r"\frac{1}{2}", r"\frac{1}{2}"),
        ("$x^2 + 1$", "$x^2 + 1$"),  # kept whole: math-verify reads it as written
        ("$12$", "12"),
        ("The answer is 42.", "42"),
        (27.0, "27"),
        (18, "18"),
        (0.25, "0.25"),
    ],
)
def test_gold_answers_of_gsm8k_math_and_plain_golds(gold, expected) -> None:
    assert extract_gold_answer(gold) == expected


@pytest.mark.parametrize(
    "gold", ["", "   ", None, True, ["18"], "A long worked solution\nwith no final answer marker."]
)
def test_golds_without_an_answer_give_none(gold) -> None:
    assert extract_gold_answer(gold) is None


@needs_shared_data
def test_every_real_gsm8k_and_minerva_gold_has_an_answer() -> None:
    with (SHARED_DATA / "gsm8k" / "test.jsonl").open(encoding="utf-8") as handle:
        golds = [json.loads(line)["answer"] for line in handle]
    answers = [extract_gold_answer(g) for g in golds]
    assert all(a is not None and "," not in a for a in answers)
    assert answers[0] == "18"
    with (SHARED_DATA / "math" / "minerva_math.jsonl").open(encoding="utf-8") as handle:
        solutions = [json.loads(line)["solution"] for line in handle]
    assert all(extract_gold_answer(s) for s in solutions)


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        # The seed's own examples ("GENERATION EXAMPLES").
        (
            "<think>\nStep 1: I need to solve 2 + 2\nStep 2: Adding these numbers gives 4\n</think>\n\n"
            "<answer>\n4\n</answer>",
            "4",
        ),
        ("The answer is 5 because I think so.", "5"),
        # <answer> first, its \boxed inside, prose around one number dropped.
        (r"<think>1/2 of it</think><answer>\boxed{\frac{1}{2}}</answer>", r"\frac{1}{2}"),
        ("<think>9 * 2 = 18</think><answer>She makes $18 every day.</answer>", "18"),
        ("<think>...</think><answer>The final answer is 1,234.</answer>", "1234"),
        ("<think>unclosed answer</think><answer> 7", "7"),
        # No tags: \boxed, ####, "the answer is", "A:", last number.
        (r"We get $x = \boxed{3}$ and so on.", "3"),
        ("16 - 3 - 4 = 9\n9 * 2 = 18\n#### 18", "18"),
        ("Adding them, the answer is $\\frac{3}{4}$.", r"\frac{3}{4}"),
        ("Q: What is 2 + 3?\nA: 5", "5"),
        ("I think it costs 5 then 7 dollars", "7"),
        ("The answer is 50 percent", "50%"),
        ("Final answer: x = 5", "x = 5"),
    ],
)
def test_model_answers(completion, expected) -> None:
    assert extract_model_answer(completion) == expected


@pytest.mark.parametrize("completion", ["", "   ", "no numbers here", None, "<answer></answer>"])
def test_completions_without_an_answer(completion) -> None:
    assert extract_model_answer(completion) is None


def test_helpers() -> None:
    assert last_boxed(r"\boxed{a{b}c}") == "a{b}c"
    assert last_boxed(r"\boxed{unclosed") is None
    assert last_boxed(r"\boxed 5$") == "5"
    assert answer_block("x <answer>1</answer> <answer>2</answer>") == "2"
    assert answer_block("no tags") is None
    assert normalize_answer(r"\$1,000.") == "1000"
    assert normalize_answer(r"\(\frac{1}{2}\)") == r"\frac{1}{2}"


def test_completion_and_prompt_text_from_chat_messages() -> None:
    chat = [
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "A1"},
        {"role": "assistant", "content": "A2"},
    ]
    assert completion_text(chat) == "A2"
    assert completion_text("plain") == "plain"
    assert completion_text(None) == ""
    prompt = [{"role": "system", "content": "S"}, {"role": "user", "content": "How much?"}]
    assert prompt_text(prompt) == "How much?"
    assert prompt_text("text prompt") == "text prompt"


def test_pathological_texts_stay_fast() -> None:
    nasty = [
        "\\boxed{" * 200_000,
        "<answer>" * 200_000,
        "the answer is " * 100_000,
        "1," * 500_000,
        "x" * 5_000_000,
    ]
    started = time.perf_counter()
    for text in nasty:
        extract_model_answer(text)
        extract_gold_answer(text)
    # Linear work takes about a second on an idle 2-core machine; a regex that backtracks on these takes
    # minutes. The bound leaves room for a machine busy with other jobs.
    assert time.perf_counter() - started < 20
