"""r1's additions to trl's GRPO on the tiny model: dynamic sampling and validation with the best model kept.

The rewards here are the test's own (rewards.functions `file.py:function`), so what the groups hold does
not depend on what the barely trained model says: `same` gives every completion 1.0 (every group has zero
variance), `parity` scores the completion's length (some groups vary, some do not).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import assert_resumed_exactly, kill_past_checkpoint, training_rows
from safetensors.torch import load_file
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
R1 = [sys.executable, "-m", "r1cli.cli.main"]
# 2 prompts x 4 generations of 8 tokens a step.
FAST = [
    "--grpo.per_device_train_batch_size", "8",
    "--grpo.num_generations", "4",
    "--grpo.max_completion_length", "8",
    "--generation.max_new_tokens", "8",
    "--data.synthetic_size", "64",
    "--grpo.save_steps", "2",
]  # fmt: skip
REWARDS = """
def _text(completion):
    return completion if isinstance(completion, str) else completion[-1]["content"]


def same(completions, **kwargs):
    return [1.0 for _ in completions]


def parity(completions, **kwargs):
    return [float(len(_text(c)) % 2) for c in completions]
"""
# Keys of a training row that the trained weights decide (not times, memory or throughput).
DETERMINED = ("loss", "grad_norm", "reward", "reward_std", "rewards/parity/mean", "completions/mean_length")


def _rewards_file(tmp_path: Path) -> str:
    path = tmp_path / "test_rewards.py"
    path.write_text(REWARDS)
    return str(path)


def _train(out: Path, *extra: str) -> None:
    result = runner.invoke(app, ["train", "zero", "--output-dir", str(out), *FAST, *extra])
    assert result.exit_code == 0, result.output


def _rows(out: Path) -> list[dict]:
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [row for row in map(json.loads, lines) if "loss" in row]


def test_groups_that_never_vary_stop_at_the_round_limit(tmp_path: Path) -> None:
    out = tmp_path / "same"
    rewards = f"[{_rewards_file(tmp_path)}:same]"
    args = ["train", "zero", "--output-dir", str(out), *FAST, "--grpo.max_steps", "2"]
    args += ["--rewards.functions", rewards, "--dynamic_sampling.enabled", "true"]
    args += ["--dynamic_sampling.reward", "same", "--dynamic_sampling.max_rounds", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "dynamic sampling: 2 of 2 groups still had equal 'same' after 2 extra rounds" in result.stderr
    for row in _rows(out):
        assert row["dynamic_sampling/extra_rounds"] == 2  # the limit, and no round more
        assert row["dynamic_sampling/groups_kept"] == 0 and row["dynamic_sampling/groups_short"] == 2
        # 2 prompts first, then 2 further prompts in each round (none kept so far: a whole batch's worth).
        assert row["dynamic_sampling/completions"] == 3 * 8
        assert row["loss"] == 0.0  # every completion masked out: nothing to learn, nothing learnt


def test_varying_groups_are_kept_and_the_batch_stays_full(tmp_path: Path) -> None:
    out = tmp_path / "parity"
    rewards = f"[{_rewards_file(tmp_path)}:parity]"
    _train(
        out,
        *["--grpo.max_steps", "3", "--rewards.functions", rewards, "--dynamic_sampling.enabled", "true"],
        *["--dynamic_sampling.reward", "parity", "--dynamic_sampling.max_rounds", "3"],
    )
    rows = _rows(out)
    assert [row["step"] for row in rows] == [1, 2, 3]
    for row in rows:
        kept, short = row["dynamic_sampling/groups_kept"], row["dynamic_sampling/groups_short"]
        assert kept + short == 2
        generated_groups = row["dynamic_sampling/completions"] / 4
        assert generated_groups == kept + row["dynamic_sampling/groups_dropped"]
        assert row["dynamic_sampling/extra_rounds"] == 0 or row["dynamic_sampling/groups_dropped"] > 0


def test_validation_keeps_the_best_model_and_does_not_change_training(tmp_path: Path) -> None:
    rewards = ["--rewards.functions", f"[{_rewards_file(tmp_path)}:parity]"]
    common = [*rewards, "--grpo.max_steps", "4", "--validation.size", "8"]
    often, once = tmp_path / "often", tmp_path / "once"
    _train(often, *common, "--validation.every", "2")
    _train(once, *common, "--validation.every", "100")  # the same carved split, checked at the last step only

    rows = _rows(often)
    checked = [row["step"] for row in rows if "r1/val_accuracy" in row]
    assert checked == [2, 4]
    assert [row["step"] for row in _rows(once) if "r1/val_accuracy" in row] == [4]
    # The checks ran in a fork of the random state: training went exactly as it did without them.
    for a, b in zip(rows, _rows(once), strict=True):
        assert {k: a.get(k) for k in DETERMINED} == {k: b.get(k) for k in DETERMINED}
    final, other = load_file(often / "model.safetensors"), load_file(once / "model.safetensors")
    assert all(torch.equal(final[name], other[name]) for name in final)

    best = json.loads((often / "best" / "best.json").read_text())
    scores = {row["step"]: row["r1/val_accuracy"] for row in rows if "r1/val_accuracy" in row}
    assert best["accuracy"] == max(scores.values()) and best["problems"] == 8
    assert best["step"] == min(step for step, score in scores.items() if score == best["accuracy"])
    recorded = json.loads((often / "train_result.json").read_text())["best"]
    assert recorded["step"] == best["step"] and recorded["path"] == "best"

    # best/ is a model folder like any other: r1 eval opens it, with the prompt it was trained with.
    problems = tmp_path / "problems.jsonl"
    problems.write_text(
        "".join(json.dumps({"problem": f"What is {a} + 2?", "answer": str(a + 2)}) + "\n" for a in range(4))
    )
    evaluated = runner.invoke(
        app,
        [
            "eval",
            str(often / "best"),
            "--data",
            str(problems),
            "--max-new-tokens",
            "8",
            "-o",
            str(tmp_path / "r.json"),
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads((tmp_path / "r.json").read_text())["results"][0]["n"] == 4
    assert (often / "best" / "r1_prompt.json").is_file()


def test_validation_size_that_leaves_no_training_row_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "none"
    args = ["train", "zero", "--output-dir", str(out), *FAST, "--validation.every", "1"]
    result = runner.invoke(app, [*args, "--validation.size", "1000"])
    assert result.exit_code == 1
    assert "validation.size = 1000 leaves no training row" in result.stderr


def test_resume_is_exact_with_dynamic_sampling_and_validation(tmp_path: Path) -> None:
    """Killed after a checkpoint and resumed, a run with both features logs the same rows (validation scores and
    dynamic sampling's counts included) and saves the same final and best weights as a run never stopped:
    the further prompts come from streams seeded by step and round, the checks run in a fork of the RNG."""
    settings = [*FAST, "--grpo.max_steps", "4", "--grpo.save_total_limit", "10", "--logging.rich", "false"]
    settings += ["--rewards.functions", f"[{_rewards_file(tmp_path)}:parity]", "--dynamic_sampling.enabled"]
    settings += [
        "true",
        "--dynamic_sampling.reward",
        "parity",
        "--validation.every",
        "2",
        "--validation.size",
        "8",
    ]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    _train(straight, *settings)
    kill_past_checkpoint([*R1, "train", "zero", "--output-dir", str(killed), *settings], killed, 2)
    resumed = subprocess.run(
        [*R1, "train", "zero", "--output-dir", str(killed), "--resume"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert assert_resumed_exactly(straight, killed) >= 2
    rows = training_rows(killed)
    assert any("r1/val_accuracy" in row for row in rows) and all(
        "dynamic_sampling/groups_kept" in row for row in rows
    )
    assert (straight / "best" / "best.json").read_text() == (killed / "best" / "best.json").read_text()
    best, other = (
        load_file(straight / "best" / "model.safetensors"),
        load_file(killed / "best" / "model.safetensors"),
    )
    assert all(torch.equal(best[name], other[name]) for name in best)
