"""The shipped GPU recipes, rehearsed on CPU against hub ids resolved offline from the caches a first
download leaves (`Qwen/Qwen2.5-*-Instruct`, `AI-MO/NuminaMath-TIR`, `openai/gsm8k`), through the same
loading code a user runs: a subprocess of `r1` with HF_HUB_CACHE / HF_DATASETS_CACHE set."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import qwen_lookalike
from conftest import QWEN_HUB_ID, REPO_ROOT, offline_hub_env

pytestmark = pytest.mark.slow
R1 = [sys.executable, "-m", "r1cli.cli.main"]
# What a CPU needs on top of a GPU recipe (recipes/*.toml [profiles.cpu] say the same): fp32 (bf16 on CPU is
# emulated, about 2x slower), no TF32 (trl refuses it without an Ampere GPU), no pinned memory (needs a GPU).
CPU = ["--model.dtype", "float32", "--grpo.tf32", "false", "--grpo.dataloader_pin_memory", "false"]
# Sizes that keep a step short on 2 cores (not needed by a CPU, needed by a test suite).
SHORT = [
    "--grpo.max_steps",
    "1",
    "--grpo.logging_steps",
    "1",
    "--grpo.max_completion_length",
    "16",
    "--data.max_rows",
    "16",
]


def _r1(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*R1, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def test_the_cpu_profiles_say_what_a_cpu_needs() -> None:
    """Each GPU recipe's cpu profile carries the CPU settings this file's rehearsals pass by hand."""
    wanted = {CPU[i].removeprefix("--"): CPU[i + 1] for i in range(0, len(CPU), 2)}
    for name in ("l40s.toml", "l40s-qlora.toml", "l40s-pipeline.toml"):
        profile = tomllib.loads((REPO_ROOT / "recipes" / name).read_text())["profiles"]["cpu"]
        for key, value in wanted.items():
            assert str(profile[key]).lower() == value, (name, key)


def test_l40s_recipe_trains_qwen_from_the_hub_cache_on_cpu(
    tmp_path: Path, qwen_full_width: Path, hub_datasets: Path
) -> None:
    """`r1 train zero --recipe recipes/l40s.toml --profile test` at Qwen2.5-0.5B's width, hub ids only."""
    hub = tmp_path / "hub"
    qwen_lookalike.install_hub_model(qwen_full_width, hub, QWEN_HUB_ID)
    env = offline_hub_env(hub, hub_datasets)
    out = tmp_path / "zero"
    batch = ["--grpo.per_device_train_batch_size", "4", "--grpo.generation_batch_size", "4"]
    batch += ["--grpo.use_vllm", "false"]  # the GPU smoke profile generates through vLLM; not installed here
    args = ["train", "zero", "--recipe", str(REPO_ROOT / "recipes" / "l40s.toml"), "--profile", "test"]
    _r1([*args, "--output-dir", str(out), *CPU, *SHORT, *batch, "--grpo.num_generations", "4"], env, tmp_path)
    assert (out / "model.safetensors").exists()
    saved = tomllib.loads((out / "recipe.toml").read_text())
    assert (
        saved["model"]["name_or_path"] == QWEN_HUB_ID and saved["data"]["dataset"] == "AI-MO/NuminaMath-TIR"
    )
    config = json.loads((out / "config.json").read_text())
    assert config["hidden_size"] == 896 and config["vocab_size"] == 151936
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["step"] == 1 and "rewards/accuracy/mean" in metrics[-1]
    # Read back by the next stage, as a user would: the saved folder answers in chat.
    _r1(["chat", str(out), "-p", "What is 2 + 3?", "--generation.max_new_tokens", "4"], env, tmp_path)


def _seed_stage(out: Path, name: str, rows_file: Path, details: dict) -> None:
    """What a stage of a real model would have left (a random model writes no usable trace and no sample
    the rewards accept): its rows (SFT-ready, from real GSM8K solutions) and its finished marker."""
    problems = [json.loads(line) for line in (rows_file.parent / "problems.jsonl").read_text().splitlines()]
    rows = []
    for problem in problems:
        reasoning = problem["solution"].rsplit("####", 1)[0].strip()
        answer = f"<think>\n{reasoning}\n</think>\n<answer>\n{problem['answer']}\n</answer>"
        messages = [{"role": "user", "content": problem["problem"]}, {"role": "assistant", "content": answer}]
        rows.append({"id": problem["id"], "messages": messages})
    rows_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    marker = {"name": name, "model_dir": None, "seconds": 0.0, "details": {**details, "rows": len(rows)}}
    (out / "stages" / f"{name}.json").write_text(json.dumps(marker))


def test_l40s_pipeline_recipe_runs_its_stages_from_the_hub_cache_on_cpu(
    tmp_path: Path, qwen_narrow: Path, hub_datasets: Path
) -> None:
    """`r1 pipeline run --recipe recipes/l40s-pipeline.toml --profile cpu`: Qwen2.5-1.5B and its 0.5B
    student by hub id (narrow look-alikes here: the stages, not the width, are what this checks), GSM8K
    by hub id, one step a stage. The random model's cold start yields nothing, as the pipeline says; the
    test supplies real traces and reruns (a rerun continues): SFT, GRPO and their held-out evaluations
    run, then rejection sampling of the random model accepts nothing, and the run stops there, as it says.
    (SFT stage 2 and distillation into the 0.5B student need a model that can answer.)"""
    hub = tmp_path / "hub"
    qwen_lookalike.install_hub_model(qwen_narrow, hub, "Qwen/Qwen2.5-1.5B-Instruct")
    qwen_lookalike.install_hub_model(qwen_narrow, hub, QWEN_HUB_ID)
    env = offline_hub_env(hub, hub_datasets)
    out = tmp_path / "pipeline"
    recipe = str(REPO_ROOT / "recipes" / "l40s-pipeline.toml")
    command = [*R1, "pipeline", "run", "--recipe", recipe, "--profile", "cpu", "--output-dir", str(out)]

    def run_until(error: str) -> None:
        result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert result.returncode == 1 and error in result.stderr, result.stderr[-3000:]

    run_until("the cold start wrote no usable trace")
    assert (out / "data" / "test").is_dir()  # openai/gsm8k, prompts measured with Qwen's tokenizer
    assert (out / "coldstart" / "coldstart.jsonl.r1.json").exists()  # written by the 1.5B id
    _seed_stage(out, "coldstart", out / "coldstart" / "coldstart.jsonl", {})

    run_until("rejection sampling accepted no sample")
    stages = json.loads((out / "summary.json").read_text())["stages"]
    assert [stage["name"] for stage in stages] == ["coldstart", "sft", "zero"]
    assert all(stage["accuracy"] is not None for stage in stages[1:])  # each evaluated on held-out GSM8K
