"""How the training log looks: the per-step summary (a rich panel or one plain line) and the examples.

Pure formatting of what `callbacks.MetricsLogCallback` collected: TRL's logged keys plus r1's `r1/`
keys and the step's `SampleWindow`. Rendering a step takes about a millisecond.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from transformers import TrainerState

from r1cli.train.stats import Example, RewardRecorder, SampleWindow

EXAMPLE_CHARS = 600


def as_number(value: Any) -> float | None:
    """The value as a float, or None when it is missing, not a number, NaN or infinite."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _f(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _reward_rows(logs: dict[str, Any], recorder: RewardRecorder | None) -> list[tuple[str, str, str, str]]:
    """(label, mean, ± std, [min, max]) per reward function, then the weighted total (GRPO logs only)."""
    names = list(recorder.metric_names) if recorder else []
    names += [
        k[8:-5] for k in logs if k.startswith("rewards/") and k.endswith("/mean") and k[8:-5] not in names
    ]
    rows = []
    for name in names:
        mean = as_number(logs.get(f"rewards/{name}/mean"))
        if mean is None and f"rewards/{name}/mean" not in logs:
            continue
        low, high = (
            as_number(logs.get(f"r1/rewards/{name}/min")),
            as_number(logs.get(f"r1/rewards/{name}/max")),
        )
        span = f"[{_f(low)}, {_f(high)}]" if low is not None else ""
        label = recorder.label(name) if recorder else name
        rows.append((label, _f(mean), _f(as_number(logs.get(f"rewards/{name}/std"))), span))
    if "reward" in logs:
        rows.append(
            ("total", _f(as_number(logs.get("reward"))), _f(as_number(logs.get("reward_std"))), "weighted")
        )
    return rows


def _r1_grpo_parts(logs: dict[str, Any]) -> list[str]:
    """Validation scores and dynamic sampling's groups, on the steps that logged them."""
    parts = []
    if (accuracy := as_number(logs.get("r1/val_accuracy"))) is not None:
        shape = as_number(logs.get("r1/val_format_rate"))
        parts.append(
            f"validation accuracy {accuracy:.1%}" + (f", format {shape:.1%}" if shape is not None else "")
        )
    kept = as_number(logs.get("dynamic_sampling/groups_kept"))
    if kept is not None:
        dropped = as_number(logs.get("dynamic_sampling/groups_dropped")) or 0.0
        rounds = as_number(logs.get("dynamic_sampling/extra_rounds")) or 0.0
        short = as_number(logs.get("dynamic_sampling/groups_short")) or 0.0
        text = f"groups kept {kept:g}, dropped {dropped:g}, extra rounds {rounds:g}"
        parts.append(text + (f", short {short:g}" if short else ""))
    return parts


def _train_parts(logs: dict[str, Any]) -> list[str]:
    parts = [
        f"loss {_f(as_number(logs.get('loss')), '.4f')}",
        f"lr {_f(as_number(logs.get('learning_rate')), '.2e')}",
    ]
    for key, label in (
        ("grad_norm", "grad"),
        ("entropy", "entropy"),
        ("kl", "kl"),
        ("mean_token_accuracy", "acc"),
    ):
        if (value := as_number(logs.get(key))) is not None:
            parts.append(f"{label} {value:.4g}")
    return parts


def _quality_parts(logs: dict[str, Any], window: SampleWindow) -> list[str]:
    parts = []
    if window.samples:
        parts.append(f"format {window.format_ok / window.samples:.1%} ({window.format_ok}/{window.samples})")
        sizes = []
        for tag, count in (("think", window.think_count), ("answer", window.answer_count)):
            if count:  # averaged over the completions that have the tag
                share = "" if count == window.samples else f" in {count}/{window.samples}"
                sizes.append(f"{tag} {logs[f'r1/{tag}_chars']:.0f}{share}")
        length = f"{logs['r1/completion_chars']:.0f} chars"
        parts.append(f"{length} ({', '.join(sizes)})" if sizes else length)
    if (tokens := as_number(logs.get("completions/mean_length"))) is not None:
        parts.append(f"{tokens:.1f} tok")
    if "r1/reasoning_indicators" in logs:
        parts.append(f"reasoning {logs['r1/reasoning_indicators']:.2f}/resp")
    if (clipped := as_number(logs.get("completions/clipped_ratio"))) is not None:
        parts.append(f"clipped {clipped:.1%}")
    return parts


def _perf_parts(logs: dict[str, Any]) -> list[str]:
    parts = []
    step_time = as_number(logs.get("step_time")) or as_number(logs.get("r1/wall_time_per_step"))
    if step_time is not None:
        parts.append(f"{step_time:.2f} s/step")
    if "r1/samples_per_s" in logs:
        parts.append(f"{logs['r1/samples_per_s']:.1f} samples/s")
    if "r1/tokens_per_s" in logs:
        parts.append(f"{logs['r1/tokens_per_s']:.0f} tok/s")
    if "r1/gpu_mem_gb" in logs:
        parts.append(f"GPU {logs['r1/gpu_mem_gb']:.2f} GB (reserved {logs['r1/gpu_mem_reserved_gb']:.2f})")
    if "r1/ram_gb" in logs:
        parts.append(f"RAM {logs['r1/ram_gb']:.2f} GB (system {logs['r1/ram_percent']:.0f}%)")
    if "r1/cpu_percent" in logs:
        parts.append(f"CPU {logs['r1/cpu_percent']:.0f}%")
    return parts


def _title(state: TrainerState, logs: dict[str, Any]) -> str:
    title = f"step {state.global_step}" + (f"/{state.max_steps}" if state.max_steps else "")
    epoch = as_number(logs.get("epoch", state.epoch))
    return title + (f" · epoch {epoch:.2f}" if epoch is not None else "")


def render_panel(
    state: TrainerState, logs: dict[str, Any], window: SampleWindow, recorder: RewardRecorder | None = None
) -> Panel:
    """The rich summary of one logging step."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    grid.add_row("train", " · ".join(_train_parts(logs)))
    rows = _reward_rows(logs, recorder)
    if rows:
        width = max(len(r[0]) for r in rows)
        lines = [f"{label:<{width}}  {mean:>7} ± {std:<6} {span}".rstrip() for label, mean, std, span in rows]
        grid.add_row("rewards", "\n".join(lines))
    for label, parts in (
        ("quality", _quality_parts(logs, window)),
        ("grpo", _r1_grpo_parts(logs)),
        ("perf", _perf_parts(logs)),
    ):
        if parts:
            grid.add_row(label, " · ".join(parts))
    return Panel(grid, title=_title(state, logs), title_align="left", padding=(0, 1))


def render_line(
    state: TrainerState, logs: dict[str, Any], window: SampleWindow, recorder: RewardRecorder | None = None
) -> str:
    """The plain one-line summary of one logging step."""
    rewards = [
        f"{label} {mean}±{std}" + (f" {span}" if span else "")
        for label, mean, std, span in _reward_rows(logs, recorder)
    ]
    parts = [
        _title(state, logs),
        *_train_parts(logs),
        *rewards,
        *_quality_parts(logs, window),
        *_r1_grpo_parts(logs),
        *_perf_parts(logs),
    ]
    return " | ".join(parts)


def render_other(state: TrainerState, logs: dict[str, Any]) -> str:
    """Evaluation and end-of-training logs: one line of key=value."""
    items = [
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in logs.items()
        if k not in ("epoch", "total_flos")
    ]
    return f"step {state.global_step} | " + " | ".join(items)


def _breakdown(example: Example) -> str:
    parts = [f"{name} {_f(value)}" for name, value in example.rewards.items()]
    return " · ".join([*parts, f"total {example.total:.3f}"])


def _clip(text: str, limit: int = EXAMPLE_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f" … (+{len(text) - limit} chars)"


def _examples(best: Example, worst: Example) -> list[tuple[str, Example]]:
    if best.total == worst.total:  # every sample scored the same: one is enough
        return [("all tied", best)]
    return [("best", best), ("worst", worst)]


def render_examples_panel(title: str, best: Example, worst: Example) -> Panel:
    """Best and worst completion with their reward breakdown, as a rich panel (texts are not markup)."""
    body = []
    for kind, example in _examples(best, worst):
        style = "red" if kind == "worst" else "green"
        body += [
            Text.assemble((f"{kind}  ", f"bold {style}"), (_breakdown(example), style)),
            Text(f"prompt: {_clip(example.prompt, 200)}", style="dim"),
            Text(_clip(example.completion)),
        ]
    return Panel(Group(*body), title=title, title_align="left", padding=(0, 1))


def render_examples_text(title: str, best: Example, worst: Example) -> str:
    """Best and worst completion with their reward breakdown, as plain text."""
    lines = [f"-- {title}"]
    for kind, example in _examples(best, worst):
        lines += [
            f"{kind}: {_breakdown(example)}",
            f"  prompt: {_clip(example.prompt, 200)}",
            _clip(example.completion),
        ]
    return "\n".join(lines)
