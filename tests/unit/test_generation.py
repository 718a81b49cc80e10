"""The generation engine on the tiny model: problems in, batched samples out, resumed, refused, overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.data.problems import Prompt, read_problems
from r1cli.generation.backends import generation_settings, open_generator
from r1cli.generation.engine import default_rows, generate_jsonl, progress_path
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.rundir import settings_path
from r1cli.recipe import load_recipe

TINY = ["--tiny.hidden_size", "32", "--tiny.intermediate_size", "64", "--tiny.num_hidden_layers", "1"]
DATA = {"system_prompt": "Think first."}


def recipe(*overrides: str):
    base = [
        "--generation.max_new_tokens",
        "6",
        "--generation.num_samples",
        "2",
        "--generation.batch_size",
        "4",
    ]
    return load_recipe(None, overrides=[*TINY, *base, *overrides], environ={})


@pytest.fixture(autouse=True)
def r1_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("R1_CACHE", str(tmp_path_factory.getbasetemp() / "r1-cache"))


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    import os

    os.environ["R1_CACHE"] = str(tmp_path_factory.getbasetemp() / "r1-cache")
    return open_generator(recipe())


def problems(count: int = 5) -> list[Prompt]:
    rows = [{"id": f"p{i}", "problem": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(count)]
    return [Prompt(r["id"], [{"role": "user", "content": r["problem"]}], r) for r in rows]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def pairs(path: Path) -> list[tuple]:
    return [(row["id"], row["sample"]) for row in lines(path)]


# ---- reading problems -----------------------------------------------------------------------------


def test_read_problems_builds_prompts_like_data_prepare(tmp_path):
    path = tmp_path / "problems.jsonl"
    rows = [
        {"question": "Tom has 3 apples and buys 2. How many?", "answer": "He has 3 + 2 = 5.\n#### 5"},
        {"problem": "What is 2 + 2?", "id": "x"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    first, second = read_problems(path, DATA)
    assert first.id == 0 and first.row["answer"] == "5" and first.row["solution"].endswith("#### 5")
    assert first.messages == [
        {"role": "system", "content": "Think first."},
        {"role": "user", "content": rows[0]["question"]},
    ]
    assert second.id == "x" and "solution" not in second.row  # no gold: kept, without one


def test_read_problems_bad_input_is_one_line(tmp_path):
    with pytest.raises(R1Error, match="file not found"):
        read_problems(tmp_path / "missing.jsonl", DATA)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(R1Error, match="is empty"):
        read_problems(empty, DATA)
    no_text = tmp_path / "no_text.jsonl"
    no_text.write_text('{"problem": "What is 1 + 1?"}\n{"problem": "  ", "answer": "2"}\n')
    with pytest.raises(R1Error, match=r"row 2 has no problem text \(`problem`\)"):
        read_problems(no_text, DATA)
    twice = tmp_path / "twice.jsonl"
    twice.write_text('{"problem": "a", "id": 7}\n{"problem": "b", "id": 7}\n')
    with pytest.raises(R1Error, match="rows 1 and 2 have the same id 7"):
        read_problems(twice, DATA)


def test_read_problems_from_a_prepared_folder(tmp_path):
    from r1cli.data.prepare import prepare
    from r1cli.data.store import save_prepared

    source = tmp_path / "gsm.jsonl"
    source.write_text(
        "".join(
            json.dumps({"question": f"What is {i} + 1?", "answer": f"#### {i + 1}"}) + "\n" for i in range(6)
        )
    )
    dataset, summary = prepare({**DATA, "test_size": 2}, str(source))
    save_prepared(dataset, summary, tmp_path / "prepared")
    prompts = read_problems(tmp_path / "prepared", DATA, split="test")
    assert len(prompts) == 2 and [p.id for p in prompts] == [0, 1]
    assert prompts[0].messages == dataset["test"][0]["prompt"] and prompts[0].row["answer"]


# ---- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("num_samples", 0, "num_samples must be a whole number of at least 1"),
        ("max_new_tokens", -1, "max_new_tokens must be"),
        ("temperature", -0.5, "temperature must be 0"),
        ("top_p", 0, r"top_p must be in \(0, 1\]"),
        ("backend", "tgi", "unknown generation.backend 'tgi'"),
        ("seed", -1, "seed must be a whole number of at least 0"),
    ],
)
def test_bad_generation_settings_are_refused(key, value, message):
    section = recipe().section("generation")
    with pytest.raises(R1Error, match=message):
        generation_settings({**section, key: value})


def test_vllm_backend_without_vllm_is_one_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a)
    )
    with pytest.raises(R1Error, match='backend = "vllm" but vllm is not installed'):
        generation_settings({**recipe().section("generation"), "backend": "vllm"})


# ---- the engine -----------------------------------------------------------------------------------


def test_batched_greedy_matches_one_prompt_at_a_time(generator):
    generator.gen.update(temperature=0.0, max_new_tokens=8)
    try:
        conversations = [p.messages for p in problems(5)]
        batched = generator.generate(conversations, 1)
        alone = [generator.generate([c], 1)[0] for c in conversations]
    finally:
        generator.gen.update(temperature=0.7, max_new_tokens=6)
    assert [s[0].text for s in batched] == [s[0].text for s in alone]
    assert all(0 < s[0].tokens <= 8 for s in batched)


def test_sampling_is_seeded_by_the_recipe_and_leaves_the_callers_rng_alone(generator):
    import torch

    conversations = [p.messages for p in problems(3)]
    torch.manual_seed(123)
    expected_draw = torch.rand(1)
    torch.manual_seed(123)
    first = generator.generate(conversations, 4)
    assert torch.rand(1) == expected_draw  # generating drew nothing from the caller's random stream
    torch.manual_seed(7)  # whatever ran before in the process does not matter
    assert generator.generate(conversations, 4) == first
    texts = [s.text for group in first for s in group]
    assert len(set(texts)) > 1  # the samples of a batch are not copies of one another
    generator.gen["seed"] = 1
    try:
        assert [s.text for group in generator.generate(conversations, 4) for s in group] != texts
    finally:
        generator.gen["seed"] = 0


def test_num_samples_per_prompt_and_greedy_copies(generator):
    out = generator.generate([p.messages for p in problems(3)], 3)
    assert [[s.index for s in group] for group in out] == [[0, 1, 2]] * 3
    generator.gen["temperature"] = 0.0
    try:
        greedy = generator.generate([problems(1)[0].messages], 3)[0]
    finally:
        generator.gen["temperature"] = 0.7
    assert len({s.text for s in greedy}) == 1 and [s.index for s in greedy] == [0, 1, 2]


def test_generate_jsonl_writes_every_id_and_sample_once(tmp_path, generator, capsys):
    output = tmp_path / "out.jsonl"
    result = generate_jsonl(problems(5), output, recipe(), command="r1 test", generator=generator)
    assert (result.prompts, result.resumed, result.generated, result.rows_written) == (5, 0, 5, 10)
    assert sorted(pairs(output)) == [(f"p{i}", s) for i in range(5) for s in range(2)]
    row = lines(output)[0]
    assert row["answer"] == "0" and row["prompt"][0]["role"] == "user" and isinstance(row["completion"], str)
    saved = json.loads(settings_path(output).read_text())
    assert saved["command"] == "r1 test" and saved["settings"]["generation.num_samples"] == 2
    assert "generated 5/5 rows" in capsys.readouterr().err  # plain progress lines off a terminal

    again = generate_jsonl(problems(5), output, recipe(), command="r1 test", generator=generator)
    assert (again.resumed, again.generated) == (5, 0)
    assert "resuming: 5 of 5 done" in capsys.readouterr().err
    assert len(lines(output)) == 10


def test_rerun_with_other_settings_is_refused_by_name(tmp_path, generator):
    output = tmp_path / "out.jsonl"
    generate_jsonl(problems(2), output, recipe(), command="r1 test", generator=generator)
    before = output.read_bytes()
    with pytest.raises(R1Error, match=r"generation.num_samples \(2 -> 3\)"):
        generate_jsonl(problems(2), output, recipe(), command="r1 test", num_samples=3, generator=generator)
    assert output.read_bytes() == before


def test_caller_settings_are_compared_too(tmp_path, generator):
    output = tmp_path / "out.jsonl"
    run = {"command": "r1 test", "generator": generator}
    generate_jsonl(problems(2), output, recipe(), settings={"keep": 1}, **run)
    with pytest.raises(R1Error, match=r"keep \(1 -> 2\)"):
        generate_jsonl(problems(2), output, recipe(), settings={"keep": 2}, **run)
    with pytest.raises(R1Error, match=r"prompts \('2 prompts"):
        generate_jsonl(problems(3), output, recipe(), settings={"keep": 1}, **run)


def test_overwrite_starts_over(tmp_path, generator):
    output = tmp_path / "out.jsonl"
    generate_jsonl(problems(3), output, recipe(), command="r1 test", generator=generator)
    result = generate_jsonl(
        problems(2), output, recipe(), command="r1 test", num_samples=1, overwrite=True, generator=generator
    )
    assert (result.resumed, result.generated) == (0, 2)
    assert sorted(pairs(output)) == [("p0", 0), ("p1", 0)]


def test_a_foreign_file_is_never_written(tmp_path, generator):
    output = tmp_path / "notes.jsonl"
    output.write_text('{"mine": true}\n')
    with pytest.raises(R1Error, match="not an earlier `r1 test` output"):
        generate_jsonl(problems(2), output, recipe(), command="r1 test", overwrite=True, generator=generator)
    assert output.read_text() == '{"mine": true}\n'


def test_a_bad_model_fails_before_the_output_is_touched(tmp_path):
    output = tmp_path / "out.jsonl"
    with pytest.raises(R1Error, match="does not exist"):
        generate_jsonl(problems(2), output, recipe(), command="r1 test", model=str(tmp_path / "nope"))
    assert not output.exists()


def test_prompts_with_no_rows_count_as_done(tmp_path, generator):
    output = tmp_path / "out.jsonl"
    calls = []

    def keep_odd(prompt, samples):
        calls.append(prompt.id)
        return default_rows(prompt, samples) if prompt.id in ("p1", "p3") else []

    generate_jsonl(problems(4), output, recipe(), command="r1 test", make_rows=keep_odd, generator=generator)
    again = generate_jsonl(
        problems(4), output, recipe(), command="r1 test", make_rows=keep_odd, generator=generator
    )
    assert sorted(calls) == ["p0", "p1", "p2", "p3"] and again.generated == 0
    assert sorted({row["id"] for row in lines(output)}) == ["p1", "p3"]


def test_a_crash_mid_batch_is_repaired_without_lost_or_doubled_rows(tmp_path, generator):
    output = tmp_path / "out.jsonl"
    generate_jsonl(problems(4), output, recipe(), command="r1 test", generator=generator)
    # Simulate a run killed while writing: keep the journal of the first batch (2 prompts) only, and
    # leave that batch's rows, a complete row of the next batch and a torn line in the file.
    journal = progress_path(output).read_text().splitlines()
    progress_path(output).write_text(journal[0] + "\n")
    committed = json.loads(journal[0])["bytes"]
    data = output.read_bytes()
    next_row = data[committed:].split(b"\n")[0] + b"\n"
    output.write_bytes(data[:committed] + next_row + b'{"id": "p2", "sam')
    result = generate_jsonl(problems(4), output, recipe(), command="r1 test", generator=generator)
    assert (result.resumed, result.generated) == (2, 2)
    assert sorted(pairs(output)) == [(f"p{i}", s) for i in range(4) for s in range(2)]


def test_an_output_cut_short_is_refused(tmp_path, generator):
    output = tmp_path / "out.jsonl"
    generate_jsonl(problems(2), output, recipe(), command="r1 test", generator=generator)
    output.write_bytes(output.read_bytes()[:10])
    with pytest.raises(R1Error, match="shorter than r1 left it"):
        generate_jsonl(problems(2), output, recipe(), command="r1 test", generator=generator)


def test_a_models_own_generation_defaults_do_not_change_r1s_sampling(generator):
    """Qwen2.5-Instruct ships repetition_penalty 1.1 and top_k 20: r1's scores are stored with r1's
    settings, so those must not apply on top of them (greedy and sampled alike)."""
    conversations = [p.messages for p in problems(3)]
    plain = generator.generate(conversations, 2)
    defaults = generator.model.generation_config
    saved = (defaults.repetition_penalty, defaults.top_k)
    defaults.repetition_penalty, defaults.top_k = 5.0, 1
    try:
        assert generator.generate(conversations, 2) == plain
        generator.gen.update(temperature=0.0, max_new_tokens=8)
        greedy = generator.generate(conversations, 1)
        defaults.repetition_penalty, defaults.top_k = saved
        assert generator.generate(conversations, 1) == greedy
    finally:
        defaults.repetition_penalty, defaults.top_k = saved
        generator.gen.update(temperature=0.7, max_new_tokens=6)
