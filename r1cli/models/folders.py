"""Open a saved model for inference: a stage's output folder (full model or LoRA adapter), "r1-tiny", a hub id.

    model, tokenizer = open_model("runs/tiny-zero")              # what `r1 train zero` saved
    model, tokenizer = open_model_for_recipe(recipe.tree, "runs/sft")   # with the recipe's dtype, 4-bit...
    facts = model_info("runs/tiny-zero")                         # what `r1 model info` shows

An adapter folder (adapter_config.json + adapter_model.safetensors) is loaded on the base model it
names and merged into it (unless quantized); its own tokenizer is used when it saved one. A folder
that is not a model, or holds only pickled weights, is a one-line R1Error. Loading a model for
*training* per recipe (LoRA, k-bit preparation) is r1cli/models/loading.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from r1cli.models.loading import (
    loading_errors,
    open_tokenizer,
    quantization_config,
    quantized_device_map,
    resolve_attn_implementation,
    resolve_dtype,
)
from r1cli.models.tiny import THINK_TAGS, TINY_MODEL_NAME, tiny_cache_key, tiny_model_path
from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.paths import looks_local
from r1cli.plumbing.rundir import DISTILL_STUDENT, PIPELINE_SUMMARY

SAFETENSORS_FILES = ("model.safetensors", "model.safetensors.index.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def _holds_a_model(path: Path) -> bool:
    return (path / "config.json").is_file() or (path / "adapter_config.json").is_file()


def check_model_dir(path: Path, shown: str | None = None) -> str:
    """'full' or 'adapter' for a saved model directory; a one-line R1Error for anything else."""
    shown = shown or str(path)
    if not path.exists():
        raise R1Error(f"model directory '{shown}' does not exist")
    if not path.is_dir():
        raise R1Error(f"'{shown}' is not a directory", hint="pass the directory a stage saved its model in")
    if (path / "adapter_config.json").is_file():
        if not (path / "adapter_model.safetensors").is_file():
            raise R1Error(f"'{shown}' has no adapter_model.safetensors (r1 loads safetensors only)")
        return "adapter"
    if (path / "config.json").is_file():
        if not any((path / f).is_file() for f in SAFETENSORS_FILES):
            raise R1Error(f"'{shown}' has no safetensors weights (r1 loads safetensors only)")
        return "full"
    checkpoints = sorted(path.glob("checkpoint-*"), key=lambda p: p.stat().st_mtime)
    hint = f"a run that stopped early: pass a checkpoint, e.g. '{checkpoints[-1]}'" if checkpoints else None
    raise R1Error(f"'{shown}' is not a model directory (no config.json or adapter_config.json)", hint=hint)


def adapter_base(adapter_dir: Path, tiny_cfg: dict[str, Any] | None = None) -> tuple[str, str | None]:
    """(base model path or hub id, revision) of a saved LoRA adapter; an r1-tiny base is rebuilt if gone."""
    adapter = json.loads((adapter_dir / "adapter_config.json").read_text())
    base = adapter.get("base_model_name_or_path")
    if not base:
        raise R1Error(
            f"'{adapter_dir}/adapter_config.json' does not name its base model (base_model_name_or_path)"
        )
    if base == TINY_MODEL_NAME:
        return str(tiny_model_path(tiny_cfg)), None
    # An adapter trained on r1-tiny names the cache directory it was built in: rebuild it there if it went away.
    if not Path(base).exists() and Path(base).name == f"{TINY_MODEL_NAME}-{tiny_cache_key(tiny_cfg)}":
        return str(tiny_model_path(tiny_cfg)), None
    return base, adapter.get("revision")


def final_model_in(folder: Path) -> Path | None:
    """The model a run folder ends in, where the folder is not a model itself: a pipeline run's last
    trained stage (its summary.json), a distill run's student/. None for any other folder."""
    summary = folder / PIPELINE_SUMMARY
    if summary.is_file():
        try:
            stages = json.loads(summary.read_text(encoding="utf-8")).get("stages") or []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            stages = []
        for stage in reversed(stages):
            model_dir = stage.get("model_dir") if isinstance(stage, dict) else None
            if model_dir and Path(model_dir).is_dir():
                return Path(model_dir)
        return None
    student = folder / DISTILL_STUDENT
    if (student / "config.json").is_file() or (student / "adapter_config.json").is_file():
        return student
    return None


def locate_model(
    name: str | Path, tiny_cfg: dict[str, Any] | None = None, *, quiet: bool = False
) -> tuple[str, str, Path | None]:
    """(kind, from_pretrained source, local folder or None): kind is 'full', 'adapter' or 'hub'.

    Checks local folders without loading anything, so a command can refuse a bad --model first. A
    pipeline or distill run folder stands for its final model (a note says which, unless `quiet`).
    """
    text = str(name)
    if text == TINY_MODEL_NAME:
        text = str(tiny_model_path(tiny_cfg))
    path = Path(text).expanduser()
    if path.is_dir() and not _holds_a_model(path) and (final := final_model_in(path)) is not None:
        if not quiet:
            run = "pipeline" if (path / PIPELINE_SUMMARY).is_file() else "distill"
            note(f"{name} is a {run} run: using its final model {final}", once=True)
        name, path = final, final
    if path.exists() or looks_local(text):
        kind = check_model_dir(path, str(name))
        source = str(path) if kind == "full" else adapter_base(path, tiny_cfg)[0]
        return kind, source, path
    return "hub", text, None


def tokenizer_source(kind: str, source: str, path: Path | None) -> str:
    """Where a located model's tokenizer is: an adapter's own folder when it saved one, else the model's."""
    if kind == "adapter" and path is not None and any((path / f).is_file() for f in TOKENIZER_FILES):
        return str(path)
    return source


def open_model(
    name: str | Path,
    dtype: str = "auto",
    attn_implementation: str = "auto",
    trust_remote_code: bool = False,
    load_in_4bit: bool = False,
    tiny_cfg: dict[str, Any] | None = None,
    padding_side: str | None = "left",
    merge_adapter: bool = True,
    revision: str | None = None,
) -> tuple[Any, Any]:
    """(model in eval mode, tokenizer) for generation: a saved folder (full or adapter), "r1-tiny" or a hub id.

    Adapters are merged into their base unless quantized or merge_adapter=False. On a CUDA machine the
    model is moved to the GPU. `revision` applies to a hub id only.
    """
    import torch
    from transformers import AutoModelForCausalLM

    kind, source, path = locate_model(name, tiny_cfg)
    if kind == "adapter":
        revision = adapter_base(path, tiny_cfg)[1]
    elif kind == "full":
        revision = None
    model_cfg = {"dtype": dtype, "attn_implementation": attn_implementation}
    attn, fallback = resolve_attn_implementation(model_cfg)
    if fallback:
        note(fallback)
    kwargs: dict[str, Any] = {
        "dtype": getattr(torch, resolve_dtype(model_cfg)),
        "attn_implementation": attn,
        "trust_remote_code": trust_remote_code,
        "use_safetensors": True,
    }
    if revision:
        kwargs["revision"] = revision
    if load_in_4bit:
        quant = {"load_in_4bit": True}
        kwargs["quantization_config"] = quantization_config({"model": model_cfg, "quantization": quant})
        kwargs["device_map"] = quantized_device_map()

    with loading_errors(source, quantized=load_in_4bit):
        if kind == "hub":  # fail fast (one line) before loading weights
            from transformers import AutoConfig

            AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    if kind == "adapter":
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(path), is_trainable=False)
        if merge_adapter and not load_in_4bit:
            model = model.merge_and_unload()
    if not load_in_4bit and torch.cuda.is_available():
        model = model.to("cuda")
    model.eval()

    own_tokenizer = tokenizer_source(kind, source, path) != source
    tokenizer = open_tokenizer(
        tokenizer_source(kind, source, path),
        trust_remote_code=trust_remote_code,
        revision=revision if kind != "full" and not own_tokenizer else None,
        padding_side=padding_side,
    )
    return model, tokenizer


def open_model_for_recipe(
    recipe_data: dict[str, Any], name: str | Path | None = None, padding_side: str | None = "left"
) -> tuple[Any, Any]:
    """open_model with the recipe's [model] loading settings; `name` defaults to model.name_or_path.

    4-bit comes from [quantization] load_in_4bit (8-bit is for training only and is refused here).
    """
    model_cfg = recipe_data.get("model", {})
    recipe_name = str(model_cfg.get("name_or_path") or "")
    name = name if name not in (None, "") else recipe_name
    if not name:
        raise R1Error("no model given", hint="pass --model DIR, or set model.name_or_path")
    quant = recipe_data.get("quantization", {})
    if quant.get("load_in_8bit"):
        raise R1Error(
            "[quantization] load_in_8bit is not supported for generation", hint="use load_in_4bit or neither"
        )
    revision = model_cfg.get("revision") if str(name) == recipe_name else None
    return open_model(
        name,
        dtype=str(model_cfg.get("dtype", "auto")),
        attn_implementation=str(model_cfg.get("attn_implementation", "auto")),
        trust_remote_code=bool(model_cfg.get("trust_remote_code", False)),
        load_in_4bit=bool(quant.get("load_in_4bit", False)),
        tiny_cfg=recipe_data.get("tiny"),
        padding_side=padding_side,
        revision=str(revision) if revision and recipe_name != TINY_MODEL_NAME else None,
    )


def model_info(model_dir: str | Path, tiny_cfg: dict[str, Any] | None = None) -> dict[str, Any]:
    """What `r1 model info` shows: size, dtype, vocabulary, chat template, tags as single tokens."""
    model, tokenizer = open_model(model_dir, tiny_cfg=tiny_cfg, merge_adapter=False)
    config = model.config
    params = dict(model.named_parameters())
    adapter = sum(p.numel() for name, p in params.items() if "lora_" in name)
    template = tokenizer.chat_template or ""
    if isinstance(template, dict):
        template = template.get("default", "")
    tags = {tag: len(tokenizer(tag, add_special_tokens=False).input_ids) == 1 for tag in THINK_TAGS}
    facts: dict[str, Any] = {
        "path": str(model_dir),
        "kind": "lora adapter" if adapter else "full model",
        "architecture": (config.architectures or [type(model).__name__])[0],
        "parameters": sum(p.numel() for p in params.values()) - adapter,
        "adapter_parameters": adapter,
        "stored_dtype": stored_dtype(Path(str(model_dir)), Path(str(config._name_or_path))),
        "vocab_size": config.vocab_size,
        "tokenizer_size": len(tokenizer),
        "eos_token": tokenizer.eos_token,
        "pad_token": tokenizer.pad_token,
        "chat_template": bool(template),
        "generation_markers": re.search(r"\{%-?\s*generation\s*-?%\}", template) is not None,
        "tags_single_token": tags,
    }
    if not adapter:
        del facts["adapter_parameters"]
    return facts


def stored_dtype(*dirs: Path) -> str:
    """The dtype a checkpoint was saved in, from the first config.json found."""
    for directory in dirs:
        if (directory / "config.json").is_file():
            config = json.loads((directory / "config.json").read_text())
            return str(config.get("dtype") or config.get("torch_dtype") or "unknown")
    return "unknown"
