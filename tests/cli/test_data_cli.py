"""`r1 data prepare` through the real CLI entry point: shared files, options, overrides, errors."""

from __future__ import annotations

import json
import tomllib

import pytest
from conftest import SHARED_DATA, needs_shared_data
from typer.testing import CliRunner

from r1cli.cli.main import app
from r1cli.data import load_prepared, load_prompt_dataset
from r1cli.recipe.overrides import split_positionals

runner = CliRunner()


@needs_shared_data
def test_prepare_a_shared_file_then_train_reads_it(tmp_path):
    out = tmp_path / "amc"
    result = runner.invoke(
        app, ["data", "prepare", str(SHARED_DATA / "math/amc23.jsonl"), "-o", str(out), "--test-size", "5"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert "saved: 35 train + 5 test rows (prompt data)" in result.stderr
    assert "integer" in result.stderr and "random 5 rows (seed 42)" in result.stderr
    dataset = load_prompt_dataset({}, str(out))
    assert dataset["train"].features["answer"].dtype == "string"
    assert json.loads((out / "r1_prepare.json").read_text())["rows"] == {"train": 35, "test": 5}


def test_default_source_options_and_recipe_overrides(tmp_path):
    out = tmp_path / "add"
    args = [
        "data",
        "prepare",
        "-o",
        str(out),
        "--max-rows",
        "50",
        "--seed",
        "7",
        "--data.synthetic_size",
        "60",
    ]
    result = runner.invoke(app, [*args, "--data.synthetic_max", "9", "--data.system_prompt", "Be brief."])
    assert result.exit_code == 0, result.output
    dataset, mode = load_prepared(out)
    assert mode == "prompt" and (len(dataset["train"]), len(dataset["test"])) == (45, 5)
    row = dataset["train"][0]
    assert row["prompt"][0] == {"role": "system", "content": "Be brief."}
    assert int(row["answer"]) <= 18
    saved = tomllib.loads((out / "recipe.toml").read_text())  # how the folder was made, to reproduce it
    assert saved["data"]["system_prompt"] == "Be brief." and saved["data"]["seed"] == 7


def test_training_on_a_prepared_folder_notes_only_settings_it_was_not_prepared_with(tmp_path, capsys):
    from r1cli.recipe import load_recipe
    from r1cli.train.zero import _note_prepared_data

    out = tmp_path / "add"
    result = runner.invoke(app, ["data", "prepare", "-o", str(out), "--data.system_prompt", "Be brief."])
    assert result.exit_code == 0, result.output

    def notes(*overrides: str) -> str:
        capsys.readouterr()
        _note_prepared_data(load_recipe(None, None, ["--data.dataset", str(out), *overrides], environ={}))
        return capsys.readouterr().err

    assert notes("--data.test_size", "0.1") == ""  # what the folder was prepared with
    assert notes() == ""  # nothing set: nothing to say
    said = notes("--data.test_size", "0.5", "--data.seed", "42")
    assert said.startswith("r1: note: data.test_size do nothing on a prepared folder")
    assert "data.seed" not in said  # set, but to the value the folder was prepared with
    assert notes("--data.system_prompt", "Be long.") == ""  # applied to the prepared prompts: no note
    (out / "recipe.toml").unlink()  # a folder that does not say how it was made
    assert "data.test_size" in notes("--data.test_size", "0.1")


def test_a_prepared_folder_is_asked_with_its_own_prompt_unless_one_is_set(tmp_path):
    """The folder's system prompt replaces only the built-in default (as a trained folder's record does);
    a prompt the user sets is what every prepared row is asked with, in training and in generation."""
    from r1cli.cli.options import resolve_recipe
    from r1cli.data.problems import read_problems

    out = tmp_path / "add"
    result = runner.invoke(app, ["data", "prepare", "-o", str(out), "--data.system_prompt", "Be brief."])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["config", "show", "--data.dataset", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "Be brief." in shown.output and f"data {out}" in shown.output.replace("\n", "")

    def system_turns(*overrides: str) -> set[str]:
        recipe = resolve_recipe(None, None, ["--data.dataset", str(out), *overrides], validate=False)
        data_cfg = recipe.section("data")
        trained = list(load_prompt_dataset(data_cfg)["train"]["prompt"])
        asked = [p.messages for p in read_problems(str(out), data_cfg, split="test")]
        return {m[0]["content"] if m[0]["role"] == "system" else "" for m in trained + asked}

    assert system_turns() == {"Be brief."}
    assert system_turns("--data.system_prompt", "Be long.") == {"Be long."}
    assert system_turns("--data.system_prompt", "") == {""}  # no system turn at all


def test_refuses_to_overwrite_unless_asked_and_never_an_unrelated_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    args = ["data", "prepare", "synthetic:addition", "-o", str(out), "--data.synthetic_size", "20"]
    for extra in ([], ["--overwrite"]):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 1
        assert "is not an earlier `r1 data prepare` output" in result.stderr
        assert (out / "keep.txt").read_text() == "old"
    prepared = tmp_path / "prepared"
    args = ["data", "prepare", "synthetic:addition", "-o", str(prepared), "--data.synthetic_size", "20"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "--overwrite" in result.stderr
    result = runner.invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert (prepared / "dataset_dict.json").exists()


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (b'{"question": "a", "answer": "1"}\n{"question": \n', [], "rows.jsonl:2: malformed JSON"),
        (b'{"question": "a", "answer": "1"}\n', ["--answer-column", "answr"], "did you mean 'answer'?"),
        (b'{"q": "a", "answer": "1"}\n', [], "no problem column found"),
        (
            b'{"question": "a", "answer": "1"}\n',
            ["--test-size", "1.5"],
            "--test-size 1.5: must be a fraction",
        ),
    ],
)
def test_bad_input_is_one_error_line(tmp_path, content, extra, message):
    (tmp_path / "rows.jsonl").write_bytes(content)
    result = runner.invoke(
        app, ["data", "prepare", str(tmp_path / "rows.jsonl"), "-o", str(tmp_path / "o"), *extra]
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("r1: error:") and message in lines[0]
    assert not (tmp_path / "o").exists()


def test_unreachable_hub_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["data", "prepare", "openai/gsm8k", "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "cannot reach the Hugging Face Hub to load 'openai/gsm8k'" in result.stderr
    assert "local .jsonl" in result.stderr


def test_unknown_recipe_key_is_refused(tmp_path):
    result = runner.invoke(app, ["data", "prepare", "-o", str(tmp_path / "o"), "--data.test_sise", "0.2"])
    assert result.exit_code == 1 and "data.test_size" in result.stderr


def test_source_is_found_anywhere_among_the_overrides():
    assert split_positionals(["--data.seed", "3", "a.jsonl"]) == (["a.jsonl"], ["--data.seed", "3"])
    assert split_positionals(["a.jsonl", "--data.seed=3"]) == (["a.jsonl"], ["--data.seed=3"])
    lists = ["--rewards.functions", "[accuracy,", "format]", "b.jsonl"]
    assert split_positionals(lists) == (["b.jsonl"], lists[:3])
    assert split_positionals(["--data.seed", "3"]) == ([], ["--data.seed", "3"])
    # The same grammar as the overrides themselves: a legacy switch takes no value.
    assert split_positionals(["--no_wandb", "c.jsonl"]) == (["c.jsonl"], ["--no_wandb"])
