"""The training log of any transformers Trainer: metrics.jsonl, a summary per logging step, kept checkpoints.

    trainer = SFTTrainer(..., callbacks=trainer_callbacks(recipe.section("logging"), output_dir))
    quiet_trainer_output(trainer)          # stdout stays for data; r1's metrics reach report_to

Every logging step (and evaluation), the main process appends one JSON object to
`<output_dir>/metrics.jsonl` (the trainer's keys as logged, `step`, and r1's own under `r1/`), adds
the `r1/` metrics to the logs that the `report_to` integrations receive, and prints a summary on
stderr: a rich panel, or one plain line with `[logging] rich = false` or when stderr is not a terminal
(a log file: then no progress bar either). `checkpoint-<step>` with
`step` a multiple of `[logging] keep_checkpoint_every` is hard-linked into `<output_dir>/kept/`,
beyond the trainer's `save_total_limit`. GRPO adds reward statistics, trends and examples on top
(`r1cli.train.reward_log`).
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from transformers.trainer_callback import DefaultFlowCallback, PrinterCallback, ProgressCallback

from r1cli.train.settings import logging_settings
from r1cli.train.stats import RewardRecorder, SampleWindow, system_metrics
from r1cli.train.summary import as_number, render_line, render_other, render_panel

METRICS_FILE = "metrics.jsonl"
KEPT_DIR = "kept"


def display_settings(logging_cfg: dict[str, Any]) -> dict[str, Any]:
    """The checked [logging] settings, with `rich` off when stderr is not a terminal (a log file, CI,
    nohup): there every summary is one plain line, and no progress bar writes carriage returns."""
    settings = logging_settings(logging_cfg)
    settings["rich"] = settings["rich"] and stderr_is_terminal()
    return settings


def stderr_is_terminal() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def is_train_step(logs: dict[str, Any]) -> bool:
    """A training-step log (not the eval one, not the end-of-training summary)."""
    return "train_runtime" not in logs and not any(key.startswith("eval_") for key in logs)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN/inf are not JSON
    return value


@contextlib.contextmanager
def above_progress_bar() -> Iterator[None]:
    """Clear transformers' tqdm bar while we print on stderr, then redraw it below."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with transformers
        yield
        return
    with tqdm.external_write_mode(file=sys.stderr):
        yield


def trim_metrics_file(path: Path, global_step: int) -> None:
    """Drop lines logged after `global_step`: a resumed run continues the file from its checkpoint."""
    if not path.is_file():
        return
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if _line_step(line) <= global_step]
    if len(kept) != len(lines):
        path.write_text("".join(kept))


def _line_step(line: str) -> int:
    try:
        return int(json.loads(line).get("step", 0))
    except (ValueError, AttributeError, TypeError):
        return 0


class MetricsLogCallback(TrainerCallback):
    """Adds r1/ metrics to each log, appends it to metrics.jsonl and prints the step summary.

    With a `recorder` (GRPO: the wrapped reward functions), each step also gets the statistics of
    the completions scored since the previous log (per-reward min/max, format, lengths, samples/s).
    """

    adds_to_logs = True

    def __init__(self, output_dir: str | Path, *, rich: bool = True, recorder: RewardRecorder | None = None):
        self.recorder = recorder
        self.path = Path(output_dir) / METRICS_FILE
        self.rich = rich
        self.console = Console(stderr=True, highlight=False)
        self.last_window: SampleWindow | None = None  # the training window of the latest log
        self._window_start = time.perf_counter()
        self._window_step = 0
        self._num_tokens: float | None = None  # trl's cumulative `num_tokens` at the previous log (SFT)

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        self._window_start, self._window_step = time.perf_counter(), state.global_step
        self._num_tokens = 0.0 if state.global_step == 0 else None
        if state.is_world_process_zero:
            trim_metrics_file(self.path, state.global_step)
            system_metrics()  # the first CPU reading of psutil is meaningless: take it now

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):
        if logs is None:
            return
        train_step = is_train_step(logs)
        window = self.recorder.consume() if self.recorder and "train_runtime" not in logs else SampleWindow()
        self.last_window = window if train_step else None
        now, steps = time.perf_counter(), state.global_step - self._window_step
        seconds = now - self._window_start
        self._window_start, self._window_step = now, state.global_step
        if not state.is_world_process_zero:
            return
        if train_step:
            extra = window.metrics()
            if window.samples and seconds > 0:
                # Every rank generates the same number of samples; counts here are this rank's.
                extra["r1/samples_per_s"] = window.samples * args.world_size / seconds
                if window.tokens_known:
                    extra["r1/tokens_per_s"] = window.completion_tokens * args.world_size / seconds
            elif (tokens := as_number(logs.get("num_tokens"))) is not None:
                # SFT logs the tokens trained on so far (all ranks); the first log after a resume has no baseline.
                if self._num_tokens is not None and seconds > 0:
                    extra["r1/tokens_per_s"] = (tokens - self._num_tokens) / seconds
                self._num_tokens = tokens
            if steps > 0:
                extra["r1/wall_time_per_step"] = seconds / steps
            extra.update(system_metrics())
        else:
            extra = window.metrics(prefix="eval_r1/") if "train_runtime" not in logs else {}
        logs.update(extra)  # the report_to integrations see these when they run after us
        if "train_runtime" not in logs:  # the end-of-training summary is not a logging step
            self._append({"step": state.global_step, **logs})
        with above_progress_bar():
            if train_step and self.rich:
                self.console.print(render_panel(state, logs, window, self.recorder))
            elif train_step:
                print(render_line(state, logs, window, self.recorder), file=sys.stderr, flush=True)
            else:
                print(render_other(state, logs), file=sys.stderr, flush=True)

    def _append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({k: _json_value(v) for k, v in record.items()}, default=str, allow_nan=False)
        with self.path.open("a") as f:
            f.write(line + "\n")


# ---- checkpoints --------------------------------------------------------------------------------


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another filesystem, or no hard links there
        shutil.copy2(src, dst)


class KeepCheckpointsCallback(TrainerCallback):
    """Hard-links every checkpoint whose step is a multiple of `every` into `<output_dir>/kept/`.

    The Trainer's own rotation (`save_total_limit`) and resume (`checkpoint-*` in the output
    directory) never look into `kept/`, and deleting the original leaves the links intact.
    """

    def __init__(self, every: int):
        self.every = every
        self.kept: list[Path] = []

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        if state.global_step <= 0 or state.global_step % self.every:
            return
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.barrier()  # every rank has written its part of the checkpoint
        if not state.is_world_process_zero:
            return
        source = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not source.is_dir():
            return
        target = Path(args.output_dir) / KEPT_DIR / source.name
        partial = target.with_name(f".{source.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, partial, copy_function=_link_or_copy)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        self.kept.append(target)


# ---- wiring -------------------------------------------------------------------------------------


def trainer_callbacks(
    logging_cfg: dict[str, Any], output_dir: str | Path, recorder: RewardRecorder | None = None
) -> list[TrainerCallback]:
    """What any trainer gets from the recipe's [logging]: metrics.jsonl + step summary, then kept checkpoints."""
    settings = display_settings(logging_cfg)
    callbacks: list[TrainerCallback] = [
        MetricsLogCallback(output_dir, rich=settings["rich"], recorder=recorder)
    ]
    if settings["keep_checkpoint_every"] > 0:
        callbacks.append(KeepCheckpointsCallback(settings["keep_checkpoint_every"]))
    return callbacks


class BarOnlyProgressCallback(ProgressCallback):
    """transformers' tqdm bar (on stderr) without the log dict it writes to stdout every logging step."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        return None


def quiet_trainer_output(trainer: Any) -> None:
    """Keep stdout for data, and let the report_to integrations see r1's metrics.

    Replaces transformers' ProgressCallback (its bar is on stderr, but it writes each log dict to
    stdout) with the bar alone, and removes PrinterCallback (`disable_tqdm=True`: print(dict)).
    Moves r1's callbacks that add to the logs (`adds_to_logs`: validation scores, then
    MetricsLogCallback, in their order) right after DefaultFlowCallback, ahead of the integrations
    (wandb, tensorboard, ...): callbacks run in order and share one `logs` dict, so the `r1/`
    metrics they add reach metrics.jsonl and the integrations too.
    """
    _hide_tied_missing_keys(getattr(trainer, "model", None))
    callbacks = trainer.callback_handler.callbacks
    for i, callback in enumerate(list(callbacks)):
        if type(callback) is ProgressCallback:
            callbacks[i] = BarOnlyProgressCallback(max_str_len=callback.max_str_len)
    # No bar at all when stderr is a file: its carriage-return redraws would fill the log.
    bar = (PrinterCallback,) if stderr_is_terminal() else (PrinterCallback, BarOnlyProgressCallback)
    callbacks[:] = [cb for cb in callbacks if type(cb) not in bar]
    ours = [cb for cb in callbacks if getattr(cb, "adds_to_logs", False)]
    rest = [cb for cb in callbacks if not getattr(cb, "adds_to_logs", False)]
    flow = [i for i, cb in enumerate(rest) if isinstance(cb, DefaultFlowCallback)]
    at = flow[0] + 1 if flow else 0
    callbacks[:] = rest[:at] + ours + rest[at:]


_MISSING_KEYS = re.compile(r"There were missing keys in the checkpoint model loaded: (\[.*\])")


def only_tied_keys_missing(message: str, tied: set[str]) -> bool:
    """Whether a resumed checkpoint's "missing keys" warning names tied weights only (the output layer
    shares the input embedding, saved once): harmless, and read by users as a broken checkpoint.

    >>> text = "There were missing keys in the checkpoint model loaded: ['lm_head.weight']."
    >>> only_tied_keys_missing(text, {"lm_head.weight"}), only_tied_keys_missing(text, set())
    (True, False)
    """
    found = _MISSING_KEYS.search(message)
    if not found:
        return False
    try:
        keys = ast.literal_eval(found.group(1))
    except (ValueError, SyntaxError):
        return False
    return bool(keys) and all(str(key).removeprefix("module.") in tied for key in keys)


class _TiedKeysFilter(logging.Filter):
    def __init__(self, tied: set[str]):
        super().__init__()
        self.tied = tied

    def filter(self, record: logging.LogRecord) -> bool:
        return not only_tied_keys_missing(record.getMessage(), self.tied)


def _hide_tied_missing_keys(model: Any) -> None:
    """Silence the trainer's warning on resume when the only "missing" keys are the model's tied weights."""
    tied = getattr(model, "_tied_weights_keys", None) or {}
    names = set(tied) if isinstance(tied, dict | list | set | tuple) else set()
    if not names or not getattr(getattr(model, "config", None), "tie_word_embeddings", False):
        return
    trainer_logger = logging.getLogger("transformers.trainer")
    for old in [f for f in trainer_logger.filters if isinstance(f, _TiedKeysFilter)]:
        trainer_logger.removeFilter(old)
    trainer_logger.addFilter(_TiedKeysFilter(names))


def quiet_libraries() -> None:
    """Keep stderr for r1's own logs: no per-file progress bars, no deprecation noise from inside trl."""
    import warnings

    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    if not stderr_is_terminal():  # dataset maps and hub downloads draw bars with carriage returns too
        import datasets
        import huggingface_hub

        datasets.disable_progress_bars()
        huggingface_hub.utils.disable_progress_bars()
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
