"""`r1 model tiny` and `r1 model info` through the real CLI entry point."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()
SMALL = ["--hidden-size", "64", "--intermediate-size", "128", "--layers", "2"]


def test_tiny_builds_prints_path_and_info_reads_it(tmp_path):
    out = tmp_path / "tiny"
    result = runner.invoke(app, ["model", "tiny", str(out), *SMALL, "--tiny.seed", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "built r1-tiny (2 layers, hidden 64" in result.stderr
    config = json.loads((out / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]) == (64, 2, 128)
    assert json.loads((out / "r1_tiny.json").read_text())["tiny"]["seed"] == 3

    info = runner.invoke(app, ["model", "info", str(out), "--json"])
    assert info.exit_code == 0, info.output
    facts = json.loads(info.stdout)
    assert facts["architecture"] == "Qwen2ForCausalLM" and facts["chat_template"]
    assert all(facts["tags_single_token"].values())

    table = runner.invoke(app, ["model", "info", str(out)])
    assert table.exit_code == 0
    assert "generation_markers True" in " ".join(table.stdout.split())
    assert facts["trained_system_prompt"].startswith("(not recorded")


def test_tiny_never_overwrites_an_unrelated_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    for extra in ([], ["--overwrite"]):
        result = runner.invoke(app, ["model", "tiny", str(tmp_path), *SMALL, *extra])
        assert result.exit_code == 1
        assert "is not an earlier `r1 model tiny` output" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    model_dir = tmp_path / "m"
    assert runner.invoke(app, ["model", "tiny", str(model_dir), *SMALL]).exit_code == 0
    result = runner.invoke(app, ["model", "tiny", str(model_dir), *SMALL])
    assert result.exit_code == 1 and "--overwrite" in result.stderr
    result = runner.invoke(app, ["model", "tiny", str(model_dir), *SMALL, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert (model_dir / "model.safetensors").is_file()


def test_tiny_bad_shape_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["model", "tiny", str(tmp_path / "m"), "--heads", "3"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "r1: error: [tiny] hidden_size (128) must be divisible by num_attention_heads (3)"
    ]


def test_info_on_missing_dir_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["model", "info", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"r1: error: model directory '{tmp_path / 'nope'}' does not exist"
