"""The one error path: known exceptions become one line on stderr and a non-zero exit.

`R1_DEBUG=1` re-raises instead, so the full traceback is shown.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from r1cli.plumbing.errors import R1Error

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# Typer's usage errors (missing option, bad value) derive from this; reached through public typer names.
_USAGE_ERROR = next(base for base in typer.BadParameter.__mro__ if base.__name__ == "ClickException")
EXIT_USAGE = 2


class R1Group(TyperGroup):
    """Root group that maps user mistakes to `r1: error: ...` and an exit code."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Usage mistakes as one line too (Typer would print a boxed panel), exit 2 as usual."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except _USAGE_ERROR as exc:
            message = _one_line(exc.format_message())
            if message:  # empty after `no_args_is_help` has printed the help
                context = getattr(exc, "ctx", None)
                where = f" (see '{context.command_path} --help')" if context is not None else ""
                print(f"r1: error: {message}{where}", file=sys.stderr)
            sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
        except typer.Abort:
            print("r1: aborted", file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)
        sys.exit(code if isinstance(code, int) else 0)

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
