"""A folder `r1 train sft` wrote is asked as it was trained, with no prompt flag: chat, eval, sample reject
(coldstart and distill --teacher resolve their recipe through the same resolve_generate_recipe / model
layer), and config show names where the value came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
TRAINED_WITH = "Reply in the R1 format, briefly."
FAST = ["--generation.max_new_tokens", "4"]


@pytest.fixture(scope="module")
def sft_dir(tmp_path_factory) -> Path:
    """Two SFT steps on rows whose system turn is TRAINED_WITH (not r1's default)."""
    tmp = tmp_path_factory.mktemp("carried")
    rows = [
        {
            "messages": [
                {"role": "system", "content": TRAINED_WITH},
                {"role": "user", "content": f"What is {i} + 1?"},
                {
                    "role": "assistant",
                    "content": f"<think>\n{i} + 1 = {i + 1}\n</think>\n<answer>\n{i + 1}\n</answer>",
                },
            ]
        }
        for i in range(8)
    ]
    data = tmp / "sft.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp / "sft"
    args = ["train", "sft", "--data", str(data), "-o", str(out), "--sft.max_steps", "2"]
    result = runner.invoke(app, [*args, "--sft.per_device_train_batch_size", "4"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def problems(tmp_path: Path) -> Path:
    path = tmp_path / "problems.jsonl"
    path.write_text(
        "".join(json.dumps({"question": f"What is {i} + 2?", "answer": str(i + 2)}) + "\n" for i in range(2))
    )
    return path


def test_the_folder_records_its_prompt_and_config_show_names_it(sft_dir: Path) -> None:
    assert json.loads((sft_dir / "r1_prompt.json").read_text()) == {"system_prompt": TRAINED_WITH}
    shown = runner.invoke(app, ["config", "show", "--model.name_or_path", str(sft_dir)])
    assert shown.exit_code == 0, shown.output
    line = next(line for line in shown.stdout.splitlines() if line.startswith("system_prompt"))
    assert json.dumps(TRAINED_WITH) in line and f"# model {sft_dir / 'r1_prompt.json'}" in line
    info = runner.invoke(app, ["model", "info", str(sft_dir), "--json"])
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["trained_system_prompt"] == TRAINED_WITH


def test_chat_asks_with_the_trained_prompt_unless_told_otherwise(sft_dir: Path, monkeypatch) -> None:
    import r1cli.chat

    seen: list[str] = []
    monkeypatch.setattr(
        r1cli.chat, "ask", lambda session, question, full: seen.append(session.settings.system_prompt) or ""
    )
    for extra in ([], ["--system", "Mine."], ["--data.system_prompt", "From the flag."]):
        result = runner.invoke(app, ["chat", str(sft_dir), "-p", "hi", *extra])
        assert result.exit_code == 0, result.output
    assert seen == [TRAINED_WITH, "Mine.", "From the flag."]


def test_sample_reject_and_eval_prompt_the_folder_as_it_was_trained(
    sft_dir: Path, problems: Path, tmp_path: Path
) -> None:
    out = tmp_path / "samples.jsonl"
    result = runner.invoke(
        app,
        [
            "sample",
            "reject",
            "-m",
            str(sft_dir),
            "--data",
            str(problems),
            "-o",
            str(out),
            "-k",
            "2",
            "--keep-all",
            *FAST,
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(row["messages"][0] == {"role": "system", "content": TRAINED_WITH} for row in rows)

    scored = runner.invoke(
        app,
        [
            "eval",
            str(sft_dir),
            "--data",
            str(problems),
            "--max-new-tokens",
            "4",
            "-o",
            str(tmp_path / "r.json"),
        ],
    )
    assert scored.exit_code == 0, scored.output
    (generations,) = (tmp_path / "r.json.generations").glob("*.jsonl")
    settings = json.loads(Path(f"{generations}.r1.json").read_text())
    from r1cli.data.problems import read_problems
    from r1cli.generation.engine import prompts_digest

    asked = read_problems(problems, {"system_prompt": TRAINED_WITH}, split="test")
    assert settings["settings"]["prompts"] == prompts_digest(asked)


def test_eval_on_a_folder_prepared_with_another_prompt_asks_as_the_model_was_trained(
    sft_dir: Path, tmp_path: Path
) -> None:
    """The model's record wins over the prompt baked into a prepared folder's rows."""
    from r1cli.data.problems import read_problems
    from r1cli.generation.engine import prompts_digest

    data = tmp_path / "data"
    args = ["data", "prepare", "-o", str(data), "--data.synthetic_size", "20"]
    prepared = runner.invoke(app, [*args, "--data.system_prompt", "Prepared with this."])
    assert prepared.exit_code == 0, prepared.output
    evaluate = ["eval", str(sft_dir), "--data", str(data), "--limit", "2", "--max-new-tokens", "4"]
    scored = runner.invoke(app, [*evaluate, "-o", str(tmp_path / "r.json")])
    assert scored.exit_code == 0, scored.output
    (generations,) = (tmp_path / "r.json.generations").glob("*.jsonl")
    settings = json.loads(Path(f"{generations}.r1.json").read_text())
    asked = read_problems(data, {"system_prompt": TRAINED_WITH}, split="test")[:2]
    assert asked[0].messages[0] == {"role": "system", "content": TRAINED_WITH}
    assert settings["settings"]["prompts"] == prompts_digest(asked)
