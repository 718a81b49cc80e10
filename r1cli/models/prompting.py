"""How a model is prompted: what a trained folder records, and what every stage asks.

A training stage (sft, zero, distill's student, the pipeline's stages) records the system prompt its
training rows began with, in two places of its output folder:

- `r1_prompt.json` ({"system_prompt": "..."}), read by r1: `r1 chat`, `r1 eval`, `r1 sample reject`,
  `r1 coldstart`, `r1 distill --teacher` and `r1 train` on that folder use it by default;
- the saved chat template, as its default system turn, so vLLM, transformers' pipelines and lighteval
  prompt the model the same way without r1.

Precedence (recipe layering, r1cli/recipe/layering.py): a value the user sets (recipe file, profile,
environment, flag) wins over the folder's record, which wins over the built-in default.

    >>> system_prompt_of_rows([[{"role": "system", "content": "S"}, {"role": "user", "content": "q"}]])
    'S'
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from r1cli.models.folders import locate_model
from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text

PROMPT_FILE = "r1_prompt.json"
# The recipe key each recorded field sets.
RECORDED_KEYS = {"system_prompt": "data.system_prompt"}
# How many training rows decide the recorded prompt (the most common system turn among them).
_ROWS_LOOKED_AT = 2000
# The chat template of a base model that r1 pretrained on a built-in prose corpus (r1cli/data/text.py, written
# "Question: ...\nAnswer: ..."): a conversation rendered as that corpus is written, a system turn as a first
# paragraph (the R1-Zero prompt is one), so every command prompts the base model in the only form it has read.
# The generation prompt ends at `Answer:`, so what the model writes starts with its own space: an answer
# turn that already starts with whitespace (a sampled completion: rejection sampling, distillation) follows
# `Answer:` as it was generated, one that does not (a worked trace) gets the corpus's single space.
PROSE_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}{{ message['content'] + '\\n' }}"
    "{%- elif message['role'] == 'user' -%}{{ 'Question: ' + message['content'] + '\\n' }}"
    "{%- else -%}{{ 'Answer:' + ('' if message['content'][:1] in [' ', '\\n'] else ' ') + message['content']"
    " + eos_token + '\\n' }}"
    "{%- endif -%}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ 'Answer:' }}{%- endif -%}"
)
_DEFAULT_TURN_START = "{#- r1: the system prompt this model was trained with #}"
_DEFAULT_TURN_END = "{#- r1: end #}"
_DEFAULT_TURN_RE = re.compile(
    re.escape(_DEFAULT_TURN_START) + r".*?" + re.escape(_DEFAULT_TURN_END), re.DOTALL
)


def system_prompt_of_rows(rows: Iterable[Any]) -> str:
    """The system turn most training rows begin with ('' when most have none, or are plain text).

    Each row is a conversation (a list of {role, content}) or a plain-text prompt.

    >>> system_prompt_of_rows(["What is 2 + 3?"])
    ''
    """
    counts: Counter[str] = Counter()
    for index, row in enumerate(rows):
        if index == _ROWS_LOOKED_AT:
            break
        first = row[0] if isinstance(row, list) and row else None
        system = isinstance(first, dict) and first.get("role") == "system"
        counts[str(first.get("content") or "") if system else ""] += 1
    return counts.most_common(1)[0][0] if counts else ""


def system_prompt_of_dataset(dataset: Any) -> str:
    """system_prompt_of_rows of a datasets split: its `messages` column, else its `prompt` column."""
    for column in ("messages", "prompt"):
        if column in dataset.column_names:
            return system_prompt_of_rows(dataset.select(range(min(len(dataset), _ROWS_LOOKED_AT)))[column])
    return ""


def with_default_system_turn(template: str, system_prompt: str) -> str:
    """The chat template with `system_prompt` as the system turn of conversations that bring none.

    Any earlier such turn that r1 added is replaced; an empty prompt only removes it.

    >>> text = with_default_system_turn("{{ messages[0]['content'] }}", "Think first.")
    >>> with_default_system_turn(text, "") == "{{ messages[0]['content'] }}"
    True
    """
    template = _DEFAULT_TURN_RE.sub("", template)
    if not system_prompt:
        return template
    # JSON's string syntax is valid Jinja string syntax: quotes, backslashes, newlines and non-ASCII
    # characters (as \u escapes) come out of the template exactly as written.
    literal = json.dumps(system_prompt)
    return (
        f"{_DEFAULT_TURN_START}{{%- if not messages or messages[0]['role'] != 'system' %}}"
        f"{{%- set messages = [{{'role': 'system', 'content': {literal}}}] + messages %}}"
        f"{{%- endif %}}{_DEFAULT_TURN_END}{template}"
    )


def record_prompt(output_dir: Path, tokenizer: Any, system_prompt: str) -> None:
    """Record how the model in `output_dir` was prompted: PROMPT_FILE, and the tokenizer's chat template
    (call it before the tokenizer is saved there; None: the file alone, for a run's checkpoints)."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, str):
        tokenizer.chat_template = with_default_system_turn(template, system_prompt)
    elif isinstance(template, dict) and isinstance(template.get("default"), str):
        tokenizer.chat_template = {
            **template,
            "default": with_default_system_turn(template["default"], system_prompt),
        }
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output_dir / PROMPT_FILE, json.dumps({"system_prompt": system_prompt}, indent=2) + "\n")


def recorded_prompt(model_dir: Path) -> tuple[dict[str, Any], Path] | None:
    """(the recorded fields, the file) of a trained folder, or of the run a checkpoint lies in; None if none."""
    for folder in (model_dir, model_dir.parent):
        path = folder / PROMPT_FILE
        if path.is_file():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                note(f"ignoring {path}: {exc}")
                return None
            return (record, path) if isinstance(record, dict) else None
    return None


def recorded_recipe_values(
    model: str | Path, tiny_cfg: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str]:
    """The recipe values a model's folder recorded ({"data.system_prompt": ...}) and their origin label.

    Nothing for a hub id, r1-tiny or a folder r1 did not train. A folder that is not a model at all is
    left for the command's own check to refuse.
    """
    try:
        _kind, _source, folder = locate_model(model, tiny_cfg, quiet=True)
    except R1Error:
        return {}, ""
    found = recorded_prompt(folder) if folder is not None else None
    if found is None:
        return {}, ""
    record, path = found
    values = {
        key: record[field] for field, key in RECORDED_KEYS.items() if isinstance(record.get(field), str)
    }
    return values, f"model {path}"
