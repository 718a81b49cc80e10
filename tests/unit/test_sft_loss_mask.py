"""Which tokens SFT trains on: the assistant's part, whatever the chat template and row form."""

from __future__ import annotations

import datasets
import pytest
from trl import SFTConfig

from r1cli.models.tiny import CHAT_TEMPLATE
from r1cli.plumbing.errors import R1Error
from r1cli.recipe import load_recipe
from r1cli.recipe.schema import installed_field_name
from r1cli.train.sft import fit_loss_to_template

USER = {"role": "user", "content": "What is 2 + 3?"}
ANSWER = {"role": "assistant", "content": "<think>\n2 + 3 = 5\n</think>\n<answer>\n5\n</answer>"}
# The tiny ChatML template without its {% generation %} markers: a template trl cannot patch.
PLAIN_TEMPLATE = CHAT_TEMPLATE.replace("{%- generation -%}", "").replace("{%- endgeneration -%}", "")


@pytest.fixture(scope="module")
def tiny_tokenizer_dir() -> str:
    from r1cli.models.tiny import tiny_model_path

    return str(tiny_model_path())


def _tokenizer(path: str, chat_template: str | None):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.chat_template = chat_template
    return tokenizer


def _config(**kwargs) -> SFTConfig:
    return SFTConfig(
        output_dir="unused",
        use_cpu=True,
        bf16=False,
        report_to="none",
        **{installed_field_name("sft", "activation_checkpointing"): False},
        **kwargs,
    )


def test_generation_markers_keep_messages_and_assistant_only_loss(tiny_tokenizer_dir: str) -> None:
    rows = datasets.Dataset.from_list([{"messages": [USER, ANSWER]}])
    config = _config(assistant_only_loss=True)
    out = fit_loss_to_template(rows, _tokenizer(tiny_tokenizer_dir, CHAT_TEMPLATE), config)
    assert out.column_names == ["messages"] and config.assistant_only_loss


def test_sample_reject_rows_train_on_their_messages(tiny_tokenizer_dir: str) -> None:
    # `r1 sample reject` writes the completion beside the SFT-ready messages.
    rows = datasets.Dataset.from_list(
        [{"id": 0, "completion": ANSWER["content"], "accepted": True, "messages": [USER, ANSWER]}]
    )
    config = _config(assistant_only_loss=True)
    out = fit_loss_to_template(rows, _tokenizer(tiny_tokenizer_dir, CHAT_TEMPLATE), config)
    assert "completion" not in out.column_names and "messages" in out.column_names
    assert config.assistant_only_loss


def test_template_without_markers_trains_the_last_turn_as_a_completion(tiny_tokenizer_dir: str) -> None:
    rows = datasets.Dataset.from_list(
        [{"messages": [{"role": "system", "content": "Be brief."}, USER, ANSWER]}]
    )
    config = _config(assistant_only_loss=True)
    out = fit_loss_to_template(rows, _tokenizer(tiny_tokenizer_dir, PLAIN_TEMPLATE), config)
    assert set(out.column_names) == {"prompt", "completion"}
    assert [m["role"] for m in out[0]["prompt"]] == ["system", "user"]
    assert out[0]["completion"] == [ANSWER]
    assert config.completion_only_loss and not config.assistant_only_loss


def test_template_without_markers_and_several_assistant_turns_names_the_option(
    tiny_tokenizer_dir: str,
) -> None:
    rows = datasets.Dataset.from_list([{"messages": [USER, ANSWER, USER, ANSWER]}])
    with pytest.raises(R1Error, match="generation") as error:
        fit_loss_to_template(
            rows, _tokenizer(tiny_tokenizer_dir, PLAIN_TEMPLATE), _config(assistant_only_loss=True)
        )
    assert "--sft.assistant_only_loss false" in str(error.value)


def test_whole_conversations_when_assistant_only_loss_is_off(tiny_tokenizer_dir: str) -> None:
    rows = datasets.Dataset.from_list([{"messages": [USER, ANSWER, USER, ANSWER]}])
    out = fit_loss_to_template(
        rows, _tokenizer(tiny_tokenizer_dir, PLAIN_TEMPLATE), _config(assistant_only_loss=False)
    )
    assert out.column_names == ["messages"]


def test_text_prompt_completion_rows_become_chat_turns(tiny_tokenizer_dir: str) -> None:
    rows = datasets.Dataset.from_list([{"prompt": USER["content"], "completion": ANSWER["content"]}])
    config = _config(assistant_only_loss=True)
    out = fit_loss_to_template(rows, _tokenizer(tiny_tokenizer_dir, CHAT_TEMPLATE), config)
    assert out[0]["prompt"] == [USER] and out[0]["completion"] == [ANSWER]
    assert not config.assistant_only_loss  # trl's completion-only loss covers exactly the assistant turn


def test_messages_without_a_chat_template_are_refused(tiny_tokenizer_dir: str) -> None:
    rows = datasets.Dataset.from_list([{"messages": [USER, ANSWER]}])
    with pytest.raises(R1Error, match="no chat template"):
        fit_loss_to_template(rows, _tokenizer(tiny_tokenizer_dir, None), _config())


@pytest.mark.parametrize("stage", ["sft", "distill"])
def test_packing_is_refused_without_flash_attention(stage: str) -> None:
    from r1cli.preflight.validate import validate_recipe

    for key in ("--sft.packing", "--sft.padding_free"):
        recipe = load_recipe(None, None, [key, "true"], stage=stage)
        with pytest.raises(R1Error, match="attend to each other") as error:
            validate_recipe(recipe)
        assert "sft.packing = false" in str(error.value)
    validate_recipe(load_recipe(None, None, [], stage=stage))
    # Asked for, but flash-attn is not installed here: fitted to sdpa first, then refused.
    flash = ["--sft.packing", "true", "--model.attn_implementation", "flash_attention_2"]
    with pytest.raises(R1Error, match="is 'sdpa'"):
        validate_recipe(load_recipe(None, None, flash, stage=stage))
    validate_recipe(load_recipe(None, None, ["--sft.packing", "true"], stage="zero"))  # not an SFT stage
