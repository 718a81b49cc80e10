"""`r1 config`: show and validate a resolved recipe."""

from __future__ import annotations

import typer

app = typer.Typer(help="Show or validate a resolved recipe (defaults < recipe < profile < env < cli).")
