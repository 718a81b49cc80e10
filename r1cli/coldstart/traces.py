r"""Reasoning traces in and out: split any completion into (reasoning, answer), render a target form,
and build the SFT-ready row every cold-start method writes.

Two target forms (`--format`):

- `think` (default, what the GRPO rewards check): `<think>\nreasoning\n</think>\n<answer>\nX\n</answer>`
- `special` (the seed's cold-start form): `<|special_token|> Reasoning: ... <|special_token|> Summary:
  The answer is X.`

    >>> split_trace("<think>2 + 2 = 4</think><answer> 4 </answer>")
    ('2 + 2 = 4', '4')
    >>> print(render_trace("2 + 2 = 4.", "4", "special"))
    <|special_token|> Reasoning: 2 + 2 = 4.
    <|special_token|> Summary: The answer is 4.
"""

from __future__ import annotations

import re
from typing import Any

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.answers import extract_gold_answer, extract_model_answer

SPECIAL_TOKEN = "<|special_token|>"
FORMATS = ("think", "special")
# The seed's generation system prompt, used as the SFT system turn of the `special` form (the recipe's
# R1-Zero system prompt describes the <think>/<answer> tags, which that form does not use).
SPECIAL_SYSTEM_PROMPT = "You are a helpful assistant that provides step-by-step solutions."

_TAG_RE = re.compile(r"</?(?:think|answer)>")
_SUMMARY_RE = re.compile(r"Summary\s*:", re.IGNORECASE)
_REASONING_LABEL_RE = re.compile(r"^\s*Reasoning\s*:\s*", re.IGNORECASE)
_FINAL_ANSWER_SENTENCE_RE = re.compile(
    r"(?:^|(?<=[.!?\n]))[^.!?\n]*\b(?:final answer|the answer is|answer\s*:)[^\n]*$", re.IGNORECASE
)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise R1Error(f"unknown format '{fmt}'", hint=f"choose from: {', '.join(FORMATS)}")
    return fmt


def split_trace(text: str) -> tuple[str, str | None]:
    """(reasoning, final answer) of a completion in the think form, the special form, or free text.

    The answer is `extract_model_answer`'s (normalized); the reasoning is the think block, else the text
    between the first special token and `Summary:`, else the text before `<answer>`, else the text
    without its closing "the answer is ..." sentence.

    >>> split_trace("<|special_token|> Reasoning: 3 * 4 = 12. <|special_token|> Summary: The answer is 12.")
    ('3 * 4 = 12.', '12')
    >>> split_trace("First 3 * 4 = 12.\\nSo the answer is 12.")
    ('First 3 * 4 = 12.', '12')
    """
    answer = extract_model_answer(text)
    if "<think>" in text or "</think>" in text:
        start = text.find("<think>")
        start = 0 if start < 0 else start + len("<think>")
        end = text.find("</think>", start)
        reasoning = text[start:] if end < 0 else text[start:end]
        if end < 0 and "<answer>" in reasoning:
            reasoning = reasoning[: reasoning.rfind("<answer>")]
    elif SPECIAL_TOKEN in text:
        body = text.split(SPECIAL_TOKEN, 1)[1]
        summary = _SUMMARY_RE.search(body)
        reasoning = body[: summary.start()] if summary else body
        reasoning = _REASONING_LABEL_RE.sub("", reasoning.replace(SPECIAL_TOKEN, " "))
    elif "<answer>" in text:
        reasoning = text[: text.rfind("<answer>")]
    else:
        reasoning = _FINAL_ANSWER_SENTENCE_RE.sub("", text.rstrip())
    return _TAG_RE.sub(" ", reasoning).strip(), answer


def render_trace(reasoning: str, answer: str, fmt: str = "think") -> str:
    r"""The assistant text in the target form.

    >>> render_trace("2 + 2 = 4.", "4")
    '<think>\n2 + 2 = 4.\n</think>\n<answer>\n4\n</answer>'
    """
    if check_format(fmt) == "special":
        return f"{SPECIAL_TOKEN} Reasoning: {reasoning}\n{SPECIAL_TOKEN} Summary: The answer is {answer}."
    return f"<think>\n{reasoning}\n</think>\n<answer>\n{answer}\n</answer>"


def system_prompt_for(fmt: str, recipe_system_prompt: str) -> str:
    """The SFT system turn: the recipe's R1-Zero prompt for `think`, the seed's plain one for `special`."""
    return recipe_system_prompt if check_format(fmt) == "think" else SPECIAL_SYSTEM_PROMPT


def gold_columns(row: dict[str, Any]) -> dict[str, Any]:
    """`answer` (normalized gold) and `solution` (the gold text) of an input row, or {} when it has none.

    Same names and rule as `r1 data prepare` rows (`answer` first, then `solution`), so that the
    accuracy reward reads `solution` directly.

    >>> gold_columns({"question": "q", "answer": "2 + 2 = 4\\n#### 4"})
    {'answer': '4', 'solution': '2 + 2 = 4\\n#### 4'}
    >>> gold_columns({"answer": "4", "solution": "2 + 2 = 4\\n#### 4"})
    {'answer': '4', 'solution': '2 + 2 = 4\\n#### 4'}
    """
    for column in ("answer", "solution"):
        value = row.get(column)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        answer = extract_gold_answer(value)
        if answer:
            worked = row.get("solution")  # a prepared row: normalized `answer` beside the worked `solution`
            if isinstance(worked, str) and worked != value and extract_gold_answer(worked) == answer:
                value = worked
            return {"answer": answer, "solution": value if isinstance(value, str) else answer}
    return {}


def coldstart_row(
    row_id: Any,
    problem: str,
    assistant: str,
    *,
    method: str,
    model: str | None,
    system_prompt: str,
    gold: dict[str, Any] | None = None,
    sample: int | None = None,
) -> dict[str, Any]:
    """One output row: id (and sample, when the input had several per problem), SFT-ready messages
    (system, user, assistant), method, model, gold if any."""
    messages = [{"role": "user", "content": problem}, {"role": "assistant", "content": assistant}]
    if system_prompt:
        messages.insert(0, {"role": "system", "content": system_prompt})
    key = {"id": row_id} if sample is None else {"id": row_id, "sample": sample}
    return {**key, "messages": messages, "method": method, "model": model, **(gold or {})}


def trace_from_generation(text: str, fmt: str) -> str | None:
    """A generated completion put in the target form; None when it has no reasoning or no final answer."""
    reasoning, answer = split_trace(text)
    if not reasoning or not answer:
        return None
    return render_trace(reasoning, answer, fmt)


def drop_wrong(rows: list[dict[str, Any]], rewards_cfg: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The rows whose answer the accuracy reward does not mark wrong, and how many were dropped.

    Rows without a gold (`solution`), and rows the verifier cannot judge, are kept.
    """
    from r1cli.rewards.registry import build_reward_functions

    judged = [row for row in rows if row.get("solution") is not None]
    if not judged:
        return list(rows), 0
    (accuracy,) = build_reward_functions(rewards_cfg, ["accuracy"])
    scores = accuracy(
        [row["messages"][-1]["content"] for row in judged], solution=[r["solution"] for r in judged]
    )
    wrong = {id(row) for row, score in zip(judged, scores, strict=True) if score == 0.0}
    kept = [row for row in rows if id(row) not in wrong]
    return kept, len(rows) - len(kept)
