"""The validation problems of GRPO's in-training checks: carved from train, never trained on, the same on rerun."""

from __future__ import annotations

import datasets
import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.train.settings import validation_settings
from r1cli.train.validation import carve_validation


def _train(rows: int) -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [
            {
                "problem": f"What is {i} + 1?",
                "prompt": [{"role": "user", "content": f"What is {i} + 1?"}],
                "answer": str(i + 1),
                "solution": str(i + 1),
            }
            for i in range(rows)
        ]
    )


def test_carved_problems_leave_the_training_rows_and_are_the_same_each_time() -> None:
    train, problems = carve_validation(_train(50), 10, seed=42)
    assert len(train) == 40 and len(problems) == 10
    trained = set(train["problem"])
    carved = [p.row["problem"] for p in problems]
    assert not trained & set(carved) and len(trained | set(carved)) == 50
    assert [p.row["answer"] for p in problems] == [str(int(q.split()[2]) + 1) for q in carved]
    again = carve_validation(_train(50), 10, seed=42)[1]
    assert [p.row["problem"] for p in again] == carved
    other = carve_validation(_train(50), 10, seed=7)[1]
    assert [p.row["problem"] for p in other] != carved


def test_a_validation_as_large_as_train_is_refused() -> None:
    with pytest.raises(R1Error, match="leaves no training row"):
        carve_validation(_train(8), 8, seed=0)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"every": -1}, "validation.every must be a whole number >= 0"),
        ({"size": 0}, "validation.size must be a whole number >= 1"),
        ({"every": 1.5}, "validation.every must be a whole number"),
        ({"keep_best": "no"}, "validation.keep_best must be true or false"),
    ],
)
def test_bad_settings_are_one_line_errors(section: dict, message: str) -> None:
    with pytest.raises(R1Error) as caught:
        validation_settings(section)
    assert message in caught.value.message


def test_off_by_default() -> None:
    assert not validation_settings({}).enabled and validation_settings({"every": 5}).enabled
