"""The reward registry: names, builders from the recipe's [rewards] table, weights."""

from __future__ import annotations

import importlib.resources
import tomllib

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.registry import (
    NEEDS_SOLUTION,
    REWARD_NAMES,
    build_reward_functions,
    check_reward_names,
    reward_weights,
)


def defaults() -> dict:
    text = importlib.resources.files("r1cli.recipe").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["rewards"]


def test_every_reward_builds_from_the_defaults_with_its_registry_name() -> None:
    functions = build_reward_functions(defaults(), list(REWARD_NAMES))
    assert [f.__name__ for f in functions] == list(REWARD_NAMES)
    assert set(REWARD_NAMES) >= NEEDS_SOLUTION
    text = "<think>\nStep 1: 2 + 2 = 4\n</think>\n<answer>\n4\n</answer>"
    kwargs = {
        "prompts": ["What is 2 + 2?"],
        "completion_ids": [[1] * 10],
        "solution": ["#### 4"],
        "trainer_state": None,
    }
    for function in functions:
        values = function(completions=[[{"role": "assistant", "content": text}]], **kwargs)
        assert len(values) == 1, function.__name__
        assert values[0] is None or isinstance(values[0], float), function.__name__


def test_default_functions_and_weights() -> None:
    cfg = defaults()
    assert [f.__name__ for f in build_reward_functions(cfg)] == cfg["functions"]
    assert reward_weights(cfg) == [1.0] * len(cfg["functions"])
    cfg |= {"functions": ["accuracy", "format"], "weights": [2, 0.5]}
    assert reward_weights(cfg) == [2.0, 0.5]
    assert reward_weights(cfg, ["format", "tag_count"]) == [0.5, 1.0]  # matched by name


def test_sub_tables_configure_the_rewards() -> None:
    cfg = defaults() | {"reasoning_steps": {"min_steps": 1}, "soft_overlong": {"max_length": 4, "cache": 2}}
    steps, overlong = build_reward_functions(cfg, ["reasoning_steps", "soft_overlong"])
    assert steps(["Step 1: done"]) == [1.0]
    assert overlong(["a b c"]) == [-0.5]


def test_mistakes_are_user_errors() -> None:
    with pytest.raises(R1Error, match="did you mean 'accuracy'"):
        check_reward_names(["acuracy"])
    with pytest.raises(R1Error, match="twice"):
        check_reward_names(["format", "format"])
    with pytest.raises(R1Error, match="no reward"):
        check_reward_names([])
    with pytest.raises(R1Error, match="weights"):
        reward_weights(defaults() | {"functions": ["accuracy", "format"], "weights": [1.0]})
    with pytest.raises(R1Error, match="not a number"):
        reward_weights(defaults() | {"functions": ["accuracy", "format"], "weights": [1.0, "x"]})
    with pytest.raises(R1Error, match="does not take"):
        build_reward_functions(defaults() | {"cosine": {"max_lenght": 5}}, ["cosine"])
    with pytest.raises(R1Error, match="timeout"):
        build_reward_functions(defaults() | {"timeout": 0}, ["accuracy"])
    with pytest.raises(R1Error, match="workers"):
        build_reward_functions(defaults() | {"workers": -1}, ["cosine"])
