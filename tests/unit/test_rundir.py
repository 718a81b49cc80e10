"""The run-directory policy: fresh, someone else's folder, our own earlier output, resume, overwrite."""

from __future__ import annotations

import json

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.rundir import (
    FRESH,
    OVERWRITE,
    RESUME,
    OutputKind,
    claim_output_dir,
    claim_output_file,
    settings_path,
    staged_dir,
)
from r1cli.recipe import load_recipe
from r1cli.recipe.provenance import HARDWARE_SOURCE
from r1cli.recipe.saved import check_resume_recipe, settings_that_matter, write_recipe

RUN = OutputKind("r1 train zero", "a training run", ("recipe.toml", "checkpoint-*"), resumable=True)
DATA = OutputKind("r1 data prepare", "an earlier prepared dataset", ("summary.json",), replaceable=True)
TRAINED = ("model", "data", "rewards", "grpo")


def recipe(*overrides: str):
    return load_recipe(None, None, list(overrides), environ={})


def test_absent_or_empty_output_is_fresh(tmp_path):
    assert claim_output_dir(tmp_path / "new", RUN).mode == FRESH
    (tmp_path / "empty").mkdir()
    assert claim_output_dir(tmp_path / "empty", DATA, overwrite=True).mode == FRESH
    assert not (tmp_path / "new").exists()  # a claim only checks


def test_a_non_empty_foreign_folder_is_refused_whatever_the_flags(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    for kind, flags in ((RUN, {}), (DATA, {}), (DATA, {"overwrite": True})):
        with pytest.raises(R1Error, match=r"is not empty and is not an earlier `r1 .*` output") as err:
            claim_output_dir(tmp_path, kind, **flags)
        assert "new or empty" in err.value.hint
    with pytest.raises(R1Error, match="nothing to resume"):
        claim_output_dir(tmp_path, RUN, resume=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(R1Error, match="is a file"):
        claim_output_dir(tmp_path / "file", DATA)


def test_our_own_earlier_output_needs_resume_or_overwrite(tmp_path):
    run, data = tmp_path / "run", tmp_path / "data"
    (run / "checkpoint-2").mkdir(parents=True)  # a glob marker
    data.mkdir()
    (data / "summary.json").write_text("{}")
    with pytest.raises(R1Error, match="already holds a training run") as err:
        claim_output_dir(run, RUN)
    assert "--resume" in err.value.hint and "--overwrite" not in err.value.hint
    with pytest.raises(R1Error, match="already holds an earlier prepared dataset") as err:
        claim_output_dir(data, DATA)
    assert "--overwrite" in err.value.hint and "--resume" not in err.value.hint
    assert claim_output_dir(run, RUN, resume=True).mode == RESUME
    assert claim_output_dir(data, DATA, overwrite=True).mode == OVERWRITE
    with pytest.raises(R1Error, match="already holds a training run"):
        claim_output_dir(run, RUN, overwrite=True)  # a training run is continued, never replaced
    with pytest.raises(R1Error, match="cannot continue"):
        claim_output_dir(data, DATA, resume=True)


def test_overwrite_swaps_in_the_new_output_only_once_complete(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_dir(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("killed")
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    with staged_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing temporary left


def test_resume_with_the_same_recipe(tmp_path):
    write_recipe(recipe("--grpo.learning_rate", "3e-4"), tmp_path)
    check_resume_recipe(recipe("--grpo.learning_rate", "3e-4"), tmp_path, TRAINED)
    write_recipe(recipe("--grpo.learning_rate", "1"), tmp_path)  # the first recipe.toml is kept
    check_resume_recipe(recipe("--grpo.learning_rate", "3e-4"), tmp_path, TRAINED)


def test_resume_with_a_changed_training_key_is_refused_by_name(tmp_path):
    write_recipe(recipe(), tmp_path)
    for key, value in (
        ("grpo.learning_rate", "1e-4"),
        ("rewards.functions", "[accuracy]"),
        ("model.dtype", "bfloat16"),
    ):
        with pytest.raises(R1Error, match=f"differs from the run's: {key} ") as err:
            check_resume_recipe(recipe(f"--{key}", value), tmp_path, TRAINED)
        assert "its own recipe" in err.value.hint


def test_a_run_started_before_r1_gained_a_setting_resumes_at_its_default(tmp_path):
    """A key the run's recipe.toml lacks (added to r1 since) is no change at its default; set, it is."""
    write_recipe(recipe(), tmp_path)
    saved = (tmp_path / "recipe.toml").read_text()
    assert "answer_in" in saved
    (tmp_path / "recipe.toml").write_text(
        "\n".join(line for line in saved.splitlines() if not line.startswith("answer_in"))
    )
    check_resume_recipe(recipe(), tmp_path, TRAINED)
    with pytest.raises(R1Error, match=r"rewards.accuracy.answer_in \(None -> 'tags'\)"):
        check_resume_recipe(recipe("--rewards.accuracy.answer_in", "tags"), tmp_path, TRAINED)


def test_resume_with_a_changed_output_only_key_is_allowed(tmp_path):
    write_recipe(recipe(), tmp_path)
    changed = recipe(
        "--grpo.output_dir", "elsewhere",
        "--grpo.max_steps", "99",
        "--grpo.save_steps", "7",
        "--grpo.logging_steps", "3",
        "--logging.examples_every", "0",
        "--sft.learning_rate", "1",  # a section this stage does not train
        "--generation.max_new_tokens", "9",
    )  # fmt: skip
    changed.set("model.attn_implementation", "sdpa", HARDWARE_SOURCE)  # fitted to this machine
    check_resume_recipe(changed, tmp_path, TRAINED)


def test_settings_that_matter_leave_out_where_and_how_often(tmp_path):
    settings = settings_that_matter(recipe("--grpo.max_steps", "3"), ("grpo", "logging"))
    assert "grpo.learning_rate" in settings and "grpo.num_generations" in settings
    assert not [k for k in settings if k.startswith("logging.") or k.endswith(("max_steps", "output_dir"))]
    assert not [k for k in settings if k.split(".")[0] != "grpo"]


def test_jsonl_output_fresh_then_resume_or_overwrite(tmp_path):
    out = tmp_path / "runs" / "samples.jsonl"
    settings = {"model.name_or_path": "r1-tiny", "generation.temperature": 0.7, "stops": ("</answer>",)}
    assert claim_output_file(out, settings, "r1 sample").mode == FRESH
    saved = json.loads(settings_path(out).read_text())
    assert saved == {"command": "r1 sample", "settings": {**settings, "stops": ["</answer>"]}}
    out.write_text('{"id": 1}\n')
    with pytest.raises(R1Error, match="already holds rows of an earlier `r1 sample` run") as err:
        claim_output_file(out, settings, "r1 sample")
    assert "--resume" in err.value.hint and "--overwrite" in err.value.hint
    assert claim_output_file(out, settings, "r1 sample", resume=True).mode == RESUME
    changed = {**settings, "generation.temperature": 1.0}
    with pytest.raises(
        R1Error, match=r"written with other settings; what differs: generation.temperature \(0.7 -> 1.0\)"
    ):
        claim_output_file(out, changed, "r1 sample", resume=True)
    with pytest.raises(R1Error, match="written by `r1 sample`, not `r1 eval`"):
        claim_output_file(out, settings, "r1 eval", resume=True)
    assert claim_output_file(out, changed, "r1 sample", overwrite=True).mode == OVERWRITE
    assert json.loads(settings_path(out).read_text())["settings"]["generation.temperature"] == 1.0
    assert out.read_text() == '{"id": 1}\n'  # the claim never truncates: the stage starts the file over


def test_jsonl_output_not_ours_is_refused_even_with_overwrite(tmp_path):
    out = tmp_path / "mine.jsonl"
    out.write_text('{"keep": true}\n')
    for flags in ({}, {"overwrite": True}, {"resume": True}):
        with pytest.raises(R1Error, match=r"is not an earlier `r1 sample` output|nothing to resume"):
            claim_output_file(out, {}, "r1 sample", **flags)
    assert out.read_text() == '{"keep": true}\n' and not settings_path(out).exists()
    with pytest.raises(R1Error, match="is a directory"):
        claim_output_file(tmp_path, {}, "r1 sample")


def test_resume_sets_aside_a_checkpoint_killed_while_its_trainer_state_was_written(tmp_path):
    from r1cli.train.output import find_resume_checkpoint

    # The trainer writes trainer_state.json last and in place: killed in between, the file is there but empty.
    for step, state in ((2, json.dumps({"global_step": 2, "max_steps": 8})), (4, "")):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    chosen = find_resume_checkpoint(tmp_path, recipe("--grpo.max_steps", "8"), "grpo")
    assert chosen == tmp_path / "checkpoint-2"
    assert (tmp_path / "incomplete-checkpoint-4" / "trainer_state.json").exists()  # set aside, not deleted
