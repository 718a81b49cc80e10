"""Is `r1 config validate`'s memory estimate right? Its GRPO estimate against the peak RSS of a real step.

The model is the full-width Qwen2.5-Instruct look-alike (tests/qwen_lookalike.py: Qwen2.5-0.5B's width
and vocabulary with 2 layers, ~166M parameters, random weights), trained on CPU in fp32 by `r1 train zero`
in a child process; its peak resident memory (VmHWM) is the measurement. A child that only imports
torch, transformers and trl gives the baseline the estimate does not count (libraries, interpreter).
Prints estimate, measured (peak - baseline) and their ratio. Target: 1/1.5 <= ratio <= 1.5.

    python benchmarks/memory_estimate.py [--batch 4] [--completion 64] [--prompt-tokens 256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# Peak resident memory of the child itself: VmHWM starts afresh at exec (ru_maxrss would carry over the
# forking parent's size, here the one that built the 660 MB model).
HIGH_WATER = """
def _high_water():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("PEAK_KB", line.split()[1], file=sys.stderr)
"""
PEAK = (
    "import runpy, sys\n"
    + HIGH_WATER
    + """
sys.argv = ["r1", *sys.argv[1:]]
try:
    runpy.run_module("r1cli.cli.main", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
_high_water()
"""
)
# What the training process holds before any model: the libraries of `r1 train zero`.
BASELINE = (
    "import sys\n"
    + HIGH_WATER
    + """
import torch, transformers, datasets
from trl import GRPOTrainer
import r1cli.train.zero, r1cli.cli.main
_high_water()
"""
)


def _peak_kb(code: str, args: list[str], cwd: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return int(result.stderr.rsplit("PEAK_KB", 1)[1].split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4, help="completions a step (per device)")
    parser.add_argument("--completion", type=int, default=64, help="grpo.max_completion_length")
    parser.add_argument("--prompt-tokens", type=int, default=256, help="data.max_prompt_tokens")
    parser.add_argument("--checkpointing", default="true", help="grpo.activation_checkpointing")
    options = parser.parse_args()

    import qwen_lookalike

    from r1cli.models.memory import GIB, estimate_memory
    from r1cli.preflight.validate import validate_recipe
    from r1cli.recipe import load_recipe

    work = Path(tempfile.mkdtemp(prefix="r1-memory-"))
    tokenizer = qwen_lookalike.build_tokenizer(work / "tokenizer")
    model = qwen_lookalike.build_model(work / "model", tokenizer, qwen_lookalike.FULL_WIDTH)
    # Problems whose prompts fill data.max_prompt_tokens (the estimate counts that many prompt tokens).
    from transformers import AutoTokenizer

    from r1cli.recipe.schema import defaults

    qwen = AutoTokenizer.from_pretrained(model)
    system = defaults()["data"]["system_prompt"]

    def prompt_tokens(words: int) -> int:
        user = " ".join(["seven"] * words) + " What is 9 + 1?"
        chat = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return len(qwen.apply_chat_template(chat, add_generation_prompt=True, tokenize=True)["input_ids"])

    words = options.prompt_tokens
    while words and prompt_tokens(words) > options.prompt_tokens:
        words -= 1
    filler = " ".join(["seven"] * words)
    print(f"prompt tokens        {prompt_tokens(words)} (data.max_prompt_tokens {options.prompt_tokens})")
    problems = work / "problems.jsonl"
    problems.write_text(
        "".join(
            json.dumps({"question": f"{filler} What is {i} + 1?", "answer": f"#### {i + 1}"}) + "\n"
            for i in range(8)
        )
    )
    batch = str(options.batch)
    overrides = [
        "--model.name_or_path", str(model), "--model.dtype", "float32", "--data.dataset", str(problems),
        "--data.max_prompt_tokens", str(options.prompt_tokens), "--data.test_size", "0",
        "--grpo.per_device_train_batch_size", batch, "--grpo.num_generations", batch,
        "--grpo.generation_batch_size", batch, "--grpo.max_completion_length", str(options.completion),
        "--grpo.activation_checkpointing", options.checkpointing, "--grpo.max_steps", "1",
        "--grpo.save_strategy", "no", "--rewards.workers", "1", "--logging.rich", "false",
    ]  # fmt: skip
    recipe = validate_recipe(load_recipe(None, None, overrides, stage="zero"))
    estimate = estimate_memory(recipe, "grpo")
    for name, size, note in estimate.rows:
        print(f"  {name:<20} {size / GIB:7.2f} GiB  {note}")
    # A random model all but never says <|im_end|> (1 in 151,936 a token): completions run to full length.
    train = ["train", "zero", "--output-dir", str(work / "run"), *overrides]
    baseline = _peak_kb(BASELINE, [], ROOT) * 1024
    peak = _peak_kb(PEAK, train, ROOT) * 1024
    measured = peak - baseline
    print(f"parameters           {estimate.parameters / 1e6:.1f}M")
    print(f"estimate             {estimate.total / GIB:.2f} GiB")
    print(f"measured peak RSS    {peak / GIB:.2f} GiB (libraries alone {baseline / GIB:.2f} GiB)")
    print(f"measured - libraries {measured / GIB:.2f} GiB")
    print(f"ratio estimate / measured = {estimate.total / measured:.2f}")


if __name__ == "__main__":
    main()
