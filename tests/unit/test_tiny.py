"""The r1-tiny model: builds offline in seconds, loads with the Auto classes, keeps the R1 tags as tokens."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from r1cli.models.tiny import (
    THINK_TAGS,
    TINY_MODEL_NAME,
    build_tiny_model,
    full_tiny_config,
    tiny_cache_key,
    tiny_model_path,
)
from r1cli.plumbing.errors import R1Error

SMALL = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, float]:
    import transformers  # noqa: F401  (import time is not build time)

    out = tmp_path_factory.mktemp("tiny") / "model"
    start = time.perf_counter()
    path = build_tiny_model(out, {})
    return path, time.perf_counter() - start


@pytest.fixture(scope="module")
def tokenizer(built):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(built[0])


def test_builds_in_seconds_with_safetensors_only(built):
    path, seconds = built
    assert seconds < 5, f"tiny build took {seconds:.1f} s"
    names = {p.name for p in path.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"} <= names
    assert not any(name.endswith(".bin") for name in names)


def test_loads_with_auto_classes_and_generates(built, tokenizer):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(built[0])
    assert model.config.model_type == "qwen2"
    assert model.config.vocab_size == len(tokenizer)
    inputs = tokenizer(["What is 2 + 3?"], return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_tags_survive_skip_special_tokens(tokenizer):
    text = "<think>\n12 + 30 = 42\n</think>\n<answer>\n42\n</answer>"
    ids = tokenizer(text + tokenizer.eos_token).input_ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    for tag in THINK_TAGS:
        assert len(tokenizer(tag, add_special_tokens=False).input_ids) == 1, tag


def test_digits_are_single_tokens(tokenizer):
    for digit in "0123456789":
        assert len(tokenizer(digit, add_special_tokens=False).input_ids) == 1
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("x = 12345", add_special_tokens=False).input_ids)
    assert tokens[-5:] == list("12345")


def test_eos_and_pad_tokens(tokenizer):
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.pad_token == "<|endoftext|>"


def test_chat_template_renders_chatml_with_generation_prompt(tokenizer):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2 + 3?"},
        {"role": "assistant", "content": "<think>2 + 3 = 5</think><answer>5</answer>"},
    ]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n"
        "<|im_start|>assistant\n<think>2 + 3 = 5</think><answer>5</answer><|im_end|>\n"
    )
    prompt = tokenizer.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_end|>\n<|im_start|>assistant\n")


def test_chat_template_is_ready_for_assistant_only_loss(tokenizer):
    from trl.chat_template_utils import has_generation_markers, is_chat_template_stop_token_trained

    messages = [{"role": "user", "content": "1 + 1?"}, {"role": "assistant", "content": "<answer>2</answer>"}]
    out = tokenizer.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    masked = [i for i, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(masked) == "<answer>2</answer><|im_end|>"
    assert has_generation_markers(tokenizer.chat_template)
    assert is_chat_template_stop_token_trained(tokenizer)


def test_build_is_deterministic(built, tmp_path):
    again = build_tiny_model(tmp_path / "again", {})
    for name in ("tokenizer.json", "model.safetensors", "config.json"):
        assert (again / name).read_bytes() == (built[0] / name).read_bytes(), name


def test_overwrite_replaces_a_tiny_model_but_never_an_unrelated_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    for overwrite in (False, True):
        with pytest.raises(R1Error, match="is not an earlier `r1 model tiny` output"):
            build_tiny_model(tmp_path, SMALL, overwrite=overwrite)
    assert (tmp_path / "keep.txt").exists()
    model_dir = tmp_path / "tiny"
    build_tiny_model(model_dir, SMALL)
    with pytest.raises(R1Error, match="already holds an r1-tiny model"):
        build_tiny_model(model_dir, SMALL)
    build_tiny_model(model_dir, SMALL, overwrite=True)
    assert (model_dir / "model.safetensors").is_file()


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"num_attention_heads": 3}, "divisible by num_attention_heads"),
        ({"num_key_value_heads": 3}, "divisible by num_key_value_heads"),
        ({"hidden_size": 0}, "positive integer"),
        ({"hiden_size": 64}, "unknown \\[tiny\\] key"),
    ],
)
def test_bad_shapes_are_user_errors(tmp_path, cfg, message):
    with pytest.raises(R1Error, match=message):
        build_tiny_model(tmp_path / "m", cfg)


def test_cache_key_follows_the_full_config():
    assert tiny_cache_key({}) == tiny_cache_key(full_tiny_config({}))
    assert tiny_cache_key({}) != tiny_cache_key({"seed": 1})


def test_cached_build_happens_once_and_survives_a_race(tmp_path, monkeypatch):
    import r1cli.models.tiny as tiny

    monkeypatch.setenv("R1_CACHE", str(tmp_path))
    calls = []
    real_build = tiny.build_tiny_model

    def counting_build(*args, **kwargs):
        calls.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(tiny, "build_tiny_model", counting_build)
    results: list[Path] = []
    # Two builders at once (like torchrun ranks): both build, one rename wins, both get the same directory.
    threads = [threading.Thread(target=lambda: results.append(tiny_model_path(SMALL))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    path = results[0]
    assert path.name.startswith(f"{TINY_MODEL_NAME}-") and path.parent == tmp_path / "models"
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [path.name]  # no temp dirs left
    built_times = len(calls)
    assert tiny_model_path(SMALL) == path
    assert len(calls) == built_times  # cached: not built again
