"""Talk on stderr once per launch: `note()` for `r1: note:` lines, `is_main_process()` for the rest;
`world_size()`: how many processes the launch has.

Under torchrun every process runs the same command; only the main one (RANK 0) speaks, so a note
appears once, not once per GPU.
"""

from __future__ import annotations

import os
import sys


def is_main_process() -> bool:
    """Whether this is the main process of the launch (RANK 0, or no launcher at all)."""
    return int(os.environ.get("RANK", "0") or 0) == 0


def world_size() -> int:
    """Processes in this launch (torchrun / accelerate set WORLD_SIZE)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


_SAID: set[str] = set()


def note(message: str, *, once: bool = False) -> None:
    """One `r1: note: ...` line on stderr, from the main process only; `once`: not again in this process."""
    if once:
        if message in _SAID:
            return
        _SAID.add(message)
    if is_main_process():
        print(f"r1: note: {message}", file=sys.stderr)
