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


def _fake_adapter(folder):
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(folder / "base")}))
    (folder / "adapter_model.safetensors").write_bytes(b"")
    return folder


def test_merge_refuses_what_is_not_an_adapter_in_one_line(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "config.json").write_text("{}")
    (full / "model.safetensors").write_bytes(b"")
    result = runner.invoke(app, ["model", "merge", str(full), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"r1: error: '{full}' is a full model, not a LoRA adapter: nothing to merge"
    )
    missing = runner.invoke(app, ["model", "merge", str(tmp_path / "nope"), "-o", str(tmp_path / "out")])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    assert not (tmp_path / "out").exists()


def test_merge_never_writes_into_a_folder_that_is_not_an_earlier_merge(tmp_path):
    adapter = _fake_adapter(tmp_path / "adapter")
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("keep me")
    for extra in ([], ["--overwrite"]):
        result = runner.invoke(app, ["model", "merge", str(adapter), "-o", str(other), *extra])
        assert result.exit_code == 1
        assert "is not empty and is not an earlier `r1 model merge` output" in result.stderr
    assert sorted(p.name for p in other.iterdir()) == ["keep.txt"]
    into_itself = runner.invoke(app, ["model", "merge", str(adapter), "-o", str(adapter), "--overwrite"])
    assert into_itself.exit_code == 1 and sorted(p.name for p in adapter.iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
