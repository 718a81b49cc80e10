r"""Language consistency (DeepSeek-R1, section 2.3.2): reason and answer in the language of the prompt.

The R1 paper's reward is "the proportion of target language words in the CoT". Here the language is
approximated by its writing system, detected from Unicode ranges (no model, no dependency):

- the target script is the script with the most words in the prompt (its last user message);
- the completion's words are those inside `<think>` and `<answer>` (the whole text without tags), after
  removing LaTeX (`$...$`, `\[...\]`, `\(...\)`, `\commands`) and numbers;
- a word is a run of two or more letters of one alphabetic script (one-letter runs are usually math
  variables), or each single character of Chinese/Japanese (Han and Kana) and Thai, which are written
  without spaces;
- the reward is the fraction of the completion's words in the target script, and None when the prompt
  or the completion has no words at all (nothing to be consistent with, e.g. `12 + 5 = 17`).

Scripts, not languages: English and French (both Latin) are not told apart, nor Chinese and Japanese.
"""

from __future__ import annotations

import re

from r1cli.rewards.completions import prompt_text, scored_texts

# Script -> character class. Order matters only for readability; the classes do not overlap.
_SCRIPTS: dict[str, str] = {
    "latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "greek": "\u0370-\u03ff\u1f00-\u1fff",
    "cyrillic": "\u0400-\u052f",
    "armenian": "\u0530-\u058f",
    "hebrew": "\u0590-\u05ff",
    "arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "devanagari": "\u0900-\u097f",
    "bengali": "\u0980-\u09ff",
    "tamil": "\u0b80-\u0bff",
    "georgian": "\u10a0-\u10ff",
    "hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
}
# Written without spaces between words: every character is a word.
_CHARACTER_SCRIPTS: dict[str, str] = {
    "cjk": "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff",
    "thai": "\u0e00-\u0e7f",
}
_WORD_RES = {name: re.compile(f"[{chars}]{{2,}}") for name, chars in _SCRIPTS.items()} | {
    name: re.compile(f"[{chars}]") for name, chars in _CHARACTER_SCRIPTS.items()
}
_LATEX_RE = re.compile(
    r"\$\$.*?\$\$|\$[^$\n]*\$|\\\[.*?\\\]|\\\(.*?\\\)|\\[A-Za-z]+|</?(?:think|answer)>", re.DOTALL
)


def script_counts(text: str) -> dict[str, int]:
    """Words per script in `text` (LaTeX and tags removed); scripts with no words are left out.

    >>> script_counts("Сначала сложим: 2 + 2 = 4, then x = 4")
    {'latin': 1, 'cyrillic': 2}
    >>> script_counts("所以答案是 4")
    {'cjk': 5}
    """
    text = _LATEX_RE.sub(" ", text)
    counts = {name: len(pattern.findall(text)) for name, pattern in _WORD_RES.items()}
    return {name: count for name, count in counts.items() if count}


def _reasoning_and_answer(text: str) -> str:
    """The contents of the `<think>` and `<answer>` blocks (an unclosed one runs to the end), else the text."""
    pieces = []
    for open_tag, close_tag in (("<think>", "</think>"), ("<answer>", "</answer>")):
        start = text.find(open_tag)
        while start >= 0:
            start += len(open_tag)
            end = text.find(close_tag, start)
            pieces.append(text[start:] if end < 0 else text[start:end])
            start = -1 if end < 0 else text.find(open_tag, end)
    return "\n".join(pieces) if pieces else text


def language_consistency_reward(
    completions: list, prompts: list | None = None, rendered_prompt: list | None = None, **kwargs
) -> list[float | None]:
    """Fraction of the completion's think/answer words written in the prompt's script (None if unknown).

    >>> language_consistency_reward(
    ...     ["<think>Сначала сложим числа</think><answer>4</answer>", "<think>First add them</think>"],
    ...     prompts=[[{"role": "user", "content": "Сколько будет два плюс два?"}]] * 2,
    ... )
    [1.0, 0.0]
    """
    if prompts is None:
        return [None] * len(completions)
    rewards: list[float | None] = []
    texts = scored_texts(completions, prompts, rendered_prompt)  # inside an opened <think> is reasoning
    for text, prompt in zip(texts, prompts, strict=False):
        prompt_counts = script_counts(prompt_text(prompt))
        counts = script_counts(_reasoning_and_answer(text))
        total = sum(counts.values())
        if not prompt_counts or not total:
            rewards.append(None)
            continue
        target = max(prompt_counts, key=prompt_counts.__getitem__)
        rewards.append(counts.get(target, 0) / total)
    return rewards
