"""`r1 report --group`: several runs of one configuration (seeds) drawn as one band.

    groups = parse_groups(["zero=runs/zero-s1,runs/zero-s2,runs/zero-s3", "cs=runs/cs-s1,runs/cs-s2"])
    report = write_group_report(groups, Path("runs/compare"))   # plots/*.png and report.md

For each group and metric the plot shows the mean over the group's runs at each step (moving average
bold, raw faint) and shades the band from the lowest to the highest run. Only the steps that every run
of the group logged with a finite value count: a longer run's later steps, and a step where one run
logged NaN or nothing, are left out, so the mean never jumps when a run ends early. A run that never
logged a metric is left out of that metric. report.md gives, per group and metric, the value at the last
such step as mean ± sd (sample standard deviation, n - 1) and min..max across the runs.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text
from r1cli.report.summary import (
    METRICS_FILE,
    PLOTS_DIR,
    REPORT_FILE,
    Metric,
    RunMetrics,
    duration_text,
    logged_metrics,
    make_plots_dir,
    number_text,
    read_run,
    save_metric_figure,
    smooth,
    smoothing_window,
)

GROUP_SYNTAX = "--group NAME=RUN_DIR,RUN_DIR,..."


# ---- numbers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """Across runs, at each step they all logged: mean, lowest, highest, sample sd (NaN for one run)."""

    steps: list[int]
    mean: list[float]
    low: list[float]
    high: list[float]
    sd: list[float]
    runs: int  # the runs that logged the metric at all


def band(series: Sequence[tuple[Sequence[int], Sequence[float]]]) -> Band:
    """The band of several runs' (steps, values): only steps that every run logged with a finite value.

    >>> b = band([([1, 2, 3], [1.0, 2.0, 3.0]), ([1, 2, 3], [2.0, 3.0, float("nan")]), ([1, 2], [3.0, 4.0])])
    >>> b.steps, b.mean, b.low, b.high, b.sd, b.runs
    ([1, 2], [2.0, 3.0], [1.0, 2.0], [3.0, 4.0], [1.0, 1.0], 3)
    >>> band([([1, 2], [0.5, 0.5]), ([], [])]).sd   # a run with no value is not counted; one run has no sd
    [nan, nan]
    """
    by_step = []
    for steps, values in series:
        # A step logged twice (a resumed run repeats the steps after its checkpoint): the later value.
        finite = {int(s): float(v) for s, v in zip(steps, values, strict=True) if math.isfinite(v)}
        if finite:
            by_step.append(finite)
    common = sorted(set.intersection(*(set(run) for run in by_step))) if by_step else []
    columns = [[run[step] for run in by_step] for step in common]
    return Band(
        steps=common,
        mean=[statistics.fmean(column) for column in columns],
        low=[min(column) for column in columns],
        high=[max(column) for column in columns],
        sd=[statistics.stdev(column) if len(column) > 1 else math.nan for column in columns],
        runs=len(by_step),
    )


@dataclass
class RunGroup:
    """The runs of one configuration, under the name the user gave them."""

    name: str
    runs: list[RunMetrics]

    def band(self, key: str) -> Band:
        return band([run.series(key) for run in self.runs])


@dataclass(frozen=True)
class SeedSummary:
    """One metric of one group at the last step every run logged: mean ± sd and min..max."""

    metric: Metric
    step: int
    mean: float
    sd: float
    low: float
    high: float
    runs: int

    @property
    def mean_sd(self) -> str:
        if self.runs < 2:
            return number_text(self.mean)
        return f"{number_text(self.mean)} ± {self.sd:.2g}"  # two digits: the spread of a few seeds is rough

    @property
    def range(self) -> str:
        return f"{number_text(self.low)}..{number_text(self.high)}" if self.runs > 1 else "-"


def summarize_group(group: RunGroup, metric: Metric) -> SeedSummary | None:
    """None when no run of the group logged the metric, or its runs share no step."""
    b = group.band(metric.key)
    if not b.steps:
        return None
    return SeedSummary(metric, b.steps[-1], b.mean[-1], b.sd[-1], b.low[-1], b.high[-1], b.runs)


# ---- groups from the command line ---------------------------------------------------------------


def parse_groups(specs: Sequence[str], loose: Sequence[Path | str] = ()) -> dict[str, list[Path]]:
    """`NAME=DIR,DIR,...` specs (and runs outside any group, each a group of its own) -> name: folders.

    >>> groups = parse_groups(["zero=runs/z1, runs/z2"], ["runs/base"])
    >>> {name: [str(folder) for folder in folders] for name, folders in groups.items()}
    {'zero': ['runs/z1', 'runs/z2'], 'base': ['runs/base']}
    """
    groups: dict[str, list[Path]] = {}
    owner: dict[Path, str] = {}  # resolved folder -> its group: a run in two groups would count twice

    def add(name: str, folders: list[Path]) -> None:
        if name in groups:
            raise R1Error(
                f"two groups are named {name}",
                hint="give each group one --group; a RUN_DIR outside any group is a group named after its folder",
            )
        for folder in folders:
            key = folder.resolve()
            if key in owner:
                where = (
                    "twice in group " + name if owner[key] == name else f"in groups {owner[key]} and {name}"
                )
                raise R1Error(f"{folder} is {where}", hint="a run belongs to one group")
            owner[key] = name
        groups[name] = folders

    for spec in specs:
        name, equals, members = spec.partition("=")
        name = name.strip()
        if not equals or not name:
            raise R1Error(f"--group {spec!r} has no name", hint=f"write {GROUP_SYNTAX}")
        folders = [Path(member.strip()) for member in members.split(",") if member.strip()]
        if not folders:
            raise R1Error(f"group {name} has no run folder", hint=f"write {GROUP_SYNTAX}")
        add(name, folders)
    for folder in loose:
        add(Path(folder).resolve().name, [Path(folder)])
    return groups


def read_groups(groups: dict[str, list[Path]]) -> list[RunGroup]:
    """Each group's runs read; a folder that is not a run is an R1Error naming its group."""
    read = []
    for name, folders in groups.items():
        runs = []
        for folder in folders:
            try:
                runs.append(read_run(folder))
            except R1Error as exc:
                raise R1Error(f"group {name}: {exc.message}", hint=exc.hint) from None
        read.append(RunGroup(name, runs))
    return read


# ---- plots and report ---------------------------------------------------------------------------


def plot_bands(groups: list[RunGroup], metric: Metric, path: Path) -> bool:
    """One PNG: per group, the mean over its runs and the min-max band shaded. False if none logged it."""
    from matplotlib.figure import Figure  # the Agg canvas, without pyplot's global state

    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot()
    window, plotted = 1, False
    for index, group in enumerate(groups):
        b = group.band(metric.key)
        if not b.steps:
            continue
        color = f"C{index % 10}"
        own_window = smoothing_window(len(b.steps))
        window = max(window, own_window)
        label = group.name
        if b.runs > 1:  # a group of one run is drawn as that run: no band, no "mean of 1"
            label = f"{group.name}: mean of {b.runs} runs"
            axes.fill_between(
                b.steps, b.low, b.high, color=color, alpha=0.2, linewidth=0, label=f"{group.name}: min–max"
            )
        axes.plot(b.steps, b.mean, "o-", color=color, alpha=0.35, markersize=3, linewidth=0.8)
        axes.plot(b.steps, smooth(b.mean, own_window), color=color, linewidth=2, label=label)
        plotted = True
    if not plotted:
        return False
    save_metric_figure(figure, metric, window, path)
    return True


@dataclass
class GroupReport:
    """What `write_group_report` wrote."""

    markdown: Path
    plots: list[Path]
    groups: list[RunGroup]

    @property
    def runs(self) -> list[RunMetrics]:
        return [run for group in self.groups for run in group.runs]


def write_group_report(groups: dict[str, list[Path]], output: Path | None) -> GroupReport:
    """A band per group in one set of plots, and report.md with each group's mean ± sd, into `output`."""
    if not groups:
        raise R1Error("no run folder given", hint=f"e.g. r1 report {GROUP_SYNTAX} --output runs/compare")
    if output is None:
        raise R1Error(
            "--group needs --output DIR for the shared plots",
            hint="e.g. r1 report --group zero=runs/z1,runs/z2 --output runs/compare",
        )
    read = read_groups(groups)
    plots_dir = make_plots_dir(Path(output))
    metrics = logged_metrics([run for group in read for run in group.runs])
    plots = [plots_dir / f"{m.file}.png" for m in metrics if plot_bands(read, m, plots_dir / f"{m.file}.png")]

    title = ", ".join(f"{g.name} ({len(g.runs)} run{'s' if len(g.runs) > 1 else ''})" for g in read)
    lines = [
        f"# Training report: {title}",
        "",
        "Each group is runs of one configuration (seeds). A value is taken at the last step that every run",
        "of the group logged: mean ± sample standard deviation, and min..max, across the runs. The plots",
        "show the mean over the runs and shade the band from the lowest to the highest run.",
        "",
    ]
    lines += _comparison(read, metrics)
    for group in read:
        lines += _group_lines(group, metrics)
    lines += ["## Plots", ""]
    lines += [f"![{plot.stem}]({PLOTS_DIR}/{plot.name})" for plot in plots]
    markdown = Path(output) / REPORT_FILE
    atomic_write_text(markdown, "\n".join(lines) + "\n")
    return GroupReport(markdown, plots, read)


def _comparison(groups: list[RunGroup], metrics: list[Metric]) -> list[str]:
    """One table, a row per group: its runs and each metric's mean ± sd."""
    header = ["group", "runs", *(m.key for m in metrics)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for group in groups:
        cells = [group.name, str(len(group.runs))]
        cells += [s.mean_sd if (s := summarize_group(group, m)) else "-" for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _group_lines(group: RunGroup, metrics: list[Metric]) -> list[str]:
    lines = [f"## {group.name}", "", f"- runs: {len(group.runs)}"]
    for run in group.runs:
        age = time.time() - (run.directory / METRICS_FILE).stat().st_mtime
        status = (
            "finished" if run.finished() else f"in progress or stopped (last log {duration_text(age)} ago)"
        )
        lines.append(
            f"  - `{run.directory}`: {run.kind()}, last step {run.rows[-1].get('step')}, {status},"
            f" wall time {duration_text(run.wall_seconds())}"
        )
    lines += [
        "",
        "| metric | mean ± sd (step) | min..max | runs |",
        "|---|---|---|---|",
    ]
    for metric in metrics:
        if (s := summarize_group(group, metric)) is not None:
            lines.append(f"| {metric.key} | {s.mean_sd} ({s.step}) | {s.range} | {s.runs} |")
    return [*lines, ""]
