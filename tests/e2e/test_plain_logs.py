"""`r1 train zero` with stderr in a file (CI, nohup, `2> train.log`): plain lines, no carriage returns, no
boxes; on a model whose chat template opens `<think>`, so the run also shows that train zero hands the
rendered prompts to the rewards and statistics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _model_whose_template_opens_think(path: Path) -> Path:
    from transformers import AutoTokenizer

    from r1cli.models.tiny import build_tiny_model

    build_tiny_model(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    generation_prompt = "{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
    assert tokenizer.chat_template.endswith(generation_prompt)
    tokenizer.chat_template = tokenizer.chat_template.replace(
        generation_prompt, "{{- '<|im_start|>assistant\\n<think>\\n' -}}{%- endif -%}"
    )
    tokenizer.save_pretrained(path)
    return path


def test_train_zero_logs_plain_lines_when_stderr_is_a_file(tmp_path: Path) -> None:
    model = _model_whose_template_opens_think(tmp_path / "model")
    out, log = tmp_path / "zero", tmp_path / "train.log"
    command = [sys.executable, "-m", "r1cli.cli.main", "train", "zero", "--output-dir", str(out)]
    command += ["--model.name_or_path", str(model), "--grpo.max_steps", "2"]
    command += ["--grpo.per_device_train_batch_size", "8", "--grpo.num_generations", "4"]
    command += ["--grpo.max_completion_length", "8", "--data.synthetic_size", "32"]
    command += ["--logging.examples_every", "1"]
    with log.open("w") as stderr:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=600)
    text = log.read_text(encoding="utf-8")
    assert result.returncode == 0, text[-3000:]
    assert result.stdout.strip() == str(out)
    assert "\r" not in text and "\x1b[" not in text
    assert not any(box in text for box in "╭╮╰╯│┃━─┏┓"), text[-3000:]
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2]
    # One line per logging step, naming the rewards.
    assert len([line for line in text.splitlines() if "accuracy" in line and "tag_count" in line]) >= 2
    # Every completion starts inside the template's <think>: the statistics see a think block in each,
    # and tag_count credits the opening tag (a random model almost never writes one itself).
    for step in metrics:
        assert step["r1/think_chars"] > 0
        assert step["rewards/tag_count/mean"] >= 0.2
