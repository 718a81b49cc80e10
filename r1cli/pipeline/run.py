"""Running the pipeline's stages in one folder: skip the finished ones, record each in summary.json."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.evaluate.benchmarks import PIPELINE_DATA
from r1cli.pipeline.settings import (
    PIPELINE_SECTIONS,
    TRAINING_STAGES,
    check_pipeline_settings,
    pipeline_recipe,
    stage_recipe,
    stages_run,
)
from r1cli.pipeline.summary import PIPELINE_RUN, STAGES_DIR, SUMMARY_FILE, PipelineResult, StageRecord
from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_write_text

if TYPE_CHECKING:
    from r1cli.recipe.provenance import Recipe


class Pipeline:
    """The stages of one pipeline folder; `run()` runs those not finished yet."""

    def __init__(
        self, recipe: Recipe, output_dir: Path, on_stage: Callable[[StageRecord], None] | None = None
    ):
        self.base = recipe
        self.recipe = pipeline_recipe(recipe)
        self.cfg = recipe.section("pipeline")
        self.dir = Path(output_dir)
        self.data_dir = self.dir / PIPELINE_DATA  # its test split: what `r1 eval` asks a stage folder
        self.on_stage = on_stage or (lambda record: None)
        self.records: list[StageRecord] = []

    # ---- bookkeeping ------------------------------------------------------------------------------

    def _marker(self, name: str) -> Path:
        return self.dir / STAGES_DIR / f"{name}.json"

    def _finished(self, name: str) -> StageRecord | None:
        marker = self._marker(name)
        if not marker.is_file():
            return None
        try:
            saved = json.loads(marker.read_text(encoding="utf-8"))
            return StageRecord(**saved, reused=True)
        except (OSError, ValueError, TypeError) as exc:
            raise R1Error(f"cannot read {marker}: {exc}", hint="delete it to run that stage again") from None

    def _finish(self, record: StageRecord) -> None:
        atomic_write_text(self._marker(record.name), json.dumps(record.to_dict(), indent=2) + "\n")
        self.records.append(record)
        self._write_summary()
        self.on_stage(record)

    def _write_summary(self) -> None:
        summary = {"stages": [record.summary_entry() for record in self.records]}
        atomic_write_text(self.dir / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")

    # ---- the run ---------------------------------------------------------------------------------

    def run(self, until: str | None = None) -> PipelineResult:
        from r1cli.plumbing.rundir import claim_output_dir
        from r1cli.recipe.saved import check_resume_recipe, write_recipe

        started = time.perf_counter()
        claim = claim_output_dir(self.dir, PIPELINE_RUN, resume=_is_pipeline_dir(self.dir))
        if claim.resume:
            check_resume_recipe(self.base, self.dir, PIPELINE_SECTIONS)
        write_recipe(self.base, self.dir)
        (self.dir / STAGES_DIR).mkdir(parents=True, exist_ok=True)
        self._prepare_data()
        steps = {
            "coldstart": self._coldstart,
            "sft": self._sft,
            "zero": self._zero,
            "reject": self._reject,
            "reject_sft": self._reject_sft,
            "distill": self._distill,
        }
        for name in stages_run(self.cfg, until):
            record = self._finished(name)
            if record is not None:
                self.records.append(record)
                self._write_summary()
                self.on_stage(record)
                continue
            stage_started = time.perf_counter()
            details = steps[name]()
            model_dir = details.pop("model_dir", str(self.dir / name) if name in TRAINING_STAGES else None)
            record = StageRecord(
                name, model_dir, details.pop("accuracy", None), details.pop("format_rate", None)
            )
            record.details = details
            if model_dir is not None:
                self._report(Path(details.pop("run_dir", model_dir)))
                if record.accuracy is None:
                    record.accuracy, record.format_rate = self._evaluate(Path(model_dir))
            record.seconds = round(time.perf_counter() - stage_started, 1)
            self._finish(record)
        return PipelineResult(self.dir, self.records, time.perf_counter() - started)

    def _prepare_data(self) -> None:
        """DIR/data: `r1 data prepare` of data.dataset, with the pipeline's system prompt (once)."""
        from r1cli.data import prepare, save_prepared
        from r1cli.data.store import is_saved_dataset_dict

        if is_saved_dataset_dict(self.data_dir):
            return
        data_cfg = self.recipe.section("data")
        tokenizer = None
        if int(data_cfg.get("max_prompt_tokens") or 0) > 0:  # as train zero measures prompts: the model's
            from r1cli.models.loading import load_tokenizer

            tokenizer = load_tokenizer(self.recipe.tree)
        dataset, summary = prepare(data_cfg, tokenizer=tokenizer)
        if len(dataset["test"]) == 0:
            raise R1Error("the prepared data has no held-out test split", hint="raise data.test_size")
        save_prepared(dataset, summary, self.data_dir, recipe=self.recipe)

    def _problems(self, name: str, limit: int) -> Path:
        """DIR/<name>/problems.jsonl: the first `limit` train problems (all with 0), with their gold; with
        [validation] on, the cold start leaves out the problems GRPO validates on (its SFT must not see them)."""
        from r1cli.data.problems import gold_of, read_problems
        from r1cli.plumbing.jsonl import atomic_write

        target = self.dir / name / "problems.jsonl"
        if target.is_file():
            return target
        prompts = read_problems(self.data_dir, self.recipe.section("data"), split="train")
        if name == "coldstart":
            held = self._validation_problems()
            prompts = [p for p in prompts if p.row.get("problem") not in held]
        chosen = prompts[:limit] if limit else prompts
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(({"id": p.id, "problem": p.row["problem"], **gold_of(p.row)} for p in chosen), target)
        return target

    def _validation_problems(self) -> set[str]:
        """The problems the GRPO stage will carve from DIR/data's train split to validate on (none when off)."""
        from r1cli.data import load_prepared
        from r1cli.train.settings import validation_settings
        from r1cli.train.validation import carve_validation

        settings = validation_settings(self.recipe.section("validation"))
        if not settings.enabled:
            return set()
        train = load_prepared(self.data_dir)[0]["train"]
        _, problems = carve_validation(train, settings.size, int(self.recipe.get("data.seed")))
        return {str(p.row["problem"]) for p in problems}

    # ---- stages ----------------------------------------------------------------------------------

    def _coldstart(self) -> dict[str, Any]:
        """Cold-start traces for the train problems, cleaned by `r1 coldstart refine` (rules)."""
        from r1cli.coldstart.generate import run_coldstart, run_refine
        from r1cli.data.problems import read_problems
        from r1cli.data.synthetic import synthetic_task
        from r1cli.plumbing.jsonl import atomic_write

        folder = self.dir / "coldstart"
        problems = self._problems("coldstart", int(self.cfg["coldstart_problems"]))
        output = folder / "coldstart.jsonl"
        method = self.cfg["coldstart"]
        if method == "traces":
            raw = folder / "traces.jsonl"
            prompts = read_problems(problems, self.recipe.section("data"))
            trace = synthetic_task(str(self.recipe.get("data.dataset"))).trace
            atomic_write(
                (
                    {"id": p.id, "prompt": p.messages, "completion": trace(p.row["problem"]),
                     "answer": p.row["answer"], "solution": p.row["solution"]}
                    for p in prompts
                ),
                raw,
            )  # fmt: skip
            result = run_refine(self.recipe, raw, output, drop_wrong=True, overwrite=True)
        else:
            recipe = stage_recipe(self.recipe, {"data.dataset": str(problems)})
            model = self.cfg.get("coldstart_model") or None
            result = run_coldstart(recipe, method, output, model=model, drop_wrong=True)
        if result.written == 0:
            raise R1Error(f"the cold start wrote no usable trace ({result.counts()})")
        return {"rows": result.written, "data": str(output)}

    def _train(self, name: str, trainer: str, values: dict[str, Any]) -> Any:
        """Train one stage into DIR/<name> with the single command's core function; resume a killed one."""
        from r1cli.train.output import TRAINING_RUN, is_trained

        output_dir = self.dir / name
        section = "grpo" if trainer == "zero" else "sft"
        recipe = stage_recipe(self.recipe, {f"{section}.output_dir": str(output_dir), **values})
        if is_trained(output_dir):
            return None  # trained; killed during its evaluation
        resume = output_dir.is_dir() and TRAINING_RUN.is_ours(output_dir)
        if trainer == "zero":
            from r1cli.train.zero import train_zero

            return train_zero(recipe, resume=resume)
        from r1cli.train.sft import train_sft

        return train_sft(recipe, resume=resume)

    def _sft(self) -> dict[str, Any]:
        self._train(
            "sft",
            "sft",
            {
                "data.dataset": str(self.dir / "coldstart" / "coldstart.jsonl"),
                "data.test_size": 0,  # train problems only: the held-out problems are DIR/data's test split
                "sft.max_steps": int(self.cfg["sft_steps"]),
            },
        )
        return {"steps": int(self.cfg["sft_steps"])}

    def _zero(self) -> dict[str, Any]:
        """GRPO from the SFT model, or (pipeline.coldstart = "none", R1-Zero) from model.name_or_path."""
        start = self.recipe.get("model.name_or_path") if self.cfg["coldstart"] == "none" else self.dir / "sft"
        self._train(
            "zero",
            "zero",
            {
                "model.name_or_path": str(start),
                "data.dataset": str(self.data_dir),
                "grpo.max_steps": int(self.cfg["zero_steps"]),
                "grpo.learning_rate": float(self.cfg["zero_learning_rate"]),
                "grpo.per_device_train_batch_size": int(self.cfg["zero_batch_size"]),
            },
        )
        details = {"steps": int(self.cfg["zero_steps"]), "rewards": list(self.cfg["rewards"])}
        return {**details, "run_dir": str(self.dir / "zero"), "model_dir": str(self._zero_model())}

    def _zero_model(self) -> Path:
        """The GRPO model the later stages start from: the final one, or `best/` (pipeline.zero_model)."""
        from r1cli.train.output import BEST_DIR

        zero = self.dir / "zero"
        return zero / BEST_DIR if self.cfg["zero_model"] == "best" else zero

    def _reject(self) -> dict[str, Any]:
        """`r1 sample reject` from the GRPO model on train problems: the best accepted sample of each."""
        from r1cli.sample.reject import run_reject

        problems = self._problems("reject", int(self.cfg["reject_problems"]))
        recipe = stage_recipe(self.recipe, {"data.dataset": str(problems)})
        result = run_reject(
            recipe,
            self.dir / "reject" / "accepted.jsonl",
            model=str(self._zero_model()),
            num_samples=int(self.cfg["reject_samples"]),
            rewards=list(self.cfg["rewards"]),
        )
        accepted = _count_rows(result.path)
        if accepted == 0:
            raise R1Error(
                f"rejection sampling accepted no sample of the GRPO model ({result.summary.samples} samples)",
                hint="raise pipeline.reject_samples or train longer (pipeline.zero_steps)",
            )
        return {
            "rows": accepted,
            "acceptance_rate": result.summary.acceptance_rate,
            "data": str(result.path),
        }

    def _reject_sft(self) -> dict[str, Any]:
        self._train(
            "reject_sft",
            "sft",
            {
                "model.name_or_path": str(self._zero_model()),
                "data.dataset": str(self.dir / "reject" / "accepted.jsonl"),
                "data.test_size": 0,
                "sft.max_steps": int(self.cfg["reject_sft_steps"]),
                "sft.learning_rate": float(self.cfg["reject_sft_learning_rate"]),
            },
        )
        return {"steps": int(self.cfg["reject_sft_steps"])}

    def _distill(self) -> dict[str, Any]:
        """`r1 distill` (traces) of the SFT stage 2 model into the student; scored on the held-out split."""
        from r1cli.distill import distill

        recipe = stage_recipe(
            self.recipe,
            {"data.dataset": str(self._distill_data()), "sft.max_steps": int(self.cfg["distill_steps"])},
        )
        result = distill(
            recipe,
            teacher=str(self.dir / "reject_sft"),
            student=str(self.cfg["student"]),
            output_dir=self.dir / "distill",
            num_samples=int(self.cfg["distill_samples"]),
        )
        scores = {score.role: score for score in result.scores}
        return {
            "model_dir": str(result.student_dir),
            "accuracy": scores["student"].accuracy,
            "format_rate": scores["student"].format_rate,
            "rows": result.trained_rows,
            "parameters": {role: score.parameters for role, score in scores.items()},
        }

    def _distill_data(self) -> Path:
        """The problems to distill on: DIR/data, or its first `distill_problems` train rows and its test split."""
        limit = int(self.cfg["distill_problems"])
        if not limit:
            return self.data_dir
        import datasets

        from r1cli.data import load_prepared, save_prepared
        from r1cli.data.store import is_saved_dataset_dict, read_summary

        target = self.dir / "distill_data"
        if not is_saved_dataset_dict(target):
            full, _mode = load_prepared(self.data_dir)
            train = full["train"].select(range(min(limit, len(full["train"]))))
            subset = datasets.DatasetDict({"train": train, "test": full["test"]})
            save_prepared(subset, read_summary(self.data_dir), target, recipe=self.recipe)
        return target

    # ---- after each training stage --------------------------------------------------------------

    def _evaluate(self, model_dir: Path) -> tuple[float, float]:
        """Greedy accuracy and format rate on the held-out test split (`r1 eval`'s own code)."""
        from r1cli.evaluate.run import evaluate_problems

        limit = int(self.cfg["eval_problems"]) or None
        result = evaluate_problems(model_dir, self.data_dir, self.recipe, limit=limit)
        return float(result.metrics["accuracy"]), float(result.metrics["format_rate"])

    def _report(self, run_dir: Path) -> None:
        """`r1 report`'s plots and report.md in the stage's folder."""
        from r1cli.plumbing.console import note
        from r1cli.report.summary import write_report

        try:
            write_report([run_dir])
        except R1Error as exc:  # a report is a view: a run with nothing logged still counts
            note(f"no report for {run_dir}: {exc.message}")


def _is_pipeline_dir(path: Path) -> bool:
    return path.is_dir() and PIPELINE_RUN.is_ours(path)


def _count_rows(path: Path) -> int:
    from r1cli.plumbing.jsonl import json_lines

    return sum(1 for _, row, _ in json_lines(path.read_bytes()) if row is not None)


def run_pipeline(
    recipe: Recipe,
    output_dir: str | Path,
    on_stage: Callable[[StageRecord], None] | None = None,
    *,
    until: str | None = None,
) -> PipelineResult:
    """Run every stage not finished yet in `output_dir`, up to and including `until` (default: all);
    `on_stage` hears of each stage as it ends.

    `recipe` is resolved for the `zero` stage; the checks of the other training stages run here.
    """
    from r1cli.preflight.validate import validate_recipe

    check_pipeline_settings(recipe)
    stages_run(recipe.section("pipeline"), until)  # a stage this pipeline does not run: refused now
    for stage in ("sft", "distill"):
        validate_recipe(recipe, stage)
    return Pipeline(recipe, Path(output_dir), on_stage).run(until)
