"""A trained folder carries how it was prompted: the record, the chat template's default system turn, the
recipe layer it gives, and run folders that stand for their final model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.models.folders import final_model_in, locate_model
from r1cli.models.prompting import (
    PROMPT_FILE,
    record_prompt,
    recorded_prompt,
    recorded_recipe_values,
    system_prompt_of_rows,
    with_default_system_turn,
)
from r1cli.models.tiny import build_tiny_model
from r1cli.recipe import load_recipe

TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1}
QUESTION = [{"role": "user", "content": "What is 2 + 3?"}]


pytestmark = pytest.mark.usefixtures("r1_cache")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", TINY)


def _trained(folder: Path, tiny_dir: Path, system_prompt: str) -> Path:
    """A copy of the tiny model saved as a training stage saves it, having been trained with system_prompt."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    AutoModelForCausalLM.from_pretrained(tiny_dir).save_pretrained(folder)
    record_prompt(folder, tokenizer, system_prompt)
    tokenizer.save_pretrained(folder)
    return folder


def test_the_most_common_system_turn_of_the_rows_is_recorded() -> None:
    with_system = [{"role": "system", "content": "S"}, *QUESTION]
    assert system_prompt_of_rows([with_system, with_system, QUESTION]) == "S"
    assert system_prompt_of_rows([QUESTION, QUESTION, with_system]) == ""
    assert system_prompt_of_rows([]) == ""


def test_a_saved_template_prompts_with_the_trained_system_prompt_unless_one_is_given(tmp_path, tiny_dir):
    from transformers import AutoTokenizer

    prompt = 'Think first, "quoted", {{ not jinja }}, ünïcode.\nSecond line.'
    folder = _trained(tmp_path / "sft", tiny_dir, prompt)
    tokenizer = AutoTokenizer.from_pretrained(folder)  # as vLLM, pipelines or lighteval would load it
    text = tokenizer.apply_chat_template(QUESTION, tokenize=False, add_generation_prompt=True)
    assert text.startswith(f"<|im_start|>system\n{prompt}<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?")
    own = tokenizer.apply_chat_template(
        [{"role": "system", "content": "Mine."}, *QUESTION], tokenize=False, add_generation_prompt=True
    )
    assert "Mine." in own and prompt not in own
    assert json.loads((folder / PROMPT_FILE).read_text()) == {"system_prompt": prompt}


def test_a_later_stage_replaces_the_recorded_turn_and_an_empty_prompt_removes_it(tiny_dir) -> None:
    from transformers import AutoTokenizer

    base = AutoTokenizer.from_pretrained(tiny_dir).chat_template
    twice = with_default_system_turn(with_default_system_turn(base, "First."), "Second.")
    assert "First." not in twice and twice.count("Second.") == 1
    assert with_default_system_turn(twice, "") == base


def test_the_folder_record_replaces_defaults_only(tmp_path, tiny_dir) -> None:
    folder = _trained(tmp_path / "zero", tiny_dir, "Trained with this.")
    recorded, origin = recorded_recipe_values(str(folder))
    assert recorded == {"data.system_prompt": "Trained with this."}
    below_default = load_recipe(None, None, [], environ={}, recorded=recorded, recorded_origin=origin)
    assert below_default.get("data.system_prompt") == "Trained with this."
    assert below_default.sources["data.system_prompt"] == f"model {folder / PROMPT_FILE}"
    recipe_file = tmp_path / "r.toml"
    recipe_file.write_text('[data]\nsystem_prompt = "From the recipe."\n')
    for path, args, environ, wins in [
        (recipe_file, [], {}, "From the recipe."),
        (None, ["--data.system_prompt", "From the flag."], {}, "From the flag."),
        (None, [], {"R1_DATA__SYSTEM_PROMPT": "From env."}, "From env."),
        (None, ["--data.system_prompt", ""], {}, ""),
    ]:
        explicit = load_recipe(path, None, args, environ=environ, recorded=recorded, recorded_origin=origin)
        assert explicit.get("data.system_prompt") == wins


def test_only_folders_r1_trained_record_anything(tmp_path, tiny_dir) -> None:
    assert recorded_recipe_values(str(tiny_dir)) == ({}, "")  # a model r1 did not train
    assert recorded_recipe_values("Qwen/Qwen2.5-0.5B-Instruct") == ({}, "")  # a hub id: nothing read
    assert recorded_recipe_values(str(tmp_path / "missing")) == ({}, "")  # the command refuses it itself
    folder = _trained(tmp_path / "run", tiny_dir, "Run prompt.")
    checkpoint = folder / "checkpoint-2"
    checkpoint.mkdir()
    assert recorded_prompt(checkpoint) == ({"system_prompt": "Run prompt."}, folder / PROMPT_FILE)


def test_a_pipeline_or_distill_folder_stands_for_its_final_model(tmp_path, tiny_dir, capsys) -> None:
    pipeline = tmp_path / "pipeline"
    sft = _trained(pipeline / "sft", tiny_dir, "Pipeline prompt.")
    student = _trained(pipeline / "distill" / "student", tiny_dir, "Pipeline prompt.")
    stages = [
        {"name": "data", "model_dir": None},
        {"name": "sft", "model_dir": str(sft)},
        {"name": "distill", "model_dir": str(student)},
        {"name": "later", "model_dir": str(pipeline / "not-yet")},  # a stage whose model is not there
    ]
    (pipeline / "summary.json").write_text(json.dumps({"stages": stages}))
    assert final_model_in(pipeline) == student
    assert final_model_in(pipeline / "distill") == student
    assert final_model_in(sft) is None and final_model_in(tmp_path) is None
    kind, source, folder = locate_model(str(pipeline))
    assert (kind, source, folder) == ("full", str(student), student)
    assert f"{pipeline} is a pipeline run: using its final model {student}" in capsys.readouterr().err
    assert recorded_recipe_values(str(pipeline / "distill"))[0] == {"data.system_prompt": "Pipeline prompt."}


def test_the_prose_template_renders_a_sampled_answer_as_it_was_generated() -> None:
    """A pretrained base is prompted up to `Answer:`; a completion it wrote (` <think>...`, its own space
    first) must be trained on exactly as generated (SFT stage 2, distillation), a worked trace with one space."""
    from jinja2 import Template

    from r1cli.models.prompting import PROSE_CHAT_TEMPLATE

    def render(messages, **kwargs):
        return Template(PROSE_CHAT_TEMPLATE).render(messages=messages, eos_token="<eos>", **kwargs)

    prompt = [{"role": "system", "content": "S"}, {"role": "user", "content": "What is 1 + 2?"}]
    generated = " <think>\n1 + 2 = 3\n</think>\n<answer>\n3\n</answer>"
    asked = render(prompt, add_generation_prompt=True)
    assert asked == "S\nQuestion: What is 1 + 2?\nAnswer:"
    sampled = render([*prompt, {"role": "assistant", "content": generated}])
    traced = render([*prompt, {"role": "assistant", "content": generated.lstrip()}])
    assert sampled == traced == asked + generated + "<eos>\n"
