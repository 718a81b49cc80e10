"""Pretraining: plain causal language modelling on raw text, so that a model becomes a base model.

    r1 train pretrain --data synthetic:addition-text -o runs/pretrain   # built-in corpus, no download
    r1 train pretrain --data notes.jsonl -o runs/pretrain              # {"text": ...} rows
    r1 train pretrain -o runs/pretrain --resume                        # continue from the last checkpoint

The R1 paper starts R1-Zero from a base model that has read text, never chat turns; this stage makes one
in miniature. trl's SFTTrainer trains on a `text` column as language modelling (loss on every token, an
EOS appended to each row); it runs with the `[sft]` section (learning rate, steps, batch size, max_length),
whose loss-mask keys do not apply to text. The output directory is laid out like `r1 train sft`'s, and the
model records an empty system prompt: a base model was prompted with none. On r1's own prose corpora its
chat template becomes r1cli.models.prompting.PROSE_CHAT_TEMPLATE (`Question: ...\nAnswer:`), so `r1 train zero`,
`r1 eval` and `r1 chat` prompt the base model in the form it has read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1cli.models.loading import model_settings
from r1cli.recipe import Recipe
from r1cli.train.output import TrainResult
from r1cli.train.sft import run_with_sft_config, sft_trainer

# Not [sft]'s output_dir, so that pretraining and SFT with one recipe never meet in one folder.
DEFAULT_OUTPUT_DIR = Path("runs/pretrain")


def build_pretrain_trainer(recipe: Recipe, config: Any) -> Any:
    """An SFTTrainer for language modelling on the recipe's text corpus, not yet trained."""
    from r1cli.data.prepare import quiet_datasets
    from r1cli.data.synthetic import TEXT_CORPORA
    from r1cli.data.text import TEXT_COLUMN, load_text_dataset
    from r1cli.models.loading import load_tokenizer
    from r1cli.models.prompting import PROSE_CHAT_TEMPLATE
    from r1cli.train.callbacks import quiet_trainer_output

    tokenizer = load_tokenizer(model_settings(recipe))
    with quiet_datasets():
        train = load_text_dataset(recipe.section("data"), tokenizer=tokenizer)
    if recipe.get("data.dataset") in TEXT_CORPORA:
        # A model that learns r1's prose corpus is prompted the way it is written (a user's corpus keeps
        # the model's own template: continued pretraining of a chat model must not lose it).
        tokenizer.chat_template = PROSE_CHAT_TEMPLATE
    # Plain text: the loss covers every token; [sft]'s masks are for chat and prompt/completion rows.
    config.dataset_text_field = TEXT_COLUMN
    config.assistant_only_loss = False
    config.completion_only_loss = False
    trainer = sft_trainer(recipe, config, tokenizer, train)
    quiet_trainer_output(trainer)
    return trainer


def train_pretrain(recipe: Recipe, resume: bool = False) -> TrainResult:
    """Pretrain as the recipe says (`[data]` names the corpus, `[sft]` the training); returns where the
    model went and its final metrics. A base model was prompted with no system prompt: it records none."""
    return run_with_sft_config(
        recipe,
        resume,
        lambda recipe, config: (build_pretrain_trainer(recipe, config), ""),
        stage="Pretraining (causal language modelling on text)",
    )
