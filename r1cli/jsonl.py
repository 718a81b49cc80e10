"""JSON Lines in: one parser for every command that reads `.jsonl` (data prepare, reward score).

Each non-blank line yields its number and either the parsed object or the reason it is unusable
(not UTF-8, malformed JSON, not an object), so callers can stop at the first bad line or skip it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

_TYPE_NAMES = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


def json_type(value: Any) -> str:
    """How a JSON value's type reads in a message: 'an array', 'a number', 'null'..."""
    return "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)


def json_lines(data: bytes) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, object, None) for each good line, (line number, None, reason) for each bad one.

    >>> list(json_lines(b'{"a": 1}\\n\\n[2]\\n{"b": \\n'))[1:]
    [(3, None, 'expected a JSON object, got an array'), (4, None, 'malformed JSON (Expecting value, column 7)')]
    """
    # Split on "\n" only: JSON strings may hold raw U+2028 and friends, which splitlines() would cut.
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})"
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, None, f"malformed JSON ({exc.msg}, column {exc.colno})"
            continue
        except RecursionError:
            yield number, None, "malformed JSON (nested too deeply)"
            continue
        if not isinstance(value, dict):
            yield number, None, f"expected a JSON object, got {json_type(value)}"
            continue
        yield number, value, None
