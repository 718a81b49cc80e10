"""Render a resolved recipe as TOML, each value annotated with where it came from."""

from __future__ import annotations

from typing import Any

import tomli_w

from r1cli.recipe.layering import Recipe


def _value(value: Any) -> str:
    return tomli_w.dumps({"v": value}).strip()[len("v = ") :]


def _render_table(
    recipe: Recipe, table: dict[str, Any], prefix: str, lines: list[str], provenance: bool
) -> None:
    leaves = {key: value for key, value in table.items() if not isinstance(value, dict)}
    tables = {key: value for key, value in table.items() if isinstance(value, dict)}
    if leaves or not tables:
        lines.append(f"[{prefix}]")
    width = max((len(key) for key in leaves), default=0)
    for key, value in leaves.items():
        source = recipe.sources.get(f"{prefix}.{key}", "default")
        comment = f"  # {source}" if provenance else ""
        if value is None:
            lines.append(f"# {key} is unset (trl's default){comment}")
        else:
            lines.append(f"{key.ljust(width) if provenance else key} = {_value(value)}{comment}")
    lines.append("")
    for key, sub in tables.items():
        _render_table(recipe, sub, f"{prefix}.{key}", lines, provenance)


def render_recipe(recipe: Recipe, provenance: bool = True) -> str:
    """TOML text of the resolved recipe; with `provenance`, a `# source` comment per value."""
    lines: list[str] = []
    header = f"# resolved recipe: {recipe.path or 'built-in defaults'}"
    if recipe.profile:
        header += f", profile {recipe.profile}"
    lines += [header, ""]
    for section, table in recipe.data.items():
        _render_table(recipe, table, section, lines, provenance)
    return "\n".join(lines).rstrip() + "\n"
