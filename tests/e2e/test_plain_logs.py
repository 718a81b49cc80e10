"""Training with stderr in a file (CI, nohup, `2> train.log`): plain lines, no carriage returns, no boxes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_train_zero_logs_plain_lines_when_stderr_is_a_file(tmp_path: Path) -> None:
    out, log = tmp_path / "zero", tmp_path / "train.log"
    command = [sys.executable, "-m", "r1cli.cli.main", "train", "zero", "--output-dir", str(out)]
    command += ["--grpo.max_steps", "2", "--grpo.per_device_train_batch_size", "8"]
    command += ["--grpo.num_generations", "4", "--grpo.max_completion_length", "8"]
    command += ["--data.synthetic_size", "32", "--logging.examples_every", "1"]
    with log.open("w") as stderr:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=600)
    text = log.read_text(encoding="utf-8")
    assert result.returncode == 0, text[-3000:]
    assert result.stdout.strip() == str(out)
    assert "\r" not in text and "\x1b[" not in text
    assert not any(box in text for box in "╭╮╰╯│┃━─┏┓"), text[-3000:]
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]
    # One line per logging step, naming the step and the rewards.
    step_lines = [line for line in text.splitlines() if "accuracy" in line and "step" in line.lower()]
    assert len(step_lines) >= 2, text[-3000:]
