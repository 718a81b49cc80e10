"""R1-Zero in miniature: does GRPO alone teach a *base* model the format and the answers? Over several seeds.

    python benchmarks/zero_from_base.py                          # 3 seeds, the defaults below
    python benchmarks/zero_from_base.py --seeds 0 1 2 --output-dir runs/zero-from-base

Per seed: `r1 train pretrain` on the built-in prose corpus (`synthetic:addition-text`: worked problems in
plain sentences, no <think>/<answer> tags, no chat turns) makes a base model in the paper's sense; it is
evaluated greedily on the held-out test split of `synthetic:addition` (never trained or tuned on); then
`r1 train zero` runs GRPO from it with the accuracy, format and tag_count rewards and the R1-Zero prompt
(the default data.system_prompt), and the GRPO model is evaluated the same way. Prints, per seed and as
mean +- sd over the seeds: format rate and accuracy before -> after, and the mean completion length over
GRPO steps (the paper's length curve: first, middle and last tenth of the steps). The runs are left in
OUTPUT/seed-N/{base,zero} (`r1 report OUTPUT/seed-*/zero` draws them).

Every stage is r1's own code with the tiny CPU recipe's defaults, except the values set below (the same
for every seed; the seed changes the model's initialisation, the data order and the sampling).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1cli.evaluate import evaluate_problems
from r1cli.recipe import load_recipe
from r1cli.train.pretrain import train_pretrain
from r1cli.train.zero import train_zero
from r1cli.validate import validate_recipe

PRETRAIN = ["--sft.max_steps=300", "--sft.per_device_train_batch_size=32", "--sft.max_length=96"]
ZERO = ["--grpo.max_steps=80", "--grpo.learning_rate=1e-4", "--grpo.per_device_train_batch_size=32"]
ZERO += ["--grpo.max_completion_length=64", "--rewards.functions=[accuracy,format,tag_count]"]
EVAL_TOKENS = 64


def _recipe(stage: str, overrides: list[str]):
    return validate_recipe(load_recipe(None, None, overrides, environ={}, stage=stage))


def _scores(model: Path, data: Path, recipe, limit: int) -> dict[str, float]:
    result = evaluate_problems(model, data, recipe, max_new_tokens=EVAL_TOKENS, limit=limit)
    return {key: float(result.metrics[key]) for key in ("accuracy", "format_rate", "mean_completion_tokens")}


def _lengths(run: Path) -> list[float]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [
        float(r["completions/mean_length"]) for r in rows if "loss" in r and "completions/mean_length" in r
    ]


def _tenths(values: list[float]) -> tuple[float, float, float]:
    """Mean of the first, middle and last tenth of a curve."""
    k = max(len(values) // 10, 1)
    middle = len(values) // 2
    return (
        statistics.fmean(values[:k]),
        statistics.fmean(values[middle - k // 2 : middle - k // 2 + k]),
        statistics.fmean(values[-k:]),
    )


def _spread(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.3f} +- {sd:.3f}"


def run_seed(seed: int, output: Path, data: Path, limit: int) -> dict[str, float]:
    folder = output / f"seed-{seed}"
    base, zero = folder / "base", folder / "zero"
    seeds = [f"--sft.seed={seed}", f"--tiny.seed={seed}", f"--grpo.seed={seed}", f"--generation.seed={seed}"]
    if not (base / "train_result.json").is_file():
        overrides = ["--data.dataset=synthetic:addition-text", f"--sft.output_dir={base}", *PRETRAIN, *seeds]
        overrides += ["--logging.rich=false"]
        train_pretrain(_recipe("pretrain", overrides), resume=base.is_dir())
    eval_recipe = _recipe("generate", [f"--data.dataset={data}", *seeds])
    before = _scores(base, data, eval_recipe, limit)
    if not (zero / "train_result.json").is_file():
        overrides = [f"--model.name_or_path={base}", f"--data.dataset={data}", f"--grpo.output_dir={zero}"]
        overrides += [*ZERO, *seeds, "--logging.rich=false", "--logging.examples_every=0"]
        train_zero(_recipe("zero", overrides), resume=zero.is_dir())
    after = _scores(zero, data, eval_recipe, limit)
    first, middle, last = _tenths(_lengths(zero))
    return {
        "format_before": before["format_rate"],
        "format_after": after["format_rate"],
        "accuracy_before": before["accuracy"],
        "accuracy_after": after["accuracy"],
        "length_first": first,
        "length_middle": middle,
        "length_last": last,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--output-dir", type=Path, default=None, help="default: a new temporary folder")
    parser.add_argument("--limit", type=int, default=200, help="held-out problems evaluated")
    args = parser.parse_args()
    output = args.output_dir or Path(tempfile.mkdtemp(prefix="r1-zero-from-base-"))
    output.mkdir(parents=True, exist_ok=True)
    data = output / "data"
    if not data.is_dir():
        from r1cli.data import prepare, save_prepared

        recipe = _recipe("prepare", [])
        dataset, summary = prepare(recipe.section("data"), "synthetic:addition", sft=False)
        save_prepared(dataset, summary, data, recipe=recipe)

    started, results = time.perf_counter(), {}
    for seed in args.seeds:
        seed_started = time.perf_counter()
        results[seed] = run_seed(seed, output, data, args.limit)
        print(
            f"seed {seed} ({time.perf_counter() - seed_started:.0f} s): {json.dumps(results[seed])}",
            flush=True,
        )
    print(f"\nR1-Zero from a base model, {len(results)} seeds, {time.perf_counter() - started:.0f} s")
    print(f"held-out problems: {args.limit} of {data}/test, greedy, {EVAL_TOKENS} new tokens")
    for key in next(iter(results.values())):
        print(f"  {key:16s} {_spread([r[key] for r in results.values()])}")
    gain = [r["accuracy_after"] - r["accuracy_before"] for r in results.values()]
    print(f"  accuracy gain    {_spread(gain)} (target >= +0.30)")
    print("  format after     target >= 0.90; lengths: mean tokens in the first/middle/last tenth of GRPO")
    (output / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
