"""The docstring examples are real: run them."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "r1cli.rewards.answers",
    "r1cli.rewards.completions",
    "r1cli.rewards.latex_text",
    "r1cli.rewards.numbers",
    "r1cli.rewards.format",
    "r1cli.rewards.accuracy",
    "r1cli.rewards.length",
    "r1cli.rewards.language",
    "r1cli.rewards.quick",
    "r1cli.rewards.answer_kinds",
    "r1cli.plumbing.jsonl",
    "r1cli.plumbing.paths",
    "r1cli.data.split",
    "r1cli.data.synthetic",
    "r1cli.data.problems",
    "r1cli.generation.engine",
    "r1cli.models.prompting",
    "r1cli.rewards.custom",
    "r1cli.train.completions_log",
    "r1cli.report.samples",
    "r1cli.report.bands",
    "r1cli.report.summary",
    "r1cli.models.environment",
    "r1cli.recipe.builtin_recipes",
    "r1cli.train.callbacks",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0
