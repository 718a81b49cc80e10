"""Turn the `[grpo]` / `[sft]` / `[distill]` sections into trl's own config objects."""

from __future__ import annotations

from typing import Any

from r1cli.plumbing.errors import R1Error
from r1cli.recipe.provenance import Recipe


def build_trainer_config(recipe: Recipe, section: str, **extra: Any) -> Any:
    """`GRPOConfig`, `SFTConfig` or `DistillationConfig` from the recipe section; trl's own checks become R1Errors."""
    from r1cli.recipe.schema import installed_field_name, trainer_config_class

    config_class = trainer_config_class(section)
    kwargs = {
        installed_field_name(section, key): value
        for key, value in recipe.section(section).items()
        if value is not None
    }
    kwargs.update(extra)
    try:
        return config_class(**kwargs)
    except (ValueError, TypeError) as exc:
        raise R1Error(f"[{section}] is not a valid {config_class.__name__}: {exc}") from None


def activation_checkpointing(config: Any) -> bool:
    """Whether a trl config turns activation checkpointing on, under either of transformers' names."""
    value = getattr(config, "activation_checkpointing", None)
    if value is None:
        value = getattr(config, "gradient_checkpointing", False)
    return bool(value)
