"""The one error path: known exceptions become one line on stderr and a non-zero exit.

`R1_DEBUG=1` re-raises instead, so the full traceback is shown.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from r1cli.errors import R1Error

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class R1Group(TyperGroup):
    """Root group that maps user mistakes to `r1: error: ...` and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except R1Error as exc:
            _raise_if_debugging()
            message = f"r1: error: {_one_line(exc.message)}"
            if exc.hint:
                message += f" ({_one_line(exc.hint)})"
            print(message, file=sys.stderr)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except OSError as exc:
            # A path the user gave that cannot be read or written (permissions, missing parent, full disk).
            if exc.filename is None:
                raise
            _raise_if_debugging()
            print(f"r1: error: cannot use {exc.filename}: {exc.strerror}", file=sys.stderr)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except KeyboardInterrupt:
            _raise_if_debugging()
            print("r1: interrupted", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None


def _raise_if_debugging() -> None:
    """`R1_DEBUG=1` (anything but empty, 0, false, no) shows the full traceback instead."""
    if os.environ.get("R1_DEBUG", "").strip().lower() not in ("", "0", "false", "no"):
        raise
