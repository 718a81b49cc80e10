"""The `r1` console script: what must happen before the CLI itself is imported, then the CLI.

`r1 reward score` starts math-verify's fork server first, so that its imports (~0.4 s) overlap those of
typer and the command modules instead of following them.
"""

from __future__ import annotations

import sys


def run() -> None:
    if sys.argv[1:3] == ["reward", "score"] and "--help" not in sys.argv:
        from r1cli.rewards.verifier import prestart_server

        prestart_server()
    from r1cli.cli.main import run as run_cli

    run_cli()
