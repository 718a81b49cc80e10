"""One row at a time: the R1-Zero prompt, the gold answer and its column, ShareGPT roles, answer kinds."""

from __future__ import annotations

import pytest

from r1cli.data.prompts import (
    answer_kind,
    build_prompt,
    pick_answer_columns,
    pick_problem_column,
    to_messages,
    to_prompt_row,
)
from r1cli.plumbing.errors import R1Error


def test_prompt_is_system_then_the_problem_as_is():
    problem = "  What is $1 + 1$?\n"
    assert build_prompt(problem, "SYS") == [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": problem},
    ]


def test_gold_from_answer_first_then_solution():
    columns = ["problem", "solution", "answer"]
    assert pick_answer_columns("", columns) == ["answer", "solution"]
    assert pick_answer_columns("solution", columns) == ["solution"]
    assert pick_problem_column("", ["question", "answer"]) == "question"
    row = {"problem": "P", "answer": None, "solution": "so \\boxed{\\frac{3}{4}}"}
    out = to_prompt_row(row, "problem", ["answer", "solution"], "S", "solution")
    assert (out["answer"], out["solution"], out["_drop"]) == ("\\frac{3}{4}", row["solution"], "")
    assert out["source_solution"] == row["solution"]
    gsm = to_prompt_row({"question": "Q", "answer": "9 * 2 = 18\n#### 1,018"}, "question", ["answer"], "S")
    assert (gsm["problem"], gsm["answer"], gsm["solution"]) == ("Q", "1018", "9 * 2 = 18\n#### 1,018")
    number = to_prompt_row({"problem": "P", "answer": 2.5}, "problem", ["answer"], "S")
    assert (number["answer"], number["solution"]) == ("2.5", "2.5")
    assert (
        to_prompt_row({"problem": "  ", "answer": "1"}, "problem", ["answer"], "S")["_drop"]
        == "no problem text"
    )
    assert (
        to_prompt_row({"problem": "P", "answer": ""}, "problem", ["answer"], "S")["_drop"] == "no gold answer"
    )


def test_missing_columns_are_named():
    with pytest.raises(R1Error, match="no answer column found"):
        pick_answer_columns("", ["problem", "text"])
    with pytest.raises(R1Error, match="column 'anwser'") as err:
        pick_answer_columns("anwser", ["problem", "answer"])
    assert err.value.hint == "did you mean 'answer'?"


def test_sharegpt_and_messages():
    turns = [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]
    assert to_messages(turns, system="S") == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "A"},
    ]
    with_system = [
        {"role": "system", "content": "own"},
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "A"},
    ]
    assert to_messages(with_system, system="S")[0] == {"role": "system", "content": "own"}
    assert to_messages([], None) == "no conversation"
    assert to_messages([{"from": "user", "value": "Q"}], None) == "no assistant turn"
    assert to_messages([{"from": "alien", "value": "Q"}], None) == "unknown role"
    assert to_messages([{"from": "user", "value": 3}], None) == "malformed turn"


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("18", "integer"),
        ("-3", "integer"),
        ("0.25", "decimal"),
        ("3e6", "decimal"),
        ("3/4", "fraction"),
        ("\\frac{3}{4}", "fraction"),
        ("\\dfrac34", "fraction"),
        ("\\frac{\\pi}{2}", "latex"),
        ("x^2+1", "expression"),
        ("(1, 2)", "expression"),
        ("Tuesday", "text"),
    ],
)
def test_answer_kinds(answer, kind):
    assert answer_kind(answer) == kind
