"""Scoring a JSONL file: row checks, GRPO-style keyword arguments, totals, statistics, atomic output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.scoring import check_row, read_rows, reward_inputs, score_file

CFG = {"functions": ["accuracy", "format"], "weights": [], "timeout": 5.0, "workers": 1}
RIGHT = "<think>\n9 * 2 = 18\n</think>\n<answer>\n18\n</answer>"


def write(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines))
    return path


def test_score_file_keeps_order_ids_nulls_and_weighted_totals(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "completion": RIGHT, "solution": "#### 18"},
        {"id": 2, "completion": [{"role": "assistant", "content": "The answer is 17."}], "solution": "18"},
        {"completion": RIGHT, "solution": "no final answer\nin this gold"},
    ]
    path = write(tmp_path / "in.jsonl", [json.dumps(r) for r in rows] + [""])
    report = score_file(path, CFG, ["accuracy", "format"], [2.0, 0.5])
    assert report.rows == [
        {"id": "a", "rewards": {"accuracy": 1.0, "format": 1.0}, "total": 2.5},
        {"id": 2, "rewards": {"accuracy": 0.0, "format": 0.0}, "total": 0.0},
        {"rewards": {"accuracy": None, "format": 1.0}, "total": 0.5},
    ]
    accuracy, fmt = report.stats
    assert (accuracy.mean, accuracy.low, accuracy.high, accuracy.nulls) == (0.5, 0.0, 1.0, 1)
    assert fmt.mean == pytest.approx(2 / 3)
    assert report.rows_per_second > 0


def test_format_only_rows_need_no_solution(tmp_path: Path) -> None:
    path = write(tmp_path / "in.jsonl", [json.dumps({"completion": RIGHT})])
    assert score_file(path, CFG, ["format", "tag_count"]).rows[0]["rewards"] == {
        "format": 1.0,
        "tag_count": 1.0,
    }
    with pytest.raises(R1Error, match=r":1: has no `solution` .*accuracy"):
        score_file(path, CFG, ["format", "accuracy"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"completion": "x", "solution": "1"', ":2: malformed JSON"),
        (b"[1, 2]", ":2: expected a JSON object, got an array"),
        (b'"text"', ":2: expected a JSON object, got a string"),
        (b'{"solution": "1"}', ":2: has no `completion`"),
        (b'{"completion": 5, "solution": "1"}', "`completion` must be a string"),
        (b'{"completion": [{"role": "assistant"}], "solution": "1"}', "`completion` must be a string"),
        (b'{"completion": "x", "solution": ["1"]}', "`solution` must be a string or a number"),
        (b'{"completion": "x", "solution": true}', "`solution` must be a string or a number"),
        (b'{"completion": "x", "solution": "1", "completion_ids": ["a"]}', "`completion_ids`"),
        (b'{"completion": "x", "solution": "1", "prompt": 3}', "`prompt`"),
        (b'{"completion": "x", "solution": "1", "completions": "n/a"}', "a `completions` column"),
        (b'{"completion": "caf\xe9", "solution": "1"}', ":2: not UTF-8"),
        (b"[" * 100_000, ":2: malformed JSON"),
    ],
)
def test_bad_rows_name_their_line(tmp_path: Path, line: bytes, message: str) -> None:
    path = write(tmp_path / "in.jsonl", [json.dumps({"completion": RIGHT, "solution": "18"}).encode(), line])
    with pytest.raises(R1Error, match=message):
        read_rows(path, needs_solution=["accuracy"])
    rows, skipped = read_rows(path, needs_solution=["accuracy"], skip_bad=True)
    assert len(rows) == 1
    assert len(skipped) == 1 and skipped[0].startswith("line 2: ")


def test_missing_empty_and_all_bad_files(tmp_path: Path) -> None:
    with pytest.raises(R1Error, match="not found"):
        read_rows(tmp_path / "missing.jsonl")
    with pytest.raises(R1Error, match="directory"):
        read_rows(tmp_path)
    with pytest.raises(R1Error, match="no rows"):
        read_rows(write(tmp_path / "empty.jsonl", ["", "   "]))
    with pytest.raises(R1Error, match=r"no rows to score \(1 bad lines skipped\)"):
        read_rows(write(tmp_path / "bad.jsonl", ["nope"]), skip_bad=True)


def test_solution_may_be_a_json_number(tmp_path: Path) -> None:
    path = write(tmp_path / "in.jsonl", [json.dumps({"completion": "<answer>27</answer>", "solution": 27.0})])
    assert score_file(path, CFG, ["accuracy"]).rows[0]["rewards"] == {"accuracy": 1.0}


def test_rewards_get_grpo_style_keyword_arguments() -> None:
    rows = [
        {"completion": "a", "prompt": "p", "solution": "1", "level": 3, "completion_ids": [1, 2]},
        {"completion": "b", "solution": "2", "id": 7},
    ]
    kwargs = reward_inputs(rows)
    assert kwargs["completions"] == ["a", "b"]
    assert kwargs["prompts"] == ["p", None]
    assert kwargs["completion_ids"] == [[1, 2], None]
    assert kwargs["solution"] == ["1", "2"]
    assert kwargs["level"] == [3, None]
    assert kwargs["id"] == [None, 7]
    assert "prompt" not in kwargs and "completion" not in kwargs
    assert check_row({"completion": "x"}, []) is None


def test_a_ten_megabyte_line_is_scored_fast(tmp_path: Path) -> None:
    import time

    think = "Step 1: add the numbers. " * 400_000
    row = {"id": "big", "completion": f"<think>{think}</think><answer>18</answer>", "solution": "#### 18"}
    path = write(tmp_path / "big.jsonl", [json.dumps(row)])
    assert path.stat().st_size > 10_000_000
    started = time.perf_counter()
    names = [
        "accuracy",
        "format",
        "tag_count",
        "reasoning_steps",
        "cosine",
        "repetition_penalty",
        "soft_overlong",
    ]
    report = score_file(path, CFG, names)
    assert time.perf_counter() - started < 20
    assert report.rows[0]["rewards"]["accuracy"] == 1.0
    assert report.rows[0]["rewards"]["format"] == 1.0
