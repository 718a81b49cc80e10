"""The root of the `r1` CLI: every command group, at a glance.

Each group lives in its own module; heavy libraries (torch, transformers, trl) are imported inside
the commands so that `r1 --help` stays instant.
"""

from __future__ import annotations

from typing import Annotated

import typer

from r1cli import __version__
from r1cli.cli import (
    chat,
    coldstart,
    config,
    data,
    distill,
    evaluate,
    model,
    pipeline,
    report,
    reward,
    sample,
    train,
)
from r1cli.cli.errors import R1Group

app = typer.Typer(
    cls=R1Group,
    name="r1",
    help="Reproduce the DeepSeek-R1 training pipeline on small models, from one CLI and one recipe.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# In pipeline order: configure, build a model, prepare data, score, train, make SFT data from a model.
app.add_typer(config.app, name="config")
app.add_typer(model.app, name="model")
app.add_typer(data.app, name="data")
app.add_typer(reward.app, name="reward")
app.add_typer(train.app, name="train")
app.add_typer(coldstart.app, name="coldstart")
app.add_typer(sample.app, name="sample")
app.command(name="distill", **distill.COMMAND_SETTINGS)(distill.distill_command)
app.add_typer(pipeline.app, name="pipeline")
# Look at what came out: talk to a model, measure it, plots and a summary of training runs.
app.command(name="chat", **chat.COMMAND_SETTINGS)(chat.chat)
app.command(name="eval", **evaluate.COMMAND_SETTINGS)(evaluate.eval_command)
app.command(name="report")(report.report)


def _print_version(value: bool) -> None:
    if value:
        print(f"r1 {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Reproduce the DeepSeek-R1 training pipeline on small models, from one CLI and one recipe."""


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
