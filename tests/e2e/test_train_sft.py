"""`r1 train sft` end to end on the tiny model: the three row forms (what the model sees), the saved
output, LoRA, SFT from a GRPO output folder, SIGKILL + --resume, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import assert_resumed_exactly, kill_past_checkpoint
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
R1 = [sys.executable, "-m", "r1cli.cli.main"]
SYSTEM = "Answer in the R1 format."
FAST = ["--sft.per_device_train_batch_size", "4", "--sft.logging_steps", "1", "--sft.max_length", "96"]


def _problem(i: int) -> tuple[str, str]:
    a, b = 10 + i, 7 * i % 50
    return f"What is {a} + {b}?", f"<think>\n{a} + {b} = {a + b}\n</think>\n<answer>\n{a + b}\n</answer>"


def _rows(form: str, n: int = 24) -> list[dict]:
    rows = []
    for i in range(n):
        question, answer = _problem(i)
        if form == "messages":  # what r1 coldstart and r1 sample reject write
            turns = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
            rows.append({"messages": [{"role": "system", "content": SYSTEM}, *turns], "problem": question})
        elif form == "prompt-completion":
            rows.append({"prompt": question, "completion": answer})
        else:  # ShareGPT with a separate system column
            turns = [{"from": "human", "value": question}, {"from": "gpt", "value": answer}]
            rows.append({"system": SYSTEM, "conversations": turns})
    return rows


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _sft(data: Path, out: Path, *extra: str):
    return runner.invoke(app, ["train", "sft", "--data", str(data), "--output-dir", str(out), *FAST, *extra])


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("form", ["messages", "prompt-completion", "sharegpt"])
def test_the_model_sees_the_conversation_and_learns_only_the_answer(tmp_path: Path, form: str) -> None:
    from r1cli.preflight.validate import validate_recipe
    from r1cli.recipe import load_recipe
    from r1cli.train.sft import build_sft_trainer

    data = _write(tmp_path / f"{form}.jsonl", _rows(form))
    overrides = ["--data.dataset", str(data), "--sft.output_dir", str(tmp_path / "o")]
    recipe = validate_recipe(load_recipe(None, None, overrides, stage="sft"))
    trainer, _system_prompt = build_sft_trainer(recipe)
    tokenizer = trainer.processing_class
    row = trainer.train_dataset[0]
    seen = tokenizer.decode(row["input_ids"])
    trained = tokenizer.decode(
        [t for t, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
    )
    assert "<|im_start|>user\nWhat is" in seen
    assert (f"<|im_start|>system\n{SYSTEM}" in seen) == (form != "prompt-completion")
    assert trained.startswith("<think>\n") and "</answer><|im_end|>" in trained
    assert "What is" not in trained and SYSTEM not in trained


def test_messages_run_saves_a_loadable_model_and_lowers_the_loss(tmp_path: Path) -> None:
    data = _write(tmp_path / "coldstart.jsonl", _rows("messages", 32))
    out = tmp_path / "sft"
    result = _sft(data, out, "--sft.max_steps", "12", "--sft.save_steps", "6")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    for name in ("model.safetensors", "tokenizer.json", "recipe.toml", "metrics.jsonl", "README.md"):
        assert (out / name).exists(), name
    assert json.loads((out / "train_result.json").read_text())["global_step"] == 12
    losses = [m["loss"] for m in _metrics(out) if "loss" in m]
    assert len(losses) == 12 and sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.5
    assert {"learning_rate", "grad_norm", "r1/tokens_per_s", "r1/ram_gb"} <= set(_metrics(out)[-1])
    from transformers import AutoModelForCausalLM

    assert AutoModelForCausalLM.from_pretrained(out) is not None

    again = _sft(data, out, "--sft.max_steps", "1")
    assert again.exit_code == 1 and "already holds" in again.stderr


def test_lora_sft_saves_an_adapter(tmp_path: Path) -> None:
    data = _write(tmp_path / "pc.jsonl", _rows("prompt-completion"))
    out = tmp_path / "lora"
    result = _sft(data, out, "--sft.max_steps", "2", "--lora.enabled", "true", "--lora.r", "4")
    assert result.exit_code == 0, result.output
    assert (out / "adapter_model.safetensors").exists() and not (out / "model.safetensors").exists()
    from peft import AutoPeftModelForCausalLM

    assert AutoPeftModelForCausalLM.from_pretrained(out) is not None


def test_sft_continues_from_grpo_outputs_full_and_adapter(tmp_path: Path) -> None:
    grpo = ["--grpo.max_steps", "1", "--grpo.per_device_train_batch_size", "4", "--grpo.num_generations", "4"]
    grpo += ["--grpo.max_completion_length", "8", "--data.synthetic_size", "32"]
    data = _write(tmp_path / "traces.jsonl", _rows("messages"))
    for name, extra in (("full", []), ("adapter", ["--lora.enabled", "true", "--lora.r", "4"])):
        zero = tmp_path / f"zero-{name}"
        made = runner.invoke(app, ["train", "zero", "--output-dir", str(zero), *grpo, *extra])
        assert made.exit_code == 0, made.output
        out = tmp_path / f"sft-{name}"
        result = _sft(data, out, "--sft.max_steps", "1", "--model.name_or_path", str(zero))
        assert result.exit_code == 0, result.output
        assert (out / "model.safetensors").exists()  # the adapter was merged into its base, then trained
        assert tomllib.loads((out / "recipe.toml").read_text())["model"]["name_or_path"] == str(zero)


def test_sigkill_then_resume_ends_exactly_as_a_straight_run(tmp_path: Path) -> None:
    """Killed (SIGKILL) after a checkpoint and resumed, a run logs the same rows and saves the same weights as
    the run never stopped, but for `num_tokens`: trl's SFTTrainer keeps that count in the trainer, not in the
    checkpoint, so the resumed run counts again from 0 (the loss and the weights do not depend on it)."""
    data = _write(tmp_path / "rows.jsonl", _rows("messages", 32))
    out, straight = tmp_path / "killed", tmp_path / "straight"
    settings = ["--data", str(data), *FAST, "--sft.max_steps", "8", "--sft.save_steps", "2"]
    settings += ["--sft.save_total_limit", "10"]
    kill_past_checkpoint([*R1, "train", "sft", "--output-dir", str(out), *settings], out, 2)
    assert not (out / "model.safetensors").exists()

    resumed = subprocess.run(
        [*R1, "train", "sft", "--output-dir", str(out), "--resume"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    steps = [m["step"] for m in _metrics(out) if "loss" in m]
    assert steps == list(range(1, 9))  # nothing lost, nothing logged twice
    assert json.loads((out / "train_result.json").read_text())["global_step"] == 8

    done = runner.invoke(app, ["train", "sft", "--output-dir", str(straight), *settings])
    assert done.exit_code == 0, done.output
    resumed_at = assert_resumed_exactly(straight, out, ignore=["num_tokens"])
    counted = {m["step"]: m["num_tokens"] for m in _metrics(straight) if "num_tokens" in m}
    restarted = {s: n - counted[resumed_at] if s > resumed_at else n for s, n in counted.items()}
    assert {m["step"]: m["num_tokens"] for m in _metrics(out) if "num_tokens" in m} == restarted


@pytest.mark.parametrize(
    ("setup", "extra", "message"),
    [
        ("columns", [], "columns: question, reply"),
        ("folder", [], "neither a saved dataset nor a folder"),
        ("rows", ["--sft.learning_rat", "0.1"], "did you mean 'sft.learning_rate'"),
        ("rows", ["--sft.packing", "true"], "needs FlashAttention"),
        ("rows", ["--sft.max_length", "8"], "no training row is left"),
    ],
)
def test_bad_input_is_one_line_and_creates_no_output(
    tmp_path: Path, setup: str, extra: list[str], message: str
) -> None:
    if setup == "columns":
        data = _write(tmp_path / "odd.jsonl", [{"question": "q", "reply": "r"}] * 4)
    elif setup == "folder":
        data = tmp_path / "notes"
        data.mkdir()
        (data / "readme.txt").write_text("not data")
    else:
        data = _write(tmp_path / "rows.jsonl", _rows("messages", 4))
    out = tmp_path / "out"
    result = runner.invoke(app, ["train", "sft", "--data", str(data), "--output-dir", str(out), *extra])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()
