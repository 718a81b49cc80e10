"""`r1 eval`: accuracy of models on held-out math problems, with the sampling settings stored beside each score.

    benchmark = load_benchmark("../shared/data/math/aime24.jsonl", recipe.section("data"))
    result = evaluate_model("runs/zero", benchmark, recipe, EvalSettings.from_preset("r1"))
    result.metrics["accuracy"], result.metrics["format_rate"]

Problems are read and turned into prompts as `r1 data prepare` builds them (`read_problems`; a
`r1 data prepare` folder gives its test split). Each model generates through the batched, resumable
generation engine; each sample is judged by the recipe's accuracy reward (same verifier, same
timeouts as training) and format reward as it is written; `r1cli.evaluate.metrics` turns the judged
samples into pass@1 (avg@n), maj@n, pass@k, format rate, completion length and truncation rate.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.evaluate.benchmarks import Benchmark, benchmark_data_settings, load_benchmark
from r1cli.evaluate.fit import fit_to_model
from r1cli.evaluate.metrics import JudgedSample, aggregate
from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.plumbing.jsonl import json_lines
from r1cli.rewards.answers import extract_model_answer

if TYPE_CHECKING:
    from r1cli.data.problems import Prompt
    from r1cli.generation.backends import Sample
    from r1cli.recipe.provenance import Recipe

# Sampling presets whose numbers compare with published ones.
PRESETS: dict[str, dict[str, float | int]] = {
    "greedy": {"temperature": 0.0, "top_p": 1.0, "samples": 1},  # Qwen2.5-Math: greedy pass@1
    "r1": {"temperature": 0.6, "top_p": 0.95, "samples": 4},  # DeepSeek-R1 / open-r1: avg@n
}
# What `r1 eval` does with a prompt that leaves no room for max_new_tokens in the model's positions.


@dataclass(frozen=True)
class EvalSettings:
    """How the models sample: a preset and what overrides it. Stored with every score."""

    preset: str
    temperature: float
    top_p: float
    samples: int
    max_new_tokens: int

    @classmethod
    def from_preset(
        cls,
        preset: str = "greedy",
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        samples: int | None = None,
        max_new_tokens: int = 256,
    ) -> EvalSettings:
        if preset not in PRESETS:
            hint = did_you_mean(preset, PRESETS) or f"presets: {', '.join(PRESETS)}"
            raise R1Error(f"unknown eval preset '{preset}'", hint=hint)
        base = PRESETS[preset]
        settings = cls(
            preset,
            float(base["temperature"] if temperature is None else temperature),
            float(base["top_p"] if top_p is None else top_p),
            int(base["samples"] if samples is None else samples),
            int(max_new_tokens),
        )
        if settings.temperature < 0 or not 0 < settings.top_p <= 1:
            raise R1Error(f"temperature must be >= 0 and top_p in (0, 1] (got {temperature}, {top_p})")
        if settings.samples < 1 or settings.max_new_tokens < 1:
            raise R1Error("--samples and --max-new-tokens must be at least 1")
        if settings.temperature == 0 and settings.samples > 1:
            raise R1Error(
                f"{settings.samples} samples at temperature 0 would be {settings.samples} copies of one greedy answer",
                hint="use --preset r1, or give --temperature > 0",
            )
        return settings

    def apply(self, recipe: Recipe) -> Recipe:
        """A copy of the recipe whose [generation] samples this way."""
        changed = copy.deepcopy(recipe)
        source = f"r1 eval preset {self.preset}"
        for key, value in (
            ("temperature", self.temperature),
            ("top_p", self.top_p),
            ("num_samples", self.samples),
            ("max_new_tokens", self.max_new_tokens),
        ):
            changed.set(f"generation.{key}", value, source)
        return changed


# ---- verdicts -----------------------------------------------------------------------------------


def judge(
    completions: Sequence[str], problems: Sequence[Mapping[str, Any]], rewards_cfg: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Per completion: the final answer read from it, the accuracy reward's verdict, the format reward's.

    `problems[i]` holds `solution` (the gold text), `prompt` (chat messages) and, optionally,
    `rendered_prompt` (the prompt after the chat template: a template that ends it with `<think>`
    makes the completion start inside the reasoning, and the format reward reads it so).
    """
    from r1cli.rewards.registry import build_reward_functions

    accuracy, format_ = build_reward_functions(rewards_cfg, ["accuracy", "format"])
    context = {
        "prompts": [problem.get("prompt") for problem in problems],
        "rendered_prompt": [problem.get("rendered_prompt") for problem in problems],
    }
    solutions = [problem["solution"] for problem in problems]
    scores = accuracy(completions=list(completions), solution=solutions, **context)
    shapes = format_(completions=list(completions), **context)
    return [
        {
            "predicted": extract_model_answer(text),
            "correct": None if score is None else score >= 1.0,
            "formatted": shape is not None and shape >= 1.0,
        }
        for text, score, shape in zip(completions, scores, shapes, strict=True)
    ]


def judged_rows(
    rewards_cfg: Mapping[str, Any], render: Callable[[list[dict[str, str]]], str | None] | None = None
):
    """The engine's `make_rows`: one prediction row per sample, with its verdicts.

    `render(messages)` gives the prompt as the model saw it (the chat template applied), or None.
    """

    def make_rows(prompt: Prompt, samples: list[Sample]) -> list[dict[str, Any]]:
        rendered = render(prompt.messages) if render is not None else None
        problem = {"solution": prompt.row["solution"], "prompt": prompt.messages, "rendered_prompt": rendered}
        verdicts = judge([s.text for s in samples], [problem] * len(samples), rewards_cfg)
        return [
            {
                "id": prompt.id,
                "sample": sample.index,
                "problem": prompt.row.get("problem"),
                "gold": prompt.row["answer"],
                "completion": sample.text,
                **verdict,
                "tokens": sample.tokens,
                "finished": sample.finished,
            }
            for sample, verdict in zip(samples, verdicts, strict=True)
        ]

    return make_rows


def metrics_from_rows(prompts: Sequence[Prompt], rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The benchmark's metrics from its prediction rows (each problem's samples, in problem order)."""
    by_id: dict[Any, list[JudgedSample]] = {}
    for row in sorted(rows, key=lambda r: r["sample"]):
        by_id.setdefault(row["id"], []).append(
            JudgedSample(
                row["predicted"], row["correct"], bool(row["formatted"]), row["tokens"], not row["finished"]
            )
        )
    missing = [p.id for p in prompts if p.id not in by_id]
    if missing:
        raise R1Error(f"no predictions for {len(missing)} problems (ids {missing[:5]}...)")
    return aggregate([by_id[p.id] for p in prompts])


# ---- running ------------------------------------------------------------------------------------


@dataclass
class EvalResult:
    """One model on one benchmark: its metrics, the settings they were measured with, the predictions."""

    model: str
    benchmark: str
    data: str
    metrics: dict[str, Any]
    settings: dict[str, Any]
    seconds: float
    dropped: int = 0
    predictions: list[dict[str, Any]] = field(default_factory=list, repr=False)
    too_long: int = 0

    def record(self) -> dict[str, Any]:
        """The results.json entry."""
        entry = {"model": self.model, "benchmark": self.benchmark, "data": self.data, **self.metrics}
        return {
            **entry,
            "dropped_no_gold": self.dropped,
            "prompts_too_long": self.too_long,
            "settings": self.settings,
            "seconds": round(self.seconds, 2),
        }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[-60:] or "x"


def generations_file(workdir: Path, model: str, benchmark: Benchmark, settings: Mapping[str, Any]) -> Path:
    """Where the engine keeps one model's samples on one benchmark: a rerun with the same settings resumes it."""
    from r1cli.generation.engine import model_label, prompts_digest

    # The prompts as rendered for this model (its recorded system prompt) are part of what a file holds.
    what = [model_label(model), benchmark.source, prompts_digest(benchmark.prompts), dict(settings)]
    key = json.dumps(what, sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return workdir / f"{_slug(Path(model).name or model)}--{_slug(benchmark.name)}--{digest}.jsonl"


def evaluate_model(
    model: str | Path,
    benchmark: Benchmark,
    recipe: Recipe,
    settings: EvalSettings | None = None,
    *,
    workdir: str | Path | None = None,
    generator: Any = None,
) -> EvalResult:
    """Evaluate one model (a stage's output folder, r1-tiny or a hub id) on one benchmark.

    Samples are written to `workdir` (a temporary folder when None) through the generation engine,
    so a rerun with the same `workdir` and settings continues where a killed run stopped.
    `generator` (from `open_generator`) avoids loading the model once per benchmark.
    """
    from r1cli.generation.backends import open_generator
    from r1cli.generation.engine import generate_jsonl
    from r1cli.rewards.registry import verifier_settings

    settings = settings or EvalSettings.from_preset("greedy")
    rewards_cfg = recipe.section("rewards")
    # What decides the scores: the sampling, and the verifier's timeout (its worker count only decides speed).
    stored = {**asdict(settings), "rewards.timeout": verifier_settings(rewards_cfg)["timeout"]}
    sampling = settings.apply(recipe)
    if not isinstance(generator, _OnFirstUse):  # loaded on first use; its tokenizer renders the prompts
        given = generator
        generator = _OnFirstUse(
            lambda: given if given is not None else open_generator(sampling, str(model), settings.samples)
        )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="r1-eval-") as scratch:
        folder = Path(workdir) if workdir is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = generations_file(folder, str(model), benchmark, stored)
        generate_jsonl(
            benchmark.prompts,
            path,
            sampling,
            command="r1 eval",
            model=str(model),
            make_rows=judged_rows(rewards_cfg, generator.render),
            settings=stored,
            num_samples=settings.samples,
            generator=generator,
        )
        rows = [row for _, row, _ in json_lines(path.read_bytes()) if row is not None]
    metrics = metrics_from_rows(benchmark.prompts, rows)
    return EvalResult(
        str(model),
        benchmark.name,
        benchmark.source,
        metrics,
        stored,
        time.perf_counter() - started,
        benchmark.dropped,
        [{"model": str(model), "benchmark": benchmark.name, **row} for row in rows],
        benchmark.too_long,
    )


def evaluate(
    runs: Sequence[tuple[str, Recipe]],
    sources: Sequence[str | Path],
    settings: EvalSettings,
    *,
    limit: int | None = None,
    workdir: str | Path | None = None,
    long_prompts: str = "skip",
) -> list[EvalResult]:
    """Every model on every benchmark (`sources`, see load_benchmark); each model is loaded once.

    `runs` pairs each model with its recipe: the prompts are built with each one's own [data] (a trained
    folder's recorded system prompt, r1cli.models.prompting), so every model is asked as it was trained.
    Prompts that leave no room for max_new_tokens in a model's positions are counted per benchmark and
    skipped, or cut to fit with long_prompts="truncate", before any model loads.
    """
    from r1cli.generation.backends import open_generator
    from r1cli.models.folders import locate_model

    for model, recipe in runs:  # a bad MODEL fails before any loading
        locate_model(model, recipe.section("tiny"))
    prompted = [
        (
            model,
            recipe,
            [load_benchmark(source, benchmark_data_settings(recipe, source), limit) for source in sources],
        )
        for model, recipe in runs
    ]  # every benchmark read (and refused if bad) before any model loads
    prompted = [
        (model, recipe, fit_to_model(model, recipe, benchmarks, settings.max_new_tokens, long_prompts))
        for model, recipe, benchmarks in prompted
    ]
    results = []
    for model, recipe, benchmarks in prompted:
        sampling = settings.apply(recipe)
        generator = _OnFirstUse(
            lambda model=model, sampling=sampling: open_generator(sampling, model, settings.samples)
        )
        for benchmark in benchmarks:
            results.append(
                evaluate_model(model, benchmark, recipe, settings, workdir=workdir, generator=generator)
            )
        del generator  # let the model go before the next one loads
    return results


class _OnFirstUse:
    """A generator loaded when first asked to generate: a finished (resumed) evaluation loads no model."""

    def __init__(self, open_: Any):
        self._open, self._generator = open_, None

    def generate(self, conversations: Any, num_samples: int) -> Any:
        if self._generator is None:
            self._generator = self._open()
        return self._generator.generate(conversations, num_samples)

    def render(self, messages: list[dict[str, str]]) -> str | None:
        """The prompt text the model continued (None before loading, or for a backend without a tokenizer)."""
        from r1cli.generation.backends import prompt_text

        tokenizer = getattr(self._generator, "tokenizer", None)
        return prompt_text(tokenizer, messages) if tokenizer is not None else None


def evaluate_problems(
    model: str | Path,
    problems: str | Path | Sequence[Prompt],
    recipe: Recipe,
    *,
    preset: str = "greedy",
    samples: int | None = None,
    temperature: float | None = None,
    max_new_tokens: int | None = None,
    limit: int | None = None,
) -> EvalResult:
    """For other stages (distill, pipeline): a model's accuracy and format_rate on held-out problems.

    `problems`: a data file, a `r1 data prepare` folder (its test split), or `read_problems` prompts
    whose rows carry gold answers. `result.metrics["accuracy"]`, `result.metrics["format_rate"]`.
    """
    from r1cli.data.problems import gold_of

    if isinstance(problems, str | Path):
        benchmark = load_benchmark(problems, benchmark_data_settings(recipe, problems), limit)
    else:
        golden = [p for p in problems if len(gold_of(p.row)) == 2]
        if not golden:
            raise R1Error("none of the problems has a gold answer (`answer` and `solution` in its row)")
        benchmark = Benchmark(
            "problems", "(given)", golden[:limit] if limit else golden, len(problems) - len(golden)
        )
    settings = EvalSettings.from_preset(
        preset,
        temperature=temperature,
        samples=samples,
        max_new_tokens=max_new_tokens or int(recipe.get("generation.max_new_tokens", 256)),
    )
    return evaluate_model(model, benchmark, recipe, settings)
