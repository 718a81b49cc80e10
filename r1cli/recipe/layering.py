"""Build a resolved recipe from its layers, remembering where every value came from.

Precedence, lowest to highest: built-in defaults < what the model's folder recorded at training (its
system prompt) < recipe file < `--profile NAME` < `R1_*` environment variables < command line. Every
key is checked the moment a layer sets it, so a typo fails before any model or dataset is loaded.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.recipe import schema
from r1cli.recipe.builtin_recipes import builtin_names, recipe_file
from r1cli.recipe.overrides import KEY_ALIASES, env_overrides, parse_overrides
from r1cli.recipe.provenance import DEFAULT_SOURCE, Recipe, assign
from r1cli.recipe.stages import stage_name, trainer_section
from r1cli.recipe.values import check_value, parse_string


def _leaves(table: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Flatten a TOML table to (dotted key, value), descending only into r1's known tables.

    Quoted dotted keys (`"grpo.max_steps" = 5`, handy in profiles) are split like nested ones.
    """
    for name, value in table.items():
        path = (*prefix, *name.split("."))
        if isinstance(value, dict) and schema.is_table(path):
            yield from _leaves(value, path)
        else:
            yield ".".join(path), value


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        names = [name for name in builtin_names() if "/" not in name]
        raise R1Error(
            f"recipe file not found: {path}",
            hint=did_you_mean(str(path), names)
            or f"pass an existing .toml file or a built-in recipe to --recipe: {', '.join(names)}",
        )
    if path.is_dir():
        raise R1Error(f"recipe path is a directory: {path}", hint="pass a .toml file to --recipe")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise R1Error(f"recipe {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise R1Error(f"recipe {path} is not valid TOML: {exc}") from None


def _apply_table(builder: _Builder, table: dict[str, Any], origin: str, where: str) -> None:
    """Set every leaf of a recipe file's table (or a profile's), then the keys it lists in `unset`."""
    table = dict(table)
    unset = table.pop(schema.UNSET, [])
    if not isinstance(unset, list) or not all(isinstance(key, str) for key in unset):
        raise R1Error(f'{schema.UNSET} in {where} must be a list of dotted keys, e.g. unset = ["grpo.seed"]')
    for key, value in _leaves(table):
        builder.set_typed(key, value, origin)
    for key in unset:
        builder.set_typed(key, None, origin)


class _Builder:
    def __init__(self) -> None:
        self.tree: dict[str, Any] = copy.deepcopy(schema.defaults())
        self.sources: dict[str, str] = {key: DEFAULT_SOURCE for key, _ in _leaves(self.tree)}

    def set_typed(self, key: str, value: Any, origin: str) -> None:
        key = KEY_ALIASES.get(key, key)
        kinds = schema.expected_kinds(key, origin)
        assign(self.tree, key, check_value(value, kinds, key, origin))
        self.sources[key] = origin

    def set_string(self, key: str, raw: str, origin: str) -> None:
        kinds = schema.expected_kinds(key, origin)
        assign(self.tree, key, parse_string(raw, kinds, key))
        self.sources[key] = origin


def load_recipe(
    path: str | Path | None = None,
    profile: str | None = None,
    overrides: Sequence[str] = (),
    *,
    stage: str = "zero",
    environ: Mapping[str, str] | None = None,
    recorded: Mapping[str, Any] | None = None,
    recorded_origin: str = "",
) -> Recipe:
    """Resolve a recipe: defaults < model folder < file < profile < environment < command-line overrides.

    `recorded` are the values the model's folder recorded at training (r1cli.models.prompting), under
    `recorded_origin`: they replace only the built-in defaults.

    `overrides` are the raw extra arguments of a command (`["--grpo.max_steps", "6"]`); `stage` (see
    recipe.stages) chooses where the seed's flat legacy flags go. Nothing is checked beyond each value's
    type: `r1cli.preflight.validate.validate_recipe` checks the result for a stage and fits it to the machine.
    """
    builder = _Builder()
    for key, value in (recorded or {}).items():
        builder.set_typed(key, value, recorded_origin or "model folder")
    file_profiles: dict[str, Any] = {}
    recipe_path = recipe_file(path) if path else None  # a path, else a built-in name (r1 recipes list)
    if recipe_path is not None:
        table = _read_toml(recipe_path)
        file_profiles = table.pop(schema.PROFILES, {})
        if not isinstance(file_profiles, dict):
            raise R1Error(f"[profiles] in {recipe_path} must be a table of tables")
        _apply_table(builder, table, f"recipe {recipe_path.name}", str(recipe_path))
    if profile:
        if profile not in file_profiles:
            available = ", ".join(sorted(file_profiles)) or "none"
            where = recipe_path.name if recipe_path else "the built-in defaults (no --recipe given)"
            raise R1Error(f"unknown profile '{profile}' in {where}", hint=f"available profiles: {available}")
        if not isinstance(file_profiles[profile], dict):
            raise R1Error(f"profile '{profile}' must be a table of dotted keys")
        _apply_table(builder, file_profiles[profile], f"profile {profile}", f"profile '{profile}'")
    for var, override in env_overrides(dict(os.environ if environ is None else environ)):
        builder.set_string(override.key, override.raw, f"env {var}")
    stage = stage_name(stage)
    # The seed's flat flags (--learning_rate) go to the stage's trainer section (grpo for the others).
    cli_overrides, notes = parse_overrides(list(overrides), stage=trainer_section(stage) or "grpo")
    for override in cli_overrides:
        builder.set_string(override.key, override.raw, "cli")
    recipe = Recipe(
        tree=builder.tree,
        sources=builder.sources,
        notes=notes,
        path=recipe_path,
        profile=profile,
        stage=stage,
    )
    return recipe
