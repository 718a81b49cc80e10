"""Chat templates that open `<think>` in the prompt (DeepSeek-R1 distills, Qwen3 thinking): the completion
starts inside the reasoning, and the format rewards and training statistics read it that way, per row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app
from r1cli.rewards.format import format_reward, make_reasoning_steps, tag_count_reward
from r1cli.rewards.language import language_consistency_reward
from r1cli.train.stats import RewardRecorder

# What a model behind a <think>-opening template writes: no opening tag.
INSIDE = "Step 1: 2 + 2 = 4\nStep 2: check it\n</think>\n<answer>\n4\n</answer>"
# What a model behind an ordinary template writes.
WHOLE = "<think>\nStep 1: 2 + 2 = 4\nStep 2: check it\n</think>\n<answer>\n4\n</answer>"
QUESTION = [{"role": "user", "content": "What is 2 + 2?"}]


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory) -> dict:
    """The tiny model's tokenizer as built (its template does not open <think>), and a copy whose
    generation prompt ends with `<think>\\n` the way DeepSeek-R1 distills' templates do."""
    from transformers import AutoTokenizer

    from r1cli.models.tiny import build_tiny_model

    model_dir = build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    plain = AutoTokenizer.from_pretrained(model_dir)
    opening = AutoTokenizer.from_pretrained(model_dir)
    generation_prompt = "{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
    assert plain.chat_template.endswith(generation_prompt)
    opening.chat_template = plain.chat_template.replace(
        generation_prompt, "{{- '<|im_start|>assistant\\n<think>\\n' -}}{%- endif -%}"
    )
    return {"plain": plain, "opening": opening}


def rendered(tokenizer, messages=QUESTION) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def test_rewards_read_the_completion_as_inside_an_opened_think(tokenizers) -> None:
    opening, plain = rendered(tokenizers["opening"]), rendered(tokenizers["plain"])
    assert opening.endswith("<think>\n") and not plain.rstrip().endswith("<think>")
    completions = [INSIDE, WHOLE, INSIDE, WHOLE]
    prompts = [opening, opening, plain, plain]
    # Inside an opened <think>, a second <think> is a format error; without one, the tag is required.
    assert format_reward(completions, prompts=prompts) == [1.0, 0.0, 0.0, 1.0]
    assert tag_count_reward(completions, prompts=prompts) == [1.0, 0.75, 0.75, 1.0]
    assert make_reasoning_steps(2)(completions, prompts=prompts) == [1.0] * 4
    # Without any prompt, nothing is opened: today's behaviour.
    assert format_reward(completions) == [0.0, 1.0, 0.0, 1.0]


def test_chat_prompts_are_judged_by_their_rendered_text_row_by_row(tokenizers) -> None:
    """As in training: trl passes chat prompts as messages, r1 adds the rendered text as a column."""
    russian = [{"role": "user", "content": "Сколько будет два плюс два?"}]
    completions = ["Сначала сложим числа</think><answer>4</answer>"] * 2
    kwargs = {
        "prompts": [russian, russian],
        "rendered_prompt": [rendered(tokenizers["opening"], russian), rendered(tokenizers["plain"], russian)],
    }
    assert format_reward(completions, **kwargs) == [1.0, 0.0]
    # Inside the opened <think> the words are reasoning, in the prompt's script; otherwise only "4".
    assert language_consistency_reward(completions, **kwargs) == [1.0, None]
    # A prefilled assistant turn that ends with <think> opens it too.
    prefilled = [*QUESTION, {"role": "assistant", "content": "<think>\n"}]
    assert format_reward([INSIDE], prompts=[prefilled]) == [1.0]


def test_train_zero_adds_the_rendered_prompt_column(tokenizers) -> None:
    from datasets import Dataset, DatasetDict

    from r1cli.train.zero import with_rendered_prompts

    chat = DatasetDict({"train": Dataset.from_dict({"prompt": [QUESTION], "solution": ["4"]})})
    opened = with_rendered_prompts(chat, tokenizers["opening"])["train"][0]["rendered_prompt"]
    assert opened == rendered(tokenizers["opening"]) and opened.endswith("<think>\n")
    closed = with_rendered_prompts(chat, tokenizers["plain"])["train"][0]["rendered_prompt"]
    assert not closed.rstrip().endswith("<think>")
    text = DatasetDict({"train": Dataset.from_dict({"prompt": ["What is 2 + 2?"], "solution": ["4"]})})
    assert "rendered_prompt" not in with_rendered_prompts(text, tokenizers["opening"])["train"].column_names


def test_training_statistics_count_the_opened_think(tokenizers) -> None:
    recorder = RewardRecorder(["format"], [1.0])
    (wrapped,) = recorder.wrap([format_reward])
    opening = rendered(tokenizers["opening"])
    completions = [[{"role": "assistant", "content": INSIDE}]] * 2
    assert wrapped(prompts=[QUESTION] * 2, completions=completions, rendered_prompt=[opening] * 2) == [
        1.0,
        1.0,
    ]
    window = recorder.consume()
    assert window.format_ok == 2
    assert window.think_count == 2 and window.think_chars == 2 * len("Step 1: 2 + 2 = 4\nStep 2: check it")
    wrapped(prompts=[QUESTION] * 2, completions=completions)  # no rendered text: nothing opened
    window = recorder.consume()
    assert window.format_ok == 0 and window.think_count == 0


def test_reward_score_rows_may_carry_the_rendered_prompt(tokenizers, tmp_path: Path) -> None:
    rows = [
        {"id": "text", "prompt": rendered(tokenizers["opening"]), "completion": INSIDE},
        {
            "id": "chat",
            "prompt": QUESTION,
            "rendered_prompt": rendered(tokenizers["opening"]),
            "completion": INSIDE,
        },
        {"id": "plain", "prompt": rendered(tokenizers["plain"]), "completion": INSIDE},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["reward", "score", str(path), "--rewards", "format,tag_count"])
    assert result.exit_code == 0, result.output
    scores = {row["id"]: row["rewards"] for row in map(json.loads, result.stdout.splitlines())}
    assert scores == {
        "text": {"format": 1.0, "tag_count": 1.0},
        "chat": {"format": 1.0, "tag_count": 1.0},
        "plain": {"format": 0.0, "tag_count": 0.75},
    }
    path.write_text(json.dumps({"completion": INSIDE, "rendered_prompt": QUESTION}) + "\n", encoding="utf-8")
    bad = CliRunner().invoke(app, ["reward", "score", str(path), "--rewards", "format"])
    assert bad.exit_code == 1
    assert ":1: `rendered_prompt` must be a string" in " ".join(bad.stderr.split())
