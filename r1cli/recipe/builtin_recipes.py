"""The recipes that ship inside the package (r1cli/recipe/builtin/), so a `pip install` has them too.

    r1 recipes list                          # name, what it is, model, GPU need
    r1 recipes show l40s                     # the TOML
    r1 recipes copy l40s my-l40s.toml        # a file to edit
    r1 train zero --recipe l40s              # a built-in name works wherever a recipe path does

A path wins over a built-in name where both exist (`--recipe l40s` with a file `./l40s` reads the file).
The top-level `recipes/` folder of a source checkout is a link to the same files, for README commands.
Launch configs for several GPUs are built in too, as `accelerate/NAME` (show and copy them).
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from r1cli.plumbing.errors import R1Error, did_you_mean

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
RECIPE_SUFFIX = ".toml"
LAUNCH_SUFFIX = ".yaml"
_GPU_PHRASE = re.compile(r"(\d+ GB(?: NVIDIA)? [A-Z][\w-]*)")


@dataclass(frozen=True)
class BuiltinRecipe:
    """One shipped file and what `r1 recipes list` says about it."""

    name: str  # "l40s", "accelerate/zero2"
    path: Path
    summary: str  # the file's first comment line
    model: str
    gpu: str


def _name_of(path: Path) -> str:
    return path.relative_to(BUILTIN_DIR).with_suffix("").as_posix()


def builtin_files() -> list[Path]:
    """The shipped recipes, then the shipped launch configs, each sorted by name."""
    return sorted(BUILTIN_DIR.glob(f"*{RECIPE_SUFFIX}")) + sorted(BUILTIN_DIR.glob(f"*/*{LAUNCH_SUFFIX}"))


def builtin_names() -> list[str]:
    return [_name_of(path) for path in builtin_files()]


def builtin_path(name: str, *, recipes_only: bool = False) -> Path | None:
    """The shipped file called `name` (with or without its .toml / .yaml suffix), or None.

    >>> builtin_path("l40s").name, builtin_path("l40s.toml").name, builtin_path("nope")
    ('l40s.toml', 'l40s.toml', None)
    """
    for path in builtin_files():
        if recipes_only and path.suffix != RECIPE_SUFFIX:
            continue
        if name in (_name_of(path), path.relative_to(BUILTIN_DIR).as_posix()):
            return path
    return None


def find_builtin(name: str) -> Path:
    """builtin_path, or a one-line R1Error naming the closest built-in and the list."""
    path = builtin_path(name)
    if path is None:
        names = builtin_names()
        raise R1Error(
            f"no built-in recipe '{name}'",
            hint=did_you_mean(name, names) or f"built-in: {', '.join(names)} (r1 recipes list)",
        )
    return path


def recipe_file(path_or_name: str | Path) -> Path:
    """What `--recipe X` reads: the path X where it exists, else the built-in recipe named X, else X
    itself (left for the reader to refuse as not found)."""
    path = Path(path_or_name).expanduser()
    if path.exists():
        return path
    return builtin_path(str(path_or_name), recipes_only=True) or path


def _first_comment(text: str) -> str:
    """The first comment line, as the file's one-line summary.

    >>> _first_comment("# One GPU, no distribution.\\n# more\\nkey: 1\\n")
    'One GPU, no distribution'
    """
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip().rstrip(".:")
    return ""


def gpu_need(text: str, model: str, load_in_4bit: bool = False) -> str:
    """What a recipe needs to run, from its model and the GPU its header names.

    >>> gpu_need("# GRPO on one 48 GB NVIDIA L40S (Ada)", "Qwen/Qwen2.5-0.5B-Instruct")
    '1x 48 GB NVIDIA L40S'
    >>> gpu_need("", "r1-tiny")
    'none (CPU)'
    """
    if model == "r1-tiny":
        return "none (CPU)"
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    found = _GPU_PHRASE.search(header)
    need = f"1x {found.group(1)}" if found else "a GPU"
    return need + (", 4-bit" if load_in_4bit else "")


def describe(path: Path) -> BuiltinRecipe:
    text = path.read_text(encoding="utf-8")
    if path.suffix == LAUNCH_SUFFIX:
        processes = re.search(r"^num_processes:\s*(\d+)", text, re.MULTILINE)
        count = int(processes.group(1)) if processes else 1
        gpus = f"{count} GPU{'s' if count > 1 else ''} (num_processes)"
        return BuiltinRecipe(_name_of(path), path, _first_comment(text), "(accelerate launch config)", gpus)
    table = tomllib.loads(text)
    model = str(table.get("model", {}).get("name_or_path", "r1-tiny"))
    four_bit = bool(table.get("quantization", {}).get("load_in_4bit", False))
    return BuiltinRecipe(_name_of(path), path, _first_comment(text), model, gpu_need(text, model, four_bit))


def builtin_recipes() -> list[BuiltinRecipe]:
    return [describe(path) for path in builtin_files()]


def copy_builtin(name: str, dest: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Copy a built-in recipe to `dest` (a file, or a folder to put it in; default: the current folder)."""
    source = find_builtin(name)
    target = Path(dest).expanduser() if dest is not None else Path(source.name)
    if target.is_dir():
        target = target / source.name
    if target.exists() and not overwrite:
        raise R1Error(f"{target} already exists", hint="pass --overwrite to replace it, or give another DEST")
    if not target.parent.is_dir():
        raise R1Error(f"folder {target.parent} does not exist", hint="create it first, or give another DEST")
    shutil.copyfile(source, target)
    return target
