"""r1cli.report.summary: reading metrics.jsonl (also while a run writes it), summaries, plots, report.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.report.summary import FIXED_METRICS, read_run, smooth, summarize, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write_run(directory: Path, rows: list[dict], tail: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row) + "\n" for row in rows) + tail
    (directory / "metrics.jsonl").write_text(text)
    return directory


def _grpo_rows(steps: int, slope: float = 0.1) -> list[dict]:
    return [
        {
            "step": step,
            "loss": 1.0 / step,
            "learning_rate": 1e-3,
            "rewards/accuracy/mean": slope * step,
            "rewards/format/mean": 0.5,
            "reward": slope * step + 0.5,
            "completions/mean_length": 10.0 + step,
            "r1/format_compliance": 0.25,
            "r1/wall_time_per_step": 2.0,
        }
        for step in range(1, steps + 1)
    ]


def _is_png(path: Path) -> bool:
    from matplotlib.image import imread

    return path.read_bytes()[:8] == PNG_MAGIC and imread(path).shape[0] > 100


def test_a_torn_last_line_of_a_running_run_is_left_out(tmp_path):
    run = _write_run(tmp_path / "run", _grpo_rows(4), tail='{"step": 5, "loss": 0.')
    metrics = read_run(run)
    assert [row["step"] for row in metrics.rows] == [1, 2, 3, 4]
    assert metrics.skipped == 1
    assert metrics.wall_seconds() == 8.0


def test_wall_time_counts_the_steps_between_logs(tmp_path):
    rows = [{"step": 5, "loss": 1.0, "step_time": 1.5}, {"step": 10, "loss": 0.5, "step_time": 2.5}]
    assert read_run(_write_run(tmp_path / "run", rows)).wall_seconds() == 5 * 1.5 + 5 * 2.5


def test_final_best_and_trend_follow_which_way_is_better(tmp_path):
    rows = _grpo_rows(8)
    rows[2]["loss"] = 0.01  # the lowest loss, at step 3
    run = read_run(_write_run(tmp_path / "run", rows))
    by_key = {m.key: summarize(run, m) for m in run.metrics()}
    accuracy = by_key["rewards/accuracy/mean"]
    assert (accuracy.final, accuracy.final_step) == (pytest.approx(0.8), 8)
    assert (accuracy.best, accuracy.best_step) == (pytest.approx(0.8), 8)
    assert accuracy.start == pytest.approx(0.15) and accuracy.end == pytest.approx(0.75)
    assert accuracy.trend.startswith("↑") and accuracy.trend.endswith("(better)")
    loss = by_key["loss"]
    assert (loss.best, loss.best_step) == (0.01, 3)
    assert loss.trend.startswith("↓") and loss.trend.endswith("(better)")
    assert by_key["completions/mean_length"].best is None
    assert by_key["rewards/format/mean"].trend == "flat"


def test_sft_runs_plot_what_they_log(tmp_path):
    rows = [
        {"step": s, "loss": 2.0 / s, "learning_rate": 1e-4, "grad_norm": 1.0, "mean_token_accuracy": 0.1 * s}
        for s in range(1, 6)
    ]
    rows += [
        {"step": 3, "eval_loss": 1.5, "eval_runtime": 0.1},
        {"step": 5, "eval_loss": 1.2, "eval_runtime": 0.1},
    ]
    report = write_report([_write_run(tmp_path / "sft", rows)])
    names = sorted(p.name for p in report.plots)
    assert names == ["eval_loss.png", "learning_rate.png", "loss.png", "token_accuracy.png"]
    assert "| eval_loss | 1.2 (5) | 1.2 (5) |" in report.markdown.read_text()
    assert all(_is_png(p) for p in report.plots)
    assert "kind: SFT" in report.markdown.read_text()


def test_one_run_gets_its_plots_and_report_in_its_folder(tmp_path):
    run = _write_run(tmp_path / "zero", _grpo_rows(12))
    report = write_report([run])
    assert report.markdown == run / "report.md"
    names = {p.name for p in report.plots}
    assert names == {
        "reward_accuracy.png",
        "reward_format.png",
        "reward_total.png",
        "loss.png",
        "completion_length.png",
        "format_compliance.png",
        "learning_rate.png",
    }
    assert all(p.parent == run / "plots" and _is_png(p) for p in report.plots)
    text = report.markdown.read_text()
    assert "| rewards/accuracy/mean | 1.2 (12) | 1.2 (12) |" in text
    assert "wall time: 0m 24s" in text
    assert "in progress or stopped" in text  # no final model in the folder
    assert "![reward_total](plots/reward_total.png)" in text


def test_several_runs_share_one_set_of_plots(tmp_path):
    a = _write_run(tmp_path / "a", _grpo_rows(6))
    b = _write_run(tmp_path / "b", _grpo_rows(9, slope=0.05))
    (b / "model.safetensors").write_bytes(b"")
    report = write_report([a, b], tmp_path / "cmp")
    assert report.markdown == tmp_path / "cmp" / "report.md"
    assert len(report.plots) == 7 and all(_is_png(p) for p in report.plots)
    assert not (a / "report.md").exists() and not (b / "plots").exists()
    text = report.markdown.read_text()
    assert "| a | 6 | 0m 12s |" in text and "| b | 9 | 0m 18s |" in text
    assert "## a" in text and "## b" in text and "kind: GRPO, finished" in text


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d.mkdir(), "has no metrics.jsonl"),
        (lambda d: _write_run(d, []), "holds no training step yet"),
        (lambda d: _write_run(d, [], tail='{"step": 1, "lo'), "holds no training step yet"),
        (lambda d: None, "is not a directory"),
    ],
)
def test_unusable_run_folders_are_one_clear_error(tmp_path, setup, message):
    setup(tmp_path / "run")
    with pytest.raises(R1Error, match=message):
        write_report([tmp_path / "run"])


def test_several_runs_need_an_output_folder(tmp_path):
    a, b = _write_run(tmp_path / "a", _grpo_rows(2)), _write_run(tmp_path / "b", _grpo_rows(2))
    with pytest.raises(R1Error, match="2 runs need --output"):
        write_report([a, b])


def test_smoothing_is_a_trailing_mean():
    assert smooth([1.0, 3.0, 5.0, 7.0, 9.0], 3) == [1.0, 2.0, 3.0, 5.0, 7.0]
    assert {m.key for m in FIXED_METRICS} >= {"reward", "loss", "learning_rate", "r1/format_compliance"}


def test_docstring_examples():
    import doctest

    import r1cli.report.summary

    assert doctest.testmod(r1cli.report.summary).failed == 0


def _write_completions(directory: Path, steps: int, tail: str = "") -> None:
    lines = []
    for step in range(1, steps + 1):
        for index, right in enumerate([step > steps // 2, False]):
            completion = f"<think>step {step}</think><answer>{'5' if right else '7'}</answer>"
            rewards = {"accuracy": 1.0 if right else 0.0, "format": 1.0}
            row = {"step": step, "prompt": f"What is 2 + {index + 2}?", "completion": completion}
            lines.append(
                {**row, "rewards": rewards, "reward": sum(rewards.values()), "advantage": 0.5 - index}
            )
    (directory / "completions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines) + tail)


def test_a_grpo_report_shows_best_and_worst_samples_per_stage_and_when_rewards_rose(tmp_path):
    run = _write_run(tmp_path / "zero", _grpo_rows(6, slope=0.1))
    _write_completions(run, 6, tail='{"step": 7, "prom')  # a line torn by a run that is still writing
    text = write_report([run]).markdown.read_text()
    assert "- accuracy first rose (+0.1 over its first value) at step 2" in text
    assert "- format never rose by 0.1 over its first value" in text
    for stage, steps in (("early", "1-2"), ("middle", "3-4"), ("late", "5-6")):
        assert f"**{stage}** (4 samples, steps {steps})" in text
    late = text.split("**late**")[1]
    assert "best: step 4" not in late and "reward 2.00 (accuracy 1.00, format 1.00)" in late
    assert "`<think>step 5</think><answer>5</answer>`" in late


def test_report_samples_prints_them_on_stderr_and_keeps_stdout_for_the_path(tmp_path):
    from typer.testing import CliRunner

    from r1cli.cli.main import app

    run = _write_run(tmp_path / "zero", _grpo_rows(6))
    _write_completions(run, 6)
    result = CliRunner().invoke(app, ["report", str(run), "--samples", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(run / "report.md")
    shown = [line for line in result.stderr.splitlines() if line.startswith("--- step")]
    assert [line.split(",")[0] for line in shown] == ["--- step 1", "--- step 4", "--- step 6"]
    sft = _write_run(tmp_path / "sft", [{"step": 1, "loss": 1.0, "mean_token_accuracy": 0.5}])
    plain = CliRunner().invoke(app, ["report", str(sft), "--samples", "2"])
    assert plain.exit_code == 0 and "no completions.jsonl" in plain.stderr
