"""What a GRPO run generated, for `r1 report`: best and worst samples per stage of training, and the
step where format and accuracy first rose (completions.jsonl and metrics.jsonl of the run).

A run's steps are cut into three stages (early, middle, late: thirds of its logged steps); in each, the
completion with the highest and the lowest total reward. A reward "first rose" at the first logged step
whose mean is RISE (0.1) or more above the run's first logged mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1cli.plumbing.jsonl import json_lines
from r1cli.train.completions_log import COMPLETIONS_FILE, spread

RISE = 0.1
STAGES = ("early", "middle", "late")
# The rewards whose first rise is reported: the R1-Zero signals (format, then accuracy).
RISING = ("format", "accuracy")
_SHOWN_CHARS = 600


@dataclass
class Sample:
    """One line of completions.jsonl."""

    step: int
    prompt: str
    completion: str
    rewards: dict[str, float | None]
    reward: float
    advantage: float | None


def read_samples(run_dir: Path) -> list[Sample]:
    """The run's kept completions in step order (none for a run that kept none, e.g. SFT)."""
    path = Path(run_dir) / COMPLETIONS_FILE
    if not path.is_file():
        return []
    samples = []
    for _, row, problem in json_lines(path.read_bytes()):
        if problem is not None or not isinstance(row, dict):
            continue  # a torn last line
        try:
            samples.append(
                Sample(
                    int(row["step"]),
                    str(row.get("prompt", "")),
                    str(row.get("completion", "")),
                    dict(row.get("rewards") or {}),
                    float(row.get("reward") or 0.0),
                    row.get("advantage"),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return sorted(samples, key=lambda sample: sample.step)


def stages(samples: list[Sample]) -> list[tuple[str, list[Sample]]]:
    """The samples cut into early/middle/late thirds of the logged steps (fewer stages for few steps).

    >>> [(name, [s.step for s in part]) for name, part in stages([Sample(s, "", "", {}, 0.0, None) for s in (1, 2, 3, 4, 5, 6)])]
    [('early', [1, 2]), ('middle', [3, 4]), ('late', [5, 6])]
    """
    steps = sorted({sample.step for sample in samples})
    if not steps:
        return []
    count = min(len(STAGES), len(steps))
    parts: list[tuple[str, list[Sample]]] = []
    for index in range(count):
        chosen = set(steps[len(steps) * index // count : len(steps) * (index + 1) // count])
        name = STAGES[index] if count == len(STAGES) else ("early", "late")[index] if count == 2 else "all"
        parts.append((name, [sample for sample in samples if sample.step in chosen]))
    return parts


def first_rise(steps: list[int], values: list[float], rise: float = RISE) -> int | None:
    """The first step whose value is `rise` or more above the first value; None if it never rose.

    >>> first_rise([1, 2, 3, 4], [0.0, 0.05, 0.2, 0.9]), first_rise([1, 2], [0.5, 0.5])
    (3, None)
    """
    if not values:
        return None
    return next((step for step, value in zip(steps, values, strict=True) if value >= values[0] + rise), None)


def _shown(text: str) -> str:
    text = text.strip().replace("\n", " ⏎ ")
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + " …"


def _describe(sample: Sample) -> str:
    rewards = ", ".join(
        f"{name} {value:.2f}" if value is not None else f"{name} -" for name, value in sample.rewards.items()
    )
    return f"step {sample.step}, reward {sample.reward:.2f} ({rewards})"


def sample_lines(samples: list[Sample], rises: dict[str, int | None]) -> list[str]:
    """report.md's lines for a run's samples: first rises, then best and worst per stage."""
    lines = ["### What it generated", ""]
    for name, step in rises.items():
        lines.append(
            f"- {name} first rose (+{RISE:g} over its first value) at step {step}"
            if step is not None
            else f"- {name} never rose by {RISE:g} over its first value"
        )
    lines.append("")
    for name, part in stages(samples):
        best = max(part, key=lambda sample: sample.reward)
        worst = min(part, key=lambda sample: sample.reward)
        lines += [
            f"**{name}** ({len(part)} samples, steps {part[0].step}-{part[-1].step})",
            "",
            f"- best: {_describe(best)}: `{_shown(best.prompt)}` → `{_shown(best.completion)}`",
            f"- worst: {_describe(worst)}: `{_shown(worst.prompt)}` → `{_shown(worst.completion)}`",
            "",
        ]
    return lines


def pick(samples: list[Sample], count: int) -> list[Sample]:
    """`count` samples spread over the run, first to last."""
    return [samples[index] for index in spread(len(samples), count)]


def as_text(sample: Sample) -> str:
    """One sample for a terminal: where it comes from, its rewards, the prompt and the whole completion."""
    advantage = f", advantage {sample.advantage:+.2f}" if isinstance(sample.advantage, int | float) else ""
    return f"--- {_describe(sample)}{advantage}\n>>> {sample.prompt}\n{sample.completion}\n"


def rises_of(series: Any) -> dict[str, int | None]:
    """First rise of each RISING reward a run logged; `series(key)` gives (steps, values) of a metric."""
    rises = {}
    for name in RISING:
        steps, values = series(f"rewards/{name}/mean")
        if values:
            rises[name] = first_rise(steps, values)
    return rises
