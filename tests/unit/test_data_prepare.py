"""prepare(): every shared data file, drops and their reasons, dedupe, the token filter, splits, SFT mode."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED_DATA, needs_shared_data

from r1cli.data import prepare
from r1cli.data.validate import validate_prompt_dataset, validate_sft_dataset
from r1cli.plumbing.errors import R1Error
from r1cli.recipe import load_recipe
from r1cli.rewards.answers import extract_gold_answer


@pytest.fixture(scope="module")
def cfg():
    return load_recipe(None).section("data")


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@needs_shared_data
@pytest.mark.parametrize(
    ("name", "rows", "columns", "kinds"),
    [
        ("gsm8k/train.jsonl", (6725, 748), ("question", "answer"), {"integer": 7473}),
        ("gsm8k/test.jsonl", (1187, 132), ("question", "answer"), {"integer": 1319}),
        ("gsm8k", (7473, 1319), ("question", "answer"), {"integer": 8792}),
        ("math/aime24.jsonl", (27, 3), ("problem", "answer then solution"), {"integer": 30}),
        ("math/amc23.jsonl", (36, 4), ("problem", "answer"), {"integer": 40}),
        (
            "math/minerva_math.jsonl",
            (244, 28),
            ("problem", "solution"),
            {"latex": 74, "decimal": 125, "integer": 63, "expression": 9, "text": 1},
        ),
    ],
)
def test_every_shared_file(cfg, name, rows, columns, kinds):
    dataset, summary = prepare(cfg, str(SHARED_DATA / name))
    validate_prompt_dataset(dataset)
    assert (len(dataset["train"]), len(dataset["test"])) == rows
    assert summary.dropped == {}
    assert (summary.columns["problem"], summary.columns["answer"]) == columns
    assert summary.answer_kinds == kinds
    for split in ("train", "test"):
        part = dataset[split]
        # The accuracy reward reads `solution`: it must give back the same gold answer on every row.
        assert [extract_gold_answer(s) for s in part["solution"]] == part["answer"]
        for problem, prompt in zip(part["problem"], part["prompt"], strict=True):
            assert prompt == [
                {"role": "system", "content": cfg["system_prompt"]},
                {"role": "user", "content": problem},
            ]


@needs_shared_data
def test_gsm8k_answer_column_clash(cfg):
    dataset, _ = prepare({**cfg, "test_size": 0}, str(SHARED_DATA / "gsm8k/test.jsonl"))
    row = dataset["train"][0]
    assert row["question"] == row["problem"]
    assert row["question"].startswith("Janet\u2019s ducks lay 16 eggs")
    assert row["answer"] == "18"
    assert row["solution"].endswith("#### 18")


@needs_shared_data
def test_aime_and_amc_gold(cfg):
    aime, summary = prepare({**cfg, "test_size": 0}, str(SHARED_DATA / "math/aime24.jsonl"))
    row = aime["train"][0]
    assert (row["answer"], row["solution"]) == ("204", "204")
    assert "coffee" in row["source_solution"] or "\\frac{9}{s}" in row["source_solution"]
    assert any("source_solution" in note for note in summary.notes)
    amc, _ = prepare({**cfg, "test_size": 0}, str(SHARED_DATA / "math/amc23.jsonl"))
    assert amc["train"].features["answer"].dtype == "string"
    assert amc["train"]["answer"][:3] == ["27", "36", "45"]  # the file holds floats 27.0, 36.0, 45.0


def test_drops_dedupe_and_messages_column(tmp_path, cfg):
    rows = [
        {
            "problem": "What is 1 + 1?",
            "solution": "So $\\boxed{2}$.",
            "messages": [{"role": "user", "content": "x"}],
        },
        {"problem": "What is  1 + 1?", "solution": "\\boxed{2}", "messages": []},  # same after whitespace
        {"problem": "", "solution": "\\boxed{3}", "messages": []},
        {"problem": "No gold here", "solution": "A long proof.\nNo final answer at all.", "messages": []},
        {"problem": "Nested?", "solution": "$\\boxed{\\frac{1}{\\sqrt{2}}}$", "messages": []},
    ]
    dataset, summary = prepare({**cfg, "test_size": 0}, _jsonl(tmp_path / "d.jsonl", rows))
    assert summary.dropped == {"no problem text": 1, "no gold answer": 1, "duplicate problem": 1}
    assert dataset["train"]["answer"] == ["2", "\\frac{1}{\\sqrt{2}}"]
    assert "messages" not in dataset["train"].column_names
    assert summary.answer_kinds == {"integer": 1, "latex": 1}
    no_dedupe, _ = prepare({**cfg, "test_size": 0, "dedupe": False}, _jsonl(tmp_path / "d.jsonl", rows))
    assert len(no_dedupe["train"]) == 3


def test_source_splits_kept_deduped_against_test_or_pooled(tmp_path, cfg):
    folder = tmp_path / "split"
    folder.mkdir()
    train = [{"question": f"Q{i}", "answer": f"#### {i}"} for i in range(10)]
    _jsonl(folder / "train.jsonl", train)
    _jsonl(folder / "validation.jsonl", [*train[:2], {"question": "V", "answer": "#### 1"}])
    dataset, summary = prepare(cfg, str(folder))
    assert (len(dataset["train"]), len(dataset["test"])) == (8, 3)
    assert summary.dropped == {"also in the test split": 2}
    assert summary.split == "the source's own validation split"
    pooled, summary = prepare({**cfg, "test_size": 2}, str(folder), resplit=True)
    assert (len(pooled["train"]), len(pooled["test"])) == (9, 2)  # 13 rows, 2 duplicates
    assert summary.dropped == {"duplicate problem": 2}


def test_test_size_seed_and_max_rows(cfg):
    source = "synthetic:addition"
    small = {**cfg, "synthetic_size": 100}
    a, _ = prepare({**small, "test_size": 0.25, "seed": 1}, source)
    b, _ = prepare({**small, "test_size": 0.25, "seed": 1}, source)
    c, _ = prepare({**small, "test_size": 0.25, "seed": 2}, source)
    assert (len(a["train"]), len(a["test"])) == (75, 25)
    assert a["test"]["problem"] == b["test"]["problem"] != c["test"]["problem"]
    counted, summary = prepare({**small, "test_size": 10, "max_rows": 40}, source)
    assert (len(counted["train"]), len(counted["test"])) == (30, 10)
    assert summary.rows_read == {"train": 40}
    assert counted["train"][0]["solution"] == counted["train"][0]["answer"]
    none, _ = prepare({**small, "test_size": 0}, source)
    assert (len(none["train"]), len(none["test"])) == (100, 0)
    for bad in (1.5, -0.1, "many", 100):
        with pytest.raises(R1Error, match="test_size"):
            prepare({**small, "test_size": bad}, source)


class WordTokenizer:
    """Counts words; with a chat template, the rendered prompt adds two tokens."""

    def __init__(self, chat_template=None):
        self.chat_template = chat_template

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return "<start> " + " ".join(m["content"] for m in messages) + " <assistant>"

    def __call__(self, texts, add_special_tokens=False, verbose=True):
        return {"input_ids": [text.split() for text in texts]}


def test_max_prompt_tokens(tmp_path, cfg):
    rows = [{"question": "one two", "answer": "1"}, {"question": "one two three four five", "answer": "2"}]
    source = _jsonl(tmp_path / "t.jsonl", rows)
    base = {**cfg, "test_size": 0, "system_prompt": "sys", "max_prompt_tokens": 4}
    with pytest.raises(R1Error, match="needs the model's tokenizer"):
        prepare(base, source)
    dataset, summary = prepare(base, source, tokenizer=WordTokenizer())
    assert dataset["train"]["answer"] == ["1"] and summary.dropped == {"prompt over 4 tokens": 1}
    # With a chat template the prompt is counted as rendered: "<start> sys one two <assistant>".
    templated = {**base, "max_prompt_tokens": 5}
    dataset, summary = prepare(templated, source, tokenizer=WordTokenizer(chat_template="yes"))
    assert dataset["train"]["answer"] == ["1"] and summary.dropped == {"prompt over 5 tokens": 1}


def test_empty_system_prompt_gives_user_turn_only(cfg):
    dataset, _ = prepare({**cfg, "system_prompt": "", "synthetic_size": 10}, "synthetic:addition")
    assert [turn["role"] for turn in dataset["train"][0]["prompt"]] == ["user"]
    validate_prompt_dataset(dataset)


def test_column_errors(tmp_path, cfg):
    source = _jsonl(tmp_path / "c.jsonl", [{"q": "x", "answr": "1"}])
    with pytest.raises(R1Error, match="no problem column found") as err:
        prepare(cfg, source)
    assert "--problem-column" in err.value.hint
    with pytest.raises(R1Error, match="did you mean --answer-column answr"):
        prepare({**cfg, "problem_column": "q"}, source)
    with pytest.raises(R1Error, match="column 'qq'") as err:
        prepare({**cfg, "problem_column": "qq"}, source)
    assert err.value.hint == "did you mean 'q'?"
    only_bad = _jsonl(tmp_path / "e.jsonl", [{"problem": "x", "answer": ""}])
    with pytest.raises(R1Error, match=r"no training rows left .*\(1 no gold answer\)"):
        prepare(cfg, only_bad)


def test_sft_sharegpt_keeps_the_system_turn(tmp_path, cfg):
    turns = [{"from": "user", "value": "Hi"}, {"from": "assistant", "value": "Hello"}]
    rows = [
        {"system": "Think first.", "conversations": turns},
        {"system": "Think first.", "conversations": turns},  # duplicate
        {"system": "", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
        {"system": "s", "conversations": [{"from": "user", "value": "no reply"}]},
        {"system": "s", "conversations": [{"from": "narrator", "value": "?"}, {"from": "gpt", "value": "A"}]},
    ]
    dataset, summary = prepare({**cfg, "test_size": 0}, _jsonl(tmp_path / "s.jsonl", rows))  # auto: sft
    validate_sft_dataset(dataset)
    assert summary.mode == "sft" and summary.columns == {"format": "sharegpt"}
    assert dataset["train"].column_names == ["messages"]
    assert dataset["train"]["messages"] == [
        [
            {"role": "system", "content": "Think first."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
        ],
        [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
    ]
    assert summary.dropped == {"duplicate conversation": 1, "no assistant turn": 1, "unknown role": 1}


def test_sft_messages_and_prompt_completion(tmp_path, cfg):
    chats = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(5)
    ]
    dataset, summary = prepare({**cfg, "test_size": 1}, _jsonl(tmp_path / "m.jsonl", chats))
    assert summary.mode == "sft" and (len(dataset["train"]), len(dataset["test"])) == (4, 1)
    pairs = [{"prompt": f"q{i}", "completion": "a"} for i in range(5)] + [{"prompt": "q", "completion": ""}]
    dataset, summary = prepare({**cfg, "test_size": 0}, _jsonl(tmp_path / "p.jsonl", pairs), sft=True)
    assert dataset["train"].column_names == ["prompt", "completion"] and len(dataset["train"]) == 5
    assert summary.dropped == {"empty prompt or completion": 1}
    with pytest.raises(R1Error, match="no SFT data found"):
        prepare(cfg, _jsonl(tmp_path / "x.jsonl", [{"problem": "x", "answer": "1"}]), sft=True)
