"""Every help text reads whole: words in brackets ([tiny], [profiles]) are not eaten as rich markup."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from r1cli.cli.main import app

BRACKETED = re.compile(r"\\?\[([a-z][\w.]*)\]")


def _commands(command, path: tuple[str, ...] = ()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():  # a group
        yield from _commands(sub, (*path, name))


def _bracketed_words(command) -> set[str]:
    texts = [command.help or "", *(getattr(param, "help", None) or "" for param in command.params)]
    return {f"[{word}]" for text in texts for word in BRACKETED.findall(text)}


def test_bracketed_words_in_help_texts_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("typer.rich_utils.MAX_WIDTH", 2000)  # one line per text: nothing wraps mid-word
    runner = CliRunner()
    checked = 0
    for path, command in _commands(typer.main.get_command(app)):
        words = _bracketed_words(command)
        if not words:
            continue
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, result.output
        for word in words:
            assert word in result.output, f"`r1 {' '.join(path)} --help` lost {word}"
            checked += 1
    assert checked >= 2  # at least --profile's [profiles] and r1 model tiny's [tiny]


def test_root_help_lists_the_commands_in_pipeline_order():
    from r1cli.cli.main import PIPELINE_ORDER

    root = typer.main.get_command(app)
    assert set(root.commands) == set(PIPELINE_ORDER)  # a new command gets its place in the order
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = re.findall(r"^│ ([a-z]+) ", result.output, re.MULTILINE)
    assert listed == list(PIPELINE_ORDER)
    expected = ["config", "model", "data", "reward", "train", "coldstart", "sample", "distill", "eval"]
    assert [name for name in listed if name in expected] == expected
    assert listed[-4:] == ["eval", "chat", "report", "pipeline"]


def test_every_command_shows_a_one_line_example_in_its_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("typer.rich_utils.MAX_WIDTH", 2000)
    runner = CliRunner()
    leaves = [
        path for path, command in _commands(typer.main.get_command(app)) if not hasattr(command, "commands")
    ]
    assert len(leaves) >= 20
    for path in leaves:
        result = runner.invoke(app, [*path, "--help"])
        examples = [line.strip() for line in result.output.splitlines() if "Example: " in line]
        assert examples, f"`r1 {' '.join(path)} --help` has no example"
        assert examples[0].startswith(f"Example: r1 {' '.join(path)}"), examples[0]
