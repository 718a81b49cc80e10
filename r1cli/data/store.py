"""Save prepared data safely, load it back validated, and the two entry points the trainers call.

    dataset = load_prompt_dataset(recipe.section("data"))           # r1 train zero
    dataset = load_sft_dataset(recipe.section("data"), "data/sft")   # SFT conversations

Both accept a `r1 data prepare` output folder (loaded and checked) or any source, prepared on the fly.
Saving never destroys old data before the new data is complete: it writes a temporary folder next to
the output and swaps it in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasets

from r1cli.data.prepare import as_tokenizer, drop_long_prompts, prepare, quiet_datasets
from r1cli.data.summary import SUMMARY_FILE, PrepareSummary
from r1cli.data.validate import PROMPT_COLUMNS, SPLITS, validate_prompt_dataset, validate_sft_dataset
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.paths import is_saved_dataset_dict
from r1cli.plumbing.rundir import OutputKind, claim_output_dir, staged_dir
from r1cli.recipe.saved import write_recipe

if TYPE_CHECKING:
    from r1cli.recipe import Recipe

# A `r1 data prepare` output: ours when it holds the prepare summary; --overwrite replaces it.
PREPARED_DATA = OutputKind(
    command="r1 data prepare", holds="an earlier prepared dataset", markers=(SUMMARY_FILE,), replaceable=True
)


def save_prepared(
    dataset: datasets.DatasetDict,
    summary: PrepareSummary,
    output_dir: str | Path,
    *,
    overwrite: bool = False,
    recipe: Recipe | None = None,
) -> Path:
    """Write `dataset` (save_to_disk), its summary and the `recipe` it was prepared with (`recipe.toml`) to
    `output_dir`; refuse a non-empty one unless told."""
    out = check_output_dir(output_dir, overwrite)
    with staged_dir(out) as tmp:
        if recipe is not None:
            write_recipe(recipe, tmp)
        # An empty split (test_size 0) needs one explicit shard: datasets writes none and can't read it back.
        empty = {name: 1 for name, split in dataset.items() if len(split) == 0}
        with quiet_datasets():
            dataset.save_to_disk(str(tmp), num_shards=empty or None)
        (tmp / SUMMARY_FILE).write_text(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return out


def check_output_dir(output_dir: str | Path, overwrite: bool) -> Path:
    """The output folder, if `r1 data prepare` may write it: absent, empty, or our own with `overwrite`."""
    return claim_output_dir(output_dir, PREPARED_DATA, overwrite=overwrite).path.resolve()


def load_prepared(path: str | Path) -> tuple[datasets.DatasetDict, str]:
    """A saved DatasetDict with `train` and `test`, and its mode ("prompt" or "sft"), checked."""
    path = Path(path).expanduser()
    try:
        dataset = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError, OSError, json.JSONDecodeError) as exc:
        raise R1Error(f"cannot read the saved dataset in {path}: {exc}") from None
    if not isinstance(dataset, datasets.DatasetDict):
        raise R1Error(
            f"{path} holds a single Dataset, not train/test splits", hint="run `r1 data prepare` on it"
        )
    missing = [s for s in SPLITS if s not in dataset]
    if missing:
        raise R1Error(f"{path} has no {' or '.join(missing)} split", hint="run `r1 data prepare` on it")
    columns = dataset["train"].column_names
    mode = "prompt" if all(c in columns for c in PROMPT_COLUMNS) else "sft"
    if mode == "prompt":
        validate_prompt_dataset(dataset, str(path))
    else:
        validate_sft_dataset(dataset, str(path))
    return dataset, mode


def read_summary(path: str | Path) -> PrepareSummary | None:
    """The summary `r1 data prepare` saved next to the data, if any."""
    file = Path(path).expanduser() / SUMMARY_FILE
    if not file.exists():
        return None
    return PrepareSummary.from_dict(json.loads(file.read_text(encoding="utf-8")))


def load_prompt_dataset(
    data_cfg: dict[str, Any], source: str | None = None, *, tokenizer: Any = None
) -> datasets.DatasetDict:
    """R1-Zero GRPO data (train/test): a `r1 data prepare` folder, or any source prepared on the fly.

    A prepared folder is used as saved, asked with data.system_prompt where that is given (see
    adopt_prepared_prompt); only `max_prompt_tokens` is applied again, when a tokenizer is given (the
    trainer's own).
    """
    source = source or data_cfg.get("dataset") or None
    if source and is_saved_dataset_dict(source):
        columns = _train_columns(source)
        if all(c in columns for c in PROMPT_COLUMNS):
            dataset = _reprompted(load_prepared(source)[0], data_cfg.get("system_prompt"), source)
            limit = int(data_cfg.get("max_prompt_tokens") or 0)
            if limit > 0 and tokenizer is not None:
                tok = as_tokenizer(tokenizer, limit)
                summary = PrepareSummary(source=str(source), mode="prompt")
                dataset = datasets.DatasetDict(
                    {s: drop_long_prompts(dataset[s], tok, limit, summary) for s in SPLITS}
                )
            return dataset
        if any(c in columns for c in ("messages", "conversations", "completion")):
            raise R1Error(
                f"{source} holds SFT conversations, not problems with gold answers",
                hint="GRPO needs prompt data: `r1 data prepare SOURCE` without --sft",
            )
    dataset, _ = prepare(data_cfg, source, sft=False, tokenizer=tokenizer)
    return dataset


def prepared_system_prompt(source: str | Path | None) -> str | None:
    """The system prompt the rows of a `r1 data prepare` prompt folder were built with; None for any other
    source (a file, a hub id, SFT conversations)."""
    if not source or not is_saved_dataset_dict(source):
        return None
    if not all(c in _train_columns(source) for c in PROMPT_COLUMNS):
        return None
    from r1cli.models.prompting import system_prompt_of_dataset

    with quiet_datasets():
        train = datasets.load_from_disk(str(Path(source).expanduser() / "train"))
    return system_prompt_of_dataset(train)


def adopt_prepared_prompt(recipe: Recipe, source: str | Path | None = None) -> Recipe:
    """`recipe` asking with the system prompt a prepared folder (`source`, default data.dataset) was built
    with, unless data.system_prompt was set (recipe file, profile, environment, flag, or the record of the
    model being prompted): the folder's record replaces only the built-in default, as a model folder's does.
    The loaders then ask every prepared row with data.system_prompt (`_reprompted`)."""
    from r1cli.recipe.provenance import DEFAULT_SOURCE

    if recipe.sources.get("data.system_prompt", DEFAULT_SOURCE) != DEFAULT_SOURCE:
        return recipe
    source = source or recipe.get("data.dataset")
    baked = prepared_system_prompt(source)
    if baked is not None and baked != recipe.get("data.system_prompt"):
        recipe.set("data.system_prompt", baked, f"data {source}")
    return recipe


def _reprompted(
    dataset: datasets.DatasetDict, system_prompt: str | None, where: str | Path
) -> datasets.DatasetDict:
    """The prepared prompts asked with `system_prompt` (their system turn replaced where it differs);
    None: as they were prepared."""
    from r1cli.data.prompts import note_reprompted, with_system_prompt
    from r1cli.models.prompting import system_prompt_of_dataset

    if system_prompt is None or all(
        system_prompt_of_dataset(split) == system_prompt for split in dataset.values() if len(split)
    ):
        return dataset
    note_reprompted(where)
    with quiet_datasets():
        return datasets.DatasetDict(
            {
                name: split.map(lambda row: {"prompt": with_system_prompt(row["prompt"], system_prompt)})
                for name, split in dataset.items()
            }
        )


def load_sft_dataset(data_cfg: dict[str, Any], source: str | None = None) -> datasets.DatasetDict:
    """SFT data (train/test with `messages`, or `prompt` + `completion`): a prepared folder or any source."""
    source = source or data_cfg.get("dataset") or None
    if source and is_saved_dataset_dict(source):
        columns = _train_columns(source)
        if "messages" in columns or {"prompt", "completion"} <= set(columns):
            return load_prepared(source)[0]
    dataset, _ = prepare(data_cfg, source, sft=True)
    return dataset


def _train_columns(path: str | Path) -> list[str]:
    """Column names of the saved train split, read from its metadata without loading any rows."""
    info = Path(path).expanduser() / "train" / "dataset_info.json"
    try:
        features = json.loads(info.read_text(encoding="utf-8")).get("features") or {}
    except (OSError, json.JSONDecodeError):
        return []
    return list(features)
