"""The problems `r1 eval` asks: a data file's rows or a prepared folder's test split, with gold answers.

bench = load_benchmark("../shared/data/gsm8k/test.jsonl", recipe.section("data"), limit=200)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    from r1cli.data.problems import Prompt
    from r1cli.recipe.provenance import Recipe

_GENERIC_STEMS = {"test", "train", "validation", "valid", "dev", "data", "eval"}
# Where a pipeline run keeps its prepared problems (DIR/data): its test split is every stage's held-out set.
PIPELINE_DATA = "data"


@dataclass
class Benchmark:
    """Held-out problems with gold answers, as prompts (`Prompt.row` holds `answer` and `solution`)."""

    name: str
    source: str
    prompts: list[Prompt]
    dropped: int = 0  # rows without a gold answer
    too_long: int = 0  # prompts that did not fit the model's positions (skipped or truncated)


def benchmark_name(source: str | Path) -> str:
    """How a benchmark is named in tables: the file's stem, with its folder when the stem says nothing.

    >>> benchmark_name("../shared/data/math/aime24.jsonl"), benchmark_name("../shared/data/gsm8k/test.jsonl")
    ('aime24', 'gsm8k/test')
    """
    path = Path(source)
    stem = path.stem if path.suffix else path.name
    return f"{path.parent.name}/{stem}" if stem.lower() in _GENERIC_STEMS and path.parent.name else stem


def recorded_benchmark(model: str) -> Path | None:
    """The held-out problems a folder r1 trained was measured on: the prepared folder its run trained on
    (its `recipe.toml`'s data.dataset), or that of the pipeline run it lies in (DIR/data), looked up from the
    folder through its run (a checkpoint) to the pipeline. None for a hub id, r1-tiny or a run on a file.

    >>> recorded_benchmark("HuggingFaceTB/SmolLM2-135M-Instruct") is None
    True
    """
    from r1cli.plumbing.paths import is_saved_dataset_dict
    from r1cli.plumbing.rundir import lookup
    from r1cli.recipe.saved import saved_recipe

    folder = Path(model)
    if not folder.is_dir():
        return None
    for place in [folder, *folder.resolve().parents][:3]:
        dataset = lookup(saved_recipe(place) or {}, "data.dataset")
        for candidate in ([Path(dataset)] if isinstance(dataset, str) else []) + [place / PIPELINE_DATA]:
            if is_saved_dataset_dict(candidate):
                return candidate
    return None


def default_benchmark(models: list[str]) -> Path:
    """The benchmark `r1 eval` asks when no --data is given: the one held-out set the models' folders
    recorded (recorded_benchmark)."""
    found = {model: recorded_benchmark(model) for model in models}
    missing = [model for model, path in found.items() if path is None]
    if missing:
        raise R1Error(
            f"no --data given, and {missing[0]} records no held-out problems (a run on a prepared folder does)",
            hint="e.g. r1 eval MODEL --data ../shared/data/gsm8k/test.jsonl",
        )
    paths = {path.resolve(): path for path in found.values() if path is not None}
    if len(paths) > 1:
        raise R1Error(
            "no --data given, and the models were measured on different held-out sets: "
            + ", ".join(str(path) for path in paths.values()),
            hint="name one with --data",
        )
    chosen = next(iter(paths.values()))
    note(f"benchmark: the test split of {chosen} (recorded by {models[0]}'s run; --data for another)")
    return chosen


def benchmark_data_settings(recipe: Recipe, source: str | Path) -> dict[str, Any]:
    """The [data] a model is asked with on `source`: a prepared folder's own system prompt where neither
    the user nor the model's folder set one."""
    from r1cli.data.store import adopt_prepared_prompt

    return adopt_prepared_prompt(copy.deepcopy(recipe), source).section("data")


def load_benchmark(source: str | Path, data_cfg: Mapping[str, Any], limit: int | None = None) -> Benchmark:
    """Problems with gold answers from a data file (all rows) or a `r1 data prepare` folder (its test split).

    `data_cfg` is the recipe's [data] section (`system_prompt`, `problem_column`, `answer_column`);
    `limit` keeps the first problems only.
    """
    from r1cli.data.problems import gold_of, read_problems
    from r1cli.data.store import is_saved_dataset_dict

    where = str(source)
    prepared = is_saved_dataset_dict(where)
    prompts = read_problems(where, data_cfg, split="test")
    golden = [p for p in prompts if len(gold_of(p.row)) == 2]  # a normalized answer and its solution text
    if not golden:
        columns = [c for c in prompts[0].row if c != "problem" or "question" not in prompts[0].row]
        raise R1Error(
            f"no row of {where} has a gold answer (columns: {', '.join(columns)})",
            hint="the gold goes in `answer` or `solution` (GSM8K `#### 18`, `\\boxed{18}`, `18`), "
            "or name its column with --data.answer_column NAME",
        )
    if len(golden) < len(prompts):
        note(f"{where}: {len(prompts) - len(golden)} of {len(prompts)} rows have no gold answer: left out")
    name = f"{Path(where).name}/test" if prepared else benchmark_name(where)
    kept = golden[:limit] if limit else golden
    return Benchmark(name, where, kept, dropped=len(prompts) - len(golden))
