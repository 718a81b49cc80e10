"""Does dynamic sampling (DAPO) reach the same held-out accuracy with fewer generated completions?

    python benchmarks/dynamic_sampling.py                       # the tiny pipeline's first stages first (~2 min)
    python benchmarks/dynamic_sampling.py --pipeline runs/pipeline   # reuse a pipeline's data and SFT model

The tiny pipeline's GRPO stage, twice from the same SFT model with the same seed: dynamic sampling off,
then on (`[dynamic_sampling]` defaults: filter on the accuracy reward, 3 extra rounds at most). Both
check held-out accuracy every `--every` steps on the same validation problems, carved from the train
split and never trained on (`[validation]`, greedy, r1 eval's code). Generation is where GRPO spends
its time, so the x axis is completions generated, not steps. Prints both curves, and the completions
each run needed to first reach the accuracy target (the best the run without dynamic sampling reached,
or `--target`), and their ratio; draws the curves into OUTPUT/dynamic_sampling.png.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1cli.pipeline import run_pipeline
from r1cli.pipeline.settings import pipeline_recipe
from r1cli.preflight.validate import validate_recipe
from r1cli.recipe import load_recipe
from r1cli.train.zero import train_zero


def curve(run: Path, batch: int) -> list[tuple[int, int, float]]:
    """(step, completions generated so far, validation accuracy) at each validated step."""
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    generated, points = 0, []
    for row in rows:
        if "loss" not in row:
            continue
        generated += int(row.get("dynamic_sampling/completions", batch))
        if "r1/val_accuracy" in row:
            points.append((int(row["step"]), generated, float(row["r1/val_accuracy"])))
    return points


def first_reaching(points: list[tuple[int, int, float]], target: float) -> int | None:
    return next((generated for _, generated, accuracy in points if accuracy >= target - 1e-9), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", type=Path, default=None, help="a pipeline folder with data/ and sft/")
    parser.add_argument("--output-dir", type=Path, default=None, help="default: a new temporary folder")
    parser.add_argument("--steps", type=int, default=None, help="GRPO steps (default: pipeline.zero_steps)")
    parser.add_argument("--every", type=int, default=10, help="steps between validations")
    parser.add_argument("--size", type=int, default=100, help="validation problems")
    parser.add_argument("--target", type=float, default=None, help="accuracy target (default: see above)")
    args = parser.parse_args()

    output = args.output_dir or Path(tempfile.mkdtemp(prefix="r1-dynamic-"))
    output.mkdir(parents=True, exist_ok=True)
    base = validate_recipe(load_recipe(None, None, [], environ={}, stage="zero"))
    pipeline = args.pipeline
    if pipeline is None:
        pipeline = output / "pipeline"
        print(f"running the tiny pipeline into {pipeline} for its data and SFT model", flush=True)
        run_pipeline(base, pipeline, until="sft")
    cfg = base.section("pipeline")
    steps = args.steps or int(cfg["zero_steps"])
    batch = int(cfg["zero_batch_size"])
    runs: dict[str, list[tuple[int, int, float]]] = {}
    seconds: dict[str, float] = {}
    for name, enabled in (("off", "false"), ("on", "true")):
        overrides = [
            f"--model.name_or_path={pipeline / 'sft'}",
            f"--data.dataset={pipeline / 'data'}",
            f"--grpo.output_dir={output / name}",
            f"--grpo.max_steps={steps}",
            f"--grpo.learning_rate={cfg['zero_learning_rate']}",
            f"--grpo.per_device_train_batch_size={batch}",
            f"--dynamic_sampling.enabled={enabled}",
            f"--validation.every={args.every}",
            f"--validation.size={args.size}",
            "--logging.rich=false",
            "--logging.examples_every=0",
        ]
        recipe = validate_recipe(
            pipeline_recipe(load_recipe(None, None, overrides, environ={}, stage="zero"))
        )
        if not (output / name / "train_result.json").is_file():
            started = time.perf_counter()
            train_zero(recipe, resume=(output / name).is_dir())
            seconds[name] = time.perf_counter() - started
        runs[name] = curve(output / name, batch)

    print("\nheld-out accuracy (validation split, greedy) against completions generated")
    for name, points in runs.items():
        took = f", {seconds[name]:.0f} s" if name in seconds else ""
        print(f"dynamic sampling {name}{took}:")
        for step, generated, accuracy in points:
            print(f"  step {step:4d}  completions {generated:6d}  accuracy {accuracy:.3f}")
    target = args.target if args.target is not None else max(a for _, _, a in runs["off"])
    needed = {name: first_reaching(points, target) for name, points in runs.items()}
    print(f"\ncompletions to first reach accuracy {target:.3f}: off {needed['off']}, on {needed['on']}")
    if needed["off"] and needed["on"]:
        print(f"ratio off/on: {needed['off'] / needed['on']:.2f}x (above 1: dynamic sampling needs fewer)")
    else:
        print("ratio: n/a (a run did not reach the target)")
    _plot(runs, output / "dynamic_sampling.png")
    print(f"curves: {output / 'dynamic_sampling.png'}")
    return 0


def _plot(runs: dict[str, list[tuple[int, int, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for name, points in runs.items():
        axes.plot(
            [p[1] for p in points], [p[2] for p in points], marker="o", label=f"dynamic sampling {name}"
        )
    axes.set_xlabel("completions generated")
    axes.set_ylabel("validation accuracy (greedy)")
    axes.set_title("GRPO on the tiny pipeline: dynamic sampling off vs on")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


if __name__ == "__main__":
    raise SystemExit(main())
