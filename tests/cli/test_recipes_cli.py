"""`r1 recipes list|show|copy` and `--recipe NAME`: the recipes that ship inside the package."""

from __future__ import annotations

import filecmp
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from r1cli.cli.main import app
from r1cli.recipe import load_recipe
from r1cli.recipe.builtin_recipes import BUILTIN_DIR, builtin_names

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def test_the_recipes_ship_inside_the_package_and_the_top_level_folder_shows_the_same_files():
    assert BUILTIN_DIR.is_relative_to(REPO / "r1cli")  # hatchling packages r1cli/: a wheel has them
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["r1cli"]
    shipped = sorted(p.relative_to(BUILTIN_DIR) for p in BUILTIN_DIR.rglob("*") if p.is_file())
    assert {"tiny-cpu.toml", "l40s.toml", "l40s-qlora.toml", "l40s-pipeline.toml"} <= {
        str(p) for p in shipped
    }
    assert any(str(p).startswith("accelerate/") for p in shipped)
    for relative in shipped:  # README's `--recipe recipes/l40s.toml` reads the same file
        assert filecmp.cmp(REPO / "recipes" / relative, BUILTIN_DIR / relative, shallow=False)


def test_list_shows_name_model_and_gpu_need_of_each():
    result = runner.invoke(app, ["recipes", "list"])
    assert result.exit_code == 0, result.output
    rows = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()[1:]}
    assert set(rows) == set(builtin_names())
    assert rows["tiny-cpu"][1:3] == ["r1-tiny", "none (CPU)"]
    assert rows["l40s"][1] == "Qwen/Qwen2.5-0.5B-Instruct" and "48 GB" in rows["l40s"][2]
    assert "4-bit" in rows["l40s-qlora"][2]
    assert all(row[3] for row in rows.values())  # one line each


def test_show_prints_the_toml_that_recipe_name_reads():
    result = runner.invoke(app, ["recipes", "show", "l40s"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (BUILTIN_DIR / "l40s.toml").read_text()
    assert tomllib.loads(result.stdout)["model"]["name_or_path"] == "Qwen/Qwen2.5-0.5B-Instruct"


def test_an_unknown_name_is_one_line_with_a_suggestion():
    result = runner.invoke(app, ["recipes", "show", "l40"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "r1: error: no built-in recipe 'l40' (did you mean 'l40s'?)"


def test_copy_writes_an_editable_file_and_never_replaces_one_silently(tmp_path):
    target = tmp_path / "mine.toml"
    result = runner.invoke(app, ["recipes", "copy", "l40s-qlora", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(target)
    assert target.read_text() == (BUILTIN_DIR / "l40s-qlora.toml").read_text()
    again = runner.invoke(app, ["recipes", "copy", "l40s", str(target)])
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert target.read_text() == (BUILTIN_DIR / "l40s-qlora.toml").read_text()
    into_folder = runner.invoke(app, ["recipes", "copy", "accelerate/zero2", str(tmp_path)])
    assert into_folder.exit_code == 0, into_folder.output
    assert (tmp_path / "zero2.yaml").is_file()


def test_recipe_option_takes_a_built_in_name_and_a_path_wins(tmp_path, monkeypatch):
    by_name = load_recipe("l40s")
    assert by_name.get("model.name_or_path") == "Qwen/Qwen2.5-0.5B-Instruct"
    assert by_name.sources["model.name_or_path"] == "recipe l40s.toml"
    monkeypatch.chdir(tmp_path)
    Path("l40s").write_text('[model]\nname_or_path = "mine"\n')
    assert load_recipe("l40s").get("model.name_or_path") == "mine"
    shown = runner.invoke(app, ["config", "show", "--recipe", "l40s-qlora"])
    assert shown.exit_code == 0, shown.output
    assert 'name_or_path        = "Qwen/Qwen2.5-7B-Instruct"' in shown.stdout


def test_a_recipe_that_is_neither_a_file_nor_a_built_in_name_is_one_line():
    result = runner.invoke(app, ["config", "show", "--recipe", "l40s-qlor"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "r1: error: recipe file not found: l40s-qlor (did you mean 'l40s-qlora'?)"
