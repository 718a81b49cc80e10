"""The generation engine survives SIGKILL: the rerun writes every (id, sample) exactly once, on the
transformers backend and on vLLM's (where vllm is installed)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROBLEMS = 48
SAMPLES = 2
# One prompt (2 samples) a batch, so the kill lands between many small flushed writes (vLLM, which gets
# 256 prompts a call, gets one here).
SCRIPT = """
import sys
import r1cli.generation.engine as engine
from r1cli.data.problems import read_problems
from r1cli.generation.engine import generate_jsonl
from r1cli.recipe import load_recipe

engine.VLLM_PROMPTS_PER_CALL = 1
overrides = ["--generation.max_new_tokens", "8", "--generation.num_samples", "2", "--generation.batch_size", "2",
             *sys.argv[3:]]
recipe = load_recipe(None, overrides=overrides, environ={})
prompts = read_problems(sys.argv[1], recipe.section("data"))
result = generate_jsonl(prompts, sys.argv[2], recipe, command="r1 test")
print("generated:", result.resumed, result.generated)
"""


# vLLM's CPU attention has no kernel for the smallest r1-tiny's head size (8): it gets the default r1-tiny.
BACKENDS = {
    "transformers": [
        "--tiny.hidden_size",
        "32",
        "--tiny.intermediate_size",
        "64",
        "--tiny.num_hidden_layers",
        "1",
    ],
    "vllm": ["--generation.backend", "vllm", "--generation.kv_cache_gib", "1", "--model.dtype", "float32"],
}


def _run(problems: Path, output: Path, env: dict, backend: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(problems), str(output), *BACKENDS[backend]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_mid_run_then_rerun_writes_each_sample_once(
    tmp_path: Path, tmp_path_factory, backend: str
) -> None:
    if backend == "vllm" and importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed")
    problems = tmp_path / "problems.jsonl"
    problems.write_text(
        "".join(json.dumps({"problem": f"What is {i} + {i}?"}) + "\n" for i in range(PROBLEMS))
    )
    output = tmp_path / "out.jsonl"
    journal = tmp_path / "out.jsonl.r1.progress"
    cache = tmp_path_factory.getbasetemp() / "r1-cache"  # shared with the other tests of the session
    env = {**os.environ, "R1_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}

    process = _run(problems, output, env, backend)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and len(journal.read_text().splitlines()) >= 2:
            break
        time.sleep(0.02)
    assert process.poll() is None, f"finished before it could be killed: {process.communicate()}"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = len(journal.read_text().splitlines())
    assert 2 <= killed_at < PROBLEMS

    rerun = _run(problems, output, env, backend)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    line = next(line for line in out.splitlines() if line.startswith("generated:"))  # vLLM logs to stdout too
    resumed, generated = map(int, line.split()[1:])
    assert resumed >= 2 and resumed + generated == PROBLEMS
    assert f"resuming: {resumed} of {PROBLEMS} done" in err
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    pairs = sorted((row["id"], row["sample"]) for row in rows)
    assert pairs == [(i, s) for i in range(PROBLEMS) for s in range(SAMPLES)]
