"""Experiment trackers: `report_to = "tensorboard"` writes event files with the reward and loss series for
GRPO and SFT (tensorboard is in the dev extra); a tracker that is named but not installed is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

pytest.importorskip("tensorboard", reason="tensorboard (dev extra) reads the event files")
pytestmark = pytest.mark.slow
runner = CliRunner()


def _scalars(output_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (run,) = (output_dir / "runs").iterdir()
    events = EventAccumulator(str(run))
    events.Reload()
    return {tag: [(s.step, s.value) for s in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_grpo_reports_rewards_and_loss_to_tensorboard(tmp_path: Path) -> None:
    out = tmp_path / "zero"
    args = ["train", "zero", "-o", str(out), "--grpo.max_steps", "2", "--grpo.report_to", "tensorboard"]
    args += ["--grpo.per_device_train_batch_size", "8", "--grpo.num_generations", "4"]
    result = runner.invoke(app, [*args, "--grpo.max_completion_length", "8"])
    assert result.exit_code == 0, result.output
    scalars = _scalars(out)
    for tag in ("train/loss", "train/reward", "train/rewards/accuracy/mean", "train/r1/format_compliance"):
        assert [step for step, _ in scalars[tag]] == [1, 2], tag


def test_sft_reports_loss_to_tensorboard(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} + 1?"},
                {"role": "assistant", "content": str(i + 1)},
            ]
        }
        for i in range(8)
    ]
    data = tmp_path / "sft.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "sft"
    args = [
        "train",
        "sft",
        "--data",
        str(data),
        "-o",
        str(out),
        "--sft.max_steps",
        "2",
        "--sft.logging_steps",
        "1",
    ]
    result = runner.invoke(
        app, [*args, "--sft.report_to", "tensorboard", "--sft.per_device_train_batch_size", "4"]
    )
    assert result.exit_code == 0, result.output
    scalars = _scalars(out)
    assert [step for step, _ in scalars["train/loss"]] == [1, 2]
    assert all(value > 0 for _, value in scalars["train/loss"])
