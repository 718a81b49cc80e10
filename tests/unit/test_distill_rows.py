"""What the student of `r1 distill --method traces` learns from, and the recipe it trains with."""

from __future__ import annotations

from pathlib import Path

from r1cli.distill import student_recipe, training_rows
from r1cli.recipe import load_recipe


def _trace(problem: int, sample: int, text: str, accepted: bool, total: float = 2.0) -> dict:
    messages = [{"role": "user", "content": f"q{problem}"}, {"role": "assistant", "content": text}]
    return {"id": problem, "sample": sample, "completion": text, "accepted": accepted, "total": total,
            "rewards": {"accuracy": float(accepted), "format": 1.0}, "messages": messages}  # fmt: skip


TRACES = [
    _trace(0, 0, "right", True),
    _trace(0, 1, "right ", True),  # the same text as sample 0 once whitespace is normalized
    _trace(0, 2, "wrong", False, 1.0),
    _trace(1, 0, "wrong", False, 1.0),
    _trace(2, 0, "also right", True),
]


def test_reject_keeps_the_distinct_accepted_traces_of_each_problem() -> None:
    rows = training_rows(TRACES, "reject", keep=4)
    assert [row["messages"][-1]["content"] for row in rows] == ["right", "also right"]
    assert set(rows[0]) == {"messages"}


def test_filter_none_keeps_every_trace() -> None:
    assert len(training_rows(TRACES, "none", keep=4)) == len(TRACES)


def test_the_tiny_student_takes_its_shape_from_tiny_student(tmp_path: Path) -> None:
    recipe = load_recipe(None, None, ["--tiny_student.hidden_size", "32"])
    student = student_recipe(recipe, "r1-tiny", tmp_path)
    assert student.get("tiny.hidden_size") == 32 and recipe.get("tiny.hidden_size") == 128
    assert student.get("sft.output_dir") == str(tmp_path / "student")
    assert student_recipe(recipe, "runs/sft", tmp_path).get("tiny.hidden_size") == 128
