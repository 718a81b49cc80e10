"""R1-Zero: GRPO on a base model with rule-based rewards, straight from a recipe.

    r1 train zero                                   # the tiny CPU recipe, no download
    r1 train zero --recipe recipes/l40s.toml --profile dev
    r1 train zero --output-dir runs/zero --resume   # continue from the last checkpoint
    torchrun --nproc_per_node 2 --no-python r1 train zero ...   # data parallel

The output directory holds the trained model (or LoRA adapter, and `merged/` on request), its
tokenizer, the resolved recipe (`recipe.toml`), `metrics.jsonl`, a model card (`README.md`) and the
trainer's `checkpoint-*` directories.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from r1cli.models.prompting import system_prompt_of_dataset
from r1cli.plumbing.console import is_main_process, note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text
from r1cli.recipe import Recipe
from r1cli.train.output import TrainResult, start_run, train_and_save

# The digests of the user's own reward files (rewards.functions `file.py:f` or `module:f`) a run started with.
REWARD_SOURCES_FILE = "reward_sources.json"
# The recipe sections that decide what R1-Zero trains: a resumed run must keep them.
TRAINED_SECTIONS = (
    "model", "tiny", "quantization", "lora", "data", "rewards", "grpo", "dynamic_sampling", "validation",
)  # fmt: skip

# [data] keys that shape `r1 data prepare`'s output and so do nothing on an already prepared folder
# (data.system_prompt does: the prepared prompts are asked with it, r1cli.data.store.adopt_prepared_prompt).
PREPARE_ONLY_KEYS = (
    "test_size",
    "seed",
    "max_rows",
    "dedupe",
    "problem_column",
    "answer_column",
)


def _note_prepared_data(recipe: Recipe) -> None:
    """Say which of the recipe's own [data] prepare settings a prepared folder does not follow: those that
    differ from the ones it was prepared with (all that are set, for a folder that does not say)."""
    from r1cli.data.store import is_saved_dataset_dict
    from r1cli.plumbing.rundir import lookup
    from r1cli.recipe.saved import saved_recipe

    folder = recipe.get("data.dataset")
    if not is_saved_dataset_dict(folder):
        return
    prepared_with = saved_recipe(Path(folder).expanduser())
    ignored = [
        f"data.{key}"
        for key in PREPARE_ONLY_KEYS
        if recipe.sources.get(f"data.{key}") != "default"
        and (prepared_with is None or lookup(prepared_with, f"data.{key}") != recipe.get(f"data.{key}"))
    ]
    if ignored:
        note(
            f"{', '.join(ignored)} do nothing on a prepared folder: {folder} was prepared "
            f"{'with other values' if prepared_with else 'by r1 data prepare'}"
        )


def check_reward_sources(output_dir: Path, names: list[str], *, resume: bool) -> dict[str, str]:
    """The digests of the user's reward files; a resumed run refuses a file changed since it started."""
    from r1cli.plumbing.rundir import check_same_settings
    from r1cli.rewards.custom import source_digests

    digests = source_digests(names)
    path = output_dir / REWARD_SOURCES_FILE
    if resume and path.is_file():
        check_same_settings(
            json.loads(path.read_text(encoding="utf-8")),
            digests,
            output_dir,
            message="--resume with reward code that changed since the run started",
            hint="restore the file, or start a new run",
        )
    return digests


def keep_reward_sources(output_dir: Path, digests: dict[str, str]) -> None:
    """Write what check_reward_sources compares, once the run is set to start."""
    path = output_dir / REWARD_SOURCES_FILE
    if digests and is_main_process() and not path.exists():
        output_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(digests, indent=2) + "\n")


def with_rendered_prompts(dataset: Any, tokenizer: Any, template_kwargs: dict[str, Any] | None = None) -> Any:
    """Add `rendered_prompt`, each chat prompt as the chat template renders it for generation (as trl does).

    trl passes chat prompts to the reward functions as messages, without the generation prompt a
    reasoning model's template ends with (`<think>\n`); with this column the rewards and training
    statistics see, per row, whether the completion starts inside an opened `<think>`. Plain-text
    prompts reach them as the text itself and get no column.
    """
    train = dataset["train"]
    if "prompt" not in train.column_names or not len(train) or isinstance(train[0]["prompt"], str):
        return dataset
    if not getattr(tokenizer, "chat_template", None):
        return dataset  # trl itself cannot render these prompts; it says so when training starts

    def render(row: dict[str, Any]) -> dict[str, str]:
        text = tokenizer.apply_chat_template(
            row["prompt"], tokenize=False, add_generation_prompt=True, **(template_kwargs or {})
        )
        return {"rendered_prompt": text}

    return dataset.map(render, keep_in_memory=True, desc="Rendering prompts")  # no cache files in DIR


def _vllm_engine(recipe: Recipe, config: Any) -> dict[str, Any] | None:
    """r1's settings for trl's colocated vLLM engine, where GRPO generates through one."""
    if not (config.use_vllm and config.vllm_mode == "colocate"):
        return None
    from r1cli.generation.backends import generation_settings
    from r1cli.models.loading import model_settings
    from r1cli.train.vllm_colocate import engine_settings

    gen = generation_settings(recipe.section("generation"))
    return engine_settings(model_settings(recipe)["model"], gen, int(config.seed))


def train_zero(recipe: Recipe, resume: bool = False) -> TrainResult:
    """Run GRPO as the recipe says; returns where the model went and its final metrics."""
    from r1cli.data import load_prompt_dataset
    from r1cli.models.loading import load_model, load_tokenizer, lora_config
    from r1cli.plumbing.console import world_size
    from r1cli.recipe.trl_config import activation_checkpointing, build_trainer_config
    from r1cli.rewards.custom import row_arguments
    from r1cli.rewards.registry import build_reward_functions, check_user_rewards, reward_weights
    from r1cli.train.callbacks import quiet_libraries, quiet_trainer_output
    from r1cli.train.grpo_trainer import R1GRPOTrainer
    from r1cli.train.reward_log import RewardRecorder, attach_trainer, build_callbacks
    from r1cli.train.settings import dynamic_sampling_settings, validation_settings
    from r1cli.train.validation import ValidationCallback, carve_validation

    quiet_libraries()
    rewards_cfg = recipe.section("rewards")
    names = list(rewards_cfg["functions"])
    weights = reward_weights(rewards_cfg, names)
    sampling = dynamic_sampling_settings(recipe.section("dynamic_sampling"), names, world_size())
    validation = validation_settings(recipe.section("validation"))
    # Building the config sets up the distributed state, so every check below sees all ranks.
    config = build_trainer_config(recipe, "grpo", reward_weights=weights)
    output_dir = Path(config.output_dir)
    checkpoint = start_run(recipe, output_dir, resume=resume, trained=TRAINED_SECTIONS)
    config.distributed_state.wait_for_everyone()

    tokenizer = load_tokenizer(recipe.tree)
    _note_prepared_data(recipe)
    dataset = load_prompt_dataset(recipe.section("data"), tokenizer=tokenizer)
    if "train" not in dataset or len(dataset["train"]) == 0:
        raise R1Error(f"dataset '{recipe.get('data.dataset')}' has no training rows")
    problems = []
    if validation.enabled:
        dataset["train"], problems = carve_validation(
            dataset["train"], validation.size, int(recipe.get("data.seed"))
        )
    dataset = with_rendered_prompts(dataset, tokenizer, config.chat_template_kwargs)
    recorder = RewardRecorder(names, weights)
    functions = build_reward_functions(rewards_cfg, names)
    check_user_rewards(names, functions, row_arguments(dataset["train"][0]))  # before the model loads
    digests = check_reward_sources(output_dir, names, resume=checkpoint is not None)
    reward_funcs = recorder.wrap(functions)

    model = load_model(
        recipe.tree, for_training=True, gradient_checkpointing=activation_checkpointing(config)
    )
    system_prompt = system_prompt_of_dataset(dataset["train"])
    callbacks = build_callbacks(recipe.section("logging"), recorder, output_dir)
    if validation.enabled:
        callbacks.insert(
            0, ValidationCallback(problems, recipe, output_dir, validation, system_prompt=system_prompt)
        )
    trainer = R1GRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=config,
        train_dataset=dataset["train"],
        processing_class=tokenizer,
        peft_config=lora_config(recipe.tree),
        callbacks=callbacks,
        dynamic_sampling=sampling,
        vllm_engine=_vllm_engine(recipe, config),
    )
    attach_trainer(callbacks, trainer)
    quiet_trainer_output(trainer)
    keep_reward_sources(output_dir, digests)
    return train_and_save(
        trainer,
        tokenizer,
        recipe,
        output_dir,
        checkpoint=checkpoint,
        stage="R1-Zero GRPO",
        system_prompt=system_prompt,
    )
