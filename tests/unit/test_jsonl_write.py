"""Writing JSON Lines: all-or-nothing files, and appending that resumes what a killed run left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.jsonl import AppendWriter, atomic_write, write_jsonl


def _key(row):
    return (row["id"], row["sample"])


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_output_is_replaced_only_when_complete(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_text("old\n")
    atomic_write([{"total": 1.0}], output)
    assert output.read_text() == '{"total": 1.0}\n'
    with pytest.raises(TypeError):
        atomic_write([{"total": object()}], output)  # fails half-way: the old file stays
    assert output.read_text() == '{"total": 1.0}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    with pytest.raises(R1Error, match="not a directory"):
        write_jsonl([], tmp_path / "missing" / "out.jsonl")
    with pytest.raises(R1Error, match="it is a directory"):
        atomic_write([], tmp_path)


def test_write_jsonl_without_output_prints_rows(capsys) -> None:
    write_jsonl([{"a": "é"}, {"b": 2}], None)
    assert capsys.readouterr().out == '{"a": "é"}\n{"b": 2}\n'


def test_append_writer_creates_and_appends_batches(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with AppendWriter(path, key=_key) as out:
        assert out.rows == [] and out.repaired == 0
        assert out.append([{"id": 1, "sample": 0}, {"id": 1, "sample": 1}]) == 2
        assert out.size == path.stat().st_size  # flushed: on disk before close
        assert len(_lines(path)) == 2
        assert out.append([{"id": 2, "sample": 0}]) == 1
    assert [(r["id"], r["sample"]) for r in _lines(path)] == [(1, 0), (1, 1), (2, 0)]


def test_resume_skips_rows_already_written_and_never_doubles_a_key(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with AppendWriter(path, key=_key) as out:
        out.append([{"id": "a", "sample": 0, "v": 1}])
    with AppendWriter(path, key=_key) as out:
        assert out.keys == {("a", 0)}
        assert out.rows == [{"id": "a", "sample": 0, "v": 1}]
        written = out.append(
            [{"id": "a", "sample": 0, "v": 2}, {"id": "a", "sample": 1}, {"id": "a", "sample": 1}]
        )
        assert written == 1
    rows = _lines(path)
    assert [(r["id"], r["sample"]) for r in rows] == [("a", 0), ("a", 1)]
    assert rows[0]["v"] == 1  # the row already there wins


def test_torn_last_line_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"id": 1, "sample": 0}\n{"id": 2, "sample": 0}\n{"id": 3, "sam')
    with AppendWriter(path, key=_key) as out:
        assert out.repaired == len(b'{"id": 3, "sam')
        assert out.keys == {(1, 0), (2, 0)}
        out.append([{"id": 3, "sample": 0}])
    assert path.read_bytes() == b'{"id": 1, "sample": 0}\n{"id": 2, "sample": 0}\n{"id": 3, "sample": 0}\n'


def test_torn_line_of_multibyte_text_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    whole = '{"id": 1, "sample": 0, "t": "ü"}\n'.encode()
    path.write_bytes(whole + '{"id": 2, "sample": 0, "t": "ü"}\n'.encode()[:-4])  # cut inside "ü"
    with AppendWriter(path, key=_key) as out:
        assert out.keys == {(1, 0)}
    assert path.read_bytes() == whole


def test_a_broken_line_inside_the_file_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    text = '{"id": 1, "sample": 0}\nnot json\n{"id": 2, "sample": 0}\n'
    path.write_text(text)
    with pytest.raises(R1Error, match=r"out.jsonl:2: malformed JSON.*--overwrite"):
        AppendWriter(path, key=_key)
    assert path.read_text() == text


def test_a_row_without_the_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": 1}\n')
    with pytest.raises(R1Error, match="has no key"):
        AppendWriter(path, key=_key)


def test_without_a_key_every_row_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with AppendWriter(path) as out:
        out.append([{"a": 1}, {"a": 1}])
    assert len(_lines(path)) == 2


def test_truncate_drops_rows_past_a_boundary(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with AppendWriter(path, key=_key) as out:
        out.append([{"id": 1, "sample": 0}])
        boundary = out.size
        out.append([{"id": 2, "sample": 0}])
        out.truncate(boundary)
        assert out.keys == {(1, 0)}
        out.append([{"id": 3, "sample": 0}])
    assert [r["id"] for r in _lines(path)] == [1, 3]
