"""`r1 distill` end to end on the tiny model: traces (filtered or not) and logits, the closing table,
refusals that leave no folder, and a run killed while the teacher generates, then run again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_resumed_exactly, kill_past_checkpoint, kill_when, read_rows
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
R1 = [sys.executable, "-m", "r1cli.cli.main"]
# 20 training and 4 held-out addition problems; short generations; a couple of training steps.
SMALL = [
    "--data.synthetic_size", "24", "--data.test_size", "4", "--generation.max_new_tokens", "8",
    "--generation.batch_size", "4", "--sft.max_steps", "2", "--sft.per_device_train_batch_size", "4",
    "--distill.max_steps", "2", "--distill.per_device_train_batch_size", "4",
    "--distill.max_completion_length", "8", "--logging.rich", "false",
]  # fmt: skip


def _distill(out: Path, *extra: str):
    return runner.invoke(app, ["distill", "--teacher", "r1-tiny", "--output-dir", str(out), *SMALL, *extra])


def test_traces_train_a_smaller_student_and_compare_it_with_the_teacher(tmp_path: Path) -> None:
    out = tmp_path / "traces"
    refused = _distill(out, "-k", "2")  # an untrained teacher writes nothing correct
    assert refused.exit_code == 1 and "--filter none" in refused.stderr
    assert len(read_rows(out / "traces.jsonl")) == 40  # kept: the rerun below reuses them

    result = _distill(out, "-k", "2", "--filter", "none")
    assert result.exit_code == 1 and "other settings: filter ('reject' -> 'none')" in result.stderr

    other = tmp_path / "none"
    result = _distill(other, "-k", "2", "--filter", "none")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(other / "student")
    traces = read_rows(other / "traces.jsonl")
    assert len(traces) == 40 and len({(t["id"], t["sample"]) for t in traces}) == 40
    assert {"accepted", "rewards", "messages"} <= set(traces[0])
    assert len(read_rows(other / "sft.jsonl")) == 40
    assert (other / "student" / "model.safetensors").exists()
    table = json.loads((other / "results.json").read_text())
    teacher, student = table["scores"]
    assert (teacher["role"], student["role"]) == ("teacher", "student") and table["held_out"] == 4
    assert student["parameters"] < teacher["parameters"]  # [tiny_student] is smaller than [tiny]
    assert 0 <= student["accuracy"] <= 1 and 0 <= student["format_rate"] <= 1
    assert "held-out problems" in result.stderr and "teacher" in result.stderr
    more = _distill(other, "-k", "2", "--filter", "none", "--sft.max_steps", "3")  # not silently skipped
    assert more.exit_code == 1
    assert "holds a student trained with other settings: sft.max_steps (2 -> 3)" in more.stderr


def test_logits_distillation_trains_the_student_and_resumes_exactly(tmp_path: Path) -> None:
    """The student trains on the teacher's logits; a run killed (SIGKILL) after a student checkpoint and run
    again logs the same rows and saves the same student weights as the run never stopped (the student samples
    from the RNG state the checkpoint holds; the teacher only scores)."""
    out, killed = tmp_path / "logits", tmp_path / "killed"
    # A step takes ~0.07 s on 2 cores: with 16, the kill past checkpoint 2 has about a second before training ends.
    logits = ["--method", "logits", "--distill.max_steps", "16", "--distill.save_steps", "2"]
    logits += ["--distill.save_total_limit", "10"]
    result = _distill(out, *logits)
    assert result.exit_code == 0, result.output
    metrics = read_rows(out / "student" / "metrics.jsonl")
    assert metrics[-1]["step"] == 16 and "loss" in metrics[-1]
    assert (out / "student" / "model.safetensors").exists() and not (out / "traces.jsonl").exists()
    assert len(json.loads((out / "results.json").read_text())["scores"]) == 2
    more = _distill(out, *logits, "--distill.max_steps", "17")
    assert more.exit_code == 1 and "distill.max_steps (16 -> 17)" in more.stderr

    args = [*R1, "distill", "--teacher", "r1-tiny", "--output-dir", str(killed), *SMALL, *logits]
    kill_past_checkpoint(args, killed / "student", 2)
    again = subprocess.run(args, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert_resumed_exactly(out / "student", killed / "student")


def test_logits_refusals_create_no_folder(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from r1cli.models.tiny import tiny_model_path

    teacher = tiny_model_path()
    same = runner.invoke(app, ["distill", "--teacher", "r1-tiny", "--student", str(teacher), "--method", "logits",
                               "-o", str(tmp_path / "same")])  # fmt: skip
    assert same.exit_code == 1 and "the student is the teacher" in same.stderr
    assert not (tmp_path / "same").exists()

    other = tmp_path / "other-tokenizer"
    tokenizer = AutoTokenizer.from_pretrained(teacher)
    tokenizer.add_tokens(["<step>"])
    tokenizer.save_pretrained(other)
    for name in ("config.json", "model.safetensors"):
        (other / name).write_bytes((teacher / name).read_bytes())
    differ = runner.invoke(app, ["distill", "--teacher", "r1-tiny", "--student", str(other), "--method", "logits",
                                 "-o", str(tmp_path / "differ")])  # fmt: skip
    assert differ.exit_code == 1 and "same tokenizer" in differ.stderr and "--method traces" in differ.stderr
    assert not (tmp_path / "differ").exists()


def test_killed_while_the_teacher_generates_then_run_again(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    args = [
        *R1,
        "distill",
        "--teacher",
        "r1-tiny",
        "--output-dir",
        str(out),
        *SMALL,
        "-k",
        "2",
        "--filter",
        "none",
    ]
    args += ["--generation.batch_size", "2"]
    traces = out / "traces.jsonl"
    kill_when(args, lambda: traces.exists() and traces.read_text().count("\n") >= 4, "4 traces")
    assert not (out / "student").exists()

    again = subprocess.run(args, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "resuming" in again.stderr
    rows = read_rows(traces)
    assert len(rows) == 40 and len({(r["id"], r["sample"]) for r in rows}) == 40  # none lost, none twice
    assert (out / "student" / "model.safetensors").exists()
