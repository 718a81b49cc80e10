"""The output directory of a training stage: refuse to clobber a run, find what to resume, save
the model (full weights, or a LoRA adapter and optionally merged weights), the recipe and a card.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.errors import R1Error
from r1cli.recipe import Recipe

if TYPE_CHECKING:
    from r1cli.train.zero import TrainResult

CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
# Schedules whose learning rate does not depend on the total number of steps.
STEP_FREE_SCHEDULES = ("constant", "constant_with_warmup")
RUN_MARKERS = (
    "metrics.jsonl",
    "recipe.toml",
    "trainer_state.json",
    "model.safetensors",
    "adapter_config.json",
)


def _checkpoints(output_dir: Path) -> list[tuple[int, Path]]:
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


def check_fresh_output_dir(output_dir: Path) -> None:
    """A new run needs an absent or empty folder: it must not write over a run or anyone's files."""
    if not output_dir.exists():
        return
    if not output_dir.is_dir():
        raise R1Error(f"output path {output_dir} exists and is not a directory")
    if _checkpoints(output_dir) or any((output_dir / name).exists() for name in RUN_MARKERS):
        raise R1Error(
            f"{output_dir} already holds a training run",
            hint="continue it with --resume, or pick a new --output-dir",
        )
    if any(output_dir.iterdir()):
        raise R1Error(f"{output_dir} is not empty", hint="pick a new or empty --output-dir")


def find_resume_checkpoint(output_dir: Path, recipe: Recipe, section: str) -> Path | None:
    """The newest complete checkpoint; incomplete ones (killed mid-save) are set aside, not deleted.

    A run killed before its first checkpoint restarts from step 0 in the same folder (None).
    """
    from accelerate import PartialState

    state = PartialState()
    checkpoints = _checkpoints(output_dir)
    if not checkpoints:
        if not (output_dir / "recipe.toml").exists():
            raise R1Error(f"nothing to resume in {output_dir}: no r1 run there", hint="run without --resume")
        metrics = output_dir / "metrics.jsonl"
        if state.is_main_process and metrics.exists():
            metrics.rename(_aside(metrics, "restarted"))
        print(f"r1: note: {output_dir} has no checkpoint yet: starting again from step 0", file=sys.stderr)
        state.wait_for_everyone()
        return None
    chosen: tuple[int, Path] | None = None
    for step, path in reversed(checkpoints):
        if (path / "trainer_state.json").exists():
            chosen = (step, path)
            break
        if state.is_main_process:
            aside = _aside(path, "incomplete")
            path.rename(aside)
            print(
                f"r1: note: {path.name} was never finished (killed while saving?): moved to {aside.name}",
                file=sys.stderr,
            )
    state.wait_for_everyone()
    if chosen is None:
        raise R1Error(f"no complete checkpoint in {output_dir}", hint="run without --resume to start over")
    step, path = chosen
    saved = json.loads((path / "trainer_state.json").read_text())
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
        print(
            f"r1: note: extending the run from {planned} to {wanted} steps ({schedule} learning rate)",
            file=sys.stderr,
        )
    if planned and step >= planned and (wanted is None or wanted <= step):
        raise R1Error(
            f"the run in {output_dir} already finished at step {step}", hint="raise max_steps to continue"
        )
    return path


# Keys that may differ between a run and its resumption without changing what is trained.
RESUME_MAY_CHANGE = ("output_dir", "max_steps", "save_", "logging_", "report_to", "dataloader_")


def check_resume_recipe(recipe: Recipe, output_dir: Path, section: str) -> None:
    """Refuse to resume a run with a recipe that trains something else than the run did."""
    from r1cli.recipe import load_recipe
    from r1cli.recipe.validate import HARDWARE_SOURCE

    saved_path = output_dir / "recipe.toml"
    if not saved_path.exists():
        return
    saved = load_recipe(saved_path, environ={}, validate=False)
    changed = []
    for key, source in recipe.sources.items():
        name = key.split(".", 1)[-1]
        if source == HARDWARE_SOURCE or key.startswith("logging.") or name.startswith(RESUME_MAY_CHANGE):
            continue
        if key.startswith(("grpo.", "sft.")) and not key.startswith(f"{section}."):
            continue
        if recipe.get(key) != saved.get(key):
            changed.append(f"{key} ({saved.get(key)!r} -> {recipe.get(key)!r})")
    if changed:
        shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
        raise R1Error(
            f"--resume with a recipe that differs from the run's: {shown}",
            hint="resume with the run's own recipe (the default: leave out --recipe), or start a new run",
        )


def write_recipe(recipe: Recipe, output_dir: Path) -> None:
    """Save the resolved recipe (with provenance) so the run can be reproduced and resumed.

    A resumed run keeps the file it started with (check_resume_recipe made sure nothing that matters
    changed).
    """
    from r1cli.recipe.render import render_recipe

    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / "recipe.toml"
    if not target.exists():
        target.write_text(render_recipe(recipe, portable=True))


def save_trained_model(trainer: Any, tokenizer: Any, recipe: Recipe, output_dir: Path) -> None:
    """Final weights (or LoRA adapter) + tokenizer in `output_dir`; merged weights in `merged/` on request."""
    trainer.save_model(str(output_dir))
    if not trainer.is_world_process_zero():
        return
    tokenizer.save_pretrained(str(output_dir))
    if recipe.get("lora.enabled") and recipe.get("lora.merge_on_save"):
        from r1cli.model_dirs import open_model

        merged, _ = open_model(
            output_dir,
            dtype=recipe.get("model.dtype"),
            trust_remote_code=bool(recipe.get("model.trust_remote_code")),
            tiny_cfg=recipe.section("tiny"),
            merge_adapter=True,
        )
        merged.save_pretrained(str(output_dir / "merged"), safe_serialization=True)
        tokenizer.save_pretrained(str(output_dir / "merged"))


def _format_metric(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_model_card(output_dir: Path, recipe: Recipe, stage: str, result: TrainResult) -> None:
    """A short README.md: what was trained, how, the final metrics, and how to load it."""
    model = recipe.get("model.name_or_path")
    rewards = ", ".join(recipe.get("rewards.functions"))
    adapter = bool(recipe.get("lora.enabled"))
    keys = sorted(
        key for key in result.metrics if key.startswith(("rewards/", "reward", "loss", "completions/"))
    )
    rows = "\n".join(f"| `{key}` | {_format_metric(result.metrics[key])} |" for key in keys)
    load = (
        "from peft import AutoPeftModelForCausalLM\n"
        f'model = AutoPeftModelForCausalLM.from_pretrained("{output_dir}")'
        if adapter
        else "from transformers import AutoModelForCausalLM\n"
        f'model = AutoModelForCausalLM.from_pretrained("{output_dir}")'
    )
    card = f"""# {output_dir.name}

{stage} of `{model}` trained with r1 ({"LoRA adapter" if adapter else "full weights"}).

- steps: {result.global_step}{f" (resumed from {result.resumed_from})" if result.resumed_from else ""}
- rewards: {rewards}
- dataset: `{recipe.get("data.dataset")}`
- recipe: `recipe.toml` (every value with its origin); per-step metrics: `metrics.jsonl`

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
