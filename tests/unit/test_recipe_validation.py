"""Every validation rule fails with one clear line, before any model or dataset is loaded."""

from __future__ import annotations

import pytest

from r1cli.errors import R1Error
from r1cli.recipe import load_recipe


def _load(*args: str, environ: dict[str, str] | None = None):
    return load_recipe(None, None, list(args), environ=environ or {})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grpo.learning_rate", "-1"], "learning rate must be positive"),
        (["--sft.learning_rate", "0"], "learning rate must be positive"),
        (["--data.test_size", "1.5"], r"fraction in \(0, 1\)"),
        (["--data.test_size", "0.0"], r"fraction in \(0, 1\)"),
        (
            ["--rewards.functions", "[accuracy,formatt]"],
            "unknown reward function 'formatt'.*did you mean 'format'",
        ),
        (["--rewards.functions", "[]"], "needs at least one reward function"),
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
        (["--generation.top_p", "0"], r"must be in \(0, 1\]"),
        (["--logging.examples_every", "-3"], "logging.examples_every.*must be >= 0"),
        (["--data.synthetic_size", "0"], "data.synthetic_size.*must be >= 1"),
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
    load_recipe(path, None, [], environ={})
    for profile in ("test",):
        load_recipe(path, profile, [], environ={})


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
    ("args", "module"), [(["--grpo.use_vllm", "true"], "vllm"), (["--grpo.report_to", "wandb"], "wandb")]
)
def test_switches_that_need_a_missing_package(args: list[str], module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    with pytest.raises(R1Error, match=f"needs the '{module}' package.*pip install {module}"):
        _load(*args)
