"""`r1 reward score` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()

BEST = "<think>\nStep 1: I need to solve 2 + 2\nStep 2: Adding these numbers gives 4\n</think>\n\n<answer>\n4\n</answer>"
WORST = "The answer is 5 because I think so."


def rows_file(tmp_path: Path, rows: list, name: str = "in.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def scored(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_scores_the_seed_examples_to_stdout_with_a_summary_on_stderr(tmp_path: Path) -> None:
    path = rows_file(
        tmp_path,
        [
            {"id": "best", "completion": [{"role": "assistant", "content": BEST}], "solution": "#### 4"},
            {"id": "worst", "completion": WORST, "solution": r"\boxed{4}"},
        ],
    )
    result = runner.invoke(
        app, ["reward", "score", str(path), "--rewards", "accuracy,format,reasoning_steps"]
    )
    assert result.exit_code == 0, result.output
    best, worst = scored(result.stdout)
    assert best["id"] == "best"
    assert best["rewards"]["accuracy"] == 1.0
    assert best["rewards"]["format"] == 1.0
    assert round(best["rewards"]["reasoning_steps"], 3) == 0.667
    assert round(best["total"], 3) == 2.667
    assert worst == {
        "id": "worst",
        "rewards": {"accuracy": 0.0, "format": 0.0, "reasoning_steps": 0.0},
        "total": 0.0,
    }
    assert "Reward Breakdown" in result.stderr
    assert "rows/s" in result.stderr
    assert "Reward Breakdown" not in result.stdout


def test_weights_and_recipe_overrides(tmp_path: Path) -> None:
    path = rows_file(tmp_path, [{"completion": BEST, "solution": "4"}])
    result = runner.invoke(
        app,
        [
            "reward",
            "score",
            str(path),
            "--rewards",
            "format,reasoning_steps",
            "--weights",
            "2,3",
            "--rewards.reasoning_steps.min_steps",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    (row,) = scored(result.stdout)
    assert row["rewards"] == {"format": 1.0, "reasoning_steps": 1.0}
    assert row["total"] == 5.0


def test_rewards_and_weights_come_from_the_recipe(tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text('[rewards]\nfunctions = ["format", "tag_count"]\nweights = [0.5, 2.0]\n')
    path = rows_file(tmp_path, [{"completion": BEST}])
    result = runner.invoke(app, ["reward", "score", str(path), "--recipe", str(recipe)])
    assert result.exit_code == 0, result.output
    assert scored(result.stdout) == [{"rewards": {"format": 1.0, "tag_count": 1.0}, "total": 2.5}]
    # --rewards wins over the recipe; the recipe's weights still apply by name.
    result = runner.invoke(
        app, ["reward", "score", str(path), "--recipe", str(recipe), "--rewards", "tag_count"]
    )
    assert scored(result.stdout) == [{"rewards": {"tag_count": 1.0}, "total": 2.0}]


def test_output_file_is_written_atomically_and_kept_on_failure(tmp_path: Path) -> None:
    good = rows_file(tmp_path, [{"completion": BEST, "solution": "4"}])
    bad = rows_file(tmp_path, [{"completion": BEST, "solution": "4"}, {"solution": "4"}], name="bad.jsonl")
    output = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["reward", "score", str(good), "--rewards", "format", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    before = output.read_text()
    assert json.loads(before)["rewards"] == {"format": 1.0}
    result = runner.invoke(app, ["reward", "score", str(bad), "--rewards", "format", "-o", str(output)])
    assert result.exit_code == 1
    assert output.read_text() == before


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    cases = {
        "bad json": (b'{"completion": "x", "solution": "1"}\n{"completion": \n', ":2: malformed JSON"),
        "not object": (b"[1]\n", ":1: expected a JSON object, got an array"),
        "no solution": (b'{"completion": "x"}\n', ":1: has no `solution`"),
        "not utf-8": (b'{"completion": "\xff", "solution": "1"}\n', ":1: not UTF-8"),
        "empty": (b"", "has no rows to score"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(content)
        result = runner.invoke(app, ["reward", "score", str(path), "--rewards", "accuracy"])
        assert result.exit_code == 1, name
        assert message in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.output
    result = runner.invoke(app, ["reward", "score", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "input file not found" in result.stderr
    result = runner.invoke(app, ["reward", "score", str(path), "--rewards", "acuracy"])
    assert result.exit_code == 1 and "did you mean 'accuracy'" in result.stderr
    result = runner.invoke(app, ["reward", "score", str(path), "--rewards", "format", "--weights", "1,2"])
    assert result.exit_code == 1 and "--weights has 2 values for 1 rewards" in result.stderr


def test_skip_bad_scores_the_rest_and_lists_what_it_skipped(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b'{"completion": "<answer>4</answer>", "solution": "4"}\nnot json\n[2]\n{"id": 3, "completion": "4", "solution": "4"}\n'
    )
    result = runner.invoke(app, ["reward", "score", str(path), "--rewards", "accuracy", "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert [r["rewards"]["accuracy"] for r in scored(result.stdout)] == [1.0, 1.0]
    assert "line 2: malformed JSON" in result.stderr
    assert "line 3: expected a JSON object, got an array" in result.stderr
    assert "2 skipped" in result.stderr


def test_your_own_reward_from_a_file_scores_next_to_built_in_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checks.py").write_text(
        "def says_four(completions, **kwargs):\n    return [1.0 if '4' in c else 0.0 for c in completions]\n"
    )
    path = rows_file(tmp_path, [{"id": "a", "completion": BEST}, {"id": "b", "completion": WORST}])
    result = runner.invoke(app, ["reward", "score", str(path), "--rewards", "format,./checks.py:says_four"])
    assert result.exit_code == 0, result.output
    assert [row["rewards"] for row in scored(result.stdout)] == [
        {"format": 1.0, "./checks.py:says_four": 1.0},
        {"format": 0.0, "./checks.py:says_four": 0.0},
    ]
    missing = runner.invoke(app, ["reward", "score", str(path), "--rewards", "checks:nope"])
    assert (
        missing.exit_code == 1
        and missing.stderr.strip() == "r1: error: reward 'checks:nope': checks has no attribute 'nope'"
    )
