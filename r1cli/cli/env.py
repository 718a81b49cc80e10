"""`r1 env`: versions, GPUs, CPU, RAM and the hub cache, to paste into a bug report.

r1 env                # plain text
r1 env --json         # for tools
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def env_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of plain text.")] = False,
) -> None:
    """Versions, GPUs, CPU, RAM and the hub cache: what to paste into a bug report.

    Python, r1, torch and its CUDA/ROCm build, transformers, trl, peft, accelerate, datasets, bitsandbytes,
    math-verify, vllm and flash-attn; each GPU with its memory and compute capability; CPU cores and RAM;
    the hub cache folder and the offline flags.

    Example: r1 env > env.txt
    """
    from r1cli.models.environment import environment_facts, render_facts

    facts = environment_facts()
    print(json.dumps(facts, indent=2) if as_json else render_facts(facts))
