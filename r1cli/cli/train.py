"""`r1 train pretrain`, `r1 train zero` and `r1 train sft`: the training stages, each a thin call into r1cli.train."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from r1cli.cli.options import (
    OVERRIDES,
    OVERRIDES_HELP,
    DryRunOption,
    ProfileOption,
    RecipeOption,
    resolve_recipe,
)

app = typer.Typer(
    help="Train: pretraining on text, R1-Zero GRPO, supervised fine-tuning.", no_args_is_help=True
)

OutputDirOption = Annotated[
    Path | None,
    typer.Option(
        "--output-dir", "-o", help="Where checkpoints, metrics and the model go.", show_default=False
    ),
]
ResumeOption = Annotated[
    bool, typer.Option("--resume", help="Continue from the last complete checkpoint in the output directory.")
]
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="Training data (same as --data.dataset): a file, a folder, a `r1 data prepare` output or a hub id.",
        show_default=False,
    ),
]


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def pretrain(
    ctx: typer.Context,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Text to train on (same as --data.dataset): rows with a `text` column in a file, a folder or a "
            "hub dataset, or synthetic:addition-text / synthetic:chain-text (a built-in task worked in prose).",
            show_default=False,
        ),
    ] = None,
    output_dir: OutputDirOption = None,
    resume: ResumeOption = False,
) -> None:
    """Pretraining: causal language modelling on raw text, trained with \\[sft]; makes a base model.

    Example: r1 train pretrain --data synthetic:addition-text -o runs/pretrain
    """
    from r1cli.train.pretrain import DEFAULT_OUTPUT_DIR, train_pretrain

    output_dir = output_dir or DEFAULT_OUTPUT_DIR
    recipe = recipe or (_run_recipe(output_dir, "sft") if resume else None)
    overrides = {"sft.output_dir": output_dir, "data.dataset": data}
    resolved = resolve_recipe(recipe, profile, ctx.args, stage="pretrain", overrides=overrides)
    _report(train_pretrain(resolved, resume=resume))


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def zero(
    ctx: typer.Context,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    output_dir: OutputDirOption = None,
    resume: ResumeOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """R1-Zero: GRPO with rule-based rewards on the recipe's model and dataset.

    Example: r1 train zero --recipe l40s --profile dev --output-dir runs/zero
    """
    from r1cli.train.zero import train_zero

    recipe = recipe or (_run_recipe(output_dir, "grpo") if resume else None)
    resolved = resolve_recipe(
        recipe, profile, ctx.args, stage="grpo", overrides={"grpo.output_dir": output_dir}
    )
    if dry_run:
        _print_plan(resolved, "zero", resume)
        return
    result = train_zero(resolved, resume=resume)
    _report(result)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def sft(
    ctx: typer.Context,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    data: DataOption = None,
    output_dir: OutputDirOption = None,
    resume: ResumeOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Supervised fine-tuning on chat data (messages, prompt/completion or ShareGPT rows).

    Example: r1 train sft --data coldstart.jsonl -o runs/sft
    """
    from r1cli.train.sft import train_sft

    recipe = recipe or (_run_recipe(output_dir, "sft") if resume else None)
    overrides = {"sft.output_dir": output_dir, "data.dataset": data}
    resolved = resolve_recipe(recipe, profile, ctx.args, stage="sft", overrides=overrides)
    if dry_run:
        _print_plan(resolved, "sft", resume)
        return
    result = train_sft(resolved, resume=resume)
    _report(result)


def _print_plan(resolved, stage: str, resume: bool) -> None:
    from r1cli.cli.dry_run import plan_training, render

    print(render(plan_training(resolved, stage, resume=resume)), end="")


def _run_recipe(output_dir: Path | None, section: str) -> Path | None:
    """On --resume without --recipe, the run's own saved recipe is the base, so the run goes on unchanged."""
    from r1cli.recipe.saved import run_recipe
    from r1cli.recipe.schema import defaults

    return run_recipe(output_dir or Path(defaults()[section]["output_dir"]))


def _report(result) -> None:
    """One closing line on stderr (main process only); the output directory on stdout."""
    from rich.console import Console

    from r1cli.plumbing.console import is_main_process

    if not is_main_process():
        return
    typer.echo(str(result.output_dir))

    console = Console(stderr=True)
    rewards = {k: v for k, v in result.metrics.items() if k.startswith("rewards/") and k.endswith("/mean")}
    summary = ", ".join(f"{k.split('/')[1]} {v:.3f}" for k, v in sorted(rewards.items()))
    if not summary and isinstance(result.metrics.get("loss"), float):
        summary = f"loss {result.metrics['loss']:.4f}"
    console.print(
        f"[bold green]done[/]: {result.global_step} steps, model in {result.output_dir}"
        + (f" ({summary})" if summary else "")
    )
