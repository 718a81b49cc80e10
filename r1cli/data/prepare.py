"""Prepare training data: read a source, build prompts (or SFT messages), drop, dedupe, filter, split.

    r1 data prepare openai/gsm8k -o data/gsm8k           # or a local file, or synthetic:addition
    dataset, summary = prepare(recipe.section("data"), "../shared/data/gsm8k/train.jsonl")

Steps, in order: read the source (r1cli/data/sources.py) and cap each split at `max_rows`; convert
each row (r1cli/data/prompts.py), dropping rows without problem text or gold answer; dedupe by problem
text (by conversation for SFT); drop prompts over `max_prompt_tokens`; split off the test set.

Splits: a source that comes with a `train` and a `test` (or `validation`) split keeps them, so that
published test sets stay what they are; `resplit=True` pools all splits and splits them again with
`test_size`. Any other source is split with `test_size` (a fraction in (0, 1), or a row count; 0 gives
an empty test split). Dedupe keeps the first row of each problem; a train row whose problem is also in
the test split is dropped from train, never from test.
"""

from __future__ import annotations

import collections
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import datasets

from r1cli.data import prompts
from r1cli.data.prompts import DROP
from r1cli.data.sources import RawSource, load_source
from r1cli.data.split import parse_test_size, split_train_test
from r1cli.data.summary import PrepareSummary
from r1cli.data.validate import validate_prompt_dataset, validate_sft_dataset
from r1cli.plumbing.errors import R1Error

DEFAULT_SOURCE = "synthetic:addition"
TEST_SPLITS = ("test", "validation")
OUTPUT_COLUMNS = ("problem", "prompt", "answer", "solution")


def prepare(
    data_cfg: dict[str, Any],
    source: str | None = None,
    *,
    sft: bool | None = None,
    resplit: bool = False,
    tokenizer: Any = None,
) -> tuple[datasets.DatasetDict, PrepareSummary]:
    """Prepared `train`/`test` splits and what was done; `source` defaults to `data_cfg["dataset"]`.

    `sft`: None = SFT mode when the rows have `conversations`, or chat columns (`messages`, `prompt` +
    `completion`) and no problem column. `tokenizer` (an object, or a path / hub id) is only needed when
    `data_cfg["max_prompt_tokens"]` > 0.
    """
    with quiet_datasets():
        return _prepare(data_cfg, source, sft, resplit, tokenizer)


@contextlib.contextmanager
def quiet_datasets() -> Iterator[None]:
    """No `datasets` progress bars (one per split and step is noise; the summary says what happened)."""
    enabled = datasets.is_progress_bar_enabled()
    if enabled:
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if enabled:
            datasets.enable_progress_bars()


def _prepare(
    data_cfg: dict[str, Any], source: str | None, sft: bool | None, resplit: bool, tokenizer: Any
) -> tuple[datasets.DatasetDict, PrepareSummary]:
    source = source or data_cfg.get("dataset") or DEFAULT_SOURCE
    test_size = parse_test_size(data_cfg.get("test_size", 0.1))  # checked before any reading
    seed = int(data_cfg.get("seed", 42))
    raw = load_source(source, data_cfg)
    max_rows = int(data_cfg.get("max_rows") or 0)
    if max_rows < 0:
        raise R1Error(f"data.max_rows must be 0 (all rows) or more, got {max_rows}")
    splits = {
        name: ds.select(range(min(len(ds), max_rows))) if max_rows else ds for name, ds in raw.splits.items()
    }
    columns = _columns(splits)
    mode = "sft" if sft or (sft is None and _looks_sft(columns, data_cfg)) else "prompt"
    summary = PrepareSummary(source=raw.description, mode=mode, notes=list(raw.notes))
    summary.rows_read = {name: len(ds) for name, ds in splits.items()}
    if mode == "sft":
        splits = _convert_sft(splits, columns, summary)
    else:
        splits = _convert_prompts(splits, columns, data_cfg, summary)
    train, test = _arrange_splits(splits, raw, resplit, summary)
    if data_cfg.get("dedupe", True):
        test, seen = _dedupe(test, set(), summary)
        train, _ = _dedupe(train, seen, summary, overlap="also in the test split")
    if mode == "prompt":
        limit = int(data_cfg.get("max_prompt_tokens") or 0)
        if limit > 0:
            tok = as_tokenizer(tokenizer, limit)
            train = drop_long_prompts(train, tok, limit, summary)
            test = drop_long_prompts(test, tok, limit, summary)
    if test is None:
        train, test = split_train_test(train, test_size, seed)
        summary.split = _describe_split(test_size, seed)
    dataset = datasets.DatasetDict({"train": train, "test": test})
    summary.rows = {"train": len(train), "test": len(test)}
    if mode == "prompt":
        summary.answer_kinds = dict(
            collections.Counter(prompts.answer_kind(a) for part in (train, test) for a in part["answer"])
        )
    if len(train) == 0:
        reasons = ", ".join(f"{n} {r}" for r, n in summary.dropped.items()) or "the source is empty"
        raise R1Error(f"no training rows left from {raw.description} ({reasons})")
    validate = validate_prompt_dataset if mode == "prompt" else validate_sft_dataset
    validate(dataset, raw.description)
    return dataset, summary


def _looks_sft(columns: list[str], data_cfg: dict[str, Any]) -> bool:
    """ShareGPT rows, or chat rows with no problem column to build prompts from."""
    if "conversations" in columns:
        return True
    chat = "messages" in columns or {"prompt", "completion"} <= set(columns)
    has_problem = data_cfg.get("problem_column") or any(c in columns for c in prompts.PROBLEM_COLUMNS)
    return chat and not has_problem


def _columns(splits: dict[str, datasets.Dataset]) -> list[str]:
    first = next(iter(splits.values()))
    return list(first.column_names)


def _convert_prompts(
    splits: dict[str, datasets.Dataset], columns: list[str], data_cfg: dict[str, Any], summary: PrepareSummary
) -> dict[str, datasets.Dataset]:
    problem_column = prompts.pick_problem_column(data_cfg.get("problem_column") or "", columns)
    answer_columns = prompts.pick_answer_columns(data_cfg.get("answer_column") or "", columns)
    for name, ds in splits.items():  # every split must have the named columns too
        for column in (problem_column, *answer_columns[:1]):
            prompts.require_column(column, ds.column_names, f"split {name}")
    # `solution` becomes the gold text; a different worked solution is kept (once) as `source_solution`.
    moves_solution = "solution" in columns and answer_columns[0] != "solution"
    source_solution = "solution" if moves_solution and "source_solution" not in columns else None
    summary.columns = {"problem": problem_column, "answer": " then ".join(answer_columns)}
    if source_solution:
        summary.notes.append("the source's `solution` column is kept as `source_solution`")
    converted = {}
    for name, ds in splits.items():
        moved, ds = _move_aside(ds, OUTPUT_COLUMNS)
        kwargs = {
            "problem_column": moved.get(problem_column, problem_column),
            "answer_columns": [moved.get(c, c) for c in answer_columns],
            "system_prompt": data_cfg.get("system_prompt") or "",
            "source_solution_column": moved.get(source_solution, source_solution)
            if source_solution
            else None,
        }
        # `messages` (e.g. NuminaMath's worked chat) is dropped as in the seed: it is not a prompt.
        drop = [*moved.values(), *(c for c in ("messages",) if c in ds.column_names)]
        mapped = ds.map(
            prompts.to_prompt_row, fn_kwargs=kwargs, remove_columns=drop, desc=f"prompts ({name})"
        )
        converted[name] = _apply_drops(mapped, summary)
    return converted


def _convert_sft(
    splits: dict[str, datasets.Dataset], columns: list[str], summary: PrepareSummary
) -> dict[str, datasets.Dataset]:
    layout = prompts.sft_format(columns)
    summary.columns = {"format": layout}
    converted = {}
    for name, ds in splits.items():
        moved, ds = _move_aside(ds, ("messages",))
        turns = "conversations" if layout == "sharegpt" else moved.get("messages", "messages")
        kwargs = {"layout": layout, "turns_column": turns}
        # `conversations` and `system` are folded into `messages`; left in place, TRL would convert
        # them again.
        names = ("conversations", "system") if layout == "sharegpt" else ()
        drop = [*moved.values(), *(c for c in names if c in ds.column_names)]
        mapped = ds.map(prompts.to_sft_row, fn_kwargs=kwargs, remove_columns=drop, desc=f"messages ({name})")
        converted[name] = _apply_drops(mapped, summary)
    return converted


def _move_aside(ds: datasets.Dataset, names: tuple[str, ...]) -> tuple[dict[str, str], datasets.Dataset]:
    """Rename the source columns we are about to write, so that the new values get their own type.

    `Dataset.map` casts a returned column to the type of an existing column of that name (AMC's float
    `answer` would stay a float), so the old column is read under a temporary name and then removed.
    """
    moved = {c: f"_r1_source_{c}" for c in names if c in ds.column_names}
    return moved, (ds.rename_columns(moved) if moved else ds)


def _apply_drops(ds: datasets.Dataset, summary: PrepareSummary) -> datasets.Dataset:
    reasons = collections.Counter(ds[DROP])
    for reason, count in reasons.items():
        if reason:
            summary.drop(reason, count)
    if reasons.get("", 0) != len(ds):
        keep = [i for i, reason in enumerate(ds[DROP]) if not reason]
        ds = ds.select(keep)
    return ds.remove_columns(DROP)


def _arrange_splits(
    splits: dict[str, datasets.Dataset], raw: RawSource, resplit: bool, summary: PrepareSummary
) -> tuple[datasets.Dataset, datasets.Dataset | None]:
    """(train, test) when the source's own splits are kept, else (all rows pooled, None)."""
    test_name = next((n for n in TEST_SPLITS if n in splits), None)
    if raw.has_splits and not resplit and "train" in splits and test_name:
        summary.split = f"the source's own {test_name} split"
        ignored = [n for n in splits if n not in ("train", test_name)]
        if ignored:
            summary.notes.append(f"splits not used: {', '.join(ignored)}")
        return splits["train"], splits[test_name]
    if len(splits) == 1:
        return next(iter(splits.values())), None
    common = [c for c in _columns(splits) if all(c in ds.column_names for ds in splits.values())]
    parts = [ds.select_columns(common) for ds in splits.values()]
    try:
        pooled = datasets.concatenate_datasets(parts)
    except ValueError as exc:
        raise R1Error(f"cannot pool the splits {', '.join(splits)} of {raw.description}: {exc}") from None
    summary.notes.append(f"pooled splits {', '.join(splits)} before splitting")
    return pooled, None


def _dedupe_keys(ds: datasets.Dataset, mode: str) -> list[str]:
    """What makes two rows the same: the problem text (whitespace-normalized), or the whole conversation."""
    if mode == "prompt":
        return [" ".join(problem.split()) for problem in ds["problem"]]
    if "messages" in ds.column_names:
        return [json.dumps(m, sort_keys=True, ensure_ascii=False) for m in ds["messages"]]
    pairs = zip(ds["prompt"], ds["completion"], strict=True)
    return [json.dumps(pair, sort_keys=True, ensure_ascii=False) for pair in pairs]


def _dedupe(
    ds: datasets.Dataset | None, seen: set[str], summary: PrepareSummary, overlap: str | None = None
) -> tuple[datasets.Dataset | None, set[str]]:
    """Keep the first row of each key; rows whose key was already in `seen` are counted as `overlap`."""
    if ds is None or len(ds) == 0:
        return ds, seen
    earlier = set(seen) if overlap else set()
    keep, duplicates, overlaps = [], 0, 0
    for i, key in enumerate(_dedupe_keys(ds, summary.mode)):
        if key in earlier:
            overlaps += 1
        elif key in seen:
            duplicates += 1
        else:
            seen.add(key)
            keep.append(i)
    summary.drop("duplicate problem" if summary.mode == "prompt" else "duplicate conversation", duplicates)
    if overlap:
        summary.drop(overlap, overlaps)
    return (ds.select(keep) if len(keep) != len(ds) else ds), seen


def as_tokenizer(tokenizer: Any, limit: int) -> Any:
    """A tokenizer object as is; a path, hub id or "r1-tiny" loaded with the one tokenizer loader."""
    if tokenizer is None:
        raise R1Error(
            f"data.max_prompt_tokens = {limit} needs the model's tokenizer",
            hint="pass --tokenizer PATH_OR_ID, or set data.max_prompt_tokens to 0",
        )
    if not isinstance(tokenizer, str):
        return tokenizer
    from r1cli.models.loading import open_tokenizer

    return open_tokenizer(tokenizer)


def prompt_lengths(prompts_: list[list[dict[str, str]]], tokenizer: Any) -> list[int]:
    """Token count of each chat prompt as the model sees it (chat template + generation prompt)."""
    if getattr(tokenizer, "chat_template", None):
        texts = [
            tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts_
        ]
    else:
        texts = ["\n".join(turn["content"] for turn in p) for p in prompts_]
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]]


def drop_long_prompts(
    ds: datasets.Dataset | None, tokenizer: Any, limit: int, summary: PrepareSummary
) -> datasets.Dataset | None:
    if ds is None or len(ds) == 0:
        return ds
    lengths = prompt_lengths(ds["prompt"], tokenizer)
    keep = [i for i, n in enumerate(lengths) if n <= limit]
    summary.drop(f"prompt over {limit} tokens", len(ds) - len(keep))
    return ds.select(keep) if len(keep) != len(ds) else ds


def _describe_split(test_size: float | int, seed: int) -> str:
    if not test_size:
        return "no test split (test_size 0)"
    size = f"{test_size:.0%}" if isinstance(test_size, float) else f"{test_size} rows"
    return f"random {size} (seed {seed})"
