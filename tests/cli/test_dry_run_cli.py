"""`--dry-run` on every long command: exit 0, what would run on stdout, nothing written, no weights loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("r1_cache")


def _problems(tmp_path: Path) -> Path:
    path = tmp_path / "problems.jsonl"
    path.write_text(
        "".join(json.dumps({"question": f"What is {i} + 2?", "answer": str(i + 2)}) + "\n" for i in range(5))
    )
    return path


def _run(args: list[str], tmp_path: Path) -> str:
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    assert "nothing was written" in result.stdout
    return result.stdout


def test_train_zero_dry_run_shows_settings_rows_a_rendered_prompt_steps_memory_and_output(
    tmp_path: Path,
) -> None:
    out = tmp_path / "zero"
    shown = _run(
        ["train", "zero", "-o", str(out), "--grpo.max_steps", "5", "--data.synthetic_size", "100"], tmp_path
    )
    assert "grpo.max_steps = 5  # cli" in shown and "data.synthetic_size = 100  # cli" in shown
    assert "sft.use_cpu" not in shown  # another trainer's machine settings are noise here
    assert "rows: train 90, test 10" in shown
    assert "<|im_start|>system\n" in shown and "<|im_start|>assistant" in shown
    assert "5 steps, 80 completions" in shown
    assert "memory estimate" in shown and "total " in shown
    assert f"output: new: {out}" in shown


def test_a_refused_output_is_said_not_raised(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    shown = _run(["train", "zero", "-o", str(out), "--data.synthetic_size", "100"], tmp_path)
    assert f"output: refused: {out} is not empty" in shown


def test_train_sft_dry_run(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"2+{i}?"}, {"role": "assistant", "content": str(2 + i)}]}
        for i in range(20)
    ]
    data = tmp_path / "sft.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    shown = _run(
        ["train", "sft", "--data", str(data), "-o", str(tmp_path / "sft"), "--sft.max_steps", "3"], tmp_path
    )
    assert "3 steps of" in shown and "<|im_start|>user\n  2+" in shown
    assert shown.split("work:")[0].rstrip().endswith("<|im_end|>")  # the whole conversation, as trained on


def test_sample_reject_and_distill_dry_runs(tmp_path: Path) -> None:
    problems = _problems(tmp_path)
    shown = _run(
        [
            "sample",
            "reject",
            "-m",
            "r1-tiny",
            "--data",
            str(problems),
            "-o",
            str(tmp_path / "a.jsonl"),
            "-k",
            "3",
        ],
        tmp_path,
    )
    assert "rows: problems 5" in shown and "15 samples (3 per problem" in shown
    assert f"output: new: {tmp_path / 'a.jsonl'}" in shown
    distilled = _run(
        ["distill", "--teacher", "r1-tiny", "--data", str(problems), "-o", str(tmp_path / "d")], tmp_path
    )
    assert "teacher: r1-tiny" in distilled and "student: r1-tiny" in distilled


def test_pipeline_dry_run(tmp_path: Path) -> None:
    out = tmp_path / "pipeline"
    shown = _run(
        ["pipeline", "run", "-o", str(out), "--data.synthetic_size", "100", "--data.test_size", "10"],
        tmp_path,
    )
    assert "rows: train 90, test 10" in shown
    assert "Think inside <think> </think>" in shown  # the pipeline's own system prompt
    assert "zero: 80 GRPO steps" in shown and f"output: new: {out}" in shown
