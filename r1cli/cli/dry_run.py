"""`--dry-run`: what a stage would do, checked, without loading weights or writing anything.

    plan = plan_training(recipe, "zero", resume=False)     # r1 train zero --dry-run
    print(render(plan))

The recipe is resolved and validated for the stage as the real run does; the tokenizer (not the
weights) and the data are loaded. A plan holds the settings that differ from the defaults (with their
source), row counts, one prompt exactly as the model sees it after the chat template (special tokens
visible), its token count and the longest one's, steps and samples, the memory estimate of a training
stage, and the state of the output (new, resumed, or refused and why).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli.plumbing.errors import R1Error
from r1cli.recipe.provenance import Recipe
from r1cli.recipe.schema import defaults


@dataclass
class Plan:
    """What a stage would do."""

    command: str
    settings: list[tuple[str, Any, str]] = field(default_factory=list)  # key, value, source
    rows: dict[str, int] = field(default_factory=dict)
    example: str | None = None
    example_tokens: int | None = None
    longest_tokens: int | None = None
    work: list[str] = field(default_factory=list)  # steps, samples, stages
    memory: list[str] = field(default_factory=list)
    output: str = ""


_MISSING = object()


def changed_settings(recipe: Recipe, unused: tuple[str, ...] = ()) -> list[tuple[str, Any, str]]:
    """(key, value, source) of every resolved value that differs from the built-in default, but for
    the `unused` sections' values r1 fitted to the machine (another trainer's dtype flags)."""
    base = defaults()
    changed = []
    for key in sorted(recipe.sources):
        if key.split(".")[0] in unused and recipe.is_fitted(key):
            continue
        node: Any = base
        for part in key.split("."):
            node = node.get(part, _MISSING) if isinstance(node, dict) else _MISSING
        value = recipe.get(key)
        if node is _MISSING or node != value:
            changed.append((key, value, recipe.sources[key]))
    return changed


def output_state(path: Path, kind: Any, *, resume: bool = False, overwrite: bool = False) -> str:
    """'new', 'resumed from checkpoint-N', 'replaced', or 'refused: why' for a stage's output, touching nothing."""
    from r1cli.plumbing.rundir import claim_output_dir
    from r1cli.train.output import checkpoints

    try:
        claim = claim_output_dir(path, kind, resume=resume, overwrite=overwrite)
    except R1Error as exc:
        return f"refused: {exc}"
    if claim.resume:
        complete = [
            folder for _, folder in checkpoints(Path(path)) if (folder / "trainer_state.json").is_file()
        ]
        return (
            f"resumed from {complete[-1].name} in {path}" if complete else f"restarted from step 0 in {path}"
        )
    return f"{'replaced' if claim.overwrite else 'new'}: {path}"


def _prompt_lengths(
    tokenizer: Any, prompts: list[Any], *, whole: bool = False
) -> tuple[str | None, int | None, int | None]:
    """(the first prompt as the model sees it, its tokens, the longest prompt's tokens); `whole`: the
    conversations as trained on (SFT), not prompts opened for generation."""
    from r1cli.generation.backends import prompt_text

    def render(prompt: Any) -> str:
        if isinstance(prompt, str):
            return prompt
        if whole:
            return tokenizer.apply_chat_template(prompt, tokenize=False)
        return prompt_text(tokenizer, prompt)

    texts = [render(prompt) for prompt in prompts]
    if not texts:
        return None, None, None
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]]
    return texts[0], lengths[0], max(lengths)


def _memory_lines(recipe: Recipe, section: str) -> list[str]:
    from r1cli.models.memory import GIB, estimate_memory

    estimate = estimate_memory(recipe, section)
    lines = [f"{name}: {size / GIB:.2f} GiB ({note})" for name, size, note in estimate.rows]
    verdict = "fits" if estimate.fits else "does NOT fit"
    lines.append(
        f"total {estimate.total / GIB:.2f} GiB, {verdict} in {estimate.device_bytes / GIB:.1f} GiB ({estimate.device})"
    )
    return lines


def _steps(config: Any, rows: int, per_step: int) -> int:
    """The optimizer steps a trainer config runs over `rows` rows taking `per_step` rows a step."""
    if config.max_steps and config.max_steps > 0:
        return int(config.max_steps)
    return int(math.ceil(rows / max(per_step, 1)) * config.num_train_epochs)


def plan_training(recipe: Recipe, stage: str, *, resume: bool = False) -> Plan:
    """r1 train zero|sft --dry-run: tokenizer and data loaded, no weights, nothing written."""
    from r1cli.models.loading import load_tokenizer
    from r1cli.plumbing.console import world_size
    from r1cli.recipe.trl_config import build_trainer_config
    from r1cli.train.output import TRAINING_RUN

    section = "grpo" if stage == "zero" else "sft"
    config = build_trainer_config(recipe, section)
    others = tuple(name for name in ("grpo", "sft", "distill") if name != section)
    plan = Plan(f"r1 train {stage}", changed_settings(recipe, others))
    plan.output = output_state(Path(config.output_dir), TRAINING_RUN, resume=resume)
    world = world_size()
    whole = False
    if stage == "zero":
        from r1cli.data import load_prompt_dataset

        tokenizer = load_tokenizer(recipe.tree)
        dataset = load_prompt_dataset(recipe.section("data"), tokenizer=tokenizer)
        prompts = list(dataset["train"]["prompt"]) if "train" in dataset else []
        per_step = config.per_device_train_batch_size * config.gradient_accumulation_steps * world
        steps = _steps(config, len(prompts) * config.num_generations, per_step)
        plan.work = [
            f"{steps} steps, {steps * per_step} completions "
            f"({per_step // config.num_generations} prompts x {config.num_generations} generations a step, "
            f"at most {config.max_completion_length} tokens each)",
            f"rewards: {', '.join(recipe.get('rewards.functions'))}",
        ]
    else:
        from r1cli.data.store import load_sft_dataset
        from r1cli.models.loading import model_settings

        tokenizer = load_tokenizer(model_settings(recipe))
        dataset = load_sft_dataset(recipe.section("data"))
        train = dataset["train"]
        whole = "messages" in train.column_names
        prompts = list(train["messages" if whole else "prompt"])
        per_step = config.per_device_train_batch_size * config.gradient_accumulation_steps * world
        steps = _steps(config, len(train), per_step)
        plan.work = [f"{steps} steps of {per_step} rows (at most {config.max_length} tokens each)"]
    plan.rows = {split: len(dataset[split]) for split in dataset}
    plan.example, plan.example_tokens, plan.longest_tokens = _prompt_lengths(
        tokenizer, prompts, whole=stage == "sft" and whole
    )
    plan.memory = _memory_lines(recipe, section)
    return plan


def plan_generation(
    recipe: Recipe, command: str, model: str | None, output: Path, num_samples: int | None = None
) -> Plan:
    """r1 sample reject --dry-run (and the generating part of others): the problems, one prompt, the samples."""
    from r1cli.data.problems import read_problems
    from r1cli.models.folders import locate_model, tokenizer_source
    from r1cli.models.loading import open_tokenizer
    from r1cli.plumbing.jsonl import check_output_path

    name = model or recipe.get("model.name_or_path")
    tokenizer = open_tokenizer(tokenizer_source(*locate_model(name, recipe.section("tiny"))))
    problems = read_problems(recipe.get("data.dataset"), recipe.section("data"))
    plan = Plan(command, changed_settings(recipe, ("grpo", "sft", "distill")))
    plan.rows = {"problems": len(problems)}
    plan.example, plan.example_tokens, plan.longest_tokens = _prompt_lengths(
        tokenizer, [problem.messages for problem in problems]
    )
    samples = num_samples or int(recipe.get("generation.num_samples"))
    plan.work = [
        f"{len(problems) * samples} samples ({samples} per problem, at most "
        f"{recipe.get('generation.max_new_tokens')} new tokens, temperature {recipe.get('generation.temperature')})",
        f"model: {name}",
    ]
    try:
        check_output_path(output)
        settings = Path(f"{output}.r1.json")
        plan.output = f"continued: {output}" if settings.is_file() else f"new: {output}"
    except R1Error as exc:
        plan.output = f"refused: {exc}"
    return plan


def plan_distill(
    recipe: Recipe, teacher: str, student: str, output_dir: Path, method: str, num_samples: int | None
) -> Plan:
    """r1 distill --dry-run: the teacher's traces (method traces) or prompts (logits), the student's steps."""
    from r1cli.distill import TRACES_FILE, student_recipe
    from r1cli.recipe.trl_config import build_trainer_config

    out = Path(output_dir).expanduser()
    plan = plan_generation(recipe, "r1 distill", teacher, out / TRACES_FILE, num_samples)
    section = "distill" if method == "logits" else "sft"
    students = student_recipe(recipe, student, out)
    config = build_trainer_config(students, section)
    steps = config.max_steps if config.max_steps and config.max_steps > 0 else "epochs of"
    if method == "logits":
        plan.work = [f"on-policy distillation: {steps} steps on the problems' prompts", f"teacher: {teacher}"]
    else:
        plan.work[1] = f"teacher: {teacher}"
    plan.work.append(f"student: {student}, {steps} {section} steps into {out / 'student'}")
    plan.memory = _memory_lines(students, section)
    return plan


def plan_pipeline(recipe: Recipe, output_dir: Path, until: str | None = None) -> Plan:
    """r1 pipeline run --dry-run: every stage's checks, the data it prepares, its stages (up to `until`),
    the folder's state."""
    from r1cli.data import prepare
    from r1cli.models.loading import load_tokenizer
    from r1cli.pipeline.settings import (
        PIPELINE_SECTIONS,
        STAGES,
        check_pipeline_settings,
        pipeline_recipe,
        stages_run,
    )
    from r1cli.pipeline.summary import PIPELINE_RUN, STAGES_DIR
    from r1cli.preflight.validate import validate_recipe
    from r1cli.recipe.saved import check_resume_recipe

    check_pipeline_settings(recipe)
    stages_run(recipe.section("pipeline"), until)
    for stage in ("sft", "distill"):
        validate_recipe(recipe, stage)
    staged = pipeline_recipe(recipe)
    cfg = recipe.section("pipeline")
    dataset, _summary = prepare(staged.section("data"))
    tokenizer = load_tokenizer(staged.tree)
    plan = Plan("r1 pipeline run", changed_settings(recipe, ("grpo", "sft", "distill")))
    plan.rows = {split: len(dataset[split]) for split in dataset}
    plan.example, plan.example_tokens, plan.longest_tokens = _prompt_lengths(
        tokenizer, list(dataset["train"]["prompt"])
    )
    work = {
        "coldstart": f"coldstart: by {cfg['coldstart']} for {cfg['coldstart_problems'] or 'all'} train problems",
        "sft": f"sft: {cfg['sft_steps']} steps",
        "zero": f"zero: {cfg['zero_steps']} GRPO steps, rewards {', '.join(cfg['rewards'])}"
        + (
            f", from {recipe.get('model.name_or_path')} (no cold start)" if cfg["coldstart"] == "none" else ""
        ),
        "reject": f"reject: {cfg['reject_samples']} samples for {cfg['reject_problems'] or 'all'} train problems",
        "reject_sft": f"reject_sft: {cfg['reject_sft_steps']} steps",
        "distill": f"distill: {cfg['distill_steps']} student steps ({cfg['student']})",
    }
    plan.work = [work[name] for name in stages_run(cfg, until)]
    plan.work.append(
        f"held-out eval after each training stage: {cfg['eval_problems'] or 'all'} test problems"
    )
    plan.memory = _memory_lines(staged, "grpo")
    state = output_state(output_dir, PIPELINE_RUN, resume=PIPELINE_RUN.is_ours(output_dir))
    if state.startswith("restarted") or state.startswith("resumed"):
        try:
            check_resume_recipe(recipe, output_dir, PIPELINE_SECTIONS)
            done = [name for name in STAGES if (output_dir / STAGES_DIR / f"{name}.json").is_file()]
            state = f"continued: {output_dir} ({', '.join(done) or 'no stage'} finished)"
        except R1Error as exc:
            state = f"refused: {exc}"
    plan.output = state
    return plan


def render(plan: Plan) -> str:
    """The plan as plain text (what `--dry-run` prints on stdout)."""
    lines = [f"{plan.command} --dry-run: nothing was loaded beyond the tokenizer, nothing was written", ""]
    lines.append("settings that differ from the defaults:")
    lines += [f"  {key} = {value!r}  # {source}" for key, value, source in plan.settings] or ["  (none)"]
    lines.append("rows: " + ", ".join(f"{name} {count}" for name, count in plan.rows.items()))
    if plan.example is not None:
        lines += [
            f"example prompt ({plan.example_tokens} tokens; the longest has {plan.longest_tokens}), as the model sees it:",
            "  " + plan.example.replace("\n", "\n  "),
        ]
    lines += ["work:", *(f"  {line}" for line in plan.work)]
    if plan.memory:
        lines += ["memory estimate (one process):", *(f"  {line}" for line in plan.memory)]
    lines.append(f"output: {plan.output}")
    return "\n".join(lines) + "\n"
