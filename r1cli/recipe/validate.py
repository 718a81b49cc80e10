"""Checks a resolved recipe before any model or dataset is loaded, and fits it to the hardware.

Each failure is one R1Error line naming the key, where its value came from, and how to fix it.
"""

from __future__ import annotations

import os

from r1cli.errors import R1Error, did_you_mean
from r1cli.recipe.provenance import HARDWARE_SOURCE, Recipe

QUANT_TYPES = ("nf4", "fp4")


def _where(recipe: Recipe, key: str) -> str:
    return f"{key} = {recipe.get(key)!r} (from {recipe.sources.get(key, 'default')})"


def _require(condition: bool, recipe: Recipe, key: str, rule: str, hint: str | None = None) -> None:
    if not condition:
        raise R1Error(f"{_where(recipe, key)}: {rule}", hint=hint)


def world_size() -> int:
    """Processes in this launch (torchrun / accelerate set WORLD_SIZE)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def _check_choices(recipe: Recipe) -> None:
    from r1cli.models import ATTN_IMPLEMENTATIONS, DTYPES

    for key, choices in (
        ("model.dtype", DTYPES),
        ("model.attn_implementation", ATTN_IMPLEMENTATIONS),
        ("quantization.quant_type", QUANT_TYPES),
        ("quantization.compute_dtype", DTYPES),
    ):
        value = recipe.get(key)
        if value not in choices:
            hint = did_you_mean(str(value), choices) or f"choose one of: {', '.join(choices)}"
            raise R1Error(f"{_where(recipe, key)}: not a valid choice", hint=hint)


def _check_rewards(recipe: Recipe) -> None:
    from r1cli.rewards.registry import REWARD_NAMES, verifier_settings

    functions = recipe.get("rewards.functions")
    _require(bool(functions), recipe, "rewards.functions", "needs at least one reward function")
    for name in functions:
        if name not in REWARD_NAMES:
            hint = did_you_mean(str(name), REWARD_NAMES) or f"known rewards: {', '.join(REWARD_NAMES)}"
            raise R1Error(
                f"{_where(recipe, 'rewards.functions')}: unknown reward function '{name}'", hint=hint
            )
    weights = recipe.get("rewards.weights")
    _require(
        not weights or len(weights) == len(functions),
        recipe,
        "rewards.weights",
        f"needs one weight per reward function ({len(functions)}), or [] for all 1.0",
    )
    for weight in weights:
        _require(isinstance(weight, int | float), recipe, "rewards.weights", "weights must be numbers")
    verifier_settings(recipe.section("rewards"))  # timeout and workers


def _check_grpo_batch(recipe: Recipe) -> None:
    """The real GRPO batch rule (the seed's 'divisible by 8' is not it)."""
    generations = recipe.get("grpo.num_generations")
    _require(
        generations is not None and generations >= 2,
        recipe,
        "grpo.num_generations",
        "GRPO needs at least 2 generations per prompt to compute advantages",
    )
    per_device = recipe.get("grpo.per_device_train_batch_size")
    _require(per_device >= 1, recipe, "grpo.per_device_train_batch_size", "must be >= 1")
    processes = world_size()
    generation_batch = recipe.get("grpo.generation_batch_size")
    steps = recipe.get("grpo.steps_per_generation")
    if generation_batch is not None and steps is not None:
        raise R1Error(
            "grpo.generation_batch_size and grpo.steps_per_generation cannot both be set", hint="set only one"
        )
    if generation_batch is not None:
        _require(
            generation_batch % (per_device * processes) == 0,
            recipe,
            "grpo.generation_batch_size",
            f"must be divisible by per_device_train_batch_size x processes ({per_device} x {processes})",
        )
        described = f"generation_batch_size ({generation_batch})"
    else:
        steps = steps or recipe.get("grpo.gradient_accumulation_steps") or 1
        generation_batch = per_device * processes * steps
        described = (
            f"per_device_train_batch_size x processes x steps_per_generation "
            f"({per_device} x {processes} x {steps} = {generation_batch})"
        )
    if generation_batch % generations:
        raise R1Error(
            f"{described} must be divisible by grpo.num_generations ({generations})",
            hint="each generation batch holds whole groups of completions of one prompt",
        )


def _check_model(recipe: Recipe) -> None:
    quant4, quant8 = recipe.get("quantization.load_in_4bit"), recipe.get("quantization.load_in_8bit")
    if quant4 and quant8:
        raise R1Error(
            "quantization.load_in_4bit and quantization.load_in_8bit are both true", hint="pick one"
        )
    if (quant4 or quant8) and not recipe.get("lora.enabled"):
        raise R1Error(
            f"{_where(recipe, 'quantization.load_in_4bit' if quant4 else 'quantization.load_in_8bit')}: "
            "quantized weights cannot be trained directly",
            hint="set lora.enabled = true (QLoRA)",
        )
    if (quant4 or quant8) and recipe.get("grpo.use_vllm"):
        raise R1Error(
            "grpo.use_vllm with 4-bit/8-bit weights is not supported (vLLM cannot load bitsandbytes + LoRA "
            "weight updates)",
            hint="turn off grpo.use_vllm or quantization",
        )
    if recipe.get("lora.enabled"):
        _require(recipe.get("lora.r") >= 1, recipe, "lora.r", "must be >= 1")
        _require(recipe.get("lora.alpha") > 0, recipe, "lora.alpha", "must be > 0")
        _require(0 <= recipe.get("lora.dropout") < 1, recipe, "lora.dropout", "must be in [0, 1)")


# Optional packages a recipe switch needs: (key, value that needs it, module, pip name).
OPTIONAL_PACKAGES = (
    ("grpo.use_vllm", True, "vllm", "vllm"),
    ("grpo.report_to", "wandb", "wandb", "wandb"),
    ("grpo.report_to", "tensorboard", "tensorboard", "tensorboard"),
    ("sft.report_to", "wandb", "wandb", "wandb"),
    ("sft.report_to", "tensorboard", "tensorboard", "tensorboard"),
)


def _check_optional_packages(recipe: Recipe) -> None:
    import importlib.util

    for key, wanted, module, package in OPTIONAL_PACKAGES:
        value = recipe.get(key)
        chosen = wanted in value if isinstance(value, list) else value == wanted
        if chosen and importlib.util.find_spec(module) is None:
            raise R1Error(
                f"{_where(recipe, key)} needs the '{package}' package", hint=f"pip install {package}"
            )


def _check_numbers(recipe: Recipe) -> None:
    for key in ("grpo.learning_rate", "sft.learning_rate"):
        _require(recipe.get(key) > 0, recipe, key, "learning rate must be positive")
        default = recipe.sources[key] == "default"
        if default and key.startswith(recipe.stage) and recipe.get("model.name_or_path") != "r1-tiny":
            recipe.notes.append(
                f"{key} = {recipe.get(key):g} is the default for the randomly initialised r1-tiny: "
                "pretrained models usually want 1e-6..5e-5"
            )
    test_size = recipe.get("data.test_size")
    _require(
        (isinstance(test_size, int) and test_size >= 0) or 0 < test_size < 1,
        recipe,
        "data.test_size",
        "the test split must be a fraction in (0, 1) or a row count",
    )
    _require(
        recipe.get("generation.max_new_tokens") >= 1, recipe, "generation.max_new_tokens", "must be >= 1"
    )
    _require(recipe.get("generation.temperature") >= 0, recipe, "generation.temperature", "must be >= 0")
    _require(0 < recipe.get("generation.top_p") <= 1, recipe, "generation.top_p", "must be in (0, 1]")
    _require(recipe.get("generation.batch_size") >= 1, recipe, "generation.batch_size", "must be >= 1")
    _require(recipe.get("generation.num_samples") >= 1, recipe, "generation.num_samples", "must be >= 1")
    data_min, data_max = recipe.get("data.synthetic_min"), recipe.get("data.synthetic_max")
    _require(
        data_min <= data_max, recipe, "data.synthetic_max", f"must be >= data.synthetic_min ({data_min})"
    )


def _fit_precision(recipe: Recipe) -> None:
    """dtype auto -> bf16 where supported, fp32 on CPU; and tell trl, which defaults bf16=True."""
    from r1cli.models import resolve_attn_implementation, resolve_dtype

    requested = recipe.get("model.dtype")
    dtype = resolve_dtype(recipe.data["model"])
    if requested == "auto":
        recipe.set("model.dtype", dtype, HARDWARE_SOURCE)
    import torch

    on_gpu = torch.cuda.is_available()
    if dtype == "bfloat16" and on_gpu and not torch.cuda.is_bf16_supported():
        raise R1Error(f"{_where(recipe, 'model.dtype')}: this GPU has no bfloat16", hint="use float16")
    if dtype in ("bfloat16", "float16") and not on_gpu:
        recipe.notes.append(
            f"model.dtype = {dtype} on CPU: mixed precision runs about 2x slower than float32"
        )
    for section in ("grpo", "sft"):
        for flag, wanted in (("bf16", dtype == "bfloat16"), ("fp16", dtype == "float16")):
            key = f"{section}.{flag}"
            if recipe.sources.get(key, "default") == "default":
                recipe.set(key, wanted, HARDWARE_SOURCE)
    attention, note = resolve_attn_implementation(recipe.data["model"])
    if recipe.get("model.attn_implementation") != attention:
        recipe.set("model.attn_implementation", attention, HARDWARE_SOURCE)
    if note:
        recipe.notes.append(note)


def _fold_deprecated_aliases(recipe: Recipe) -> None:
    """transformers 5 prefers activation_checkpointing, and ignores the old name once the new one is set."""
    for section in ("grpo", "sft"):
        old, new = f"{section}.gradient_checkpointing", f"{section}.activation_checkpointing"
        if old in recipe.sources and recipe.sources[old] != "default":
            recipe.set(new, recipe.get(old), recipe.sources[old])
            del recipe.data[section]["gradient_checkpointing"], recipe.sources[old]
            recipe.notes.append(f"{old} is deprecated in transformers 5: using {new}")


def _fit_device(recipe: Recipe) -> None:
    """Without a GPU: say so to trl (use_cpu, which also makes torchrun on CPU real gloo DDP), no pinning."""
    import torch

    if torch.cuda.is_available():
        return
    for section in ("grpo", "sft"):
        for key, value in ((f"{section}.use_cpu", True), (f"{section}.dataloader_pin_memory", False)):
            if recipe.sources.get(key, "default") == "default":
                recipe.set(key, value, HARDWARE_SOURCE)


def _check_logging(recipe: Recipe) -> None:
    for name in ("trend_window", "trend_threshold", "examples_every", "keep_checkpoint_every"):
        value = recipe.get(f"logging.{name}")
        _require(value >= 0, recipe, f"logging.{name}", "must be >= 0 (0 turns it off)")


def _check_built_parts(recipe: Recipe) -> None:
    """Build what is cheap to build now (reward closures, the tiny model's shape) so that their own checks
    run before any model or dataset is loaded."""
    from r1cli.rewards.registry import build_reward_functions
    from r1cli.tiny import TINY_MODEL_NAME, check_tiny_config

    build_reward_functions(recipe.section("rewards"))
    if recipe.get("model.name_or_path") == TINY_MODEL_NAME:
        check_tiny_config(recipe.section("tiny"))
    if recipe.get("data.dataset").startswith("synthetic:"):
        _require(recipe.get("data.synthetic_size") >= 1, recipe, "data.synthetic_size", "must be >= 1")


def validate_recipe(recipe: Recipe) -> Recipe:
    """Run every check; fit dtype and attention to this machine. Raises R1Error on the first problem."""
    _fold_deprecated_aliases(recipe)
    _check_choices(recipe)
    _check_numbers(recipe)
    _check_rewards(recipe)
    _check_logging(recipe)
    _check_built_parts(recipe)
    _check_grpo_batch(recipe)
    _check_model(recipe)
    _check_optional_packages(recipe)
    _fit_precision(recipe)
    _fit_device(recipe)
    return recipe
