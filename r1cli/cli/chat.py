"""`r1 chat`: talk to a model (a stage's output folder, r1-tiny, or a hub id) in the terminal.

    r1 chat runs/tiny-zero                         # interactive: streaming, /help for commands
    r1 chat runs/tiny-zero -p "What is 2 + 3?"     # one question: the answer alone on stdout
    echo "What is 2 + 3?" | r1 chat r1-tiny -p - --full

Uses the model's chat template and, unless --system or --no-system, the system prompt the model was
trained with (what its folder recorded), else the recipe's data.system_prompt; sampling defaults come
from the recipe's [generation] section.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from r1cli.cli.options import OVERRIDES, OVERRIDES_HELP, RecipeOption, resolve_recipe
from r1cli.plumbing.errors import R1Error

# Registered by cli/main.py with these settings: recipe overrides (--generation.top_p 0.9) are extra arguments.
COMMAND_SETTINGS = {
    "context_settings": OVERRIDES,
    "epilog": OVERRIDES_HELP,
    "options_metavar": "MODEL [OPTIONS]",
}


def chat(
    ctx: typer.Context,
    prompt: Annotated[
        str | None,
        typer.Option(
            "--prompt",
            "-p",
            help="Ask one question and print the answer on stdout ('-' reads stdin).",
            show_default=False,
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="With -p: print the whole completion, reasoning included.")
    ] = False,
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            help="System prompt (default: the one the model was trained with, else data.system_prompt).",
            show_default=False,
        ),
    ] = None,
    no_system: Annotated[
        bool,
        typer.Option("--no-system", help="Send no system turn (a template's own default still applies)."),
    ] = False,
    temperature: Annotated[
        float | None,
        typer.Option(
            "--temperature", min=0, help="0 = greedy (default: generation.temperature).", show_default=False
        ),
    ] = None,
    top_p: Annotated[
        float | None,
        typer.Option(
            "--top-p", min=0, max=1, help="Nucleus sampling (default: generation.top_p).", show_default=False
        ),
    ] = None,
    max_new_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-new-tokens", min=1, help="Default: generation.max_new_tokens.", show_default=False
        ),
    ] = None,
    hide_think: Annotated[
        bool, typer.Option("--hide-think", help="Start with the reasoning hidden (/think on shows it).")
    ] = False,
    recipe: RecipeOption = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", help="Profile from the recipe's \\[profiles] to apply.", show_default=False
        ),
    ] = None,
) -> None:
    """Chat with a model: streamed tokens, reasoning dimmed, answer highlighted; or one question with -p.

    MODEL: a stage's output folder (full model or LoRA adapter), r1-tiny, or a hub id.

    Example: r1 chat runs/sft2 -p "What is 47 + 85?"
    """
    from rich.console import Console

    from r1cli.chat import ChatSession, ChatSettings, ask, run_repl
    from r1cli.models.folders import locate_model, open_model_for_recipe
    from r1cli.models.loading import model_settings
    from r1cli.recipe.overrides import split_positionals
    from r1cli.train.callbacks import quiet_libraries

    # MODEL is read from the extra arguments, not declared to Typer, which would take the value of a
    # leading override (`--generation.top_p 0.9`) for it.
    words, overrides = split_positionals(ctx.args)
    if len(words) != 1:
        raise R1Error(
            f"r1 chat takes one MODEL, got {len(words)}" + (f": {' '.join(words)}" if words else ""),
            hint="a stage's output folder, r1-tiny, or a hub id",
        )
    model = words[0]
    if system is not None and no_system:
        raise R1Error("--system and --no-system contradict each other")
    sampling = {
        "generation.temperature": temperature,
        "generation.top_p": top_p,
        "generation.max_new_tokens": max_new_tokens,
    }
    resolved = resolve_recipe(recipe, profile, overrides, stage="generate", overrides=sampling, model=model)
    generation = resolved.section("generation")
    settings = ChatSettings(
        system_prompt=""
        if no_system
        else (system if system is not None else resolved.get("data.system_prompt") or ""),
        temperature=float(generation["temperature"]),
        top_p=float(generation["top_p"]),
        max_new_tokens=int(generation["max_new_tokens"]),
        show_think=not hide_think,
    )
    question = _question(prompt)
    quiet_libraries()  # no "Loading weights" bar, no library deprecation noise: -p output stays clean
    loading = model_settings(resolved)
    locate_model(model, loading["tiny"])  # a bad MODEL fails here, in one line, before any loading
    model_obj, tokenizer = open_model_for_recipe(loading, model)
    session = ChatSession(model_obj, tokenizer, settings)
    if question is not None:
        print(ask(session, question, full=full))
        return
    run_repl(session, Console(highlight=False))


def _question(prompt: str | None) -> str | None:
    if prompt is None:
        return None
    text = sys.stdin.read() if prompt == "-" else prompt
    if not text.strip():
        raise R1Error("the question is empty" + (" (nothing on stdin)" if prompt == "-" else ""))
    return text.strip()
