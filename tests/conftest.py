"""Shared test setup: no hub access, a tiny model built once per session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

import pytest  # noqa: E402

# CI and developers have ../shared beside the checkout; elsewhere the tests that read it skip.
needs_shared_data = pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data is not here")


def kill_when(args: list[str], ready: Callable[[], bool], what: str, limit: float = 240) -> None:
    """Start `args` in its own session and SIGKILL the whole group once `ready()` (e.g. a checkpoint is
    on disk); fails if the command ends first or `what` does not appear within `limit` seconds."""
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + limit
    while not ready():
        assert process.poll() is None, f"the command ended before {what}"
        assert time.time() < deadline, f"no {what} within {limit:g} s"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def read_rows(path: Path) -> list[dict]:
    """The rows of a JSONL file."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def generate_recipe(problems: Path, *extra: str):
    """The recipe of a generating run over `problems` (rewards scored in-process), unvalidated: no torch."""
    from r1cli.recipe import load_recipe

    args = ["--data.dataset", str(problems), "--rewards.workers", "1", *extra]
    return load_recipe(None, None, args, stage="generate")
