"""`r1 report` through the CLI: the report's path on stdout, the summary on stderr, one-line errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()


def test_report_prints_the_report_path_and_a_summary(tmp_path):
    run = tmp_path / "zero"
    run.mkdir()
    rows = [{"step": s, "reward": 0.1 * s, "rewards/accuracy/mean": 0.1 * s, "loss": 0.5} for s in (1, 2, 3)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(run / "report.md")
    assert "rewards/accuracy/mean" in result.stderr and "3 plots in" in result.stderr
    assert (run / "plots" / "reward_accuracy.png").is_file()


def test_report_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "metrics.jsonl").write_text("")
    (tmp_path / "none").mkdir()
    for folder, message in (("none", "has no metrics.jsonl"), ("empty", "holds no training step yet")):
        result = runner.invoke(app, ["report", str(tmp_path / folder)])
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and message in result.stderr
        assert result.stdout == ""
