"""Model loading per recipe: path, dtype and attention resolution, LoRA, 4-bit, saved full models and adapters."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from r1cli.models import loading as models
from r1cli.models.loading import (
    load_model,
    load_tokenizer,
    lora_config,
    model_init_kwargs,
    resolve_attn_implementation,
    resolve_dtype,
    resolve_model_path,
)
from r1cli.models.tiny import TINY_MODEL_NAME
from r1cli.plumbing.errors import R1Error

TINY = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}


def recipe(**sections) -> dict:
    data = {
        "model": {
            "name_or_path": TINY_MODEL_NAME,
            "revision": "main",
            "dtype": "auto",
            "attn_implementation": "auto",
            "trust_remote_code": False,
        },
        "tiny": dict(TINY),
        "lora": {"enabled": False, "r": 4, "alpha": 8, "dropout": 0.0, "target_modules": "all-linear"},
        "quantization": {
            "load_in_4bit": False,
            "load_in_8bit": False,
            "quant_type": "nf4",
            "double_quant": True,
            "compute_dtype": "auto",
        },
    }
    for name, values in sections.items():
        data[name].update(values)
    return data


@pytest.fixture(autouse=True)
def r1_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("R1_CACHE", str(tmp_path_factory.getbasetemp() / "r1-cache"))


def test_resolve_model_path():
    path = resolve_model_path({"name_or_path": TINY_MODEL_NAME}, TINY)
    assert Path(path).is_dir() and Path(path, "model.safetensors").is_file()
    assert resolve_model_path({"name_or_path": TINY_MODEL_NAME}, TINY) == path
    assert resolve_model_path({"name_or_path": "Qwen/Qwen2.5-0.5B"}) == "Qwen/Qwen2.5-0.5B"
    with pytest.raises(R1Error, match="name_or_path is empty"):
        resolve_model_path({"name_or_path": ""})


def test_resolve_dtype(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_dtype({"dtype": "auto"}) == "float32"
    assert resolve_dtype({"dtype": "bfloat16"}) == "bfloat16"  # explicit values pass through, even on CPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert resolve_dtype({}) == "bfloat16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert resolve_dtype({"dtype": "auto"}) == "float16"
    with pytest.raises(R1Error, match="did you mean 'float16'"):
        resolve_dtype({"dtype": "float61"})


def test_resolve_attn_implementation(monkeypatch):
    assert resolve_attn_implementation({"attn_implementation": "auto"}) == ("sdpa", None)
    assert resolve_attn_implementation({"attn_implementation": "eager"}) == ("eager", None)
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    attn, note = resolve_attn_implementation({"attn_implementation": "flash_attention_2"})
    assert attn == "sdpa" and "flash_attn" in note
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    attn, note = resolve_attn_implementation({"attn_implementation": "flash_attention_2"})
    assert attn == "sdpa" and "CUDA" in note
    with pytest.raises(R1Error, match="unknown \\[model\\] attn_implementation"):
        resolve_attn_implementation({"attn_implementation": "flash"})


def test_model_init_kwargs_defaults(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    kwargs = model_init_kwargs(recipe())
    assert kwargs == {
        "dtype": "float32",
        "attn_implementation": "sdpa",
        "trust_remote_code": False,
        "use_safetensors": True,
    }
    hub = model_init_kwargs(recipe(model={"name_or_path": "Qwen/Qwen2.5-0.5B", "trust_remote_code": True}))
    assert hub["revision"] == "main" and hub["trust_remote_code"] is True


def test_model_init_kwargs_quantized(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    kwargs = model_init_kwargs(recipe(quantization={"load_in_4bit": True, "quant_type": "fp4"}))
    quant = kwargs["quantization_config"]
    assert quant.load_in_4bit and quant.bnb_4bit_quant_type == "fp4" and quant.bnb_4bit_use_double_quant
    assert quant.bnb_4bit_compute_dtype == torch.float32
    assert kwargs["device_map"] == {"": "cpu"}
    eight = model_init_kwargs(recipe(quantization={"load_in_8bit": True}))["quantization_config"]
    assert eight.load_in_8bit and not eight.load_in_4bit
    with pytest.raises(R1Error, match="both true"):
        model_init_kwargs(recipe(quantization={"load_in_4bit": True, "load_in_8bit": True}))
    with pytest.raises(R1Error, match="quant_type"):
        model_init_kwargs(recipe(quantization={"load_in_4bit": True, "quant_type": "int4"}))


def test_lora_config():
    assert lora_config(recipe()) is None
    config = lora_config(recipe(lora={"enabled": True}))
    assert (config.r, config.lora_alpha, config.lora_dropout) == (4, 8, 0.0)
    assert config.target_modules == "all-linear" and config.task_type == "CAUSAL_LM"
    listed = lora_config(recipe(lora={"enabled": True, "target_modules": ["q_proj", "v_proj"]}))
    assert set(listed.target_modules) == {"q_proj", "v_proj"}
    with pytest.raises(R1Error, match="target_modules"):
        lora_config(recipe(lora={"enabled": True, "target_modules": 3}))
    with pytest.raises(R1Error, match="dropout"):
        lora_config(recipe(lora={"enabled": True, "dropout": 1.5}))


def test_load_model_and_tokenizer_from_recipe():
    model = load_model(recipe())
    tokenizer = load_tokenizer(recipe(), padding_side="left")
    assert model.config.hidden_size == TINY["hidden_size"] and model.dtype == torch.float32
    assert tokenizer.pad_token == "<|endoftext|>" and tokenizer.padding_side == "left"
    batch = tokenizer(["1 + 1", "What is 12 + 30?"], return_tensors="pt", padding=True)
    out = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert out.shape == (2, batch["input_ids"].shape[1] + 3)


def test_load_4bit_on_cpu_trains_with_lora():
    from peft import get_peft_model

    data = recipe(quantization={"load_in_4bit": True}, lora={"enabled": True})
    model = load_model(data, for_training=True)
    assert model.is_loaded_in_4bit
    assert type(model.model.layers[0].mlp.up_proj).__name__ == "Linear4bit"
    model.eval()  # an eval-mode forward first must not break training afterwards (bitsandbytes CPU repacking)
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    with torch.no_grad():
        model(input_ids=ids)
    peft_model = get_peft_model(model, lora_config(data))
    peft_model.train()
    loss = peft_model(input_ids=ids, labels=ids).loss
    loss.backward()
    grads = [p.grad for n, p in peft_model.named_parameters() if "lora_" in n]
    assert grads and all(g is not None for g in grads)


def test_recipe_is_not_mutated():
    data = recipe(quantization={"load_in_4bit": True})
    before = copy.deepcopy(data)
    model_init_kwargs(data)
    lora_config(data)
    assert data == before


def test_unusable_bitsandbytes_is_a_user_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # `import bitsandbytes` now raises ImportError
    with pytest.raises(R1Error, match="bitsandbytes is unusable here"):
        model_init_kwargs(recipe(quantization={"load_in_4bit": True}))
