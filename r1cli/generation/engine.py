"""The generation engine every generating stage goes through (cold start, sample reject, distill, eval).

    prompts = read_problems("../shared/data/gsm8k/test.jsonl", recipe.section("data"))  # r1cli/data/problems.py
    result = generate_jsonl(prompts, Path("out.jsonl"), recipe, command="r1 sample reject",
                            make_rows=score_and_keep_best, settings={"keep": 1})

Batched generation with left padding and the model's chat template, sampling from `[generation]`
(max_new_tokens, temperature, top_p, batch_size sequences per forward pass, num_samples per prompt;
greedy at temperature 0), stopping at EOS. Each prompt's samples go to the caller's `make_rows`, which
turns them into 0..N output rows (scored, filtered...). Rows are appended a batch at a time, flushed,
and the prompts of the batch recorded as done in a progress journal next to the output, so a killed
run loses at most the batch in flight and a rerun continues where it stopped, every (id, sample)
written once. The settings that decide the rows live in the sidecar `OUT.jsonl.r1.json`
(r1cli/plumbing/rundir.py); a rerun with other settings is refused, `overwrite=True` starts over.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.data.problems import Prompt, gold_of
from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.jsonl import AppendWriter

if TYPE_CHECKING:
    from r1cli.recipe.provenance import Recipe

BACKENDS = ("transformers", "vllm")
# [generation] keys that decide what is generated (batch_size and backend only decide how fast).
SAMPLING_KEYS = ("max_new_tokens", "temperature", "top_p", "num_samples", "seed")
PROGRESS_SUFFIX = ".r1.progress"
# Prompts are sorted by length within windows of this many batches (see `by_length`).
SORT_WINDOW = 16


@dataclass
class Sample:
    """One generated completion: its index among its prompt's samples, text, token count, whether it hit EOS."""

    index: int
    text: str
    tokens: int
    finished: bool


MakeRows = Callable[[Prompt, list[Sample]], list[dict[str, Any]]]


@dataclass
class GenerationResult:
    """What `generate_jsonl` did: prompts in all, done before this run, generated now, rows and tokens written."""

    path: Path
    prompts: int
    resumed: int
    generated: int = 0
    rows_written: int = 0
    tokens: int = 0
    seconds: float = 0.0


def default_rows(prompt: Prompt, samples: list[Sample]) -> list[dict[str, Any]]:
    """One row per sample: id, sample, the problem and its gold (when known), prompt, completion, tokens, finished."""
    gold = {"problem": prompt.row["problem"]} if "problem" in prompt.row else {}
    gold.update(gold_of(prompt.row))
    return [
        {
            "id": prompt.id,
            "sample": sample.index,
            **gold,
            "prompt": prompt.messages,
            "completion": sample.text,
            "tokens": sample.tokens,
            "finished": sample.finished,
        }
        for sample in samples
    ]


# ---- settings ------------------------------------------------------------------------------------


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
    backend = gen.setdefault("backend", "transformers")
    if backend not in BACKENDS:
        raise R1Error(f"unknown generation.backend '{backend}'", hint=f"use one of {', '.join(BACKENDS)}")
    if backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise R1Error(
            'generation.backend = "vllm" but vllm is not installed',
            hint='pip install vllm (GPU machines), or set generation.backend = "transformers"',
        )
    return gen


def prompts_digest(prompts: Sequence[Prompt]) -> str:
    """'N prompts, sha256 <hex digest>': what a rerun must find again to continue an output."""
    digest = hashlib.sha256()
    for prompt in prompts:
        digest.update(json.dumps([prompt.id, prompt.messages], ensure_ascii=False).encode() + b"\n")
    return f"{len(prompts)} prompts, sha256 {digest.hexdigest()[:16]}"


def model_label(name: str) -> str:
    """How the model is recorded in the settings: a local folder as an absolute path, else the name."""
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


# ---- the engine ----------------------------------------------------------------------------------


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

    def __init__(self, source: str, recipe_data: Mapping[str, Any], gen: Mapping[str, Any]):
        from vllm import LLM

        model_cfg = recipe_data.get("model", {})
        self.gen = dict(gen)
        dtype = str(model_cfg.get("dtype", "auto"))
        self.llm = LLM(
            model=source,
            dtype=dtype,
            trust_remote_code=bool(model_cfg.get("trust_remote_code", False)),
        )

    def generate(self, conversations: Sequence[list[dict[str, str]]], num_samples: int) -> list[list[Sample]]:
        from vllm import SamplingParams

        params = SamplingParams(
            n=num_samples,
            temperature=float(self.gen["temperature"]),
            top_p=float(self.gen["top_p"]) if float(self.gen["temperature"]) > 0 else 1.0,
            max_tokens=int(self.gen["max_new_tokens"]),
            seed=int(self.gen.get("seed", 0)),
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


def open_generator(
    recipe: Recipe, model: str | None = None, num_samples: int | None = None
) -> Generator | VllmGenerator:
    """A generator for `model` (default: the recipe's model) with the recipe's loading and [generation] settings."""
    from r1cli.models.folders import locate_model, open_model_for_recipe

    gen = generation_settings(recipe.section("generation"), num_samples)
    if gen["backend"] == "vllm":
        name = model or str(recipe.get("model.name_or_path") or "")
        kind, source, path = locate_model(name, recipe.section("tiny"))
        if kind == "adapter":
            merged = path / "merged"
            if not (merged / "config.json").is_file():
                raise R1Error(
                    f"the vllm backend needs a full model: {name} is a LoRA adapter",
                    hint="train with lora.merge_on_save = true and pass its merged/ folder, or use transformers",
                )
            source = str(merged)
        return VllmGenerator(source, recipe.tree, gen)
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars: stderr is for r1's own progress
    loaded, tokenizer = open_model_for_recipe(recipe.tree, model)
    return Generator(loaded, tokenizer, gen)


# ---- progress on stderr -------------------------------------------------------------------------


class GenerationProgress:
    """Prompts done, prompts/s, tokens/s and ETA on stderr: a rich bar on a terminal, else a plain line
    at most every `every` seconds (and at the end)."""

    def __init__(self, total: int, done: int = 0, every: float = 10.0):
        from rich.console import Console

        self.total, self.done, self.start_done, self.tokens, self.every = total, done, done, 0, every
        self.console = Console(stderr=True)
        self.started = self.last_line = time.perf_counter()
        self._bar: Any = None

    def __enter__(self) -> GenerationProgress:
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("generating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[speed]}"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("generating", total=self.total, completed=self.done, speed="")
        return self

    def _speed(self) -> tuple[float, float]:
        seconds = max(time.perf_counter() - self.started, 1e-9)
        return (self.done - self.start_done) / seconds, self.tokens / seconds

    def advance(self, prompts: int, tokens: int) -> None:
        self.done += prompts
        self.tokens += tokens
        rows, toks = self._speed()
        if self._bar is not None:
            self._bar.update(self._task, advance=prompts, speed=f"{rows:.2f} rows/s  {toks:.0f} tokens/s")
            return
        now = time.perf_counter()
        if now - self.last_line >= self.every or self.done >= self.total:
            self.last_line = now
            left = (self.total - self.done) / rows if rows > 0 else 0.0
            self.console.print(
                f"r1: generated {self.done}/{self.total} rows, {rows:.2f} rows/s, {toks:.0f} tokens/s, "
                f"ETA {_duration(left)}",
                markup=False,
                highlight=False,
            )

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _duration(seconds: float) -> str:
    """'1:02:03' / '2:05' for an ETA.

    >>> _duration(125), _duration(3723)
    ('2:05', '1:02:03')
    """
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# ---- resumable JSONL output ----------------------------------------------------------------------


def by_length(prompts: list[Prompt], window: int) -> list[Prompt]:
    """Prompts sorted longest first within windows of `window`: batches of about one length pad less,
    while the output keeps roughly the input's order.

    >>> [p.id for p in by_length([Prompt(i, [{"role": "user", "content": "x" * n}]) for i, n in enumerate([1, 3, 2, 5])], 2)]
    [1, 0, 3, 2]
    """
    ordered = []
    for start in range(0, len(prompts), window):
        chunk = prompts[start : start + window]
        ordered += sorted(chunk, key=lambda p: -sum(len(m.get("content") or "") for m in p.messages))
    return ordered


def progress_path(output: Path) -> Path:
    """The progress journal next to an output: `OUT.jsonl` -> `OUT.jsonl.r1.progress` (one line per batch)."""
    return output.with_name(output.name + PROGRESS_SUFFIX)


def _resume(output: Path, journal: AppendWriter) -> tuple[AppendWriter, set[Any]]:
    """Open the output where the journal says the last complete batch ended; the ids done so far.

    Rows past that point belong to a batch that was in flight when the run stopped: they are cut off and
    generated again, so no (id, sample) is written twice.
    """
    done: set[Any] = set()
    end = 0
    for entry in journal.rows:
        done.update(entry.get("done", []))
        end = int(entry.get("bytes", end))
    out = AppendWriter(output)
    if out.size < end:
        size = out.size
        out.close()
        raise R1Error(
            f"{output} is shorter than r1 left it ({size} of {end} bytes): it was changed since",
            hint="pass --overwrite to start over, or pick another --output",
        )
    if out.size > end:
        out.truncate(end)
    return out, done


def generate_jsonl(
    prompts: Sequence[Prompt],
    output: str | Path,
    recipe: Recipe,
    *,
    command: str,
    model: str | None = None,
    make_rows: MakeRows | None = None,
    settings: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    num_samples: int | None = None,
    generator: Any = None,
) -> GenerationResult:
    """Generate `num_samples` samples per prompt into `output`, resuming an earlier run of the same settings.

    `make_rows(prompt, samples)` turns one prompt's samples into output rows (default: `default_rows`);
    `settings` are the caller's own choices that decide the rows, recorded and compared like the
    generation settings. `generator` (an `open_generator` result) skips loading the model again.
    """
    from r1cli.models.folders import locate_model
    from r1cli.plumbing.rundir import claim_output_file, settings_path

    out_path = Path(output).expanduser()
    gen = generation_settings(recipe.section("generation"), num_samples)
    if not prompts:
        raise R1Error("no prompts to generate for")
    name = model or str(recipe.get("model.name_or_path") or "")
    if not name:
        raise R1Error("no model given", hint="pass --model DIR, or set model.name_or_path")
    locate_model(name, recipe.section("tiny"))  # a bad --model fails before any file is touched
    recorded = {
        "model": model_label(name),
        **{f"generation.{key}": gen[key] for key in SAMPLING_KEYS},
        "prompts": prompts_digest(prompts),
        **dict(settings or {}),
    }
    if name == "r1-tiny":
        recorded.update({f"tiny.{k}": v for k, v in sorted(recipe.section("tiny").items())})
    ours = settings_path(out_path).is_file() and out_path.exists()
    if overwrite and ours and out_path.stat().st_size:
        # Replacing our own rows: load the model first, so that a failure to load leaves them as they are.
        generator = generator or open_generator(recipe, model, num_samples)
    claim = claim_output_file(out_path, recorded, command, resume=ours and not overwrite, overwrite=overwrite)
    journal_file = progress_path(out_path)
    if not claim.resume:  # fresh or --overwrite: start the file and the journal over
        out_path.write_bytes(b"")
        journal_file.unlink(missing_ok=True)
    journal = AppendWriter(journal_file)
    try:
        out, done = _resume(out_path, journal)
    except BaseException:
        journal.close()
        raise
    result = GenerationResult(out_path, len(prompts), resumed=sum(p.id in done for p in prompts))
    todo = [p for p in prompts if p.id not in done]
    if result.resumed:
        note(f"resuming: {result.resumed} of {len(prompts)} done")
    make_rows = make_rows or default_rows
    started = time.perf_counter()
    try:
        if todo:
            generator = generator or open_generator(recipe, model, num_samples)
            if gen["temperature"] == 0 and gen["num_samples"] > 1:
                note(
                    f"temperature 0 is greedy: the {gen['num_samples']} samples of a prompt are the same text"
                )
            per_batch = max(1, int(gen["batch_size"]) // int(gen["num_samples"]))
            todo = by_length(todo, per_batch * SORT_WINDOW)
            with GenerationProgress(len(prompts), result.resumed) as progress:
                for start in range(0, len(todo), per_batch):
                    batch = todo[start : start + per_batch]
                    samples = generator.generate([p.messages for p in batch], int(gen["num_samples"]))
                    rows = [row for p, s in zip(batch, samples, strict=True) for row in make_rows(p, s)]
                    result.rows_written += out.append(rows)
                    journal.append([{"done": [p.id for p in batch], "bytes": out.size}])
                    tokens = sum(s.tokens for group in samples for s in group)
                    result.generated += len(batch)
                    result.tokens += tokens
                    progress.advance(len(batch), tokens)
    finally:
        out.close()
        journal.close()
        result.seconds = time.perf_counter() - started
    return result
