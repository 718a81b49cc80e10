"""Score a JSONL file of completions with reward functions: the core of `r1 reward score`.

    r1 reward score completions.jsonl --rewards accuracy,format --weights 1,0.5 -o scored.jsonl

Each input row needs `completion` (a string, or chat messages whose last assistant content is scored) and,
when a reward compares against the gold (accuracy, cosine, length), `solution`; `prompt`, `id`,
`completion_ids` and any other columns are passed to the rewards the way GRPO passes dataset columns.
A string `prompt` is the text the model continued from (the rendered chat template): when it ends with an
opened `<think>`, format, tag_count, reasoning_steps and language_consistency read the completion as
starting inside it. A chat-message `prompt` can carry that text beside it in a `rendered_prompt` column
(what `r1 train zero` passes).
Each output row holds `id` (when given), `rewards` ({name: float, or null where a reward could not be
computed}) and `total` (the weighted sum, nulls counting 0), in input order. A bad line stops the run
with its line number, or with `skip_bad` is left out of the output and listed. Rows are scored as one
batch, so per-prompt rewards (length) see whole groups; math verification runs in worker processes with
a hard per-pair timeout (`r1cli.rewards.verifier`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.jsonl import json_lines

# Columns GRPO passes under their own names; every other column goes to the rewards as it is.
_OWN_COLUMNS = ("completion", "prompt", "completion_ids")
# Names trl itself passes to reward functions: an input column with one of them would replace it.
_RESERVED = ("completions", "prompts", "trainer_state", "log_extra", "log_metric")


@dataclass
class RewardStats:
    """Summary of one reward over the scored rows (mean/std/min/max over the non-null values)."""

    name: str
    weight: float
    mean: float | None
    std: float | None
    low: float | None
    high: float | None
    nulls: int


@dataclass
class ScoreReport:
    """What `score_file` produced: output rows in input order, per-reward statistics, skipped lines."""

    rows: list[dict[str, Any]]
    stats: list[RewardStats]
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timeouts: int = 0

    @property
    def rows_per_second(self) -> float:
        return len(self.rows) / self.seconds if self.seconds > 0 else float("inf")


def _is_messages(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in value)
    )


def check_row(row: dict[str, Any], needs_solution: Sequence[str]) -> str | None:
    """Why a parsed JSON value cannot be scored, or None when it can."""
    if "completion" not in row:
        return "has no `completion` field"
    reserved = [name for name in _RESERVED if name in row]
    if reserved:
        return f"has a `{reserved[0]}` column, a name trl passes to reward functions itself: rename it"
    completion = row["completion"]
    if not isinstance(completion, str) and not _is_messages(completion):
        return "`completion` must be a string or a list of chat messages with string `content`"
    prompt = row.get("prompt")
    if prompt is not None and not isinstance(prompt, str) and not _is_messages(prompt):
        return "`prompt` must be a string or a list of chat messages"
    rendered = row.get("rendered_prompt")
    if rendered is not None and not isinstance(rendered, str):
        return "`rendered_prompt` must be a string (the prompt after the chat template)"
    ids = row.get("completion_ids")
    if ids is not None and not (isinstance(ids, list) and all(type(i) is int for i in ids)):
        return "`completion_ids` must be a list of integers"
    if needs_solution:
        solution = row.get("solution")
        if solution is None:
            return f"has no `solution` (the gold answer, needed by {', '.join(needs_solution)})"
        if isinstance(solution, bool) or not isinstance(solution, str | int | float):
            return "`solution` must be a string or a number"
    return None


def read_rows(
    path: Path, *, needs_solution: Sequence[str] = (), skip_bad: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse and check every line; R1Error on the first bad one, or collect them with `skip_bad`."""
    if not path.exists():
        raise R1Error(
            f"input file not found: {path}", hint="pass a .jsonl file with one JSON object per line"
        )
    if path.is_dir():
        raise R1Error(f"input path is a directory: {path}", hint="pass a .jsonl file")
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for number, row, problem in json_lines(path.read_bytes()):
        if problem is None:
            problem = check_row(row, needs_solution)
        if problem is None:
            rows.append(row)
        elif skip_bad:
            skipped.append(f"line {number}: {problem}")
        else:
            raise R1Error(f"{path}:{number}: {problem}", hint="fix the line, or pass --skip-bad")
    if not rows:
        detail = f" ({len(skipped)} bad lines skipped)" if skipped else ""
        raise R1Error(f"{path} has no rows to score{detail}", hint="expected one JSON object per line")
    return rows, skipped


def reward_inputs(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The keyword arguments GRPO would pass for these rows: completions, prompts, completion_ids, columns."""
    kwargs: dict[str, Any] = {"completions": [row["completion"] for row in rows]}
    if any("prompt" in row for row in rows):
        kwargs["prompts"] = [row.get("prompt") for row in rows]
    if any("completion_ids" in row for row in rows):
        kwargs["completion_ids"] = [row.get("completion_ids") for row in rows]
    columns = dict.fromkeys(key for row in rows for key in row if key not in _OWN_COLUMNS)
    for column in columns:
        kwargs[column] = [row.get(column) for row in rows]
    return kwargs


def _call(function: Callable, kwargs: dict[str, Any], count: int) -> list[float | None]:
    """Run one reward on the batch; if it breaks, score row by row so one odd row costs only its value."""
    try:
        values = list(function(**kwargs))
    except R1Error:
        raise
    except Exception:
        values = []
        for index in range(count):
            one = {key: [value[index]] for key, value in kwargs.items()}
            try:
                values.extend(function(**one))
            except R1Error:
                raise
            except Exception:
                values.append(None)
    if len(values) != count:
        raise R1Error(f"reward '{function.__name__}' returned {len(values)} values for {count} rows")
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]


def _stats(name: str, weight: float, values: list[float | None]) -> RewardStats:
    present = [v for v in values if v is not None]
    if not present:
        return RewardStats(name, weight, None, None, None, None, len(values))
    mean = sum(present) / len(present)
    std = math.sqrt(sum((v - mean) ** 2 for v in present) / len(present))
    return RewardStats(name, weight, mean, std, min(present), max(present), len(values) - len(present))


def score_rows(
    rows: Sequence[dict[str, Any]],
    names: Sequence[str],
    functions: Sequence[Callable],
    weights: Sequence[float],
) -> tuple[list[dict[str, Any]], list[RewardStats]]:
    """Score rows with each function; output rows in input order and per-reward statistics."""
    kwargs = reward_inputs(rows)
    columns = {
        name: _call(function, kwargs, len(rows)) for name, function in zip(names, functions, strict=True)
    }
    outputs = []
    for index, row in enumerate(rows):
        rewards = {name: columns[name][index] for name in names}
        total = sum(weight * (rewards[name] or 0.0) for name, weight in zip(names, weights, strict=True))
        out: dict[str, Any] = {"id": row["id"]} if "id" in row else {}
        out["rewards"] = rewards
        out["total"] = total
        outputs.append(out)
    stats = [_stats(name, weight, columns[name]) for name, weight in zip(names, weights, strict=True)]
    return outputs, stats


def score_file(
    path: Path,
    rewards_cfg: dict[str, Any],
    names: Sequence[str] | None = None,
    weights: Sequence[float] | None = None,
    *,
    skip_bad: bool = False,
) -> ScoreReport:
    """Read, check and score a JSONL file with the rewards `names` (default: the table's `functions`).

    `weights` (default: from the table, see `reward_weights`) must match `names` in length.
    """
    from r1cli.rewards.accuracy import gold_answer
    from r1cli.rewards.registry import (
        NEEDS_SOLUTION,
        build_reward_functions,
        check_user_rewards,
        reward_weights,
        verifier_settings,
    )
    from r1cli.rewards.verifier import get_verifier

    started = time.perf_counter()
    names = list(rewards_cfg.get("functions", []) if names is None else names)
    functions = build_reward_functions(rewards_cfg, names)
    if weights is None:
        weights = reward_weights(rewards_cfg, names)
    elif len(weights) != len(names):
        raise R1Error(f"{len(weights)} weights for {len(names)} rewards", hint="give one weight per reward")
    needs_solution = [name for name in names if name in NEEDS_SOLUTION]
    verifier = None
    if needs_solution:
        verifier = get_verifier(**verifier_settings(rewards_cfg))
    rows, skipped = read_rows(path, needs_solution=needs_solution, skip_bad=skip_bad)
    if rows:
        check_user_rewards(names, functions, reward_inputs(rows[:1]))
    if verifier is not None:  # workers import math-verify while the answers are cut out of the rows
        verifier.expect(gold_answer(row.get("solution")) for row in rows)
    outputs, stats = score_rows(rows, names, functions, [float(w) for w in weights])
    return ScoreReport(
        rows=outputs,
        stats=stats,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        timeouts=verifier.timeouts if verifier else 0,
    )
