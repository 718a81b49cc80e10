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


@pytest.fixture
def r1_cache(tmp_path_factory, monkeypatch):
    """r1-tiny models built by a test go to the session's temporary folder, not the user's cache."""
    monkeypatch.setenv("R1_CACHE", str(tmp_path_factory.getbasetemp() / "r1-cache"))


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


# A Qwen2.5-Instruct look-alike (tests/qwen_lookalike.py): Qwen's real vocabulary and chat template with
# random weights, built once per session. The narrow one serves every command; the full-width one
# (Qwen2.5-0.5B's width, 2 layers, ~166M parameters) only the tests where width matters.
QWEN_HUB_ID = "Qwen/Qwen2.5-0.5B-Instruct"


@pytest.fixture(scope="session")
def qwen_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import qwen_lookalike

    return qwen_lookalike.build_tokenizer(tmp_path_factory.mktemp("qwen-tokenizer"))


@pytest.fixture(scope="session")
def qwen_narrow(tmp_path_factory: pytest.TempPathFactory, qwen_tokenizer_dir: Path) -> Path:
    import qwen_lookalike

    return qwen_lookalike.build_model(tmp_path_factory.mktemp("qwen-narrow"), qwen_tokenizer_dir)


@pytest.fixture(scope="session")
def qwen_full_width(tmp_path_factory: pytest.TempPathFactory, qwen_tokenizer_dir: Path) -> Path:
    import qwen_lookalike

    return qwen_lookalike.build_model(
        tmp_path_factory.mktemp("qwen-full-width"), qwen_tokenizer_dir, qwen_lookalike.FULL_WIDTH
    )


@pytest.fixture(scope="session")
def hub_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datasets cache holding AI-MO/NuminaMath-TIR and openai/gsm8k (main) as a first download leaves
    them: real GSM8K rows, NuminaMath-shaped rows from real MATH problems; pass it as HF_DATASETS_CACHE."""
    import qwen_lookalike

    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not here")
    cache = tmp_path_factory.mktemp("hf-datasets")
    math = SHARED_DATA / "math" / "minerva_math.jsonl"
    numina = qwen_lookalike.numina_rows(math, 48)
    qwen_lookalike.install_hub_dataset(
        cache, "AI-MO/NuminaMath-TIR", {"train": numina[:40], "test": numina[40:]}
    )
    gsm8k = {
        "train": qwen_lookalike.gsm8k_rows(SHARED_DATA / "gsm8k" / "train.jsonl", 40),
        "test": qwen_lookalike.gsm8k_rows(SHARED_DATA / "gsm8k" / "test.jsonl", 8),
    }
    qwen_lookalike.install_hub_dataset(cache, "openai/gsm8k", gsm8k, config_name="main")
    return cache


def offline_hub_env(hub_cache: Path, datasets_cache: Path) -> dict[str, str]:
    """The environment of a command run in a subprocess against these caches, offline (the hub client and
    datasets read their cache paths at import: a subprocess, as a user's shell would start it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_HUB_CACHE=str(hub_cache),
        HF_DATASETS_CACHE=str(datasets_cache),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONPATH=str(REPO_ROOT),
    )
    return env
