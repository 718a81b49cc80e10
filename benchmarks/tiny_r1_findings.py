"""The R1 paper's three findings, in miniature, over seeds: R1-Zero from a base model, cold start helps,
distillation beats RL on a small model. Every number on held-out problems; every stage is r1's own code.

    python benchmarks/tiny_r1_findings.py --output-dir runs/findings            # 3 seeds, ~45 min on 2 cores
    python benchmarks/tiny_r1_findings.py --output-dir runs/findings --experiments zero
    python benchmarks/tiny_r1_findings.py --output-dir runs/findings-chain --task chain   # ~50 min

The task is `synthetic:addition` (2-digit sums), or with `--task chain` `synthetic:chain` with three
operands in 0..9 (`What is 7 - 9 + 4?`: a running total that can go negative, worked one operation per
line), the test split never trained or tuned on, prompted with the pipeline's short R1 system prompt.
Made once, as the paper has one base model:
- the base: `r1 train pretrain` of r1-tiny on the task's `-text` corpus with `data.markup_share`: the train
  problems worked in prose, no tags, plus tagged word puzzles (never arithmetic) so that the base has seen
  what `<think>`/`<answer>` are (a base that never read them never writes them: GRPO gets no signal);
- the student base: the same corpus for the [tiny_student] shape (2 layers instead of 4).
Per seed (GRPO's seed, sampling and data order; the bases are shared):
1. `zero`: GRPO from the base, ZERO_STEPS steps (accuracy, format and tag_count rewards), at the pipeline's
   GRPO learning rate (1e-4) and at 3x it (`zero-hot`); and both again with the paper's rule that only an
   answer in the asked format counts (`zero-tags`, `zero-tags-hot`: rewards.accuracy.answer_in = "tags").
2. `coldstart`: `r1 pipeline run` from the same base: cold-start SFT on worked traces, then GRPO for the
   same ZERO_STEPS with the same rewards, rejection sampling, SFT stage 2, distillation into the student
   base. Compared with 1 at equal GRPO steps.
3. `distill`: the pipeline's distilled student vs the student base trained by GRPO alone for
   STUDENT_ZERO_STEPS (wall time printed for both: the compute held comparable is the training time).
Readability (a format measure defined here): a completion is readable when it is well formed and its
reasoning holds only worked steps: numbers, + - =, and the words write/and/carry/so.
Prints per experiment the mean +- sd over seeds and writes OUTPUT/results.json and, with `r1 report`'s
bands, OUTPUT/report (accuracy and completion length over GRPO steps, zero-from-base vs after cold start).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1cli.data import prepare, save_prepared
from r1cli.evaluate.run import evaluate_problems
from r1cli.pipeline import run_pipeline
from r1cli.preflight.validate import validate_recipe
from r1cli.recipe import load_recipe
from r1cli.report.bands import band, write_group_report
from r1cli.report.summary import read_run, smooth, smoothing_window
from r1cli.rewards.format import is_well_formed
from r1cli.train.pretrain import train_pretrain
from r1cli.train.zero import train_zero

SYSTEM_PROMPT = "Think inside <think> </think>, then answer inside <answer> </answer>."
# Each task's [data] settings, given to every stage (the same problems, train/test split and corpus).
TASKS = {
    "addition": ["--data.dataset=synthetic:addition"],
    "chain": ["--data.dataset=synthetic:chain", "--data.synthetic_max=9", "--data.synthetic_terms=3"],
}
TASK = "addition"  # set once by main() from --task
MARKUP = ["--data.markup_share=0.2"]
PRETRAIN = [
    "--sft.max_steps=1000",
    "--sft.per_device_train_batch_size=32",
    "--sft.max_length=96",
    "--sft.seed=0",
]
STUDENT_SHAPE = ["--tiny.num_hidden_layers=2"]  # [tiny_student]'s shape: [tiny] with half the layers
ZERO_STEPS, STUDENT_ZERO_STEPS = 200, 400
HOT = "--grpo.learning_rate=3e-4"  # 3x the pipeline's GRPO learning rate
TAGS = "--rewards.accuracy.answer_in=tags"  # the R1-Zero rule: an answer outside <answer> earns nothing
# Experiment 1's arms: run folder -> (what differs, its overrides).
ZERO_ARMS = {
    "zero": ("lr 1e-4", []),
    "zero-hot": ("lr 3e-4", [HOT]),
    "zero-tags": ("lr 1e-4, answer in <answer> only", [TAGS]),
    "zero-tags-hot": ("lr 3e-4, answer in <answer> only", [HOT, TAGS]),
}
REWARDS = ["accuracy", "format", "tag_count"]
ZERO = [
    "--grpo.learning_rate=1e-4",
    "--grpo.per_device_train_batch_size=32",
    "--grpo.max_completion_length=64",
    f"--rewards.functions=[{','.join(REWARDS)}]",
]
PIPELINE: list[str] = []  # every other pipeline key: the tiny recipe's
EVAL_TOKENS, EVAL_PROBLEMS = 64, 200
_STEP_WORDS = {"write", "and", "carry", "so"}
_THINK_RE = re.compile(r"<think>(.*)</think>", re.DOTALL)


def _recipe(stage: str, overrides: list[str]):
    common = [f"--data.system_prompt={SYSTEM_PROMPT}", "--logging.rich=false", "--logging.examples_every=0"]
    common += TASKS[TASK]
    return validate_recipe(load_recipe(None, None, [*common, *overrides], environ={}, stage=stage))


def readable(text: str) -> bool:
    """Well formed, and the reasoning is worked steps only (no stray words, no empty think).

    >>> readable("<think> 2 + 0 = 2, write 2. So 12 + 30 = 42. </think> <answer> 42 </answer>")
    True
    >>> readable("<think> fread. cread. </think> <answer> 42 </answer>"), readable("So 12 + 30 = 42.")
    (False, False)
    """
    if not is_well_formed(text):
        return False
    think = _THINK_RE.search(text).group(1)
    words = set(re.findall(r"[A-Za-z]+", think.lower()))
    return bool(re.search(r"\d", think)) and words <= _STEP_WORDS


def scores(model: Path, data: Path) -> dict[str, float]:
    result = evaluate_problems(
        model, data, _recipe("generate", []), max_new_tokens=EVAL_TOKENS, limit=EVAL_PROBLEMS
    )
    texts = [row["completion"] for row in result.predictions]
    return {
        "accuracy": float(result.metrics["accuracy"]),
        "format": float(result.metrics["format_rate"]),
        "readable": sum(map(readable, texts)) / len(texts),
        "tokens": float(result.metrics["mean_completion_tokens"]),
    }


def timed(work, *args) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def pretrain(folder: Path, shape: list[str]) -> None:
    if not (folder / "train_result.json").is_file():
        corpus = [f"--data.dataset=synthetic:{TASK}-text", *MARKUP]
        overrides = [*corpus, *PRETRAIN, *shape, f"--sft.output_dir={folder}"]
        train_pretrain(_recipe("pretrain", overrides), resume=folder.is_dir())


def zero(start: Path, folder: Path, data: Path, seed: int, steps: int, *extra: str) -> None:
    if not (folder / "train_result.json").is_file():
        overrides = [f"--model.name_or_path={start}", f"--data.dataset={data}", f"--grpo.output_dir={folder}"]
        overrides += [
            *ZERO,
            f"--grpo.max_steps={steps}",
            f"--grpo.seed={seed}",
            f"--generation.seed={seed}",
            *extra,
        ]
        train_zero(_recipe("zero", overrides), resume=folder.is_dir())


def pipeline(base: Path, student: Path, folder: Path, data: Path, seed: int) -> None:
    overrides = [
        f"--model.name_or_path={base}",
        f"--data.dataset=synthetic:{TASK}",  # prepared by the pipeline, the same split as `data`
        f"--pipeline.zero_steps={ZERO_STEPS}",
        f"--pipeline.student={student}",
        f"--pipeline.rewards=[{','.join(REWARDS)}]",
        f"--pipeline.system_prompt={SYSTEM_PROMPT}",
        f"--pipeline.max_new_tokens={EVAL_TOKENS}",
        f"--pipeline.eval_problems={EVAL_PROBLEMS}",
        *(f"--{section}.seed={seed}" for section in ("grpo", "sft", "generation")),
        *PIPELINE,
    ]
    run_pipeline(_recipe("zero", overrides), folder)


def lengths_and_accuracy(run: Path) -> dict[str, list[float]]:
    """The run's mean completion length and accuracy reward per logged GRPO step (`r1 report`'s reader)."""
    metrics = read_run(run)
    return {
        "length": metrics.series("completions/mean_length")[1],
        "accuracy": metrics.series("rewards/accuracy/mean")[1],
    }


def tenths(values: list[float]) -> list[float]:
    """Mean of the first, middle and last tenth of a curve."""
    k, middle = max(len(values) // 10, 1), len(values) // 2
    parts = (values[:k], values[middle - k // 2 : middle - k // 2 + k], values[-k:])
    return [round(statistics.fmean(part), 1) for part in parts]


def spread(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):6.3f} +- {sd:.3f}"


def table(title: str, rows: dict[str, list[dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"  {'model':24s} {'accuracy':>16s} {'format':>16s} {'readable':>16s} {'tokens':>16s}")
    for name, per_seed in rows.items():
        cells = [spread([s[key] for s in per_seed]) for key in ("accuracy", "format", "readable", "tokens")]
        print(f"  {name:24s} " + " ".join(f"{cell:>16s}" for cell in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--experiments", nargs="+", default=["zero", "coldstart", "distill"])
    parser.add_argument("--task", choices=sorted(TASKS), default="addition")
    args = parser.parse_args()
    global TASK
    TASK = args.task
    out = args.output_dir
    out.mkdir(parents=True, exist_ok=True)
    data, base, student = out / "data", out / "base", out / "student-base"
    if not data.is_dir():
        recipe = _recipe("prepare", [])
        dataset, summary = prepare(recipe.section("data"), f"synthetic:{TASK}", sft=False)
        save_prepared(dataset, summary, data, recipe=recipe)
    seconds = {"base": timed(pretrain, base, [])}
    results: dict = {"base": scores(base, data), "seeds": {}}
    if "distill" in args.experiments:
        seconds["student-base"] = timed(pretrain, student, STUDENT_SHAPE)
        results["student-base"] = scores(student, data)
    for seed in args.seeds:
        folder, found = out / f"seed-{seed}", {}
        if "zero" in args.experiments:
            for arm, (_what, extra) in ZERO_ARMS.items():
                run = folder / arm
                seconds[f"{arm}-{seed}"] = timed(zero, base, run, data, seed, ZERO_STEPS, *extra)
                found[arm] = {**scores(run, data), "curve": lengths_and_accuracy(run)}
        if {"coldstart", "distill"} & set(args.experiments):
            seconds[f"pipeline-{seed}"] = timed(pipeline, base, student, folder / "pipeline", data, seed)
            for stage in ("sft", "zero", "reject_sft", "distill/student"):
                found[f"pipeline/{stage.split('/')[0]}"] = scores(folder / "pipeline" / stage, data)
            found["pipeline/zero"]["curve"] = lengths_and_accuracy(folder / "pipeline" / "zero")
        if "distill" in args.experiments:
            run = folder / "student-zero"
            seconds[f"student-zero-{seed}"] = timed(zero, student, run, data, seed, STUDENT_ZERO_STEPS)
            found["student-zero"] = scores(run, data)
        results["seeds"][seed] = found
        print(
            f"seed {seed}: {json.dumps({k: {m: v for m, v in s.items() if m != 'curve'} for k, s in found.items()})}"
        )
    results["seconds"] = seconds
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report(out, results, args)
    return 0


def report(out: Path, results: dict, args: argparse.Namespace) -> None:
    seeds = list(results["seeds"].values())
    print(
        f"\nheld-out: {EVAL_PROBLEMS} test problems, greedy, {EVAL_TOKENS} new tokens; mean +- sd over {len(seeds)} seeds"
    )
    print(f"base: {json.dumps(results['base'])}")
    seconds = results["seconds"]
    if "zero" in args.experiments:
        rows = {f"zero, {what}": [s[arm] for s in seeds] for arm, (what, _extra) in ZERO_ARMS.items()}
        table(f"1. R1-Zero from the base ({ZERO_STEPS} GRPO steps)", rows)
        for arm, (what, _extra) in ZERO_ARMS.items():
            for name in ("length", "accuracy"):
                curves = [tenths(s[arm]["curve"][name]) for s in seeds]
                print(f"  {what}: train {name}, first/middle/last tenth of GRPO:", curves)
        wall = sum(v for k, v in seconds.items() if k.startswith("zero-"))
        print(f"  wall: {wall:.0f} s for all seeds (+ base {seconds['base']:.0f} s)")
    if "coldstart" in args.experiments:
        rows = {"zero from base": [s["zero"] for s in seeds]} if "zero" in args.experiments else {}
        rows |= {
            f"cold start -> {k}": [s[f"pipeline/{k}"] for s in seeds] for k in ("sft", "zero", "reject_sft")
        }
        table(f"2. Cold start, then the same {ZERO_STEPS} GRPO steps", rows)
        for name in ("length", "accuracy"):
            curves = [tenths(s["pipeline/zero"]["curve"][name]) for s in seeds]
            print(f"  train {name} after cold start, first/middle/last tenth:", curves)
        wall = sum(v for k, v in seconds.items() if k.startswith("pipeline-"))
        print(f"  wall: {wall:.0f} s for all seeds")
    if "distill" in args.experiments:
        rows = {"student base": [results["student-base"]] * len(seeds)}
        rows |= {"student distilled": [s["pipeline/distill"] for s in seeds]}
        rows |= {f"student GRPO {STUDENT_ZERO_STEPS} steps": [s["student-zero"] for s in seeds]}
        table("3. Distillation vs RL on the small student", rows)
        distill = [
            json.loads(
                (out / f"seed-{seed}" / "pipeline" / "distill" / "student" / "train_result.json").read_text()
            )
            for seed in results["seeds"]
        ]
        grpo = [v for k, v in seconds.items() if k.startswith("student-zero-")]
        print(
            f"  training wall: distill {[round(d['metrics']['train_runtime']) for d in distill]} s, student GRPO {[round(g) for g in grpo]} s"
        )
    groups = {}
    if "zero" in args.experiments:
        for arm, (what, _extra) in ZERO_ARMS.items():
            groups[f"zero from base, {what}"] = [out / f"seed-{s}" / arm for s in results["seeds"]]
    if "coldstart" in args.experiments:
        groups["after cold start"] = [out / f"seed-{s}" / "pipeline" / "zero" for s in results["seeds"]]
    if groups:
        written = write_group_report(groups, out / "report")
        print(f"\nplots: {written.markdown.parent}; one figure: {figure(groups, out / 'findings.png')}")


def figure(groups: dict[str, list[Path]], path: Path) -> Path:
    """Accuracy (train batches) and completion length over GRPO steps: each group's mean, min-max shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, runs in groups.items():
        metrics = [read_run(run) for run in runs]
        for ax, key in zip(axes, ("rewards/accuracy/mean", "completions/mean_length"), strict=True):
            b = band([m.series(key) for m in metrics])
            k = smoothing_window(len(b.steps))
            (line,) = ax.plot(b.steps, smooth(b.mean, k), label=f"{name} ({b.runs} seeds)")
            ax.fill_between(b.steps, smooth(b.low, k), smooth(b.high, k), color=line.get_color(), alpha=0.2)
    axes[0].set(title="accuracy reward (train batches)", xlabel="GRPO step", ylim=(0, 1.02))
    axes[1].set(title="mean completion length (tokens)", xlabel="GRPO step")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


if __name__ == "__main__":
    raise SystemExit(main())
