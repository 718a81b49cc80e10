"""The `[pipeline]` settings: which values can work, and the recipe each stage runs with."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    from r1cli.recipe.provenance import Recipe

STAGES = ("coldstart", "sft", "zero", "reject", "reject_sft", "distill")
TRAINING_STAGES = ("sft", "zero", "reject_sft", "distill")
# "none": R1-Zero, no cold start and no SFT stage 1: GRPO starts from model.name_or_path itself.
COLDSTART_METHODS = ("traces", "fewshot", "direct", "none")
ZERO_MODELS = ("final", "best")
# [pipeline] keys that count steps or samples (>= 1), and problems (>= 0, 0 = all).
STEP_KEYS = (
    "sft_steps",
    "zero_steps",
    "zero_batch_size",
    "reject_sft_steps",
    "distill_steps",
    "reject_samples",
    "distill_samples",
)
COUNT_KEYS = ("coldstart_problems", "reject_problems", "distill_problems", "eval_problems")
SOURCE = "pipeline"
# The recipe sections that decide what the pipeline produces: a rerun must not change them.
PIPELINE_SECTIONS = (
    "model", "tiny", "quantization", "lora", "data", "rewards", "grpo", "dynamic_sampling", "validation",
    "sft", "generation", "pipeline",
)  # fmt: skip


def stage_recipe(recipe: Recipe, values: dict[str, Any]) -> Recipe:
    """A copy of the recipe with a stage's own keys set (source `pipeline`)."""
    changed = copy.deepcopy(recipe)
    for key, value in values.items():
        changed.set(key, value, SOURCE)
    return changed


def stages_run(cfg: dict[str, Any], until: str | None = None) -> list[str]:
    """The stages a pipeline with these [pipeline] settings runs, in order, up to and including `until`.

    >>> stages_run({"coldstart": "none"}, until="zero")
    ['zero']
    """
    if until is not None and until not in STAGES:
        raise R1Error(f"no pipeline stage '{until}'", hint=f"stages: {', '.join(STAGES)}")
    skipped = ("coldstart", "sft") if cfg.get("coldstart") == "none" else ()
    if until in skipped:
        raise R1Error(
            f"pipeline.coldstart = 'none' runs no {until} stage (GRPO starts from model.name_or_path)",
            hint=f"stop at one of: {', '.join(s for s in STAGES if s not in skipped)}",
        )
    chosen = STAGES[: STAGES.index(until) + 1] if until else STAGES
    return [name for name in chosen if name not in skipped]


def pipeline_recipe(recipe: Recipe) -> Recipe:
    """The recipe every stage starts from: [pipeline]'s system prompt, rewards and generation settings applied."""
    cfg = recipe.section("pipeline")
    values: dict[str, Any] = {
        "generation.max_new_tokens": int(cfg["max_new_tokens"]),
        "generation.batch_size": int(cfg["generation_batch_size"]),
        "rewards.functions": list(cfg["rewards"]),  # GRPO's and rejection sampling's, weighted 1 each
        "rewards.weights": [],
    }
    if cfg.get("system_prompt"):
        values["data.system_prompt"] = str(cfg["system_prompt"])
    return stage_recipe(recipe, values)


def check_pipeline_settings(recipe: Recipe) -> None:
    """One-line errors for [pipeline] values that cannot work, before any stage runs."""
    from r1cli.data.synthetic import TASK_NAMES  # r1cli.data loads `datasets`: not at import time

    cfg = recipe.section("pipeline")
    method = cfg.get("coldstart")
    if method not in COLDSTART_METHODS:
        raise R1Error(
            f"pipeline.coldstart = {method!r}: must be one of {', '.join(COLDSTART_METHODS)}",
            hint="traces: the built-in task's worked solutions; fewshot/direct: a model writes them; "
            "none: GRPO from model.name_or_path with no cold start (R1-Zero)",
        )
    if method == "traces" and recipe.get("data.dataset") not in TASK_NAMES:
        raise R1Error(
            f"pipeline.coldstart = 'traces' needs a built-in task as data.dataset ({', '.join(TASK_NAMES)}), "
            f"got {recipe.get('data.dataset')!r}",
            hint="only built-in tasks come with worked solutions: for other problems set "
            "pipeline.coldstart = 'fewshot' or 'direct'",
        )
    if cfg.get("zero_model") not in ZERO_MODELS:
        raise R1Error(
            f"pipeline.zero_model = {cfg.get('zero_model')!r}: must be one of {', '.join(ZERO_MODELS)}",
            hint="best: the GRPO checkpoint with the best validation accuracy (needs validation.every > 0)",
        )
    if cfg["zero_model"] == "best" and not (
        recipe.get("validation.every") and recipe.get("validation.keep_best")
    ):
        raise R1Error(
            "pipeline.zero_model = 'best' needs the GRPO stage to validate and keep its best model",
            hint="set validation.every > 0 (and validation.keep_best = true), or pipeline.zero_model = 'final'",
        )
    for key in STEP_KEYS + COUNT_KEYS:
        value, least = cfg.get(key), 1 if key in STEP_KEYS else 0
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            every = "" if least else " (0 = all)"
            raise R1Error(f"pipeline.{key} = {value!r}: must be an integer >= {least}{every}")
    if float(recipe.get("data.test_size") or 0) == 0:
        raise R1Error("the pipeline evaluates on a held-out split: data.test_size must not be 0")
