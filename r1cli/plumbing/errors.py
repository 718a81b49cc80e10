"""The one error type for user mistakes.

Core modules raise `R1Error("what is wrong", hint="how to fix")`; the CLI entry point prints it as one
line on stderr and exits non-zero (`R1_DEBUG=1` shows the traceback instead).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class R1Error(Exception):
    """A mistake the user can fix: bad input, bad recipe, missing file, unreachable hub."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean X?' hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
