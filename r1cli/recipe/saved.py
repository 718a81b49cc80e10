"""A run's recipe: written into its folder as `recipe.toml`, read back to resume it unchanged.

A resumed run may change where it writes and how often it saves or logs, nothing that decides what it
produces (check_resume_recipe). The folder itself (fresh, resume, overwrite) is r1cli/plumbing/rundir.py.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.rundir import RECIPE_FILE, check_same_settings, lookup
from r1cli.recipe.provenance import DEFAULT_SOURCE, Recipe
from r1cli.recipe.render import render_recipe

# Recipe keys that may differ between a run and its continuation without changing what it produces.
MAY_CHANGE_SECTIONS = ("logging",)
MAY_CHANGE_NAMES = ("output_dir", "max_steps", "save_", "logging_", "report_to", "dataloader_")


def settings_that_matter(recipe: Recipe, sections: Sequence[str]) -> dict[str, Any]:
    """Flat {key: value} of the recipe's keys in `sections` that decide what a run produces.

    Left out: where it writes and how often it saves or logs (MAY_CHANGE_*), and values r1 fitted to
    the machine, which a run continued elsewhere fits again.
    """
    return {
        key: recipe.get(key)
        for key in sorted(recipe.sources)
        if key.split(".", 1)[0] in sections
        and key.split(".", 1)[0] not in MAY_CHANGE_SECTIONS
        and not key.rsplit(".", 1)[-1].startswith(MAY_CHANGE_NAMES)
        and not recipe.is_fitted(key)
    }


def saved_recipe(output_dir: Path) -> dict[str, Any] | None:
    """The recipe a folder was made with (its `recipe.toml`, as a nested table); None where it has none."""
    saved_path = output_dir / RECIPE_FILE
    if not saved_path.exists():
        return None
    try:
        return tomllib.loads(saved_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise R1Error(f"cannot read the recipe {saved_path}: {exc}") from None


def check_resume_recipe(
    recipe: Recipe,
    output_dir: Path,
    sections: Sequence[str],
    *,
    message: str | None = None,
    hint: str | None = None,
) -> None:
    """Refuse to resume a run folder with a recipe that changes what it trains (keys of `sections`);
    `message` and `hint` as in check_same_settings. A key the run's recipe lacks and this one leaves at
    its built-in default is a setting r1 gained since the run started, whose default keeps the old
    behaviour: not a change."""
    saved = saved_recipe(output_dir)
    if saved is not None:
        current = {
            key: value
            for key, value in settings_that_matter(recipe, sections).items()
            if not (lookup(saved, key) is None and recipe.sources.get(key, DEFAULT_SOURCE) == DEFAULT_SOURCE)
        }
        check_same_settings(saved, current, output_dir, message=message, hint=hint)


def run_recipe(output_dir: Path) -> Path | None:
    """The recipe a run folder was started with, the base of a plain --resume (so the run goes on unchanged)."""
    saved = output_dir / RECIPE_FILE
    if not saved.exists():
        return None
    note(f"resuming with the run's recipe {saved}")
    return saved


def write_recipe(recipe: Recipe, output_dir: Path) -> None:
    """Save the resolved recipe (with provenance, portable) as `recipe.toml`, to reproduce and resume the run.

    A resumed run keeps the file it started with (check_resume_recipe made sure nothing that matters changed).
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / RECIPE_FILE
    if not target.exists():
        target.write_text(render_recipe(recipe, portable=True))
