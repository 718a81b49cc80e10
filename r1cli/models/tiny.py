"""The r1-tiny model: a small Qwen2 causal LM and its tokenizer, built locally in seconds, no download.

The tokenizer is a byte-level BPE trained with `tokenizers` on a small built-in corpus (arithmetic, short word
problems, the R1 system prompt and tags, some English). Digits are split into single tokens so arithmetic is
learnable; `<think>`, `</think>`, `<answer>`, `</answer>` are ordinary added tokens (not special ones), so they
survive `decode(..., skip_special_tokens=True)`, which is what GRPO hands to the reward functions. The chat template
is ChatML with `{% generation %}` markers around assistant turns (for SFT's `assistant_only_loss`).

    r1 model tiny OUT_DIR                 # build one into a directory
    model.name_or_path = "r1-tiny"        # in a recipe: built on first use, cached under $R1_CACHE or ~/.cache/r1
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.rundir import OutputKind, claim_output_dir, staged_dir
from r1cli.recipe.schema import defaults

TINY_MODEL_NAME = "r1-tiny"
# Bump when the corpus, tokenizer or model construction changes: cached builds are keyed by it.
TINY_BUILD_VERSION = 1
BPE_VOCAB_SIZE = 1024
MARKER_FILE = "r1_tiny.json"
TINY_OUTPUT = OutputKind(
    command="r1 model tiny",
    holds="an r1-tiny model",
    markers=(MARKER_FILE,),
    replaceable=True,
    option="OUT_DIR",
)
# Seeding uses torch's global RNG: threads building at once must take turns to get the same weights.
_SEEDED_INIT = threading.Lock()

THINK_TAGS = ["<think>", "</think>", "<answer>", "</answer>"]
ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END]

# ChatML; the assistant's content and its <|im_end|> sit inside {% generation %} so SFT with
# assistant_only_loss trains the model to stop.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- generation -%}{{- message['content'] + '<|im_end|>' -}}{%- endgeneration -%}"
    "{{- '\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

_ENGLISH = """\
A conversation between User and Assistant. The user asks a question, and the Assistant solves it.
The assistant first thinks about the reasoning process in the mind and then provides the user with the answer.
Let me think step by step. First, we read the problem carefully. Then we find what is asked.
So the answer is the sum of the two numbers. Therefore, the total is the result of the addition.
We need to add, subtract, multiply or divide. Each step should be checked before the next one.
Wait, let me check that again. That is correct, because the numbers add up.
The question asks how many are left. She had some and gave some away, so we subtract.
He buys more, so we add. They share them equally, so we divide. Every box holds the same number.
Thus the final answer is given below. The solution is simple once the problem is clear.
What is the value of x? Solve for x in the equation. The result is a whole number.
This is a simple problem about money, time, distance, apples, books, cookies and students.
How much does it cost in dollars? How many hours does it take? How far did they travel in miles?
Hello! How can I help you today? Thank you for the question. Here is the answer you asked for.
"""

_NAMES = ["Tom", "Anna", "Sam", "Maria", "John", "Lily", "Ben", "Sara", "James", "Emma"]
_THINGS = [
    "apples",
    "books",
    "cookies",
    "pencils",
    "marbles",
    "cards",
    "eggs",
    "coins",
    "stickers",
    "flowers",
]


def default_tiny_config() -> dict[str, Any]:
    """The `[tiny]` section of the built-in default recipe."""
    return dict(defaults()["tiny"])


def _default_system_prompt() -> str:
    return defaults()["data"]["system_prompt"]


def training_corpus() -> list[str]:
    """The deterministic text the tokenizer is trained on."""
    rng = random.Random(0)
    system = _default_system_prompt()
    texts = [system, *_ENGLISH.splitlines()]
    for _ in range(600):
        a, b = rng.randint(0, 999), rng.randint(0, 999)
        op = rng.choice(["+", "-", "*"])
        c = {"+": a + b, "-": a - b, "*": a * b}[op]
        texts.append(f"What is {a} {op} {b}?")
        texts.append(f"<think>\n{a} {op} {b} = {c}\n</think>\n<answer>\n{c}\n</answer>")
        texts.append(f"<think> {a} {op} {b} = {c} </think><answer> {c} </answer>")
    for _ in range(300):
        name, thing = rng.choice(_NAMES), rng.choice(_THINGS)
        a, b = rng.randint(2, 50), rng.randint(1, 20)
        texts.append(
            f"{name} has {a} {thing}. {name} buys {b} more {thing}. How many {thing} does {name} have now? "
            f"{name} has {a} + {b} = {a + b} {thing}. #### {a + b}"
        )
        texts.append(
            f"{name} had {a + b} {thing} and gave {b} of them away. How many {thing} are left? "
            f"Answer: $\\boxed{{{a}}}$"
        )
    return texts


def _build_tokenizer(model_max_length: int):
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    # Exactly Qwen2's normalizer and pre-tokenizer: AutoTokenizer loads a qwen2 model's tokenizer as
    # Qwen2Tokenizer, which re-imposes them. Its regex already isolates every digit (`\p{N}`).
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in THINK_TAGS])
    trainer = trainers.BpeTrainer(
        vocab_size=BPE_VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(training_corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        chat_template=CHAT_TEMPLATE,
        model_max_length=model_max_length,
    )


def check_tiny_config(tiny_cfg: dict[str, Any] | None) -> dict[str, Any]:
    """The full [tiny] config, checked: positive sizes, heads dividing evenly."""
    cfg = full_tiny_config(tiny_cfg)
    for key in (
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
        "num_key_value_heads",
        "max_position_embeddings",
    ):
        if not isinstance(cfg[key], int) or cfg[key] < 1:
            raise R1Error(f"[tiny] {key} must be a positive integer, got {cfg[key]!r}")
    if cfg["hidden_size"] % cfg["num_attention_heads"]:
        raise R1Error(
            f"[tiny] hidden_size ({cfg['hidden_size']}) must be divisible by "
            f"num_attention_heads ({cfg['num_attention_heads']})"
        )
    if cfg["num_attention_heads"] % cfg["num_key_value_heads"]:
        raise R1Error(
            f"[tiny] num_attention_heads ({cfg['num_attention_heads']}) must be divisible by "
            f"num_key_value_heads ({cfg['num_key_value_heads']})"
        )
    return cfg


def full_tiny_config(tiny_cfg: dict[str, Any] | None) -> dict[str, Any]:
    """The built-in `[tiny]` defaults updated with `tiny_cfg`; unknown keys are an error."""
    cfg = default_tiny_config()
    unknown = sorted(set(tiny_cfg or {}) - set(cfg))
    if unknown:
        raise R1Error(f"unknown [tiny] key '{unknown[0]}'", hint=f"known keys: {', '.join(sorted(cfg))}")
    cfg.update(tiny_cfg or {})
    return cfg


def build_tiny_model(
    out_dir: str | Path, tiny_cfg: dict[str, Any] | None = None, overwrite: bool = False
) -> Path:
    """Build the tiny model + tokenizer into `out_dir` (safetensors); refuses a non-empty dir unless overwrite.

    --overwrite replaces an earlier tiny model, never an unrelated folder, and only once the new one is complete.
    """
    cfg = check_tiny_config(tiny_cfg)
    out = claim_output_dir(out_dir, TINY_OUTPUT, overwrite=overwrite).path
    with staged_dir(out) as tmp:
        _write_tiny_model(tmp, cfg)
    return out


def _write_tiny_model(out: Path, cfg: dict[str, Any]) -> None:
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    tokenizer = _build_tokenizer(cfg["max_position_embeddings"])
    pad_id, eos_id = tokenizer.convert_tokens_to_ids(ENDOFTEXT), tokenizer.convert_tokens_to_ids(IM_END)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=cfg["hidden_size"],
        intermediate_size=cfg["intermediate_size"],
        num_hidden_layers=cfg["num_hidden_layers"],
        num_attention_heads=cfg["num_attention_heads"],
        num_key_value_heads=cfg["num_key_value_heads"],
        max_position_embeddings=cfg["max_position_embeddings"],
        max_window_layers=cfg["num_hidden_layers"],
        tie_word_embeddings=True,
        bos_token_id=pad_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    # Seeded without disturbing the caller's global RNG state.
    with _SEEDED_INIT, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(cfg["seed"]))
        model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=pad_id, eos_token_id=[eos_id, pad_id], pad_token_id=pad_id
    )
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    marker = {"name": TINY_MODEL_NAME, "build_version": TINY_BUILD_VERSION, "tiny": cfg}
    (out / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n")


def cache_dir() -> Path:
    """Where r1 caches built artifacts: `$R1_CACHE`, else `~/.cache/r1`."""
    return Path(os.environ.get("R1_CACHE") or Path.home() / ".cache" / "r1").expanduser()


def tiny_cache_key(tiny_cfg: dict[str, Any] | None) -> str:
    """A short hash of the full [tiny] section, the build version and the tokenizer corpus."""
    payload = json.dumps(
        {"tiny": full_tiny_config(tiny_cfg), "version": TINY_BUILD_VERSION, "corpus": training_corpus()},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def tiny_model_path(tiny_cfg: dict[str, Any] | None = None) -> Path:
    """The cached r1-tiny directory for this [tiny] section, built first if missing (safe under races)."""
    root = cache_dir() / "models"
    final = root / f"{TINY_MODEL_NAME}-{tiny_cache_key(tiny_cfg)}"
    if (final / MARKER_FILE).is_file():
        return final
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=root))
    except OSError as exc:
        raise R1Error(
            f"cannot write the model cache at '{root}': {exc.strerror}", hint="set R1_CACHE"
        ) from exc
    try:
        build_tiny_model(tmp, tiny_cfg, overwrite=True)
        tmp.chmod(0o755)  # mkdtemp makes it private; the cached model is as readable as any other file
        # The marker is written last, so a directory that has it is complete. rename() is atomic: when
        # another process (e.g. a torchrun rank) got there first, ours fails and is thrown away.
        with contextlib.suppress(OSError):
            os.rename(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not (final / MARKER_FILE).is_file():
        raise R1Error(f"could not build {TINY_MODEL_NAME} into '{final}'", hint="remove it and try again")
    return final
