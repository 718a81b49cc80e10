"""`r1 pipeline run`: bad settings are one line, exit 1, before any stage runs (nothing is written)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app
from r1cli.plumbing.errors import R1Error

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--pipeline.coldstart", "magic"],
            "pipeline.coldstart = 'magic': must be one of traces, fewshot, direct",
        ),
        (
            ["--data.dataset", "data.jsonl"],
            "pipeline.coldstart = 'traces' needs a built-in task as data.dataset "
            "(synthetic:addition, synthetic:chain), got 'data.jsonl'",
        ),
        (["--pipeline.sft_steps", "0"], "pipeline.sft_steps = 0: must be an integer >= 1"),
        (["--pipeline.reject_problems", "-1"], "pipeline.reject_problems = -1: must be an integer >= 0"),
        (["--data.test_size", "0"], "data.test_size must not be 0"),
        (["--pipeline.zero_model", "last"], "pipeline.zero_model = 'last': must be one of final, best"),
        (["--pipeline.zero_model", "best"], "pipeline.zero_model = 'best' needs the GRPO stage to validate"),
        (["--dynamic_sampling.max_rounds", "-2"], "dynamic_sampling.max_rounds must be a whole number >= 0"),
        (["--until", "sfx"], "no pipeline stage 'sfx'"),
        (["--pipeline.coldstart", "none", "--until", "sft"], "pipeline.coldstart = 'none' runs no sft stage"),
    ],
)
def test_bad_settings_are_one_line_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["pipeline", "run", "--output-dir", str(out), *args])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("r1: error: ") and message in lines[0], result.output
    assert not out.exists()


def test_a_foreign_folder_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["pipeline", "run", "--output-dir", str(out)])
    assert result.exit_code == 1
    assert "is not empty and is not an earlier `r1 pipeline run` output" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_help_lists_the_command() -> None:
    result = runner.invoke(app, ["pipeline", "--help"])
    assert result.exit_code == 0 and "run" in result.output


@pytest.mark.parametrize("profile", [None, "dev"])
def test_the_gpu_pipeline_recipe_resolves_for_every_stage(profile: str | None) -> None:
    from r1cli.pipeline import check_pipeline_settings
    from r1cli.preflight.validate import validate_recipe
    from r1cli.recipe import load_recipe

    path = Path(__file__).parents[2] / "recipes" / "l40s-pipeline.toml"
    vllm_installed = importlib.util.find_spec("vllm") is not None
    overrides = [] if vllm_installed else ["--grpo.use_vllm", "false", "--generation.backend", "transformers"]
    recipe = load_recipe(path, profile, overrides, environ={}, stage="zero")
    check_pipeline_settings(recipe)
    for stage in ("sft", "distill", "generate"):
        validate_recipe(recipe, stage)
    if not vllm_installed:  # as shipped, the recipe generates through vLLM, and says what to install
        with pytest.raises(R1Error, match="vllm is not installed"):
            validate_recipe(load_recipe(path, profile, [], environ={}, stage="zero"), "generate")
    assert recipe.get("pipeline.student") == "Qwen/Qwen2.5-0.5B-Instruct"


def test_run_until_a_stage_stops_after_it(tmp_path: Path) -> None:
    from r1cli.pipeline import run_pipeline
    from r1cli.recipe import load_recipe

    recipe = load_recipe(None, None, ["--data.synthetic_size", "200"], environ={}, stage="zero")
    result = run_pipeline(recipe, tmp_path / "run", until="coldstart")
    assert [record.name for record in result.stages] == ["coldstart"]
    assert (tmp_path / "run" / "coldstart").is_dir() and not (tmp_path / "run" / "sft").exists()
    with pytest.raises(R1Error, match="no pipeline stage 'sfx'"):
        run_pipeline(recipe, tmp_path / "other", until="sfx")


def test_the_cold_start_leaves_out_the_problems_grpo_validates_on(tmp_path: Path) -> None:
    from r1cli.data import load_prepared
    from r1cli.pipeline import run_pipeline
    from r1cli.recipe import load_recipe
    from r1cli.train.validation import carve_validation

    overrides = ["--data.synthetic_size", "200", "--validation.every", "5", "--validation.size", "20"]
    recipe = load_recipe(None, None, overrides, environ={}, stage="zero")
    run_pipeline(recipe, tmp_path / "run", until="coldstart")
    train = load_prepared(tmp_path / "run" / "data")[0]["train"]
    carved = {p.row["problem"] for p in carve_validation(train, 20, int(recipe.get("data.seed")))[1]}
    lines = (tmp_path / "run" / "coldstart" / "problems.jsonl").read_text().splitlines()
    coldstart = {json.loads(line)["problem"] for line in lines}
    assert len(carved) == 20 and not carved & coldstart
    assert len(coldstart) == len(train) - 20


def test_the_chain_task_gets_its_own_worked_traces_and_refine_keeps_them_all(tmp_path: Path) -> None:
    from r1cli.data.synthetic import chain_trace
    from r1cli.pipeline import run_pipeline
    from r1cli.recipe import load_recipe

    overrides = ["--data.dataset", "synthetic:chain", "--data.synthetic_size", "50"]
    recipe = load_recipe(None, None, overrides, environ={}, stage="zero")
    run_pipeline(recipe, tmp_path / "run", until="coldstart")
    folder = tmp_path / "run" / "coldstart"
    traces = [json.loads(line) for line in (folder / "traces.jsonl").read_text().splitlines()]
    kept = (folder / "coldstart.jsonl").read_text().splitlines()
    assert len(traces) == 45 and len(kept) == 45  # refine (drop_wrong) judged every trace right
    for row in traces:
        problem = row["prompt"][-1]["content"]
        assert row["completion"] == chain_trace(problem) and row["completion"].count(" = ") == 3  # 4 operands
