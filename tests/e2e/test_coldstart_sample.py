"""`r1 coldstart` and `r1 sample reject` end to end on the tiny model (real generation, real files):
each command runs, a SIGKILLed `sample reject` continues with every (id, sample) once, and a rerun with
another K is refused without touching the output."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import kill_when
from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()
pytestmark = pytest.mark.slow
R1 = [sys.executable, "-m", "r1cli.cli.main"]
SHORT = ["--generation.max_new_tokens", "8", "--rewards.workers", "1"]


def problems(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "problems.jsonl"
    rows = [{"question": f"What is {i} + {i}?", "answer": f"#### {2 * i}"} for i in range(count)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def run(*args: str):
    """In this process (the model and libraries load once for the whole test)."""
    return runner.invoke(app, list(args))


def test_each_coldstart_command_runs_on_the_tiny_model(tmp_path: Path) -> None:
    data = problems(tmp_path, 2)
    for method in ("fewshot", "direct"):
        out = tmp_path / f"{method}.jsonl"
        done = run("coldstart", method, "--data", str(data), "-o", str(out), *SHORT)
        assert done.exit_code == 0, done.output[-2000:]
        assert done.stdout.strip() == str(out)
        assert out.exists() and (tmp_path / f"{method}.jsonl.r1.json").exists()
        # the untrained model rarely writes a final answer: every problem is written or counted as left out
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        left_out = re.search(r"(\d+) without reasoning", done.stderr)
        assert len(rows) + (int(left_out.group(1)) if left_out else 0) == 2, done.stderr
        assert f"{len(rows)} rows written" in done.stderr
    zero = tmp_path / "zero.jsonl"
    zero.write_text(
        json.dumps(
            {
                "prompt": "What is 2 + 3 * 4?",
                "completion": "<think>umm 3 * 4 = 12... 12 + 2 = 14</think><answer>14</answer>",
            }
        )
        + "\n"
    )
    refined = tmp_path / "refined.jsonl"
    done = run("coldstart", "refine", str(zero), "-o", str(refined), "--model", "r1-tiny", *SHORT)
    assert done.exit_code == 0, done.output[-2000:]
    # the untrained model cannot keep the answer 14 in 8 tokens: its rewrite is left out, and said so
    assert "1 rewrites that changed the answer left out" in done.stderr and refined.read_text() == ""


def test_sample_reject_killed_then_rerun_writes_every_sample_once(tmp_path: Path) -> None:
    data = problems(tmp_path, 12)
    out = tmp_path / "rs.jsonl"

    def reject(k: int) -> list[str]:
        # one problem per batch (batch_size = K sequences): many batches to be killed between
        return [*R1, "sample", "reject", "--data", str(data), "-o", str(out), "-k", str(k), "--keep-all", *SHORT,
                "--generation.batch_size", str(k)]  # fmt: skip

    args = reject(2)
    kill_when(args, lambda: out.exists() and out.read_text().count("\n") >= 4, "4 rows")
    assert out.read_text().count("\n") < 24

    rerun = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "resuming:" in rerun.stderr and "acceptance rate" in rerun.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    pairs = [(row["id"], row["sample"]) for row in rows]
    assert sorted(pairs) == [(i, s) for i in range(12) for s in range(2)]
    assert all(set(row) >= {"completion", "rewards", "total", "accepted", "messages"} for row in rows)

    before = out.read_bytes()
    other_k = runner.invoke(app, reject(3)[len(R1) :])
    assert other_k.exit_code == 1
    lines = other_k.stderr.strip().splitlines()
    assert len(lines) == 1 and "generation.num_samples (2 -> 3)" in lines[0], other_k.stderr
    assert out.read_bytes() == before
