"""Held-out accuracy during GRPO, and the best checkpoint kept as `best/` (`[validation]`).

    train, problems = carve_validation(dataset["train"], settings.size, seed)   # never trained on
    callback = ValidationCallback(problems, recipe, output_dir, settings, system_prompt=...)
    callback.attach(trainer)

Every `every` steps (and at the last step) the model being trained answers the validation problems
through `r1 eval`'s own code (greedy, r1cli.evaluate.run.evaluate_model): accuracy, format rate and
completion length go into that step's log (`r1/val_*` in metrics.jsonl, the step view, report_to,
`r1 report`). The problems are carved from the train split, so the test split that the final
evaluation reports is never selected on. A score better than the best so far saves the model in
`<output_dir>/best/` with `best.json` (its step and scores): a complete model folder that every r1
command opens. The evaluation is greedy and runs in a fork of the random state, so a run with
validation trains exactly as one without, and a resumed run exactly as the run it continues.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text
from r1cli.train.callbacks import is_train_step
from r1cli.train.output import BEST_DIR, BEST_FILE, read_best
from r1cli.train.settings import ValidationSettings

if TYPE_CHECKING:
    from r1cli.data.problems import Prompt
    from r1cli.recipe.provenance import Recipe

# The log keys of a validation, from the eval metrics they copy.
LOGGED = {
    "accuracy": "r1/val_accuracy",
    "format_rate": "r1/val_format_rate",
    "mean_completion_tokens": "r1/val_tokens",
}


def carve_validation(train: Any, size: int, seed: int) -> tuple[Any, list[Prompt]]:
    """(train rows left, validation problems): `size` rows drawn from the train split with `seed`."""
    from r1cli.data.problems import Prompt

    if size >= len(train):
        raise R1Error(
            f"validation.size = {size} leaves no training row ({len(train)} in the train split)",
            hint="lower validation.size",
        )
    parts = train.train_test_split(test_size=size, seed=seed, shuffle=True)
    problems = [
        Prompt(index, row["prompt"], {key: row.get(key) for key in ("problem", "answer", "solution")})
        for index, row in enumerate(parts["test"])
    ]
    return parts["train"], problems


class ValidationCallback(TrainerCallback):
    """Evaluates the model on the validation problems every `settings.every` steps; keeps the best."""

    adds_to_logs = True  # runs before MetricsLogCallback (quiet_trainer_output), which writes the scores

    def __init__(
        self,
        problems: list[Prompt],
        recipe: Recipe,
        output_dir: str | Path,
        settings: ValidationSettings,
        *,
        system_prompt: str,
    ):
        self.problems, self.recipe, self.settings = problems, recipe, settings
        self.output_dir = Path(output_dir)
        self.system_prompt = system_prompt
        self.trainer: Any = None
        self.pending: dict[str, float] | None = None
        self.best: dict[str, Any] | None = None

    def attach(self, trainer: Any) -> None:
        self.trainer = trainer

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        # The best so far is the one on disk: a killed run may have saved one after its last checkpoint.
        _restore_interrupted_swap(self.output_dir)
        self.best = read_best(self.output_dir)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        step = state.global_step
        if self.trainer is None or not (step % self.settings.every == 0 or step >= state.max_steps):
            return
        metrics = self._evaluate()
        self.pending = {LOGGED[key]: float(metrics[key]) for key in LOGGED if key in metrics}
        control.should_log = True  # the scores go out with this step's log
        if self.settings.keep_best and (self.best is None or metrics["accuracy"] > self.best["accuracy"]):
            self.best = {"step": step, **{key: metrics[key] for key in LOGGED if key in metrics}}
            self.best["problems"] = len(self.problems)
            self._save_best()

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs
    ):
        if logs is not None and self.pending and is_train_step(logs):
            logs.update(self.pending)
            self.pending = None

    def _evaluate(self) -> dict[str, Any]:
        """The model's metrics on the validation problems, through r1 eval's code, greedy."""
        import torch

        from r1cli.evaluate.benchmarks import Benchmark
        from r1cli.evaluate.run import EvalSettings, evaluate_model
        from r1cli.generation.backends import Generator, generation_settings

        model = self.trainer.accelerator.unwrap_model(self.trainer.model)
        tokenizer = self.trainer.processing_class
        new_tokens = self.settings.max_new_tokens or int(self.recipe.get("generation.max_new_tokens"))
        settings = EvalSettings.from_preset("greedy", max_new_tokens=new_tokens)
        sampling = settings.apply(self.recipe)
        benchmark = Benchmark("validation", "(carved from train)", self.problems)
        was_training, side = model.training, tokenizer.padding_side
        model.eval()
        try:
            with torch.random.fork_rng(devices=[model.device] if model.device.type == "cuda" else []):
                generator = Generator(model, tokenizer, generation_settings(sampling.section("generation")))
                result = evaluate_model(
                    str(self.recipe.get("model.name_or_path")),
                    benchmark,
                    sampling,
                    settings,
                    generator=generator,
                )
        finally:
            model.train(was_training)
            tokenizer.padding_side = side
        return result.metrics

    def _save_best(self) -> None:
        """The model in `best/`, complete before it replaces the previous best (a kill leaves one whole)."""
        from r1cli.models.prompting import record_prompt

        partial, old, best = (self.output_dir / name for name in (".best.partial", ".best.old", BEST_DIR))
        shutil.rmtree(partial, ignore_errors=True)
        self.trainer.save_model(str(partial))
        if not self.trainer.is_world_process_zero():
            return
        tokenizer = self.trainer.processing_class
        template = getattr(tokenizer, "chat_template", None)
        try:  # record_prompt writes the prompt into the template: the trainer's own stays as it is
            record_prompt(partial, tokenizer, self.system_prompt)
            tokenizer.save_pretrained(str(partial))
        finally:
            tokenizer.chat_template = template
        atomic_write_text(partial / BEST_FILE, json.dumps(self.best, indent=2) + "\n")
        shutil.rmtree(old, ignore_errors=True)
        if best.exists():
            best.rename(old)
        partial.rename(best)
        shutil.rmtree(old, ignore_errors=True)


def _restore_interrupted_swap(output_dir: Path) -> None:
    """A kill between moving the old best aside and putting the new one in place leaves `.best.old` alone."""
    old, best = output_dir / ".best.old", output_dir / BEST_DIR
    if old.is_dir() and not best.exists():
        old.rename(best)
    shutil.rmtree(output_dir / ".best.partial", ignore_errors=True)
