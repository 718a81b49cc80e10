"""`r1 model merge`: a LoRA or QLoRA adapter folded into its base, saved as a standalone model.

    merge_adapter("runs/lora-zero", "runs/lora-zero-merged")

The base is loaded in the dtype it is stored in (a QLoRA run's 4-bit base is not quantized here: the
adapter is added to the base's own full-precision weights, so the result is an ordinary model in the
base dtype), the adapter merged into it, and the folder written as safetensors with the tokenizer, its
chat template and the system prompt the adapter was trained with (`r1_prompt.json`), so `r1 chat` and
`r1 eval` ask the merged model exactly as they ask the adapter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1cli.models.folders import adapter_base, locate_model, stored_dtype
from r1cli.models.prompting import record_prompt, recorded_prompt
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text
from r1cli.plumbing.rundir import OutputKind, claim_output_dir, staged_dir
from r1cli.recipe.saved import saved_recipe

MERGE_RECORD = "r1_merged.json"
MERGED = OutputKind("r1 model merge", "an earlier merged model", (MERGE_RECORD,), replaceable=True)
_LOADABLE_DTYPES = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class MergeResult:
    output_dir: Path
    base: str
    dtype: str
    quantized_base: bool  # the adapter was trained on a 4-bit base (QLoRA)


def _run_recipe(adapter_dir: Path) -> dict[str, Any]:
    """The recipe the adapter was trained with (its folder's, or its run's for a checkpoint), or {}."""
    for folder in (adapter_dir, adapter_dir.parent):
        found = saved_recipe(folder)
        if found is not None:
            return found
    return {}


def merge_adapter(adapter: str | Path, output_dir: str | Path, *, overwrite: bool = False) -> MergeResult:
    """Merge the LoRA adapter in `adapter` into its base and write the standalone model to `output_dir`.

    Refused before anything loads: a folder that is not an adapter, and an output that is not empty and
    not an earlier merge (never anyone's files, even with `overwrite`).
    """
    trained_with = _run_recipe(Path(adapter))
    tiny_cfg = trained_with.get("tiny")
    kind, _source, path = locate_model(adapter, tiny_cfg)
    if kind != "adapter" or path is None:
        what = "a full model" if kind == "full" else "a hub id"
        raise R1Error(
            f"'{adapter}' is {what}, not a LoRA adapter: nothing to merge",
            hint="pass the folder a LoRA run saved (adapter_config.json + adapter_model.safetensors)",
        )
    claim = claim_output_dir(output_dir, MERGED, overwrite=overwrite)
    if claim.path.resolve() == path.resolve():
        raise R1Error("the output folder is the adapter's own folder", hint="pick another --output")
    base, _revision = adapter_base(path, tiny_cfg)
    dtype = stored_dtype(Path(base)) if Path(base).is_dir() else "auto"
    dtype = dtype if dtype in _LOADABLE_DTYPES else "auto"
    quantized = bool(trained_with.get("quantization", {}).get("load_in_4bit"))
    model_cfg = trained_with.get("model", {})

    from r1cli.models.folders import open_model

    model, tokenizer = open_model(
        path,
        dtype=dtype,
        trust_remote_code=bool(model_cfg.get("trust_remote_code", False)),
        tiny_cfg=tiny_cfg,
        padding_side=None,
        merge_adapter=True,
    )
    record = recorded_prompt(path)
    with staged_dir(claim.path) as staging:
        model.save_pretrained(str(staging), safe_serialization=True)
        if record is not None and isinstance(record[0].get("system_prompt"), str):
            # the template's default system turn and r1_prompt.json, as the training run wrote them
            record_prompt(staging, tokenizer, record[0]["system_prompt"])
        tokenizer.save_pretrained(str(staging))
        facts = {"adapter": str(path), "base": base, "dtype": str(model.dtype).removeprefix("torch.")}
        atomic_write_text(
            staging / MERGE_RECORD, json.dumps({**facts, "quantized_base": quantized}, indent=2) + "\n"
        )
    return MergeResult(claim.path, base, facts["dtype"], quantized)
