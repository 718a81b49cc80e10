"""`synthetic:chain` ("What is A + B - C + D?"): distinct seeded problems, right answers, traces whose every
line is true arithmetic, prose without tags, one-line errors, and gold answers the accuracy reward judges."""

from __future__ import annotations

import re

import pytest

from r1cli.data.store import load_prompt_dataset
from r1cli.data.synthetic import chain_rows, chain_text, chain_trace, synthetic_rows, synthetic_task
from r1cli.data.text import CHAIN_TEXT, load_text_dataset
from r1cli.plumbing.errors import R1Error
from r1cli.recipe.schema import defaults
from r1cli.rewards.accuracy import make_accuracy

STEP = re.compile(r"^(-?\d+) ([+-]) (\d+) = (-?\d+)$")


def _operands(problem: str) -> list[int]:
    """The problem's signed operands, read independently of r1's parser: `47 - 19 + 3` -> [47, -19, 3]."""
    tokens = problem.removeprefix("What is ").removesuffix("?").split()
    return [int(tokens[0])] + [
        int(x) * (1 if op == "+" else -1) for op, x in zip(tokens[1::2], tokens[2::2], strict=True)
    ]


def test_rows_are_seeded_distinct_in_range_and_answered_right() -> None:
    rows = chain_rows(500, 0, 99, terms=4, seed=3)
    assert rows == chain_rows(500, 0, 99, terms=4, seed=3)
    assert rows != chain_rows(500, 0, 99, terms=4, seed=4)
    assert len({row["problem"] for row in rows}) == 500
    for row in rows:
        operands = _operands(row["problem"])
        assert len(operands) == 4 and all(0 <= abs(x) <= 99 for x in operands)
        assert row["answer"] == str(sum(operands))
    # Both operators occur, and the answer may be negative (a sign the model has to get right).
    problems = " ".join(row["problem"] for row in rows)
    assert " + " in problems and " - " in problems
    assert any(row["answer"].startswith("-") for row in rows)


def test_the_recipe_sizes_the_task_and_sets_its_operand_count() -> None:
    data = {**defaults()["data"], "synthetic_size": 30, "synthetic_terms": 3, "synthetic_seed": 5}
    rows = synthetic_rows("synthetic:chain", data)
    assert len(rows) == 30 and all(len(_operands(row["problem"])) == 3 for row in rows)
    assert rows == chain_rows(30, 0, 99, terms=3, seed=5)


def test_every_trace_line_is_true_arithmetic_and_the_last_result_is_the_answer() -> None:
    for row in chain_rows(200, 0, 99, terms=4, seed=1):
        trace = chain_trace(row["problem"])
        think, answer = re.fullmatch(
            r"<think>\n(.*)\n</think>\n<answer>\n(.*)\n</answer>", trace, re.S
        ).groups()
        assert answer == row["answer"]
        lines, operands = think.splitlines(), _operands(row["problem"])
        assert len(lines) == len(operands) - 1  # one operation per line
        total = operands[0]
        for line, operand in zip(lines, operands[1:], strict=True):
            left, op, right, result = STEP.match(line).groups()
            assert int(left) == total and int(right) == abs(operand) and (op == "-") == (operand < 0)
            total = int(left) + int(right) if op == "+" else int(left) - int(right)
            assert int(result) == total
        assert str(total) == answer


def test_the_prose_has_the_same_steps_and_no_tags() -> None:
    for row in chain_rows(50, 0, 99, terms=4, seed=2):
        text = chain_text(row["problem"])
        assert not re.search(r"</?(think|answer)>|<\|im_", text)
        assert text.startswith(f"Question: {row['problem']}\nAnswer: ")
        assert text.endswith(f" = {row['answer']}.")
        steps = [line for line in chain_trace(row["problem"]).splitlines() if STEP.match(line)]
        assert all(f"{step}." in text for step in steps)


def test_the_chain_text_corpus_is_the_train_problems_only() -> None:
    data = {**defaults()["data"], "dataset": CHAIN_TEXT, "synthetic_size": 300}
    texts = load_text_dataset(data)["text"]
    problems = load_prompt_dataset({**data, "dataset": "synthetic:chain"})
    questions = [text.splitlines()[0].removeprefix("Question: ") for text in texts]
    assert questions == problems["train"]["problem"]
    assert not set(questions) & set(problems["test"]["problem"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"synthetic_min": 50, "synthetic_max": 10},
            r"data.synthetic_max \(10\) is below data.synthetic_min \(50\)",
        ),
        ({"synthetic_min": -5}, "data.synthetic_min must be >= 0 for synthetic:chain, got -5"),
        ({"synthetic_terms": 1}, "data.synthetic_terms must be an integer >= 2, got 1"),
        ({"synthetic_terms": "four"}, "data.synthetic_terms must be an integer >= 2, got 'four'"),
        ({"synthetic_size": 0}, "data.synthetic_size must be at least 1, got 0"),
        (
            {"synthetic_size": 33, "synthetic_min": 1, "synthetic_max": 2, "synthetic_terms": 3},
            r"data.synthetic_size 33 is more than the 32 distinct problems in 1..2 with 3 terms",
        ),
    ],
)
def test_bad_parameters_are_one_line_errors_naming_the_key(changes: dict, message: str) -> None:
    with pytest.raises(R1Error, match=message) as error:
        synthetic_rows("synthetic:chain", {**defaults()["data"], **changes})
    assert "\n" not in str(error.value)


def test_an_unknown_task_name_suggests_the_nearest() -> None:
    with pytest.raises(R1Error, match="unknown synthetic task 'synthetic:chian'") as error:
        synthetic_task("synthetic:chian")
    assert "synthetic:chain" in (error.value.hint or "")


def test_the_accuracy_reward_judges_prepared_chain_golds_with_their_sign() -> None:
    data = {**defaults()["data"], "dataset": "synthetic:chain", "synthetic_size": 200}
    train = load_prompt_dataset(data)["train"]
    negative = next(row for row in train if row["solution"].startswith("-"))
    positive = next(row for row in train if not row["solution"].startswith("-") and row["solution"] != "0")
    accuracy = make_accuracy(workers=1)
    gold_neg, gold_pos = negative["solution"], positive["solution"]
    completions = [
        chain_trace(negative["problem"]),  # the worked trace: right
        f"<answer>{gold_neg}</answer>",  # right
        f"<answer>{gold_neg.removeprefix('-')}</answer>",  # sign dropped: wrong
        f"<answer>{int(gold_neg) + 1}</answer>",  # off by one: wrong
        chain_trace(positive["problem"]),
        f"<answer>-{gold_pos}</answer>",  # a sign added: wrong
    ]
    solutions = [gold_neg] * 4 + [gold_pos] * 2
    assert accuracy(completions, solution=solutions) == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
