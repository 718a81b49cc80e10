"""Load a model and its tokenizer for training, as a recipe says: dtype, attention, revision, LoRA, 4/8-bit.

`model_init_kwargs(recipe.tree)` is what TRL's `model_init_kwargs` takes; `load_model`/`load_tokenizer` load the
recipe's model here; `open_tokenizer` is the one tokenizer loader (a path, a hub id or "r1-tiny").
Opening what a stage saved (a full model or a LoRA adapter) for generation is r1cli/models/folders.py.
The reserved name "r1-tiny" is the locally built tiny model (see r1cli/models/tiny.py), so everything runs offline.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from r1cli.recipe.provenance import Recipe

from r1cli.models.tiny import TINY_MODEL_NAME, tiny_model_path
from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.plumbing.paths import looks_local

DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTN_IMPLEMENTATIONS = ("auto", "eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention")
_FLASH_MODULES = {"flash_attention_2": "flash_attn", "flash_attention_3": "flash_attn_interface"}
FLASH_ATTENTION = tuple(_FLASH_MODULES)


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
    import torch  # here, not at the top: r1cli.models.prompting reads model folders without torch

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
        import torch

        if not torch.cuda.is_available():
            return "sdpa", f"{attn} needs a CUDA GPU: using sdpa"
    return attn, None


def _torch_dtype(name: str) -> torch.dtype:
    import torch

    return getattr(torch, name)


# [lora] and [quantization] keys -> the field of peft's LoraConfig / transformers' BitsAndBytesConfig each
# one sets (lora.enabled and lora.merge_on_save are r1's own switches). A test checks them against those classes.
LORA_FIELDS = {"r": "r", "alpha": "lora_alpha", "dropout": "lora_dropout", "target_modules": "target_modules"}
QUANTIZATION_FIELDS = {
    "load_in_4bit": "load_in_4bit",
    "load_in_8bit": "load_in_8bit",
    "quant_type": "bnb_4bit_quant_type",
    "double_quant": "bnb_4bit_use_double_quant",
    "compute_dtype": "bnb_4bit_compute_dtype",
}


def quantization_config(recipe_data: dict[str, Any]):
    """A BitsAndBytesConfig from [quantization], or None when neither 4-bit nor 8-bit is on."""
    quant = recipe_data.get("quantization", {})
    four, eight = bool(quant.get("load_in_4bit")), bool(quant.get("load_in_8bit"))
    if not (four or eight):
        return None
    if four and eight:
        raise R1Error(
            "quantization.load_in_4bit and quantization.load_in_8bit are both true", hint="choose one"
        )
    _check_bitsandbytes("4-bit" if four else "8-bit")
    from transformers import BitsAndBytesConfig

    if eight:
        return BitsAndBytesConfig(**{QUANTIZATION_FIELDS["load_in_8bit"]: True})
    quant_type = str(quant.get("quant_type", "nf4"))
    if quant_type not in ("nf4", "fp4"):
        raise R1Error(f"unknown [quantization] quant_type '{quant_type}'", hint="use 'nf4' or 'fp4'")
    compute = str(quant.get("compute_dtype", "auto"))
    if compute == "auto":
        compute = resolve_dtype(recipe_data.get("model", {}))
    elif compute not in DTYPES:
        raise R1Error(f"unknown [quantization] compute_dtype '{compute}'", hint=f"use one of {DTYPES}")
    settings = {
        "load_in_4bit": True,
        "quant_type": quant_type,
        "double_quant": bool(quant.get("double_quant", True)),
        "compute_dtype": _torch_dtype(compute),
    }
    return BitsAndBytesConfig(**{QUANTIZATION_FIELDS[key]: value for key, value in settings.items()})


def _check_bitsandbytes(what: str) -> None:
    try:
        import bitsandbytes  # noqa: F401
    except Exception as exc:  # an ImportError, or a backend that fails while loading its native library
        raise R1Error(
            f"bitsandbytes {what} loading was requested but bitsandbytes is unusable here: {exc}",
            hint="install bitsandbytes for this platform or turn [quantization] off",
        ) from exc


def quantized_device_map() -> dict[str, Any]:
    # Quantized weights are placed at load time: each process puts the whole model on its own device.
    import torch

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
        kwargs["device_map"] = quantized_device_map()
    return kwargs


@contextlib.contextmanager
def loading_errors(name: str, quantized: bool = False, what: str = "model") -> Iterator[None]:
    """Turn from_pretrained's OSErrors (and bitsandbytes failures when quantized) into one-line R1Errors.

    `what` names the thing in messages ("model", "tokenizer").
    """
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
            raise R1Error(f"{what} '{name}' is neither a local directory nor a model on the hub") from exc
        raise R1Error(f"cannot load the {what} '{name}': {text.splitlines()[0] if text else exc!r}") from exc
    except ValueError as exc:  # e.g. a folder with a config.json but no tokenizer files
        text = str(exc).strip()
        raise R1Error(f"cannot load the {what} '{name}': {text.splitlines()[0] if text else exc!r}") from exc


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
    with loading_errors(path, quantized="quantization_config" in kwargs):
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if for_training:
        model = prepare_for_kbit(model, gradient_checkpointing=gradient_checkpointing)
    return model


def open_tokenizer(
    source: str | Path,
    *,
    trust_remote_code: bool = False,
    revision: str | None = None,
    padding_side: str | None = None,
    tiny_cfg: dict[str, Any] | None = None,
):
    """The one tokenizer loader: a directory, a hub id or "r1-tiny", with a pad token (EOS when it has none).

    Pass padding_side="left" for batched generation.
    """
    from transformers import AutoTokenizer

    name = str(source)
    if name == TINY_MODEL_NAME:
        name = str(tiny_model_path(tiny_cfg))
    elif looks_local(name) and not Path(name).expanduser().exists():
        raise R1Error(f"tokenizer directory '{name}' does not exist")
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if revision:
        kwargs["revision"] = revision
    with loading_errors(name, what="tokenizer"):
        tokenizer = AutoTokenizer.from_pretrained(name, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token if tokenizer.eos_token is not None else tokenizer.unk_token
    if padding_side is not None:
        tokenizer.padding_side = padding_side
    return tokenizer


def load_tokenizer(recipe_data: dict[str, Any], padding_side: str | None = None):
    """The recipe's tokenizer with a pad token; pass padding_side="left" for batched generation."""
    model_cfg = recipe_data.get("model", {})
    revision = None
    if model_cfg.get("name_or_path") != TINY_MODEL_NAME and model_cfg.get("revision"):
        revision = str(model_cfg["revision"])
    return open_tokenizer(
        resolve_model_path(model_cfg, recipe_data.get("tiny")),
        trust_remote_code=bool(model_cfg.get("trust_remote_code", False)),
        revision=revision,
        padding_side=padding_side,
    )


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
    settings = {
        "r": int(lora.get("r", 16)),
        "alpha": int(lora.get("alpha", 32)),
        "dropout": float(dropout),
        "target_modules": targets,
    }
    return LoraConfig(**{LORA_FIELDS[key]: value for key, value in settings.items()}, task_type="CAUSAL_LM")


MODEL_SECTIONS = ("model", "tiny", "quantization", "lora")


def model_settings(recipe: Recipe) -> dict[str, Any]:
    """The [model], [tiny], [quantization] and [lora] sections: what loading a model needs of a recipe."""
    return {name: recipe.section(name) for name in MODEL_SECTIONS}
