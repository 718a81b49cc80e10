"""`r1 distill`: a student learns from a teacher, by its filtered reasoning traces or by its logits.

    r1 distill --teacher runs/sft2 --student r1-tiny --data problems.jsonl --output-dir runs/distill
    r1 distill --teacher runs/sft2 --student r1-tiny --method logits --output-dir runs/distill-logits

The student's folder goes to stdout; the closing table (teacher vs student on the held-out split) to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from r1cli.cli.options import (
    OVERRIDES,
    OVERRIDES_HELP,
    DryRunOption,
    ProblemsOption,
    ProfileOption,
    RecipeOption,
    resolve_recipe,
)

if TYPE_CHECKING:
    from r1cli.distill import DistillResult

COMMAND_SETTINGS = {"context_settings": OVERRIDES, "epilog": OVERRIDES_HELP, "no_args_is_help": True}


def distill_command(
    ctx: typer.Context,
    teacher: Annotated[
        str,
        typer.Option("--teacher", "-t", help="The teacher: a stage's output folder, r1-tiny, or a hub id."),
    ],
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir", "-o", help="The run folder; running the same command again continues it."
        ),
    ],
    student: Annotated[
        str,
        typer.Option(
            "--student", "-s", help="The student: r1-tiny (shaped by \\[tiny_student]), a folder or a hub id."
        ),
    ] = "r1-tiny",
    data: ProblemsOption = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="traces: SFT on the teacher's filtered traces; logits: trl's DistillationTrainer.",
        ),
    ] = "traces",
    filter_: Annotated[
        str,
        typer.Option(
            "--filter", help="reject: keep correct, well-formed traces (as r1 sample reject); none: keep all."
        ),
    ] = "reject",
    num_samples: Annotated[
        int | None,
        typer.Option(
            "--num-samples", "-k", help="Teacher traces per problem (default: generation.num_samples)."
        ),
    ] = None,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Distill a teacher into a student; compare both on the held-out split of PROBLEMS.

    Example: r1 distill --teacher runs/sft2 --data data/gsm8k -o runs/student
    """
    from r1cli.distill import distill

    resolved = resolve_recipe(
        recipe, profile, ctx.args, stage="distill", overrides={"data.dataset": data}, model=teacher
    )
    if dry_run:
        from r1cli.cli.dry_run import plan_distill, render

        print(render(plan_distill(resolved, teacher, student, output_dir, method, num_samples)), end="")
        return
    result = distill(
        resolved, teacher, student, output_dir, method=method, filter_=filter_, num_samples=num_samples
    )
    _print_table(result)
    print(result.student_dir)


def _print_table(result: DistillResult) -> None:
    from rich.console import Console
    from rich.table import Table

    detail = (
        f"{result.traces} teacher traces, {result.trained_rows} trained on"
        if result.method == "traces"
        else ""
    )
    table = Table(
        title=f"distill ({result.method}{', ' + detail if detail else ''}): {result.held_out} held-out problems, greedy"
    )
    for column in ("", "model", "parameters", "accuracy", "format"):
        table.add_column(column, justify="left" if column in ("", "model") else "right")
    for score in result.scores:
        table.add_row(
            score.role,
            score.model,
            f"{score.parameters:,}",
            f"{score.accuracy:.1%}",
            f"{score.format_rate:.1%}",
        )
    console = Console(stderr=True)
    console.print(table)
    teacher, student = result.scores
    if teacher.accuracy > 0:
        console.print(f"student / teacher accuracy: {student.accuracy / teacher.accuracy:.0%}")
