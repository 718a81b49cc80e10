"""Render a resolved recipe as TOML, each value annotated with where it came from."""

from __future__ import annotations

from typing import Any

import tomli_w

from r1cli.recipe.provenance import HARDWARE_SOURCE, Recipe
from r1cli.recipe.schema import UNSET


def _value(value: Any) -> str:
    return tomli_w.dumps({"v": value}).strip()[len("v = ") :]


def _render_table(
    recipe: Recipe, table: dict[str, Any], prefix: str, lines: list[str], portable: bool
) -> None:
    leaves = {key: value for key, value in table.items() if not isinstance(value, dict)}
    tables = {key: value for key, value in table.items() if isinstance(value, dict)}
    if leaves or not tables:
        lines.append(f"[{prefix}]")
    width = max((len(key) for key in leaves), default=0)
    for key, value in leaves.items():
        source = recipe.sources.get(f"{prefix}.{key}", "default")
        if value is None:  # listed in the file's `unset` at the top: TOML has no null
            lines.append(f"# {key} = none  # {source}")
            continue
        line = f"{key.ljust(width)} = {_value(value)}  # {source}"
        if portable and source == HARDWARE_SOURCE:
            line = f"# {line}: picked for the machine that ran it"  # re-picked wherever it is loaded
        lines.append(line)
    lines.append("")
    for key, sub in tables.items():
        _render_table(recipe, sub, f"{prefix}.{key}", lines, portable)


def _unset_keys(table: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted keys whose value is None."""
    keys: list[str] = []
    for key, value in table.items():
        if isinstance(value, dict):
            keys += _unset_keys(value, f"{prefix}{key}.")
        elif value is None:
            keys.append(f"{prefix}{key}")
    return keys


def render_recipe(recipe: Recipe, portable: bool = False) -> str:
    """TOML text of the resolved recipe, a `# source` comment per value.

    `portable` comments out the values fitted to this machine (dtype, use_cpu, ...), so that the file
    loaded elsewhere fits them to that machine instead of forcing this one's.
    """
    lines: list[str] = []
    header = f"# resolved recipe: {recipe.path or 'built-in defaults'}"
    if recipe.profile:
        header += f", profile {recipe.profile}"
    lines += [header, ""]
    unset = _unset_keys(recipe.tree)
    if unset:
        lines += [f"{UNSET} = {_value(unset)}  # none (TOML has no null)", ""]
    for section, table in recipe.tree.items():
        _render_table(recipe, table, section, lines, portable)
    return "\n".join(lines).rstrip() + "\n"
