"""Which recipe keys exist and what type each expects.

r1's own sections are described by the built-in defaults (`defaults.toml`); `[grpo]`, `[sft]` and
`[distill]` by the fields of trl's `GRPOConfig`, `SFTConfig` and `DistillationConfig` themselves, so every TRL option is available
without being declared twice.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import tomllib
from typing import Any

from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.recipe.values import kinds_of_annotation, kinds_of_value

# Trainer sections and the trl config dataclass each one is passed to.
TRAINER_CONFIGS = {"grpo": "GRPOConfig", "sft": "SFTConfig", "distill": "DistillationConfig"}
TRAINER_SECTIONS = tuple(TRAINER_CONFIGS)
PROFILES = "profiles"
# TOML has no null: a recipe file or profile sets keys to none by listing them, `unset = ["grpo.x"]`.
UNSET = "unset"
# trl config fields that r1 fills from its own sections: setting them in [grpo]/[sft] would be ignored.
SET_BY_R1 = {
    "reward_weights": "rewards.weights",
    "model_init_kwargs": "the [model] and [quantization] sections",
    "teacher_model_name_or_path": "r1 distill --teacher",
    "teacher_model_init_kwargs": "the [model] section",
}
# Keys whose default does not show every type they accept.
EXTRA_KINDS: dict[str, frozenset[str]] = {
    "lora.target_modules": frozenset({"str", "list"}),
    "data.test_size": frozenset({"int", "float"}),  # a fraction, or a row count
}


# Trainer fields transformers renamed (5.18+ name: older name). A recipe may use either name on any
# transformers r1's pins admit: the schema accepts both, and r1 passes trl the one installed.
RENAMED_FIELDS = {
    "activation_checkpointing": "gradient_checkpointing",
    "activation_checkpointing_kwargs": "gradient_checkpointing_kwargs",
}


@functools.cache
def defaults() -> dict[str, Any]:
    """The built-in default recipe (the tiny CPU run), parsed once."""
    text = importlib.resources.files("r1cli.recipe").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def trainer_config_class(section: str) -> type:
    """trl's config dataclass for a trainer section (`grpo`, `sft`, `distill`)."""
    import trl

    return getattr(trl, TRAINER_CONFIGS[section])


@functools.cache
def trainer_fields(section: str) -> dict[str, frozenset[str]]:
    """Field name -> accepted kinds of trl's config dataclass for a trainer section."""
    config_class = trainer_config_class(section)
    fields = {
        field.name: kinds_of_annotation(field.type)
        for field in dataclasses.fields(config_class)
        if field.init
    }
    for new, old in RENAMED_FIELDS.items():
        for name, other in ((new, old), (old, new)):
            if name not in fields and other in fields:
                fields[name] = fields[other]
    return fields


def installed_field_name(section: str, name: str) -> str:
    """`name`, or its other spelling (RENAMED_FIELDS) where only that one is a field of the installed trl config."""
    real = {field.name for field in dataclasses.fields(trainer_config_class(section)) if field.init}
    if name in real:
        return name
    other = RENAMED_FIELDS.get(name) or {old: new for new, old in RENAMED_FIELDS.items()}.get(name)
    return other if other in real else name


def is_table(path: tuple[str, ...]) -> bool:
    """Whether a dotted path names a table (a section or a sub-table such as rewards.cosine)."""
    if len(path) == 1 and (path[0] in TRAINER_SECTIONS or path[0] in defaults()):
        return True
    if path[0] in TRAINER_SECTIONS:
        return False
    node: Any = defaults()
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, dict)


def expected_kinds(key: str, origin: str) -> frozenset[str]:
    """The kinds a dotted leaf key accepts; unknown keys raise with the closest valid key."""
    path = tuple(key.split("."))
    section = path[0]
    if section in TRAINER_SECTIONS:
        if len(path) == 2 and path[1] in SET_BY_R1:
            raise R1Error(f"'{key}' is set by r1 (from {origin})", hint=f"use {SET_BY_R1[path[1]]} instead")
        fields = trainer_fields(section)
        if len(path) == 2 and path[1] in fields:
            return fields[path[1]]
        candidates = [f"{section}.{name}" for name in fields]
        config = TRAINER_CONFIGS[section]
        hint = did_you_mean(key, candidates) or f"[{section}] takes the fields of trl's {config}"
        raise R1Error(f"unknown recipe key '{key}' (from {origin})", hint=hint)
    node: Any = defaults()
    for depth, part in enumerate(path):
        if not isinstance(node, dict) or part not in node:
            parent = ".".join(path[:depth])
            siblings = sorted(node) if isinstance(node, dict) else []
            candidates = [f"{parent}.{name}" if parent else name for name in siblings]
            if depth == 0:
                candidates += list(TRAINER_SECTIONS)
            hint = did_you_mean(key if depth else section, candidates)
            if hint is None and depth == 0:
                hint = f"sections are: {', '.join(sorted([*defaults(), *TRAINER_SECTIONS]))}"
            raise R1Error(f"unknown recipe key '{key}' (from {origin})", hint=hint)
        node = node[part]
    if isinstance(node, dict):
        raise R1Error(f"'{key}' is a table, not a value (from {origin})", hint=f"set {key}.<name> instead")
    return EXTRA_KINDS.get(key, kinds_of_value(node))
