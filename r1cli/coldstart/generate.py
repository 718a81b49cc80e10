"""Run a cold-start method: build its prompts, generate through the engine, write SFT-ready rows.

    result = run_coldstart(recipe, "fewshot", Path("cold.jsonl"), model="runs/zero", examples=None)
    result = run_refine(recipe, Path("zero_outputs.jsonl"), Path("cold.jsonl"))          # by rules
    result = run_refine(recipe, Path("zero_outputs.jsonl"), Path("cold.jsonl"), model="runs/zero")

Every row: `id`, `messages` (system, user: the problem, assistant: the trace in the target form),
`method`, `model`, and the gold (`answer`, `solution`) when the input had one. One sample per problem.
Generated rows are written as they come and resumed like every generating stage (r1cli/generation/engine.py);
refining by rules writes the whole file at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.coldstart.direct import direct_prompt
from r1cli.coldstart.fewshot import BUILTIN_EXAMPLES, fewshot_prompt, load_examples
from r1cli.coldstart.refine import (
    keep_rewrites,
    model_refine_prompt,
    read_zero_outputs,
    refine_by_rules,
)
from r1cli.coldstart.traces import (
    SPECIAL_SYSTEM_PROMPT,
    coldstart_row,
    drop_wrong,
    system_prompt_for,
    trace_from_generation,
)
from r1cli.data.problems import gold_of
from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    from r1cli.data.problems import Prompt
    from r1cli.generation.backends import Sample
    from r1cli.recipe.provenance import Recipe

GENERATING_METHODS = ("fewshot", "direct")


@dataclass
class ColdstartResult:
    """What a cold-start run did: rows written now, rows left out and why, prompts done by an earlier run."""

    path: Path
    method: str
    written: int = 0
    unusable: int = 0  # no reasoning or no final answer to build a trace from
    changed_answer: int = 0  # refine --model: the rewrite's answer no longer matched the original
    wrong: int = 0  # --drop-wrong
    resumed: int = 0

    def counts(self) -> str:
        parts = [f"{self.written} rows written to {self.path}"]
        if self.resumed:
            parts.append(f"{self.resumed} problems done by an earlier run")
        if self.unusable:
            parts.append(f"{self.unusable} without reasoning or a final answer left out")
        if self.changed_answer:
            parts.append(f"{self.changed_answer} rewrites that changed the answer left out")
        if self.wrong:
            parts.append(f"{self.wrong} wrong answers dropped (--drop-wrong)")
        return ", ".join(parts)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


def run_coldstart(
    recipe: Recipe,
    method: str,
    output: Path,
    *,
    model: str | None = None,
    fmt: str = "think",
    drop_wrong: bool = False,
    overwrite: bool = False,
    examples: Path | None = None,
    generator: Any = None,
) -> ColdstartResult:
    """Few-shot (`fewshot`) or direct (`direct`) prompting over the recipe's data.dataset problems.

    `generator` (an `r1cli.generation.backends.open_generator` result) reuses a loaded model.
    """
    from r1cli.data.problems import Prompt, read_problems
    from r1cli.generation.engine import generate_jsonl

    if method not in GENERATING_METHODS:
        raise R1Error(
            f"unknown cold-start method '{method}'", hint=f"choose from: {', '.join(GENERATING_METHODS)}"
        )
    sft_system = _sft_system_prompt(recipe, fmt)
    shots = load_examples(examples) if examples is not None else list(BUILTIN_EXAMPLES)
    data_cfg = recipe.section("data")
    problems = read_problems(data_cfg["dataset"], data_cfg)
    if drop_wrong and not any("solution" in p.row for p in problems):
        note(f"--drop-wrong has nothing to judge: no problem in {data_cfg['dataset']} has a gold answer")
    prompts = [
        Prompt(p.id, _generation_messages(method, p.row["problem"], fmt, shots), p.row) for p in problems
    ]
    model_name = model or str(recipe.get("model.name_or_path"))
    result = ColdstartResult(Path(output), method)
    rewards_cfg = recipe.section("rewards")

    def make_rows(prompt: Prompt, samples: list[Sample]) -> list[dict[str, Any]]:
        rows = []
        for sample in samples:
            trace = trace_from_generation(sample.text, fmt)
            if trace is None:
                result.unusable += 1
                continue
            rows.append(
                coldstart_row(
                    prompt.id, prompt.row["problem"], trace, method=method, model=model_name,
                    system_prompt=sft_system, gold=gold_of(prompt.row),
                )
            )  # fmt: skip
        return _drop_wrong(rows, rewards_cfg, result) if drop_wrong else rows

    settings = {
        "method": method,
        "format": fmt,
        "drop_wrong": drop_wrong,
        "sft_system_prompt": _digest(sft_system),
    }
    generated = generate_jsonl(
        prompts, output, recipe, command=f"r1 coldstart {method}", model=model, make_rows=make_rows,
        settings=settings, overwrite=overwrite, num_samples=1, generator=generator,
    )  # fmt: skip
    result.written, result.resumed = generated.rows_written, generated.resumed
    return result


def _sft_system_prompt(recipe: Recipe, fmt: str) -> str:
    """The system prompt the written rows carry for `fmt` (checked first: a bad --format fails before any
    input is read): the recipe's data.system_prompt for think, the seed's for special."""
    return system_prompt_for(fmt, str(recipe.get("data.system_prompt") or ""))


def _generation_messages(
    method: str, problem: str, fmt: str, shots: list[tuple[str, str, str]]
) -> list[dict[str, str]]:
    """The seed's generation prompt: its step-by-step system turn, then the method's user message."""
    user = fewshot_prompt(problem, shots, fmt) if method == "fewshot" else direct_prompt(problem, fmt)
    return [{"role": "system", "content": SPECIAL_SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _drop_wrong(rows: list[dict[str, Any]], rewards_cfg: dict[str, Any], result: ColdstartResult) -> list:
    kept, dropped = drop_wrong(rows, rewards_cfg)
    result.wrong += dropped
    return kept


def run_refine(
    recipe: Recipe,
    input_path: Path,
    output: Path,
    *,
    model: str | None = None,
    fmt: str = "think",
    drop_wrong: bool = False,
    overwrite: bool = False,
    generator: Any = None,
) -> ColdstartResult:
    """R1-Zero outputs -> clean traces: by rules, or rewritten by `model` (kept when the answer still matches)."""
    sft_system = _sft_system_prompt(recipe, fmt)
    rows = read_zero_outputs(Path(input_path))
    if model is None:
        return _refine_by_rules(recipe, rows, Path(output), fmt, sft_system, drop_wrong, overwrite)
    return _refine_by_model(
        recipe, rows, Path(output), model, fmt, sft_system, drop_wrong, overwrite, generator
    )


def _refine_by_rules(
    recipe: Recipe,
    rows: list[dict[str, Any]],
    output: Path,
    fmt: str,
    sft_system: str,
    drop_wrong: bool,
    overwrite: bool,
) -> ColdstartResult:
    from r1cli.plumbing.jsonl import atomic_write
    from r1cli.plumbing.rundir import claim_output_file, settings_path

    result = ColdstartResult(output, "refine")
    refined, result.unusable = refine_by_rules(rows, fmt, sft_system)
    if drop_wrong:
        refined = _drop_wrong(refined, recipe.section("rewards"), result)
    settings = {"model": None, "format": fmt, "drop_wrong": drop_wrong, "inputs": _digest(rows)}
    settings["sft_system_prompt"] = _digest(sft_system)
    # Same input and settings: the same rows again (all at once); other settings need --overwrite.
    ours = settings_path(output).is_file() and output.exists()
    claim_output_file(
        output, settings, "r1 coldstart refine", resume=ours and not overwrite, overwrite=overwrite
    )
    atomic_write(refined, output)
    result.written = len(refined)
    return result


def _refine_by_model(
    recipe: Recipe,
    rows: list[dict[str, Any]],
    output: Path,
    model: str,
    fmt: str,
    sft_system: str,
    drop_wrong: bool,
    overwrite: bool,
    generator: Any,
) -> ColdstartResult:
    from r1cli.data.problems import Prompt
    from r1cli.generation.engine import generate_jsonl

    result = ColdstartResult(output, "refine")
    rewards_cfg = recipe.section("rewards")
    prompts = []
    for row in rows:
        messages = model_refine_prompt(row, SPECIAL_SYSTEM_PROMPT)
        if messages is None:
            result.unusable += 1
        else:
            key = (
                row["id"] if "sample" not in row else f"{row['id']}#{row['sample']}"
            )  # one prompt per input row
            prompts.append(Prompt(key, messages, row))
    if not prompts:
        raise R1Error(f"no row of {len(rows)} in the input has reasoning and a final answer to rewrite")

    def make_rows(prompt: Prompt, samples: list[Sample]) -> list[dict[str, Any]]:
        original = prompt.row["completion"]
        (kept,) = keep_rewrites([original], [samples[0].text], fmt, rewards_cfg)
        if kept is None:
            result.changed_answer += 1
            return []
        row = coldstart_row(
            prompt.row["id"], prompt.row["problem"], kept, method="refine", model=model,
            system_prompt=sft_system, gold=gold_of(prompt.row), sample=prompt.row.get("sample"),
        )  # fmt: skip
        return _drop_wrong([row], rewards_cfg, result) if drop_wrong else [row]

    settings = {
        "method": "refine",
        "format": fmt,
        "drop_wrong": drop_wrong,
        "sft_system_prompt": _digest(sft_system),
    }
    generated = generate_jsonl(
        prompts, output, recipe, command="r1 coldstart refine", model=model, make_rows=make_rows,
        settings=settings, overwrite=overwrite, num_samples=1, generator=generator,
    )  # fmt: skip
    result.written, result.resumed = generated.rows_written, generated.resumed
    return result
