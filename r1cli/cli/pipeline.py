"""`r1 pipeline run`: the whole R1 recipe end to end (a thin call into r1cli.pipeline).

    r1 pipeline run                                        # tiny CPU recipe into runs/pipeline
    r1 pipeline run --recipe recipes/l40s-pipeline.toml --output-dir runs/pipeline-qwen
    r1 pipeline run --pipeline.sft_steps 20 --pipeline.zero_steps 5   # any recipe key, as everywhere
    r1 pipeline run --model.name_or_path runs/base --pipeline.coldstart none --until zero   # R1-Zero

Rerunning the same command skips the finished stages and continues an unfinished one. The path of
summary.json goes to stdout; each stage's line and the closing table go to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from r1cli.cli.options import (
    OVERRIDES,
    OVERRIDES_HELP,
    DryRunOption,
    ProfileOption,
    RecipeOption,
    resolve_recipe,
)

if TYPE_CHECKING:
    from r1cli.pipeline import PipelineResult, StageRecord

app = typer.Typer(help="The whole R1 recipe, stage after stage, in one folder.", no_args_is_help=True)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def run(
    ctx: typer.Context,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            "-o",
            help="The pipeline's folder (default: pipeline.output_dir); rerun to continue it.",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="STAGE",
            help="Stop after this stage (coldstart, sft, zero, reject, reject_sft, distill).",
            show_default=False,
        ),
    ] = None,
    dry_run: DryRunOption = False,
) -> None:
    """Cold start -> SFT -> GRPO -> rejection sampling -> SFT stage 2 -> distill, evaluated after each stage.

    Example: r1 pipeline run --output-dir runs/pipeline
    """
    from r1cli.pipeline import run_pipeline

    resolved = resolve_recipe(
        recipe, profile, ctx.args, stage="zero", overrides={"pipeline.output_dir": output_dir}
    )
    if dry_run:
        from r1cli.cli.dry_run import plan_pipeline, render

        print(render(plan_pipeline(resolved, Path(resolved.get("pipeline.output_dir")), until)), end="")
        return
    result = run_pipeline(resolved, resolved.get("pipeline.output_dir"), on_stage=_print_stage, until=until)
    _print_table(result)
    print(result.summary_path)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print_stage(record: StageRecord) -> None:
    from rich.console import Console

    done = "finished earlier, skipped" if record.reused else f"{record.seconds:.0f}s"
    scores = "" if record.accuracy is None else f": accuracy {_percent(record.accuracy)}"
    Console(stderr=True).print(f"[bold]pipeline[/bold] {record.name} ({done}){scores}")


def _print_table(result: PipelineResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"r1 pipeline: {result.output_dir}")
    table.add_column("stage")
    table.add_column("held-out accuracy", justify="right")
    table.add_column("format compliance", justify="right")
    table.add_column("wall time", justify="right")
    for record in result.stages:
        seconds = f"{record.seconds:.0f}s" + (" (earlier run)" if record.reused else "")
        table.add_row(record.name, _percent(record.accuracy), _percent(record.format_rate), seconds)
    table.caption = (
        f"this run: {result.seconds:.0f}s in all; held-out = the test split of {result.output_dir / 'data'}"
    )
    Console(stderr=True).print(table)
