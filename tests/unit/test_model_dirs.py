"""Opening saved models for generation: full models, LoRA adapters, r1-tiny, hub ids, and the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from r1cli.data.prepare import as_tokenizer
from r1cli.models.folders import locate_model, model_info, open_model, open_model_for_recipe
from r1cli.models.loading import open_tokenizer
from r1cli.models.tiny import TINY_MODEL_NAME, build_tiny_model
from r1cli.plumbing.errors import R1Error

TINY = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}


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


def test_open_model_full_model(full_dir):
    model, tokenizer = open_model(full_dir)
    assert not model.training and tokenizer.padding_side == "left"
    assert model.config.vocab_size == len(tokenizer)


def test_open_model_adapter(adapter_dir):
    path, expected = adapter_dir
    model, tokenizer = open_model(path)  # no tokenizer in the adapter dir: the base's is used
    assert tokenizer.eos_token == "<|im_end|>"
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)
    info = model_info(path)
    assert info["kind"] == "lora adapter" and info["adapter_parameters"] > 0


def test_open_model_adapter_on_r1_tiny_name(adapter_dir, tmp_path):
    path, expected = adapter_dir
    renamed = tmp_path / "adapter"
    renamed.mkdir()
    for item in path.iterdir():
        (renamed / item.name).write_bytes(item.read_bytes())
    config = json.loads((renamed / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = TINY_MODEL_NAME
    (renamed / "adapter_config.json").write_text(json.dumps(config))
    model, _ = open_model(renamed, tiny_cfg=TINY)  # same [tiny] section: same weights as full_dir
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)


def test_open_model_errors(full_dir, tmp_path):
    with pytest.raises(R1Error, match="does not exist"):
        open_model(tmp_path / "missing")
    with pytest.raises(R1Error, match="does not exist"):
        open_model("./runs/none")
    with pytest.raises(R1Error, match="not a model directory"):
        open_model(tmp_path)
    bin_only = tmp_path / "bin"
    bin_only.mkdir()
    (bin_only / "config.json").write_text((full_dir / "config.json").read_text())
    (bin_only / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(R1Error, match="no safetensors"):
        open_model(bin_only)
    with pytest.raises(R1Error) as excinfo:
        open_model("Qwen/Qwen2.5-0.5B-Instruct")  # tests run with HF_HUB_OFFLINE=1
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


def test_open_model_4bit_generates(full_dir):
    model, tokenizer = open_model(full_dir, load_in_4bit=True)
    assert model.is_loaded_in_4bit
    batch = tokenizer(["What is 1 + 2?"], return_tensors="pt")
    out = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == batch["input_ids"].shape[1] + 3


def test_unusable_bitsandbytes_is_a_user_error(full_dir, monkeypatch):
    from transformers import AutoModelForCausalLM

    def failing(*args, **kwargs):
        raise RuntimeError("no kernel for this device\nmore detail")

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", failing)
    with pytest.raises(
        R1Error, match=r"quantized loading of .* failed here: no kernel for this device \(turn"
    ):
        open_model(full_dir, load_in_4bit=True)


def test_a_run_that_stopped_before_saving_points_at_its_checkpoint(full_dir, tmp_path):
    (tmp_path / "checkpoint-5").mkdir()
    with pytest.raises(R1Error, match="not a model directory") as excinfo:
        locate_model(tmp_path)
    assert "checkpoint-5" in str(excinfo.value)


def test_locate_model_kinds(full_dir, adapter_dir):
    assert locate_model(full_dir)[0] == "full"
    kind, source, path = locate_model(adapter_dir[0])
    assert kind == "adapter" and path == adapter_dir[0] and Path(source).is_dir()
    assert locate_model("Qwen/Qwen2.5-0.5B")[:2] == ("hub", "Qwen/Qwen2.5-0.5B")
    kind, source, _ = locate_model(TINY_MODEL_NAME, TINY)
    assert kind == "full" and Path(source, "r1_tiny.json").is_file()


def test_open_model_for_recipe_uses_the_recipe_model_and_settings(full_dir):
    data = {"model": {"name_or_path": TINY_MODEL_NAME, "dtype": "float32"}, "tiny": TINY}
    model, tokenizer = open_model_for_recipe(data)
    assert model.config.hidden_size == TINY["hidden_size"] and tokenizer.padding_side == "left"
    model, _ = open_model_for_recipe(data, full_dir)  # --model wins over the recipe's model
    assert model.config.hidden_size == TINY["hidden_size"]
    with pytest.raises(R1Error, match="load_in_8bit is not supported for generation"):
        open_model_for_recipe({**data, "quantization": {"load_in_8bit": True}})
    with pytest.raises(R1Error, match="no model given"):
        open_model_for_recipe({"model": {"name_or_path": ""}})


def test_one_tokenizer_loader(full_dir, tmp_path):
    tokenizer = open_tokenizer(full_dir, padding_side="left")
    assert tokenizer.pad_token == "<|endoftext|>" and tokenizer.padding_side == "left"
    assert len(open_tokenizer(TINY_MODEL_NAME, tiny_cfg=TINY)) == len(tokenizer)
    assert as_tokenizer(str(full_dir), 10).eos_token == "<|im_end|>"  # data prepare's --tokenizer uses it
    with pytest.raises(R1Error, match="needs the model's tokenizer"):
        as_tokenizer(None, 10)
    with pytest.raises(R1Error) as excinfo:
        as_tokenizer("Qwen/Qwen2.5-0.5B", 10)  # tests run with HF_HUB_OFFLINE=1
    assert (
        str(excinfo.value)
        == "cannot reach the hub for 'Qwen/Qwen2.5-0.5B': use a local directory or a cached model"
    )
    with pytest.raises(R1Error, match=r"tokenizer directory '\./nowhere' does not exist"):
        open_tokenizer("./nowhere")
