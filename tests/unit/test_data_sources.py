"""Reading sources: local files of every type, folders, synthetic tasks, and one clear line for bad input."""

from __future__ import annotations

import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from r1cli.data.sources import load_source, rows_to_dataset
from r1cli.data.synthetic import addition_rows, synthetic_rows
from r1cli.plumbing.errors import R1Error

ROWS = [
    {"question": "What is 1 + 1?", "answer": "#### 2"},
    {"question": "What is 2 + 2?", "answer": "#### 4"},
]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_json_parquet_csv_read_the_same_rows(tmp_path):
    jsonl = _jsonl(tmp_path / "a.jsonl", ROWS)
    (tmp_path / "b.json").write_text(json.dumps(ROWS))
    (tmp_path / "c.json").write_text(
        json.dumps({"question": [r["question"] for r in ROWS], "answer": ["#### 2", "#### 4"]})
    )
    (tmp_path / "d.json").write_text(json.dumps({"data": ROWS}))
    pq.write_table(pa.Table.from_pylist(ROWS), tmp_path / "e.parquet")
    (tmp_path / "f.csv").write_text('question,answer\nWhat is 1 + 1?,#### 2\n"What is 2 + 2?",#### 4\n')
    (tmp_path / "g.json").write_text(jsonl.read_text())  # JSON Lines under a .json name
    for name in ("a.jsonl", "b.json", "c.json", "d.json", "e.parquet", "f.csv", "g.json"):
        raw = load_source(str(tmp_path / name), {})
        assert not raw.has_splits
        assert raw.splits["train"].to_list() == ROWS, name


def test_rows_with_different_keys_and_mixed_types(tmp_path):
    ds = rows_to_dataset([{"q": "a", "answer": 5}, {"q": "b", "answer": "5/2", "extra": True}], "x")
    assert ds.column_names == ["q", "answer", "extra"]
    assert ds["answer"] == ["5", "5/2"]  # a mixed column is stored as text
    assert ds["extra"] == [None, True]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", b'{"question": "a"}\n\n{"question": "b",\n', "bad.jsonl:3: malformed JSON"),
        ("list.jsonl", b'{"question": "a"}\n[1, 2]\n', "list.jsonl:2: expected a JSON object, got an array"),
        ("num.jsonl", b"42\n", "num.jsonl:1: expected a JSON object, got a number"),
        ("latin.jsonl", '{"question": "caf\u00e9"}\n'.encode("latin-1"), "latin.jsonl:1: not UTF-8 text"),
        ("latin.csv", "question\nok\ncaf\u00e9\n".encode("latin-1"), "latin.csv:3: not UTF-8 text"),
        ("empty.jsonl", b"\n  \n", "empty.jsonl is empty"),
        ("obj.json", b'{"a": 1, "b": [1]}', "expected a list of objects"),
        ("items.json", b'[{"a": 1}, 3]', "item 1 is a number, not an object"),
        ("broken.json", b'[{"a": 1}', "broken.json:1: malformed JSON"),
        ("data.txt", b"hello", "unknown file type '.txt'"),
        ("bad.parquet", b"not a parquet file", "not a readable Parquet file"),
        ("ragged.csv", b"a,b\n1,2,3\n", "not a readable CSV file"),
    ],
)
def test_bad_files_give_one_clear_line(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(R1Error) as err:
        load_source(str(tmp_path / name), {})
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_unreachable_hub():
    with pytest.raises(R1Error, match="file not found"):
        load_source("nowhere/data.jsonl", {})
    # HF_HUB_OFFLINE=1 (tests/conftest.py): the real load_dataset call fails, with a way out.
    with pytest.raises(R1Error, match="cannot reach the Hugging Face Hub") as err:
        load_source("AI-MO/NuminaMath-TIR", {})
    assert "local .jsonl" in err.value.hint


def test_folder_of_split_files_and_saved_datasets(tmp_path):
    (tmp_path / "split").mkdir()
    _jsonl(tmp_path / "split" / "train.jsonl", ROWS)
    _jsonl(tmp_path / "split" / "test.jsonl", ROWS[:1])
    raw = load_source(str(tmp_path / "split"), {})
    assert raw.has_splits and {k: len(v) for k, v in raw.splits.items()} == {"test": 1, "train": 2}
    assert len(load_source(str(tmp_path / "split"), {"split": "test"}).splits["train"]) == 1
    with pytest.raises(R1Error, match="no split 'tset'"):
        load_source(str(tmp_path / "split"), {"split": "tset"})
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)}).save_to_disk(str(tmp_path / "saved"))
    assert load_source(str(tmp_path / "saved"), {}).has_splits
    (tmp_path / "other").mkdir()
    _jsonl(tmp_path / "other" / "aime.jsonl", ROWS)
    with pytest.raises(R1Error, match="neither a saved dataset nor a folder of split files"):
        load_source(str(tmp_path / "other"), {})


def test_synthetic_addition():
    rows = addition_rows(50, 0, 9, seed=3)
    assert len({r["problem"] for r in rows}) == 50  # distinct problems
    for row in rows:
        a, b = (int(x) for x in row["problem"].removeprefix("What is ").removesuffix("?").split(" + "))
        assert 0 <= a <= 9 and 0 <= b <= 9 and row["answer"] == str(a + b)
    assert addition_rows(50, 0, 9, seed=3) == rows
    cfg = {"synthetic_size": 7, "synthetic_min": 10, "synthetic_max": 12, "synthetic_seed": 1}
    assert len(synthetic_rows("synthetic:addition", cfg)) == 7
    with pytest.raises(R1Error, match="more than the 9 distinct problems"):
        synthetic_rows("synthetic:addition", {**cfg, "synthetic_size": 10})
    with pytest.raises(R1Error, match="did you mean 'synthetic:addition'"):
        synthetic_rows("synthetic:adition", cfg)
