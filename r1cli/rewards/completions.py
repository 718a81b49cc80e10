"""The texts rewards read: a completion or prompt as GRPO passes it (a string, or chat messages), and
whether the model's turn started inside an opened `<think>`, so that format rewards see the whole turn.

    >>> completion_text([{"role": "user", "content": "2 + 2?"}, {"role": "assistant", "content": "4"}])
    '4'
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["completion_text", "opens_think", "prompt_text", "scored_texts"]


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
