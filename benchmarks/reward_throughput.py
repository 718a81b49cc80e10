r"""Rows/s of `r1 reward score --rewards accuracy` against the seed's accuracy reward, whole process each.

    python benchmarks/reward_throughput.py                 # GSM8K + Minerva, Minerva alone, a small file
    python benchmarks/reward_throughput.py --repeat 3      # best of 3 runs per side

Prints the three numbers the rewards issue asks for: the speed-up over the seed on the mix (about 5,300
GSM8K-style rows and 800 MATH rows), on the MATH rows alone, and the whole-process time of a small file;
then the GSM8K rows alone for reference, and real model outputs graded by people: ToRA's GSM8K outputs,
two models' MATH-500 outputs from SkyThought's evaluation folder (benchmarks/data/README.md), and the 267
cases of math-verify's regression suite (free-text model outputs, each with its gold and expected verdict).

Builds realistic files from the real data in ../shared/data: GSM8K test problems (golds rewritten
MATH-style, `... The answer is $\boxed{18}$.`, because the seed's LaTeX-only gold parsing gives every
`#### 18` gold a neutral 0.5) and Minerva problems (their `\boxed{}` solutions), each with several
plausible chain-of-thought completions, right and wrong, as chat messages (the seed reads
`completion[0]["content"]`). Most answers are boxed; about 10% are a bare `<answer>18</answer>`, which
the seed cannot read (it scores 0) and r1 can.

Both sides run as subprocesses, timed from start to exit (imports and worker start-up included): the
baseline is the seed's `accuracy_reward` reimplemented faithfully below (single process; one batch call;
only `equations=True` is dropped from its normalization, which math-verify 0.9 ignores apart from a
warning printed per call, a cost not charged to the seed). Prints rows/s of both, the ratio, and how
often the verdicts agree (seed 1.0/0.0/0.5 against r1 1.0/0.0/null) and how often each side agrees
with the rows' labels (a completion is right when it was written with the gold answer; a perturbed answer
that happens to be equal, such as a changed digit in `0.50`, is rare and counts against both sides alike).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def seed_accuracy_reward(completions, solution, **kwargs):
    """The seed's accuracy reward (its section "Accuracy Reward"), minus the deprecated `equations=True`."""
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    contents = [completion[0]["content"] for completion in completions]
    rewards = []
    for content, sol in zip(contents, solution, strict=True):
        gold_parsed = parse(sol, extraction_mode="first_match", extraction_config=[LatexExtractionConfig()])
        if gold_parsed:
            answer_parsed = parse(
                content,
                extraction_config=[
                    LatexExtractionConfig(
                        normalization_config=NormalizationConfig(
                            nits=False, malformed_operators=False, basic_latex=True, boxed="all", units=True
                        ),
                        boxed_match_priority=0,
                        try_extract_without_anchor=False,
                    )
                ],
                extraction_mode="first_match",
            )
            reward = float(verify(answer_parsed, gold_parsed))
        else:
            reward = 0.5
            print("Warning: Failed to parse gold solution:", sol)
        rewards.append(reward)
    return rewards


def run_baseline(path: Path, out: Path) -> None:
    """Subprocess side: score `path` with the seed's reward, write the rewards as a JSON list."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rewards = seed_accuracy_reward([r["completion"] for r in rows], [r["solution"] for r in rows])
    out.write_text(json.dumps(rewards))


def _perturb(answer: str, rng: random.Random) -> str:
    """A plausible wrong answer: an arithmetic slip on a number, a wrong coefficient in an expression."""
    if re.fullmatch(r"-?\d+", answer):
        return str(int(answer) + rng.choice([1, -1, 2, 10, int(answer) or 3]))
    try:
        value = float(answer)
    except ValueError:
        digits = [m.start() for m in re.finditer(r"\d", answer)]
        if not digits:
            return f"2 {answer}"
        at = rng.choice(digits)
        return answer[:at] + str((int(answer[at]) + rng.choice([1, 2, 7])) % 10) + answer[at + 1 :]
    return f"{value * rng.choice([1.5, 0.5, 2.0, 3.0]):.3g}"


def _completion(think: str, answer: str, boxed: bool) -> list[dict[str, str]]:
    final = f"The answer is $\\boxed{{{answer}}}$." if boxed else answer
    return [{"role": "assistant", "content": f"<think>\n{think}\n</think>\n<answer>\n{final}\n</answer>"}]


def _attempts(
    prefix: str, think: str, gold: str, solution: str, count: int, rng: random.Random
) -> list[dict]:
    """`count` rows for one problem: half right, half perturbed answers, 90% of them boxed; each row's
    `label` (1.0 right, 0.0 wrong) is kept by the benchmark, not written to the scored file."""
    rows = []
    for k in range(count):
        right = rng.random() < 0.5
        answer = gold if right else _perturb(gold, rng)
        boxed = rng.random() < 0.9
        rows.append(
            {
                "id": f"{prefix}-{k}",
                "completion": _completion(think, answer, boxed),
                "solution": solution,
                "label": 1.0 if right or answer == gold else 0.0,
            }
        )
    return rows


def build_rows(rng: random.Random, gsm8k_per_problem: int, minerva_per_problem: int) -> list[dict]:
    """Realistic scoring rows: several completions per problem, about half right, 90% boxed."""
    rows = []
    gsm8k = [json.loads(line) for line in (SHARED_DATA / "gsm8k" / "test.jsonl").open(encoding="utf-8")]
    for index, problem in enumerate(gsm8k if gsm8k_per_problem else []):
        reasoning, final = problem["answer"].split("####")
        steps = [re.sub(r"<<[^>]*>>", "", line).strip() for line in reasoning.strip().splitlines()]
        gold = final.strip().replace(",", "")
        solution = "\n".join(steps) + f"\nThe answer is $\\boxed{{{gold}}}$."
        think = "\n".join(f"Step {i + 1}: {step}" for i, step in enumerate(steps))
        rows += _attempts(f"gsm8k-{index}", think, gold, solution, gsm8k_per_problem, rng)
    minerva = [
        json.loads(line) for line in (SHARED_DATA / "math" / "minerva_math.jsonl").open(encoding="utf-8")
    ]
    for index, problem in enumerate(minerva if minerva_per_problem else []):
        gold = _last_boxed(problem["solution"])
        think = problem["solution"].replace("\\boxed", "")
        rows += _attempts(f"minerva-{index}", think, gold, problem["solution"], minerva_per_problem, rng)
    return rows


def real_rows() -> list[dict]:
    """Real model outputs graded by people: the 267 cases of math-verify's regression suite (tests/data/
    math_verify_cases.json names the source and licence), each pred as the free text the model wrote,
    its gold as the solution, the suite's expected verdict as the label (each row once: r1's verdict
    cache would flatter it on repeats)."""
    data = Path(__file__).resolve().parents[1] / "tests" / "data" / "math_verify_cases.json"
    cases = json.loads(data.read_text(encoding="utf-8"))["cases"]
    return [
        {
            "id": f"mv-{index}",
            "completion": [{"role": "assistant", "content": case["pred"]}],
            "solution": case["gold"],
            "label": float(case["expected"]),
        }
        for index, case in enumerate(cases)
    ]


def graded_outputs(name: str, gold) -> list[dict]:
    """Rows of a file of real model outputs graded by their authors (benchmarks/data/README.md names each
    file's source, commit, licence, how its labels were recovered and the label errors found): the model's
    whole output as the completion, `gold(row)` as `\\boxed{gold}` so that both sides parse it."""
    data = Path(__file__).resolve().parent / "data" / name
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    return [
        {
            "id": row["id"],
            "completion": [{"role": "assistant", "content": row["completion"]}],
            "solution": f"The answer is $\\boxed{{{gold(row)}}}$.",
            "label": row["label"],
            "pred": row["pred"],
        }
        for row in rows
    ]


def tora_rows() -> list[dict]:
    """ToRA-70B and ToRA-Code-34B on the first 400 GSM8K test problems (program, its output, the sentence
    with the boxed answer); the gold is GSM8K's, without thousands separators."""
    return graded_outputs("tora_gsm8k_outputs.jsonl", lambda row: row["gt"].replace(",", ""))


def skythought_rows() -> list[dict]:
    """Qwen2.5-14B-Instruct and gemma-2-27b-it on the first 400 MATH-500 problems (free chain of thought);
    the gold is the original MATH-500 answer (the source's own normalised `gt` is mangled for 8 problems)."""
    return graded_outputs("skythought_math_outputs.jsonl", lambda row: row["answer"])


def _last_boxed(text: str) -> str:
    start = text.rindex("\\boxed{") + len("\\boxed{")
    depth = 1
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            return text[start:end]
    raise ValueError("unbalanced \\boxed")


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return seconds


def _write(rows: list[dict], path: Path) -> None:
    lines = (json.dumps({k: v for k, v in r.items() if k not in ("label", "pred")}) + "\n" for r in rows)
    path.write_text("".join(lines), encoding="utf-8")


def _r1_command(data: Path, out: Path, workers: int) -> list[str]:
    r1 = Path(sys.executable).with_name("r1")
    command = [str(r1), "reward", "score", str(data), "--rewards", "accuracy", "-o", str(out)]
    return [*command, "--rewards.workers", str(workers)]


def compare(
    rows: list[dict], workdir: Path, label: str, repeat: int, workers: int, show_disagreements: bool = False
) -> float:
    """Time both sides on `rows`, print the comparison; returns the speed-up."""
    data = workdir / f"{label}.jsonl"
    _write(rows, data)
    seed_out, r1_out = workdir / f"{label}.seed.json", workdir / f"{label}.r1.jsonl"
    seed_cmd = [sys.executable, __file__, "--baseline", str(data), str(seed_out)]
    r1_cmd = _r1_command(data, r1_out, workers)
    seed_s = min(_timed(seed_cmd) for _ in range(repeat))
    r1_s = min(_timed(r1_cmd) for _ in range(repeat))

    seed = json.loads(seed_out.read_text())
    ours = [json.loads(line)["rewards"]["accuracy"] for line in r1_out.read_text().splitlines()]
    boxed = ["boxed" in r["completion"][0]["content"] for r in rows]
    same = [(0.5 if o is None else o) == s for s, o in zip(seed, ours, strict=True)]
    agree_boxed = sum(a for a, b in zip(same, boxed, strict=True) if b)
    agree_bare = sum(a for a, b in zip(same, boxed, strict=True) if not b)
    n, nb = len(rows), sum(boxed)
    load = os.getloadavg()[0]
    print(f"\n== {label}: {n} rows, {len({r['solution'] for r in rows})} distinct golds (load {load:.1f}) ==")
    print(f"seed accuracy_reward (1 process): {seed_s:6.2f} s  {n / seed_s:7.0f} rows/s")
    print(f"r1 reward score (workers={workers}):   {r1_s:6.2f} s  {n / r1_s:7.0f} rows/s")
    print(f"speed-up: {seed_s / r1_s:.2f}x (whole process against whole process)")
    print(f"verdicts agree on boxed answers: {agree_boxed}/{nb} ({100 * agree_boxed / max(nb, 1):.1f}%)")
    print(
        f"verdicts agree on bare answers:  {agree_bare}/{n - nb} "
        f"(the seed cannot read an answer outside \\boxed; r1 scores "
        f"{sum(o == 1.0 for o, b in zip(ours, boxed, strict=True) if not b)} of them correct, the seed "
        f"{sum(s == 1.0 for s, b in zip(seed, boxed, strict=True) if not b)})"
    )
    nulls = sum(o is None for o in ours)
    print(f"r1 nulls: {nulls}; seed 0.5s: {sum(s == 0.5 for s in seed)}")
    labels = [r["label"] for r in rows]
    print(
        f"agree with the labels: r1 {sum(o == t for o, t in zip(ours, labels, strict=True))}/{n}, "
        f"seed {sum(s == t for s, t in zip(seed, labels, strict=True))}/{n}"
    )
    if show_disagreements:
        _print_disagreements(rows, seed, ours)
    return seed_s / r1_s


def _print_disagreements(rows: list[dict], seed: list[float], ours: list[float | None]) -> None:
    """One line per row where r1 differs from the label (and where the seed does, when those are few),
    with what a reader needs to judge who is right: the gold, the label's own extracted answer when the
    source has one, and the end of the text."""
    r1_wrong = [(row, s, o) for row, s, o in zip(rows, seed, ours, strict=True) if o != row["label"]]
    seed_wrong = [(row, s, o) for row, s, o in zip(rows, seed, ours, strict=True) if s != row["label"]]
    listed = r1_wrong + [case for case in seed_wrong if case[2] == case[0]["label"]]
    print(f"rows where r1 differs from the label: {len(r1_wrong)}; the seed: {len(seed_wrong)}")
    for row, s, o in r1_wrong if len(seed_wrong) > 20 else listed:
        tail = row["completion"][0]["content"][-90:].replace("\n", " | ")
        pred = f" label's pred {row['pred']!r};" if "pred" in row else ""
        gold = row["solution"][-40:]
        print(f"  {row['id']}: label {row['label']} r1 {o} seed {s}; gold {gold!r};{pred} ...{tail!r}")


def small_file(rows: list[dict], workdir: Path, label: str, repeat: int, workers: int) -> float:
    """Whole-process seconds of `r1 reward score` on a few rows: the fixed cost a user waits for (the
    seed's on the same rows printed beside it)."""
    data, out = workdir / f"{label}.jsonl", workdir / f"{label}.r1.jsonl"
    _write(rows, data)
    seconds = min(_timed(_r1_command(data, out, workers)) for _ in range(repeat))
    seed_cmd = [sys.executable, __file__, "--baseline", str(data), str(workdir / f"{label}.seed.json")]
    seed_seconds = min(_timed(seed_cmd) for _ in range(repeat))
    print(
        f"\n== small file, {label}: {len(rows)} rows: r1 reward score takes {seconds:.2f} s "
        f"(the seed {seed_seconds:.2f} s) =="
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--gsm8k-per-problem", type=int, default=4)
    parser.add_argument("--minerva-per-problem", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest counts")
    parser.add_argument("--workers", type=int, default=0, help="r1 worker processes (0 = one per core)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real-only", action="store_true", help="only the real model outputs")
    args = parser.parse_args()
    if args.baseline:
        run_baseline(*args.baseline)
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as workdir:
        ratios = {}
        if not args.real_only:
            mixed = build_rows(rng, args.gsm8k_per_problem, args.minerva_per_problem)
            gsm8k, minerva = ([r for r in mixed if r["id"].startswith(s)] for s in ("gsm8k", "minerva"))
            ratios["mix"] = compare(mixed, Path(workdir), "gsm8k+minerva", args.repeat, args.workers)
            ratios["MATH only"] = compare(minerva, Path(workdir), "minerva-only", args.repeat, args.workers)
            ratios["GSM8K only"] = compare(gsm8k, Path(workdir), "gsm8k-only", args.repeat, args.workers)
        ratios["ToRA GSM8K outputs"] = compare(
            tora_rows(), Path(workdir), "real outputs (ToRA on GSM8K)", args.repeat, args.workers, True
        )
        ratios["SkyThought MATH-500 outputs"] = compare(
            skythought_rows(),
            Path(workdir),
            "real outputs (MATH-500, SkyThought)",
            args.repeat,
            args.workers,
            True,
        )
        ratios["math-verify suite"] = compare(
            real_rows(), Path(workdir), "real outputs (math-verify's suite)", args.repeat, args.workers, True
        )
        summary = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())
        if not args.real_only:
            small = small_file(gsm8k[:20], Path(workdir), "20 GSM8K-style rows", args.repeat, args.workers)
            small_math = small_file(minerva[:20], Path(workdir), "20 MATH rows", args.repeat, args.workers)
            summary += (
                f"; small file {small:.2f} s (GSM8K-style), {small_math:.2f} s (MATH, imports math-verify)"
            )
        print(f"\nSUMMARY (load {os.getloadavg()[0]:.1f}): speed-up over the seed {summary}")


if __name__ == "__main__":
    main()
