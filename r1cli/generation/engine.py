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
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.data.problems import Prompt, gold_of
from r1cli.generation.backends import (
    SAMPLING_KEYS,
    VLLM_PROMPTS_PER_CALL,
    Sample,
    generation_settings,
    open_generator,
)
from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.jsonl import AppendWriter

if TYPE_CHECKING:
    from r1cli.recipe.provenance import Recipe

PROGRESS_SUFFIX = ".r1.progress"
# Prompts are sorted by length within windows of this many batches (see `by_length`).
SORT_WINDOW = 16


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
            if gen["backend"] == "vllm":  # vLLM schedules by itself: whole chunks of prompts, not batches
                per_batch = max(per_batch, VLLM_PROMPTS_PER_CALL)
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
