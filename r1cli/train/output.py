"""The output directory of a training stage: refuse to clobber a run, find what to resume, save
the model (full weights, or a LoRA adapter and optionally merged weights), the recipe and a card.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli.models.prompting import record_prompt
from r1cli.plumbing.console import is_main_process, note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text
from r1cli.plumbing.rundir import OutputKind, claim_output_dir
from r1cli.recipe.provenance import Recipe
from r1cli.recipe.saved import check_resume_recipe, write_recipe
from r1cli.recipe.schema import TRAINER_SECTIONS

CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
# Written last, once the model is saved: the marker that a training stage finished.
TRAIN_RESULT_FILE = "train_result.json"
# The model with the best validation accuracy (r1cli/train/validation.py) and its record inside it.
BEST_DIR = "best"
BEST_FILE = "best.json"
# Schedules whose learning rate does not depend on the total number of steps.
STEP_FREE_SCHEDULES = ("constant", "constant_with_warmup")
RUN_MARKERS = (
    "metrics.jsonl",
    "recipe.toml",
    "trainer_state.json",
    "model.safetensors",
    "adapter_config.json",
)


def checkpoints(output_dir: Path) -> list[tuple[int, Path]]:
    """(step, folder) of the run's checkpoint-* folders, oldest first (complete or not)."""
    if not output_dir.is_dir():
        return []
    found = [
        (int(m.group(1)), p)
        for p in output_dir.iterdir()
        if p.is_dir() and (m := CHECKPOINT_RE.match(p.name))
    ]
    return sorted(found)


def _aside(path: Path, label: str) -> Path:
    """A free name next to `path` for setting it aside (never overwrites an earlier one)."""
    candidate, number = path.with_name(f"{label}-{path.name}"), 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{label}{number}-{path.name}")
    return candidate


# A training run's folder: ours when it holds any of these (checkpoint-* from the first save on).
TRAINING_RUN = OutputKind(
    command="r1 train",
    holds="a training run",
    markers=(*RUN_MARKERS, "checkpoint-*"),
    resumable=True,
    option="--output-dir",
)


@dataclass
class TrainResult:
    """What a training stage left behind."""

    output_dir: Path
    global_step: int
    metrics: dict[str, Any] = field(default_factory=dict)
    resumed_from: str | None = None
    best: dict[str, Any] | None = None  # the best validated model's step and scores (`best/`)


def read_best(output_dir: Path) -> dict[str, Any] | None:
    """The record of the run's best validated model (`best/best.json`), or None."""
    path = output_dir / BEST_DIR / BEST_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def final_metrics(log_history: list[dict[str, Any]]) -> dict[str, Any]:
    """The last value of every logged metric (TRL logs rewards/<name>/mean, reward, loss, ...)."""
    final: dict[str, Any] = {}
    for entry in log_history:
        final.update({key: value for key, value in entry.items() if isinstance(value, int | float)})
    return final


def start_run(recipe: Recipe, output_dir: Path, *, resume: bool, trained: Sequence[str]) -> Path | None:
    """Claim `output_dir` for a training stage; on --resume, the checkpoint to continue from.

    `trained` are the recipe sections that decide what the stage trains (the resume check compares
    them with the run's `recipe.toml`), the trainer section (`grpo` or `sft`) among them.
    Call it once the trainer config is built, so that every rank sees the same folder.
    """
    claim_output_dir(output_dir, TRAINING_RUN, resume=resume)
    if not resume:
        return None
    check_resume_recipe(recipe, output_dir, trained)
    return find_resume_checkpoint(output_dir, recipe, trainer_section_of(trained))


@contextlib.contextmanager
def no_trace_if_refused(output_dir: Path) -> Iterator[None]:
    """Around building a trainer: a refused run (R1Error: bad data, nothing left to train on) removes the
    output folder when it did not exist before (trl's config or trainer may have made it)."""
    created = not output_dir.exists()
    try:
        yield
    except R1Error:
        if created and output_dir.is_dir():
            shutil.rmtree(output_dir, ignore_errors=True)
        raise


def trainer_section_of(trained: Sequence[str]) -> str:
    """The trainer section (`grpo`, `sft` or `distill`) among a stage's trained sections."""
    return next(name for name in trained if name in TRAINER_SECTIONS)


def is_trained(output_dir: Path) -> bool:
    """Whether the training stage in `output_dir` finished (model saved, TRAIN_RESULT_FILE written)."""
    return (output_dir / TRAIN_RESULT_FILE).is_file()


def _saved_trainer_state(checkpoint: Path) -> dict[str, Any] | None:
    """A checkpoint's trainer_state.json, None until the trainer finished writing it (it writes that file last, and
    in place: a kill in the middle leaves it empty or cut short)."""
    try:
        return json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return None


def find_resume_checkpoint(output_dir: Path, recipe: Recipe, section: str) -> Path | None:
    """The newest complete checkpoint; incomplete ones (killed mid-save) are set aside, not deleted.

    A run killed before its first checkpoint restarts from step 0 in the same folder (None).
    """
    from accelerate import PartialState

    state = PartialState()
    found = checkpoints(output_dir)
    if not found:
        metrics = output_dir / "metrics.jsonl"
        if is_main_process() and metrics.exists():
            metrics.rename(_aside(metrics, "restarted"))
        note(f"{output_dir} has no checkpoint yet: starting again from step 0")
        state.wait_for_everyone()
        return None
    chosen: tuple[int, Path, dict[str, Any]] | None = None
    for step, path in reversed(found):
        if (saved := _saved_trainer_state(path)) is not None:
            chosen = (step, path, saved)
            break
        if is_main_process():
            aside = _aside(path, "incomplete")
            path.rename(aside)
            note(f"{path.name} was never finished (killed while saving?): moved to {aside.name}")
    state.wait_for_everyone()
    if chosen is None:
        raise R1Error(f"no complete checkpoint in {output_dir}", hint="run without --resume to start over")
    step, path, saved = chosen
    planned, wanted = saved.get("max_steps"), recipe.get(f"{section}.max_steps")
    if wanted is not None and wanted > 0 and planned and wanted != planned:
        schedule = recipe.get(f"{section}.lr_scheduler_type")
        if wanted < step:
            raise R1Error(f"{section}.max_steps = {wanted} is behind the checkpoint (step {step})")
        if schedule not in STEP_FREE_SCHEDULES:
            raise R1Error(
                f"{section}.max_steps = {wanted} differs from the {planned} this run was planned with: resuming "
                f"restores the old '{schedule}' learning-rate schedule, which would end at step {planned}",
                hint=f"keep max_steps = {planned}, or start a new run from {path} (--model.name_or_path {path})",
            )
        note(f"extending the run from {planned} to {wanted} steps ({schedule} learning rate)")
    if planned and step >= planned and (wanted is None or wanted <= step):
        raise R1Error(
            f"the run in {output_dir} already finished at step {step}", hint="raise max_steps to continue"
        )
    return path


def save_trained_model(
    trainer: Any, tokenizer: Any, recipe: Recipe, output_dir: Path, *, system_prompt: str
) -> None:
    """Final weights (or LoRA adapter) + tokenizer in `output_dir`, with the system prompt the model was
    trained with recorded (r1cli.models.prompting); merged weights in `merged/` on request."""
    trainer.save_model(str(output_dir))
    if not trainer.is_world_process_zero():
        return
    record_prompt(output_dir, tokenizer, system_prompt)
    tokenizer.save_pretrained(str(output_dir))
    if recipe.get("lora.enabled") and recipe.get("lora.merge_on_save"):
        from r1cli.models.folders import open_model

        merged, _ = open_model(
            output_dir,
            dtype=recipe.get("model.dtype"),
            trust_remote_code=bool(recipe.get("model.trust_remote_code")),
            tiny_cfg=recipe.section("tiny"),
            merge_adapter=True,
        )
        merged.save_pretrained(str(output_dir / "merged"), safe_serialization=True)
        record_prompt(output_dir / "merged", tokenizer, system_prompt)
        tokenizer.save_pretrained(str(output_dir / "merged"))


def train_and_save(
    trainer: Any,
    tokenizer: Any,
    recipe: Recipe,
    output_dir: Path,
    *,
    checkpoint: Path | None,
    stage: str,
    system_prompt: str,
) -> TrainResult:
    """Train (from `checkpoint` when resuming), then leave the stage's folder complete: recipe.toml,
    the model with `system_prompt` (what its training rows began with) recorded, a card and
    TRAIN_RESULT_FILE (the marker that the stage finished)."""
    if trainer.is_world_process_zero():
        write_recipe(recipe, output_dir)
        record_prompt(output_dir, None, system_prompt)  # for the checkpoints, before the first one
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    result = TrainResult(
        output_dir=output_dir,
        global_step=trainer.state.global_step,
        metrics=final_metrics(trainer.state.log_history),
        resumed_from=str(checkpoint) if checkpoint else None,
        best=read_best(output_dir),
    )
    save_trained_model(trainer, tokenizer, recipe, output_dir, system_prompt=system_prompt)
    if trainer.is_world_process_zero():
        write_model_card(output_dir, recipe, stage=stage, result=result)
        atomic_write_text(
            output_dir / TRAIN_RESULT_FILE,
            json.dumps(
                {
                    "global_step": result.global_step,
                    "metrics": result.metrics,
                    **({"best": {"path": BEST_DIR, **result.best}} if result.best else {}),
                },
                indent=2,
            )
            + "\n",
        )
    return result


def _format_metric(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_model_card(output_dir: Path, recipe: Recipe, stage: str, result: TrainResult) -> None:
    """A short README.md: what was trained, how, the final metrics, and how to load it."""
    model = recipe.get("model.name_or_path")
    # Only GRPO trains on rewards; the supervised stages learn from the dataset's answers.
    rewards = f"- rewards: {', '.join(recipe.get('rewards.functions'))}\n" if recipe.stage == "zero" else ""
    adapter = bool(recipe.get("lora.enabled"))
    keys = sorted(
        key
        for key in result.metrics
        if key.startswith(("rewards/", "reward", "loss", "completions/", "mean_token_accuracy"))
    )
    rows = "\n".join(f"| `{key}` | {_format_metric(result.metrics[key])} |" for key in keys)
    load = (
        "from peft import AutoPeftModelForCausalLM\n"
        f'model = AutoPeftModelForCausalLM.from_pretrained("{output_dir}")'
        if adapter
        else "from transformers import AutoModelForCausalLM\n"
        f'model = AutoModelForCausalLM.from_pretrained("{output_dir}")'
    )
    best = (
        f"- best validated model: `{BEST_DIR}/` (step {result.best['step']}, validation accuracy "
        f"{result.best['accuracy']:.3f} on {result.best.get('problems', '?')} problems carved from train)\n"
        if result.best
        else ""
    )
    card = f"""# {output_dir.name}

{stage} of `{model}` trained with r1 ({"LoRA adapter" if adapter else "full weights"}).

- steps: {result.global_step}{f" (resumed from {result.resumed_from})" if result.resumed_from else ""}
{rewards}- dataset: `{recipe.get("data.dataset")}`
- recipe: `recipe.toml` (every value with its origin); per-step metrics: `metrics.jsonl`
{best}
## Final metrics

| metric | value |
| --- | --- |
{rows}

## Use

```python
{load}
from transformers import AutoTokenizer
tokenizer = AutoTokenizer.from_pretrained("{output_dir}")
```
"""
    (output_dir / "README.md").write_text(card)
