"""The training-log callbacks inside a real GRPOTrainer on a small r1-tiny model (CPU, a few seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.rewards.completions import completion_text
from r1cli.train.callbacks import quiet_trainer_output
from r1cli.train.reward_log import RewardRecorder, build_callbacks

pytestmark = pytest.mark.slow
SMALL = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}


def has_digit(completions, **kwargs):
    return [float(any(ch.isdigit() for ch in completion_text(c))) for c in completions]


def length_reward(completions, **kwargs):
    return [len(completion_text(c)) / 100 for c in completions]


def test_grpo_trainer_with_r1_callbacks(tmp_path: Path, capsys) -> None:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from r1cli.models.tiny import build_tiny_model

    model_dir = build_tiny_model(tmp_path / "model", SMALL)
    out = tmp_path / "run"
    recorder = RewardRecorder(["digit", "length"], [1.0, 0.5])
    config = GRPOConfig(
        output_dir=str(out),
        max_steps=2,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=16,
        logging_steps=1,
        save_steps=1,
        save_total_limit=1,
        bf16=False,
        use_cpu=True,
        report_to="none",
        seed=0,
    )
    prompts = [[{"role": "user", "content": f"What is {a} + {a}?"}] for a in range(8)]
    trainer = GRPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(model_dir),
        reward_funcs=recorder.wrap([has_digit, length_reward]),
        args=config,
        train_dataset=Dataset.from_dict({"prompt": prompts}),
        processing_class=AutoTokenizer.from_pretrained(model_dir),
        callbacks=build_callbacks(
            {"rich": True, "examples_every": 2, "trend_window": 1, "keep_checkpoint_every": 2}, recorder, out
        ),
    )
    quiet_trainer_output(trainer)
    trainer.train()

    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [line for line in lines if "loss" in line]
    assert [line["step"] for line in steps] == [1, 2]
    for key in (
        "rewards/has_digit/mean",
        "rewards/length_reward/std",
        "reward",
        "completions/clipped_ratio",
        "r1/rewards/has_digit/min",
        "r1/rewards/length_reward/max",
        "r1/format_compliance",
        "r1/tokens_per_s",
        "r1/ram_gb",
    ):
        assert key in steps[-1], key
    assert steps[-1]["r1/samples_per_s"] > 0
    assert (out / "kept" / "checkpoint-2" / "trainer_state.json").is_file()
    assert not (out / "checkpoint-1").exists()  # rotation still works (save_total_limit=1)

    captured = capsys.readouterr()
    assert "{'loss'" not in captured.out and "r1/" not in captured.out
    assert "step 2/2" in captured.err and "examples · step 2" in captured.err
