"""r1cli.chat without a model: tag-aware rendering of a stream, the /commands, the answer part."""

from __future__ import annotations

import doctest

import pytest

import r1cli.chat
from r1cli.chat import ChatSession, ChatSettings, TagRenderer, answer_text, run_command, run_repl
from r1cli.plumbing.errors import R1Error


class _Tokenizer:
    chat_template = "{{ messages }}"


def _session(**settings) -> ChatSession:
    return ChatSession(model=None, tokenizer=_Tokenizer(), settings=ChatSettings(**settings))


def _render(chunks: list[str], part: str = "other") -> list[tuple[str, str]]:
    renderer = TagRenderer(part)
    pieces = [piece for chunk in chunks for piece in renderer.feed(chunk)] + renderer.flush()
    merged: list[tuple[str, str]] = []  # join neighbours of the same part: chunking must not matter
    for kind, text in pieces:
        if merged and merged[-1][0] == kind != "tag":
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def test_tags_cut_anywhere_in_the_stream_are_recognized():
    text = "<think>\n2 < 3 and 2 + 3 = 5\n</think>\n<answer>\n5\n</answer>"
    expected = [
        ("tag", "<think>"),
        ("think", "\n2 < 3 and 2 + 3 = 5\n"),
        ("tag", "</think>"),
        ("other", "\n"),
        ("tag", "<answer>"),
        ("answer", "\n5\n"),
        ("tag", "</answer>"),
    ]
    assert _render([text]) == expected
    for size in (1, 2, 3, 5, 7):
        assert _render([text[i : i + size] for i in range(0, len(text), size)]) == expected


def test_a_prompt_that_opens_think_starts_the_reply_inside_it():
    assert _render(["a+b", "</think><answer>5</answer>"], part="think")[:2] == [
        ("think", "a+b"),
        ("tag", "</think>"),
    ]
    assert _render(["x <thin"]) == [("other", "x <thin")]  # an unfinished tag at the end is text


def test_answer_text_picks_the_answer_part():
    assert answer_text("<think>r</think>\n<answer>\n42\n</answer>") == "42"
    assert answer_text("<think>r</think> then 42") == "then 42"
    assert answer_text("just 42 ") == "just 42"
    assert answer_text("<think>r</think><answer>42") == "42"  # cut by max_new_tokens


def test_commands_change_the_settings_and_history():
    session = _session(system_prompt="R1 prompt")
    session.history += [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert run_command(session, "/temperature 0") == (True, "temperature 0 (greedy)")
    assert run_command(session, "/max_tokens 64") == (True, "max_tokens 64")
    assert run_command(session, "/think off") == (True, "reasoning hidden")
    assert (session.settings.temperature, session.settings.max_new_tokens, session.settings.show_think) == (
        0,
        64,
        False,
    )
    assert run_command(session, "/system Be brief.") == (True, "system prompt set")
    assert session.messages("q")[0] == {"role": "system", "content": "Be brief."}
    assert run_command(session, "/system none")[1] == "system prompt removed"
    assert session.messages("q")[0]["role"] == "user"
    assert run_command(session, "/reset") == (True, "conversation cleared") and session.history == []
    assert run_command(session, "/exit") == (False, "")
    assert "/max_tokens N" in run_command(session, "/help")[1]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/temperature hot", "usage: /temperature X"),
        ("/temperature -1", "usage: /temperature X"),
        ("/max_tokens 0", "usage: /max_tokens N"),
        ("/think maybe", "usage: /think on|off"),
        ("/rest", "unknown command /rest: did you mean '/reset'?"),
    ],
)
def test_bad_commands_say_how_to_use_them(line, message):
    session = _session()
    keep_going, text = run_command(session, line)
    assert keep_going and text.startswith(message)
    assert session.settings == ChatSettings()


def test_a_tokenizer_without_chat_template_is_refused():
    class Plain:
        chat_template = None

    with pytest.raises(R1Error, match="no chat template"):
        ChatSession(model=None, tokenizer=Plain())


def test_docstring_examples():
    assert doctest.testmod(r1cli.chat).failed == 0


class _ScriptedSession(ChatSession):
    """Replies with fixed chunks (the model's part is tested in tests/e2e): checks what the terminal shows."""

    chunks = ("<th", "ink>\n2 + 3 = 5\n</think>\n<ans", "wer>\n5\n</answer>")

    def reply(self, user_text, on_text=None, stop=None):
        for chunk in self.chunks:
            on_text(chunk)
        self.history.append({"role": "user", "content": user_text})
        return "".join(self.chunks)


class _TemplateTokenizer(_Tokenizer):
    def apply_chat_template(self, messages, add_generation_prompt=True, tokenize=False):
        return "\n".join(m["content"] for m in messages) + "\nassistant:"


def _chat(lines: list[str]) -> str:
    from rich.console import Console

    console = Console(record=True, force_terminal=True, color_system="standard", width=120)
    session = _ScriptedSession(model=None, tokenizer=_TemplateTokenizer())
    feed = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    run_repl(session, console, read=read)
    return console.export_text(styles=True)


def test_reasoning_is_dimmed_and_the_answer_highlighted():
    shown = _chat(["What is 2 + 3?"])
    assert "\x1b[2;3m2 + 3 = 5\x1b[0m" in shown  # think: dim italic
    assert "\x1b[1;32m5\x1b[0m" in shown  # answer: bold green
    assert "\x1b[2m<think>\x1b[0m" in shown


def test_think_off_hides_the_reasoning_and_eof_quits():
    shown = _chat(["/think off", "What is 2 + 3?"])
    assert "reasoning hidden" in shown and "(thinking…)" in shown
    assert "2 + 3 = 5" not in shown and "<think>" not in shown and "\x1b[1;32m5\x1b[0m" in shown
