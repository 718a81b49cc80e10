"""Generation backends: transformers' batched `generate` (Generator) and vLLM (VllmGenerator), one interface.

    generator = open_generator(recipe, "runs/sft")          # [generation].backend decides which
    samples = generator.generate([[{"role": "user", "content": "What is 2 + 3?"}]], num_samples=4)

Both return, per conversation, its `Sample`s; the sampling is the recipe's `[generation]` section alone
(generation_settings), never a model's own generation defaults. Writing them to a resumable JSONL file is
r1cli/generation/engine.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    from r1cli.recipe.provenance import Recipe

BACKENDS = ("transformers", "vllm")
# [generation] keys that decide what is generated (batch_size and backend only decide how fast).
SAMPLING_KEYS = ("max_new_tokens", "temperature", "top_p", "num_samples", "seed")


@dataclass
class Sample:
    """One generated completion: its index among its prompt's samples, text, token count, whether it hit EOS."""

    index: int
    text: str
    tokens: int
    finished: bool


def generation_settings(section: Mapping[str, Any], num_samples: int | None = None) -> dict[str, Any]:
    """The [generation] section checked (positive sizes, temperature >= 0, top_p in (0, 1], known backend)."""
    gen = dict(section)
    if num_samples is not None:
        gen["num_samples"] = num_samples
    for key in ("max_new_tokens", "batch_size", "num_samples"):
        value = gen.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise R1Error(f"generation.{key} must be a whole number of at least 1, got {value!r}")
    seed = gen.setdefault("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise R1Error(f"generation.seed must be a whole number of at least 0, got {seed!r}")
    temperature, top_p = gen.get("temperature"), gen.get("top_p")
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or temperature < 0:
        raise R1Error(f"generation.temperature must be 0 (greedy) or more, got {temperature!r}")
    if isinstance(top_p, bool) or not isinstance(top_p, int | float) or not 0 < top_p <= 1:
        raise R1Error(f"generation.top_p must be in (0, 1], got {top_p!r}")
    for key, default, minimum in (("max_model_len", 0, 0), ("kv_cache_gib", 2, 0.01)):
        value = gen.setdefault(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise R1Error(f"generation.{key} must be a number of at least {minimum:g}, got {value!r}")
    backend = gen.setdefault("backend", "transformers")
    if backend not in BACKENDS:
        raise R1Error(f"unknown generation.backend '{backend}'", hint=f"use one of {', '.join(BACKENDS)}")
    if backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise R1Error(
            'generation.backend = "vllm" but vllm is not installed',
            hint='pip install vllm (GPU machines), or set generation.backend = "transformers"',
        )
    return gen


def prompt_text(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The text the model continues: the chat template with the generation prompt (plain turns without one)."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n".join(turn["content"] for turn in messages) + "\n"


class Generator:
    """Batched, left-padded generation with transformers: `generate(conversations, num_samples)`."""

    def __init__(self, model: Any, tokenizer: Any, gen: Mapping[str, Any]):
        self.model, self.tokenizer, self.gen = model, tokenizer, dict(gen)
        tokenizer.padding_side = "left"
        eos = model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if tokenizer.eos_token_id is not None:
            eos_ids.add(tokenizer.eos_token_id)
        self.eos_ids = sorted(eos_ids)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_ids[0]

    @property
    def greedy(self) -> bool:
        return float(self.gen["temperature"]) == 0.0

    def generate(self, conversations: Sequence[list[dict[str, str]]], num_samples: int) -> list[list[Sample]]:
        """`num_samples` samples for each conversation, in order; at most batch_size sequences at a time."""
        # Greedy decoding gives the same text every time: generate once and copy.
        copies = 1 if self.greedy else num_samples
        texts = [prompt_text(self.tokenizer, messages) for messages in conversations]
        # Longest first, so that each forward pass holds prompts of about one length (less padding).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        jobs = [(i, j) for i in order for j in range(copies)]
        results: list[list[Sample]] = [[] for _ in texts]
        size = int(self.gen["batch_size"])
        for start in range(0, len(jobs), size):
            chunk = jobs[start : start + size]
            seed = self._batch_seed([(texts[i], j) for i, j in chunk])
            for (i, j), sample in zip(
                chunk, self._generate_texts([texts[i] for i, _ in chunk], seed), strict=True
            ):
                results[i].append(Sample(j, *sample))
        if copies < num_samples:
            results = [
                [Sample(j, s[0].text, s[0].tokens, s[0].finished) for j in range(num_samples)]
                for s in results
            ]
        return results

    def _batch_seed(self, jobs: list[tuple[str, int]]) -> int:
        """The sampling seed of one batch: from generation.seed and what the batch holds (each prompt text
        and sample index), so that a run samples the same texts again, whatever ran before it in the
        process, and no two batches share a random stream."""
        digest = hashlib.sha256(json.dumps([int(self.gen.get("seed", 0)), jobs], ensure_ascii=False).encode())
        return int.from_bytes(digest.digest()[:8], "big")

    def _generate_texts(self, texts: list[str], seed: int = 0) -> list[tuple[str, int, bool]]:
        import torch

        batch = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        batch = batch.to(self.model.device)
        # The sampling is r1's settings alone, as stored with every score: a model's own generation
        # defaults (Qwen2.5-Instruct ships repetition_penalty 1.1 and top_k 20) are not applied on top.
        kwargs: dict[str, Any] = {
            "max_new_tokens": int(self.gen["max_new_tokens"]),
            "pad_token_id": self.pad_id,
            "eos_token_id": self.eos_ids,
            "repetition_penalty": 1.0,
        }
        if self.greedy:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(
                do_sample=True,
                temperature=float(self.gen["temperature"]),
                top_p=float(self.gen["top_p"]),
                top_k=0,  # off
            )
        # Seeded in a fork of the RNG: the caller's random stream is left as it was.
        devices = [self.model.device] if self.model.device.type == "cuda" else []
        with torch.inference_mode(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            output = self.model.generate(**batch, **kwargs)
        new = output[:, batch["input_ids"].shape[1] :].tolist()
        samples = []
        eos = set(self.eos_ids)
        for ids in new:
            end = next((k for k, token in enumerate(ids) if token in eos), None)
            kept = ids if end is None else ids[:end]
            text = self.tokenizer.decode(kept, skip_special_tokens=True)
            samples.append((text, len(kept) + (end is not None), end is not None))
        return samples


class VllmGenerator:
    """The same interface on vLLM (`generation.backend = "vllm"`): vLLM batches and schedules by itself."""

    def __init__(self, source: str, model_cfg: Mapping[str, Any], gen: Mapping[str, Any]):
        import torch

        LLM = import_vllm().LLM
        self.gen = dict(gen)
        self.on_cpu = not torch.cuda.is_available()
        self.llm = LLM(
            model=source,
            trust_remote_code=bool(model_cfg.get("trust_remote_code", False)),
            max_model_len=int(self.gen["max_model_len"]) or None,  # 0: the model's own positions
            seed=int(self.gen.get("seed", 0)),
            **vllm_engine_arguments(model_cfg, self.gen, self.on_cpu),
        )

    def generate(self, conversations: Sequence[list[dict[str, str]]], num_samples: int) -> list[list[Sample]]:
        from vllm import SamplingParams

        params = SamplingParams(
            n=num_samples,
            temperature=float(self.gen["temperature"]),
            top_p=float(self.gen["top_p"]) if float(self.gen["temperature"]) > 0 else 1.0,
            max_tokens=int(self.gen["max_new_tokens"]),
            # vLLM's CPU build kills its engine on a per-request seed once chunked prefill drops a sampled
            # token ("CPU Generator does not use offset"): there the seed is the engine's, given above.
            seed=None if self.on_cpu else int(self.gen.get("seed", 0)),
            repetition_penalty=1.0,  # r1's settings alone, as with the transformers backend
            top_k=-1,
        )
        outputs = self.llm.chat(list(conversations), params, use_tqdm=False)
        return [
            [
                Sample(j, choice.text, len(choice.token_ids), choice.finish_reason == "stop")
                for j, choice in enumerate(output.outputs)
            ]
            for output in outputs
        ]


GIB = 1024**3
# Prompts handed to vLLM in one call: it batches and schedules them itself; a killed run loses at most these.
VLLM_PROMPTS_PER_CALL = 256


def import_vllm() -> Any:
    """The vllm module, with its CPU build's known install failure turned into one line."""
    try:
        import vllm
        from vllm import LLM  # noqa: F401  (the import that fails beside mismatched torchvision builds)
    except (ImportError, RuntimeError) as exc:
        if "torchvision" in str(exc) or "torchaudio" in str(exc) or "torchcodec" in str(exc):
            raise R1Error(
                f"vllm does not import: {str(exc).strip().splitlines()[0]}",
                hint="the torchvision / torchaudio / torchcodec builds beside torch's CPU build do not load: "
                "pip uninstall -y torchvision torchaudio torchcodec (vLLM generates text without them)",
            ) from None
        raise
    return vllm


def vllm_engine_arguments(
    model_cfg: Mapping[str, Any], gen: Mapping[str, Any], on_cpu: bool
) -> dict[str, Any]:
    """The LLM(...) arguments every vLLM engine of r1 takes from the recipe: the dtype, the KV cache
    (generation.kv_cache_gib; on a CPU it comes out of RAM), and no graph capture on a CPU."""
    return {
        "dtype": vllm_dtype(str(model_cfg.get("dtype", "auto")), on_cpu),
        "kv_cache_memory_bytes": int(float(gen["kv_cache_gib"]) * GIB),
        "enforce_eager": on_cpu,  # no graphs to capture on a CPU
    }


def vllm_dtype(dtype: str, on_cpu: bool) -> str:
    """The dtype vLLM runs in: the recipe's, and for "auto" on a CPU bfloat16 only where the CPU has native
    bf16 matmuls (AVX512-BF16 or AMX), else float32 (emulated bf16 is slower there).

    >>> vllm_dtype("float16", on_cpu=False), vllm_dtype("auto", on_cpu=False)
    ('float16', 'auto')
    """
    if dtype != "auto" or not on_cpu:
        return dtype
    import torch

    native = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()
    native = native or getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return "bfloat16" if native else "float32"


def open_generator(
    recipe: Recipe, model: str | None = None, num_samples: int | None = None
) -> Generator | VllmGenerator:
    """A generator for `model` (default: the recipe's model) with the recipe's loading and [generation] settings."""
    from r1cli.models.folders import locate_model, open_model_for_recipe
    from r1cli.models.loading import model_settings

    gen = generation_settings(recipe.section("generation"), num_samples)
    loading = model_settings(recipe)
    if gen["backend"] == "vllm":
        name = model or str(loading["model"].get("name_or_path") or "")
        kind, source, path = locate_model(name, loading["tiny"])
        if kind == "adapter":
            merged = path / "merged"
            if not (merged / "config.json").is_file():
                raise R1Error(
                    f"the vllm backend needs a full model: {name} is a LoRA adapter",
                    hint="train with lora.merge_on_save = true and pass its merged/ folder, or use transformers",
                )
            source = str(merged)
        return VllmGenerator(source, loading["model"], gen)
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars: stderr is for r1's own progress
    loaded, tokenizer = open_model_for_recipe(loading, model)
    return Generator(loaded, tokenizer, gen)
