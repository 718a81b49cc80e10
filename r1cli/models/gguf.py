"""`r1 model import`: a GGUF file (llama.cpp, Ollama) made into a normal model folder every r1 command takes.

    import_gguf("SmolLM2-135M-Instruct.Q4_1.gguf", "models/smollm2")

transformers' own GGUF reader does the work (it needs the `gguf` package: `pip install 'r1cli[gguf]'`):
it dequantizes the weights and rebuilds the tokenizer and chat template from the file's metadata. The
model it returns refuses `save_pretrained` (its config keeps a GGUF quantization section), so the
weights go into the same architecture built afresh from the config without that section, and the folder
is written as safetensors in the asked dtype with the tokenizer, the chat template, a generation config
and a model card line naming the file and its sha256.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text, file_sha256
from r1cli.plumbing.rundir import OutputKind, claim_output_dir, staged_dir

IMPORT_RECORD = "r1_imported.json"
IMPORTED = OutputKind(
    "r1 model import", "an earlier imported model", (IMPORT_RECORD,), replaceable=True, option="--output"
)
DTYPES = ("float32", "bfloat16", "float16")
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ImportResult:
    output_dir: Path
    architecture: str
    parameters: int
    dtype: str
    sha256: str


def check_gguf_file(path: Path) -> None:
    """One line for a path that is missing, a folder, or not a GGUF file (its first four bytes say so)."""
    if not path.exists():
        raise R1Error(f"file not found: {path}", hint="pass the path of a .gguf file")
    if path.is_dir():
        raise R1Error(f"{path} is a folder, not a GGUF file", hint="pass the .gguf file inside it")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise R1Error(
            f"{path} is not a GGUF file (it starts with {magic!r}, not {GGUF_MAGIC!r})",
            hint="a model folder (safetensors) needs no import: pass it as the model directly",
        )


def gguf_architecture(path: Path) -> str:
    """The file's architecture, refused in one line where transformers cannot read it (metadata only)."""
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES, load_gguf_checkpoint

    try:
        parsed = load_gguf_checkpoint(str(path), return_tensors=False)
    except ValueError as exc:
        if "not supported" not in str(exc):
            raise R1Error(f"cannot read {path}: {exc}") from None
        readable = ", ".join(a for a in GGUF_SUPPORTED_ARCHITECTURES if a not in ("general", "tokenizer"))
        raise R1Error(
            f"{path}: {str(exc).strip()} (transformers reads GGUF files of: {readable})",
            hint="convert the original model with its own tools, or load it from the hub",
        ) from None
    return str(parsed["config"].get("model_type", "unknown"))


def import_gguf(
    gguf_file: str | Path, output_dir: str | Path, *, dtype: str = "float32", overwrite: bool = False
) -> ImportResult:
    """Read `gguf_file` with transformers and write a safetensors model folder to `output_dir`.

    Refused before anything loads: a missing or non-GGUF file, a missing `gguf` package, an unknown
    dtype, an output folder that is not empty and not an earlier import (never anyone's files).
    """
    path = Path(gguf_file).expanduser()
    check_gguf_file(path)
    if dtype not in DTYPES:
        raise R1Error(f"--dtype {dtype}: not a choice", hint=f"choose one of: {', '.join(DTYPES)}")
    for package in ("gguf", "accelerate"):
        if importlib.util.find_spec(package) is None:
            raise R1Error(
                f"reading a GGUF file needs the '{package}' package (not installed)",
                hint="pip install 'r1cli[gguf]'",
            )
    claim = claim_output_dir(output_dir, IMPORTED, overwrite=overwrite)
    architecture = gguf_architecture(path)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    folder, name = str(path.parent), path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the GGUF section that makes save_pretrained refuse
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    if unexpected or [key for key in missing if key not in _tied_keys(model)]:
        raise R1Error(f"{path}: the weights transformers read do not fit its {architecture} architecture")
    model.tie_weights()
    del loaded
    model = model.to(getattr(torch, dtype))
    model.generation_config = _generation_config(GenerationConfig, tokenizer)
    sha = file_sha256(path)
    with staged_dir(claim.path) as staging:
        model.save_pretrained(str(staging), safe_serialization=True)
        tokenizer.save_pretrained(str(staging))
        facts = {"gguf": str(path.resolve()), "sha256": sha, "architecture": architecture, "dtype": dtype}
        atomic_write_text(staging / IMPORT_RECORD, json.dumps(facts, indent=2) + "\n")
        atomic_write_text(staging / "README.md", _model_card(path, sha, architecture, dtype))
    return ImportResult(claim.path, architecture, sum(p.numel() for p in model.parameters()), dtype, sha)


def _tied_keys(model) -> set[str]:
    """Keys a tied model does not store twice (the output layer shares the embedding)."""
    tied = getattr(model, "_tied_weights_keys", None) or []
    return set(tied if isinstance(tied, list | tuple | set) else tied.keys())


def _generation_config(generation_config_class, tokenizer):
    """End of turn and padding from the tokenizer (the GGUF's own), sampling left to whoever generates."""
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    bos = tokenizer.bos_token_id
    return generation_config_class(bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)


def _model_card(path: Path, sha: str, architecture: str, dtype: str) -> str:
    return (
        f"# {path.stem}\n\n"
        f"Imported by `r1 model import` from the GGUF file `{path.name}` (sha256 {sha}): "
        f"{architecture} architecture, weights dequantized by transformers and stored as {dtype} safetensors.\n"
    )
