"""Final-answer extraction: the gold answer of a dataset row and the answer a model gave.

Pure string work (regular expressions and a brace matcher, no sympy), so it is cheap enough to run on
every completion before any math verification, and safe to import anywhere:

    >>> extract_gold_answer("She makes 9 * 2 = $18 a day.\\n#### 1,234")
    '1234'
    >>> extract_gold_answer("So $x = \\\\boxed{\\\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> extract_model_answer("<think>9 * 2 = 18</think><answer>The answer is 18 dollars.</answer>")
    '18'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "answer_block",
    "completion_text",
    "extract_gold_answer",
    "extract_model_answer",
    "last_boxed",
    "normalize_answer",
    "opens_think",
    "prompt_text",
    "scored_texts",
]

# Longest answer string kept: a final answer is short; anything longer is prose or garbage.
MAX_ANSWER_CHARS = 1000
# A gold without any marker (no `####`, no `\boxed`) is taken whole only when it is this short.
MAX_PLAIN_GOLD_CHARS = 200
_MAX_BOXED_TRIES = 8
_MAX_BRACED_CHARS = 20_000

_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\b")
_ANSWER_IS_RE = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*(?P<ans>[^\n]+)", re.IGNORECASE
)
_A_COLON_RE = re.compile(r"^\s*A:\s*(?P<ans>[^\n]+)", re.MULTILINE)
_NUMBER_RE = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?(?!\w)")
_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_SENTENCE_END_RE = re.compile(r"\.(?=\s|$)")
_WORD_RE = re.compile(r"(?<!\\)\b[A-Za-z]{3,}\b")


def last_boxed(text: str) -> str | None:
    r"""The content of the last `\boxed{...}` (or `\fbox{...}`), nested braces kept; None if there is none.

    >>> last_boxed(r"a \boxed{1} then \boxed{\frac{3}{4}}")
    '\\frac{3}{4}'
    """
    # Only the last few `\boxed`: a pathological text with thousands of unclosed ones stays linear.
    starts = [match.end() for match in _BOXED_RE.finditer(text)][-_MAX_BOXED_TRIES:]
    for start in reversed(starts):
        content = _braced_after(text, start)
        if content is not None:
            return content
    return None


def answer_block(text: str) -> str | None:
    """The content of the last `<answer>` block (to the end of the text if it is never closed), or None."""
    start = text.rfind("<answer>")
    if start < 0:
        return None
    start += len("<answer>")
    end = text.find("</answer>", start)
    return text[start:] if end < 0 else text[start:end]


def _braced_after(text: str, start: int) -> str | None:
    """The balanced `{...}` group starting at `start` (spaces allowed before it), or `\\boxed 5`."""
    i = start
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] != "{":
        # `\boxed 5` form: one token up to a space or `$`.
        token = re.match(r"[^\s$]+", text[i:])
        return token.group(0) if token and i > start else None
    depth = 0
    for j in range(i, min(len(text), i + _MAX_BRACED_CHARS)):
        char = text[j]
        if char == "\\":
            continue
        if char == "{" and text[j - 1] != "\\":
            depth += 1
        elif char == "}" and text[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None


def _strip_delimiters(answer: str) -> str:
    answer = answer.strip()
    changed = True
    while changed and answer:
        changed = False
        for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"), ("**", "**")):
            if len(answer) > len(left) + len(right) and answer.startswith(left) and answer.endswith(right):
                answer = answer[len(left) : -len(right)].strip()
                changed = True
        if answer.endswith((".", "。")):
            answer = answer[:-1].rstrip()
            changed = True
    return answer


def normalize_answer(answer: str) -> str:
    r"""Canonical surface form of a final answer: no math delimiters, no thousands separators, no `$` sign.

    >>> normalize_answer(" $1,234.50$. ")
    '1234.50'
    >>> normalize_answer(r"10{,}000")
    '10000'
    """
    answer = _strip_delimiters(answer)
    answer = answer.replace("{,}", ",").replace(",\\!", ",").replace("\\!", "")
    answer = re.sub(r"^\\?\$\s*(?=-?\d)", "", answer)  # currency: $18, \$18
    answer = re.sub(r"^(-?)\\?\$\s*(?=\d)", r"\1", answer)  # -$5
    if _THOUSANDS_RE.match(answer):
        answer = answer.replace(",", "")
    return answer.strip()


def _reduce_phrase(phrase: str) -> str:
    """`18 dollars` -> `18`: prose around a single number is dropped; math is kept as written."""
    phrase = normalize_answer(phrase)
    boxed = last_boxed(phrase)
    if boxed is not None:
        return normalize_answer(boxed)
    inline = re.findall(r"(?<!\\)\$([^$]+)\$", phrase)
    if inline and _WORD_RE.search(phrase.replace(inline[-1], "")):
        return normalize_answer(inline[-1])
    if "\\" in phrase or "^" in phrase or "{" in phrase:
        return phrase
    if _WORD_RE.search(phrase):
        numbers = _NUMBER_RE.findall(phrase)
        if len(numbers) == 1:
            number = numbers[0].replace(" ", "")
            percent = re.search(re.escape(numbers[0]) + r"\s*(%|percent)", phrase)
            return normalize_answer(number) + ("%" if percent else "")
    return phrase


def _first_sentence(text: str) -> str:
    end = _SENTENCE_END_RE.search(text)
    return text[: end.start()] if end else text


def _answer_is(text: str) -> str | None:
    matches = list(_ANSWER_IS_RE.finditer(text))
    if not matches:
        return None
    return _first_sentence(matches[-1].group("ans"))


def _clip(answer: str | None) -> str | None:
    if answer is None:
        return None
    answer = answer.strip()
    return answer if answer and len(answer) <= MAX_ANSWER_CHARS else None


def extract_gold_answer(text: str | int | float | None) -> str | None:
    r"""The normalized final answer of a gold solution: GSM8K, MATH or a plain answer; None if there is none.

    GSM8K worked solutions end in `#### <answer>`; MATH solutions put it in the last `\boxed{}`; a plain
    gold (`18`, `\frac{1}{2}`, `$x^2$`, a JSON number) is the answer itself. A long solution with
    neither marker gives its last "the answer is ..." phrase, else None.

    >>> extract_gold_answer("#### 70,000")
    '70000'
    >>> extract_gold_answer(r"so $s = \boxed{1.6} \mathrm{~cm}$")
    '1.6'
    >>> extract_gold_answer(27.0)
    '27'
    >>> extract_gold_answer("   ") is None
    True
    """
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int):
        return str(text)
    if isinstance(text, float):
        return str(int(text)) if text.is_integer() else repr(text)
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text:
        return None
    if "####" in text:
        tail = text.rsplit("####", 1)[1].strip().split("\n", 1)[0]
        return _clip(normalize_answer(tail))
    boxed = last_boxed(text)
    if boxed is not None:
        return _clip(normalize_answer(boxed))
    if "\n" not in text and len(text) <= MAX_PLAIN_GOLD_CHARS:
        phrase = _answer_is(text)
        return _clip(_reduce_phrase(phrase) if phrase else normalize_answer(text))
    phrase = _answer_is(text)
    return _clip(_reduce_phrase(phrase)) if phrase else None


def extract_model_answer(text: str | None) -> str | None:
    r"""The final answer in a model completion, or None.

    In order: the last `<answer>...</answer>` block (its `\boxed{}` if any), else the last `\boxed{}`,
    else `#### X`, else "the answer is X" / "Answer: X" / a line starting with "A: X", else the last
    number in the text. Prose around a single number is dropped (`18 dollars` -> `18`).

    >>> extract_model_answer(r"<think>...</think> <answer>\boxed{\frac{1}{2}}</answer>")
    '\\frac{1}{2}'
    >>> extract_model_answer("Q: 2 + 2?\nA: The answer is 4.")
    '4'
    >>> extract_model_answer("I think it costs 5 then 7 dollars")
    '7'
    >>> extract_model_answer("no numbers here") is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    inner = answer_block(text)
    if inner is not None:
        inner = inner.strip()
        if inner:
            if "####" in inner:
                inner = inner.rsplit("####", 1)[1]
            phrase = _answer_is(inner)
            return _clip(_reduce_phrase(phrase if phrase and len(inner) > len(phrase) + 3 else inner))
    boxed = last_boxed(text)
    if boxed is not None:
        return _clip(normalize_answer(boxed))
    if "####" in text:
        return _clip(_reduce_phrase(text.rsplit("####", 1)[1].strip().split("\n", 1)[0]))
    phrase = _answer_is(text)
    if phrase is None:
        lines = _A_COLON_RE.findall(text)
        phrase = _first_sentence(lines[-1]) if lines else None
    if phrase is not None:
        reduced = _reduce_phrase(phrase)
        if reduced:
            return _clip(reduced)
    numbers = _NUMBER_RE.findall(text[-20000:])
    return _clip(normalize_answer(numbers[-1].replace(" ", ""))) if numbers else None


def completion_text(completion: object) -> str:
    """The text of a completion as GRPO passes it: a string, or chat messages (the last assistant's content).

    >>> completion_text([{"role": "assistant", "content": "<answer>4</answer>"}])
    '<answer>4</answer>'
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        content = completion.get("content")
        return content if isinstance(content, str) else ""
    if isinstance(completion, list | tuple) and completion:
        messages = [m for m in completion if isinstance(m, dict)]
        assistant = [m for m in messages if m.get("role", "assistant") == "assistant"]
        chosen = (assistant or messages or [None])[-1]
        return completion_text(chosen) if chosen is not None else ""
    return ""


def prompt_text(prompt: object) -> str:
    """The text of a prompt: a string, or chat messages (the last user message's content)."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list | tuple) and prompt:
        messages = [m for m in prompt if isinstance(m, dict) and isinstance(m.get("content"), str)]
        users = [m for m in messages if m.get("role") == "user"]
        chosen = (users or messages or [None])[-1]
        return chosen["content"] if chosen is not None else ""
    return ""


def opens_think(prompt: object) -> bool:
    r"""Whether the model's turn starts inside an opened `<think>`: the rendered prompt text ends with it
    (the chat templates of DeepSeek-R1 distills and other reasoning models end with `<think>\n`), or a
    chat prompt ends with an assistant message that does (a prefilled reply). Other prompts: False.

    >>> opens_think("<|im_start|>assistant\n<think>\n"), opens_think("<|im_start|>assistant\n")
    (True, False)
    """
    if isinstance(prompt, str):
        return prompt.rstrip().endswith("<think>")
    if isinstance(prompt, list | tuple) and prompt and isinstance(prompt[-1], dict):
        last = prompt[-1]
        content = last.get("content")
        return (
            last.get("role") == "assistant"
            and isinstance(content, str)
            and content.rstrip().endswith("<think>")
        )
    return False


def scored_texts(
    completions: Sequence[object],
    prompts: Sequence[object] | None = None,
    rendered_prompt: Sequence[object] | None = None,
) -> list[str]:
    r"""The completions' texts as the format rewards and training statistics read them: `<think>` put
    back in front where the row's prompt opened it. Per row, the rendered prompt text (the
    `rendered_prompt` column `r1 train zero` adds for chat prompts) decides when given, else the prompt.

    >>> scored_texts(["x</think><answer>4</answer>", "<think>x</think>"], ["Q<think>\n", "Q"])
    ['<think>x</think><answer>4</answer>', '<think>x</think>']
    """
    texts = []
    for index, completion in enumerate(completions):
        text = completion_text(completion)
        rendered = _at(rendered_prompt, index)
        if opens_think(rendered if isinstance(rendered, str) else _at(prompts, index)):
            text = "<think>" + text
        texts.append(text)
    return texts


def _at(values: Sequence[object] | None, index: int) -> object:
    return values[index] if values is not None and index < len(values) else None
