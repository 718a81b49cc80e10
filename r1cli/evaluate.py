"""`r1 eval`: accuracy of models on held-out math problems, with the sampling settings stored beside each score.

    benchmark = load_benchmark("../shared/data/math/aime24.jsonl", recipe.section("data"))
    result = evaluate_model("runs/zero", benchmark.problems, recipe, preset="r1")
    result.metrics["accuracy"], result.metrics["format_rate"]

Problems are read and turned into prompts exactly as `r1 data prepare` does (a `r1 data prepare`
output folder gives its test split); each model generates through the batched generation engine;
the verdicts come from the recipe's accuracy reward (same verifier, same timeouts as training) and
the format reward; `r1cli.eval_metrics` turns the judged samples into pass@1 (avg@n), maj@n,
pass@k, format rate, completion length and truncation rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli.data.prompts import pick_answer_columns, pick_problem_column, to_prompt_row
from r1cli.errors import R1Error
from r1cli.rewards.answers import extract_model_answer

# Sampling presets whose numbers compare with published ones (see README, "r1 eval").
PRESETS: dict[str, dict[str, float | int]] = {
    "greedy": {"temperature": 0.0, "top_p": 1.0, "samples": 1},  # Qwen2.5-Math style pass@1
    "r1": {"temperature": 0.6, "top_p": 0.95, "samples": 4},  # DeepSeek-R1 / open-r1: avg@n
}
_GENERIC_STEMS = {"test", "train", "validation", "valid", "dev", "data", "eval"}


@dataclass
class Benchmark:
    """Held-out problems: `problems` rows hold `index`, `problem`, `prompt` (chat messages), `answer`, `solution`."""

    name: str
    source: str
    problems: list[dict[str, Any]]
    dropped: int = 0  # rows without a problem text or a gold answer


def benchmark_name(source: str | Path) -> str:
    """How a benchmark is named in tables: the file's stem, with its folder when the stem says nothing.

    >>> benchmark_name("../shared/data/math/aime24.jsonl"), benchmark_name("../shared/data/gsm8k/test.jsonl")
    ('aime24', 'gsm8k/test')
    """
    path = Path(source)
    stem = path.stem if path.suffix else path.name
    return f"{path.parent.name}/{stem}" if stem.lower() in _GENERIC_STEMS and path.parent.name else stem


def load_benchmark(source: str | Path, data_cfg: Mapping[str, Any], limit: int | None = None) -> Benchmark:
    """Problems with gold answers from a data file (all rows), or a `r1 data prepare` folder (its test split).

    `data_cfg` is the recipe's [data] section: `system_prompt`, `problem_column`, `answer_column`.
    """
    from r1cli.data.store import is_saved_dataset_dict, load_prepared

    source = str(source)
    if is_saved_dataset_dict(source):
        dataset, mode = load_prepared(source)
        if mode != "prompt":
            raise R1Error(
                f"{source} holds SFT conversations, not problems with gold answers",
                hint="evaluate on a file or a `r1 data prepare` output made without --sft",
            )
        rows = [{"index": i, **row} for i, row in enumerate(dataset["test"])]
        name = f"{Path(source).name}/test"
        if not rows:
            raise R1Error(f"the test split of {source} is empty", hint="prepare it with a test_size > 0")
        return Benchmark(name, source, rows[:limit] if limit else rows)
    rows, dropped = _problems_from_source(source, data_cfg)
    return Benchmark(benchmark_name(source), source, rows[:limit] if limit else rows, dropped)


def _problems_from_source(source: str, data_cfg: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    from r1cli.data.prepare import TEST_SPLITS
    from r1cli.data.sources import load_source

    raw = load_source(source, dict(data_cfg))
    split = next((n for n in TEST_SPLITS if n in raw.splits), None) or (
        next(iter(raw.splits)) if len(raw.splits) == 1 else None
    )
    if split is None:
        raise R1Error(f"{source} has no test split (splits: {', '.join(raw.splits)})", hint="pass one file")
    table = raw.splits[split]
    columns = list(table.column_names)
    problem_column = pick_problem_column(data_cfg.get("problem_column") or "", columns)
    answer_columns = pick_answer_columns(data_cfg.get("answer_column") or "", columns)
    system_prompt = data_cfg.get("system_prompt") or ""
    problems, dropped = [], 0
    for index, row in enumerate(table):
        built = to_prompt_row(row, problem_column, answer_columns, system_prompt)
        if built.pop("_drop"):
            dropped += 1
            continue
        problems.append({"index": index, **built})
    if not problems:
        raise R1Error(
            f"no row of {source} has a gold answer in {' or '.join(answer_columns)} (columns: {', '.join(columns)})",
            hint="name the gold column with --data.answer_column NAME",
        )
    return problems, dropped


# ---- verdicts -----------------------------------------------------------------------------------


@dataclass
class Judged:
    """The verdicts on a batch of completions, in order."""

    answers: list[str | None] = field(default_factory=list)
    correct: list[bool | None] = field(default_factory=list)
    formatted: list[bool] = field(default_factory=list)


def judge(
    completions: Sequence[str], problems: Sequence[Mapping[str, Any]], rewards_cfg: Mapping[str, Any]
) -> Judged:
    """Judge each completion against its problem's gold with the recipe's accuracy and format rewards."""
    from r1cli.rewards.registry import build_reward_functions

    accuracy, format_ = build_reward_functions(rewards_cfg, ["accuracy", "format"])
    prompts = [problem["prompt"] for problem in problems]
    solutions = [problem["solution"] for problem in problems]
    scores = accuracy(completions=list(completions), prompts=prompts, solution=solutions)
    shapes = format_(completions=list(completions), prompts=prompts)
    return Judged(
        answers=[extract_model_answer(text) for text in completions],
        correct=[None if score is None else score >= 1.0 for score in scores],
        formatted=[bool(shape is not None and shape >= 1.0) for shape in shapes],
    )
