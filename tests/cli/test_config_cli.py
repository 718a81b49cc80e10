"""`r1 config show|validate` through the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()
RECIPES = Path(__file__).parents[2] / "recipes"


def test_show_prints_toml_with_the_origin_of_each_value(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("R1_GRPO__MAX_STEPS", "9")
    recipe = tmp_path / "r.toml"
    recipe.write_text('[grpo]\nlearning_rate = 1e-4\n[profiles.fast]\n"grpo.logging_steps" = 5\n')
    result = runner.invoke(
        app, ["config", "show", "--recipe", str(recipe), "--profile", "fast", "--grpo.save_steps", "3"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()

    def line(key: str) -> str:
        return next(entry for entry in lines if entry.startswith(f"{key} ") or entry.startswith(f"{key}="))

    assert line("learning_rate").endswith("# recipe r.toml")
    assert line("logging_steps").endswith("# profile fast")
    assert line("max_steps").endswith("# env R1_GRPO__MAX_STEPS")
    assert line("save_steps").endswith("# cli")
    assert line("beta").endswith("# default")
    assert "= 0.0001" in line("learning_rate")
    import tomllib

    assert tomllib.loads(result.stdout)["grpo"]["save_steps"] == 3


def test_show_of_the_embedded_default() -> None:
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0
    import tomllib

    resolved = tomllib.loads(result.stdout)
    assert resolved["model"]["name_or_path"] == "r1-tiny"
    assert resolved["model"]["dtype"] == "float32"
    assert "auto (hardware)" in result.stdout


def test_bad_override_is_one_line_and_exit_1() -> None:
    result = runner.invoke(app, ["config", "show", "--grpo.learnin_rate", "1e-4"])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "unknown recipe key 'grpo.learnin_rate'" in result.stderr
    assert "did you mean 'grpo.learning_rate'" in result.stderr
    assert "Traceback" not in result.output


def test_legacy_flag_prints_a_deprecation_note() -> None:
    result = runner.invoke(app, ["config", "show", "--learning_rate", "1e-4"])
    assert result.exit_code == 0
    assert "--learning_rate is deprecated: use --grpo.learning_rate" in result.stderr


def test_validate_prints_a_memory_estimate() -> None:
    result = runner.invoke(app, ["config", "validate"])
    assert result.exit_code == 0, result.output
    assert "recipe OK" in result.stdout
    for component in ("weights", "gradients", "optimizer", "generation KV cache", "total"):
        assert component in result.stdout
    assert "fits" in result.stdout


def test_validate_reports_lora_and_4bit_savings(monkeypatch) -> None:
    full = runner.invoke(app, ["config", "validate"])
    qlora = runner.invoke(
        app, ["config", "validate", "--lora.enabled", "true", "--quantization.load_in_4bit", "true"]
    )
    assert qlora.exit_code == 0, qlora.output
    assert "4-bit" in qlora.stdout
    assert full.stdout != qlora.stdout


def test_validate_fails_on_a_bad_rule() -> None:
    result = runner.invoke(app, ["config", "validate", "--grpo.num_generations", "3"])
    assert result.exit_code == 1
    assert "must be divisible by grpo.num_generations (3)" in result.stderr


def test_debug_env_shows_the_traceback(monkeypatch) -> None:
    monkeypatch.setenv("R1_DEBUG", "1")
    result = runner.invoke(app, ["config", "show", "--grpo.learnin_rate", "1"])
    assert result.exit_code != 0
    assert result.exception is not None and type(result.exception).__name__ == "R1Error"


def test_help_and_version_are_fast_and_import_no_torch() -> None:
    code = "import sys; from r1cli.cli.main import app; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    result = subprocess.run(
        [sys.executable, "-m", "r1cli.cli.main", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for group in ("config", "train"):
        assert group in result.stdout
    version = subprocess.run(
        [sys.executable, "-m", "r1cli.cli.main", "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("r1 ")


def test_an_unwritable_output_path_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    args = [
        "data",
        "prepare",
        "synthetic:addition",
        "-o",
        str(blocker / "sub"),
        "--data.synthetic_size",
        "10",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.startswith("r1: error: cannot use ") and result.stderr.count("\n") == 1


def test_r1_debug_zero_means_off(monkeypatch) -> None:
    monkeypatch.setenv("R1_DEBUG", "0")
    result = runner.invoke(app, ["config", "show", "--grpo.learnin_rate", "1"])
    assert result.exit_code == 1 and result.stderr.startswith("r1: error:")


def test_usage_mistakes_are_one_line_too() -> None:
    result = runner.invoke(app, ["data", "prepare"])
    assert result.exit_code == 2
    assert result.stderr == "r1: error: Missing option '--output' / '-o'. (see 'r1 data prepare --help')\n"
    result = runner.invoke(app, ["nope"])
    assert result.exit_code == 2 and result.stderr.startswith("r1: error: No such command 'nope'.")


def test_validate_runs_the_checks_of_the_stage_asked_for() -> None:
    args = ["config", "validate", "--grpo.num_generations", "1"]  # a GRPO rule
    zero = runner.invoke(app, [*args, "--stage", "zero"])
    assert zero.exit_code == 1 and "at least 2 generations" in zero.stderr
    generate = runner.invoke(app, [*args, "--stage", "generate"])
    assert generate.exit_code == 0, generate.output
    assert "recipe OK for generate" in generate.stdout and "memory estimate" not in generate.stdout
    sft = runner.invoke(app, [*args, "--stage", "sft"])
    assert sft.exit_code == 0 and "memory estimate for sft" in sft.stdout
    typo = runner.invoke(app, ["config", "validate", "--stage", "sf"])
    assert typo.exit_code == 1 and "unknown stage 'sf'" in typo.stderr and "did you mean 'sft'" in typo.stderr
