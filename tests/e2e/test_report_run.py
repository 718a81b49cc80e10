"""`r1 report` on a real tiny GRPO run: valid PNGs and report.md from what training wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_report_of_a_real_tiny_run(tmp_path: Path) -> None:
    from matplotlib.image import imread

    run = tmp_path / "zero"
    train = runner.invoke(
        app,
        [
            "train", "zero", "--output-dir", str(run), "--grpo.max_steps", "2",
            "--grpo.per_device_train_batch_size", "4", "--grpo.num_generations", "2",
            "--grpo.max_completion_length", "8", "--data.synthetic_size", "16",
        ],
    )  # fmt: skip
    assert train.exit_code == 0, train.output
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    report = run / "report.md"
    assert result.stdout.strip() == str(report)
    text = report.read_text()
    assert "kind: GRPO, finished" in text and "last step 2" in text
    for name in (
        "reward_total",
        "reward_accuracy",
        "reward_format",
        "loss",
        "learning_rate",
        "format_compliance",
    ):
        png = run / "plots" / f"{name}.png"
        assert png.read_bytes()[:4] == b"\x89PNG", name
        assert imread(png).ndim == 3
        assert f"(plots/{name}.png)" in text
