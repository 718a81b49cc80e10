"""Where a stage writes: a fresh output, our own earlier output resumed or replaced, never anyone's files.

    kind = OutputKind("r1 train zero", "a training run", ("recipe.toml", "checkpoint-*"), resumable=True)
    claim = claim_output_dir(path, kind, resume=resume)          # a folder: training, data prepare, tiny
    claim = claim_output_file(path, settings, "r1 sample", resume=resume, overwrite=overwrite)  # a JSONL file

The rules, the same for every stage:
- an absent (or empty) output is fresh;
- a non-empty folder without the stage's own files, or a file without r1's settings file next to it
  (`OUT.jsonl.r1.json`), is someone else's: refused, even with --overwrite;
- our own earlier output is refused unless the stage is told to continue it (--resume) or, where it can,
  to replace it (--overwrite);
- a resumed run must be the same run: the settings that decide what it produces are compared with the
  ones it started with (`recipe.toml` for a folder, the settings file for a JSONL file), and a changed
  one is refused by name. Where it writes, how often it saves or logs, and what r1 fitted to the machine
  may change.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text
from r1cli.plumbing.jsonl import check_output_path

FRESH, RESUME, OVERWRITE = "fresh", "resume", "overwrite"
RESUME_DIFFERS = "--resume with a recipe that differs from the run's"
RECIPE_FILE = "recipe.toml"
# Run folders that hold a model below them, which stand for that model (r1cli.models.folders.final_model_in):
# `r1 pipeline run` records its stages in PIPELINE_SUMMARY, `r1 distill` trains its student in DISTILL_STUDENT.
PIPELINE_SUMMARY = "summary.json"
DISTILL_STUDENT = "student"
SETTINGS_SUFFIX = ".r1.json"


@dataclass(frozen=True)
class OutputKind:
    """What a stage's output folder is: who makes it, what it holds, the files that mark it as ours."""

    command: str  # "r1 data prepare"
    holds: str  # "an earlier prepared dataset": completes "already holds ..."
    markers: tuple[str, ...]  # file names or glob patterns, any one of which marks our own output
    resumable: bool = False  # --resume continues it
    replaceable: bool = False  # --overwrite replaces it
    option: str = "--output"  # how the user names another output

    def is_ours(self, path: Path) -> bool:
        return any(any(path.glob(marker)) for marker in self.markers)


@dataclass(frozen=True)
class Claim:
    """An output the stage may write: `mode` is FRESH, RESUME or OVERWRITE."""

    path: Path
    mode: str

    @property
    def fresh(self) -> bool:
        return self.mode == FRESH

    @property
    def resume(self) -> bool:
        return self.mode == RESUME

    @property
    def overwrite(self) -> bool:
        return self.mode == OVERWRITE


def _flags_hint(resumable: bool, replaceable: bool, option: str) -> str:
    ways = (["continue it with --resume"] if resumable else []) + (
        ["pass --overwrite to replace it"] if replaceable else []
    )
    return ", ".join(ways) + f", or pick another {option}" if ways else f"pick another {option}"


def claim_output_dir(
    path: str | Path, kind: OutputKind, *, resume: bool = False, overwrite: bool = False
) -> Claim:
    """Whether `path` may be written by this stage, and how (fresh, resumed, replaced); R1Error if not.

    Checks only: nothing is created or removed (`staged_dir` replaces a folder safely).
    """
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise R1Error(f"output {out} is a file, not a folder", hint=f"choose another {kind.option}")
    empty = not out.exists() or not any(out.iterdir())
    ours = not empty and kind.is_ours(out)
    if resume:
        if not kind.resumable:
            raise R1Error(f"{kind.command} cannot continue an earlier output", hint="run without --resume")
        if not ours:
            raise R1Error(f"nothing to resume in {out}: no r1 run there", hint="run without --resume")
        return Claim(out, RESUME)
    if empty:
        return Claim(out, FRESH)
    if not ours:
        raise R1Error(
            f"{out} is not empty and is not an earlier `{kind.command}` output",
            hint=f"pick a new or empty {kind.option}",
        )
    if overwrite and kind.replaceable:
        return Claim(out, OVERWRITE)
    raise R1Error(
        f"{out} already holds {kind.holds}", hint=_flags_hint(kind.resumable, kind.replaceable, kind.option)
    )


@contextmanager
def staged_dir(out: Path) -> Iterator[Path]:
    """A temporary folder next to `out` to write into; swapped in for `out` only once complete.

    On failure the temporary folder is removed and an existing `out` is left as it was; on success the
    old `out` is renamed aside, the new one renamed in, and only then the old one deleted.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = out.with_name(f".{out.name}.tmp-{tag}")
    try:
        tmp.mkdir()
        yield tmp
        if out.exists():
            old = out.with_name(f".{out.name}.old-{tag}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# A JSONL output (generation stages): the file, and its settings file next to it.


def settings_path(output: Path) -> Path:
    """The settings file next to a JSONL output: `OUT.jsonl` -> `OUT.jsonl.r1.json`."""
    return output.with_name(output.name + SETTINGS_SUFFIX)


def claim_output_file(
    path: str | Path,
    settings: Mapping[str, Any],
    command: str,
    *,
    resume: bool = False,
    overwrite: bool = False,
    option: str = "--output",
) -> Claim:
    """Whether a JSONL output may be written, and how; then records `settings` next to it.

    `settings` are what decides the rows (model, prompts, sampling...): a resumed file must have been
    written with the same ones. On OVERWRITE the caller starts the file over; on RESUME it appends.
    """
    out = Path(path).expanduser()
    if out.parent.exists():  # else it is created below
        check_output_path(out)
    sidecar = settings_path(out)
    current = json.loads(json.dumps(dict(settings)))  # as they read back: tuples become lists
    has_rows = out.exists() and out.stat().st_size > 0
    ours = sidecar.is_file()
    if has_rows and not ours:
        raise R1Error(
            f"{out} is not empty and is not an earlier `{command}` output (no {sidecar.name} next to it)",
            hint=f"pick a new {option}",
        )
    if resume:
        if not ours:
            raise R1Error(
                f"nothing to resume: {out} was not written by `{command}`", hint="run without --resume"
            )
        saved = _read_settings(sidecar)
        if saved.get("command") != command:
            raise R1Error(
                f"{out} was written by `{saved.get('command')}`, not `{command}`",
                hint=f"pick another {option}",
            )
        # A generating stage continues its file on a plain rerun: no --resume, no --recipe to leave out.
        check_same_settings(
            saved.get("settings") or {},
            current,
            out,
            message=f"{out} was written with other settings; what differs",
            hint=f"pass --overwrite to start over, or pick another {option}",
        )
        return Claim(out, RESUME)
    if has_rows and not overwrite:
        raise R1Error(
            f"{out} already holds rows of an earlier `{command}` run",
            hint=_flags_hint(True, True, option),
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(sidecar, json.dumps({"command": command, "settings": current}, indent=2) + "\n")
    return Claim(out, OVERWRITE if has_rows else FRESH)


def _read_settings(sidecar: Path) -> dict[str, Any]:
    try:
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise R1Error(f"cannot read {sidecar}: {exc}", hint="pass --overwrite to start over") from None
    if not isinstance(saved, dict):
        raise R1Error(f"{sidecar} is not an r1 settings file", hint="pass --overwrite to start over")
    return saved


# The settings that matter, and the check that a continued run keeps them.


def lookup(saved: Mapping[str, Any], key: str) -> Any:
    """A flat key's value in a flat or nested mapping (None where absent)."""
    if key in saved:
        return saved[key]
    node: Any = saved
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def check_same_settings(
    saved: Mapping[str, Any],
    current: Mapping[str, Any],
    where: Path,
    *,
    message: str | None = None,
    hint: str | None = None,
) -> None:
    """Refuse to continue `where` with settings that differ from the ones it was started with.

    `message` (ending before the list of changes) and `hint` replace the --resume wording of run folders.
    """
    changed = [
        f"{key} ({lookup(saved, key)!r} -> {value!r})"
        for key, value in current.items()
        if lookup(saved, key) != value
    ]
    if changed:
        shown = ", ".join(changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
        raise R1Error(
            f"{message or RESUME_DIFFERS}: {shown}",
            hint=hint
            or f"resume {where} with its own recipe (the default: leave out --recipe), or start a new run",
        )
