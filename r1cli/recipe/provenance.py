"""The resolved recipe and where each of its values came from.

A `Recipe` is the nested values of every section (`tree`), the origin of each leaf (`default`, `recipe
l40s.toml`, `profile dev`, `env R1_...`, `cli`, or HARDWARE_SOURCE for what r1 fitted to the
machine), and notes for the user. Stages read it with `recipe.get("grpo.max_steps")` and
`recipe.section("data")`.

What core functions take: a stage's entry point takes the `Recipe`; the modules below the recipe
(data, models, rewards, tiny) take plain dicts: the one section they read (`recipe.section("data")`),
or `recipe.tree` where they read several (models: [model], [tiny], [quantization], [lora]).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = "default"
HARDWARE_SOURCE = "auto (hardware)"


@dataclass
class Recipe:
    """A resolved recipe: nested values, the origin of each leaf, and notes for the user."""

    tree: dict[str, Any]  # {"model": {...}, "data": {...}, ...}: read it with get() and section()
    sources: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    path: Path | None = None
    profile: str | None = None
    stage: str = "zero"  # what it was resolved for: a name of recipe.stages.STAGES

    def get(self, key: str, default: Any = None) -> Any:
        node: Any = self.tree
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        """A copy of one section, e.g. `recipe.section("rewards")`."""
        return copy.deepcopy(self.tree.get(name, {}))

    def set(self, key: str, value: Any, source: str) -> None:
        """Set a leaf that r1 resolved itself (e.g. the dtype picked for the hardware)."""
        assign(self.tree, key, value)
        self.sources[key] = source

    def is_fitted(self, key: str) -> bool:
        """Whether r1 picked this value for the machine it runs on (dtype, use_cpu, ...)."""
        return self.sources.get(key) == HARDWARE_SOURCE


def assign(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key in nested dicts, creating the tables on the way."""
    node = data
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
