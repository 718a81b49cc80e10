"""`r1 train zero` end to end on the tiny model: save, load, generate, metrics, LoRA, 4-bit,
SIGKILL + resume, and two processes under torchrun."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import assert_resumed_exactly, kill_past_checkpoint, read_rows
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
# Small and fast: 2 prompts x 4 generations of 16 tokens a step.
FAST = [
    "--grpo.per_device_train_batch_size", "8",
    "--grpo.num_generations", "4",
    "--grpo.max_completion_length", "16",
    "--data.synthetic_size", "64",
    "--logging.examples_every", "1",
]  # fmt: skip
R1 = [sys.executable, "-m", "r1cli.cli.main"]


def _metrics(output_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (output_dir / "metrics.jsonl").read_text().splitlines()]


def test_tiny_recipe_trains_saves_and_the_model_generates(tmp_path: Path) -> None:
    out = tmp_path / "zero"
    result = runner.invoke(
        app,
        ["train", "zero", "--output-dir", str(out), "--grpo.max_steps", "3", "--grpo.save_steps", "2", *FAST],
    )
    assert result.exit_code == 0, result.output
    for name in (
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "recipe.toml",
        "README.md",
        "metrics.jsonl",
    ):
        assert (out / name).exists(), name
    assert (out / "checkpoint-2").is_dir()
    metrics = _metrics(out)
    assert metrics[-1]["step"] == 3
    assert "rewards/accuracy/mean" in metrics[-1] and "rewards/format/mean" in metrics[-1]
    assert "rewards/accuracy/mean" in (out / "README.md").read_text()

    # The generated text, kept: 8 completions a step with trl's rewards and advantages.
    kept = [json.loads(line) for line in (out / "completions.jsonl").read_text().splitlines()]
    assert [row["step"] for row in kept] == [1] * 8 + [2] * 8 + [3] * 8
    for row in kept:
        assert set(row) == {"step", "prompt", "completion", "rewards", "reward", "advantage"}
        assert row["prompt"].startswith("What is") and isinstance(row["completion"], str)
        assert list(row["rewards"]) == ["accuracy", "format", "tag_count"]  # the recipe's, weights all 1
        assert row["reward"] == pytest.approx(sum(v or 0.0 for v in row["rewards"].values()))
        assert isinstance(row["advantage"], float)
    assert any(row["advantage"] != 0 for row in kept) or len({row["reward"] for row in kept}) == 1

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 3?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    generated = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert generated.shape[1] > prompt["input_ids"].shape[1]

    again = runner.invoke(app, ["train", "zero", "--output-dir", str(out), *FAST])
    assert again.exit_code == 1
    assert "already holds a training run" in again.stderr


def _one_lora_step(out: Path, *extra: str):
    args = ["train", "zero", "--output-dir", str(out), "--grpo.max_steps", "1", *FAST]
    return runner.invoke(app, [*args, "--lora.enabled", "true", "--lora.r", "4", *extra])


def test_lora_run_saves_an_adapter_and_merged_weights(tmp_path: Path) -> None:
    out = tmp_path / "lora"
    result = _one_lora_step(out, "--lora.merge_on_save", "true")
    assert result.exit_code == 0, result.output
    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    assert AutoPeftModelForCausalLM.from_pretrained(out) is not None
    assert AutoModelForCausalLM.from_pretrained(out / "merged") is not None


def test_4bit_qlora_step_on_cpu(tmp_path: Path) -> None:
    out = tmp_path / "qlora"
    result = _one_lora_step(out, "--quantization.load_in_4bit", "true")
    assert result.exit_code == 0, result.output
    assert (out / "adapter_model.safetensors").exists()
    assert _metrics(out)[-1]["step"] == 1


def test_recipe_errors_fail_before_any_model_is_loaded(tmp_path: Path) -> None:
    out = tmp_path / "bad"
    start = time.perf_counter()
    result = subprocess.run(
        [*R1, "train", "zero", "--output-dir", str(out), "--grpo.num_generations", "3"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "divisible by grpo.num_generations (3)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert time.perf_counter() - start < 60


def test_resume_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "zero", "--output-dir", str(tmp_path / "none"), "--resume"])
    assert result.exit_code == 1
    assert "nothing to resume" in result.stderr


def test_sigkill_then_resume_ends_exactly_as_a_straight_run(tmp_path: Path) -> None:
    """Killed (SIGKILL) after a checkpoint and resumed, a run logs the same rows, keeps the same completions and
    saves the same weights as the run never stopped: the checkpoint holds the model, optimizer, schedule and
    RNG states, and the trainer skips the batches already trained on.

    Exact because each step generates its own completions (steps_per_generation 1, trl's default). With
    steps_per_generation or num_iterations above 1, a checkpoint inside a generation's steps does not resume
    exactly: trl keeps the generated batch out of checkpoints and generates anew there (measured: save_steps 3,
    steps_per_generation 2 -> losses from step 4 on and every weight differ).
    """
    out, straight = tmp_path / "killed", tmp_path / "straight"
    settings = [*FAST, "--grpo.save_steps", "2", "--grpo.save_total_limit", "10"]
    settings += ["--grpo.lr_scheduler_type", "linear", "--grpo.max_steps", "8"]
    args = ["train", "zero", "--output-dir", str(out), *settings]
    kill_past_checkpoint([*R1, *args], out, 2)

    # A linear schedule planned for 8 steps cannot be stretched to 12 on resume: refused, nothing touched.
    changed = runner.invoke(app, [*args, "--grpo.max_steps", "12", "--resume"])
    assert changed.exit_code == 1 and "planned with" in changed.stderr

    # Resuming with different training settings is refused; plain --resume takes the run's own recipe.
    other = runner.invoke(app, [*args, "--grpo.learning_rate", "1e-4", "--resume"])
    assert other.exit_code == 1 and "differs from the run's: grpo.learning_rate" in other.stderr
    resumed = subprocess.run(
        [*R1, "train", "zero", "--output-dir", str(out), "--resume"], capture_output=True, text=True
    )
    assert "resuming with the run's recipe" in resumed.stderr
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    state = json.loads((out / "checkpoint-8" / "trainer_state.json").read_text())
    assert state["global_step"] == 8
    assert all((out / f"checkpoint-{step}").is_dir() for step in (2, 4, 6, 8))
    # completions.jsonl went on from the checkpoint: each step's sample once, none lost or doubled.
    steps = [json.loads(line)["step"] for line in (out / "completions.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and {s: steps.count(s) for s in set(steps)} == {s: 8 for s in range(1, 9)}

    done = runner.invoke(app, ["train", "zero", "--output-dir", str(straight), *settings])
    assert done.exit_code == 0, done.output
    assert_resumed_exactly(straight, out)
    assert read_rows(out / "completions.jsonl") == read_rows(straight / "completions.jsonl")


def _free_port() -> int:
    """A port nobody listens on now (a fixed one collides with another run of the suite on the machine)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(
    shutil.which("torchrun") is None and not Path(sys.executable).with_name("torchrun").exists(),
    reason="no torchrun",
)
def test_two_processes_under_torchrun(tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # 4 per device x 2 processes = 8 completions a step = 2 prompts x 4 generations.
    args = [
        torchrun,
        "--nproc_per_node",
        "2",
        "--master_port",
        str(_free_port()),
        "-m",
        "r1cli.cli.main",
        "train",
        "zero",
    ]
    args += [
        "--output-dir",
        str(out),
        *FAST,
        "--grpo.per_device_train_batch_size",
        "4",
        "--grpo.max_steps",
        "2",
    ]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "model.safetensors").exists()
    metrics = _metrics(out)
    assert [entry["step"] for entry in metrics] == [1, 2]  # one writer: the main process


def test_trains_on_a_prepared_gsm8k_style_dataset(tmp_path: Path) -> None:
    source = tmp_path / "gsm8k.jsonl"
    rows = [
        {"question": f"Tom has {a} apples and buys {b}. How many now?", "answer": f"{a}+{b}\n#### {a + b}"}
        for a, b in [(3, 4), (10, 5), (7, 7), (1, 2), (9, 9), (6, 2)]
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    prepared = tmp_path / "prepared"
    result = runner.invoke(app, ["data", "prepare", str(source), "-o", str(prepared), "--test-size", "2"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "zero"
    args = [
        "train",
        "zero",
        "--data.dataset",
        str(prepared),
        "--output-dir",
        str(out),
        *FAST,
        "--grpo.max_steps",
        "1",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "rewards/accuracy/mean" in _metrics(out)[-1]
    import tomllib

    assert tomllib.loads((out / "recipe.toml").read_text())["data"]["dataset"] == str(prepared)


def test_your_own_reward_trains_is_checked_before_the_model_and_pins_its_file(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rewards = tmp_path / "my_rewards.py"
    rewards.write_text(
        "def short(completions, solution, **kwargs):\n"
        "    return [1.0 - min(len(c[0]['content']), 64) / 64 for c in completions]\n"
        "def needs_target(completions, target, **kwargs):\n"
        "    return [float(t) for t in target]\n"
    )
    out = tmp_path / "zero"
    base = ["train", "zero", "--output-dir", str(out), *FAST, "--grpo.lr_scheduler_type", "constant"]
    bad = runner.invoke(app, [*base, "--rewards.functions", "[accuracy,my_rewards:needs_target]"])
    assert bad.exit_code == 1
    assert "reward 'my_rewards:needs_target' failed on the first row: TypeError" in bad.stderr
    assert bad.stderr.count("\n") <= 2  # the error and its hint, nothing about loading a model

    args = [*base, "--rewards.functions", "[accuracy,my_rewards:short]", "--grpo.save_steps", "1"]
    first = runner.invoke(app, [*args, "--grpo.max_steps", "1"])
    assert first.exit_code == 0, first.output
    assert "rewards/short/mean" in _metrics(out)[-1] or "rewards/short/mean" in _metrics(out)[0]
    assert json.loads((out / "reward_sources.json").read_text())["my_rewards:short"].startswith("sha256 ")

    rewards.write_text(rewards.read_text() + "# edited after the run started\n")
    resumed = runner.invoke(app, [*args, "--grpo.max_steps", "2", "--resume"])
    assert resumed.exit_code == 1
    assert "reward code that changed since the run started: my_rewards:short" in resumed.stderr
