"""`r1 report`: plots and a Markdown summary of one training run, or of several side by side.

    report = write_report([Path("runs/zero")])                      # runs/zero/plots/*.png, report.md
    report = write_report([Path("runs/a"), Path("runs/b")], Path("runs/compare"))

Reads `<run>/metrics.jsonl` (what the training callbacks append each logging step: trl's keys such as
`rewards/<name>/mean`, `reward`, `loss`, `completions/mean_length`, `learning_rate`, and r1's under
`r1/`). Works on a run that is still going: a torn last line (a write in flight) is left out. Every
plot shows the raw logged points and a moving average over them; only metrics the run logged get a
plot. Several runs give one set of plots with a line per run, in the `output` folder.
Several runs of one configuration (seeds) drawn as a band: r1cli.report.bands.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_path, atomic_write_text
from r1cli.plumbing.jsonl import json_lines
from r1cli.report.samples import read_samples, rises_of, sample_lines

METRICS_FILE = "metrics.jsonl"  # written by r1cli.train.callbacks
REPORT_FILE = "report.md"
PLOTS_DIR = "plots"
# Files that only a finished run has (the trainer saves the model at the end).
FINAL_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "adapter_model.safetensors")


@dataclass(frozen=True)
class Metric:
    """One plotted metric: its key in metrics.jsonl, how it reads, and which way is better."""

    key: str
    file: str  # PNG name without extension
    title: str
    ylabel: str
    better: str | None  # "higher", "lower" or None (no "best")


FIXED_METRICS = (
    Metric("reward", "reward_total", "Total reward (weighted sum)", "reward per sample (mean)", "higher"),
    Metric("loss", "loss", "Training loss", "loss", "lower"),
    Metric("mean_token_accuracy", "token_accuracy", "Token accuracy", "fraction of tokens", "higher"),
    Metric("completions/mean_length", "completion_length", "Completion length", "tokens (mean)", None),
    Metric("r1/format_compliance", "format_compliance", "Format compliance", "fraction of samples", "higher"),
    Metric(
        "r1/val_accuracy",
        "validation_accuracy",
        "Validation accuracy (greedy, carved from train)",
        "fraction of problems",
        "higher",
    ),
    Metric(
        "dynamic_sampling/completions",
        "dynamic_sampling_completions",
        "Completions generated per step (dynamic sampling)",
        "completions",
        None,
    ),
    Metric("learning_rate", "learning_rate", "Learning rate", "learning rate", None),
    Metric("eval_loss", "eval_loss", "Evaluation loss (held-out split)", "loss", "lower"),
)


def _reward_metric(key: str) -> Metric:
    name = key[len("rewards/") : -len("/mean")]
    return Metric(key, f"reward_{name}", f"Reward: {name}", "reward per sample (mean)", "higher")


@dataclass
class RunMetrics:
    """The training-step rows of one run's metrics.jsonl, in step order."""

    directory: Path
    rows: list[dict[str, Any]]
    skipped_lines: list[int] = field(default_factory=list)  # unreadable lines left out (a torn write)
    eval_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.directory.resolve().name

    @property
    def skipped(self) -> int:
        return len(self.skipped_lines)

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """(steps, values) of the rows where `key` is a finite number."""
        steps, values = [], []
        for row in self.eval_rows if key.startswith("eval_") else self.rows:
            value = row.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                steps.append(int(row.get("step", len(steps) + 1)))
                values.append(float(value))
        return steps, values

    def metrics(self) -> list[Metric]:
        """The metrics this run logged, rewards first (in the order the run logged them)."""
        keys = {key for row in [*self.rows, *self.eval_rows] for key in row}
        rewards = [
            _reward_metric(k)
            for k in dict.fromkeys(k for row in self.rows for k in row)
            if k.startswith("rewards/") and k.endswith("/mean")
        ]
        return [*rewards, *(m for m in FIXED_METRICS if m.key in keys)]

    def wall_seconds(self) -> float | None:
        """Training time: each row's time per step times the steps it covers (None if not logged)."""
        for key in ("r1/wall_time_per_step", "step_time"):
            total, previous, found = 0.0, 0, False
            for row in self.rows:
                step, value = int(row.get("step", 0)), row.get(key)
                if isinstance(value, int | float) and math.isfinite(value):
                    total += value * max(step - previous, 1)
                    found = True
                previous = step
            if found:
                return total
        return None

    def finished(self) -> bool:
        return any((self.directory / name).exists() for name in FINAL_WEIGHTS)

    def kind(self) -> str:
        keys = {key for row in self.rows for key in row}
        if "reward" in keys or any(k.startswith("rewards/") for k in keys):
            return "GRPO"
        return "SFT" if "mean_token_accuracy" in keys else "training"


def read_run(directory: Path) -> RunMetrics:
    """A run's metrics.jsonl; R1Error when the folder has none or it holds no training step."""
    directory = Path(directory)
    path = directory / METRICS_FILE
    if not directory.is_dir():
        raise R1Error(f"{directory} is not a directory", hint="pass a training run's output folder")
    if not path.is_file():
        raise R1Error(
            f"{directory} has no {METRICS_FILE}",
            hint="pass the --output-dir of an r1 train run (it writes metrics.jsonl at each logging step)",
        )
    rows, eval_rows, skipped = [], [], []
    for number, row, problem in json_lines(path.read_bytes()):
        if problem is not None or row is None:
            skipped.append(number)  # a write in flight, or one a crash tore
            continue
        if any(key.startswith("eval_") for key in row):
            eval_rows.append(row)
        elif "train_runtime" not in row:
            rows.append(row)
    if not rows:
        raise R1Error(f"{path} holds no training step yet", hint="wait for the first logging step")
    rows.sort(key=lambda row: int(row.get("step", 0)))
    if skipped:  # on the terminal too: a plot with a hole in it should not pass unnoticed
        note(f"{path}: unreadable line(s) {_numbers_text(skipped)} left out: the plots have a gap there")
    return RunMetrics(directory, rows, skipped, eval_rows)


def _numbers_text(numbers: list[int], shown: int = 8) -> str:
    """Line numbers for a message, the first `shown` of them.

    >>> _numbers_text([3, 7]), _numbers_text(list(range(1, 11)), shown=3)
    ('3, 7', '1, 2, 3 and 7 more')
    """
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return ", ".join(str(n) for n in numbers[:shown]) + more


# ---- numbers ------------------------------------------------------------------------------------


def smooth(values: list[float], window: int) -> list[float]:
    """Trailing moving average over `window` points (fewer at the start).

    >>> smooth([0.0, 2.0, 4.0, 6.0], 2)
    [0.0, 1.0, 3.0, 5.0]
    """
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def smoothing_window(count: int) -> int:
    """About a tenth of the points, at least 1, at most 50."""
    return max(1, min(50, round(count / 10)))


@dataclass(frozen=True)
class Summary:
    """What report.md says about one metric of one run."""

    metric: Metric
    final: float
    final_step: int
    best: float | None
    best_step: int | None
    start: float  # mean of the first quarter of the points
    end: float  # mean of the last quarter

    @property
    def trend(self) -> str:
        change = self.end - self.start
        if abs(change) <= 1e-12 * max(abs(self.start), abs(self.end), 1e-30):
            return "flat"
        arrow = "↑" if change > 0 else "↓"
        good = {"higher": change > 0, "lower": change < 0}.get(self.metric.better or "")
        verdict = "" if good is None else (" (better)" if good else " (worse)")
        ratio = change / abs(self.start) if abs(self.start) > 1e-12 else None
        relative = "" if ratio is None else f" {ratio:+.0%}" if abs(ratio) >= 0.1 else f" {ratio:+.1%}"
        return f"{arrow} {number_text(self.start)} → {number_text(self.end)}{relative}{verdict}"


def summarize(run: RunMetrics, metric: Metric) -> Summary | None:
    steps, values = run.series(metric.key)
    if not values:
        return None
    best_step = best = None
    if metric.better is not None:
        pick: Callable[..., int] = max if metric.better == "higher" else min
        index = pick(range(len(values)), key=lambda i: values[i])
        best, best_step = values[index], steps[index]
    quarter = max(1, len(values) // 4)
    return Summary(
        metric,
        values[-1],
        steps[-1],
        best,
        best_step,
        statistics.fmean(values[:quarter]),
        statistics.fmean(values[-quarter:]),
    )


def number_text(value: float | None) -> str:
    if value is None:
        return "-"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3g}"
    return f"{value:.4g}"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


# ---- plots --------------------------------------------------------------------------------------


def plot_metric(runs: list[RunMetrics], metric: Metric, path: Path) -> bool:
    """One PNG: raw points (faint) and their moving average, a line per run. False if no run logged it."""
    from matplotlib.figure import Figure  # the Agg canvas, without pyplot's global state

    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot()
    window = 1
    plotted = False
    for index, run in enumerate(runs):
        steps, values = run.series(metric.key)
        if not values:
            continue
        color = f"C{index % 10}"
        window = max(window, smoothing_window(len(values)))
        label = run.name if len(runs) > 1 else metric.key
        axes.plot(steps, values, "o-", color=color, alpha=0.35, markersize=3, linewidth=0.8)
        axes.plot(steps, smooth(values, smoothing_window(len(values))), color=color, linewidth=2, label=label)
        plotted = True
    if not plotted:
        return False
    save_metric_figure(figure, metric, window, path)
    return True


def save_metric_figure(figure: Any, metric: Metric, window: int, path: Path) -> None:
    """Title, axes and legend of a metric's plot (one axes), then the PNG written whole."""
    axes = figure.axes[0]
    suffix = f" · moving average of {window} logged steps" if window > 1 else ""
    axes.set_title(f"{metric.title}{suffix}", fontsize=11)
    axes.set_xlabel("training step (optimizer updates)")
    axes.set_ylabel(metric.ylabel)
    if metric.key == "learning_rate":
        axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    with atomic_path(path) as temporary:  # a reader (or a rerun) never sees half a PNG
        figure.savefig(temporary, format="png", dpi=110)


# ---- report -------------------------------------------------------------------------------------


@dataclass
class Report:
    """What `write_report` wrote."""

    markdown: Path
    plots: list[Path]
    runs: list[RunMetrics]


def _run_lines(run: RunMetrics) -> list[str]:
    last = run.rows[-1]
    age = time.time() - (run.directory / METRICS_FILE).stat().st_mtime
    status = "finished" if run.finished() else f"in progress or stopped (last log {duration_text(age)} ago)"
    lines = [
        f"## {run.name}",
        "",
        f"- folder: `{run.directory}`",
        f"- kind: {run.kind()}, {status}",
        f"- steps logged: {len(run.rows)}, last step {last.get('step')}",
        f"- wall time: {duration_text(run.wall_seconds())}",
    ]
    if run.skipped:
        lines.append(f"- unreadable line(s) {_numbers_text(run.skipped_lines)} of {METRICS_FILE} left out")
    lines += [
        "",
        "| metric | final (step) | best (step) | trend: first → last quarter |",
        "|---|---|---|---|",
    ]
    for metric in run.metrics():
        if (s := summarize(run, metric)) is None:
            continue
        best = f"{number_text(s.best)} ({s.best_step})" if s.best is not None else "-"
        lines.append(f"| {metric.key} | {number_text(s.final)} ({s.final_step}) | {best} | {s.trend} |")
    lines.append("")
    samples = read_samples(run.directory)
    if samples:  # a GRPO run's completions.jsonl
        lines += sample_lines(samples, rises_of(run.series))
    return lines


def write_report(run_dirs: list[Path], output: Path | None = None) -> Report:
    """Plots and report.md for one run (into its folder, or `output`), or for several (into `output`)."""
    if not run_dirs:
        raise R1Error("no run folder given")
    if len(run_dirs) > 1 and output is None:
        raise R1Error(
            f"{len(run_dirs)} runs need --output DIR for their shared plots",
            hint="e.g. r1 report runs/a runs/b --output runs/compare",
        )
    runs = [read_run(directory) for directory in run_dirs]
    target = Path(output) if output is not None else runs[0].directory
    plots_dir = make_plots_dir(target)
    metrics = logged_metrics(runs)
    plots = [
        plots_dir / f"{m.file}.png" for m in metrics if plot_metric(runs, m, plots_dir / f"{m.file}.png")
    ]

    title = runs[0].name if len(runs) == 1 else f"{len(runs)} runs: " + ", ".join(r.name for r in runs)
    lines = [f"# Training report: {title}", ""]
    if len(runs) > 1:
        lines += _comparison(runs, metrics)
    for run in runs:
        lines += _run_lines(run)
    lines += ["## Plots", ""]
    lines += [f"![{plot.stem}]({PLOTS_DIR}/{plot.name})" for plot in plots]
    markdown = target / REPORT_FILE
    atomic_write_text(markdown, "\n".join(lines) + "\n")
    return Report(markdown, plots, runs)


def make_plots_dir(target: Path) -> Path:
    """`target/plots`, created; R1Error when `target` is a file."""
    if target.exists() and not target.is_dir():
        raise R1Error(f"cannot write the report into {target}: it is not a directory")
    plots_dir = target / PLOTS_DIR
    plots_dir.mkdir(parents=True, exist_ok=True)
    return plots_dir


def logged_metrics(runs: list[RunMetrics]) -> list[Metric]:
    """The metrics any of the runs logged: rewards first, then the fixed ones in their order."""
    logged = {m.key: m for run in runs for m in run.metrics()}
    return [
        *(m for m in logged.values() if m.key.startswith("rewards/")),
        *(m for m in FIXED_METRICS if m.key in logged),
    ]


def _comparison(runs: list[RunMetrics], metrics: list[Metric]) -> list[str]:
    """One table, a row per run: steps, wall time, the final value of each metric."""
    header = ["run", "steps", "wall time", *(m.key for m in metrics)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in runs:
        finals = []
        for metric in metrics:
            s = summarize(run, metric)
            finals.append(number_text(s.final) if s else "-")
        cells = [run.name, str(run.rows[-1].get("step")), duration_text(run.wall_seconds()), *finals]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]
