"""Does `r1 train sft` teach? r1-tiny, SFT on a built-in task's worked traces, greedy held-out accuracy.

The problems are `synthetic:addition` ("What is A + B?", A and B in 0..99) split by `r1 data prepare`'s
own rule (2000 problems, 10 % test, seed 42); the held-out test split is only ever evaluated, never
trained or tuned on. Each training problem becomes a `messages` row whose assistant turn is the
column-sum trace (`addition_trace`: `<think>` one column per line, `<answer>` the sum). The baseline
is the same freshly built r1-tiny before training, measured in the same run with the same verdict
code as `r1 eval` (greedy, the accuracy and format rewards). Settings from the pipeline experiments
(/tmp/r1-team/FINDINGS.md): short system prompt, batch 32, lr 2e-3 constant. Target: >= 40 % held-out
accuracy (from 0) in a few minutes on 2 CPU cores. `--task chain` runs the same on `synthetic:chain`
("What is A + B - C + D?", traces one operation per line), the task that needs its written steps.

    python benchmarks/sft_learning.py [--task addition] [--steps 500] [--batch 32] [--eval-problems 200]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1cli.data.prepare import prepare
from r1cli.data.store import save_prepared
from r1cli.data.synthetic import synthetic_task
from r1cli.evaluate.run import evaluate_problems
from r1cli.preflight.validate import validate_recipe
from r1cli.recipe import load_recipe
from r1cli.train.sft import train_sft

SYSTEM_PROMPT = "Think inside <think> </think>, then answer inside <answer> </answer>."


def build_data(workdir: Path, recipe, task: str) -> tuple[Path, Path, int]:
    """(prepared folder whose test split is held out, SFT rows file of the train split, train rows)."""
    source = f"synthetic:{task}"
    dataset, summary = prepare(recipe.section("data"), source)
    prepared = save_prepared(dataset, summary, workdir / task)
    trace = synthetic_task(source).trace
    rows = workdir / "traces.jsonl"
    with rows.open("w") as f:
        for row in dataset["train"]:
            messages = [*row["prompt"], {"role": "assistant", "content": trace(row["problem"])}]
            f.write(json.dumps({"messages": messages}) + "\n")
    return prepared, rows, len(dataset["train"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="addition", help="a built-in task: addition or chain")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--eval-problems", type=int, default=200)
    parser.add_argument("--output-dir", type=Path, default=None)
    args = parser.parse_args()

    workdir = args.output_dir or Path(tempfile.mkdtemp(prefix="r1-sft-learning-"))
    workdir.mkdir(parents=True, exist_ok=True)
    overrides = {
        "data.system_prompt": SYSTEM_PROMPT,
        "data.synthetic_size": 2000,
        "data.test_size": 0.1,
        "data.seed": 42,
        "generation.max_new_tokens": 64,
        "generation.batch_size": 50,
        "sft.max_steps": args.steps,
        "sft.per_device_train_batch_size": args.batch,
        "sft.learning_rate": args.learning_rate,
        "sft.lr_scheduler_type": "constant",
        "sft.logging_steps": 50,
        "sft.save_steps": args.steps,
        "sft.output_dir": workdir / "sft",
        "logging.rich": False,
    }
    argv = [item for key, value in overrides.items() for item in (f"--{key}", str(value))]
    recipe = validate_recipe(load_recipe(None, None, argv, stage="sft"))
    prepared, rows, train_rows = build_data(workdir, recipe, args.task)
    recipe = validate_recipe(
        load_recipe(None, None, [*argv, "--data.dataset", str(rows), "--data.test_size", "0"], stage="sft")
    )

    before = evaluate_problems("r1-tiny", prepared, recipe, limit=args.eval_problems)
    started = time.perf_counter()
    result = train_sft(recipe)
    train_seconds = time.perf_counter() - started
    after = evaluate_problems(str(result.output_dir), prepared, recipe, limit=args.eval_problems)

    held_out = len(before.predictions)
    print(
        f"\nSFT on {train_rows} {args.task} traces, {args.steps} steps x batch {args.batch}, {train_seconds:.0f} s"
    )
    print(f"held-out problems (never trained on): {held_out}, greedy, max 64 new tokens")
    print(f"{'':<16}{'accuracy':>10}{'format':>10}")
    for name, res in (("r1-tiny (before)", before), ("after SFT", after)):
        print(f"{name:<16}{res.metrics['accuracy']:>10.1%}{res.metrics['format_rate']:>10.1%}")
    gain = after.metrics["accuracy"] - before.metrics["accuracy"]
    print(f"accuracy gain over the baseline: {gain:+.1%} (target: >= 40 % after SFT)")
    print(f"model: {result.output_dir}")


if __name__ == "__main__":
    main()
