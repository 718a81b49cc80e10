"""Eval inputs and verdicts: benchmark files and prepared folders, stub completions known right and wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED_DATA, needs_shared_data

from r1cli.errors import R1Error
from r1cli.evaluate import benchmark_name, judge, load_benchmark
from r1cli.recipe import load_recipe

DEFAULTS = load_recipe(None, None, [], environ={}, validate=False)
DATA, REWARDS = DEFAULTS.section("data"), DEFAULTS.section("rewards")


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@needs_shared_data
def test_gsm8k_and_aime_files_become_prompts_as_prepare_builds_them():
    gsm8k = load_benchmark(SHARED_DATA / "gsm8k" / "test.jsonl", DATA, limit=5)
    assert gsm8k.name == "gsm8k/test" and len(gsm8k.problems) == 5
    first = gsm8k.problems[0]
    assert first["index"] == 0 and first["answer"] == "18"
    assert first["prompt"][0] == {"role": "system", "content": DATA["system_prompt"]}
    assert first["prompt"][1]["content"].startswith("Janet")
    aime = load_benchmark(SHARED_DATA / "math" / "aime24.jsonl", DATA)
    assert aime.name == "aime24" and len(aime.problems) == 30 and aime.dropped == 0


def test_completions_known_right_and_wrong_get_the_right_verdicts(tmp_path):
    bench = load_benchmark(
        _jsonl(tmp_path / "q.jsonl", [{"question": "Janet has 16 eggs ...", "answer": "... #### 18"}]), DATA
    )
    problem = bench.problems[0]
    completions = [
        "<think>\n16 - 3 - 4 = 9, 9 * 2 = 18\n</think>\n<answer>\n18\n</answer>",  # right, formatted
        "<think>\nguess\n</think>\n<answer>\n17\n</answer>",  # wrong, formatted
        "The answer is 18.",  # right, no format
        "I do not know",  # no answer
    ]
    judged = judge(completions, [problem] * 4, REWARDS)
    assert judged.correct == [True, False, True, False]
    assert judged.formatted == [True, True, False, False]
    assert judged.answers == ["18", "17", "18", None]


def test_a_prepared_folder_gives_its_test_split(tmp_path):
    from r1cli.data.prepare import prepare
    from r1cli.data.store import save_prepared

    source = _jsonl(
        tmp_path / "p.jsonl", [{"problem": f"What is {i} + 1?", "answer": str(i + 1)} for i in range(20)]
    )
    dataset, summary = prepare({**DATA, "test_size": 5}, str(source))
    save_prepared(dataset, summary, tmp_path / "prepared")
    bench = load_benchmark(tmp_path / "prepared", DATA)
    assert bench.name == "prepared/test" and len(bench.problems) == 5
    assert {p["problem"] for p in bench.problems} == set(dataset["test"]["problem"])


def test_files_without_gold_answers_name_the_columns_found(tmp_path):
    no_column = _jsonl(tmp_path / "a.jsonl", [{"question": "2 + 2?", "reply": "4"}])
    with pytest.raises(R1Error, match=r"no answer column found .*columns: question, reply"):
        load_benchmark(no_column, DATA)
    no_gold = _jsonl(tmp_path / "b.jsonl", [{"question": "2 + 2?", "answer": "I do not know\nreally"}])
    with pytest.raises(R1Error, match=r"no row of .* has a gold answer .*columns: question, answer"):
        load_benchmark(no_gold, DATA)
    partly = _jsonl(
        tmp_path / "c.jsonl", [{"question": "2 + 2?", "answer": "4"}, {"question": "x", "answer": ""}]
    )
    assert load_benchmark(partly, DATA).dropped == 1


def test_benchmark_names():
    assert benchmark_name("runs/data/gsm8k-prepared") == "gsm8k-prepared"
    assert benchmark_name("amc23.jsonl") == "amc23"
