"""`r1 train zero`: the training stages, each a thin call into r1cli.train."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from r1cli.cli.options import OVERRIDES, OVERRIDES_HELP, ProfileOption, RecipeOption, resolve_recipe

app = typer.Typer(help="Train: R1-Zero GRPO.", no_args_is_help=True)

OutputDirOption = Annotated[
    Path | None,
    typer.Option(
        "--output-dir", "-o", help="Where checkpoints, metrics and the model go.", show_default=False
    ),
]
ResumeOption = Annotated[
    bool, typer.Option("--resume", help="Continue from the last complete checkpoint in the output directory.")
]


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def zero(
    ctx: typer.Context,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    output_dir: OutputDirOption = None,
    resume: ResumeOption = False,
) -> None:
    """R1-Zero: GRPO with rule-based rewards on the recipe's model and dataset."""
    from r1cli.train.zero import train_zero

    recipe = recipe or (_run_recipe(output_dir, "grpo") if resume else None)
    resolved = resolve_recipe(
        recipe, profile, ctx.args, stage="grpo", overrides={"grpo.output_dir": output_dir}
    )
    result = train_zero(resolved, resume=resume)
    _report(result)


def _run_recipe(output_dir: Path | None, section: str) -> Path | None:
    """On --resume without --recipe, the run's own saved recipe is the base, so the run goes on unchanged."""
    from r1cli.recipe.schema import defaults
    from r1cli.rundir import run_recipe

    return run_recipe(output_dir or Path(defaults()[section]["output_dir"]))


def _report(result) -> None:
    """One closing line on stderr (main process only); the output directory on stdout."""
    import os

    from rich.console import Console

    if int(os.environ.get("RANK", "0")) != 0:
        return
    typer.echo(str(result.output_dir))

    console = Console(stderr=True)
    rewards = {k: v for k, v in result.metrics.items() if k.startswith("rewards/") and k.endswith("/mean")}
    summary = ", ".join(f"{k.split('/')[1]} {v:.3f}" for k, v in sorted(rewards.items()))
    console.print(
        f"[bold green]done[/]: {result.global_step} steps, model in {result.output_dir} ({summary})"
    )
