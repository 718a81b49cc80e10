"""`r1 eval` on prompts longer than the model's positions: counted per benchmark, skipped or truncated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_prompts_that_do_not_fit_are_counted_then_skipped_or_cut(tmp_path: Path) -> None:
    from r1cli.models.tiny import build_tiny_model

    model = build_tiny_model(
        tmp_path / "tiny", {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1}
    )
    bench = tmp_path / "sums.jsonl"
    rows = [{"question": f"What is {i} + 2?", "answer": str(i + 2)} for i in range(2)]
    rows.append({"question": "Ignore this. " * 300 + "What is 5 + 2?", "answer": "7"})
    bench.write_text("".join(json.dumps(row) + "\n" for row in rows))
    args = ["eval", str(model), "--data", str(bench), "--max-new-tokens", "8"]

    skipped = runner.invoke(app, args)
    assert skipped.exit_code == 0, skipped.output
    assert "sums: 1 of 3 prompts do not fit" in skipped.stderr and "512 positions" in skipped.stderr
    record = json.loads(skipped.stdout)["results"][0]
    assert (record["n"], record["prompts_too_long"]) == (2, 1)
    assert "Token indices sequence length" not in skipped.stderr

    cut = runner.invoke(
        app, [*args, "--long-prompts", "truncate", "--predictions", str(tmp_path / "p.jsonl")]
    )
    assert cut.exit_code == 0, cut.output
    assert "1 of 3 prompts do not fit" in cut.stderr and "cut to fit" in cut.stderr
    record = json.loads(cut.stdout)["results"][0]
    assert (record["n"], record["prompts_too_long"]) == (3, 1)

    no_room = runner.invoke(app, ["eval", str(model), "--data", str(bench), "--max-new-tokens", "600"])
    assert no_room.exit_code == 1
    assert no_room.stderr.strip().startswith("r1: error: max_new_tokens 600 leaves no room for a prompt")
    assert no_room.stderr.count("\n") == 1
