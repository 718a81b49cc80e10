"""The stages a recipe is resolved for, and the trainer section each one trains with.

    resolve_recipe(..., stage="sft")      # r1cli.preflight.validate.validate_recipe runs the checks of SFT only

A stage is what a command runs: `pretrain` (language modelling on text), `zero` (R1-Zero GRPO), `sft`,
`distill`, `generate` (cold start, sample reject, eval, chat: generation only), `score` (reward score) and `prepare` (data prepare).
Its trainer section is the `[grpo]` or `[sft]` table its trainer is configured from; the seed's flat
flags (`--learning_rate`) land there.
"""

from __future__ import annotations

from r1cli.plumbing.errors import R1Error, did_you_mean

STAGES = ("pretrain", "zero", "sft", "distill", "generate", "score", "prepare")
# Stage -> the trainer section it trains with (stages that train nothing have none).
TRAINER_SECTION: dict[str, str] = {"pretrain": "sft", "zero": "grpo", "sft": "sft", "distill": "sft"}
# Older callers name the stage by its trainer section.
_ALIASES = {"grpo": "zero"}


def stage_name(stage: str) -> str:
    """The stage's canonical name (`grpo` is `zero`); R1Error for an unknown one."""
    stage = _ALIASES.get(stage, stage)
    if stage not in STAGES:
        hint = did_you_mean(stage, STAGES) or f"stages: {', '.join(STAGES)}"
        raise R1Error(f"unknown stage '{stage}'", hint=hint)
    return stage


def trainer_section(stage: str) -> str | None:
    """`grpo` or `sft` for a training stage, None for the others."""
    return TRAINER_SECTION.get(stage_name(stage))


def is_training(stage: str) -> bool:
    return trainer_section(stage) is not None
