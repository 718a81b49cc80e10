"""Every command on a real pretrained model: SmolLM2-135M-Instruct, imported from its GGUF by
`r1 model import` (tests/real_model.py), and on the folders the commands write, chained as users chain
them. What the model says is never asserted; what r1 must do with it is (files that load, row counts,
the prompt it was asked with, r1 eval's verdicts against a plain transformers loop). Lengths are forced
short: a GRPO step of this model costs tens of seconds on 2 cores at real lengths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import addition_problems, r1_ok, read_rows

pytestmark = pytest.mark.slow
SYSTEM = "Think inside <think> </think>, then answer inside <answer> </answer>."
GEN = ["--generation.max_new_tokens", "8", "--generation.batch_size", "4", "--rewards.workers", "1"]
GRPO = [
    "--data.synthetic_size", "16", "--grpo.max_steps", "1", "--grpo.per_device_train_batch_size", "2",
    "--grpo.num_generations", "2", "--grpo.max_completion_length", "8", "--grpo.save_strategy", "no",
    "--grpo.learning_rate", "1e-5", "--data.system_prompt", SYSTEM, "--validation.every", "0",
]  # fmt: skip


@pytest.fixture(scope="module")
def zero_dir(tmp_path_factory: pytest.TempPathFactory, smollm2: Path) -> Path:
    """One GRPO step of the real model: the folder the later commands read."""
    out = tmp_path_factory.mktemp("smollm2-zero") / "zero"
    r1_ok("train", "zero", "--model.name_or_path", str(smollm2), "--output-dir", str(out), *GRPO)
    return out


def test_the_imported_folder_is_a_plain_safetensors_model(smollm2: Path) -> None:
    import real_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = json.loads((smollm2 / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert (smollm2 / "model.safetensors").is_file() and not list(smollm2.glob("*.bin"))
    assert json.loads((smollm2 / "r1_imported.json").read_text())["sha256"] == real_model.GGUF_SHA256
    assert real_model.GGUF_SHA256 in (smollm2 / "README.md").read_text()
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    generation = json.loads((smollm2 / "generation_config.json").read_text())
    assert generation["eos_token_id"] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert "<|im_start|>assistant" in tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    model = AutoModelForCausalLM.from_pretrained(smollm2)
    assert sum(p.numel() for p in model.parameters()) == real_model.PARAMETERS
    info = r1_ok("model", "info", str(smollm2), "--json")
    assert json.loads(info)["vocab_size"] == 49152


def test_chat_answers_one_question(smollm2: Path) -> None:
    reply = r1_ok("chat", str(smollm2), "-p", "What is 2 + 3?", "--generation.max_new_tokens", "6")
    assert reply.strip()


def test_eval_gives_the_verdicts_of_a_plain_transformers_greedy_loop(smollm2: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from r1cli.evaluate.run import judge

    bench = addition_problems(tmp_path / "bench.jsonl", 4)
    predictions = tmp_path / "predictions.jsonl"
    r1_ok("eval", str(smollm2), "--data", str(bench), "--predictions", str(predictions),
        "--max-new-tokens", "24", "--generation.batch_size", "1", "--data.system_prompt", SYSTEM,
        "--rewards.workers", "1")  # fmt: skip
    rows = sorted(read_rows(predictions), key=lambda row: row["id"])

    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    model = AutoModelForCausalLM.from_pretrained(smollm2, dtype=torch.float32).eval()
    texts, problems = [], []
    for problem in read_rows(bench):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": problem["question"]}]
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=24, do_sample=False, repetition_penalty=1.0)
        new = out[0, ids["input_ids"].shape[1] :].tolist()
        end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        texts.append(tokenizer.decode(new[: new.index(end)] if end in new else new, skip_special_tokens=True))
        problems.append({"solution": problem["answer"], "prompt": messages})
    verdicts = judge(texts, problems, {})
    assert [row["completion"] for row in rows] == texts
    assert [row["correct"] for row in rows] == [v["correct"] for v in verdicts]
    assert [row["formatted"] for row in rows] == [v["formatted"] for v in verdicts]


def test_train_zero_writes_a_model_that_the_generating_commands_and_sft_read(
    zero_dir: Path, tmp_path: Path
) -> None:
    assert (zero_dir / "model.safetensors").is_file()
    assert json.loads((zero_dir / "r1_prompt.json").read_text())["system_prompt"] == SYSTEM
    metrics = read_rows(zero_dir / "metrics.jsonl")
    assert metrics[-1]["step"] == 1 and "rewards/accuracy/mean" in metrics[-1]

    bench = addition_problems(tmp_path / "bench.jsonl", 2)
    accepted = tmp_path / "accepted.jsonl"
    r1_ok("sample", "reject", "-m", str(zero_dir), "--data", str(bench), "-o", str(accepted), "-k", "2",
        "--keep-all", *GEN)  # fmt: skip
    rows = read_rows(accepted)
    assert len(rows) == 4 and all(row["messages"][0] == {"role": "system", "content": SYSTEM} for row in rows)

    cold = tmp_path / "cold.jsonl"
    r1_ok("coldstart", "direct", "-m", str(zero_dir), "--data", str(bench), "-o", str(cold), *GEN)
    assert cold.is_file() and Path(f"{cold}.r1.json").is_file()

    sft = tmp_path / "sft"
    r1_ok("train", "sft", "--data", str(accepted), "--model.name_or_path", str(zero_dir), "-o", str(sft),
        "--sft.max_steps", "1", "--sft.per_device_train_batch_size", "2", "--sft.save_strategy", "no")  # fmt: skip
    assert (sft / "model.safetensors").is_file()
    assert json.loads((sft / "r1_prompt.json").read_text())["system_prompt"] == SYSTEM


def test_lora_grpo_then_merge_gives_a_standalone_model(smollm2: Path, tmp_path: Path) -> None:
    lora = tmp_path / "lora"
    r1_ok("train", "zero", "--model.name_or_path", str(smollm2), "--output-dir", str(lora), "--lora.enabled",
        "true", *GRPO)  # fmt: skip
    assert (lora / "adapter_config.json").is_file() and not (lora / "model.safetensors").exists()
    merged = tmp_path / "merged"
    assert r1_ok("model", "merge", str(lora), "-o", str(merged)).strip() == str(merged)
    config = json.loads((merged / "config.json").read_text())
    assert config["model_type"] == "llama" and (merged / "model.safetensors").is_file()
    assert json.loads((merged / "r1_prompt.json").read_text())["system_prompt"] == SYSTEM
    r1_ok("chat", str(merged), "-p", "What is 2 + 3?", "--generation.max_new_tokens", "4")


def test_distill_traces_of_the_real_model_into_r1_tiny(
    zero_dir: Path, tmp_path: Path, r1_cache: None
) -> None:
    bench = addition_problems(tmp_path / "bench.jsonl", 4)
    out = tmp_path / "distill"
    r1_ok("distill", "--teacher", str(zero_dir), "--data", str(bench), "-o", str(out), "--method", "traces",
        "--filter", "none", "-k", "1", "--sft.max_steps", "1", "--sft.save_strategy", "no", *GEN)  # fmt: skip
    student = out / "student"
    assert (student / "model.safetensors").is_file()
    assert json.loads((student / "config.json").read_text())["vocab_size"] != 49152  # r1-tiny's own
    traces = read_rows(out / "traces.jsonl")
    ids = [row["id"] for row in traces]  # -k 1: one trace per train problem (distill holds some out)
    assert ids and len(ids) == len(set(ids)) and set(ids) <= set(range(4))
    assert all(row["sample"] == 0 for row in traces)
