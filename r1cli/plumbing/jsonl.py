"""JSON Lines in and out: one parser for every command that reads `.jsonl`, and the two ways r1 writes one.

Reading: each non-blank line yields its number and either the parsed object or the reason it is unusable
(not UTF-8, malformed JSON, not an object), so callers can stop at the first bad line or skip it.
Writing: `atomic_write` (all or nothing, e.g. `r1 reward score -o`), and `AppendWriter`, which appends a
batch at a time and resumes a file an interrupted run left behind (generation stages).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text

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


def dumps(row: dict[str, Any]) -> str:
    """One row as one JSON line (UTF-8 kept as is, newline included)."""
    return json.dumps(row, ensure_ascii=False) + "\n"


def check_output_path(output: Path) -> Path:
    """Fail before any work when file `output` cannot be written; returns its directory."""
    directory = output.resolve().parent
    if not directory.is_dir():
        raise R1Error(f"cannot write {output}: {directory} is not a directory")
    if output.is_dir():
        raise R1Error(f"cannot write {output}: it is a directory", hint="pass a file name to --output")
    return directory


def atomic_write(rows: Iterable[dict[str, Any]], output: Path) -> None:
    """Write rows to `output` all or nothing (r1cli/plumbing/files.py): a row that fails to serialize, a full disk
    or a kill half-way leaves an existing `output` as it was."""
    check_output_path(output)
    atomic_write_text(output, "".join(dumps(row) for row in rows))


def write_jsonl(rows: Sequence[dict[str, Any]], output: Path | None) -> None:
    """Rows to stdout (`output` None), or to `output` with `atomic_write`."""
    if output is None:
        for row in rows:
            sys.stdout.write(dumps(row))
        sys.stdout.flush()
        return
    atomic_write(rows, output)


class AppendWriter:
    """Append rows to a JSONL file a batch at a time, resuming what an earlier (maybe killed) run wrote.

        with AppendWriter(path, key=lambda row: (row["id"], row["sample"])) as out:
            out.append(batch)          # rows whose key is already in the file are skipped

    Opening reads the file: a torn last line (a write cut short by a crash: no final newline) is cut
    off (`repaired` says how many bytes), every other line must be a JSON object (else R1Error with its
    line number: the file is not one this writer made), and `rows` / `keys` hold what is there. Each
    `append` is one write, flushed and fsynced, so a crash loses at most the batch in flight.
    """

    def __init__(self, path: Path, key: Callable[[dict[str, Any]], Hashable] | None = None):
        self.path = Path(path)
        self.key = key
        check_output_path(self.path)
        self.repaired = 0
        self.rows: list[dict[str, Any]] = []
        data = self.path.read_bytes() if self.path.exists() else b""
        end = data.rfind(b"\n") + 1
        if end < len(data):  # the tail after the last newline is a torn write
            self.repaired = len(data) - end
            data = data[:end]
        for number, row, problem in json_lines(data):
            if problem is not None:
                raise R1Error(
                    f"{self.path}:{number}: {problem}: not a file r1 is appending to",
                    hint="choose another output, or pass --overwrite to start over",
                )
            self.rows.append(row)
        self.keys: set[Hashable] = {self._key_of(row) for row in self.rows} if key else set()
        try:
            self._handle = open(self.path, "r+b" if self.path.exists() else "w+b")  # noqa: SIM115
            self._handle.truncate(end)
            self._handle.seek(end)
        except OSError as exc:
            raise R1Error(f"cannot write {self.path}: {exc.strerror}") from None

    def _key_of(self, row: dict[str, Any]) -> Hashable:
        try:
            return self.key(row)  # type: ignore[misc]
        except (KeyError, TypeError) as exc:
            raise R1Error(f"{self.path}: a row has no key ({exc!r}): {dumps(row).strip()[:200]}") from None

    @property
    def size(self) -> int:
        """Bytes in the file now (every row appended so far, complete)."""
        return self._handle.tell()

    def truncate(self, size: int) -> None:
        """Cut the file back to `size` bytes (a row boundary) and forget the rows past it."""
        self._handle.seek(0)
        kept = self._handle.read(size)
        self._handle.truncate(size)
        self._handle.seek(size)
        self.rows = [row for _, row, _ in json_lines(kept)]
        self.keys = {self._key_of(row) for row in self.rows} if self.key else set()

    def append(self, rows: Iterable[dict[str, Any]]) -> int:
        """Write the rows whose key is new (all of them without a key) in one flushed write; how many."""
        fresh = []
        for row in rows:
            if self.key is not None:
                key = self._key_of(row)
                if key in self.keys:
                    continue
                self.keys.add(key)
            fresh.append(row)
        if not fresh:
            return 0
        text = "".join(dumps(row) for row in fresh).encode("utf-8")
        try:
            self._handle.write(text)
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            raise R1Error(f"cannot write {self.path}: {exc.strerror}") from None
        self.rows.extend(fresh)
        return len(fresh)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> AppendWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
