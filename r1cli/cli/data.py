"""`r1 data prepare`: problems with gold answers as R1-Zero prompts (or SFT conversations), cleaned,
split into train/test and saved where the training commands read them.

r1 data prepare -o data/addition                         # the recipe's data.dataset (synthetic:addition)
r1 data prepare AI-MO/NuminaMath-TIR -o data/numina      # hub id (needs network or the HF cache)
r1 data prepare ../shared/data/gsm8k -o data/gsm8k       # a folder of train/test files keeps its splits
r1 data prepare aime24.jsonl -o data/aime --test-size 0  # everything in train
r1 data prepare bespokelabs/Bespoke-Stratos-17k --sft -o data/stratos
r1 train zero --data.dataset data/gsm8k
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from r1cli.cli.options import OVERRIDES, OVERRIDES_HELP, ProfileOption, RecipeOption, resolve_recipe

app = typer.Typer(
    help="Prepare training data: prompts with gold answers, or SFT conversations.", no_args_is_help=True
)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP, options_metavar="[SOURCE] [OPTIONS]")
def prepare(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to save the prepared train/test splits to.")
    ],
    problem_column: Annotated[
        str | None, typer.Option(help="Column with the problem text (default: problem or question).")
    ] = None,
    answer_column: Annotated[
        str | None, typer.Option(help="Column with the gold answer (default: answer, then solution).")
    ] = None,
    test_size: Annotated[
        str | None,
        typer.Option(
            help="Test split: a fraction in (0, 1), a row count, or 0 for none.", show_default=False
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the train/test split.", show_default=False)
    ] = None,
    max_rows: Annotated[
        int | None, typer.Option(help="Read at most this many rows per source split (0 = all).", min=0)
    ] = None,
    sft: Annotated[
        bool, typer.Option("--sft", help="SFT data (messages); automatic when rows have `conversations`.")
    ] = False,
    resplit: Annotated[
        bool, typer.Option("--resplit", help="Pool the source's own train/test splits and split them again.")
    ] = False,
    tokenizer: Annotated[
        str | None,
        typer.Option(
            help="Tokenizer (path or hub id) for data.max_prompt_tokens (default: the recipe's model).",
            show_default=False,
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a non-empty output folder.")
    ] = False,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
) -> None:
    """Prepare a dataset for `r1 train zero` (or SFT conversations with --sft) and save it to --output.

    SOURCE: a hub dataset id, a local .jsonl/.json/.parquet/.csv file or folder, or a built-in task:
    synthetic:addition, synthetic:chain (default: the recipe's data.dataset).

    Example: r1 data prepare ../shared/data/gsm8k/train.jsonl -o data/gsm8k
    """
    from rich.console import Console

    from r1cli.data import prepare as prepare_data
    from r1cli.data import save_prepared, summary_table
    from r1cli.data.split import parse_test_size
    from r1cli.data.store import check_output_dir
    from r1cli.plumbing.errors import R1Error
    from r1cli.recipe.overrides import split_positionals

    options = {
        "data.problem_column": problem_column,
        "data.answer_column": answer_column,
        "data.seed": seed,
        "data.max_rows": max_rows,
        "data.test_size": None
        if test_size is None
        else parse_test_size(test_size, f"--test-size {test_size}"),
    }
    # SOURCE is read from the extra arguments, not declared to Typer, which would take the value of a
    # leading override (`--data.seed 3`) for it.
    words, overrides = split_positionals(ctx.args)
    if len(words) > 1:
        raise R1Error(f"one SOURCE at a time, got {len(words)}: {' '.join(words)}")
    source = words[0] if words else None
    resolved = resolve_recipe(recipe, profile, overrides, stage="prepare", overrides=options)
    check_output_dir(output, overwrite)  # before any work: refusing after a long download is unkind
    data_cfg = resolved.section("data")
    tok = tokenizer
    if tok is None and not sft and int(data_cfg.get("max_prompt_tokens") or 0) > 0:
        from r1cli.models.loading import load_tokenizer

        tok = load_tokenizer(resolved.tree)
    dataset, summary = prepare_data(
        data_cfg, source, sft=True if sft else None, resplit=resplit, tokenizer=tok
    )
    path = save_prepared(dataset, summary, output, overwrite=overwrite, recipe=resolved)
    console = Console(stderr=True)
    console.print(summary_table(summary, str(path)))
    console.print(
        f"[bold green]saved[/]: {summary.rows['train']:,} train + {summary.rows['test']:,} test rows "
        f"({summary.mode} data) to {path}"
    )
    typer.echo(str(path))  # stdout: the one piece of data, for scripts
