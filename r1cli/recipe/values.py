"""Typed values for recipe keys: what type a key expects, and turning strings into it.

Command-line and environment overrides arrive as strings (`1e-4`, `true`, `[accuracy,format]`);
they are converted with the type the key expects, so `--model.revision 5` stays the string "5"
while `--grpo.max_steps 5` becomes the integer 5. Recipe-file values arrive typed and are checked.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from typing import Any

from r1cli.plumbing.errors import R1Error

# The kinds a key may accept; ANY means "unchecked" (a TRL field with an exotic type).
ANY = "any"
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.IGNORECASE)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def kinds_of_value(value: Any) -> frozenset[str]:
    """The kinds a default value implies (an int default also accepts floats written as ints)."""
    if isinstance(value, bool):
        return frozenset({"bool"})
    if isinstance(value, int):
        return frozenset({"int"})
    if isinstance(value, float):
        return frozenset({"float"})
    if isinstance(value, str):
        return frozenset({"str"})
    if isinstance(value, list):
        return frozenset({"list"})
    if isinstance(value, dict):
        return frozenset({"dict"})
    return frozenset({ANY})


def kinds_of_annotation(annotation: Any) -> frozenset[str]:
    """The kinds a dataclass field annotation accepts (`float | None` -> {float, none})."""
    if isinstance(annotation, str):  # postponed annotations we cannot resolve: don't check
        return frozenset({ANY})
    if annotation is type(None):
        return frozenset({"none"})
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds: set[str] = set()
        for arg in typing.get_args(annotation):
            kinds |= kinds_of_annotation(arg)
        return frozenset(kinds)
    if origin is typing.Literal:
        literal_kinds: set[str] = set()
        for arg in typing.get_args(annotation):
            literal_kinds |= kinds_of_value(arg)
        return frozenset(literal_kinds or {ANY})
    if origin in (list, tuple, typing.List, typing.Tuple):  # noqa: UP006
        return frozenset({"list"})
    if origin in (dict, typing.Dict):  # noqa: UP006
        return frozenset({"dict"})
    simple = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}
    if annotation in simple:
        return frozenset({simple[annotation]})
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return frozenset({"str"})
    return frozenset({ANY})


def _split_list(text: str) -> list[str]:
    inner = text.strip()[1:-1].strip()
    if not inner:
        return []
    return [item.strip().strip("'\"") for item in inner.split(",") if item.strip()]


def parse_string(text: str, kinds: frozenset[str], key: str) -> Any:
    """Convert an override string to the type `key` expects."""
    stripped = text.strip()
    quoted = len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\""
    if quoted:
        stripped = stripped[1:-1]
        if "str" in kinds or ANY in kinds:
            return stripped
    lowered = stripped.lower()
    if "none" in kinds and "str" not in kinds and lowered in {"none", "null"}:
        return None
    if "bool" in kinds and lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    if "list" in kinds and (stripped.startswith("[") or "," in stripped or ANY in kinds):
        items = (
            _split_list(stripped) if stripped.startswith("[") else [s.strip() for s in stripped.split(",")]
        )
        return [parse_string(item, frozenset({ANY}), key) for item in items if item]
    if "int" in kinds and _INT_RE.match(stripped):
        return int(stripped)
    if "float" in kinds and (_FLOAT_RE.match(stripped) or _INT_RE.match(stripped)):
        return float(stripped)
    if "str" in kinds:
        return stripped
    if ANY in kinds:  # unknown key or exotic type: best guess
        if lowered in {"true", "false"}:
            return lowered == "true"
        if _INT_RE.match(stripped):
            return int(stripped)
        if _FLOAT_RE.match(stripped):
            return float(stripped)
        if stripped.startswith("[") and stripped.endswith("]"):
            return [parse_string(item, kinds, key) for item in _split_list(stripped)]
        return stripped
    raise R1Error(f"{key}: expected {describe(kinds)}, got '{text}'")


def check_value(value: Any, kinds: frozenset[str], key: str, origin: str) -> Any:
    """Check a typed value (from TOML) against the expected kinds; ints are accepted for floats."""
    if ANY in kinds:
        return value
    if value is None:
        if "none" in kinds:
            return value
        raise R1Error(f"{key} cannot be unset: it takes {describe(kinds)} (from {origin})")
    if isinstance(value, bool):
        ok = "bool" in kinds
    elif isinstance(value, int):
        ok = "int" in kinds or "float" in kinds
        if ok and "int" not in kinds:
            value = float(value)
    elif isinstance(value, float):
        ok = "float" in kinds
    elif isinstance(value, str):
        ok = "str" in kinds
    elif isinstance(value, list):
        ok = "list" in kinds
    elif isinstance(value, dict):
        ok = "dict" in kinds
    else:
        ok = False
    if not ok:
        raise R1Error(
            f"{key}: expected {describe(kinds)}, got {type(value).__name__} {value!r} (from {origin})"
        )
    return value


def describe(kinds: frozenset[str]) -> str:
    names = {
        "bool": "true/false",
        "int": "an integer",
        "float": "a number",
        "str": "a string",
        "list": "a list",
        "dict": "a table",
        "none": "none",
    }
    return " or ".join(names.get(kind, kind) for kind in sorted(kinds))
