r"""Turn one source row into one training row: an R1-Zero prompt with its gold answer, or SFT messages.

Prompt rows (`r1 train zero`): `prompt` = [system: the R1-Zero system prompt, user: the problem as is],
`problem` = the problem text, `answer` = the normalized gold final answer, `solution` = the full gold
text the answer was read from (the accuracy reward reads this column), so that
`extract_gold_answer(row["solution"]) == row["answer"]` on every row.

The name clash with GSM8K, whose `answer` column holds the worked solution ending in `#### 18`: the
normalized gold replaces `answer` ("18") and the worked text moves to `solution`, so nothing is lost.
Where the gold comes from another column than an existing `solution` (AIME: `answer` "204" next to a
worked `solution` whose \boxed{} may be decorated or missing), that worked text is kept as
`source_solution`. Other source columns are kept as they are; `messages` is dropped, as in the seed.

SFT rows (for supervised fine-tuning): ShareGPT `conversations` (+ a `system` column) become `messages` with roles
user/assistant/system; the system turn is kept (TRL's own conversion drops it).

Each function returns the new columns plus `_drop`: "" to keep the row, else the reason it is dropped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.rewards.answers import extract_gold_answer

PROBLEM_COLUMNS = ("problem", "question")
# `answer` first: where both exist (AIME, MATH-500) it is the clean final answer, while `solution`
# is worked text whose last \boxed{} can be decorated (`\boxed{\textbf{(113) }}`) or missing.
ANSWER_COLUMNS = ("answer", "solution")
DROP = "_drop"
ROLES = {
    "system": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "model": "assistant",
    "bot": "assistant",
}
# Placeholder for dropped rows: every row of a mapped split must have the same column types.
_EMPTY_TURN = [{"role": "user", "content": ""}]


def build_prompt(problem: str, system_prompt: str) -> list[dict[str, str]]:
    """The R1-Zero chat prompt: the system turn (when there is a system prompt), then the problem as is.

    >>> build_prompt("What is 2 + 3?", "Think first.")[1]
    {'role': 'user', 'content': 'What is 2 + 3?'}
    """
    return with_system_prompt([{"role": "user", "content": problem}], system_prompt)


def with_system_prompt(messages: list[dict[str, str]], system_prompt: str) -> list[dict[str, str]]:
    """A prepared prompt asked with `system_prompt` instead: its system turn replaced (dropped when empty).

    >>> with_system_prompt([{"role": "system", "content": "A"}, {"role": "user", "content": "q"}], "")
    [{'role': 'user', 'content': 'q'}]
    """
    rest = messages[1:] if messages and messages[0].get("role") == "system" else list(messages)
    return [{"role": "system", "content": system_prompt}, *rest] if system_prompt else rest


def note_reprompted(where: object) -> None:
    """Say that a prepared folder's prompts are asked with another system prompt than they were built with."""
    note(f"{where} was prepared with another system prompt: its prompts are asked with data.system_prompt")


def pick_problem_column(explicit: str, columns: list[str]) -> str:
    """The column holding the problem text: the named one, else `problem` or `question`."""
    if explicit:
        return require_column(explicit, columns, "--problem-column / data.problem_column")
    for name in PROBLEM_COLUMNS:
        if name in columns:
            return name
    raise R1Error(
        f"no problem column found (looked for {' or '.join(PROBLEM_COLUMNS)}; columns: {', '.join(columns)})",
        hint=_close_column(PROBLEM_COLUMNS, columns, "--problem-column")
        or "name it with --problem-column NAME (data.problem_column)",
    )


def pick_answer_columns(explicit: str, columns: list[str]) -> list[str]:
    """Columns to read the gold answer from, in order: the named one only, else `answer`, `solution`."""
    if explicit:
        return [require_column(explicit, columns, "--answer-column / data.answer_column")]
    found = [name for name in ANSWER_COLUMNS if name in columns]
    if not found:
        raise R1Error(
            f"no answer column found (looked for {' or '.join(ANSWER_COLUMNS)}; columns: {', '.join(columns)})",
            hint=_close_column(ANSWER_COLUMNS, columns, "--answer-column")
            or "name it with --answer-column NAME (data.answer_column)",
        )
    return found


def _close_column(wanted: tuple[str, ...], columns: list[str], option: str) -> str | None:
    """`did you mean --answer-column answr?` when a column is close to one of the expected names."""
    for name in wanted:
        close = did_you_mean(name, columns)
        if close:
            return close.replace("did you mean '", f"did you mean {option} ").replace("'?", "?")
    return None


def require_column(name: str, columns: list[str], option: str) -> str:
    if name not in columns:
        hint = did_you_mean(name, columns) or f"columns: {', '.join(columns)}"
        raise R1Error(f"column '{name}' ({option}) is not in the dataset", hint=hint)
    return name


def _gold_text(value: Any, answer: str) -> str:
    # A number (AMC's 27.0) is stored as its normalized form, so the solution column reads the same.
    return value if isinstance(value, str) else answer


def to_prompt_row(
    row: dict[str, Any],
    problem_column: str,
    answer_columns: list[str],
    system_prompt: str,
    source_solution_column: str | None = None,
) -> dict[str, Any]:
    """New columns of one prompt row: problem, prompt, answer, solution (+ source_solution), _drop."""
    problem = row.get(problem_column)
    out: dict[str, Any] = {
        "problem": "",
        "prompt": build_prompt("", system_prompt),
        "answer": "",
        "solution": "",
    }
    if source_solution_column:
        out["source_solution"] = _text_or_none(row.get(source_solution_column))
    if not isinstance(problem, str) or not problem.strip():
        return {**out, DROP: "no problem text"}
    for column in answer_columns:
        value = row.get(column)
        answer = extract_gold_answer(value) if isinstance(value, (str, int, float)) else None
        if answer:
            prompt = build_prompt(problem, system_prompt)
            solution = _gold_text(value, answer)
            return {
                **out,
                "problem": problem,
                "prompt": prompt,
                "answer": answer,
                "solution": solution,
                DROP: "",
            }
    return {**out, DROP: "no gold answer"}


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)


def sft_format(columns: list[str]) -> str:
    """Which SFT layout a table has: sharegpt (conversations), messages, or prompt-completion."""
    if "conversations" in columns:
        return "sharegpt"
    if "messages" in columns:
        return "messages"
    if "prompt" in columns and "completion" in columns:
        return "prompt-completion"
    raise R1Error(
        f"no SFT data found (columns: {', '.join(columns)})",
        hint="SFT data needs `conversations` (ShareGPT), `messages`, or `prompt` + `completion` columns",
    )


def to_messages(turns: Any, system: Any = None) -> list[dict[str, str]] | str:
    """Chat messages from ShareGPT turns ({from, value}) or messages ({role, content}); else a drop reason.

    >>> to_messages([{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}], system="Be brief.")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello'}]
    """
    if not isinstance(turns, list) or not turns:
        return "no conversation"
    messages = []
    for turn in turns:
        if not isinstance(turn, dict):
            return "malformed turn"
        role = turn.get("role", turn.get("from"))
        content = turn.get("content", turn.get("value"))
        if not isinstance(role, str) or role.lower() not in ROLES:
            return "unknown role"
        if not isinstance(content, str):
            return "malformed turn"
        messages.append({"role": ROLES[role.lower()], "content": content})
    if isinstance(system, str) and system.strip() and messages[0]["role"] != "system":
        messages.insert(0, {"role": "system", "content": system})
    if not any(m["role"] == "assistant" and m["content"].strip() for m in messages):
        return "no assistant turn"
    return messages


def to_sft_row(row: dict[str, Any], layout: str, turns_column: str = "messages") -> dict[str, Any]:
    """New columns of one SFT row (`messages` unless the layout is prompt-completion), plus _drop."""
    if layout == "prompt-completion":
        prompt, completion = row.get("prompt"), row.get("completion")
        if not _non_empty(prompt) or not _non_empty(completion):
            return {DROP: "empty prompt or completion"}
        return {DROP: ""}
    system = row.get("system") if layout == "sharegpt" else None
    messages = to_messages(row.get(turns_column), system)
    if isinstance(messages, str):
        return {"messages": _EMPTY_TURN, DROP: messages}
    return {"messages": messages, DROP: ""}


def _non_empty(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, list) and bool(value)


_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)$")
_FRACTION = re.compile(r"^[+-]?(\d+\s*/\s*\d+|\\[dt]?frac\{\d+\}\{\d+\}|\\[dt]?frac\d\d)$")
_MATH_CHARS = re.compile(r"[0-9=+\-*/^()\[\],<>]")


def answer_kind(answer: str) -> str:
    r"""A coarse kind of a normalized answer: integer, decimal, fraction, latex, expression or text.

    >>> [answer_kind(a) for a in ["1234", "0.5", "4.5e33", r"\frac{1}{2}", r"\sqrt{2}", "2x+1", "Tuesday"]]
    ['integer', 'decimal', 'decimal', 'fraction', 'latex', 'expression', 'text']
    """
    answer = answer.strip()
    if _INTEGER.match(answer):
        return "integer"
    if _DECIMAL.match(answer):
        return "decimal"
    if _FRACTION.match(answer):
        return "fraction"
    if "\\" in answer or "{" in answer:
        return "latex"
    if _MATH_CHARS.search(answer):
        return "expression"
    return "text"
