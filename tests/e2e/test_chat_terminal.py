"""`r1 chat` in a real terminal (a pseudo-terminal driven by pexpect): streaming, commands, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import signal
import sys
import time

import pytest

pexpect = pytest.importorskip("pexpect", reason="pexpect (dev extra) drives the terminal")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")]


def _model_that_always_says_seven(model_dir):
    """A fixed output instead of whatever a random model says: "7 7 7 ..." that never ends by itself (a
    random model's greedy answer may end before Ctrl-C arrives). The spaces matter: the streamer hands
    text on at word boundaries, so "7777..." would arrive all at once at the end."""
    from transformers import AutoTokenizer, GenerationConfig

    seven, space = AutoTokenizer.from_pretrained(model_dir).convert_tokens_to_ids(["7", "Ġ"])
    config = GenerationConfig.from_pretrained(model_dir)
    config.sequence_bias = [[[seven], 1000.0], [[seven, space], 2000.0]]  # 7, then a space after each 7
    config.save_pretrained(model_dir)
    return model_dir


def _interruptible() -> None:
    """The chat as a terminal starts it: SIGINT neither ignored nor blocked. Both are inherited through exec,
    and a process that ignores SIGINT at start gets no KeyboardInterrupt: a suite started in the background
    (`pytest &` in a script: the shell ignores SIGINT for it) made this test fail, the answer never stopped."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_commands_ctrl_c_and_ctrl_d_in_a_terminal(tmp_path):
    from r1cli.models.tiny import build_tiny_model

    # 8192 positions: an answer of 8000 tokens lasts seconds, so Ctrl-C arrives mid-answer even when this
    # process is slow to send it (with 512 positions a loaded machine saw the answer end first).
    tiny = build_tiny_model(tmp_path / "tiny", {"max_position_embeddings": 8192})
    model = _model_that_always_says_seven(tiny)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "r1cli.cli.main", "chat", str(model), "--temperature", "0"],
        encoding="utf-8",
        timeout=300,  # a loaded machine takes long to import torch and transformers
        dimensions=(40, 200),
        preexec_fn=_interruptible,
    )
    try:
        child.expect("/help for commands")
        child.expect(">>> ")
        child.sendline("/help")
        child.expect(r"/think on\|off")
        child.expect(">>> ")
        child.sendline("/max_tokens 8000")  # long enough that Ctrl-C arrives mid-answer
        child.expect("max_tokens 8000")
        child.expect(">>> ")
        child.sendline("What is 2 + 3?")
        child.expect(r"What is 2 \+ 3\?\r\n")
        child.expect("7")  # the first streamed token
        started = time.monotonic()
        child.sendintr()
        child.expect(r"\[stopped\]")
        assert time.monotonic() - started < 30
        child.expect(">>> ")  # still running: Ctrl-C stopped the answer, not the chat
        child.sendline("/max_tokens 4")
        child.expect("max_tokens 4")
        child.expect(">>> ")
        child.sendline("And 3 + 4?")  # a second turn, answered in full
        child.expect(r"And 3 \+ 4\?\r\n")
        child.expect(r"7 7 \r\n")  # the four tokens, in full
        child.expect(">>> ")
        child.sendline("/think off")
        child.expect("reasoning hidden")
        child.sendline("/temperature 0.5")
        child.expect("temperature 0.5")
        child.sendline("/system Be brief.")
        child.expect("system prompt set")
        child.sendline("/reset")
        child.expect("conversation cleared")
        child.sendline("/nope")
        child.expect("unknown command /nope")
        child.expect(">>> ")
        child.send("half a line")
        child.expect("half a line")  # echoed: the line is being read, not typed ahead
        child.sendintr()  # Ctrl-C at the prompt clears the line
        child.expect(">>> ")
        child.sendeof()  # Ctrl-D quits
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
