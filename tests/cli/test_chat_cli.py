"""`r1 chat` one-shot through the CLI: the answer alone on stdout, --full, -p -, one-line errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from r1cli.chat import answer_text
from r1cli.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    from r1cli.models.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("chat") / "tiny", {})


@pytest.mark.slow
def test_one_question_prints_the_answer_alone(tiny_dir):
    greedy = ["--temperature", "0", "--max-new-tokens", "12"]
    full = runner.invoke(app, ["chat", str(tiny_dir), "-p", "What is 2 + 3?", "--full", *greedy])
    assert full.exit_code == 0, full.output
    assert full.stdout.strip() and full.stdout.endswith("\n")
    assert full.stderr == ""
    answer = runner.invoke(app, ["chat", str(tiny_dir), "-p", "What is 2 + 3?", *greedy])
    assert answer.exit_code == 0, answer.output
    assert answer.stdout.strip() == answer_text(full.stdout)
    piped = runner.invoke(
        app, ["chat", str(tiny_dir), "-p", "-", "--full", *greedy], input="What is 2 + 3?\n"
    )
    assert piped.exit_code == 0 and piped.stdout == full.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chat", "{tmp}/missing", "-p", "hi"], "does not exist"),
        (["chat", "{tmp}", "-p", "hi"], "is not a model directory"),
        (["chat", "{tmp}", "-p", "   "], "the question is empty"),
        (["chat", "{tmp}", "-p", "hi", "--system", "x", "--no-system"], "contradict"),
        (["chat", "-p", "hi"], "takes one MODEL, got 0"),
        (["chat", "{tmp}", "{tmp}", "-p", "hi"], "takes one MODEL, got 2"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    result = runner.invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr and result.stdout == ""
