r"""Refine R1-Zero outputs into clean cold-start traces: by rules, or by a model that keeps the answer.

    r1 coldstart refine zero_outputs.jsonl --output refined.jsonl [--model M] [--format special]

By rules (`clean_reasoning`): filler ("umm", "ummm...", "uh", "hmm" runs) removed, runs of dots and
repeated punctuation cut, a sentence said twice in a row kept once, whitespace collapsed, every
sentence capitalized and ended; the answer is the normalized final answer (`extract_model_answer`).

    >>> print(refine_completion("<think>  ummm... multiply 3 and 4... get 12... then add 2...</think>\n<answer> 14 </answer>"))
    <think>
    Multiply 3 and 4. Get 12. Then add 2.
    </think>
    <answer>
    14
    </answer>

With a model, the model rewrites the reasoning (`refine_prompt`, the seed's human refinement as an
instruction) and the rewrite is kept only when its answer still matches the original's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from r1cli.coldstart.traces import coldstart_row, gold_columns, render_trace, split_trace
from r1cli.data.problems import gold_of
from r1cli.data.prompts import PROBLEM_COLUMNS
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.jsonl import json_lines
from r1cli.rewards.completions import completion_text, prompt_text

# Hesitation words: um, umm, ummm, uh, uhh, uhm, hm, hmm, hmmm, erm (any case), with the dots or commas
# that trail them. Whole words only: "hum", "drum", "uhaul" stay.
_FILLER_RE = re.compile(r"\b(?:u+m+|u+h+m*|h+m+|e+r+m+)\b(?:\s*(?:\.{2,}|…|[,!?]))*", re.IGNORECASE)
_ELLIPSIS_RE = re.compile(r"\s*(?:\.{2,}|…)+")
_REPEATED_PUNCT_RE = re.compile(r"([.!?,;:])(?:\s*\1)+")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([.!?,;:])(?=\s|$)")
_COMMA_BEFORE_END_RE = re.compile(r"[,;:]\s*([.!?])")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+")
# Only words are capitalized: a sentence starting with a variable (`x = 3`) or a number stays as written.
_LOWER_WORD_RE = re.compile(r"^(?:[a-z]{2,}|[ai])\b")
# Stands in for a kept ellipsis while punctuation is tidied (which would cut "..." to ".").
_KEPT_ELLIPSIS = "\x00"
_LEADING_JUNK_RE = re.compile(r"^[\s.,;:!?\-–—]+(?=\S)")


def clean_reasoning(text: str) -> str:
    """The reasoning with filler, dot runs and doubled sentences removed, each sentence capitalized and ended.

    Line breaks are kept (one per step); blank lines and runs of spaces collapse.

    >>> clean_reasoning("hmm  so 2+2...   is 4!!  \\n\\n\\n uh, then double it,")
    'So 2+2. Is 4!\\nThen double it.'
    """
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = _clean_line(raw)
        if line:
            lines.append(line)
    return "\n".join(lines)


def _clean_line(line: str) -> str:
    line = _FILLER_RE.sub(" ", line)
    # A run of dots between thoughts ends a sentence; "1, 2, ..., n" keeps its ellipsis.
    line = _ELLIPSIS_RE.sub(lambda m: _KEPT_ELLIPSIS if _after_comma(line, m.start()) else ". ", line)
    line = " ".join(line.split())
    line = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", line)
    line = _REPEATED_PUNCT_RE.sub(r"\1", line)
    line = _COMMA_BEFORE_END_RE.sub(r"\1", line)
    line = _LEADING_JUNK_RE.sub("", line).strip()
    if not line or not any(char.isalnum() for char in line):
        return ""
    sentences: list[str] = []
    for sentence in _SENTENCE_SPLIT_RE.split(line):
        sentence = _end_sentence(_capitalize(sentence.strip()))
        if sentence and (not sentences or sentence.lower() != sentences[-1].lower()):
            sentences.append(sentence)
    return " ".join(sentences).replace(_KEPT_ELLIPSIS, " ...")


def _after_comma(line: str, index: int) -> bool:
    before = line[:index].rstrip()
    return before.endswith(",")


def _capitalize(sentence: str) -> str:
    match = _LOWER_WORD_RE.match(sentence)
    return sentence[0].upper() + sentence[1:] if match else sentence


def _end_sentence(sentence: str) -> str:
    sentence = sentence.rstrip(" ,;")
    if not sentence or sentence.endswith((".", "!", "?", ":", "$$", "\\]", "...")):
        return sentence
    return sentence + "."


def refine_completion(completion: str, fmt: str = "think") -> str | None:
    """A completion rewritten by rules into the target form; None when it has no reasoning or no answer left."""
    reasoning, answer = split_trace(completion)
    reasoning = clean_reasoning(reasoning)
    if not reasoning or not answer:
        return None
    return render_trace(reasoning, answer, fmt)


# The seed's human refinement ("cleaner, more structured, correcting any mistakes") as an instruction;
# the answer is given and must stay, so the rewrite can be checked against it.
REFINE_INSTRUCTION = (
    "Rewrite the messy reasoning below into clear, well-structured steps in one language. "
    "Remove filler and repetition, keep every calculation, and end with the same final answer.\n"
    "Reply in the form <think> reasoning </think><answer> answer </answer>."
)


def refine_prompt(problem: str, reasoning: str, answer: str, system_prompt: str) -> list[dict[str, str]]:
    """The chat prompt that asks a model to rewrite one trace (reasoning and answer given)."""
    user = f"{REFINE_INSTRUCTION}\n\nProblem: {problem}\nMessy reasoning: {reasoning}\nFinal answer: {answer}"
    messages = [{"role": "user", "content": user}]
    return [{"role": "system", "content": system_prompt}, *messages] if system_prompt else messages


def read_zero_outputs(path: Path) -> list[dict[str, Any]]:
    """Rows to refine: {id, problem, completion, gold columns}; R1Error naming the first unusable line.

    Each input line needs `completion` (text, or chat messages) and the problem: `problem`/`question`,
    else the last user turn of `prompt` (text or chat messages, as R1-Zero prompts are) or of `messages`.
    `id` defaults to the row number (0-based); `sample` (several samples of one problem, as generating
    stages write them) is carried; `answer`/`solution` are carried as the gold.
    """
    if not path.is_file():
        shown = "not found" if not path.exists() else "not a file"
        raise R1Error(
            f"input {shown}: {path}", hint="pass a .jsonl file of R1-Zero outputs {prompt, completion}"
        )
    rows: list[dict[str, Any]] = []
    # (id, sample) -> line: a repeated key is refused (a resumed rewrite would skip the second one).
    lines: dict[Any, int] = {}
    for number, row, problem in json_lines(path.read_bytes()):
        if row is not None:
            parsed = _zero_output(row, len(rows))
            key = (parsed["id"], parsed.get("sample")) if isinstance(parsed, dict) else None
            if key is not None and key not in lines:
                lines[key] = number
                rows.append(parsed)
                continue
            problem = parsed if key is None else f"{_shown(key)} repeats line {lines[key]}"
        raise R1Error(
            f"{path}:{number}: {problem}", hint="each line needs `prompt` (or `problem`) and `completion`"
        )
    if not rows:
        raise R1Error(
            f"input {path} is empty", hint="pass a .jsonl file of R1-Zero outputs {prompt, completion}"
        )
    return rows


def _shown(key: tuple[Any, Any]) -> str:
    return f"id {key[0]!r}" + (f" sample {key[1]!r}" if key[1] is not None else "")


def _zero_output(row: dict[str, Any], index: int) -> dict[str, Any] | str:
    completion = row.get("completion")
    if not isinstance(completion, str) and not (isinstance(completion, list) and completion):
        return "no `completion` (text or chat messages)"
    problem = next((row[c] for c in PROBLEM_COLUMNS if isinstance(row.get(c), str)), None)
    if problem is None:  # the last user turn of the prompt, or of the whole conversation
        problem = prompt_text(row.get("prompt") or row.get("messages"))
    if not problem.strip():
        return "no problem text (`prompt`, `problem`, `question` or `messages`)"
    ident = row.get("id", index)
    if ident is None or isinstance(ident, bool) or not isinstance(ident, str | int):
        return f"`id` must be a string or an integer, got {ident!r}"
    sample = row.get("sample")
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, int)):
        return f"`sample` must be an integer, got {sample!r}"
    return {
        "id": ident,
        **({"sample": sample} if sample is not None else {}),
        "problem": problem,
        "completion": completion_text(completion),
        **gold_columns(row),
    }


def refine_by_rules(
    rows: list[dict[str, Any]], fmt: str, system_prompt: str
) -> tuple[list[dict[str, Any]], int]:
    """Cold-start rows of the refinable inputs, and how many had no reasoning or answer left."""
    out = []
    for row in rows:
        refined = refine_completion(row["completion"], fmt)
        if refined is not None:
            gold = gold_of(row)
            out.append(
                coldstart_row(
                    row["id"],
                    row["problem"],
                    refined,
                    method="refine",
                    model=None,
                    system_prompt=system_prompt,
                    gold=gold,
                    sample=row.get("sample"),
                )
            )
    return out, len(rows) - len(out)


def model_refine_prompt(row: dict[str, Any], system_prompt: str) -> list[dict[str, str]] | None:
    """The rewrite prompt of one input row (its reasoning cleaned by rules first); None if nothing to rewrite."""
    reasoning, answer = split_trace(row["completion"])
    reasoning = clean_reasoning(reasoning)
    if not reasoning or not answer:
        return None
    return refine_prompt(row["problem"], reasoning, answer, system_prompt)


def keep_rewrites(
    originals: list[str], rewrites: list[str], fmt: str, rewards_cfg: dict[str, Any]
) -> list[str | None]:
    """Each model rewrite in the target form, or None where its answer no longer matches the original's.

    Matching is the accuracy reward's (math-verify through r1cli.rewards.verifier): `1/2` matches `0.5`.
    """
    from r1cli.rewards.accuracy import correctness
    from r1cli.rewards.registry import verifier_settings

    original_answers = [split_trace(text)[1] for text in originals]
    verdicts = correctness(rewrites, original_answers, **verifier_settings(rewards_cfg))
    kept: list[str | None] = []
    for rewrite, answer, same in zip(rewrites, original_answers, verdicts, strict=True):
        reasoning = clean_reasoning(split_trace(rewrite)[0])
        kept.append(render_trace(reasoning, answer, fmt) if same and reasoning and answer else None)
    return kept
