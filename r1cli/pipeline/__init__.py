"""`r1 pipeline run`: the whole DeepSeek-R1 recipe end to end, one stage after the other, in one folder.

    r1 pipeline run                                   # the tiny CPU recipe: built-in addition task, minutes
    r1 pipeline run --recipe recipes/l40s-pipeline.toml --output-dir runs/pipeline

Stages (each through the same core function as its single command; no stage is implemented twice):

    data        r1 data prepare          DIR/data (train and the held-out test split)
    coldstart   worked traces -> r1 coldstart refine      DIR/coldstart/coldstart.jsonl
    sft         r1 train sft (stage 1, cold start)        DIR/sft
    zero        r1 train zero (GRPO from the SFT model)   DIR/zero
    reject      r1 sample reject (train problems)         DIR/reject/accepted.jsonl
    reject_sft  r1 train sft (stage 2, from the GRPO model)   DIR/reject_sft
    distill     r1 distill (into a smaller student)       DIR/distill

With `pipeline.coldstart = "none"` there is no cold start and no SFT stage 1: GRPO starts from
model.name_or_path itself (R1-Zero; with a base model that never saw the format, the paper's first
experiment). `r1 pipeline run --until zero` stops after a stage.

After each training stage the model is evaluated (`r1 eval`, greedy) on the held-out test split, and
`r1 report` writes its plots. A finished stage leaves `DIR/stages/<name>.json`; a rerun skips finished
stages and continues an unfinished one (training from its last checkpoint, generation where it stopped).
`DIR/summary.json` lists the stages: name, model_dir, accuracy, format_rate, seconds.

The `[pipeline]` section holds what differs between the stages (steps, learning rates, sizes); the
rest comes from the recipe's own sections ([sft], [grpo], [generation], [rewards], [data], [tiny]).
"""

from r1cli.pipeline.run import Pipeline, run_pipeline
from r1cli.pipeline.settings import STAGES, check_pipeline_settings, pipeline_recipe, stage_recipe
from r1cli.pipeline.summary import PipelineResult, StageRecord

__all__ = [
    "STAGES",
    "Pipeline",
    "PipelineResult",
    "StageRecord",
    "check_pipeline_settings",
    "pipeline_recipe",
    "run_pipeline",
    "stage_recipe",
]
