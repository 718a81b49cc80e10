"""`r1 coldstart ...` and `r1 sample reject` through the real CLI: refine by rules, and every bad input is
one line, exit 1, with an existing output left as it was (model runs are in tests/e2e)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()
MESSY = "<think>  ummm... multiply 3 and 4... get 12... then add 2...</think>\n<answer> 14 </answer>"


def write(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_refine_by_rules_writes_rows_and_prints_the_path(tmp_path: Path) -> None:
    zero = write(
        tmp_path / "zero.jsonl", [{"prompt": "What is 2 + 3 * 4?", "completion": MESSY, "answer": 14}]
    )
    out = tmp_path / "cold.jsonl"
    result = runner.invoke(
        app, ["coldstart", "refine", str(zero), "-o", str(out), "--format", "special", "--drop-wrong"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "1 rows written" in result.stderr
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["messages"][-1]["content"] == (
        "<|special_token|> Reasoning: Multiply 3 and 4. Get 12. Then add 2.\n<|special_token|> Summary: The answer is 14."
    )


def _cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    good = write(tmp_path / "good.jsonl", [{"question": "What is 1 + 1?", "answer": "#### 2"}])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    no_problem = write(tmp_path / "noproblem.jsonl", [{"question": "What is 1 + 1?"}, {"question": "  "}])
    not_a_model = tmp_path / "not_a_model"
    not_a_model.mkdir()
    (not_a_model / "notes.txt").write_text("hello")
    bad_examples = write(tmp_path / "ex.jsonl", [{"question": "What is 1 + 1?"}])
    return {
        "missing problems": (["sample", "reject", "--data", str(tmp_path / "nope.jsonl")], "nope.jsonl"),
        "empty problems": (["coldstart", "direct", "--data", str(empty)], "empty.jsonl"),
        "row without a problem": (
            ["sample", "reject", "--data", str(no_problem)],
            "row 2 has no problem text",
        ),
        "not a model": (
            ["coldstart", "fewshot", "--data", str(good), "--model", str(not_a_model)],
            "is not a model directory",
        ),
        "missing model": (
            ["sample", "reject", "--data", str(good), "--model", str(tmp_path / "gone")],
            "does not exist",
        ),
        "K below 1": (["sample", "reject", "--data", str(good), "--num-samples", "0"], "--num-samples = 0"),
        "examples without a solution": (
            ["coldstart", "fewshot", "--data", str(good), "--examples", str(bad_examples)],
            "ex.jsonl:1: no `solution` text",
        ),
        "unknown format": (
            ["coldstart", "direct", "--data", str(good), "--format", "xml"],
            "unknown format 'xml'",
        ),
        "refine input missing": (["coldstart", "refine", str(tmp_path / "nozero.jsonl")], "input not found"),
    }


CASES = [
    "missing problems",
    "empty problems",
    "row without a problem",
    "not a model",
    "missing model",
    "K below 1",
    "examples without a solution",
    "unknown format",
    "refine input missing",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_1_and_the_output_is_kept(tmp_path: Path, case: str) -> None:
    args, message = _cases(tmp_path)[case]
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": 0, "precious": true}\n')
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("r1: error:"), result.stderr
    assert message in lines[0]
    assert out.read_text() == '{"id": 0, "precious": true}\n'
