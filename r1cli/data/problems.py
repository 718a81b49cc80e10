"""Problems to generate for: a PROBLEMS file or a `r1 data prepare` folder, as chat prompts with ids.

    prompts = read_problems("../shared/data/gsm8k/test.jsonl", recipe.section("data"))
    prompts[0].id, prompts[0].messages, prompts[0].row["answer"]     # 0, [system, user], "18"

The prompts are built by data prepare's own code (`to_prompt_row`, `build_prompt`), so a generating
stage sees what training saw. Unlike data prepare, a row without a gold answer is kept: sample reject
and eval check for a gold themselves, cold start may not need one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli.data.prepare import quiet_datasets
from r1cli.data.prompts import (
    ANSWER_COLUMNS,
    DROP,
    PROBLEM_COLUMNS,
    build_prompt,
    note_reprompted,
    pick_problem_column,
    require_column,
    to_prompt_row,
    with_system_prompt,
)
from r1cli.data.sources import load_source
from r1cli.plumbing.errors import R1Error


@dataclass
class Prompt:
    """One prompt to generate for: its id (str or int), the chat messages, and the problem row it came from."""

    id: str | int
    messages: list[dict[str, str]]
    row: dict[str, Any] = field(default_factory=dict)


def gold_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The gold of a problem row, as the rows of generating stages carry it: `answer` (normalized) and
    `solution` (the text the answer was read from), those that are present and not empty.

    >>> gold_of({"problem": "2 + 2?", "answer": "4", "solution": "#### 4"})
    {'answer': '4', 'solution': '#### 4'}
    """
    return {key: row[key] for key in ANSWER_COLUMNS if row.get(key) not in (None, "")}


def read_problems(source: str | Path, data_cfg: Mapping[str, Any], split: str = "train") -> list[Prompt]:
    """Prompts from a PROBLEMS file (jsonl/json/csv/parquet) or a `r1 data prepare` folder (its `split`).

    A row needs `problem` or `question` (or data.problem_column); `answer`/`solution` (or
    data.answer_column) are optional and normalized as data prepare does; `id` is optional (else the
    0-based row index). Prompts are built by data prepare's own code, with data.system_prompt; a
    prepared folder's prompts are asked with it too (r1cli.data.store.adopt_prepared_prompt gives a
    recipe the folder's own prompt where the user set none).
    """
    where = str(source)
    with quiet_datasets():
        raw = load_source(where, dict(data_cfg))
    if split in raw.splits:
        table = raw.splits[split]
    elif len(raw.splits) == 1:
        table = next(iter(raw.splits.values()))
    else:
        raise R1Error(f"{where} has no '{split}' split (splits: {', '.join(raw.splits)})")
    if len(table) == 0:
        raise R1Error(f"{where} has no problems" + (f" in its {split} split" if len(raw.splits) > 1 else ""))
    columns = list(table.column_names)
    explicit_problem = data_cfg.get("problem_column") or ""
    # Checked on the table for its did-you-mean hint; each row then uses the first column it fills.
    problem_columns = [pick_problem_column(explicit_problem, columns)]
    if not explicit_problem:
        problem_columns = [c for c in PROBLEM_COLUMNS if c in columns]
    explicit = data_cfg.get("answer_column") or ""
    answer_columns = (
        [require_column(explicit, columns, "data.answer_column")]
        if explicit
        else [c for c in ANSWER_COLUMNS if c in columns]
    )
    system_prompt = data_cfg.get("system_prompt") or ""
    reprompted = 0  # prepared rows built with another system prompt
    prompts: list[Prompt] = []
    seen: dict[Any, int] = {}
    for index, full_row in enumerate(table):
        row = {key: value for key, value in full_row.items() if value is not None}  # columns it lacks
        problem_column = next((c for c in problem_columns if _is_text(row.get(c))), None)
        if problem_column is None:
            raise R1Error(
                f"{where}: row {index + 1} has no problem text (`{'` or `'.join(problem_columns)}`)",
                hint="every row needs the problem as text",
            )
        problem = row[problem_column]
        if problem_column == "problem" and _is_chat(row.get("prompt")):  # a `r1 data prepare` row
            messages, out = row["prompt"], dict(row)
            if "system_prompt" in data_cfg:
                messages = with_system_prompt(messages, system_prompt)
                reprompted += messages != row["prompt"]
        else:
            built = (
                to_prompt_row(row, problem_column, answer_columns, system_prompt) if answer_columns else {}
            )
            if built.get(DROP) == "":
                built.pop(DROP)
                messages, out = built["prompt"], {**row, **built}
            else:  # no gold: a prompt all the same (sample reject and eval check for a gold themselves)
                messages, out = build_prompt(problem, system_prompt), {**row, "problem": problem}
        out.pop("prompt", None)
        ident = row.get("id", index)
        if isinstance(ident, bool) or not isinstance(ident, str | int):
            raise R1Error(
                f"{where}: row {index + 1} has an `id` that is not a string or an integer: {ident!r}"
            )
        if ident in seen:
            raise R1Error(f"{where}: rows {seen[ident] + 1} and {index + 1} have the same id {ident!r}")
        seen[ident] = index
        prompts.append(Prompt(ident, messages, out))
    if reprompted:
        note_reprompted(where)
    return prompts


def _is_chat(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(m, dict) and "content" in m for m in value)
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
