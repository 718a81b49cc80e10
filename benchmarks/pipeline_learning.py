"""Does the whole R1 pipeline teach r1-tiny, within 10 minutes on 2 CPU cores? `r1 pipeline run`, measured.

Runs the built-in tiny pipeline (the defaults, or `--recipe`): cold start -> SFT -> GRPO (zero) ->
rejection sampling -> SFT stage 2 -> distill, each training stage evaluated greedily on the held-out
test split of `synthetic:addition` (never trained or tuned on; the settings came from a validation
split carved from the train problems). Prints the pipeline's table, then each target against the
baseline it is measured against in the same run:

- the whole run within 10 minutes (wall clock, this machine);
- `zero` (GRPO) beats `sft` (SFT stage 1) by at least 10 points of accuracy;
- `reject_sft` keeps the `zero` accuracy within 2 points;
- the distilled student reaches at least 80 % of its teacher's (`reject_sft`) accuracy.

    python benchmarks/pipeline_learning.py [--output-dir DIR] [--recipe R] [recipe overrides ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1cli.cli.pipeline import _print_stage, _print_table
from r1cli.pipeline import run_pipeline
from r1cli.preflight.validate import validate_recipe
from r1cli.recipe import load_recipe

BUDGET_SECONDS = 600


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=None, help="default: a new temporary folder")
    parser.add_argument("--recipe", type=Path, default=None)
    args, overrides = parser.parse_known_args()

    output = args.output_dir or Path(tempfile.mkdtemp(prefix="r1-pipeline-")) / "run"
    recipe = validate_recipe(load_recipe(args.recipe, None, overrides, stage="zero"))
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = run_pipeline(recipe, output, on_stage=_print_stage)
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    _print_table(result)

    acc = {record.name: record.accuracy for record in result.stages if record.accuracy is not None}
    reused = [record.name for record in result.stages if record.reused]
    checks = [
        (
            f"whole run {wall:.0f}s <= {BUDGET_SECONDS}s (CPU {cpu:.0f}s)",
            wall <= BUDGET_SECONDS and not reused,
        ),
        (
            f"zero {acc['zero']:.1%} vs sft {acc['sft']:.1%}: +{100 * (acc['zero'] - acc['sft']):.1f} points (>= 10)",
            acc["zero"] - acc["sft"] >= 0.10,
        ),
        (
            f"reject_sft {acc['reject_sft']:.1%} vs zero {acc['zero']:.1%}: "
            f"{100 * (acc['reject_sft'] - acc['zero']):+.1f} points (>= -2)",
            acc["reject_sft"] - acc["zero"] >= -0.02,
        ),
        (
            f"student {acc['distill']:.1%} vs teacher {acc['reject_sft']:.1%}: "
            f"{acc['distill'] / max(acc['reject_sft'], 1e-9):.2f}x (>= 0.80x)",
            acc["distill"] >= 0.8 * acc["reject_sft"],
        ),
    ]
    print(f"pipeline folder: {result.output_dir}")
    if reused:
        print(f"note: {', '.join(reused)} finished in an earlier run: the wall time covers this run only")
    for text, ok in checks:
        print(f"[{'PASS' if ok else 'MISS'}] {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
