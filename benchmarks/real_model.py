"""The seed's R1-Zero stage on a real pretrained model, on a CPU: SmolLM2-135M-Instruct (imported from its
GGUF by `r1 model import`) taught the R1 format and the answers of "What is A + B?" by r1's GRPO, and the R1
recipe's answer to a weak Zero (cold start, SFT, then the same GRPO steps). Every number is greedy on the
200 held-out test problems (never trained or tuned on), asked in the model's own chat template with the
seed's R1-Zero system prompt.

    python benchmarks/real_model.py --model models/smollm2 --output-dir runs/real            # 2 seeds, both arms
    python benchmarks/real_model.py --model models/smollm2 --output-dir runs/real --seeds 0 --arms zero

Each arm is `r1 pipeline run --recipe smollm2-cpu --until zero` in its own folder (`zero`: pipeline.coldstart
= none, GRPO from the model itself; `coldstart`: worked traces, SFT, then the same GRPO steps; its later seeds
start their GRPO from the first seed's SFT model, which the GRPO seed does not change), so a rerun of this
script continues every unfinished run where it stopped. Extra arguments after `--` go to every run
(e.g. `-- --pipeline.zero_steps 40`). Prints the table (model, held-out accuracy, format rate, completion
tokens) and writes OUTPUT/results.json and, with `r1 report --group`, OUTPUT/report (accuracy, format and
completion length over GRPO steps, a band per arm over the seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

R1 = [sys.executable, "-m", "r1cli.cli.main"]
RECIPE = "smollm2-cpu"
# R1-Zero runs GRPO at the recipe's grpo.learning_rate (2e-5, as `r1 train zero --recipe smollm2-cpu`); the
# cold start's GRPO at the recipe's pipeline.zero_learning_rate (2e-6: 2e-5 undid what the SFT taught).
ARMS = {
    "zero": ["--pipeline.coldstart", "none", "--pipeline.zero_learning_rate", "2e-5"],
    "coldstart": ["--pipeline.coldstart", "traces"],
}


def r1(*args: str) -> None:
    print("$ r1 " + " ".join(args), file=sys.stderr, flush=True)
    subprocess.run([*R1, *args], check=True)


def base_eval(model: str, out: Path, extra: list[str]) -> dict:
    """The model before any training, on the test split the pipeline runs prepare (same data settings)."""
    data = out / "data"
    if not (data / "dataset_dict.json").exists():
        r1("data", "prepare", "--recipe", RECIPE, "-o", str(data), *extra)
    results = out / "base.json"
    if not results.exists():
        r1("eval", model, "--data", str(data), "--recipe", RECIPE, "-o", str(results), *extra)
    return json.loads(results.read_text())["results"][0]


def run_arm(model: str, out: Path, arm: str, seed: int, first_seed: int, extra: list[str]) -> dict:
    folder = out / f"{arm}-s{seed}"
    options = ARMS[arm]
    if arm == "coldstart" and seed != first_seed:
        # The SFT does not depend on the GRPO seed (it has its own, sft.seed): the cold-start arm's later
        # seeds run the same GRPO from the first seed's SFT model instead of training it again.
        model, options = str(out / f"coldstart-s{first_seed}" / "sft"), ["--pipeline.coldstart", "none"]
    r1("pipeline", "run", "--recipe", RECIPE, "--model.name_or_path", model, "--until", "zero",
       "--output-dir", str(folder), "--grpo.seed", str(seed), *options, *extra)  # fmt: skip
    summary = json.loads((folder / "summary.json").read_text())
    return {stage["name"]: stage for stage in summary["stages"]}


def mean_sd(values: list[float]) -> str:
    shown = f"{100 * statistics.mean(values):.1f}"
    return shown + (f" ± {100 * statistics.stdev(values):.1f}" if len(values) > 1 else "") + " %"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the imported model folder (r1 model import)")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--arms", nargs="+", choices=sorted(ARMS), default=["zero", "coldstart"])
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    out = args.output_dir
    out.mkdir(parents=True, exist_ok=True)

    base = base_eval(args.model, out, extra)
    rows = [("base model", [base["accuracy"]], [base["format_rate"]], [base["mean_completion_tokens"]])]
    runs: dict[str, list[dict]] = {}
    for seed in args.seeds:  # seed by seed: a session cut short leaves both arms of the first seed
        for arm in args.arms:
            runs.setdefault(arm, []).append(run_arm(args.model, out, arm, seed, args.seeds[0], extra))
    for arm, stages in runs.items():
        if arm == "coldstart":
            rows.append(
                (
                    "cold start SFT",
                    [s["sft"]["accuracy"] for s in stages if "sft" in s],  # the first seed's
                    [s["sft"]["format_rate"] for s in stages if "sft" in s],
                    [],
                )
            )
        label = "R1-Zero GRPO from the model" if arm == "zero" else "... then the same GRPO steps"
        rows.append(
            (label, [s["zero"]["accuracy"] for s in stages], [s["zero"]["format_rate"] for s in stages], [])
        )

    print(f"\n{'model':<34} {'held-out accuracy':>18} {'format':>16}  seeds {args.seeds}")
    for label, accuracy, formats, _tokens in rows:
        print(f"{label:<34} {mean_sd(accuracy):>18} {mean_sd(formats):>16}")
    (out / "results.json").write_text(json.dumps({"base": base, "runs": runs}, indent=2, default=str) + "\n")

    groups = []
    for arm in runs:
        folders = ",".join(str(out / f"{arm}-s{seed}" / "zero") for seed in args.seeds)
        groups += ["--group", f"{arm}={folders}"]
    r1("report", *groups, "--output", str(out / "report"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
