"""`run_reject` through the real engine (files, settings, resume) with a scripted generator: which rows
are written, the summary, --keep/--keep-all/--mix, refused settings; tests/e2e runs it on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import generate_recipe
from conftest import read_rows as rows

from r1cli.generation.backends import Sample
from r1cli.plumbing.errors import R1Error
from r1cli.sample.reject import run_reject

RIGHT = "<think>\nTwo nines make 18.\n</think>\n<answer>\n18\n</answer>"
RIGHT_TOO = "<think>\nNine and nine is 18.\n</think>\n<answer>\n18\n</answer>"
WRONG = "<think>\nNine plus nine is 19.\n</think>\n<answer>\n19\n</answer>"
UNFORMED = "Nine plus nine is 18, the answer is 18."


class ScriptedGenerator:
    """Sample i of every prompt is texts[i % len(texts)]; counts the prompts it was asked for."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.prompts = 0

    def generate(self, conversations, num_samples):
        self.prompts += len(conversations)
        return [
            [Sample(i, self.texts[i % len(self.texts)], 7, True) for i in range(num_samples)]
            for _ in conversations
        ]


def recipe(problems: Path, *extra: str):
    return generate_recipe(problems, "--generation.num_samples", "4", *extra)


@pytest.fixture
def problems(tmp_path: Path) -> Path:
    path = tmp_path / "problems.jsonl"
    lines = [{"question": f"What is 9 + 9? ({i})", "answer": "#### 18"} for i in range(3)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_best_accepted_sample_per_problem_and_the_summary(tmp_path: Path, problems: Path) -> None:
    out = tmp_path / "rs.jsonl"
    result = run_reject(
        recipe(problems), out, generator=ScriptedGenerator([WRONG, RIGHT, UNFORMED, RIGHT_TOO])
    )
    written = rows(out)
    assert [(r["id"], r["sample"]) for r in written] == [(0, 1), (1, 1), (2, 1)]
    row = written[0]
    assert set(row) >= {"id", "sample", "completion", "rewards", "total", "accepted", "messages"}
    assert row["completion"] == RIGHT and row["accepted"] is True
    assert (
        row["rewards"] == {"accuracy": 1.0, "format": 1.0, "language_consistency": 1.0}
        and row["total"] == 3.0
    )
    assert row["messages"][-1] == {"role": "assistant", "content": RIGHT}
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    summary = result.summary
    assert (summary.samples, summary.accepted, summary.problems, summary.problems_accepted) == (12, 6, 3, 3)
    assert summary.acceptance_rate == 0.5 and summary.pass_at_k == 1.0
    assert summary.reward_means()["accuracy"] == 0.75
    assert result.names == ["accuracy", "format", "language_consistency"]


def test_keep_n_distinct_keep_all_and_mix(tmp_path: Path, problems: Path) -> None:
    texts = [RIGHT, RIGHT, RIGHT_TOO, WRONG]
    kept = tmp_path / "keep.jsonl"
    run_reject(recipe(problems), kept, keep=3, generator=ScriptedGenerator(texts))
    assert [(r["id"], r["sample"]) for r in rows(kept)][:2] == [(0, 0), (0, 2)]  # sample 1 repeats sample 0
    everything = tmp_path / "all.jsonl"
    mix = tmp_path / "mix.jsonl"
    mix.write_text(
        '{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}\n'
    )
    result = run_reject(
        recipe(problems), everything, keep_all=True, mix=mix, generator=ScriptedGenerator(texts)
    )
    written = rows(everything)
    assert len(written) == 3 * 4 + 1 and result.mixed == 1
    assert [r["accepted"] for r in written[:4]] == [True, True, True, False]
    assert written[-1]["id"] == "mix-0" and written[-1]["messages"][-1]["content"] == "Hello!"
    again = ScriptedGenerator(texts)
    run_reject(recipe(problems), everything, keep_all=True, mix=mix, generator=again)
    assert again.prompts == 0 and rows(everything) == written  # nothing generated, the mix rows once


def test_rerun_with_another_k_or_keep_is_refused_and_the_output_kept(tmp_path: Path, problems: Path) -> None:
    out = tmp_path / "rs.jsonl"
    run_reject(recipe(problems), out, generator=ScriptedGenerator([RIGHT]))
    before = out.read_bytes()
    with pytest.raises(R1Error, match="num_samples"):
        run_reject(recipe(problems), out, num_samples=2, generator=ScriptedGenerator([RIGHT]))
    with pytest.raises(R1Error, match="keep"):
        run_reject(recipe(problems), out, keep=2, generator=ScriptedGenerator([RIGHT]))
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_samples": 0}, "--num-samples = 0: must be at least 1"),
        ({"keep": 0}, "--keep = 0: must be at least 1"),
        ({"rewards": ["reasoning_steps"]}, "neither accuracy nor format"),
        ({"rewards": ["acuracy"]}, "unknown reward function 'acuracy'"),
        ({"mix": Path("/nonexistent/mix.jsonl")}, "--mix file not found"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    tmp_path: Path, problems: Path, kwargs: dict, message: str
) -> None:
    out = tmp_path / "rs.jsonl"
    out.write_text("precious\n")
    with pytest.raises(R1Error, match=message):
        run_reject(recipe(problems), out, generator=ScriptedGenerator([RIGHT]), **kwargs)
    assert out.read_text() == "precious\n"


def test_problems_without_any_gold_are_refused_for_accuracy(tmp_path: Path) -> None:
    path = tmp_path / "nogold.jsonl"
    path.write_text('{"question": "Why?"}\n')
    with pytest.raises(R1Error, match="has a gold answer, which accuracy needs"):
        run_reject(recipe(path), tmp_path / "rs.jsonl", generator=ScriptedGenerator([RIGHT]))
    result = run_reject(
        recipe(path),
        tmp_path / "rs.jsonl",
        rewards=["format"],
        keep_all=True,
        generator=ScriptedGenerator([RIGHT]),
    )
    assert result.summary.accepted == 4 and result.summary.pass_at_k is None
