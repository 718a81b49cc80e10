"""Eval inputs and verdicts: benchmark files and prepared folders, stub completions known right and wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED_DATA, needs_shared_data

from r1cli.evaluate.benchmarks import benchmark_name, default_benchmark, load_benchmark, recorded_benchmark
from r1cli.evaluate.run import judge
from r1cli.plumbing.errors import R1Error
from r1cli.recipe import load_recipe

DEFAULTS = load_recipe(None, None, [], environ={})
DATA, REWARDS = DEFAULTS.section("data"), DEFAULTS.section("rewards")


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@needs_shared_data
def test_gsm8k_and_aime_files_become_prompts_as_prepare_builds_them():
    gsm8k = load_benchmark(SHARED_DATA / "gsm8k" / "test.jsonl", DATA, limit=5)
    assert gsm8k.name == "gsm8k/test" and len(gsm8k.prompts) == 5
    first = gsm8k.prompts[0]
    assert first.id == 0 and first.row["answer"] == "18" and first.row["solution"].endswith("#### 18")
    assert first.messages[0] == {"role": "system", "content": DATA["system_prompt"]}
    assert first.messages[1]["content"].startswith("Janet")
    aime = load_benchmark(SHARED_DATA / "math" / "aime24.jsonl", DATA)
    assert aime.name == "aime24" and len(aime.prompts) == 30 and aime.dropped == 0


def test_completions_known_right_and_wrong_get_the_right_verdicts(tmp_path):
    bench = load_benchmark(
        _jsonl(tmp_path / "q.jsonl", [{"question": "Janet has 16 eggs ...", "answer": "... #### 18"}]), DATA
    )
    problem = {"solution": bench.prompts[0].row["solution"], "prompt": bench.prompts[0].messages}
    completions = [
        "<think>\n16 - 3 - 4 = 9, 9 * 2 = 18\n</think>\n<answer>\n18\n</answer>",  # right, formatted
        "<think>\nguess\n</think>\n<answer>\n17\n</answer>",  # wrong, formatted
        "The answer is 18.",  # right, no format
        "I do not know",  # no answer
    ]
    verdicts = judge(completions, [problem] * 4, REWARDS)
    assert [v["correct"] for v in verdicts] == [True, False, True, False]
    assert [v["formatted"] for v in verdicts] == [True, True, False, False]
    assert [v["predicted"] for v in verdicts] == ["18", "17", "18", None]


def test_a_prepared_folder_gives_its_test_split(tmp_path):
    from r1cli.data.prepare import prepare
    from r1cli.data.store import save_prepared

    source = _jsonl(
        tmp_path / "p.jsonl", [{"problem": f"What is {i} + 1?", "answer": str(i + 1)} for i in range(20)]
    )
    dataset, summary = prepare({**DATA, "test_size": 5}, str(source))
    save_prepared(dataset, summary, tmp_path / "prepared")
    bench = load_benchmark(tmp_path / "prepared", DATA)
    assert bench.name == "prepared/test" and len(bench.prompts) == 5
    assert {p.row["problem"] for p in bench.prompts} == set(dataset["test"]["problem"])
    assert bench.prompts[0].messages == dataset["test"][0]["prompt"]


def test_files_without_gold_answers_name_the_columns_found(tmp_path, capsys):
    no_column = _jsonl(tmp_path / "a.jsonl", [{"question": "2 + 2?", "reply": "4"}])
    with pytest.raises(R1Error, match=r"no row of .* has a gold answer \(columns: question, reply\)"):
        load_benchmark(no_column, DATA)
    no_gold = _jsonl(tmp_path / "b.jsonl", [{"question": "2 + 2?", "answer": "I do not know\nreally"}])
    with pytest.raises(R1Error, match=r"no row of .* has a gold answer .*columns: question, answer"):
        load_benchmark(no_gold, DATA)
    partly = _jsonl(
        tmp_path / "c.jsonl", [{"question": "2 + 2?", "answer": "4"}, {"question": "x", "answer": ""}]
    )
    assert load_benchmark(partly, DATA).dropped == 1
    assert "1 of 2 rows have no gold answer: left out" in capsys.readouterr().err


def test_benchmark_names():
    assert benchmark_name("runs/data/gsm8k-prepared") == "gsm8k-prepared"
    assert benchmark_name("amc23.jsonl") == "amc23"


def test_stub_generations_known_right_and_wrong_give_known_metrics(tmp_path):
    from r1cli.evaluate.run import judged_rows, metrics_from_rows
    from r1cli.generation.backends import Sample

    rows = [{"question": "Janet ...", "answer": "#### 18"}, {"question": "Half of 10?", "answer": "5"}]
    bench = load_benchmark(_jsonl(tmp_path / "two.jsonl", rows), DATA)
    right = "<think>\nwork\n</think>\n<answer>\n{}\n</answer>"
    generated = {
        0: [
            Sample(0, right.format(18), 9, True),
            Sample(1, right.format(17), 9, True),
            Sample(2, "18 is it", 4, True),
            Sample(3, right.format("18"), 32, False),
        ],
        1: [
            Sample(0, right.format(4), 9, True),
            Sample(1, right.format(4), 9, True),
            Sample(2, "I do not know", 32, False),
            Sample(3, right.format(5), 9, True),
        ],
    }
    make_rows = judged_rows(REWARDS)
    predictions = [row for p in bench.prompts for row in make_rows(p, generated[p.id])]
    assert [(r["id"], r["sample"], r["correct"]) for r in predictions[:2]] == [(0, 0, True), (0, 1, False)]
    assert predictions[0]["gold"] == "18" and predictions[0]["predicted"] == "18"
    metrics = metrics_from_rows(bench.prompts, list(reversed(predictions)))  # order does not matter
    assert metrics["accuracy"] == pytest.approx((3 / 4 + 1 / 4) / 2)
    assert metrics["maj@4"] == pytest.approx(0.5)  # problem 0: "18" x3 (right); problem 1: "4" x2 (wrong)
    assert metrics["pass@1"] == pytest.approx(metrics["accuracy"])
    assert metrics["pass@4"] == 1.0
    assert metrics["format_rate"] == pytest.approx(6 / 8)
    assert metrics["truncated_rate"] == pytest.approx(2 / 8)
    assert metrics["no_answer_rate"] == pytest.approx(1 / 8)
    assert metrics["mean_completion_tokens"] == pytest.approx((9 + 9 + 4 + 32 + 9 + 9 + 32 + 9) / 8)


def test_presets_and_overrides():
    from r1cli.evaluate.run import EvalSettings

    assert EvalSettings.from_preset() == EvalSettings("greedy", 0.0, 1.0, 1, 256)
    r1 = EvalSettings.from_preset("r1", samples=64, max_new_tokens=1024)
    assert (r1.temperature, r1.top_p, r1.samples, r1.max_new_tokens) == (0.6, 0.95, 64, 1024)
    recipe = r1.apply(DEFAULTS)
    assert recipe.get("generation.num_samples") == 64 and recipe.get("generation.temperature") == 0.6
    assert DEFAULTS.get("generation.num_samples") != 64  # the caller's recipe is left as it was
    with pytest.raises(R1Error, match=r"unknown eval preset 'gredy'.*did you mean 'greedy'"):
        EvalSettings.from_preset("gredy")
    with pytest.raises(R1Error, match="4 samples at temperature 0"):
        EvalSettings.from_preset("greedy", samples=4)
    assert EvalSettings.from_preset("greedy", samples=4, temperature=1.0).samples == 4


def test_a_template_that_opens_think_is_read_as_the_model_saw_it():
    completion = "\n2 + 3 = 5\n</think>\n<answer>\n5\n</answer>"  # the template wrote the <think>
    problem = {"solution": "5", "prompt": [{"role": "user", "content": "2 + 3?"}]}
    plain = judge([completion], [problem], REWARDS)[0]
    opened = judge(
        [completion], [{**problem, "rendered_prompt": "user: 2 + 3?\nassistant: <think>"}], REWARDS
    )[0]
    assert (plain["formatted"], opened["formatted"]) == (False, True)
    assert plain["correct"] is opened["correct"] is True


def _folder(path: Path, dataset: str | None = None, *, prepared: bool = False) -> Path:
    path.mkdir(parents=True)
    if dataset is not None:
        (path / "recipe.toml").write_text(f'[data]\ndataset = "{dataset}"\n')
    if prepared:
        (path / "dataset_dict.json").write_text('{"splits": ["train", "test"]}')
    return path


def test_a_trained_folder_leads_r1_eval_to_its_held_out_problems(tmp_path: Path) -> None:
    prepared = _folder(tmp_path / "prepared", prepared=True)
    run = _folder(tmp_path / "zero", str(prepared))
    checkpoint = _folder(run / "checkpoint-5")
    assert recorded_benchmark(str(run)) == recorded_benchmark(str(checkpoint)) == prepared
    # A pipeline's SFT stage trained on its cold-start file: the pipeline's own DIR/data is the held-out set.
    pipeline = _folder(tmp_path / "pipeline", "synthetic:addition")
    data = _folder(pipeline / "data", prepared=True)
    sft = _folder(pipeline / "sft", str(pipeline / "coldstart" / "coldstart.jsonl"))
    assert recorded_benchmark(str(sft)) == data.resolve()
    assert recorded_benchmark(str(_folder(tmp_path / "plain", "problems.jsonl"))) is None
    assert default_benchmark([str(run), str(checkpoint)]) == prepared
    with pytest.raises(R1Error, match="different held-out sets"):
        default_benchmark([str(run), str(sft)])
    with pytest.raises(R1Error, match="plain records no held-out problems"):
        default_benchmark([str(run), str(tmp_path / "plain")])
