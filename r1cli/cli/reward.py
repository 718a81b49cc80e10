"""`r1 reward score`: score a JSONL file of completions with the rule-based rewards.

    r1 reward score completions.jsonl --rewards accuracy,format --weights 1,0.5 -o scored.jsonl
    r1 reward score completions.jsonl --recipe my.toml --rewards.cosine.max_len 500

Scores go to stdout (or --output, written all at once), the per-reward summary to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from r1cli.cli.options import OVERRIDES, OVERRIDES_HELP, ProfileOption, RecipeOption, resolve_recipe
from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    from r1cli.rewards.scoring import ScoreReport

app = typer.Typer(
    help="Score completions with the rule-based rewards (accuracy, format, ...).", no_args_is_help=True
)


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _weights(value: str) -> list[float]:
    weights = []
    for item in _names(value):
        try:
            weights.append(float(item))
        except ValueError:
            raise R1Error(f"--weights: {item!r} is not a number", hint="e.g. --weights 1,0.5") from None
    return weights


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def score(
    ctx: typer.Context,
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT.jsonl",
            help="One JSON object per line: `completion` (text or chat messages), `solution` (the gold answer, "
            "needed by accuracy, cosine and length), optional `id`, `prompt` (chat messages, or the text after the "
            "chat template: one ending with an opened <think> makes the completion start inside it), "
            "`rendered_prompt`, `completion_ids`, other columns.",
        ),
    ],
    rewards: Annotated[
        str | None,
        typer.Option(
            "--rewards", help="Comma-separated reward names (default: the recipe's rewards.functions)."
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="Comma-separated weights, one per reward (default: the recipe's)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write scores here instead of stdout.")
    ] = None,
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Leave malformed rows out (listed on stderr) instead of stopping."),
    ] = False,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
) -> None:
    """Score each row: one {id, rewards, total} JSON line per row, a summary per reward on stderr.

    A reward that cannot be computed for a row is null (no final answer in the gold, or math
    verification ran past rewards.timeout); the total counts it as 0.

    Example: r1 reward score completions.jsonl --rewards accuracy,format > scored.jsonl
    """
    from r1cli.plumbing.jsonl import check_output_path, write_jsonl
    from r1cli.rewards.scoring import score_file

    # The rewards table is checked by the registry itself; full validation would import torch.
    resolved = resolve_recipe(recipe, profile, ctx.args, stage="score", validate=False)
    rewards_cfg = resolved.section("rewards")
    names = _names(rewards) if rewards is not None else None
    weight_values = _weights(weights) if weights is not None else None
    count = len(names if names is not None else rewards_cfg.get("functions", []))
    if weight_values is not None and len(weight_values) != count:
        raise R1Error(
            f"--weights has {len(weight_values)} values for {count} rewards",
            hint="give one weight per reward, in the order of --rewards",
        )
    if output is not None:
        check_output_path(output)
    report = score_file(input_path, rewards_cfg, names, weight_values, skip_bad=skip_bad)
    write_jsonl(report.rows, output)
    _print_summary(report, output)


def _print_summary(report: ScoreReport, output: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    for line in report.skipped:
        console.print(f"r1: skipped {line}", markup=False, highlight=False)
    table = Table(title="Reward Breakdown")
    table.add_column("reward")
    table.add_column("weight", justify="right")
    table.add_column("mean ± std", justify="right")
    table.add_column("min, max", justify="right")
    table.add_column("null", justify="right")
    for stat in report.stats:
        if stat.mean is None:
            spread, extent = "-", "-"
        else:
            spread, extent = f"{stat.mean:.3f} ± {stat.std:.3f}", f"[{stat.low:.3f}, {stat.high:.3f}]"
        table.add_row(stat.name, f"{stat.weight:g}", spread, extent, str(stat.nulls))
    table.caption = (
        f"{len(report.rows)} rows in {report.seconds:.2f} s ({report.rows_per_second:.0f} rows/s)"
        + (f", {len(report.skipped)} skipped" if report.skipped else "")
        + (f", {report.timeouts} verification timeouts" if report.timeouts else "")
        + (f" -> {output}" if output else "")
    )
    console.print(table)
