"""Command-line override parsing: the seed's syntax, typed by the key, and its legacy flags."""

from __future__ import annotations

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.recipe import load_recipe


def _get(args: list[str], key: str, stage: str = "grpo"):
    recipe = load_recipe(None, None, args, stage=stage, environ={})
    return recipe.get(key), recipe.notes


@pytest.mark.parametrize(
    "args",
    [
        ["--grpo.learning_rate", "1e-4"],
        ["--grpo.learning_rate=1e-4"],
        ["--grpo.learning_rate", "0.0001"],
    ],
)
def test_space_and_equals_forms(args: list[str]) -> None:
    value, _ = _get(args, "grpo.learning_rate")
    assert value == pytest.approx(1e-4)
    assert isinstance(value, float)


@pytest.mark.parametrize(
    "args",
    [
        ["--rewards.functions", "[accuracy,format,reasoning_steps]"],
        ["--rewards.functions=[accuracy,format,reasoning_steps]"],
        ["--rewards.functions", "[accuracy,", "format,", "reasoning_steps]"],
        ["--rewards.functions", "[accuracy, format, reasoning_steps]"],
    ],
)
def test_bracket_lists(args: list[str]) -> None:
    assert _get(args, "rewards.functions")[0] == ["accuracy", "format", "reasoning_steps"]


def test_empty_list_and_numeric_lists() -> None:
    assert _get(["--rewards.weights", "[]"], "rewards.weights")[0] == []
    assert _get(["--rewards.weights", "[1, 0.5]"], "rewards.weights")[0] == [1, 0.5]


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("false", False), ("True", True)])
def test_booleans(text: str, expected: bool) -> None:
    assert _get(["--lora.enabled", text], "lora.enabled")[0] is expected


def test_values_take_the_type_of_their_key() -> None:
    assert _get(["--model.revision", "5"], "model.revision")[0] == "5"
    assert _get(["--grpo.max_steps", "5"], "grpo.max_steps")[0] == 5
    assert _get(["--grpo.report_to", "none"], "grpo.report_to")[0] == "none"
    assert _get(["--grpo.max_steps", "-1"], "grpo.max_steps")[0] == -1


def test_wrong_type_on_the_command_line() -> None:
    with pytest.raises(R1Error, match=r"grpo\.max_steps: expected an integer, got 'many'"):
        _get(["--grpo.max_steps", "many"], "grpo.max_steps")


@pytest.mark.parametrize(
    ("args", "key", "expected"),
    [
        (["--model_name", "Qwen/Qwen2.5-7B"], "model.name_or_path", "Qwen/Qwen2.5-7B"),
        (["--learning_rate", "1e-4"], "grpo.learning_rate", 1e-4),
        (["--per_device_train_batch_size", "4"], "grpo.per_device_train_batch_size", 4),
        (["--reward_funcs", "accuracy,format"], "rewards.functions", ["accuracy", "format"]),
        (
            ["--reward_funcs", "accuracy", "format", "reasoning_steps"],
            "rewards.functions",
            ["accuracy", "format", "reasoning_steps"],
        ),
        (["--no_wandb"], "grpo.report_to", "none"),
        (["--model.name", "m"], "model.name_or_path", "m"),
    ],
)
def test_legacy_flags_work_with_a_deprecation_note(args: list[str], key: str, expected: object) -> None:
    value, notes = _get(args, key)
    assert value == expected
    assert len(notes) == 1 and "deprecated" in notes[0]


def test_legacy_flags_follow_the_stage() -> None:
    assert _get(["--learning_rate", "3e-4"], "sft.learning_rate", stage="sft")[0] == pytest.approx(3e-4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grpo.learning_rate"], "needs a value"),
        (["--rewards.functions", "[accuracy,", "format"], "--rewards.functions: unterminated list"),
        (["stray"], "unexpected argument 'stray'"),
        (["--nonsense", "1"], "unknown option --nonsense"),
        (["--grpo.learnin_rate", "1"], "did you mean 'grpo.learning_rate'"),
        (["--lora.rank", "8"], "unknown recipe key 'lora.rank'"),
        (["--grpo.reward_weights", "[1,2]"], "is set by r1.*use rewards.weights"),
    ],
)
def test_bad_overrides(args: list[str], message: str) -> None:
    with pytest.raises(R1Error, match=message):
        _get(args, "grpo.max_steps")
