"""`r1 report`: plots and a Markdown summary of training runs, from their metrics.jsonl.

    r1 report runs/zero                                   # runs/zero/plots/*.png and runs/zero/report.md
    r1 report runs/zero runs/zero-lr2 --output runs/cmp   # one set of plots, a line per run
    r1 report runs/zero --samples 5                       # and 5 of its completions, first to last
    r1 report --group zero=runs/z-s1,runs/z-s2,runs/z-s3 --group sft=runs/s-s1,runs/s-s2 -o runs/cmp
                                                          # seeds as one band per group: mean, min-max

The report's path goes to stdout, a summary table to stderr. Works on a run that is still training.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from r1cli.report.bands import GroupReport
    from r1cli.report.summary import Report


def report(
    run_dirs: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="RUN_DIR...",
            help="Output folders of r1 train runs (holding metrics.jsonl).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Folder for the plots and report.md (default: the run's own folder; needed for several runs).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            min=0,
            help="Also print N completions of each GRPO run (completions.jsonl), spread first to last.",
        ),
    ] = 0,
    groups: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            "-g",
            metavar="NAME=RUN_DIR,...",
            help="Runs of one configuration (seeds), drawn as one band: the mean over the runs at the steps"
            " they all logged, min-max shaded; report.md gives mean ± sd and min..max. Repeat per group;"
            " a RUN_DIR outside any group is a group of its own. Needs --output.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plots and a Markdown summary (report.md) of training runs, from their metrics.jsonl.

    Plots each reward, the total reward, loss, completion length, format compliance and learning
    rate over the steps (raw points and a moving average): those the run logged. With --group,
    each group of seeds is one band: the mean line over its runs and the min-max range shaded.

    Example: r1 report runs/zero
    """
    if not run_dirs and not groups:
        raise typer.BadParameter("give RUN_DIR... or --group NAME=RUN_DIR,...", param_hint="RUN_DIR...")
    if groups:
        from r1cli.report.bands import parse_groups, write_group_report

        grouped = write_group_report(parse_groups(groups, run_dirs or []), output)
        _print_group_summary(grouped)
        if samples:
            _print_samples(grouped, samples)
        print(grouped.markdown)
        return
    from r1cli.report.summary import write_report

    result = write_report(run_dirs or [], output)
    _print_summary(result)
    if samples:
        _print_samples(result, samples)
    print(result.markdown)


def _print_samples(result: Report | GroupReport, count: int) -> None:
    """N of each run's kept completions on stderr, whole (stdout keeps the report's path alone)."""
    from r1cli.report.samples import as_text, pick, read_samples

    for run in result.runs:
        kept = read_samples(run.directory)
        if not kept:
            print(
                f"{run.name}: no completions.jsonl (only GRPO runs keep their completions)", file=sys.stderr
            )
        for sample in pick(kept, count):
            print(as_text(sample), file=sys.stderr)


def _print_summary(result: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    from r1cli.report.summary import PLOTS_DIR, summarize

    console = Console(stderr=True)
    for run in result.runs:
        table = Table(title=f"{run.name} · {run.kind()} · last step {run.rows[-1].get('step')}")
        table.add_column("metric")
        table.add_column("final", justify="right")
        table.add_column("best (step)", justify="right")
        table.add_column("trend (first → last quarter)")
        for metric in run.metrics():
            if (s := summarize(run, metric)) is None:
                continue
            best = f"{s.best:.4g} ({s.best_step})" if s.best is not None else "-"
            table.add_row(metric.key, f"{s.final:.4g}", best, s.trend)
        console.print(table)
    console.print(f"{len(result.plots)} plots in {result.markdown.parent / PLOTS_DIR}", highlight=False)


def _print_group_summary(result: GroupReport) -> None:
    from rich.console import Console
    from rich.table import Table

    from r1cli.report.bands import summarize_group
    from r1cli.report.summary import PLOTS_DIR, logged_metrics

    console = Console(stderr=True)
    metrics = logged_metrics(result.runs)
    for group in result.groups:
        table = Table(title=f"{group.name} · {len(group.runs)} run{'s' if len(group.runs) > 1 else ''}")
        table.add_column("metric")
        table.add_column("mean ± sd (step)", justify="right")
        table.add_column("min..max", justify="right")
        table.add_column("runs", justify="right")
        for metric in metrics:
            if (s := summarize_group(group, metric)) is not None:
                table.add_row(metric.key, f"{s.mean_sd} ({s.step})", s.range, str(s.runs))
        console.print(table)
    console.print(f"{len(result.plots)} plots in {result.markdown.parent / PLOTS_DIR}", highlight=False)
