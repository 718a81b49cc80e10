"""Names that may be a local path or a hub id ("org/name"): one rule for models and datasets alike."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def looks_local(name: str, suffixes: Iterable[str] = ()) -> bool:
    """Whether `name` is meant as a local path rather than a hub id, even when nothing is there (yet).

    Local: it exists; it starts with /, . or ~; it has more than one "/"; its first folder exists; or it
    ends with one of `suffixes` (e.g. ".jsonl"). "Qwen/Qwen2.5-0.5B" and "gsm8k" are hub ids.

    >>> looks_local("./model"), looks_local("a/b/c"), looks_local("Qwen/Qwen2.5-0.5B"), looks_local("x.csv", [".csv"])
    (True, True, False, True)
    """
    path = Path(name).expanduser()
    if path.exists() or name.startswith(("/", ".", "~")) or name.count("/") > 1:
        return True
    if os.sep != "/" and os.sep in name:
        return True
    if path.suffix.lower() in set(suffixes):
        return True
    return "/" in name and Path(name.split("/", 1)[0]).is_dir()


def is_saved_dataset_dict(path: str | Path) -> bool:
    """Whether `path` is a folder holding a saved datasets DatasetDict (`r1 data prepare` writes one)."""
    path = Path(path).expanduser()
    return path.is_dir() and (path / "dataset_dict.json").exists()
