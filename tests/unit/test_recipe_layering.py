"""Recipe layering: each precedence pair, provenance, profiles, environment variables."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.recipe import load_recipe

LAYERS = ["default", "recipe", "profile", "env", "cli"]
KEY = "grpo.max_steps"
VALUE = {"recipe": 11, "profile": 12, "env": 13, "cli": 14}


def _resolve(tmp_path: Path, layers: set[str]):
    lines = []
    if "recipe" in layers:
        lines += ["[grpo]", f"max_steps = {VALUE['recipe']}"]
    lines += ["[profiles.p]", f'"{KEY}" = {VALUE["profile"]}']
    path = tmp_path / "r.toml"
    path.write_text("\n".join(lines) + "\n")
    environ = {"R1_GRPO__MAX_STEPS": str(VALUE["env"])} if "env" in layers else {}
    overrides = ["--grpo.max_steps", str(VALUE["cli"])] if "cli" in layers else []
    profile = "p" if "profile" in layers else None
    return load_recipe(path, profile, overrides, environ=environ)


@pytest.mark.parametrize(("low", "high"), list(itertools.combinations(LAYERS, 2)))
def test_higher_layer_wins(tmp_path: Path, low: str, high: str) -> None:
    recipe = _resolve(tmp_path, {low, high} - {"default"})
    assert recipe.get(KEY) == VALUE[high]
    assert recipe.sources[KEY].startswith(high)


def test_defaults_alone_are_the_tiny_cpu_recipe() -> None:
    recipe = load_recipe(environ={})
    assert recipe.get("model.name_or_path") == "r1-tiny"
    assert recipe.get("data.dataset") == "synthetic:addition"
    assert recipe.sources["grpo.learning_rate"] == "default"


def test_shipped_tiny_recipe_matches_the_embedded_default() -> None:
    shipped = load_recipe(Path(__file__).parents[2] / "recipes" / "tiny-cpu.toml", environ={})
    assert shipped.tree == load_recipe(environ={}).tree


def test_nested_profile_tables_and_quoted_dotted_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[profiles.a.grpo]\nmax_steps = 3\n[profiles.b]\n"rewards.cosine.max_len" = 77\n')
    assert load_recipe(path, "a", environ={}).get("grpo.max_steps") == 3
    assert load_recipe(path, "b", environ={}).get("rewards.cosine.max_len") == 77


def test_unknown_profile_lists_the_available_ones(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[profiles.dev]\n"grpo.max_steps" = 3\n')
    with pytest.raises(R1Error, match="unknown profile 'prod'") as info:
        load_recipe(path, "prod", environ={})
    assert "dev" in str(info.value)


def test_env_variables_nest_on_double_underscore_and_ignore_others() -> None:
    environ = {"R1_REWARDS__COSINE__MAX_LEN": "500", "R1_DEBUG": "1", "R1_CACHE": "/tmp/x"}
    recipe = load_recipe(environ=environ)
    assert recipe.get("rewards.cosine.max_len") == 500
    assert recipe.sources["rewards.cosine.max_len"] == "env R1_REWARDS__COSINE__MAX_LEN"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[grpo]\nlearning_rat = 1e-4\n", "did you mean 'grpo.learning_rate'"),
        ("[modle]\nname_or_path = 'x'\n", "did you mean 'model'"),
        ("[lora]\nr = 'sixteen'\n", "lora.r: expected an integer"),
        ("[grpo]\nmax_steps = 'ten'\n", "grpo.max_steps: expected an integer"),
        ("[rewards]\ncosine = 3\n", "is a table, not a value"),
        ("[grpo\n", "not valid TOML"),
    ],
)
def test_bad_recipe_files_fail_with_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(R1Error, match=message) as info:
        load_recipe(path, environ={})
    assert "\n" not in str(info.value)


def test_missing_recipe_file(tmp_path: Path) -> None:
    with pytest.raises(R1Error, match="recipe file not found"):
        load_recipe(tmp_path / "nope.toml", environ={})


def test_a_file_or_profile_sets_keys_to_none_with_unset(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        'unset = ["grpo.dataloader_prefetch_factor"]\n[grpo]\nmax_completion_length = 8\n'
        '[profiles.cpu]\nunset = ["grpo.max_completion_length"]\n'
    )
    recipe = load_recipe(path, "cpu", environ={})
    assert recipe.get("grpo.dataloader_prefetch_factor", "absent") is None
    assert recipe.get("grpo.max_completion_length", "absent") is None
    assert recipe.sources["grpo.max_completion_length"] == "profile cpu"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('unset = ["grpo.max_steps"]\n', "grpo.max_steps cannot be unset: it takes an integer"),
        ('unset = "grpo.seed"\n', "must be a list of dotted keys"),
        ('unset = ["grpo.no_such_key"]\n', "unknown recipe key 'grpo.no_such_key'"),
    ],
)
def test_bad_unset_lists_fail_with_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(R1Error, match=message):
        load_recipe(path, environ={})


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("grpo.dataloader_prefetch_factor", "null"),
        ("grpo.max_completion_length", "none"),
        ("grpo.learning_rate", "inf"),
        ("data.system_prompt", 'line one\nline "two"\t\u2028 end'),
        ("rewards.functions", "[accuracy,format]"),
        ("grpo.report_to", "[]"),
        ("model.revision", "5"),
    ],
)
def test_every_override_value_renders_and_loads_back_unchanged(tmp_path: Path, key: str, raw: str) -> None:
    """The saved recipe.toml of a run is its resume base: any value an override gives must survive it."""
    from r1cli.recipe.render import render_recipe

    recipe = load_recipe(None, None, [f"--{key}", raw], environ={})
    for portable in (False, True):
        saved = tmp_path / f"recipe-{portable}.toml"
        saved.write_text(render_recipe(recipe, portable=portable))
        again = load_recipe(saved, environ={})
        assert again.get(key, "absent") == recipe.get(key)
        assert again.tree == recipe.tree
