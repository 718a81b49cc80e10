"""Distillation: a student learns from a teacher, by its reasoning traces (SFT) or its logits (on-policy GKD).

    r1 distill --teacher runs/sft2 --student r1-tiny --data problems.jsonl -o runs/distill
    r1 distill --teacher runs/sft2 --student r1-tiny --method logits -o runs/distill-logits

`traces` (the default, the seed's way, works across tokenizers): the teacher writes K samples per
training problem through the generation engine into `DIR/traces.jsonl`, each scored like
`r1 sample reject` (accuracy and format rewards); the accepted ones (or all, `--filter none`) become
`messages` rows in `DIR/sft.jsonl`, and the student is trained on them by `r1 train sft`'s code.
`logits`: trl's DistillationTrainer (the student generates, and learns the teacher's next-token
distribution, generalized JSD) configured from `[distill]`; teacher and student must share a tokenizer.

PROBLEMS (`--data`, default data.dataset) is split as `r1 data prepare` splits it: the student learns
from the train split; the closing table compares teacher and student on the held-out test split
(greedy, the verdicts of `r1 eval`), with model sizes. `--student r1-tiny` is a smaller r1-tiny shaped
by `[tiny_student]`. A killed run continues where it stopped when run again with the same settings:
generation per problem, training from its last checkpoint, evaluation per problem.

DIR: distill.json (the settings), traces.jsonl, sft.jsonl, student/ (the trained student, as
`r1 train sft` writes it), eval/ (held-out generations), results.json (the closing table).
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from r1cli.models.tiny import TINY_MODEL_NAME
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.rundir import DISTILL_STUDENT, OutputKind, check_same_settings, claim_output_dir, lookup
from r1cli.recipe.provenance import Recipe
from r1cli.recipe.saved import check_resume_recipe, saved_recipe

METHODS = ("traces", "logits")
FILTERS = ("reject", "none")
SETTINGS_FILE = "distill.json"
TRACES_FILE = "traces.jsonl"
SFT_FILE = "sft.jsonl"
STUDENT_DIR = DISTILL_STUDENT  # model_dirs reads it too: a distill folder stands for its student
RESULTS_FILE = "results.json"
DISTILL_RUN = OutputKind(
    "r1 distill", "a distillation run", (SETTINGS_FILE,), resumable=True, option="--output-dir"
)
# What decides the teacher's traces' verdicts (the two rewards `r1 sample reject` accepts by).
TRACE_REWARDS = ("accuracy", "format")
# The recipe sections that decide what the logits student trains (a resumed run must keep them).
LOGITS_TRAINED = ("model", "tiny", "quantization", "lora", "data", "distill")
SOURCE = "r1 distill"


@dataclass
class ModelScore:
    """One row of the closing table."""

    role: str
    model: str
    parameters: int
    accuracy: float
    format_rate: float


@dataclass
class DistillResult:
    """What a distillation run left behind."""

    output_dir: Path
    student_dir: Path
    method: str
    traces: int = 0  # teacher samples in traces.jsonl
    trained_rows: int = 0  # rows the student was SFT-trained on (traces)
    held_out: int = 0
    scores: list[ModelScore] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        data = asdict(self)
        data["output_dir"], data["student_dir"] = str(self.output_dir), str(self.student_dir)
        return data


# ---- settings and the output folder --------------------------------------------------------------


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    from r1cli.plumbing.errors import did_you_mean

    if value not in choices:
        raise R1Error(
            f"--{name} {value!r}: not one of {', '.join(choices)}", hint=did_you_mean(value, choices)
        )


def student_recipe(recipe: Recipe, student: str, output_dir: Path) -> Recipe:
    """The recipe the student trains with: its model, r1-tiny shaped by [tiny_student], output in DIR/student."""
    changed = copy.deepcopy(recipe)
    changed.set("model.name_or_path", student, SOURCE)
    if student == TINY_MODEL_NAME:
        for key, value in recipe.section("tiny_student").items():
            changed.set(f"tiny.{key}", value, SOURCE)
    for section in ("sft", "distill"):
        changed.set(f"{section}.output_dir", str(output_dir / STUDENT_DIR), SOURCE)
    return changed


def _model_path(name: str, recipe: Recipe) -> Path | None:
    """The local folder a model name opens (None for a hub id); checks it without loading."""
    from r1cli.models.folders import locate_model

    _kind, _source, local = locate_model(name, recipe.section("tiny"))
    return local.resolve() if local is not None else None


def _check_same_tokenizer(teacher_recipe: Recipe, teacher: str, student: Recipe) -> None:
    from r1cli.models.loading import load_tokenizer, model_settings

    teacher_tok = load_tokenizer(model_settings(copy_with_model(teacher_recipe, teacher)))
    student_tok = load_tokenizer(model_settings(student))
    if teacher_tok.get_vocab() != student_tok.get_vocab():
        raise R1Error(
            f"--method logits needs a teacher and a student with the same tokenizer: the teacher's has "
            f"{len(teacher_tok)} tokens, the student's {len(student_tok)}, and their vocabularies differ",
            hint="use --method traces, which works across tokenizers",
        )


def copy_with_model(recipe: Recipe, name: str) -> Recipe:
    changed = copy.deepcopy(recipe)
    changed.set("model.name_or_path", name, SOURCE)
    return changed


_OTHER_SETTINGS_HINT = "run it again with its own settings to continue it, or pick another --output-dir"


def _claim(output_dir: Path, settings: dict[str, Any]) -> None:
    """A fresh folder, or this same run to continue (its settings unchanged)."""
    ours = DISTILL_RUN.is_ours(output_dir) if output_dir.is_dir() else False
    claim_output_dir(output_dir, DISTILL_RUN, resume=ours)
    if ours:
        saved = json.loads((output_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
        message = f"{output_dir} holds a distillation run with other settings"
        check_same_settings(saved, settings, output_dir, message=message, hint=_OTHER_SETTINGS_HINT)


def _check_student(student: Recipe, out: Path, sections: Sequence[str]) -> bool:
    """Whether the student in `out` is trained already. Refused: a student started with other training
    settings, and a finished one asked for another max_steps (a rerun would silently not apply them)."""
    from r1cli.train.output import is_trained, trainer_section_of

    message = f"{out} holds a student trained with other settings"
    check_resume_recipe(student, out, sections, message=message, hint=_OTHER_SETTINGS_HINT)
    if not is_trained(out):
        return False  # a killed student continues, to the recipe's max_steps
    key = f"{trainer_section_of(sections)}.max_steps"
    trained, wanted = lookup(saved_recipe(out) or {}, key), student.get(key)
    if trained != wanted:
        raise R1Error(
            f"{message}: {key} ({trained!r} -> {wanted!r})",
            hint="a finished student is not trained further: pick another --output-dir",
        )
    return True


# ---- traces --------------------------------------------------------------------------------------


def _prompts(split: Any) -> list[Any]:
    from r1cli.data.problems import Prompt

    return [Prompt(index, row["prompt"], dict(row)) for index, row in enumerate(split)]


def write_teacher_traces(
    recipe: Recipe, teacher: str, prompts: list[Any], output: Path, num_samples: int | None
):
    """K teacher samples per problem into `output`, each scored and marked `accepted` like r1 sample reject."""
    from r1cli.data.problems import gold_of
    from r1cli.generation.engine import generate_jsonl
    from r1cli.sample.reject import Scorer, score_samples

    scorer = Scorer.from_recipe(recipe.section("rewards"), TRACE_REWARDS)

    def make_rows(prompt: Any, samples: list[Any]) -> list[dict[str, Any]]:
        item = {"id": prompt.id, "prompt": prompt.messages, **gold_of(prompt.row)}
        rows = score_samples(item, [s.text for s in samples], scorer)
        return [
            {**row, "problem": prompt.row.get("problem"), "finished": s.finished}
            for row, s in zip(rows, samples, strict=True)
        ]

    return generate_jsonl(
        prompts, output, recipe, command="r1 distill", model=teacher, make_rows=make_rows,
        settings={"rewards": list(TRACE_REWARDS)}, num_samples=num_samples,
    )  # fmt: skip


def training_rows(traces: list[dict[str, Any]], filter_: str, keep: int) -> list[dict[str, Any]]:
    """The `messages` rows the student learns from: per problem the accepted distinct traces (`reject`),
    or every trace (`none`)."""
    from r1cli.sample.reject import select_accepted

    if filter_ == "none":
        return [{"messages": row["messages"]} for row in traces]
    by_problem: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in traces:
        by_problem[row["id"]].append(row)
    rows = []
    for samples in by_problem.values():
        rows += [{"messages": row["messages"]} for row in select_accepted(samples, keep=keep)]
    return rows


def _write_training_rows(traces_path: Path, output: Path, filter_: str, keep: int) -> tuple[int, int]:
    """(teacher traces, rows written to `output` for the student)."""
    from r1cli.plumbing.jsonl import atomic_write, json_lines

    traces = [row for _, row, _ in json_lines(traces_path.read_bytes()) if row is not None]
    rows = training_rows(traces, filter_, keep)
    if not rows:
        raise R1Error(
            f"the filter accepted none of the teacher's {len(traces)} traces (none both correct and well-formed)",
            hint="--filter none keeps every trace (the teacher's outputs are the targets), or use a stronger "
            "teacher or more --num-samples",
        )
    atomic_write(rows, output)
    return len(traces), len(rows)


def _train_on_traces(student: Recipe, rows: Path) -> Path:
    from r1cli.train.sft import TRAINED_SECTIONS, train_sft

    student = copy.deepcopy(student)
    student.set("data.dataset", str(rows), SOURCE)
    student.set("data.test_size", 0, SOURCE)  # the held-out problems are the PROBLEMS' own test split
    out = Path(student.get("sft.output_dir"))
    if _check_student(student, out, TRAINED_SECTIONS):
        return out
    return train_sft(student, resume=(out / "recipe.toml").exists()).output_dir


# ---- logits --------------------------------------------------------------------------------------


def _train_on_logits(recipe: Recipe, teacher: str, student: Recipe, train_split: Any) -> Path:
    from trl import DistillationTrainer

    from r1cli.data.prepare import quiet_datasets
    from r1cli.models.folders import open_model_for_recipe
    from r1cli.models.loading import load_tokenizer, lora_config, model_settings
    from r1cli.models.prompting import system_prompt_of_dataset
    from r1cli.recipe.trl_config import activation_checkpointing, build_trainer_config
    from r1cli.train.callbacks import quiet_libraries, quiet_trainer_output, trainer_callbacks
    from r1cli.train.output import start_run, train_and_save
    from r1cli.train.sft import load_start_model

    out = Path(student.get("distill.output_dir"))
    if _check_student(student, out, LOGITS_TRAINED):
        return out
    quiet_libraries()
    config = build_trainer_config(student, "distill")
    checkpoint = start_run(student, out, resume=(out / "recipe.toml").exists(), trained=LOGITS_TRAINED)
    tokenizer = load_tokenizer(model_settings(student), padding_side="left")
    teacher_model, _ = open_model_for_recipe(model_settings(recipe), name=teacher, padding_side="left")
    model = load_start_model(student, gradient_checkpointing=activation_checkpointing(config))
    with quiet_datasets():
        trainer = DistillationTrainer(
            model=model,
            teacher_model=teacher_model,
            args=config,
            train_dataset=train_split.select_columns(["prompt"]),
            processing_class=tokenizer,
            peft_config=None if hasattr(model, "peft_config") else lora_config(model_settings(student)),
            callbacks=trainer_callbacks(student.section("logging"), out),
        )
    quiet_trainer_output(trainer)
    stage = f"On-policy distillation from `{teacher}`"
    prompted = system_prompt_of_dataset(train_split)
    return train_and_save(
        trainer, tokenizer, student, out, checkpoint=checkpoint, stage=stage, system_prompt=prompted
    ).output_dir


# ---- the closing table ---------------------------------------------------------------------------


def _score(role: str, model: str, recipe: Recipe, prompts: list[Any], workdir: Path) -> ModelScore:
    from r1cli.evaluate.benchmarks import Benchmark
    from r1cli.evaluate.run import EvalSettings, evaluate_model
    from r1cli.models.folders import model_info

    benchmark = Benchmark("held-out", "held-out split", prompts)
    settings = EvalSettings.from_preset("greedy", max_new_tokens=int(recipe.get("generation.max_new_tokens")))
    result = evaluate_model(model, benchmark, recipe, settings, workdir=workdir)
    size = int(model_info(model, recipe.section("tiny"))["parameters"])
    return ModelScore(role, model, size, result.metrics["accuracy"], result.metrics["format_rate"])


# ---- the stage -----------------------------------------------------------------------------------


def distill(
    recipe: Recipe,
    teacher: str,
    student: str,
    output_dir: str | Path,
    *,
    method: str = "traces",
    filter_: str = "reject",
    num_samples: int | None = None,
) -> DistillResult:
    """Distill `teacher` into `student` on the recipe's data.dataset problems; see the module docstring."""
    from r1cli.data.store import load_prompt_dataset
    from r1cli.recipe.trl_config import build_trainer_config

    _check_choice("method", method, METHODS)
    _check_choice("filter", filter_, FILTERS)
    if not teacher:
        raise R1Error(
            "no teacher given", hint="pass --teacher MODEL (a stage's output folder, r1-tiny or a hub id)"
        )
    out = Path(output_dir).expanduser()
    students = student_recipe(recipe, student, out)
    teacher_path, student_path = _model_path(teacher, recipe), _model_path(student, students)
    if method == "logits":
        if teacher_path is not None and teacher_path == student_path:
            raise R1Error(
                f"the student is the teacher ({teacher_path}): --method logits would match a model to itself",
                hint="pass another --student (e.g. r1-tiny, shaped by [tiny_student])",
            )
        _check_same_tokenizer(recipe, teacher, students)
    # The student's trainer settings are checked before anything is written.
    build_trainer_config(students, "distill" if method == "logits" else "sft")
    samples = num_samples or int(recipe.get("generation.num_samples"))
    settings = {
        "teacher": str(teacher_path or teacher),
        "student": str(student_path or student),
        "method": method,
        "filter": filter_ if method == "traces" else None,
        "num_samples": samples if method == "traces" else None,
        "data": recipe.get("data.dataset"),
    }
    _claim(out, settings)
    dataset = load_prompt_dataset(recipe.section("data"))
    train, held_out = _prompts(dataset["train"]), _prompts(dataset["test"])
    if not held_out:
        raise R1Error(
            f"no held-out problems to compare teacher and student on (data.test_size = {recipe.get('data.test_size')})",
            hint="set --data.test_size to a fraction in (0, 1) or a row count",
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / SETTINGS_FILE).write_text(json.dumps(settings, indent=2) + "\n")

    result = DistillResult(out, out / STUDENT_DIR, method, held_out=len(held_out))
    if method == "traces":
        write_teacher_traces(recipe, teacher, train, out / TRACES_FILE, samples)
        result.traces, result.trained_rows = _write_training_rows(
            out / TRACES_FILE, out / SFT_FILE, filter_, samples
        )
        _train_on_traces(students, out / SFT_FILE)
    else:
        _train_on_logits(recipe, teacher, students, dataset["train"])

    result.scores = [
        _score("teacher", teacher, recipe, held_out, out / "eval"),
        _score("student", str(result.student_dir), students, held_out, out / "eval"),
    ]
    (out / RESULTS_FILE).write_text(json.dumps(result.record(), indent=2) + "\n")
    return result
