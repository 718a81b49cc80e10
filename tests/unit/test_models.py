"""Model loading per recipe: path, dtype and attention resolution, LoRA, 4-bit, saved full models and adapters."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch

from r1cli import models
from r1cli.errors import R1Error
from r1cli.models import (
    load_model,
    load_tokenizer,
    load_trained,
    lora_config,
    model_info,
    model_init_kwargs,
    resolve_attn_implementation,
    resolve_dtype,
    resolve_model_path,
)
from r1cli.tiny import TINY_MODEL_NAME, build_tiny_model

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


@pytest.fixture(scope="module")
def full_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("full") / "model", TINY)


@pytest.fixture(scope="module")
def adapter_dir(full_dir, tmp_path_factory) -> tuple[Path, torch.Tensor]:
    """A LoRA adapter on the tiny model with non-zero B weights, and the adapted model's logits."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(full_dir)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    peft_model.eval()
    with torch.no_grad():
        logits = peft_model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits
    out = tmp_path_factory.mktemp("adapter") / "adapter"
    peft_model.save_pretrained(out)
    return out, logits


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
    with pytest.raises(R1Error, match="both on"):
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


def test_load_trained_full_model(full_dir):
    model, tokenizer = load_trained(full_dir)
    assert not model.training and tokenizer.padding_side == "left"
    assert model.config.vocab_size == len(tokenizer)


def test_load_trained_adapter(adapter_dir):
    path, expected = adapter_dir
    model, tokenizer = load_trained(path)  # no tokenizer in the adapter dir: the base's is used
    assert tokenizer.eos_token == "<|im_end|>"
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)
    info = model_info(path)
    assert info["kind"] == "lora adapter" and info["adapter_parameters"] > 0


def test_load_trained_adapter_on_r1_tiny_name(adapter_dir, tmp_path):
    path, expected = adapter_dir
    renamed = tmp_path / "adapter"
    renamed.mkdir()
    for item in path.iterdir():
        (renamed / item.name).write_bytes(item.read_bytes())
    config = json.loads((renamed / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = TINY_MODEL_NAME
    (renamed / "adapter_config.json").write_text(json.dumps(config))
    model, _ = load_trained(renamed, tiny_cfg=TINY)  # same [tiny] section: same weights as full_dir
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)


def test_load_trained_errors(full_dir, tmp_path):
    with pytest.raises(R1Error, match="does not exist"):
        load_trained(tmp_path / "missing")
    with pytest.raises(R1Error, match="does not exist"):
        load_trained("./runs/none")
    with pytest.raises(R1Error, match="not a model directory"):
        load_trained(tmp_path)
    bin_only = tmp_path / "bin"
    bin_only.mkdir()
    (bin_only / "config.json").write_text((full_dir / "config.json").read_text())
    (bin_only / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(R1Error, match="no safetensors"):
        load_trained(bin_only)
    with pytest.raises(R1Error) as excinfo:
        load_trained("Qwen/Qwen2.5-0.5B-Instruct")  # tests run with HF_HUB_OFFLINE=1
    assert str(excinfo.value) == (
        "cannot reach the hub for 'Qwen/Qwen2.5-0.5B-Instruct': use a local directory or a cached model"
    )


def test_model_info(full_dir):
    info = model_info(full_dir)
    assert info["kind"] == "full model" and info["architecture"] == "Qwen2ForCausalLM"
    assert info["stored_dtype"] == "float32" and info["chat_template"] and info["generation_markers"]
    assert info["tags_single_token"] == {
        "<think>": True,
        "</think>": True,
        "<answer>": True,
        "</answer>": True,
    }
    assert info["vocab_size"] == info["tokenizer_size"] and info["parameters"] > 0


def test_recipe_is_not_mutated():
    data = recipe(quantization={"load_in_4bit": True})
    before = copy.deepcopy(data)
    model_init_kwargs(data)
    lora_config(data)
    assert data == before


def test_load_trained_4bit_generates(full_dir):
    model, tokenizer = load_trained(full_dir, load_in_4bit=True)
    assert model.is_loaded_in_4bit
    batch = tokenizer(["What is 1 + 2?"], return_tensors="pt")
    out = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == batch["input_ids"].shape[1] + 3


def test_unusable_bitsandbytes_is_a_user_error(full_dir, monkeypatch):
    import sys

    from transformers import AutoModelForCausalLM

    def failing(*args, **kwargs):
        raise RuntimeError("no kernel for this device\nmore detail")

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", failing)
    with pytest.raises(
        R1Error, match=r"quantized loading of .* failed here: no kernel for this device \(turn"
    ):
        load_trained(full_dir, load_in_4bit=True)
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # `import bitsandbytes` now raises ImportError
    with pytest.raises(R1Error, match="bitsandbytes is unusable here"):
        model_init_kwargs(recipe(quantization={"load_in_4bit": True}))
