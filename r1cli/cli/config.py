"""`r1 config show|validate`: the resolved recipe, where each value came from, and whether it fits."""

from __future__ import annotations

import typer

from r1cli.cli.options import OVERRIDES, OVERRIDES_HELP, ProfileOption, RecipeOption, resolve_recipe

app = typer.Typer(
    help="Show or validate a resolved recipe (defaults < recipe < profile < env < cli).", no_args_is_help=True
)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def show(ctx: typer.Context, recipe: RecipeOption = None, profile: ProfileOption = None) -> None:
    """Print the resolved recipe as TOML, each value commented with where it came from.

    Example: r1 config show --recipe l40s --profile dev
    """
    from r1cli.recipe.render import render_recipe

    resolved = resolve_recipe(recipe, profile, ctx.args)
    typer.echo(render_recipe(resolved), nl=False)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def validate(
    ctx: typer.Context,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
    stage: str = typer.Option(
        "zero", help="Stage whose checks to run: zero, sft, distill, generate, score or prepare."
    ),
) -> None:
    """Check the recipe for a stage; for a training stage, print a memory estimate against this machine.

    Example: r1 config validate --recipe l40s-qlora
    """
    from rich.console import Console
    from rich.table import Table

    from r1cli.models.memory import GIB, estimate_memory
    from r1cli.plumbing.errors import R1Error
    from r1cli.recipe.stages import trainer_section

    resolved = resolve_recipe(recipe, profile, ctx.args, stage=stage)
    console = Console()
    console.print(
        f"recipe OK for {resolved.stage}: {resolved.path or 'built-in defaults'}"
        + (f" (profile {profile})" if profile else "")
    )
    section = trainer_section(resolved.stage)
    if section is None:
        return
    try:
        estimate = estimate_memory(resolved, section)
    except R1Error as exc:
        console.print(f"memory estimate unavailable: {exc}")
        return
    table = Table(title=f"memory estimate for {resolved.stage}: {estimate.model}")
    table.add_column("component")
    table.add_column("GiB", justify="right")
    table.add_column("note")
    for name, size, note in estimate.rows:
        table.add_row(name, f"{size / GIB:.2f}", note)
    table.add_row(
        "total", f"{estimate.total / GIB:.2f}", f"{estimate.device}: {estimate.device_bytes / GIB:.1f} GiB"
    )
    console.print(table)
    verdict = (
        "fits"
        if estimate.fits
        else "does NOT fit (try lora.enabled, quantization.load_in_4bit, smaller batches)"
    )
    console.print(f"{estimate.total / GIB:.2f} GiB of {estimate.device_bytes / GIB:.1f} GiB: {verdict}")
