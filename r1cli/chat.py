"""`r1 chat`: talk to a model in the terminal, or ask it one question from a script.

    session = ChatSession(model, tokenizer, ChatSettings(system_prompt=recipe.get("data.system_prompt")))
    completion = session.reply("What is 2 + 3?", on_text=print_chunk)   # streams, keeps the history
    run_repl(session, console)                                          # the interactive loop

Tokens stream from `model.generate` through transformers' `TextIteratorStreamer` (generation runs
in a thread; the main thread prints). `TagRenderer` splits the stream on `<think>`/`<answer>` tags,
which may arrive cut in pieces, so the reasoning can be dimmed or hidden and the answer
highlighted. Ctrl-C (SIGINT) during an answer stops generation at the next token and keeps what was
said; the reasoning of earlier turns is left out of the history, as DeepSeek-R1 does.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.rewards.answers import answer_block

TAGS = {"<think>": "think", "</think>": "other", "<answer>": "answer", "</answer>": "other"}


@dataclass
class ChatSettings:
    """What /system, /temperature, /max_tokens and /think change."""

    system_prompt: str = ""
    temperature: float = 0.7
    top_p: float = 0.95
    max_new_tokens: int = 256
    show_think: bool = True


def answer_text(completion: str) -> str:
    """The answer part of a completion: its `<answer>` block, else what follows `</think>`, else all of it.

    >>> answer_text("<think>2 + 3 = 5</think>\\n<answer>\\n5\\n</answer>"), answer_text("<think>x</think> 5")
    ('5', '5')
    """
    block = answer_block(completion)
    if block is not None:
        return block.strip()
    if "</think>" in completion:
        return completion.rsplit("</think>", 1)[1].strip()
    return completion.strip()


class TagRenderer:
    """Streamed text -> (part, text) pieces; part is "think", "answer", "other" or "tag".

    A chunk ending in what may be the start of a tag (`<thi`) is held back until the next chunk says.

    >>> r = TagRenderer()
    >>> r.feed("<thi") + r.feed("nk>a+b</th") + r.feed("ink><answer>5</answer>") + r.flush()
    [('tag', '<think>'), ('think', 'a+b'), ('tag', '</think>'), ('tag', '<answer>'), ('answer', '5'), ('tag', '</answer>')]
    """

    def __init__(self, part: str = "other"):
        self.part = part
        self._pending = ""

    def feed(self, text: str) -> list[tuple[str, str]]:
        text = self._pending + text
        self._pending = ""
        pieces: list[tuple[str, str]] = []
        while text:
            start = text.find("<")
            if start < 0:
                pieces.append((self.part, text))
                break
            if start:
                pieces.append((self.part, text[:start]))
                text = text[start:]
            tag = next((t for t in TAGS if text.startswith(t)), None)
            if tag is not None:
                pieces.append(("tag", tag))
                self.part = TAGS[tag]
                text = text[len(tag) :]
            elif any(t.startswith(text) for t in TAGS):  # a tag cut in two: wait for the rest
                self._pending = text
                break
            else:
                pieces.append((self.part, "<"))
                text = text[1:]
        return pieces

    def flush(self) -> list[tuple[str, str]]:
        rest, self._pending = self._pending, ""
        return [(self.part, rest)] if rest else []


@dataclass
class ChatSession:
    """A conversation with one model: the history, the settings, and streamed replies."""

    model: Any
    tokenizer: Any
    settings: ChatSettings = field(default_factory=ChatSettings)
    history: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not getattr(self.tokenizer, "chat_template", None):
            raise R1Error(
                "this model's tokenizer has no chat template",
                hint="chat needs an instruct/chat model, or a folder r1 trained (they keep the template)",
            )

    def messages(self, user_text: str) -> list[dict[str, str]]:
        system = (
            [{"role": "system", "content": self.settings.system_prompt}]
            if self.settings.system_prompt
            else []
        )
        return [*system, *self.history, {"role": "user", "content": user_text}]

    def prompt_opens_think(self, user_text: str = "") -> bool:
        """Templates of reasoning models end the prompt with `<think>`: the reply starts inside it."""
        text = self.tokenizer.apply_chat_template(
            self.messages(user_text), add_generation_prompt=True, tokenize=False
        )
        return text.rstrip().endswith("<think>")

    def stream(self, user_text: str, stop: threading.Event) -> Iterator[str]:
        """Yield the reply's text as it is generated; `stop.set()` ends it at the next token."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _StopWhenSet(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full(
                    (input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device
                )

        inputs = self.tokenizer.apply_chat_template(
            self.messages(user_text), add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.model.device)
        streamer = TextIteratorStreamer(
            self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=0.1
        )
        sampling = (
            {"do_sample": True, "temperature": self.settings.temperature, "top_p": self.settings.top_p}
            if self.settings.temperature > 0
            else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        )
        failure: list[BaseException] = []

        def generate() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(
                        **inputs,
                        streamer=streamer,
                        max_new_tokens=self.settings.max_new_tokens,
                        stopping_criteria=StoppingCriteriaList([_StopWhenSet()]),
                        pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
                        **sampling,
                    )
            except BaseException as exc:  # handed to the main thread, which re-raises it
                failure.append(exc)
                streamer.end()

        worker = threading.Thread(target=generate, name="r1-chat-generate", daemon=True)
        worker.start()
        try:
            while True:
                try:
                    yield next(streamer)
                except queue.Empty:  # nothing new yet: keeps the main thread responsive to Ctrl-C
                    if not worker.is_alive() and streamer.text_queue.empty():
                        break
                except StopIteration:
                    break
        finally:
            stop.set()
            worker.join()
        if failure:
            raise failure[0]

    def reply(
        self,
        user_text: str,
        on_text: Callable[[str], None] | None = None,
        stop: threading.Event | None = None,
    ) -> str:
        """Generate a reply (streamed to `on_text`), add the turn to the history; the whole completion.

        A KeyboardInterrupt stops generation and is re-raised; what was generated so far is kept.
        """
        stop = stop or threading.Event()
        chunks: list[str] = []
        try:
            # closing(): an interrupt while printing also ends the generation thread
            with contextlib.closing(self.stream(user_text, stop)) as stream:
                for chunk in stream:
                    chunks.append(chunk)
                    if on_text is not None:
                        on_text(chunk)
        finally:
            completion = "".join(chunks)
            # Earlier reasoning is not sent back (DeepSeek-R1's rule for multi-turn chat).
            self.history += [
                {"role": "user", "content": user_text},
                {"role": "assistant", "content": completion.rsplit("</think>", 1)[-1].strip()},
            ]
        return completion

    def reset(self) -> None:
        self.history.clear()


# ---- the interactive loop -----------------------------------------------------------------------

HELP = """commands:
  /reset              forget the conversation (the system prompt stays)
  /system TEXT        set the system prompt (/system alone shows it, /system none removes it)
  /temperature X      sampling temperature (0 = greedy)
  /max_tokens N       most new tokens per answer
  /think on|off       show or hide the reasoning (<think> ... </think>)
  /help               this list
  /exit               quit (or Ctrl-D); Ctrl-C stops the current answer"""
COMMANDS = ("/reset", "/system", "/temperature", "/max_tokens", "/think", "/help", "/exit", "/quit")
STYLES = {"think": "dim italic", "answer": "bold green", "tag": "dim", "other": ""}


def run_command(session: ChatSession, line: str) -> tuple[bool, str]:
    """Apply one /command: (keep going?, what to tell the user)."""
    name, _, argument = line.strip().partition(" ")
    argument = argument.strip()
    settings = session.settings
    if name in ("/exit", "/quit"):
        return False, ""
    if name == "/help":
        return True, HELP
    if name == "/reset":
        session.reset()
        return True, "conversation cleared"
    if name == "/system":
        if not argument:
            return True, f"system prompt: {settings.system_prompt or '(none)'}"
        settings.system_prompt = "" if argument.lower() == "none" else argument
        return True, "system prompt set" if settings.system_prompt else "system prompt removed"
    if name == "/temperature":
        try:
            value = float(argument)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 10:
            return True, "usage: /temperature X with X between 0 (greedy) and 10"
        settings.temperature = value
        return True, f"temperature {value:g}" + (" (greedy)" if value == 0 else "")
    if name == "/max_tokens":
        if not argument.isdigit() or int(argument) < 1:
            return True, "usage: /max_tokens N with N >= 1"
        settings.max_new_tokens = int(argument)
        return True, f"max_tokens {settings.max_new_tokens}"
    if name == "/think":
        if argument not in ("on", "off"):
            return True, "usage: /think on|off"
        settings.show_think = argument == "on"
        return True, "reasoning shown" if settings.show_think else "reasoning hidden"
    hint = did_you_mean(name, COMMANDS)
    return True, f"unknown command {name}" + (f": {hint}" if hint else "") + " (/help lists them)"


def run_repl(session: ChatSession, console: Any, read: Callable[[str], str] = input) -> None:
    """Read a line, answer it streaming, until /exit or Ctrl-D. Ctrl-C stops an answer, or clears the line."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and history for input()
    console.print("[dim]r1 chat · /help for commands · Ctrl-C stops an answer · Ctrl-D quits[/dim]")
    while True:
        try:
            line = read(">>> ")
        except EOFError:
            console.print()
            return
        except KeyboardInterrupt:
            console.print()
            continue
        try:
            if line.lstrip().startswith("/"):
                keep_going, message = run_command(session, line)
                if message:
                    console.print(message, style="cyan", markup=False, highlight=False)
                if not keep_going:
                    return
            elif line.strip():
                _answer(session, line, console)
        except KeyboardInterrupt:  # Ctrl-C outside an answer (while printing): back to the prompt
            console.print()


def _answer(session: ChatSession, line: str, console: Any) -> None:
    opens_think = session.prompt_opens_think(line)
    renderer = TagRenderer("think" if opens_think else "other")
    state = {"hidden_note": False}

    def show(pieces: list[tuple[str, str]]) -> None:
        for part, text in pieces:
            in_think = part == "think" or (part == "tag" and text in ("<think>", "</think>"))
            if in_think and not session.settings.show_think:
                if not state["hidden_note"]:
                    console.print("(thinking…) ", style="dim", end="", markup=False, highlight=False)
                    state["hidden_note"] = True
                continue
            console.print(text, style=STYLES[part], end="", markup=False, highlight=False, soft_wrap=True)

    try:
        session.reply(line, on_text=lambda chunk: show(renderer.feed(chunk)))
        show(renderer.flush())
        console.print()
    except KeyboardInterrupt:
        show(renderer.flush())
        console.print("\n[stopped]", style="yellow", markup=False, highlight=False)


def ask(session: ChatSession, question: str, full: bool = False) -> str:
    """One question, no streaming to the terminal: the answer part alone, or the whole completion."""
    completion = session.reply(question)
    return completion.strip() if full else answer_text(completion)
