"""How much faster is r1's generation engine than the seed's one-prompt-at-a-time `generate_response` loop?

Same model (r1-tiny by default, or --model DIR), same prompts (GSM8K test problems from ../shared/data
when present, else "What is A + B?"), same sampling (greedy, as the seed's `do_sample=False`) and the
same max_new_tokens, in one process. The baseline is the seed's loop: chat template, tokenize one
prompt, `model.generate`, decode, next. The engine is `generate_jsonl` end to end (batched left-padded
generation, rows written and flushed to a JSONL file, progress journal). Each side is timed `--rounds`
times (default once), alternating, after one warm-up call each; the best round of each is compared. Target on the
tiny model on 2 CPU cores: >= 10x at 64 prompts.

    python benchmarks/generation_throughput.py [--prompts 64] [--max-new-tokens 64] [--rounds 1] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from r1cli.data.problems import Prompt
from r1cli.generation.backends import open_generator, prompt_text
from r1cli.generation.engine import generate_jsonl
from r1cli.recipe import load_recipe

GSM8K = Path(__file__).resolve().parents[2] / "shared" / "data" / "gsm8k" / "test.jsonl"


def load_prompts(count: int, system_prompt: str) -> list[Prompt]:
    if GSM8K.exists():
        lines = GSM8K.read_text().splitlines()[:count]
        problems = [json.loads(line)["question"] for line in lines]
    else:
        problems = [f"What is {i} + {2 * i + 1}?" for i in range(count)]
    return [
        Prompt(
            i, [{"role": "system", "content": system_prompt}, {"role": "user", "content": p}], {"problem": p}
        )
        for i, p in enumerate(problems)
    ]


def seed_loop(model, tokenizer, prompts: list[Prompt], max_new_tokens: int) -> tuple[float, list[str]]:
    """The seed's generate_response, called once per prompt (its system prompt replaced by the same one)."""
    import torch

    started = time.perf_counter()
    texts = []
    with torch.inference_mode():
        for prompt in prompts:
            text = tokenizer.apply_chat_template(prompt.messages, tokenize=False, add_generation_prompt=True)
            inputs = tokenizer(text, return_tensors="pt").to(model.device)
            outputs = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
            response = tokenizer.decode(outputs[0], skip_special_tokens=True)
            response = response.split("<|im_start|>assistant\n")[-1].strip()
            # The seed's split never matches (<|im_start|> is a special token, gone after decoding), so its
            # response still holds the prompt: compare the new tokens alone with the engine's completion.
            new = outputs[0][inputs["input_ids"].shape[1] :]
            texts.append(tokenizer.decode(new, skip_special_tokens=True).strip())
    return time.perf_counter() - started, texts


def engine(
    generator, recipe, prompts: list[Prompt], workdir: Path, round_: int
) -> tuple[float, list[str], int]:
    output = workdir / f"engine-{round_}.jsonl"
    started = time.perf_counter()
    result = generate_jsonl(prompts, output, recipe, command="benchmark", generator=generator)
    seconds = time.perf_counter() - started
    rows = sorted((json.loads(line) for line in output.read_text().splitlines()), key=lambda row: row["id"])
    return seconds, [row["completion"].strip() for row in rows], result.tokens


def whole_process(model: str, prompts: list[Prompt], overrides: list[str], workdir: Path) -> float:
    """`r1 sample reject` on the same prompts and settings, timed from the shell's side: start-up (imports,
    model load, the reward workers) included, which a user pays for every command."""
    import subprocess

    data = workdir / "problems.jsonl"
    data.write_text("".join(json.dumps({"id": p.id, "problem": p.row["problem"]}) + "\n" for p in prompts))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "r1cli.cli.main", "sample", "reject", "-m", model, "--data", str(data),
         "-o", str(workdir / "whole.jsonl"), "-k", "1", "--keep-all", "--rewards", "format", *overrides],
        check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--model", default="r1-tiny")
    args = parser.parse_args()

    overrides = [
        "--generation.max_new_tokens", str(args.max_new_tokens),
        "--generation.temperature", "0",
        "--generation.num_samples", "1",
        "--generation.batch_size", str(args.prompts),
    ]  # fmt: skip
    recipe = load_recipe(None, overrides=overrides, environ={})
    prompts = load_prompts(args.prompts, recipe.get("data.system_prompt"))
    generator = open_generator(recipe, args.model)
    model, tokenizer = generator.model, generator.tokenizer
    prompt_tokens = [len(tokenizer(prompt_text(tokenizer, p.messages)).input_ids) for p in prompts]
    print(
        f"model {args.model}, {len(prompts)} prompts ({min(prompt_tokens)}-{max(prompt_tokens)} tokens), "
        f"greedy, max_new_tokens {args.max_new_tokens}, torch threads {__import__('torch').get_num_threads()}",
        file=sys.stderr,
    )
    seed_loop(model, tokenizer, prompts[:2], 4)  # warm-up: first calls pay for fresh memory pages
    generator.generate([p.messages for p in prompts[:2]], 1)

    baseline_times, engine_times = [], []
    with tempfile.TemporaryDirectory() as workdir:
        for round_ in range(args.rounds):
            seconds, seed_texts = seed_loop(model, tokenizer, prompts, args.max_new_tokens)
            baseline_times.append(seconds)
            seconds, engine_texts, tokens = engine(generator, recipe, prompts, Path(workdir), round_)
            engine_times.append(seconds)
            print(
                f"round {round_ + 1}: seed loop {baseline_times[-1]:.2f} s, engine {seconds:.2f} s "
                f"({baseline_times[-1] / seconds:.1f}x)",
                file=sys.stderr,
            )
    same = sum(a == b for a, b in zip(seed_texts, engine_texts, strict=True))
    base, best = min(baseline_times), min(engine_times)
    print(f"seed generate_response loop: {base:.2f} s  ({len(prompts) / base:.2f} prompts/s)")
    print(
        f"r1 generation engine:        {best:.2f} s  ({len(prompts) / best:.2f} prompts/s, {tokens / best:.0f} tokens/s)"
    )
    print(f"identical greedy completions: {same}/{len(prompts)}")
    with tempfile.TemporaryDirectory() as workdir:
        whole = whole_process(args.model, prompts, overrides, Path(workdir))
    print(
        f"whole process (r1 sample reject, same prompts): {whole:.2f} s, of which start-up and scoring "
        f"{whole - best:.2f} s ({100 * (whole - best) / whole:.0f} %) beside the engine's {best:.2f} s in process"
    )
    print(f"speedup: {base / best:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
