"""`r1 train pretrain` end to end on the tiny model: the loss falls on the built-in corpus, the folder is a
base model other commands open, SIGKILL + --resume, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import kill_when
from typer.testing import CliRunner

from r1cli.cli.main import app
from r1cli.data.synthetic import addition_text

pytestmark = pytest.mark.slow
runner = CliRunner()
R1 = [sys.executable, "-m", "r1cli.cli.main"]
# Small batches of short rows: a few seconds for a few dozen steps on 2 cores. A corpus row is ~70 tokens.
FAST = [
    "--data.synthetic_size", "300",
    "--sft.per_device_train_batch_size", "4",
    "--sft.max_length", "96",
    "--sft.logging_steps", "1",
]  # fmt: skip


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_loss_falls_on_the_built_in_corpus_and_the_model_is_a_base_model(tmp_path: Path) -> None:
    out = tmp_path / "pretrain"
    args = ["train", "pretrain", "--data", "synthetic:addition-text", "-o", str(out), *FAST]
    result = runner.invoke(app, [*args, "--sft.max_steps", "30", "--sft.save_steps", "30"])
    assert result.exit_code == 0, result.output
    losses = [m["loss"] for m in _metrics(out) if "loss" in m]
    assert len(losses) == 30
    # A fresh model starts near ln(vocabulary); the prose is regular enough to halve it within 30 steps.
    assert sum(losses[-5:]) / 5 < 0.6 * sum(losses[:5]) / 5
    assert json.loads((out / "r1_prompt.json").read_text()) == {"system_prompt": ""}
    assert json.loads((out / "train_result.json").read_text())["global_step"] == 30

    from r1cli.models.folders import open_model

    model, tokenizer = open_model(str(out))[:2]
    # Every command prompts the base model as its corpus is written: the chat template renders a question so.
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 47 + 85?"}], tokenize=False, add_generation_prompt=True
    )
    assert prompt == "Question: What is 47 + 85?\nAnswer:"
    assert addition_text("What is 47 + 85?").startswith(prompt + " ")
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    assert model.generate(ids, max_new_tokens=4, do_sample=False).shape[1] > ids.shape[1]


def test_sigkill_then_resume_ends_at_the_planned_step(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    args = [*R1, "train", "pretrain", "--data", "synthetic:addition-text", "-o", str(out), *FAST]
    args += ["--sft.max_steps", "8", "--sft.save_steps", "2", "--sft.save_total_limit", "10"]
    kill_when(args, (out / "checkpoint-2" / "trainer_state.json").exists, "the first checkpoint")
    assert not (out / "model.safetensors").exists()

    resumed = subprocess.run(
        [*R1, "train", "pretrain", "-o", str(out), "--resume"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    steps = [m["step"] for m in _metrics(out) if "loss" in m]
    assert steps == list(range(1, 9))  # nothing lost, nothing logged twice
    assert json.loads((out / "train_result.json").read_text())["global_step"] == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"problem": "What is 1 + 1?", "answer": "2"}\n', "has no `text` column"),
        ("", "is empty"),
        (None, "file not found"),
        ("synthetic:addition", "not a text corpus"),
        ("markup_share=1", "data.markup_share must be a number in [0, 1), got 1"),
    ],
)
def test_bad_input_is_one_line_and_creates_no_output(
    tmp_path: Path, content: str | None, message: str
) -> None:
    data = tmp_path / "corpus.jsonl"
    extra = []
    if content == "synthetic:addition":
        source = content
    elif content == "markup_share=1":
        source, extra = "synthetic:addition-text", ["--data.markup_share", "1"]
    else:
        source = str(data)
        if content is not None:
            data.write_text(content)
    out = tmp_path / "out"
    result = runner.invoke(app, ["train", "pretrain", "--data", source, "-o", str(out), *extra])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not out.exists()
