"""Options shared by many commands, written once, and the one way commands resolve a recipe."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from r1cli.plumbing.paths import is_saved_dataset_dict

if TYPE_CHECKING:
    from r1cli.recipe import Recipe

RecipeOption = Annotated[
    Path | None,
    typer.Option(
        "--recipe",
        "-r",
        help="Recipe TOML file, or a built-in recipe's name (r1 recipes list; default: the tiny CPU recipe).",
        show_default=False,
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile", "-p", help="Profile from the recipe's \\[profiles] to apply.", show_default=False
    ),
]
# Commands that take recipe overrides (`--grpo.learning_rate 1e-4`) receive them as extra arguments.
OVERRIDES: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True}
# Stages that prompt no model, so no model folder's record applies.
STAGES_WITHOUT_A_MODEL = ("prepare", "score")
OVERRIDES_HELP = "Any recipe key can be overridden: --section.key VALUE (e.g. --grpo.learning_rate 1e-4)."


def resolve_recipe(
    recipe: Path | None,
    profile: str | None,
    extra_args: list[str],
    *,
    stage: str = "zero",
    overrides: dict[str, Any] | None = None,
    validate: bool = True,
    model: str | None = None,
) -> Recipe:
    """Load and validate the recipe for `stage`; print its notes (deprecations, fallbacks) on stderr.

    `stage` is one of recipe.stages.STAGES (pretrain, zero, sft, distill, generate, score, prepare): validation
    runs that stage's checks only. `overrides` are values from the command's own options (e.g.
    --output-dir), applied last.
    `model` is the model the command prompts (default: the recipe's model.name_or_path): what its folder
    recorded at training (the system prompt, r1cli.models.prompting) replaces the built-in defaults; where it
    recorded none, a prepared data.dataset folder's own system prompt does.
    `validate=False` skips the whole-recipe checks (they import torch) for commands that only read a
    section and check it themselves.
    """
    from r1cli.plumbing.console import note
    from r1cli.preflight.validate import validate_recipe
    from r1cli.recipe import load_recipe

    args = list(extra_args)
    for key, value in (overrides or {}).items():
        if value is not None:
            args += [f"--{key}", str(value)]
    resolved = load_recipe(recipe, profile, args, stage=stage)
    if stage not in STAGES_WITHOUT_A_MODEL:
        from r1cli.models.prompting import recorded_recipe_values  # locating a model costs imports: only here

        recorded, origin = recorded_recipe_values(
            model or resolved.get("model.name_or_path") or "", resolved.section("tiny")
        )
        if recorded:
            resolved = load_recipe(
                recipe, profile, args, stage=stage, recorded=recorded, recorded_origin=origin
            )
    if stage != "score" and is_saved_dataset_dict(str(resolved.get("data.dataset") or "")):
        from r1cli.data.store import adopt_prepared_prompt  # imports datasets: only for a prepared folder

        adopt_prepared_prompt(resolved)
    if validate:
        validate_recipe(resolved)
    for text in resolved.notes:
        note(text, once=True)  # under torchrun every rank resolves; the main process tells
    return resolved


def resolve_generate_recipe(
    recipe: Path | None, profile: str | None, extra_args: list[str], data: str | None, model: str | None
) -> Recipe:
    """The recipe of a command that generates from problems (coldstart, sample reject) with `model`
    (--model; default model.name_or_path): --data wins."""
    return resolve_recipe(
        recipe, profile, extra_args, stage="generate", overrides={"data.dataset": data}, model=model
    )


# Options of the generating commands (coldstart, sample reject, ...): what to run, on what, into which file.
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="A stage's output folder (model or LoRA adapter), r1-tiny, or a hub id (default: model.name_or_path).",
        show_default=False,
    ),
]
ProblemsOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        metavar="PROBLEMS",
        help="A .jsonl file (`problem` or `question`, optional `answer`/`solution`, `id`) or a `r1 data prepare` "
        "folder (default: data.dataset).",
        show_default=False,
    ),
]
JsonlOutputOption = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="The JSONL file to write; rerunning the same command continues it.",
        show_default=False,
    ),
]
OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite", help="Start an earlier output of the same command over instead of continuing it."
    ),
]

DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Check everything and print what would run (settings, rows, a prompt as the model sees it, "
        "steps, memory, output state); load no weights, write nothing.",
    ),
]
