"""`r1 coldstart fewshot | direct | refine`: cold-start data for SFT stage 1, one thin command per method.

    r1 coldstart fewshot --model runs/zero --data problems.jsonl --output cold.jsonl [--examples ex.jsonl]
    r1 coldstart direct --model runs/zero --data problems.jsonl --output cold.jsonl --format special
    r1 coldstart refine zero_outputs.jsonl --output cold.jsonl [--model runs/zero] [--drop-wrong]

The output path goes to stdout, progress and counts to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from r1cli.cli.options import (
    OVERRIDES,
    OVERRIDES_HELP,
    JsonlOutputOption,
    ModelOption,
    OverwriteOption,
    ProblemsOption,
    ProfileOption,
    RecipeOption,
    resolve_generate_recipe,
    resolve_recipe,
)

if TYPE_CHECKING:
    from r1cli.coldstart.generate import ColdstartResult

app = typer.Typer(
    help="Cold-start data for SFT: few-shot or direct prompting, or refined R1-Zero outputs.",
    no_args_is_help=True,
)

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="Target form: think (<think>...</think><answer>...</answer>) or special (the seed's).",
    ),
]
DropWrongOption = Annotated[
    bool,
    typer.Option(
        "--drop-wrong", help="Drop rows whose answer the accuracy reward marks wrong (gold needed)."
    ),
]


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def fewshot(
    ctx: typer.Context,
    output: JsonlOutputOption,
    model: ModelOption = None,
    data: ProblemsOption = None,
    examples: Annotated[
        Path | None,
        typer.Option(
            "--examples", help="JSONL of worked examples {problem, solution} (default: the seed's two)."
        ),
    ] = None,
    fmt: FormatOption = "think",
    drop_wrong: DropWrongOption = False,
    overwrite: OverwriteOption = False,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
) -> None:
    """Few-shot long-CoT prompting: worked examples, then each problem.

    Example: r1 coldstart fewshot -m runs/sft --data data/gsm8k -o coldstart.jsonl
    """
    _generate(
        ctx, "fewshot", output, model, data, fmt, drop_wrong, overwrite, recipe, profile, examples=examples
    )


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def direct(
    ctx: typer.Context,
    output: JsonlOutputOption,
    model: ModelOption = None,
    data: ProblemsOption = None,
    fmt: FormatOption = "think",
    drop_wrong: DropWrongOption = False,
    overwrite: OverwriteOption = False,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
) -> None:
    """Direct prompting: ask for step-by-step reasoning and a verification of the answer.

    Example: r1 coldstart direct -m runs/sft --data data/gsm8k -o coldstart.jsonl
    """
    _generate(ctx, "direct", output, model, data, fmt, drop_wrong, overwrite, recipe, profile)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def refine(
    ctx: typer.Context,
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT.jsonl",
            help="R1-Zero outputs: `prompt` (or `problem`) and `completion` per line, optional `id`, gold.",
        ),
    ],
    output: JsonlOutputOption,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Rewrite the reasoning with this model (default: by rules).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = "think",
    drop_wrong: DropWrongOption = False,
    overwrite: OverwriteOption = False,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
) -> None:
    """Clean R1-Zero outputs into traces: filler and repetition removed, or rewritten by a model.

    Example: r1 coldstart refine runs/zero-outputs.jsonl -o coldstart.jsonl
    """
    from r1cli.coldstart.generate import run_refine

    resolved = resolve_recipe(
        recipe, profile, ctx.args, stage="generate", validate=model is not None, model=model
    )
    result = run_refine(
        resolved, input_path, output, model=model, fmt=fmt, drop_wrong=drop_wrong, overwrite=overwrite
    )
    _report(result)


def _generate(
    ctx: typer.Context,
    method: str,
    output: Path,
    model: str | None,
    data: str | None,
    fmt: str,
    drop_wrong: bool,
    overwrite: bool,
    recipe: Path | None,
    profile: str | None,
    examples: Path | None = None,
) -> None:
    """The model-written methods (fewshot, direct): same options, same run, same report."""
    from r1cli.coldstart.generate import run_coldstart

    resolved = resolve_generate_recipe(recipe, profile, ctx.args, data, model)
    result = run_coldstart(
        resolved, method, output, model=model, fmt=fmt, drop_wrong=drop_wrong, overwrite=overwrite,
        examples=examples,
    )  # fmt: skip
    _report(result)


def _report(result: ColdstartResult) -> None:
    """The output path on stdout (for scripts), the counts on stderr."""
    print(f"r1: {result.counts()}", file=sys.stderr)
    print(result.path)
