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
