"""Command-line overrides: `--grpo.learning_rate 1e-4`, `--grpo.learning_rate=1e-4`,
`--rewards.functions [accuracy,format]` (also `[accuracy, format]` over several arguments),
booleans `true`/`false`, and the seed's flat legacy flags with a one-line deprecation note.
"""

from __future__ import annotations

from dataclasses import dataclass

from r1cli.plumbing.errors import R1Error

# The seed's flat flags (its train_grpo.py) and where they live now. `{stage}` is the trainer
# section of the command (grpo for `train zero`; sft for SFT stages).
LEGACY_FLAGS: dict[str, str] = {
    "model_name": "model.name_or_path",
    "model_name_or_path": "model.name_or_path",
    "learning_rate": "{stage}.learning_rate",
    "per_device_train_batch_size": "{stage}.per_device_train_batch_size",
    "gradient_accumulation_steps": "{stage}.gradient_accumulation_steps",
    "max_completion_length": "grpo.max_completion_length",
    "generation_batch_size": "grpo.generation_batch_size",
    "dataloader_num_workers": "{stage}.dataloader_num_workers",
    "num_train_epochs": "{stage}.num_train_epochs",
    "max_steps": "{stage}.max_steps",
    "reward_funcs": "rewards.functions",
}
# Legacy flags that take no value: flag -> (dotted key, value).
LEGACY_SWITCHES: dict[str, tuple[str, str]] = {
    "no_wandb": ("{stage}.report_to", "none"),
}
# Keys the seed's config documents under other names.
KEY_ALIASES: dict[str, str] = {
    "model.name": "model.name_or_path",
}


@dataclass(frozen=True)
class Override:
    """One `key = value` from the command line, value still a string."""

    key: str
    raw: str


def _take_list(args: list[str], start: int, first: str, name: str) -> tuple[str, int]:
    """Join `[a,` `b]` split over several arguments back into one `[a, b]` (the value of `--name`)."""
    parts = [first]
    index = start
    while not parts[-1].rstrip().endswith("]"):
        if index >= len(args):
            raise R1Error(f"--{name}: unterminated list '{' '.join(parts)}'", hint="close it with ']'")
        parts.append(args[index])
        index += 1
    return " ".join(parts), index


def split_positionals(args: list[str]) -> tuple[list[str], list[str]]:
    """Bare words (a command's SOURCE) and the override arguments, told apart by the override grammar."""
    places: list[int] = []
    parse_overrides(args, positionals=places)
    return [args[i] for i in places], [arg for i, arg in enumerate(args) if i not in places]


def parse_overrides(
    args: list[str], stage: str = "grpo", positionals: list[int] | None = None
) -> tuple[list[Override], list[str]]:
    """Parse extra command-line arguments into overrides, plus deprecation notes for legacy flags.

    A bare word is an error, unless `positionals` is given: then its index is appended there.
    """
    overrides: list[Override] = []
    notes: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        if positionals is not None and not token.startswith("-"):
            positionals.append(index - 1)
            continue
        if not token.startswith("--") or token == "--":
            raise R1Error(
                f"unexpected argument '{token}'",
                hint="overrides look like --section.key VALUE, e.g. --grpo.learning_rate 1e-4",
            )
        name, has_value, value = token[2:].partition("=")
        if not has_value and name in LEGACY_SWITCHES:
            key, switch_value = LEGACY_SWITCHES[name]
            key = key.format(stage=stage)
            notes.append(f"--{name} is deprecated: use --{key} {switch_value}")
            overrides.append(Override(key, switch_value))
            continue
        if not has_value:
            if index >= len(args) or (args[index].startswith("--") and args[index] != "--"):
                raise R1Error(f"--{name} needs a value", hint=f"e.g. --{name} VALUE or --{name}=VALUE")
            value = args[index]
            index += 1
        if value.lstrip().startswith("["):
            value, index = _take_list(args, index, value, name)
        elif name == "reward_funcs":  # the seed also wrote `--reward_funcs accuracy format reasoning_steps`
            words = [value]
            while index < len(args) and not args[index].startswith("--"):
                words.append(args[index])
                index += 1
            value = ",".join(word.strip(",") for word in words)
        if "." not in name:
            if name not in LEGACY_FLAGS:
                raise R1Error(
                    f"unknown option --{name}",
                    hint="recipe overrides are dotted, e.g. --grpo.learning_rate 1e-4 (see r1 config show)",
                )
            key = LEGACY_FLAGS[name].format(stage=stage)
            notes.append(f"--{name} is deprecated: use --{key}")
            name = key
        if name in KEY_ALIASES:
            notes.append(f"--{name} is deprecated: use --{KEY_ALIASES[name]}")
            name = KEY_ALIASES[name]
        overrides.append(Override(name, value))
    return overrides, notes


def env_overrides(environ: dict[str, str], prefix: str = "R1_") -> list[tuple[str, Override]]:
    """`R1_GRPO__LEARNING_RATE=1e-4` -> grpo.learning_rate; variables without `__` are not recipe keys."""
    found = []
    for var, value in sorted(environ.items()):
        if not var.startswith(prefix) or "__" not in var:
            continue
        key = ".".join(part.lower() for part in var[len(prefix) :].split("__"))
        found.append((var, Override(KEY_ALIASES.get(key, key), value)))
    return found
