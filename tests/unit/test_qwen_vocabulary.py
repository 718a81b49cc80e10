"""r1's tag handling on Qwen2.5's real vocabulary, where `<think>` is three tokens (`<th`, `ink`, `>`) and
`>` merges with what follows (`>\\n`, `><`): the rewards, the training statistics, the think-prefill test
and chat's rendering, fed text decoded token by token as a stream delivers it. The look-alike's tokenizer
(tests/qwen_lookalike.py) is built once per session (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
import qwen_lookalike

from r1cli.chat import TagRenderer
from r1cli.rewards.completions import opens_think
from r1cli.rewards.format import format_reward, tag_count_reward
from r1cli.train.stats import RewardRecorder

WELL_FORMED = "<think>\n2 + 3 = 5\n</think>\n<answer>\n5\n</answer>"


@pytest.fixture(scope="module")
def tokenizer(qwen_tokenizer_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(qwen_tokenizer_dir)


def _stream(tokenizer, text: str) -> list[str]:
    """`text` as a stream delivers it: the new text after each token, decoded from the ids so far."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    chunks, shown = [], ""
    for end in range(1, len(ids) + 1):
        decoded = tokenizer.decode(ids[:end], skip_special_tokens=True)
        chunks.append(decoded[len(shown) :])
        shown = decoded
    return chunks


def test_the_look_alike_encodes_as_qwen2_does(tokenizer) -> None:
    assert tokenizer("Hello, world!")["input_ids"] == [9707, 11, 1879, 0]
    assert tokenizer.convert_tokens_to_ids(
        ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|file_sep|>"]
    ) == [
        151643,
        151644,
        151645,
        151664,
    ]
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.bos_token is None and len(tokenizer) == 151665
    # The tags are several ordinary tokens, and digits are one token each.
    assert tokenizer.tokenize("<think>") == ["<th", "ink", ">"]
    assert tokenizer.tokenize("</think>\n<answer>12</answer>") == [
        "</", "think", ">Ċ", "<", "answer", ">", "1", "2", "</", "answer", ">",
    ]  # fmt: skip


def test_the_template_adds_qwens_system_turn_unless_one_is_given(tokenizer) -> None:
    user = [{"role": "user", "content": "What is 2 + 3?"}]
    text = tokenizer.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
    assert text == (
        f"<|im_start|>system\n{qwen_lookalike.DEFAULT_SYSTEM}<|im_end|>\n"
        "<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n"
    )
    own = [{"role": "system", "content": "Think first."}, *user]
    assert "You are Qwen" not in tokenizer.apply_chat_template(own, tokenize=False)
    assert not opens_think(text)
    assert opens_think(text + "<think>\n")


def test_rewards_score_completions_decoded_from_qwen_tokens(tokenizer) -> None:
    ids = tokenizer(WELL_FORMED, add_special_tokens=False)["input_ids"]
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    decoded = tokenizer.decode([*ids, eos], skip_special_tokens=True)  # as GRPO hands completions over
    assert decoded == WELL_FORMED
    assert format_reward([decoded]) == [1.0]
    assert tag_count_reward([decoded]) == [1.0]


def test_a_completion_cut_inside_a_tag_is_scored_as_unfinished(tokenizer) -> None:
    """max_completion_length can stop a completion between the tokens of a tag: `</` or `</answer` (no `>`)
    is no `</answer>`. Every token prefix of a well-formed completion fails the format reward, and one cut
    inside the closing tag keeps the quarter points of the three tags it has."""
    ids = tokenizer(WELL_FORMED, add_special_tokens=False)["input_ids"]
    prefixes = [tokenizer.decode(ids[:end]) for end in range(1, len(ids) + 1)]
    assert format_reward(prefixes) == [0.0] * (len(ids) - 1) + [1.0]
    inside_closing = [p for p in prefixes if p.endswith(("</", "</answer"))]
    assert inside_closing and inside_closing[-1].endswith("5\n</answer")
    assert tag_count_reward(inside_closing[-1:]) == [0.75]
    assert tag_count_reward(["<think>\n2 + 3 = 5\n</think>\n<answer>\n5\n</ans"]) == [0.75]
    # Cut inside </think>: only <think> counts.
    assert tag_count_reward(["<think>\n2 + 3 = 5\n</th"]) == [0.25]


def test_training_statistics_read_tags_made_of_several_tokens(tokenizer) -> None:
    recorder = RewardRecorder(["format"], [1.0])
    (wrapped,) = recorder.wrap([format_reward])
    ids = tokenizer(WELL_FORMED, add_special_tokens=False)["input_ids"]
    cut = tokenizer.decode(ids[:-2])  # ends inside </answer>
    completions = [[{"role": "assistant", "content": t}] for t in (WELL_FORMED, cut)]
    prompts = [[{"role": "user", "content": "What is 2 + 3?"}]] * 2
    assert wrapped(prompts=prompts, completions=completions, completion_ids=[ids, ids[:-2]]) == [1.0, 0.0]
    window = recorder.consume()
    assert window.samples == 2 and window.format_ok == 1
    assert window.think_count == 2 and window.answer_count == 2
    assert window.completion_tokens == 2 * len(ids) - 2


def test_chat_renders_tags_streamed_token_by_token(tokenizer) -> None:
    chunks = _stream(tokenizer, WELL_FORMED)
    assert len(chunks) > 10 and "<think>" not in chunks  # the tag arrives in pieces
    renderer = TagRenderer()
    pieces = [piece for chunk in chunks for piece in renderer.feed(chunk)] + renderer.flush()
    assert [text for kind, text in pieces if kind == "tag"] == [
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
    ]
    answer = "".join(text for kind, text in pieces if kind == "answer")
    assert answer.strip() == "5"
    think = "".join(text for kind, text in pieces if kind == "think")
    assert think.strip() == "2 + 3 = 5"


def test_chat_keeps_a_reply_cut_inside_a_tag(tokenizer) -> None:
    """A reply stopped by max_new_tokens inside `</ans` shows that text, not nothing."""
    chunks = _stream(tokenizer, "<think>\nok\n</think>\n<answer>\n5\n</ans")
    renderer = TagRenderer()
    pieces = [piece for chunk in chunks for piece in renderer.feed(chunk)] + renderer.flush()
    assert "".join(text for _, text in pieces).endswith("5\n</ans")
