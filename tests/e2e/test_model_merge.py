"""`r1 model merge` on the tiny model: the merged folder stands alone and answers as the adapter does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
SMALL = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2}


def _adapter(tmp_path: Path) -> Path:
    """A LoRA adapter on a tiny base, with non-zero B weights, its tokenizer and a recorded system prompt."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from r1cli.models.prompting import record_prompt
    from r1cli.models.tiny import build_tiny_model

    base_dir = build_tiny_model(tmp_path / "base", SMALL)
    peft_model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base_dir),
        LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"),
    )
    torch.manual_seed(0)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    out = tmp_path / "adapter"
    peft_model.save_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    record_prompt(out, tokenizer, "Answer in one line.")
    tokenizer.save_pretrained(out)
    return out


def test_merged_model_stands_alone_and_gives_the_adapters_greedy_answers(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    merged = tmp_path / "merged"
    result = runner.invoke(app, ["model", "merge", str(adapter), "-o", str(merged)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(merged)
    assert "float32" in result.stderr

    assert (merged / "model.safetensors").is_file() and not (merged / "adapter_config.json").exists()
    assert json.loads((merged / "r1_prompt.json").read_text()) == {"system_prompt": "Answer in one line."}
    info = runner.invoke(app, ["model", "info", str(merged), "--json"])
    facts = json.loads(info.stdout)
    assert facts["kind"] == "full model" and facts["stored_dtype"] == "float32"
    assert facts["trained_system_prompt"] == "Answer in one line." and facts["chat_template"]

    bench = tmp_path / "sums.jsonl"
    bench.write_text(
        "".join(json.dumps({"question": f"What is {i} + 2?", "answer": str(i + 2)}) + "\n" for i in range(3))
    )
    predictions = tmp_path / "predictions.jsonl"
    args = ["eval", str(adapter), str(merged), "--data", str(bench), "--max-new-tokens", "12"]
    evaluated = runner.invoke(app, [*args, "--predictions", str(predictions)])
    assert evaluated.exit_code == 0, evaluated.output
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    by_model = {
        model: [r["completion"] for r in rows if r["model"] == model] for model in (str(adapter), str(merged))
    }
    assert len(by_model[str(adapter)]) == 3
    assert by_model[str(adapter)] == by_model[str(merged)]

    answers = [
        runner.invoke(
            app,
            [
                "chat",
                str(model),
                "-p",
                "What is 4 + 5?",
                "--full",
                "--temperature",
                "0",
                "--max-new-tokens",
                "12",
            ],
        )
        for model in (adapter, merged)
    ]
    assert all(answer.exit_code == 0 for answer in answers), answers[0].output
    assert answers[0].stdout == answers[1].stdout and answers[0].stdout.strip()

    again = runner.invoke(app, ["model", "merge", str(adapter), "-o", str(merged)])
    assert again.exit_code == 1 and "already holds an earlier merged model" in again.stderr
    replaced = runner.invoke(app, ["model", "merge", str(adapter), "-o", str(merged), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
