"""Supervised fine-tuning: trl's SFTTrainer on chat data, straight from a recipe.

    r1 train sft --data coldstart.jsonl                       # the tiny CPU recipe, messages rows
    r1 train sft --data data/sft --model.name_or_path runs/zero   # SFT stage 2 from the GRPO model
    r1 train sft --output-dir runs/sft --resume               # continue from the last checkpoint

`[sft]` is passed to trl's SFTConfig. Data: `messages` rows (what `r1 coldstart` and `r1 sample reject`
write), `prompt`/`completion` rows, or ShareGPT `conversations` (+ a `system` column, kept as the first
turn), from a file, a folder, a `r1 data prepare --sft` output or a hub id. The loss covers the
assistant's part only (`sft.assistant_only_loss`, on by default): through the chat template's
`{% generation %}` markers, or, for a template without them, by training on the last assistant turn as
a completion. The output directory is laid out like `r1 train zero`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from r1cli.models.loading import model_settings
from r1cli.models.prompting import system_prompt_of_dataset
from r1cli.plumbing.errors import R1Error
from r1cli.recipe import Recipe
from r1cli.train.output import TrainResult, no_trace_if_refused, start_run, train_and_save

# The recipe sections that decide what SFT trains: a resumed run must keep them.
TRAINED_SECTIONS = ("model", "tiny", "quantization", "lora", "data", "sft")


# The recipe sections that say how to load a model (what r1cli.models.loading reads).
def _has_generation_markers(template: Any) -> bool:
    from trl.chat_template_utils import has_generation_markers

    return bool(template) and has_generation_markers(template)


def _trl_training_template(tokenizer: Any) -> bool:
    """Whether trl knows a version of this chat template with {% generation %} markers."""
    from trl.chat_template_utils import get_training_chat_template

    try:
        get_training_chat_template(tokenizer)
    except ValueError:
        return False
    return True


def _last_turn_as_completion(row: dict[str, Any]) -> dict[str, Any]:
    messages = row["messages"]
    return {"prompt": messages[:-1], "completion": messages[-1:]}


def _as_chat_turns(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt": [{"role": "user", "content": row["prompt"]}],
        "completion": [{"role": "assistant", "content": row["completion"]}],
    }


def fit_loss_to_template(dataset: Any, tokenizer: Any, config: Any) -> Any:
    """The training rows and `config` set so that the loss covers what `sft.assistant_only_loss` asks.

    prompt/completion rows: trl's completion-only loss is already the assistant's part. messages rows:
    the template's {% generation %} markers (or trl's patched version of a known template); without
    them, conversations that end in their only assistant turn become prompt/completion rows. Plain-text
    prompt/completion rows become a user and an assistant turn when the tokenizer has a chat template.
    """
    columns = dataset.column_names
    if "messages" in columns and {"prompt", "completion"} & set(columns):
        # `r1 sample reject` rows carry their completion beside the messages: trl would read them as
        # prompt/completion rows (and refuse assistant_only_loss). The messages are the conversation.
        dataset = dataset.remove_columns([c for c in ("prompt", "completion") if c in columns])
        columns = dataset.column_names
    template = getattr(tokenizer, "chat_template", None)
    if "messages" in columns and not template:
        raise R1Error(
            "the tokenizer has no chat template, so `messages` rows cannot be rendered",
            hint="give prompt/completion text rows, or a model whose tokenizer has a chat template",
        )
    if "messages" not in columns:
        config.assistant_only_loss = False  # completion-only loss does it (trl's default for these rows)
        if template and isinstance(dataset[0]["prompt"], str):
            # r1 eval, chat and the generation stages prompt the model through its chat template.
            return dataset.map(_as_chat_turns, desc="chat turns")
        return dataset
    if not config.assistant_only_loss:
        return dataset
    if _has_generation_markers(template) or _trl_training_template(tokenizer):
        return dataset
    single_last = all(
        [m["role"] for m in messages].count("assistant") == 1 and messages[-1]["role"] == "assistant"
        for messages in dataset["messages"]
    )
    if not single_last:
        raise R1Error(
            "sft.assistant_only_loss needs {% generation %} markers in the chat template, this one has none, "
            "and some conversations have several assistant turns",
            hint="set --sft.assistant_only_loss false to train on whole conversations, or add the markers to "
            "the template",
        )
    config.assistant_only_loss = False
    config.completion_only_loss = True
    return dataset.map(_last_turn_as_completion, remove_columns=["messages"], desc="prompt/completion")


def load_start_model(recipe: Recipe, gradient_checkpointing: bool) -> Any:
    """The model to fine-tune: the recipe's, where an earlier stage's LoRA adapter is opened on its base.

    With [lora] on, training continues that adapter; with it off, the adapter is merged first.
    """
    from r1cli.models.folders import adapter_base, locate_model
    from r1cli.models.loading import load_model

    settings = model_settings(recipe)
    kind, _source, adapter_dir = locate_model(recipe.get("model.name_or_path"), recipe.section("tiny"))
    if kind != "adapter" or adapter_dir is None:
        return load_model(settings, for_training=True, gradient_checkpointing=gradient_checkpointing)
    from peft import PeftModel

    base, revision = adapter_base(adapter_dir, recipe.section("tiny"))
    settings["model"].update(name_or_path=base, revision=revision or "")
    model = load_model(settings, for_training=True, gradient_checkpointing=gradient_checkpointing)
    lora = bool(recipe.get("lora.enabled"))
    model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=lora)
    if lora:
        return model
    model = model.merge_and_unload()
    model.requires_grad_(True)  # peft froze the base while the adapter was attached
    return model


def sft_trainer(recipe: Recipe, config: Any, tokenizer: Any, train: Any, eval_rows: Any = None) -> Any:
    """trl's SFTTrainer on the recipe's start model (SFT and pretraining): a LoRA adapter from [lora] unless
    the model already is one being continued, r1's callbacks, no tokenizing progress bars."""
    from trl import SFTTrainer

    from r1cli.data.prepare import quiet_datasets
    from r1cli.models.loading import lora_config
    from r1cli.recipe.trl_config import activation_checkpointing
    from r1cli.train.callbacks import trainer_callbacks

    model = load_start_model(recipe, gradient_checkpointing=activation_checkpointing(config))
    continuing_adapter = hasattr(model, "peft_config")
    with quiet_datasets():
        return SFTTrainer(
            model=model,
            args=config,
            train_dataset=train,
            eval_dataset=eval_rows,
            processing_class=tokenizer,
            peft_config=None if continuing_adapter else lora_config(model_settings(recipe)),
            callbacks=trainer_callbacks(recipe.section("logging"), config.output_dir),
        )


def build_sft_trainer(recipe: Recipe, config: Any = None) -> tuple[Any, str]:
    """An SFTTrainer for the recipe (data loaded, loss mask chosen, callbacks attached), not yet trained,
    and the system prompt its rows begin with (what the saved model records)."""

    from r1cli.data.store import load_sft_dataset
    from r1cli.models.loading import load_tokenizer
    from r1cli.recipe.trl_config import build_trainer_config
    from r1cli.train.callbacks import quiet_trainer_output

    config = config or build_trainer_config(recipe, "sft")
    tokenizer = load_tokenizer(model_settings(recipe))
    dataset = load_sft_dataset(recipe.section("data"))
    if len(dataset["train"]) == 0:
        raise R1Error(f"dataset '{recipe.get('data.dataset')}' has no training rows")
    train = fit_loss_to_template(dataset["train"], tokenizer, config)
    evaluate = config.eval_strategy != "no" and len(dataset["test"]) > 0
    eval_rows = fit_loss_to_template(dataset["test"], tokenizer, config) if evaluate else None

    trainer = sft_trainer(recipe, config, tokenizer, train, eval_rows)
    if len(trainer.train_dataset) == 0:
        raise R1Error(
            f"no training row is left once cut to sft.max_length = {config.max_length} tokens: the assistant's part "
            "of every row lies beyond it",
            hint="raise --sft.max_length",
        )
    quiet_trainer_output(trainer)
    return trainer, system_prompt_of_dataset(train)


def train_sft(recipe: Recipe, resume: bool = False) -> TrainResult:
    """Run SFT as the recipe says; returns where the model went and its final metrics."""
    return run_with_sft_config(recipe, resume, build_sft_trainer, stage="Supervised fine-tuning (SFT)")


def run_with_sft_config(
    recipe: Recipe,
    resume: bool,
    build: Callable[[Recipe, Any], tuple[Any, str]],
    *,
    stage: str,
) -> TrainResult:
    """A stage that trains with [sft] (SFT, pretraining): claim or resume its folder, build the trainer
    (`build(recipe, config)` -> trainer and the system prompt its rows began with), train, save."""
    from r1cli.recipe.trl_config import build_trainer_config
    from r1cli.train.callbacks import quiet_libraries

    quiet_libraries()
    # Building the config sets up the distributed state, so every check below sees all ranks.
    config = build_trainer_config(recipe, "sft")
    output_dir = Path(config.output_dir)
    checkpoint = start_run(recipe, output_dir, resume=resume, trained=TRAINED_SECTIONS)
    config.distributed_state.wait_for_everyone()

    with no_trace_if_refused(output_dir):
        trainer, system_prompt = build(recipe, config)
    return train_and_save(
        trainer,
        trainer.processing_class,
        recipe,
        output_dir,
        checkpoint=checkpoint,
        stage=stage,
        system_prompt=system_prompt,
    )
