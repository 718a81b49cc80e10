"""The pretraining corpora: `synthetic:addition-text` (deterministic, train problems only, no tags) and
the rules for a text file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.data.store import load_prompt_dataset
from r1cli.data.text import ADDITION_TEXT, load_text_dataset
from r1cli.plumbing.errors import R1Error
from r1cli.recipe.schema import defaults


def _data(**changes) -> dict:
    return {**defaults()["data"], "dataset": ADDITION_TEXT, "synthetic_size": 400, **changes}


def _question(text: str) -> str:
    first = text.splitlines()[0]
    assert first.startswith("Question: ")
    return first.removeprefix("Question: ")


@pytest.mark.parametrize("split", [{}, {"test_size": 0.25, "seed": 7}])
def test_addition_text_is_the_train_problems_of_synthetic_addition_and_never_a_test_one(split: dict) -> None:
    data = _data(**split)
    texts = load_text_dataset(data)["text"]
    # What `r1 train zero` (and `r1 data prepare`) make of synthetic:addition with the same [data].
    problems = load_prompt_dataset({**data, "dataset": "synthetic:addition"})
    questions = [_question(text) for text in texts]
    assert questions == problems["train"]["problem"]
    assert not set(questions) & set(problems["test"]["problem"])
    assert len(problems["test"]) > 0


def test_addition_text_is_deterministic_plain_prose_with_the_right_sums() -> None:
    first, second = load_text_dataset(_data())["text"], load_text_dataset(_data())["text"]
    assert first == second
    for text in first:
        assert "<think>" not in text and "<answer>" not in text and "<|im_start|>" not in text
        a, b = map(int, _question(text).removeprefix("What is ").removesuffix("?").split(" + "))
        assert text.endswith(f"So {a} + {b} = {a + b}.")


def test_a_text_file_gives_its_text_column_and_drops_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    rows = [{"text": "one", "id": 1}, {"text": "  ", "id": 2}, {"text": "three", "id": 3}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    dataset = load_text_dataset(_data(dataset=str(path)))
    assert dataset.column_names == ["text"] and dataset["text"] == ["one", "three"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"problem": "p", "answer": "1"}\n', "has no `text` column (columns: problem, answer)"),
        ("", "is empty"),
        (None, "file not found"),
        ('{"text": ""}\n', "holds no text"),
    ],
)
def test_bad_text_files_are_named(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "corpus.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(R1Error, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_text_dataset(_data(dataset=str(path)))


def test_a_problem_task_is_not_a_text_corpus() -> None:
    with pytest.raises(R1Error, match="not a text corpus") as error:
        load_text_dataset(_data(dataset="synthetic:addition"))
    assert ADDITION_TEXT in (error.value.hint or "")


def test_markup_share_adds_tagged_word_puzzles_and_never_tagged_arithmetic() -> None:
    plain = load_text_dataset(_data())["text"]
    mixed = load_text_dataset(_data(markup_share=0.2))["text"]
    tagged = [text for text in mixed if text.endswith("</answer>")]
    assert len(mixed) == round(len(plain) / 0.8) and len(tagged) == len(mixed) - len(plain)
    for text in tagged:
        assert " + " not in text and " - " not in text  # puzzles about words and digits, no sums
        answer = text.split("\nAnswer: ")[1]
        assert answer.startswith("<think> ") and answer.endswith(" </answer>")
        assert answer.count("<think>") == answer.count("</think>") == answer.count("<answer>") == 1
    # The task's prose is all there, each document whole; some of it after a plain instruction.
    prose = [text for text in mixed if not text.endswith("</answer>")]
    assert sorted(text[text.index("Question: ") :] for text in prose) == sorted(plain)
    assert 0 < sum(not text.startswith("Question: ") for text in prose) < len(prose)
    assert all("<think>" not in text.split("\nAnswer: ")[1] for text in prose)
    assert load_text_dataset(_data(markup_share=0.2))["text"] == mixed


@pytest.mark.parametrize("share", [1.0, -0.1, "0.2", True])
def test_a_bad_markup_share_is_named(share) -> None:
    with pytest.raises(R1Error, match=r"data.markup_share must be a number in \[0, 1\)"):
        load_text_dataset(_data(markup_share=share))


def test_markup_share_is_refused_for_a_users_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "notes.jsonl"
    corpus.write_text('{"text": "hello"}\n')
    with pytest.raises(R1Error, match=r"data\.markup_share mixes tagged puzzles into a built-in corpus"):
        load_text_dataset(_data(dataset=str(corpus), markup_share=0.2))
