"""Saving prepared data (no overwrite, safe swap), loading it back validated, the trainers' entry points."""

from __future__ import annotations

import json

import datasets
import pytest

from r1cli.data import load_prepared, load_prompt_dataset, load_sft_dataset, prepare, save_prepared
from r1cli.data.store import read_summary
from r1cli.plumbing.errors import R1Error

CFG = {"dataset": "synthetic:addition", "synthetic_size": 30, "system_prompt": "Think.", "test_size": 0.2}


def _sft_file(tmp_path):
    path = tmp_path / "chats.jsonl"
    turns = [{"from": "user", "value": "Hi {i}"}, {"from": "assistant", "value": "Hello"}]
    rows = [
        {"system": "s", "conversations": [{**t, "value": t["value"].format(i=i)} for t in turns]}
        for i in range(6)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_save_refuses_non_empty_and_swaps_on_overwrite(tmp_path):
    out = tmp_path / "data"
    dataset, summary = prepare(CFG)
    assert save_prepared(dataset, summary, out) == out
    assert read_summary(out).rows == {"train": 24, "test": 6}
    with pytest.raises(R1Error, match="holds an earlier prepared dataset") as err:
        save_prepared(dataset, summary, out)
    assert "--overwrite" in err.value.hint
    smaller, summary = prepare({**CFG, "synthetic_size": 10})
    save_prepared(smaller, summary, out, overwrite=True)
    assert len(load_prepared(out)[0]["train"]) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no temporary folders left
    (tmp_path / "file").write_text("x")
    with pytest.raises(R1Error, match="is a file"):
        save_prepared(dataset, summary, tmp_path / "file")


def test_failed_save_keeps_the_old_data(tmp_path, monkeypatch):
    out = tmp_path / "data"
    dataset, summary = prepare(CFG)
    save_prepared(dataset, summary, out)

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(datasets.DatasetDict, "save_to_disk", broken)
    with pytest.raises(OSError, match="disk full"):
        save_prepared(dataset, summary, out, overwrite=True)
    monkeypatch.undo()
    assert len(load_prepared(out)[0]["train"]) == 24
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_load_prompt_dataset_from_folder_or_source(tmp_path):
    dataset, summary = prepare(CFG)
    save_prepared(dataset, summary, tmp_path / "zero")
    loaded = load_prompt_dataset({"max_prompt_tokens": 0}, str(tmp_path / "zero"))
    assert loaded["train"]["problem"] == dataset["train"]["problem"]
    on_the_fly = load_prompt_dataset(CFG)  # data.dataset, prepared through the same code
    assert on_the_fly["test"]["prompt"] == dataset["test"]["prompt"]
    # A prepared folder is used as saved; the trainer's tokenizer re-applies max_prompt_tokens only.
    loaded = load_prompt_dataset(
        {"max_prompt_tokens": 1}, str(tmp_path / "zero"), tokenizer=_OneTokenPerWord()
    )
    assert len(loaded["train"]) == 0


class _OneTokenPerWord:
    chat_template = None

    def __call__(self, texts, add_special_tokens=False, verbose=True):
        return {"input_ids": [t.split() for t in texts]}


def test_sft_and_prompt_folders_are_not_mixed_up(tmp_path):
    sft, summary = prepare({"test_size": 1}, _sft_file(tmp_path))
    save_prepared(sft, summary, tmp_path / "sft")
    loaded = load_sft_dataset({}, str(tmp_path / "sft"))
    assert loaded["train"][0]["messages"][0] == {"role": "system", "content": "s"}
    assert load_prepared(tmp_path / "sft")[1] == "sft"
    with pytest.raises(R1Error, match="holds SFT conversations"):
        load_prompt_dataset({}, str(tmp_path / "sft"))
    assert len(load_sft_dataset({"test_size": 2}, _sft_file(tmp_path))["test"]) == 2


def test_load_prepared_validates(tmp_path):
    row = {"problem": "p", "prompt": [{"role": "user", "content": "p"}, {"role": "system", "content": "s"}]}
    bad = datasets.Dataset.from_list([{**row, "answer": "1", "solution": "1"}])
    datasets.DatasetDict({"train": bad, "test": bad}).save_to_disk(str(tmp_path / "bad"))
    with pytest.raises(R1Error, match=r"row 0: prompt must be a system turn then a user turn"):
        load_prepared(tmp_path / "bad")
    datasets.DatasetDict({"train": bad}).save_to_disk(str(tmp_path / "one"))
    with pytest.raises(R1Error, match="no test split"):
        load_prepared(tmp_path / "one")


def test_an_empty_test_split_round_trips(tmp_path):
    dataset, summary = prepare({**CFG, "test_size": 0})
    save_prepared(dataset, summary, tmp_path / "all")
    loaded, mode = load_prepared(tmp_path / "all")
    assert (len(loaded["train"]), len(loaded["test"]), mode) == (30, 0, "prompt")
    assert loaded["test"].column_names == loaded["train"].column_names
