"""`r1 eval` end to end on the tiny model: results.json, predictions, the table, and a rerun that resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_eval_two_benchmarks_r1_preset_then_resume(tmp_path: Path) -> None:
    from r1cli.data.prepare import prepare
    from r1cli.data.store import save_prepared
    from r1cli.models.tiny import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny", {})
    bench = tmp_path / "sums.jsonl"
    bench.write_text(
        "".join(json.dumps({"question": f"What is {i} + 2?", "answer": str(i + 2)}) + "\n" for i in range(3))
    )
    source = tmp_path / "more.jsonl"
    source.write_text(
        "".join(
            json.dumps({"problem": f"What is {i} * 2?", "solution": str(2 * i)}) + "\n" for i in range(12)
        )
    )
    dataset, summary = prepare({"test_size": 2, "system_prompt": "Think."}, str(source))
    save_prepared(dataset, summary, tmp_path / "prepared")

    out, predictions = tmp_path / "results.json", tmp_path / "predictions.jsonl"
    args = ["eval", str(model), "--data", str(bench), "--data", str(tmp_path / "prepared"), "--preset", "r1"]
    args += ["--samples", "2", "--max-new-tokens", "6", "-o", str(out), "--predictions", str(predictions)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "avg@2" in result.stderr and "sums" in result.stderr and "prepared/test" in result.stderr

    records = json.loads(out.read_text())["results"]
    assert [(r["benchmark"], r["n"], r["samples"]) for r in records] == [
        ("sums", 3, 2),
        ("prepared/test", 2, 2),
    ]
    for record in records:
        assert record["settings"] == {
            "preset": "r1", "temperature": 0.6, "top_p": 0.95, "samples": 2, "max_new_tokens": 6,
            "rewards.timeout": 3.0,
        }  # fmt: skip
        assert {"accuracy", "maj@2", "pass@1", "pass@2", "format_rate", "truncated_rate"} <= set(record)
        assert 0 <= record["accuracy"] <= record["pass@2"] <= 1
        assert 0 < record["mean_completion_tokens"] <= 6

    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(rows) == 3 * 2 + 2 * 2
    assert {(r["benchmark"], r["id"], r["sample"]) for r in rows} >= {("sums", 2, 1), ("sums", 0, 0)}
    sums = [r for r in rows if r["benchmark"] == "sums"]
    assert [r["gold"] for r in sums[::2]] == ["2", "3", "4"]
    accuracy = sum(r["correct"] is True for r in sums) / len(sums)
    assert records[0]["accuracy"] == pytest.approx(accuracy)
    assert records[0]["truncated_rate"] == pytest.approx(sum(not r["finished"] for r in sums) / len(sums))

    again = runner.invoke(app, args)  # everything is there: nothing generated again, same numbers
    assert again.exit_code == 0, again.output
    assert again.stderr.count("resuming: ") == 2
    assert json.loads(out.read_text())["results"][0]["accuracy"] == records[0]["accuracy"]


def test_evaluate_problems_for_other_stages(tmp_path: Path) -> None:
    from r1cli.data.problems import read_problems
    from r1cli.evaluate.run import evaluate_problems
    from r1cli.models.tiny import build_tiny_model
    from r1cli.recipe import load_recipe

    model = build_tiny_model(tmp_path / "tiny", {})
    recipe = load_recipe(None, None, ["--generation.max_new_tokens", "4"], environ={})
    bench = tmp_path / "b.jsonl"
    bench.write_text(
        "".join(json.dumps({"question": f"{i} + 1?", "answer": str(i + 1)}) + "\n" for i in range(3))
    )
    by_path = evaluate_problems(model, bench, recipe)
    prompts = read_problems(bench, recipe.section("data"))
    by_prompts = evaluate_problems(model, prompts, recipe, limit=2)
    assert (by_path.metrics["n"], by_prompts.metrics["n"]) == (3, 2)
    for result in (by_path, by_prompts):
        assert 0 <= result.metrics["accuracy"] <= 1 and 0 <= result.metrics["format_rate"] <= 1
        assert result.settings["preset"] == "greedy" and result.settings["max_new_tokens"] == 4
        assert all(row["tokens"] <= 4 for row in result.predictions)
