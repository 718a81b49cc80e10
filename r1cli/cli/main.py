"""The root of the `r1` CLI: every command group, at a glance.

Each group lives in its own module; heavy libraries (torch, transformers, trl) are imported inside
the commands so that `r1 --help` stays instant.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from r1cli import __version__
from r1cli.cli import (
    chat,
    coldstart,
    config,
    data,
    distill,
    env,
    evaluate,
    model,
    pipeline,
    recipes,
    report,
    reward,
    sample,
    train,
)
from r1cli.cli.errors import R1Group

# `r1 --help` lists the commands in the order the pipeline runs them (typer would list the single
# commands before the groups); a test checks that every command has its place here.
PIPELINE_ORDER = (
    "env",
    "recipes",
    "config",
    "model",
    "data",
    "reward",
    "train",
    "coldstart",
    "sample",
    "distill",
    "eval",
    "chat",
    "report",
    "pipeline",
)


class RootGroup(R1Group):
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: PIPELINE_ORDER.index(name) if name in PIPELINE_ORDER else 99)


app = typer.Typer(
    cls=RootGroup,
    name="r1",
    help="Reproduce the DeepSeek-R1 training pipeline on small models, from one CLI and one recipe.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# Set up: the machine, the shipped recipes, the resolved recipe, a model, the data.
app.command(name="env")(env.env_command)
app.add_typer(recipes.app, name="recipes")
app.add_typer(config.app, name="config")
app.add_typer(model.app, name="model")
app.add_typer(data.app, name="data")
# Train: the rewards, R1-Zero GRPO and SFT, SFT data made by a model, distillation into a smaller one.
app.add_typer(reward.app, name="reward")
app.add_typer(train.app, name="train")
app.add_typer(coldstart.app, name="coldstart")
app.add_typer(sample.app, name="sample")
app.command(name="distill", **distill.COMMAND_SETTINGS)(distill.distill_command)
# Look at what came out: measure a model, talk to it, plots and a summary of training runs.
app.command(name="eval", **evaluate.COMMAND_SETTINGS)(evaluate.eval_command)
app.command(name="chat", **chat.COMMAND_SETTINGS)(chat.chat)
app.command(name="report")(report.report)
# Every stage above, end to end.
app.add_typer(pipeline.app, name="pipeline")


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
