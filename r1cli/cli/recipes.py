"""`r1 recipes list|show|copy`: the recipes that ship with r1, to read, run by name, or copy and edit.

r1 recipes list                        # name, what it is, model, GPU need
r1 recipes show l40s                   # the TOML, as `--recipe l40s` reads it
r1 recipes copy l40s my.toml           # a file to edit, then: r1 train zero --recipe my.toml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="The built-in recipes: list them, show one, copy one to edit (--recipe NAME runs one as is).",
    no_args_is_help=True,
)

NameArgument = Annotated[
    str, typer.Argument(help="A built-in recipe (see `r1 recipes list`), e.g. l40s or accelerate/zero2.")
]


@app.command(name="list")
def list_recipes() -> None:
    """Every built-in recipe and launch config: name, one line, model, GPU need (tab-separated on stdout).

    Example: r1 recipes list
    """
    from r1cli.recipe.builtin_recipes import builtin_recipes

    rows = [(r.name, r.model, r.gpu, r.summary) for r in builtin_recipes()]
    header = ("name", "model", "gpu", "what")
    if not sys.stdout.isatty():  # for tools: one tab-separated row each
        for row in [header, *rows]:
            print("\t".join(row))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*header, caption="run one: r1 train zero --recipe NAME; edit one: r1 recipes copy NAME")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command()
def show(name: NameArgument) -> None:
    """Print a built-in recipe (its TOML, or a launch config's YAML).

    Example: r1 recipes show l40s-qlora
    """
    from r1cli.recipe.builtin_recipes import find_builtin

    sys.stdout.write(find_builtin(name).read_text(encoding="utf-8"))


@app.command()
def copy(
    name: NameArgument,
    dest: Annotated[
        Path | None,
        typer.Argument(
            help="File or folder to copy to (default: NAME.toml in the current folder).", show_default=False
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing DEST file.")] = False,
) -> None:
    """Copy a built-in recipe to a file you can edit; prints the file's path.

    Example: r1 recipes copy l40s my-l40s.toml
    """
    from r1cli.recipe.builtin_recipes import copy_builtin

    target = copy_builtin(name, dest, overwrite=overwrite)
    print(f"r1: copied the built-in recipe {name} to {target}", file=sys.stderr)
    print(target)
