"""`r1 eval` bad input: one line on stderr, exit 1, nothing on stdout, nothing written."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()


@pytest.fixture
def bench(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps({"question": "What is 2 + 3?", "answer": "5"}) + "\n")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--data", "{bench}"], "no MODEL given"),
        (["eval", "r1-tiny"], "no --data given, and r1-tiny records no held-out problems"),
        (["eval", "r1-tiny", "--data", "{bench}", "{bench}"], "is a data file, not a MODEL (repeat --data"),
        (["eval", "{tmp}/nothing", "--data", "{bench}"], "does not exist"),
        (["eval", "{tmp}", "--data", "{bench}"], "is not a model directory"),
        (["eval", "r1-tiny", "--data", "{tmp}/nogold.jsonl"], "has a gold answer (columns: question, reply)"),
        (["eval", "r1-tiny", "--data", "{tmp}/missing.jsonl"], "file not found"),
        (["eval", "r1-tiny", "--data", "{bench}", "--preset", "gredy"], "did you mean 'greedy'"),
        (["eval", "r1-tiny", "--data", "{bench}", "--samples", "4"], "4 samples at temperature 0"),
        (["eval", "r1-tiny", "--data", "{bench}", "-o", "{tmp}/no/such/dir/r.json"], "is not a directory"),
    ],
)
def test_bad_input_is_one_line(tmp_path, bench, args, message):
    (tmp_path / "nogold.jsonl").write_text(json.dumps({"question": "2 + 2?", "reply": "4"}) + "\n")
    result = runner.invoke(app, [a.format(tmp=tmp_path, bench=bench) for a in args])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "no").exists()


def test_an_unknown_long_prompt_handling_is_one_line(tmp_path):
    bench = tmp_path / "b.jsonl"
    bench.write_text('{"question": "What is 1 + 1?", "answer": "2"}\n')
    result = CliRunner().invoke(app, ["eval", "r1-tiny", "--data", str(bench), "--long-prompts", "cut"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "r1: error: --long-prompts must be one of skip, truncate, not 'cut'"
