"""`r1 pipeline run` end to end on r1-tiny, shortened (a few steps per stage, one-digit sums): the stage
folders, summary.json, the report plots, and a rerun that skips finished stages and continues a killed one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
R1 = [sys.executable, "-m", "r1cli.cli.main"]

# One-digit sums (100 problems, 10 held out): enough SFT steps that the model writes some right answers,
# so rejection sampling has samples to accept; one or two steps for the other training stages.
SHORT = [
    "--data.synthetic_max", "9", "--data.synthetic_size", "100", "--data.test_size", "10",
    "--pipeline.sft_steps", "60", "--sft.per_device_train_batch_size", "16", "--sft.learning_rate", "3e-3",
    "--sft.save_steps", "30", "--sft.logging_steps", "5",
    "--pipeline.zero_steps", "2", "--grpo.per_device_train_batch_size", "8", "--grpo.num_generations", "4",
    "--pipeline.reject_problems", "30", "--pipeline.reject_samples", "4", "--pipeline.reject_sft_steps", "2",
    "--pipeline.distill_steps", "2", "--pipeline.distill_problems", "20",
    "--logging.rich", "false",
]  # fmt: skip
STAGES = ["coldstart", "sft", "zero", "reject", "reject_sft", "distill"]


def _run(out: Path, *extra: str):
    return runner.invoke(app, ["pipeline", "run", "--output-dir", str(out), *SHORT, *extra])


def test_pipeline_runs_every_stage_and_a_rerun_skips_them(tmp_path: Path) -> None:
    out = tmp_path / "pipeline"
    first = _run(out)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().splitlines()[-1] == str(out / "summary.json")

    summary = json.loads((out / "summary.json").read_text())
    stages = {stage["name"]: stage for stage in summary["stages"]}
    assert [stage["name"] for stage in summary["stages"]] == STAGES
    assert all(
        list(stage) == ["name", "model_dir", "accuracy", "format_rate", "seconds"]
        for stage in stages.values()
    )
    for name in ("coldstart", "reject"):
        assert stages[name]["model_dir"] is None and stages[name]["accuracy"] is None
    for name in ("sft", "zero", "reject_sft", "distill"):
        stage = stages[name]
        assert (Path(stage["model_dir"]) / "model.safetensors").is_file()
        assert 0.0 <= stage["accuracy"] <= 1.0 and 0.0 <= stage["format_rate"] <= 1.0
        assert stage["seconds"] > 0
    assert stages["distill"]["model_dir"] == str(out / "distill" / "student")
    # The SFT model learned the <think>/<answer> form from the cold start.
    assert stages["sft"]["format_rate"] > 0.5

    # The stages' own outputs, as the single commands write them.
    assert (out / "data" / "dataset_dict.json").is_file()
    coldstart = [
        json.loads(line) for line in (out / "coldstart" / "coldstart.jsonl").read_text().splitlines()
    ]
    assert len(coldstart) == 90 and coldstart[0]["messages"][-1]["content"].startswith("<think>\n")
    accepted = (out / "reject" / "accepted.jsonl").read_text().splitlines()
    assert 0 < len(accepted) <= 30 and all(json.loads(row)["accepted"] for row in accepted)
    assert list((out / "zero" / "plots").glob("*.png")) and (out / "zero" / "report.md").is_file()
    assert "held-out accuracy" in first.stderr

    # Each stage folder is asked as it was trained (its recorded system prompt) on the pipeline's held-out
    # problems (the test split of DIR/data, which its folder leads to) by r1 eval with no prompt or data
    # flag, so r1 eval scores it as the pipeline did; the pipeline folder itself stands for the student.
    for name, folder in [
        ("sft", stages["sft"]["model_dir"]),
        ("zero", stages["zero"]["model_dir"]),
        ("distill", str(out)),
    ]:
        scored = runner.invoke(app, ["eval", folder, "--max-new-tokens", "64", "--limit", "10"])
        assert scored.exit_code == 0, scored.output
        assert f"benchmark: the test split of {out / 'data'}" in scored.stderr, name
        record = json.loads(scored.stdout)["results"][0]
        assert (record["accuracy"], record["format_rate"]) == (
            stages[name]["accuracy"],
            stages[name]["format_rate"],
        ), name
    assert f"using its final model {out / 'distill' / 'student'}" in scored.stderr

    # Rerun: every stage is finished, nothing is trained again, the summary is the same.
    weights = {
        name: Path(stages[name]["model_dir"], "model.safetensors").stat().st_mtime_ns
        for name in stages
        if stages[name]["model_dir"]
    }
    again = _run(out)
    assert again.exit_code == 0, again.output
    assert again.stderr.count("finished earlier, skipped") == len(STAGES)
    assert json.loads((out / "summary.json").read_text()) == summary
    for name, mtime in weights.items():
        assert Path(stages[name]["model_dir"], "model.safetensors").stat().st_mtime_ns == mtime

    # A pipeline killed during its last stage: that stage runs again, the others are kept.
    (out / "stages" / "distill.json").unlink()
    resumed = _run(out)
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stderr.count("finished earlier, skipped") == len(STAGES) - 1
    assert [stage["name"] for stage in json.loads((out / "summary.json").read_text())["stages"]] == STAGES

    # The folder belongs to this recipe: a rerun that would train something else is refused.
    changed = _run(out, "--pipeline.zero_learning_rate", "5e-5")
    assert changed.exit_code == 1
    assert "pipeline.zero_learning_rate" in changed.output


def test_a_pipeline_killed_during_training_continues_with_the_same_command(tmp_path: Path) -> None:
    out = tmp_path / "pipeline"
    args = [*R1, "pipeline", "run", "--output-dir", str(out), *SHORT]
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 300
    while not (out / "sft" / "checkpoint-30" / "trainer_state.json").exists():
        assert process.poll() is None, "the pipeline ended before SFT's first checkpoint"
        assert time.time() < deadline, "no SFT checkpoint within the time limit"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "stages" / "sft.json").exists()

    rerun = subprocess.run(args, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "coldstart (finished earlier, skipped)" in rerun.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert [stage["name"] for stage in summary["stages"]] == STAGES
    # SFT continued from its checkpoint to the planned step: nothing lost, nothing logged twice.
    assert json.loads((out / "sft" / "train_result.json").read_text())["global_step"] == 60
    steps = [json.loads(line)["step"] for line in (out / "sft" / "metrics.jsonl").read_text().splitlines()]
    steps = [step for step in steps if step % 5 == 0]
    assert steps == sorted(set(steps)) and steps[-1] == 60


def test_a_model_written_cold_start_that_yields_nothing_stops_with_one_line(tmp_path: Path) -> None:
    # `direct` prompting through r1 coldstart's own code; the untrained r1-tiny writes no usable trace.
    out = tmp_path / "pipeline"
    result = _run(out, "--pipeline.coldstart", "direct", "--pipeline.coldstart_problems", "4")
    assert result.exit_code == 1
    assert "r1: error: the cold start wrote no usable trace" in result.output
    assert (out / "coldstart" / "problems.jsonl").read_text().count("\n") == 4
    assert not (out / "stages" / "coldstart.json").exists()


def test_r1_zero_runs_grpo_from_the_model_itself_with_no_cold_start(tmp_path: Path) -> None:
    """pipeline.coldstart = "none": no cold start, no SFT stage 1; GRPO starts from model.name_or_path."""
    import tomllib

    out = tmp_path / "zero-only"
    result = _run(out, "--pipeline.coldstart", "none", "--until", "zero")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert [stage["name"] for stage in summary["stages"]] == ["zero"]
    assert (out / "zero" / "model.safetensors").is_file() and not (out / "sft").exists()
    trained = tomllib.loads((out / "zero" / "recipe.toml").read_text())
    assert trained["model"]["name_or_path"] == "r1-tiny"
    assert 0.0 <= summary["stages"][0]["accuracy"] <= 1.0
