"""`r1 model`: build the tiny offline model, inspect a model directory.

r1 model tiny runs/tiny                       # ~0.7M-parameter Qwen2 + tokenizer, no download, seconds
r1 model tiny runs/tiny --hidden-size 64 --layers 2
r1 model info runs/tiny                       # parameters, dtype, vocab, chat template, tag tokens
r1 model merge runs/lora -o runs/lora-merged  # a LoRA/QLoRA adapter folded into its base, standalone
r1 model import model.gguf -o models/mine     # a GGUF file (llama.cpp, Ollama) as a normal model folder
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from r1cli.cli.options import OVERRIDES, OVERRIDES_HELP, ProfileOption, RecipeOption, resolve_recipe

app = typer.Typer(
    help="Build the tiny offline model; import a GGUF file; inspect a model directory; merge a LoRA adapter.",
    no_args_is_help=True,
)


def _size(help_text: str):
    return typer.Option(help=f"{help_text} (default: the recipe's \\[tiny]).", show_default=False, min=1)


@app.command(context_settings=OVERRIDES, epilog=OVERRIDES_HELP)
def tiny(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the model and tokenizer to.")],
    hidden_size: Annotated[int | None, _size("Hidden size")] = None,
    layers: Annotated[int | None, _size("Number of layers")] = None,
    heads: Annotated[int | None, _size("Attention heads")] = None,
    kv_heads: Annotated[int | None, _size("Key/value heads")] = None,
    intermediate_size: Annotated[int | None, _size("MLP intermediate size")] = None,
    seed: Annotated[int | None, typer.Option(help="Initialisation seed.", show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty OUT_DIR.")] = False,
    recipe: RecipeOption = None,
    profile: ProfileOption = None,
) -> None:
    """Build the r1-tiny model (Qwen2 architecture, ChatML template, tags as tokens) into OUT_DIR, offline.

    Example: r1 model tiny runs/tiny --hidden-size 64 --layers 2
    """
    from r1cli.models.tiny import build_tiny_model

    options = {
        "tiny.hidden_size": hidden_size,
        "tiny.num_hidden_layers": layers,
        "tiny.num_attention_heads": heads,
        "tiny.num_key_value_heads": kv_heads,
        "tiny.intermediate_size": intermediate_size,
        "tiny.seed": seed,
    }
    resolved = resolve_recipe(recipe, profile, ctx.args, overrides=options)
    start = time.perf_counter()
    path = build_tiny_model(out_dir, resolved.section("tiny"), overwrite=overwrite)
    seconds = time.perf_counter() - start
    config = json.loads((path / "config.json").read_text())
    print(
        f"r1: built r1-tiny ({config['num_hidden_layers']} layers, hidden {config['hidden_size']}, "
        f"vocab {config['vocab_size']}) in {seconds:.1f} s",
        file=sys.stderr,
    )
    print(path)


@app.command()
def info(
    model_dir: Annotated[
        str, typer.Argument(help="A model directory (full model or LoRA adapter), or r1-tiny.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Parameters, dtype, vocabulary, chat template, whether the R1 tags are single tokens, and the system
    prompt the model was trained with (what r1 prompts it with by default).

    Example: r1 model info runs/sft
    """
    from r1cli.models.folders import model_info
    from r1cli.models.prompting import recorded_recipe_values

    facts = model_info(model_dir)
    recorded, _origin = recorded_recipe_values(model_dir)
    facts["trained_system_prompt"] = recorded.get("data.system_prompt", "(not recorded: not trained by r1)")
    if as_json:
        print(json.dumps(facts, indent=2))
        return
    width = max(len(key) for key in facts)
    for key, value in facts.items():
        shown = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
        print(f"{key:<{width}}  {shown}")


@app.command()
def merge(
    adapter_dir: Annotated[str, typer.Argument(help="A LoRA or QLoRA adapter folder a training run saved.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the merged model to.", show_default=False)
    ],
    overwrite: Annotated[bool, typer.Option(help="Replace an earlier merge in OUTPUT.")] = False,
) -> None:
    """Merge a LoRA or QLoRA adapter into its base: a standalone safetensors model in the base dtype, with
    the tokenizer, chat template and the system prompt it was trained with; prints the folder.

    Example: r1 model merge runs/lora-zero -o runs/lora-zero-merged
    """
    from r1cli.models.merge import merge_adapter
    from r1cli.train.callbacks import quiet_libraries

    quiet_libraries()
    start = time.perf_counter()
    result = merge_adapter(adapter_dir, output, overwrite=overwrite)
    base = (
        f"{result.base} (trained 4-bit: merged into its {result.dtype} weights)"
        if result.quantized_base
        else result.base
    )
    print(
        f"r1: merged {adapter_dir} into {base}, {result.dtype}, in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    print(result.output_dir)


@app.command(name="import")
def import_(
    gguf_file: Annotated[Path, typer.Argument(help="A .gguf file (llama.cpp, Ollama).", show_default=False)],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the model to.", show_default=False)
    ],
    dtype: Annotated[str, typer.Option(help="Weights dtype: float32, bfloat16 or float16.")] = "float32",
    overwrite: Annotated[bool, typer.Option(help="Replace an earlier import in OUTPUT.")] = False,
) -> None:
    """Import a GGUF file as a normal model folder (safetensors, tokenizer, chat template, generation config,
    model card) that every r1 command takes; needs `pip install 'r1cli\\[gguf]'`; prints the folder.

    Example: r1 model import SmolLM2-135M-Instruct.Q4_1.gguf -o models/smollm2
    """
    from r1cli.models.gguf import import_gguf
    from r1cli.train.callbacks import quiet_libraries

    quiet_libraries()
    start = time.perf_counter()
    result = import_gguf(gguf_file, output, dtype=dtype, overwrite=overwrite)
    print(
        f"r1: imported {gguf_file.name} ({result.architecture}, {result.parameters:,} parameters, "
        f"{result.dtype}) in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    print(result.output_dir)
