"""Load a model and its tokenizer as a recipe says: dtype, attention, revision, LoRA, 4/8-bit quantization.

`model_init_kwargs(recipe.data)` is what TRL's `model_init_kwargs` takes; `load_model`/`load_tokenizer` load the
recipe's model here; `load_trained(dir)` loads what a stage saved (a full model or a LoRA adapter) for generation.
The reserved name "r1-tiny" is the locally built tiny model (see r1cli/tiny.py), so everything runs offline.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from r1cli.errors import R1Error, did_you_mean
from r1cli.paths import looks_local
from r1cli.tiny import TINY_MODEL_NAME, tiny_cache_key, tiny_model_path

DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTN_IMPLEMENTATIONS = ("auto", "eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention")
_FLASH_MODULES = {"flash_attention_2": "flash_attn", "flash_attention_3": "flash_attn_interface"}
SAFETENSORS_FILES = ("model.safetensors", "model.safetensors.index.json")


def resolve_model_path(model_cfg: dict[str, Any], tiny_cfg: dict[str, Any] | None = None) -> str:
    """The recipe's model as a from_pretrained argument: "r1-tiny" becomes its cached directory."""
    name = str(model_cfg.get("name_or_path") or "").strip()
    if not name:
        raise R1Error(
            "[model] name_or_path is empty", hint=f"set a hub id, a local directory or '{TINY_MODEL_NAME}'"
        )
    if name == TINY_MODEL_NAME:
        return str(tiny_model_path(tiny_cfg))
    return name


def resolve_dtype(model_cfg: dict[str, Any]) -> str:
    """[model] dtype as a name: "auto" is bfloat16 on GPUs that support it, float16 on other GPUs, float32 on CPU."""
    dtype = str(model_cfg.get("dtype", "auto"))
    if dtype not in DTYPES:
        raise R1Error(
            f"unknown [model] dtype '{dtype}'", hint=did_you_mean(dtype, DTYPES) or f"use one of {DTYPES}"
        )
    if dtype != "auto":
        return dtype
    if torch.cuda.is_available():
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float32"


def resolve_attn_implementation(model_cfg: dict[str, Any]) -> tuple[str, str | None]:
    """[model] attn_implementation, and a note for the user when FlashAttention was asked for but can't run."""
    attn = str(model_cfg.get("attn_implementation", "auto"))
    if attn not in ATTN_IMPLEMENTATIONS:
        hint = did_you_mean(attn, ATTN_IMPLEMENTATIONS) or f"use one of {ATTN_IMPLEMENTATIONS}"
        raise R1Error(f"unknown [model] attn_implementation '{attn}'", hint=hint)
    if attn == "auto":
        return "sdpa", None
    if attn in _FLASH_MODULES:
        module = _FLASH_MODULES[attn]
        if importlib.util.find_spec(module) is None:
            return "sdpa", f"{attn} asked for but the '{module}' package is not installed: using sdpa"
        if not torch.cuda.is_available():
            return "sdpa", f"{attn} needs a CUDA GPU: using sdpa"
    return attn, None


def _torch_dtype(name: str) -> torch.dtype:
    return getattr(torch, name)


def quantization_config(recipe_data: dict[str, Any]):
    """A BitsAndBytesConfig from [quantization], or None when neither 4-bit nor 8-bit is on."""
    quant = recipe_data.get("quantization", {})
    four, eight = bool(quant.get("load_in_4bit")), bool(quant.get("load_in_8bit"))
    if not (four or eight):
        return None
    if four and eight:
        raise R1Error("[quantization] load_in_4bit and load_in_8bit are both on", hint="choose one")
    _check_bitsandbytes("4-bit" if four else "8-bit")
    from transformers import BitsAndBytesConfig

    if eight:
        return BitsAndBytesConfig(load_in_8bit=True)
    quant_type = str(quant.get("quant_type", "nf4"))
    if quant_type not in ("nf4", "fp4"):
        raise R1Error(f"unknown [quantization] quant_type '{quant_type}'", hint="use 'nf4' or 'fp4'")
    compute = str(quant.get("compute_dtype", "auto"))
    if compute == "auto":
        compute = resolve_dtype(recipe_data.get("model", {}))
    elif compute not in DTYPES:
        raise R1Error(f"unknown [quantization] compute_dtype '{compute}'", hint=f"use one of {DTYPES}")
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quant_type,
        bnb_4bit_use_double_quant=bool(quant.get("double_quant", True)),
        bnb_4bit_compute_dtype=_torch_dtype(compute),
    )


def _check_bitsandbytes(what: str) -> None:
    try:
        import bitsandbytes  # noqa: F401
    except Exception as exc:  # an ImportError, or a backend that fails while loading its native library
        raise R1Error(
            f"bitsandbytes {what} loading was requested but bitsandbytes is unusable here: {exc}",
            hint="install bitsandbytes for this platform or turn [quantization] off",
        ) from exc


def _quantized_device_map() -> dict[str, Any]:
    # Quantized weights are placed at load time: each process puts the whole model on its own device.
    if torch.cuda.is_available():
        return {"": f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"}
    return {"": "cpu"}


def model_init_kwargs(recipe_data: dict[str, Any]) -> dict[str, Any]:
    """from_pretrained keyword arguments for the recipe's model (TRL's `model_init_kwargs` accepts them).

    The attention fallback note is not included: show `resolve_attn_implementation(...)[1]` to the user.
    """
    model_cfg = recipe_data.get("model", {})
    attn, _note = resolve_attn_implementation(model_cfg)
    kwargs: dict[str, Any] = {
        "dtype": resolve_dtype(model_cfg),
        "attn_implementation": attn,
        "trust_remote_code": bool(model_cfg.get("trust_remote_code", False)),
        "use_safetensors": True,
    }
    if model_cfg.get("name_or_path") != TINY_MODEL_NAME and model_cfg.get("revision"):
        kwargs["revision"] = str(model_cfg["revision"])
    quant = quantization_config(recipe_data)
    if quant is not None:
        kwargs["quantization_config"] = quant
        kwargs["device_map"] = _quantized_device_map()
    return kwargs


@contextlib.contextmanager
def _loading(name: str, quantized: bool = False) -> Iterator[None]:
    """Turn from_pretrained's OSErrors (and bitsandbytes failures when quantized) into one-line R1Errors."""
    try:
        yield
    except (ImportError, RuntimeError) as exc:
        if not quantized:
            raise
        first = (str(exc).splitlines() or [repr(exc)])[0]
        raise R1Error(
            f"bitsandbytes quantized loading of '{name}' failed here: {first}",
            hint="turn [quantization] off or use a GPU that bitsandbytes supports",
        ) from exc
    except OSError as exc:
        text = str(exc)
        if "couldn't connect" in text or "offline" in text.lower() or "outgoing traffic" in text:
            raise R1Error(
                f"cannot reach the hub for '{name}': use a local directory or a cached model"
            ) from exc
        if "safetensors" in text or "does not appear to have a file named" in text:
            raise R1Error(
                f"'{name}' has no safetensors weights (r1 loads safetensors only)",
                hint="convert the checkpoint with save_pretrained(safe_serialization=True)",
            ) from exc
        if "not a valid model identifier" in text or "is not a local folder" in text:
            raise R1Error(f"model '{name}' is neither a local directory nor a model on the hub") from exc
        raise R1Error(f"cannot load '{name}': {text.splitlines()[0] if text else exc!r}") from exc


def is_quantized(model: Any) -> bool:
    return bool(getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False))


def prepare_for_kbit(model: Any, gradient_checkpointing: bool = False) -> Any:
    """Make a 4/8-bit model trainable with LoRA (peft's prepare_model_for_kbit_training); others pass through."""
    if not is_quantized(model):
        return model
    from peft import prepare_model_for_kbit_training

    # bitsandbytes 0.50 repacks 4-bit CPU weights for fast inference on the first eval-mode forward, and a
    # repacked layer then fails in training ("a view of a leaf Variable ... in-place"): keep training models unpacked.
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False
    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)


def load_model(recipe_data: dict[str, Any], for_training: bool = False, gradient_checkpointing: bool = False):
    """The recipe's causal LM; quantized models are prepared for k-bit training when `for_training`."""
    from transformers import AutoModelForCausalLM

    path = resolve_model_path(recipe_data.get("model", {}), recipe_data.get("tiny"))
    kwargs = model_init_kwargs(recipe_data)
    kwargs["dtype"] = _torch_dtype(kwargs["dtype"])
    with _loading(path, quantized="quantization_config" in kwargs):
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if for_training:
        model = prepare_for_kbit(model, gradient_checkpointing=gradient_checkpointing)
    return model


def _finish_tokenizer(tokenizer: Any, padding_side: str | None) -> Any:
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token if tokenizer.eos_token is not None else tokenizer.unk_token
    if padding_side is not None:
        tokenizer.padding_side = padding_side
    return tokenizer


def load_tokenizer(recipe_data: dict[str, Any], padding_side: str | None = None):
    """The recipe's tokenizer with a pad token; pass padding_side="left" for batched generation."""
    from transformers import AutoTokenizer

    model_cfg = recipe_data.get("model", {})
    path = resolve_model_path(model_cfg, recipe_data.get("tiny"))
    kwargs: dict[str, Any] = {"trust_remote_code": bool(model_cfg.get("trust_remote_code", False))}
    if model_cfg.get("name_or_path") != TINY_MODEL_NAME and model_cfg.get("revision"):
        kwargs["revision"] = str(model_cfg["revision"])
    with _loading(path):
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    return _finish_tokenizer(tokenizer, padding_side)


def lora_config(recipe_data: dict[str, Any]):
    """A peft LoraConfig from [lora], or None when LoRA is off."""
    lora = recipe_data.get("lora", {})
    if not lora.get("enabled", False):
        return None
    from peft import LoraConfig

    targets = lora.get("target_modules", "all-linear")
    if not (
        isinstance(targets, str) or (isinstance(targets, list) and all(isinstance(t, str) for t in targets))
    ):
        raise R1Error('[lora] target_modules must be "all-linear" or a list of module names')
    for key in ("r", "alpha"):
        if not isinstance(lora.get(key, 1), int) or lora.get(key, 1) < 1:
            raise R1Error(f"[lora] {key} must be a positive integer, got {lora.get(key)!r}")
    dropout = lora.get("dropout", 0.05)
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise R1Error(f"[lora] dropout must be in [0, 1), got {dropout!r}")
    return LoraConfig(
        r=int(lora.get("r", 16)),
        lora_alpha=int(lora.get("alpha", 32)),
        lora_dropout=float(dropout),
        target_modules=targets,
        task_type="CAUSAL_LM",
    )


def _base_of_adapter(adapter_dir: Path, tiny_cfg: dict[str, Any] | None) -> tuple[str, str | None]:
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


def _check_model_dir(path: Path, shown: str) -> str:
    """'full' or 'adapter' for a saved model directory; R1Error for anything else."""
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
    raise R1Error(f"'{shown}' is not a model directory (no config.json or adapter_config.json)")


def load_trained(
    model_dir: str | Path,
    dtype: str = "auto",
    attn_implementation: str = "auto",
    trust_remote_code: bool = False,
    load_in_4bit: bool = False,
    tiny_cfg: dict[str, Any] | None = None,
    padding_side: str | None = "left",
    merge_adapter: bool = True,
) -> tuple[Any, Any]:
    """(model, tokenizer) for generation from a saved directory: a full model or a LoRA adapter on its base.

    Also accepts "r1-tiny" and hub ids. Adapters are merged into their base unless quantized or merge_adapter=False.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = str(model_dir)
    if name == TINY_MODEL_NAME:
        name = str(tiny_model_path(tiny_cfg))
    path = Path(name).expanduser()
    if path.exists() or looks_local(name):
        kind = _check_model_dir(path, name)
        source, revision = (str(path), None) if kind == "full" else _base_of_adapter(path, tiny_cfg)
    else:
        kind, source, revision = "hub", name, None

    model_cfg = {"dtype": dtype, "attn_implementation": attn_implementation}
    attn, note = resolve_attn_implementation(model_cfg)
    if note:
        print(f"r1: note: {note}", file=sys.stderr)
    kwargs: dict[str, Any] = {
        "dtype": _torch_dtype(resolve_dtype(model_cfg)),
        "attn_implementation": attn,
        "trust_remote_code": trust_remote_code,
        "use_safetensors": True,
    }
    if revision:
        kwargs["revision"] = revision
    if load_in_4bit:
        quant = {"load_in_4bit": True}
        kwargs["quantization_config"] = quantization_config({"model": model_cfg, "quantization": quant})
        kwargs["device_map"] = _quantized_device_map()

    with _loading(source, quantized=load_in_4bit):
        if not Path(source).exists():  # a hub id: fail fast (one line) before loading weights
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

    has_tokenizer = kind != "adapter" or any(
        (path / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json")
    )
    tok_source = str(path) if kind == "adapter" and has_tokenizer else source
    with _loading(tok_source):
        tokenizer = AutoTokenizer.from_pretrained(tok_source, trust_remote_code=trust_remote_code)
    return model, _finish_tokenizer(tokenizer, padding_side)


def model_info(model_dir: str | Path, tiny_cfg: dict[str, Any] | None = None) -> dict[str, Any]:
    """What `r1 model info` shows: size, dtype, vocabulary, chat template, tags as single tokens."""
    from r1cli.tiny import THINK_TAGS

    model, tokenizer = load_trained(model_dir, tiny_cfg=tiny_cfg, merge_adapter=False)
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
        "stored_dtype": _stored_dtype(Path(str(model_dir)), Path(str(config._name_or_path))),
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


def _stored_dtype(*dirs: Path) -> str:
    """The dtype a checkpoint was saved in, from the first config.json found."""
    for directory in dirs:
        if (directory / "config.json").is_file():
            config = json.loads((directory / "config.json").read_text())
            return str(config.get("dtype") or config.get("torch_dtype") or "unknown")
    return "unknown"
