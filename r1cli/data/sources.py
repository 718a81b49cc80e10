"""Read a dataset source into raw splits: a local file or folder, a hub dataset, or a synthetic task.

Sources, in the order they are recognised:
- `synthetic:addition`, `synthetic:chain`: built-in tasks (see r1cli/data/synthetic.py), no download;
- a local `.jsonl`, `.json`, `.parquet` or `.csv` file;
- a local folder: a `datasets` save (`r1 data prepare` output, `save_to_disk`), or data files named
  by split (`train.jsonl`, `test.jsonl`, ...);
- anything else is a Hugging Face Hub dataset id, read with `datasets.load_dataset`.

Bad local files fail with one line that says what and where (file, line) and how to fix it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from r1cli.data.synthetic import is_synthetic, synthetic_rows
from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.plumbing.jsonl import json_lines, json_type
from r1cli.plumbing.paths import looks_local

FILE_TYPES = (".jsonl", ".json", ".parquet", ".csv")
# Hub datasets whose default config is not what a user means.
HUB_DEFAULT_CONFIGS = {"openai/gsm8k": "main", "gsm8k": "main"}
HUB_HINT = (
    "pass a local .jsonl/.json/.parquet/.csv file or a `r1 data prepare` folder instead, or load the "
    "dataset once with network access so that it is in the HF cache (HF_HUB_OFFLINE=1 then reads it)"
)


@dataclass
class RawSource:
    """The rows of a source before any processing, by split name."""

    splits: dict[str, datasets.Dataset]
    # True when the source itself defines its splits (hub splits, train/test files, a saved DatasetDict);
    # False for one table (a file, a single hub split, a synthetic task), named "train" here.
    has_splits: bool
    description: str
    notes: list[str] = field(default_factory=list)


def load_source(source: str, data_cfg: dict[str, Any]) -> RawSource:
    """Read `source`; `data_cfg` is the recipe's `[data]` section (config_name, split, synthetic_*)."""
    if not source or not str(source).strip():
        raise R1Error("no dataset given", hint="pass SOURCE or set data.dataset in the recipe")
    source = str(source)
    if is_synthetic(source):
        rows = synthetic_rows(source, data_cfg)
        raw = RawSource({"train": datasets.Dataset.from_list(rows)}, False, source)
    elif looks_local(source, FILE_TYPES):
        raw = _load_local(Path(source).expanduser())
    else:
        raw = _load_hub(source, data_cfg.get("config_name") or None, data_cfg.get("split") or None)
    split = data_cfg.get("split") or ""
    if split and raw.has_splits:
        if split not in raw.splits:
            hint = did_you_mean(split, raw.splits) or f"splits: {', '.join(raw.splits)}"
            raise R1Error(f"{source} has no split '{split}' (data.split)", hint=hint)
        raw = RawSource({"train": raw.splits[split]}, False, f"{raw.description} [{split}]", raw.notes)
    return raw


def _load_hub(source: str, config: str | None, split: str | None) -> RawSource:
    config = config or HUB_DEFAULT_CONFIGS.get(source)
    try:
        loaded = datasets.load_dataset(source, name=config, split=split)
    except ConnectionError:
        raise R1Error(
            f"cannot reach the Hugging Face Hub to load '{source}' (offline, and no local file or folder "
            "of that name)",
            hint=HUB_HINT,
        ) from None
    except datasets.exceptions.DatasetNotFoundError:
        raise R1Error(
            f"dataset '{source}' not found on the Hugging Face Hub nor as a local path", hint=HUB_HINT
        ) from None
    except ValueError as exc:  # unknown config or split names
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise R1Error(
            f"cannot load '{source}': {first_line}", hint="check data.config_name and data.split"
        ) from None
    where = f"{source}" + (f" ({config})" if config else "")
    if isinstance(loaded, datasets.DatasetDict):
        return RawSource(dict(loaded), True, where)
    return RawSource({"train": loaded}, False, f"{where} [{split}]")


def _load_local(path: Path) -> RawSource:
    if path.is_dir():
        return _load_folder(path)
    if not path.exists():
        raise R1Error(f"file not found: {path}", hint="check the path, or pass a hub dataset id")
    suffix = path.suffix.lower()
    if suffix not in FILE_TYPES:
        raise R1Error(f"{path}: unknown file type '{path.suffix or '(none)'}'", hint="use " + _types_hint())
    return RawSource({"train": read_table(path)}, False, str(path))


def _types_hint() -> str:
    return ", ".join(FILE_TYPES[:-1]) + " or " + FILE_TYPES[-1]


def _load_folder(path: Path) -> RawSource:
    if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
        try:
            loaded = datasets.load_from_disk(str(path))
        except (FileNotFoundError, ValueError, OSError, json.JSONDecodeError) as exc:
            raise R1Error(f"cannot read the saved dataset in {path}: {exc}") from None
        if isinstance(loaded, datasets.DatasetDict):
            return RawSource(dict(loaded), True, str(path))
        return RawSource({"train": loaded}, False, str(path))
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FILE_TYPES)
    by_split: dict[str, Path] = {}
    for file in files:
        if file.stem in by_split:
            raise R1Error(
                f"{path} has two files for split '{file.stem}': {by_split[file.stem].name}, {file.name}"
            )
        by_split[file.stem] = file
    if "train" not in by_split:
        found = ", ".join(p.name for p in files) or "no data files"
        raise R1Error(
            f"{path} is neither a saved dataset nor a folder of split files (train.jsonl, test.jsonl, ...): "
            f"found {found}",
            hint="pass one data file instead",
        )
    splits = {name: read_table(file) for name, file in by_split.items()}
    return RawSource(splits, True, str(path))


def read_table(path: Path) -> datasets.Dataset:
    """One local data file as a Dataset, with a one-line R1Error for any bad input."""
    data = path.read_bytes()
    if not data.strip():
        raise R1Error(f"{path} is empty", hint="it needs one row per problem")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_arrow(path, suffix)
    text = _decode(data, path)  # for CSV too: pyarrow would quietly read bad bytes as a binary column
    if suffix == ".csv":
        return _read_arrow(path, suffix)
    rows = read_json_rows(text, path) if suffix == ".json" else read_jsonl_rows(data, path)
    if not rows:
        raise R1Error(f"{path} holds no rows", hint="it needs one JSON object per problem")
    return rows_to_dataset(rows, str(path))


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise R1Error(
            f"{path}:{line}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})",
            hint="re-encode the file as UTF-8",
        ) from None


def read_jsonl_rows(data: bytes, path: Path | str) -> list[dict[str, Any]]:
    """Parse JSON Lines, one object a line (blank lines skipped), naming the first bad line."""
    rows = []
    for number, row, problem in json_lines(data):
        if problem is not None:
            hint = 'each line of a .jsonl file must be one JSON object, like {"problem": ..., "answer": ...}'
            raise R1Error(f"{path}:{number}: {problem}", hint=hint)
        rows.append(row)
    return rows


def read_json_rows(text: str, path: Path | str) -> list[dict[str, Any]]:
    """Parse a .json file: a list of objects, an object of equal-length columns, or JSON Lines."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON Lines saved with a .json name
            return read_jsonl_rows(text.encode("utf-8"), path)
        raise R1Error(f"{path}:{exc.lineno}: malformed JSON ({exc.msg}, column {exc.colno})") from None
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == 1 and len(value) == 1:  # {"data": [{...}, ...]}
            value = lists[0]
        elif value and len(lists) == len(value) and len({len(v) for v in lists}) == 1:
            names = list(value)
            value = [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]
        else:
            raise R1Error(
                f"{path}: expected a list of objects (or JSON Lines), got one object",
                hint='write [{"problem": ..., "answer": ...}, ...] or one object per line in a .jsonl',
            )
    if not isinstance(value, list):
        raise R1Error(f"{path}: expected a list of objects, got {json_type(value)}")
    for index, row in enumerate(value):
        if not isinstance(row, dict):
            raise R1Error(f"{path}: item {index} is {json_type(row)}, not an object")
    return value


def rows_to_dataset(rows: list[dict[str, Any]], where: str) -> datasets.Dataset:
    """Rows (dicts) as a Dataset; keys missing from some rows become None, mixed-type columns text."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {name: [row.get(name) for row in rows] for name in names}
    try:
        return datasets.Dataset.from_dict(columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        pass
    # Some column mixes types (e.g. `answer` 5 in one row, "5/2" in another): store it as text.
    for name, values in columns.items():
        try:
            datasets.Dataset.from_dict({name: values})
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            columns[name] = [_as_text(v) for v in values]
    try:
        return datasets.Dataset.from_dict(columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise R1Error(f"{where}: cannot build a table from these rows: {exc}") from None


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _read_arrow(path: Path, suffix: str) -> datasets.Dataset:
    import pyarrow.csv
    import pyarrow.parquet

    try:
        table = pyarrow.parquet.read_table(path) if suffix == ".parquet" else pyarrow.csv.read_csv(path)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        message = " ".join(str(exc).split())
        if "utf8" in message.lower() or "utf-8" in message.lower():
            raise R1Error(f"{path}: not UTF-8 text ({message})", hint="re-encode the file as UTF-8") from None
        kind = "Parquet" if suffix == ".parquet" else "CSV"
        raise R1Error(f"{path}: not a readable {kind} file ({message})") from None
    if table.num_rows == 0:
        raise R1Error(f"{path} holds no rows", hint="it needs one row per problem")
    return datasets.Dataset(table)
