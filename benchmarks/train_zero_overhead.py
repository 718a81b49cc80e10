"""Does r1's training-log system slow GRPO down? `r1 train zero` against a bare TRL GRPOTrainer.

Both run the tiny CPU recipe with identical model, data, rewards and GRPOConfig, in separate
processes, alternating (bare, r1, bare, r1, ...) so that machine drift hits both alike. The step
time of each is the median wall time between consecutive training steps, after the warm-up steps
(the first steps of a process pay for fresh memory pages). Target: r1 / bare <= 1.05.

    python benchmarks/train_zero_overhead.py [--steps 30] [--rounds 2] [--warmup 5]
    python benchmarks/train_zero_overhead.py --recipe smollm2-cpu --steps 6 --warmup 2 --rounds 1 \
        -- --model.name_or_path models/smollm2                      # a real model: the same rule
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = r"""
import json, sys, time
from transformers import TrainerCallback
from trl import GRPOTrainer
from r1cli.data import load_prompt_dataset
from r1cli.models.loading import load_model, load_tokenizer
from r1cli.recipe import load_recipe
from r1cli.recipe.trl_config import build_trainer_config
from r1cli.rewards.registry import build_reward_functions, reward_weights
from r1cli.preflight.validate import validate_recipe

out, steps, recipe_name = sys.argv[1], sys.argv[2], sys.argv[3] or None
overrides = ["--grpo.output_dir", out, "--grpo.max_steps", steps, "--grpo.save_strategy", "no", *sys.argv[4:]]
recipe = validate_recipe(load_recipe(recipe_name, None, overrides))
rewards = recipe.section("rewards")
config = build_trainer_config(recipe, "grpo", reward_weights=reward_weights(rewards, rewards["functions"]))
stamps = []

class Stamp(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        stamps.append(time.perf_counter())

tokenizer = load_tokenizer(recipe.tree)
trainer = GRPOTrainer(
    model=load_model(recipe.tree, for_training=True),
    reward_funcs=build_reward_functions(rewards, rewards["functions"]),
    args=config,
    train_dataset=load_prompt_dataset(recipe.section("data"), tokenizer=tokenizer)["train"],
    processing_class=tokenizer,
    callbacks=[Stamp()],
)
trainer.train()
print(json.dumps([b - a for a, b in zip(stamps, stamps[1:])]))
"""


def run_bare(steps: int, workdir: Path, recipe: str | None, extra: list[str]) -> list[float]:
    result = subprocess.run(
        [sys.executable, "-c", BARE, str(workdir / "bare"), str(steps), recipe or "", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_r1(steps: int, workdir: Path, recipe: str | None, extra: list[str]) -> list[float]:
    out = workdir / "r1"
    command = [sys.executable, "-m", "r1cli.cli.main", "train", "zero", "--output-dir", str(out)]
    command += ["--grpo.max_steps", str(steps), "--grpo.save_strategy", "no", "--logging.examples_every", "5"]
    command += [*(["--recipe", recipe] if recipe else []), *extra]
    subprocess.run(command, capture_output=True, text=True, check=True)
    lines = (out / "metrics.jsonl").read_text().splitlines()
    # r1's own per-step wall time: the time between consecutive logging steps (logging_steps = 1).
    return [json.loads(line)["r1/wall_time_per_step"] for line in lines[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--recipe", default=None, help="default: the tiny CPU recipe")
    args, extra = parser.parse_known_args()  # further recipe overrides, for both sides
    extra = [a for a in extra if a != "--"]
    times: dict[str, list[float]] = {"bare": [], "r1": []}
    for round_index in range(args.rounds):
        for name, runner in (("bare", run_bare), ("r1", run_r1)):
            with tempfile.TemporaryDirectory() as workdir:
                start = time.perf_counter()
                steps = runner(args.steps, Path(workdir), args.recipe, extra)
                times[name] += steps[args.warmup :]
                print(
                    f"round {round_index + 1} {name:4}: median {statistics.median(steps[args.warmup :]):.3f} s/step "
                    f"({time.perf_counter() - start:.0f} s total)",
                    file=sys.stderr,
                )
    bare, ours = statistics.median(times["bare"]), statistics.median(times["r1"])
    print(f"bare GRPOTrainer: {bare:.3f} s/step (median of {len(times['bare'])} steps)")
    print(f"r1 train zero:    {ours:.3f} s/step (median of {len(times['r1'])} steps)")
    print(f"ratio r1 / bare:  {ours / bare:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
