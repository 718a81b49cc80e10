"""GRPO's extras on top of the training log of any trainer: reward trends and best/worst examples.

    recorder = RewardRecorder(names, weights)
    trainer = GRPOTrainer(..., reward_funcs=recorder.wrap(funcs),
                          callbacks=build_callbacks(recipe.section("logging"), recorder, output_dir))
    quiet_trainer_output(trainer)

The recorder sees every completion the wrapped reward functions score. With it, each step's
summary and metrics.jsonl line carry per-reward statistics (`r1.train.callbacks`), and the
`[logging]` section adds reward-trend alerts (`trend_window`, `trend_threshold`), every
`examples_every` steps the best and worst completion with their reward breakdown, and
`completions_per_step` completions of each logging step in completions.jsonl.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from r1cli.plumbing.console import note
from r1cli.train.callbacks import (
    MetricsLogCallback,
    above_progress_bar,
    display_settings,
    is_train_step,
    trainer_callbacks,
    trim_metrics_file,
)
from r1cli.train.completions_log import BATCH_KEYS, COMPLETIONS_FILE, batch_rows
from r1cli.train.stats import Example, RewardRecorder
from r1cli.train.summary import as_number, render_examples_panel, render_examples_text

__all__ = ["RewardRecorder", "attach_trainer", "build_callbacks"]


class RewardTrendCallback(TrainerCallback):
    """Alerts when a reward's mean over the last `window` steps differs from the window before by > threshold."""

    def __init__(
        self, recorder: RewardRecorder, window: int = 10, threshold: float = 0.10, rich: bool = True
    ):
        self.recorder, self.window, self.threshold, self.rich = recorder, window, threshold, rich
        self.console = Console(stderr=True, highlight=False)
        self.alerts: list[str] = []
        self._open_id: int | None = None
        self._sums: dict[str, list[float]] = {}  # key -> [sum, count] of the open window
        self._previous: dict[str, float] = {}

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):
        if not logs or not is_train_step(logs) or state.global_step <= 0:
            return
        step, messages = state.global_step, []
        window_id = (step - 1) // self.window
        if self._open_id is not None and window_id != self._open_id:
            messages += self._close(step)
        self._open_id = window_id
        for key, value in logs.items():
            if (key == "reward" or (key.startswith("rewards/") and key.endswith("/mean"))) and (
                (v := as_number(value)) is not None
            ):
                acc = self._sums.setdefault(key, [0.0, 0])
                acc[0] += v
                acc[1] += 1
        if step % self.window == 0:
            messages += self._close(step)
        self.alerts += messages
        if messages and state.is_world_process_zero:
            with above_progress_bar():
                for message in messages:
                    if self.rich:
                        style = "green" if "↑" in message else "red"
                        self.console.print(Text(message, style=style))
                    else:
                        print(message, file=sys.stderr, flush=True)

    def _close(self, step: int) -> list[str]:
        means = {key: total / count for key, (total, count) in self._sums.items() if count}
        messages = []
        for key, new in means.items():
            if (old := self._previous.get(key)) is None or new == old:
                continue
            label = "total" if key == "reward" else self.recorder.label(key[8:-5])
            arrow = "↑" if new > old else "↓"
            if abs(old) > 1e-8:
                change = (new - old) / abs(old)
                if abs(change) <= self.threshold:
                    continue
                amount = f"{change:+.1%}"
            elif abs(new - old) > self.threshold:
                amount = f"{new - old:+.3f}"
            else:
                continue
            messages.append(
                f"step {step} trend: {label} {arrow} {amount} ({old:.3f} → {new:.3f}) over {self.window} steps"
            )
        if means:
            self._previous = means
        self._sums, self._open_id = {}, None
        return messages


class ExamplesCallback(TrainerCallback):
    """Every `every` steps, the best and worst completion (by weighted total) since the last print."""

    def __init__(self, source: MetricsLogCallback, every: int, rich: bool = True):
        self.source, self.every, self.rich = source, every, rich
        self.console = Console(stderr=True, highlight=False)
        self.best: Example | None = None
        self.worst: Example | None = None
        self.samples = 0
        self._due = every

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        self._due = (state.global_step // self.every + 1) * self.every

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):
        window = self.source.last_window
        if window is None or not logs or not is_train_step(logs):
            return
        self.samples += window.samples
        if window.best is not None and (self.best is None or window.best.total > self.best.total):
            self.best = window.best
        if window.worst is not None and (self.worst is None or window.worst.total < self.worst.total):
            self.worst = window.worst
        if state.global_step < self._due:
            return
        self._due = (state.global_step // self.every + 1) * self.every
        if state.is_world_process_zero and self.best is not None and self.worst is not None:
            with above_progress_bar():
                self._print(state.global_step)
        self.best, self.worst, self.samples = None, None, 0

    def _print(self, step: int) -> None:
        title = f"examples · step {step} · best and worst of {self.samples} samples"
        if self.rich:
            self.console.print(render_examples_panel(title, self.best, self.worst))
        else:
            print(render_examples_text(title, self.best, self.worst), file=sys.stderr, flush=True)


class CompletionsLogCallback(TrainerCallback):
    """Appends a sample of each logging step's completions to completions.jsonl, with trl's rewards and
    advantages (r1cli/train/completions_log.py); continues from the checkpoint on resume."""

    def __init__(self, output_dir: str | Path, per_step: int, weights: list[float]):
        self.path = Path(output_dir) / COMPLETIONS_FILE
        self.per_step, self.weights = per_step, weights
        self.trainer: Any = None

    def attach(self, trainer: Any) -> None:
        """The trainer whose generation batch is read (callbacks are not handed the trainer)."""
        self.trainer = trainer

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        if state.is_world_process_zero:
            trim_metrics_file(self.path, state.global_step)

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):
        if not logs or not is_train_step(logs) or not state.is_world_process_zero or self.trainer is None:
            return
        # trl keeps the latest generation batch for its own completion logging (a private attribute:
        # if a trl release drops it, the file is off and r1 says so once, instead of failing the run).
        batch = getattr(self.trainer, "_logs", None)
        if not isinstance(batch, dict) or not set(batch) >= BATCH_KEYS:
            note(f"{COMPLETIONS_FILE} is not written: this trl keeps no generation batch to read", once=True)
            self.trainer = None
            return
        rows = batch_rows(batch, state.global_step, self.per_step, self.weights)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def build_callbacks(
    logging_cfg: dict[str, Any], recorder: RewardRecorder, output_dir: str | Path
) -> list[TrainerCallback]:
    """GRPO's callbacks from the recipe's [logging], in order: metrics+summary, trends, examples, checkpoints."""
    settings = display_settings(logging_cfg)
    metrics, *rest = trainer_callbacks(logging_cfg, output_dir, recorder=recorder)
    assert isinstance(metrics, MetricsLogCallback)
    extras: list[TrainerCallback] = []
    if settings["trend_window"] > 0:
        extras.append(
            RewardTrendCallback(
                recorder, settings["trend_window"], settings["trend_threshold"], rich=settings["rich"]
            )
        )
    if settings["examples_every"] > 0:
        extras.append(ExamplesCallback(metrics, settings["examples_every"], rich=settings["rich"]))
    if settings["completions_per_step"] > 0:
        extras.append(CompletionsLogCallback(output_dir, settings["completions_per_step"], recorder.weights))
    return [metrics, *extras, *rest]


def attach_trainer(callbacks: list[TrainerCallback], trainer: Any) -> None:
    """Hand the trainer to the callbacks that use it (completions.jsonl reads its generation batch,
    validation its model)."""
    for callback in callbacks:
        if hasattr(callback, "attach"):
            callback.attach(trainer)
