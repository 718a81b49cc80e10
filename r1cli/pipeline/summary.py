"""What a pipeline folder records: `summary.json` (one entry per stage) and `stages/<name>.json`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from r1cli.plumbing.rundir import PIPELINE_SUMMARY, OutputKind

SUMMARY_FILE = PIPELINE_SUMMARY  # model_dirs reads it too: a pipeline folder stands for its final model
SUMMARY_KEYS = ("name", "model_dir", "accuracy", "format_rate", "seconds")
STAGES_DIR = "stages"
PIPELINE_RUN = OutputKind(
    command="r1 pipeline run",
    holds="a pipeline run",
    markers=(SUMMARY_FILE, STAGES_DIR, "recipe.toml"),
    resumable=True,
    option="--output-dir",
)


@dataclass
class StageRecord:
    """One stage in summary.json: where its model is, its held-out accuracy and format rate, its wall time."""

    name: str
    model_dir: str | None
    accuracy: float | None = None
    format_rate: float | None = None
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    reused: bool = False  # finished by an earlier run (not saved)

    def summary_entry(self) -> dict[str, Any]:
        """The stage's entry in summary.json: exactly these five keys."""
        return {key: getattr(self, key) for key in SUMMARY_KEYS}

    def to_dict(self) -> dict[str, Any]:
        """What DIR/stages/<name>.json keeps: the summary entry and the stage's details (row counts, ...)."""
        return {**self.summary_entry(), "details": self.details}


@dataclass
class PipelineResult:
    output_dir: Path
    stages: list[StageRecord]
    seconds: float

    @property
    def summary_path(self) -> Path:
        return self.output_dir / SUMMARY_FILE
