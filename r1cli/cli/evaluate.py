"""`r1 eval`: accuracy of one or more models on one or more benchmarks, with the sampling settings.

    r1 eval runs/zero --data ../shared/data/gsm8k/test.jsonl                      # greedy pass@1
    r1 eval runs/pipeline/zero                 # the held-out problems its run recorded (its prepared data)
    r1 eval runs/zero runs/sft --data ../shared/data/math/aime24.jsonl --preset r1 --samples 64
    r1 eval runs/zero --data data/prepared --output results.json --predictions predictions.jsonl

results.json goes to --output (or stdout), a table to stderr. With --output, the generated samples
are kept in `<output>.generations/`, so a killed evaluation continues where it stopped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from r1cli.cli.options import OVERRIDES, OVERRIDES_HELP, ProfileOption, RecipeOption, resolve_recipe
from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    from r1cli.evaluate.run import EvalResult

# Registered by cli/main.py with these settings: recipe overrides are extra arguments, MODEL among them.
COMMAND_SETTINGS = {
    "context_settings": OVERRIDES,
    "epilog": OVERRIDES_HELP,
    "options_metavar": "MODEL... [OPTIONS]",
}


def eval_command(
    ctx: typer.Context,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="Benchmark: a jsonl/json/csv/parquet file with problem|question and answer|solution, "
            "or a `r1 data prepare` folder (its test split). Repeat for several. Default: the held-out "
            "problems a folder r1 trained recorded (the test split of its run's or its pipeline's data).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write results.json here (default: stdout). The samples are kept in OUTPUT.generations/: "
            "a rerun with the same settings continues where a killed one stopped.",
            show_default=False,
        ),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions",
            help="Write every sample with its answer and verdicts here (jsonl).",
            show_default=False,
        ),
    ] = None,
    preset: Annotated[
        str,
        typer.Option(
            "--preset", help="greedy (temperature 0, pass@1) or r1 (temperature 0.6, top_p 0.95, 4 samples)."
        ),
    ] = "greedy",
    temperature: Annotated[
        float | None, typer.Option(help="Override the preset.", show_default=False)
    ] = None,
    top_p: Annotated[float | None, typer.Option(help="Override the preset.", show_default=False)] = None,
    samples: Annotated[
        int | None, typer.Option(help="Samples per problem (override the preset).", show_default=False)
    ] = None,
    max_new_tokens: Annotated[
        int | None, typer.Option(help="Default: the recipe's generation.max_new_tokens.", show_default=False)
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Evaluate the first N problems of each benchmark.", show_default=False),
    ] = None,
    long_prompts: Annotated[
        str,
        typer.Option(
            "--long-prompts",
            help="A prompt with no room for --max-new-tokens in the model's positions: skip it, or truncate "
            "its question from the start (counted per benchmark either way).",
        ),
    ] = "skip",
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
) -> None:
    """Accuracy of models on held-out problems: pass@1, maj@n, pass@k, format rate, length, truncation.

    MODEL: a stage's output folder (full model or LoRA adapter), r1-tiny, or a hub id; several allowed.

    Example: r1 eval runs/sft2 --data ../shared/data/gsm8k/test.jsonl --limit 200
    """
    from r1cli.data.sources import FILE_TYPES
    from r1cli.evaluate.benchmarks import default_benchmark
    from r1cli.evaluate.fit import LONG_PROMPTS
    from r1cli.evaluate.run import EvalSettings, evaluate
    from r1cli.plumbing.files import atomic_write_text
    from r1cli.plumbing.jsonl import atomic_write, check_output_path
    from r1cli.recipe.overrides import split_positionals
    from r1cli.train.callbacks import quiet_libraries

    models, overrides = split_positionals(ctx.args)
    if not models:
        raise R1Error("no MODEL given", hint="e.g. r1 eval runs/zero --data ../shared/data/gsm8k/test.jsonl")
    for model in models:  # `--data a.jsonl b.jsonl` makes b.jsonl a MODEL
        if Path(model).suffix.lower() in FILE_TYPES and Path(model).is_file():
            raise R1Error(f"'{model}' is a data file, not a MODEL", hint="repeat --data for each file")
    if not data:
        data = [str(default_benchmark(models))]
    runs = [
        (
            model,
            resolve_recipe(
                recipe,
                profile,
                overrides,
                stage="generate",
                overrides={"generation.max_new_tokens": max_new_tokens},
                model=model,
            ),
        )
        for model in models
    ]  # each model with its own recipe: asked with the system prompt its folder recorded
    if long_prompts not in LONG_PROMPTS:
        raise R1Error(f"--long-prompts must be one of {', '.join(LONG_PROMPTS)}, not '{long_prompts}'")
    resolved = runs[0][1]
    settings = EvalSettings.from_preset(
        preset,
        temperature=temperature,
        top_p=top_p,
        samples=samples,
        max_new_tokens=int(resolved.get("generation.max_new_tokens")),
    )
    for path in (output, predictions):
        if path is not None:
            check_output_path(path)  # before hours of generation
    workdir = output.with_name(output.name + ".generations") if output is not None else None
    quiet_libraries()
    results = evaluate(runs, data, settings, limit=limit, workdir=workdir, long_prompts=long_prompts)
    document = {"results": [result.record() for result in results]}
    if predictions is not None:
        atomic_write([row for result in results for row in result.predictions], predictions)
    _print_table(results)
    if output is None:
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    atomic_write_text(output, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(output)


def _print_table(results: list[EvalResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    first = results[0].settings
    n = first["samples"]
    table = Table(
        title="r1 eval",
        caption=f"preset {first['preset']}: temperature {first['temperature']:g}, top_p {first['top_p']:g}, "
        f"{n} sample{'s' if n > 1 else ''} per problem, at most {first['max_new_tokens']} new tokens",
    )
    top_k = max(int(key[5:]) for key in results[0].metrics if key.startswith("pass@"))
    columns = ["model", "benchmark", "n", "pass@1" if n == 1 else f"avg@{n}"]
    if n > 1:
        columns += [f"maj@{n}", f"pass@{top_k}"]
    columns += ["format", "tokens", "trunc.", "time"]
    for name in columns:
        table.add_column(name, justify="left" if name in ("model", "benchmark") else "right")
    for result in results:
        m = result.metrics
        cells = [result.model, result.benchmark, str(m["n"]), f"{m['accuracy']:.1%}"]
        if n > 1:
            cells += [f"{m[f'maj@{n}']:.1%}", f"{m[f'pass@{top_k}']:.1%}"]
        cells += [
            f"{m['format_rate']:.1%}",
            f"{m['mean_completion_tokens']:.0f}",
            f"{m['truncated_rate']:.0%}",
            f"{result.seconds:.0f}s",
        ]
        table.add_row(*cells)
    console = Console(stderr=True)
    if not console.is_terminal:  # a log file: no need to fold the table into 80 columns
        console = Console(stderr=True, width=160)
    console.print(table)
