"""`r1 sample reject`: rejection sampling, K samples per problem scored with the rewards, the best kept.

    r1 sample reject --model runs/sft --data problems.jsonl --output rs.jsonl --num-samples 8
    r1 sample reject ... --rewards accuracy,format,reasoning_steps --min-total 2.5 --keep 2 --mix chat.jsonl

The output path goes to stdout, the summary table (acceptance, pass@K, reward means) to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from r1cli.cli.options import (
    OVERRIDES,
    OVERRIDES_HELP,
    DryRunOption,
    JsonlOutputOption,
    ModelOption,
    OverwriteOption,
    ProblemsOption,
    ProfileOption,
    RecipeOption,
    resolve_generate_recipe,
)

if TYPE_CHECKING:
    from r1cli.sample.reject import RejectResult

app = typer.Typer(help="Sample from a model and keep the best: rejection sampling.", no_args_is_help=True)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def reject(
    ctx: typer.Context,
    output: JsonlOutputOption,
    model: ModelOption = None,
    data: ProblemsOption = None,
    num_samples: Annotated[
        int | None,
        typer.Option("--num-samples", "-k", help="Samples per problem (default: generation.num_samples)."),
    ] = None,
    rewards: Annotated[
        str | None,
        typer.Option(
            "--rewards", help="Comma-separated reward names (default: accuracy,format,language_consistency)."
        ),
    ] = None,
    min_total: Annotated[
        float | None,
        typer.Option("--min-total", help="Also require this weighted total (weights: rewards.weights)."),
    ] = None,
    keep: Annotated[
        int, typer.Option("--keep", help="Accepted samples kept per problem (distinct texts).")
    ] = 1,
    keep_all: Annotated[
        bool, typer.Option("--keep-all", help="Write every sample with its `accepted` flag.")
    ] = False,
    mix: Annotated[
        Path | None,
        typer.Option("--mix", help="Append these non-reasoning SFT rows (messages or ShareGPT JSONL)."),
    ] = None,
    overwrite: OverwriteOption = False,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Generate K samples per problem, score them, keep the best accepted (accuracy 1 and format 1).

    Example: r1 sample reject -m runs/zero --data data/gsm8k -o accepted.jsonl -k 8
    """
    from r1cli.sample.reject import run_reject

    resolved = resolve_generate_recipe(recipe, profile, ctx.args, data, model)
    if dry_run:
        from r1cli.cli.dry_run import plan_generation, render

        print(render(plan_generation(resolved, "r1 sample reject", model, output, num_samples)), end="")
        return
    names = [name.strip() for name in rewards.split(",") if name.strip()] if rewards is not None else None
    result = run_reject(
        resolved, output, model=model, num_samples=num_samples, rewards=names, keep=keep, keep_all=keep_all,
        min_total=min_total, mix=mix, overwrite=overwrite,
    )  # fmt: skip
    _print_summary(result)
    print(result.path)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print_summary(result: RejectResult) -> None:
    from rich.console import Console
    from rich.table import Table

    summary = result.summary
    console = Console(stderr=True)
    table = Table(title="Rejection sampling", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("problems sampled (this run)", str(summary.problems))
    table.add_row("samples", str(summary.samples))
    table.add_row("acceptance rate", _percent(summary.acceptance_rate))
    table.add_row("problems with >= 1 accepted", f"{summary.problems_accepted} of {summary.problems}")
    table.add_row("pass@K (accuracy 1 in any sample)", _percent(summary.pass_at_k))
    means = summary.reward_means()
    for name, weight in zip(result.names, result.weights, strict=True):
        mean = means.get(name)
        table.add_row(f"mean {name} (weight {weight:g})", "-" if mean is None else f"{mean:.3f}")
    table.add_row("rows written", str(result.written) + (f" + {result.mixed} --mix" if result.mixed else ""))
    if result.resumed:
        table.caption = f"{result.resumed} problems were done by an earlier run (not in these numbers)"
    console.print(table)
    sys.stderr.flush()
