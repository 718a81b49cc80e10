"""The memory estimate counts real parameters from a model config (no weights) and shows savings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.models.memory import GIB, estimate_memory
from r1cli.preflight.validate import validate_recipe
from r1cli.recipe import load_recipe

# Public config of Qwen2.5-0.5B-Instruct (494M parameters, tied embeddings).
QWEN_05B = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "max_position_embeddings": 32768,
    "tie_word_embeddings": True,
}


@pytest.fixture
def qwen_dir(tmp_path: Path) -> Path:
    (tmp_path / "config.json").write_text(json.dumps(QWEN_05B))
    return tmp_path


def _estimate(model_dir: Path, *args: str):
    recipe = validate_recipe(
        load_recipe(None, None, ["--model.name_or_path", str(model_dir), *args], environ={})
    )
    return estimate_memory(recipe, "grpo")


def test_counts_qwen_05b_parameters(qwen_dir: Path) -> None:
    estimate = _estimate(qwen_dir, "--model.dtype", "bfloat16")
    assert estimate.parameters == pytest.approx(494e6, rel=0.01)
    rows = {name: size for name, size, _ in estimate.rows}
    assert rows["weights"] == pytest.approx(estimate.parameters * 2)
    assert rows["optimizer"] == pytest.approx(estimate.parameters * 8)
    assert estimate.total == pytest.approx(sum(rows.values()))


def test_lora_and_4bit_shrink_the_estimate(qwen_dir: Path) -> None:
    full = _estimate(qwen_dir, "--model.dtype", "bfloat16")
    lora = _estimate(qwen_dir, "--model.dtype", "bfloat16", "--lora.enabled", "true", "--lora.r", "16")
    qlora = _estimate(
        qwen_dir, "--model.dtype", "bfloat16", "--lora.enabled", "true", "--quantization.load_in_4bit", "true"
    )
    assert lora.trainable < full.trainable / 50

    def weights(estimate) -> float:
        return next(size for name, size, _ in estimate.rows if name == "weights")

    assert weights(qlora) < weights(full) / 2  # embeddings stay in bf16
    assert qlora.total < lora.total < full.total
    assert full.total / GIB > 5  # optimizer states of a 0.5B full fine-tune alone are ~4 GB


def test_kv_cache_grows_with_completion_length(qwen_dir: Path) -> None:
    def kv(length: str) -> float:
        estimate = _estimate(qwen_dir, "--grpo.max_completion_length", length)
        return next(size for name, size, _ in estimate.rows if name == "generation KV cache")

    assert kv("1024") > kv("256")
