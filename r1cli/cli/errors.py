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
            if os.environ.get("R1_DEBUG"):
                raise
            message = f"r1: error: {_one_line(exc.message)}"
            if exc.hint:
                message += f" ({_one_line(exc.hint)})"
            print(message, file=sys.stderr)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except KeyboardInterrupt:
            if os.environ.get("R1_DEBUG"):
                raise
            print("r1: interrupted", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None
