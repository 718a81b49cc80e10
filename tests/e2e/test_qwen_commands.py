"""Every command that takes a model, on the narrow Qwen2.5-Instruct look-alike (Qwen's vocabulary and
template, hidden 64): on the base model and on the folders other commands wrote. Random weights say
nothing worth checking, so these assert structure (exit codes, files that load, row counts, keys) and
force lengths, never content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import addition_problems, r1_ok, read_rows

pytestmark = pytest.mark.slow
GEN = ["--generation.max_new_tokens", "8", "--generation.batch_size", "4", "--rewards.workers", "1"]
GRPO = [
    "--data.synthetic_size", "16", "--grpo.max_steps", "1", "--grpo.per_device_train_batch_size", "4",
    "--grpo.num_generations", "4", "--grpo.max_completion_length", "16", "--grpo.save_strategy", "no",
]  # fmt: skip
SYSTEM = "Reason inside <think> </think>, answer inside <answer> </answer>."


@pytest.fixture(scope="module")
def zero_dir(tmp_path_factory: pytest.TempPathFactory, qwen_narrow: Path) -> Path:
    """`r1 train zero` from the narrow look-alike: the folder later commands read."""
    out = tmp_path_factory.mktemp("qwen-zero") / "zero"
    r1_ok("train", "zero", "--model.name_or_path", str(qwen_narrow), "--output-dir", str(out), *GRPO)
    return out


def test_model_info_and_chat_on_the_base_model(qwen_narrow: Path) -> None:
    info = r1_ok("model", "info", str(qwen_narrow))
    assert "151,936" in info or "151936" in info
    reply = r1_ok("chat", str(qwen_narrow), "-p", "What is 2 + 3?", "--generation.max_new_tokens", "4")
    assert isinstance(reply, str)


def test_train_zero_writes_a_folder_that_eval_chat_and_sft_read(
    zero_dir: Path, qwen_narrow: Path, tmp_path: Path
) -> None:
    assert json.loads((zero_dir / "config.json").read_text())["vocab_size"] == 151936
    tokenizer_config = json.loads((zero_dir / "tokenizer_config.json").read_text())
    assert tokenizer_config["eos_token"] == "<|im_end|>"
    metrics = read_rows(zero_dir / "metrics.jsonl")
    assert metrics[-1]["step"] == 1 and "rewards/format/mean" in metrics[-1]
    assert "r1/format_ok" in metrics[-1] or any(key.startswith("r1/") for key in metrics[-1])

    results = tmp_path / "results.json"
    bench = addition_problems(tmp_path / "bench.jsonl", 3, lambda a, b: f"#### {a + b}")
    r1_ok("eval", str(zero_dir), "--data", str(bench), "-o", str(results), *GEN)
    scores = json.loads(results.read_text())
    assert scores and "accuracy" in json.dumps(scores)
    r1_ok("chat", str(zero_dir), "-p", "What is 2 + 3?", "--generation.max_new_tokens", "4")

    accepted = tmp_path / "accepted.jsonl"
    r1_ok("sample", "reject", "-m", str(zero_dir), "--data", str(bench), "-o", str(accepted), "-k", "2",
        "--keep-all", *GEN)  # fmt: skip
    rows = read_rows(accepted)
    assert len(rows) == 6 and all("messages" in row for row in rows)  # --keep-all: 3 problems x 2

    sft = tmp_path / "sft2"
    r1_ok("train", "sft", "--data", str(accepted), "--model.name_or_path", str(zero_dir), "-o", str(sft),
        "--sft.max_steps", "1", "--sft.per_device_train_batch_size", "2", "--sft.save_strategy", "no")  # fmt: skip
    assert (sft / "model.safetensors").exists()


def test_lora_grpo_saves_an_adapter_that_chat_opens(qwen_narrow: Path, tmp_path: Path) -> None:
    out = tmp_path / "lora"
    r1_ok("train", "zero", "--model.name_or_path", str(qwen_narrow), "--output-dir", str(out), "--lora.enabled",
        "true", *GRPO)  # fmt: skip
    assert (out / "adapter_config.json").exists() and not (out / "model.safetensors").exists()
    r1_ok("chat", str(out), "-p", "What is 2 + 3?", "--generation.max_new_tokens", "4")


def test_sft_with_a_system_turn_trains_on_the_assistant_tokens_only(
    qwen_narrow: Path, tmp_path: Path
) -> None:
    """Qwen's template has no {% generation %} markers; trl knows this template and trains on the assistant's
    turn through its own marked copy (r1's fallback would make the last turn a completion): same tokens."""
    from r1cli.preflight.validate import validate_recipe
    from r1cli.recipe import load_recipe
    from r1cli.train.sft import build_sft_trainer

    answer = "<think>\n2 + 3 = 5\n</think>\n<answer>\n5\n</answer>"
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "What is 2 + 3?"},
        {"role": "assistant", "content": answer},
    ]
    data = tmp_path / "sft.jsonl"
    data.write_text(json.dumps({"messages": messages}) + "\n")
    overrides = [
        "--data.dataset",
        str(data),
        "--data.test_size",
        "0",
        "--model.name_or_path",
        str(qwen_narrow),
    ]
    recipe = validate_recipe(
        load_recipe(None, None, [*overrides, "--sft.output_dir", str(tmp_path / "o")], stage="sft")
    )
    trainer, system_prompt = build_sft_trainer(recipe)
    assert system_prompt == SYSTEM  # what the saved folder will record
    tokenizer, row = trainer.processing_class, trainer.train_dataset[0]
    seen = tokenizer.decode(row["input_ids"])
    trained = tokenizer.decode(
        [t for t, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
    )
    assert seen.startswith(f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?")
    assert "You are Qwen" not in seen  # the row's own system turn, not the template's default
    assert trained.strip() == answer + "<|im_end|>"


def test_coldstart_methods_write_rows(qwen_narrow: Path, tmp_path: Path) -> None:
    data = addition_problems(tmp_path / "problems.jsonl", 2, lambda a, b: f"#### {a + b}")
    for method in ("fewshot", "direct"):
        out = tmp_path / f"{method}.jsonl"
        r1_ok("coldstart", method, "-m", str(qwen_narrow), "--data", str(data), "-o", str(out), *GEN)
        assert out.exists() and Path(f"{out}.r1.json").exists()


def test_distill_traces_into_r1_tiny_and_logits_into_a_same_vocabulary_student(
    qwen_narrow: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, qwen_tokenizer_dir: Path
) -> None:
    import qwen_lookalike

    small = [
        "--data.synthetic_size", "12", "--data.test_size", "2", "--sft.max_steps", "1",
        "--sft.per_device_train_batch_size", "2", "--distill.max_steps", "1",
        "--distill.per_device_train_batch_size", "2", "--distill.max_completion_length", "8",
        "--logging.rich", "false", *GEN,
    ]  # fmt: skip
    traces = tmp_path / "traces"
    r1_ok("distill", "--teacher", str(qwen_narrow), "-o", str(traces), "--filter", "none", *small)
    assert (traces / "student" / "model.safetensors").exists()
    assert json.loads((traces / "student" / "config.json").read_text())["vocab_size"] != 151936  # r1-tiny

    student = qwen_lookalike.build_model(tmp_path_factory.mktemp("qwen-student"), qwen_tokenizer_dir, seed=1)
    logits = tmp_path / "logits"
    r1_ok("distill", "--teacher", str(qwen_narrow), "--student", str(student), "--method", "logits", "-o",
        str(logits), *small)  # fmt: skip
    assert (logits / "student" / "model.safetensors").exists()
