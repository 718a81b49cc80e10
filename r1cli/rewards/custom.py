"""Your own reward functions, named next to the built-in ones: `module:function` or `path/file.py:function`.

    r1 train zero --rewards.functions [accuracy,format,my_rewards:countdown]
    r1 reward score rows.jsonl --rewards accuracy,rewards/countdown.py:countdown

The function has trl's reward signature: `f(completions, **kwargs) -> list[float | None]`, one value per
completion, with the dataset's columns (`solution`, `prompts`, your own) as keyword arguments. The
folder r1 runs in is importable, as it is for `python -m`. Every mistake (a module that does not
import, a missing or non-callable attribute, an exception or the wrong number of values on one real
row) is one line naming the reward, before any model loads.

    >>> is_reference("accuracy"), is_reference("my_rewards:countdown")
    (False, True)
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from r1cli.plumbing.errors import R1Error

RewardFunction = Callable[..., list[float | None]]


def logged_name(reference: str) -> str:
    """The name trl logs a user's reward under (`rewards/<name>/mean`): the function's.

    >>> logged_name("rewards/countdown.py:countdown")
    'countdown'
    """
    return _split(reference)[1]


def is_reference(name: str) -> bool:
    """Whether a reward name points at the user's code (`module:function`, `file.py:function`)."""
    return ":" in name


def _split(reference: str) -> tuple[str, str]:
    where, _, attribute = reference.rpartition(":")
    if not where or not attribute.isidentifier():
        raise R1Error(
            f"reward '{reference}': expected module:function or path/to/file.py:function",
            hint="e.g. my_rewards:countdown (my_rewards.py in the current folder)",
        )
    return where, attribute


def _is_file(where: str) -> bool:
    return where.endswith(".py") or "/" in where or os.sep in where


def source_file(reference: str) -> Path | None:
    """The file a reference's code is in (None for a module that is not a plain file)."""
    where, _ = _split(reference)
    if _is_file(where):
        return Path(where).expanduser().resolve()
    _current_folder_importable()
    try:
        spec = importlib.util.find_spec(where)
    except (ImportError, ValueError):
        return None
    origin = getattr(spec, "origin", None)
    return Path(origin) if origin and origin.endswith(".py") else None


def _current_folder_importable() -> None:
    """`my_rewards:f` finds my_rewards.py in the folder r1 runs in (a console script does not add it)."""
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)


def load_reward(reference: str) -> RewardFunction:
    """The function a reference names; R1Error naming the reward for anything that is not one."""
    where, attribute = _split(reference)
    try:
        if _is_file(where):
            path = Path(where).expanduser()
            if not path.is_file():
                raise R1Error(f"reward '{reference}': file not found: {path}")
            spec = importlib.util.spec_from_file_location(f"r1_reward_{path.stem}", path)
            if spec is None or spec.loader is None:
                raise R1Error(f"reward '{reference}': {path} is not a Python file")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            _current_folder_importable()
            module = importlib.import_module(where)
    except R1Error:
        raise
    except Exception as exc:  # the user's module failed to import: say how, in one line
        raise R1Error(f"reward '{reference}': cannot import {where}: {type(exc).__name__}: {exc}") from None
    function = getattr(module, attribute, None)
    if function is None:
        raise R1Error(f"reward '{reference}': {where} has no attribute '{attribute}'")
    if not callable(function):
        raise R1Error(
            f"reward '{reference}': {where}.{attribute} is a {type(function).__name__}, not a function"
        )
    return function


# What a dry call scores when the row has no completion of its own (a prompt row of train zero, sample reject).
SAMPLE_COMPLETION = "<think>\n1 + 1 = 2\n</think>\n<answer>\n2\n</answer>"


def row_arguments(row: Mapping[str, Any]) -> dict[str, Any]:
    """trl's keyword arguments for one prompt row and a made-up completion (chat or text, as the prompt)."""
    prompt = row.get("prompt")
    completion = (
        [{"role": "assistant", "content": SAMPLE_COMPLETION}]
        if isinstance(prompt, list)
        else SAMPLE_COMPLETION
    )
    columns = {key: [value] for key, value in row.items() if key not in ("prompt", "completion")}
    return {"prompts": [prompt], "completions": [completion], **columns}


def check_call(function: RewardFunction, reference: str, arguments: Mapping[str, Any]) -> None:
    """Call a user's reward once with one row's keyword arguments: an exception, or anything but one
    number or None, is one line naming the reward."""
    try:
        values = function(**arguments)
        if inspect.iscoroutine(values):  # an async reward, as trl accepts
            values = asyncio.run(values)
    except Exception as exc:
        given = ", ".join(sorted(arguments))
        raise R1Error(
            f"reward '{reference}' failed on the first row: {type(exc).__name__}: {exc}",
            hint=f"it is called as f({given}, **kwargs)",
        ) from None
    if not isinstance(values, list | tuple) or len(values) != 1:
        got = f"{len(values)} values" if isinstance(values, list | tuple) else f"a {type(values).__name__}"
        raise R1Error(
            f"reward '{reference}' returned {got} for 1 completion",
            hint="return a list, one value per completion",
        )
    value = values[0]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise R1Error(f"reward '{reference}' returned {value!r}: each value must be a number or None")


def source_digests(references: list[str]) -> dict[str, str]:
    """{reference: sha256 of its file} for the user's rewards: a resumed run refuses a changed one."""
    digests = {}
    for reference in references:
        path = source_file(reference) if is_reference(reference) else None
        if path is not None and path.is_file():
            digests[reference] = "sha256 " + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return digests
