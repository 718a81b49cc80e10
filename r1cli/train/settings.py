"""r1's own training settings, checked: `[dynamic_sampling]`, `[validation]` and `[logging]` (the one place
their rules live).

    sampling = dynamic_sampling_settings(recipe.section("dynamic_sampling"), reward_names, processes)
    validation = validation_settings(recipe.section("validation"))

Recipe validation calls these before any model loads; `r1 train zero` builds its trainer from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from r1cli.plumbing.errors import R1Error

TOTAL = "total"  # filter on the weighted sum of the rewards, as trl's advantages see it


@dataclass(frozen=True)
class DynamicSampling:
    """The checked [dynamic_sampling] section."""

    enabled: bool = False
    reward: str = "accuracy"
    max_rounds: int = 3


def dynamic_sampling_settings(
    section: dict[str, Any], reward_names: list[str], processes: int = 1
) -> DynamicSampling:
    """[dynamic_sampling] checked against the run's reward functions (the one place its rules live);
    `reward` comes back as trl logs it (`rewards/<reward>/mean`)."""
    enabled, reward, rounds = (
        section.get("enabled", False),
        section.get("reward", "accuracy"),
        section.get("max_rounds", 3),
    )
    if not isinstance(enabled, bool):
        raise R1Error(f"dynamic_sampling.enabled must be true or false, got {enabled!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise R1Error(f"dynamic_sampling.max_rounds must be a whole number >= 0, got {rounds!r}")
    from r1cli.rewards.custom import is_reference, logged_name

    # A reward is named as rewards.functions names it, or as trl logs it (a user's function: its name).
    logged = {name: logged_name(name) if is_reference(name) else name for name in reward_names}
    reward = logged.get(reward, reward)
    if enabled and reward != TOTAL and reward not in logged.values():
        raise R1Error(
            f"dynamic_sampling.reward = {reward!r} is not among rewards.functions ({', '.join(reward_names)})",
            hint=f'name one of them, or "{TOTAL}" for their weighted sum',
        )
    if enabled and processes > 1:
        raise R1Error(
            f"dynamic sampling runs in one process ({processes} were launched)",
            hint="launch one process, or set dynamic_sampling.enabled = false",
        )
    return DynamicSampling(enabled, str(reward), rounds)


@dataclass(frozen=True)
class ValidationSettings:
    """The checked [validation] section."""

    every: int = 0  # 0 = off
    size: int = 64
    max_new_tokens: int = 0  # 0 = generation.max_new_tokens
    keep_best: bool = True

    @property
    def enabled(self) -> bool:
        return self.every > 0


def validation_settings(section: dict[str, Any]) -> ValidationSettings:
    """[validation] checked (the one place its rules live)."""
    values = {}
    for key, least in (("every", 0), ("size", 1), ("max_new_tokens", 0)):
        value = section.get(key, getattr(ValidationSettings, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise R1Error(f"validation.{key} must be a whole number >= {least}, got {value!r}")
        values[key] = value
    keep_best = section.get("keep_best", True)
    if not isinstance(keep_best, bool):
        raise R1Error(f"validation.keep_best must be true or false, got {keep_best!r}")
    return ValidationSettings(keep_best=keep_best, **values)


def _setting(cfg: dict[str, Any], key: str, default: Any, minimum: float) -> Any:
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise R1Error(
            f"logging.{key} = {value!r}: must be >= {minimum} (a number; 0 turns it off)",
            hint=f"the default is {default}",
        )
    return value


def logging_settings(logging_cfg: dict[str, Any]) -> dict[str, Any]:
    """The [logging] section checked and typed, with its defaults (the one place its rules live: the
    training callbacks are built from it)."""
    return {
        "rich": bool(logging_cfg.get("rich", True)),
        "trend_window": int(_setting(logging_cfg, "trend_window", 10, 0)),
        "trend_threshold": float(_setting(logging_cfg, "trend_threshold", 0.10, 0)),
        "examples_every": int(_setting(logging_cfg, "examples_every", 10, 0)),
        "keep_checkpoint_every": int(_setting(logging_cfg, "keep_checkpoint_every", 0, 0)),
        "completions_per_step": int(_setting(logging_cfg, "completions_per_step", 8, 0)),
    }
