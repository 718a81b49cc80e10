"""What `r1 data prepare` did: rows read and kept per split, rows dropped by reason, answer kinds.

Saved next to the data (`r1_prepare.json`) and shown as a table on stderr.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

SUMMARY_FILE = "r1_prepare.json"


@dataclass
class PrepareSummary:
    """The outcome of `prepare()`; `mode` is "prompt" (R1-Zero GRPO data) or "sft" (chat messages)."""

    source: str
    mode: str
    # What each role was read from: {"problem": "question", "answer": "answer"} or {"format": "sharegpt"}.
    columns: dict[str, str] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    answer_kinds: dict[str, int] = field(default_factory=dict)
    split: str = ""
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, count: int) -> None:
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + count

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrepareSummary:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


def summary_table(summary: PrepareSummary, output: str | None = None) -> Table:
    """One rich table: source and columns, rows per split, dropped rows by reason, answer kinds."""
    title = f"{summary.source} -> {output}" if output else summary.source
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_column("")

    def section(name: str) -> None:
        table.add_row(f"[dim]{name}[/dim]", "", "")

    section(f"{summary.mode} data")
    for role, column in summary.columns.items():
        table.add_row(f"  {role}", "", column)
    section("rows")
    for name, count in summary.rows_read.items():
        table.add_row(f"  read {name}", f"{count:,}", "")
    for name, count in summary.rows.items():
        table.add_row(f"  {name}", f"{count:,}", summary.split if name == "test" else "")
    section("dropped")
    if not summary.dropped:
        table.add_row("  none", "0", "")
    for reason, count in sorted(summary.dropped.items(), key=lambda item: -item[1]):
        table.add_row(f"  {reason}", f"{count:,}", "")
    if summary.answer_kinds:
        section("answer kinds")
        total = sum(summary.answer_kinds.values())
        for kind, count in sorted(summary.answer_kinds.items(), key=lambda item: -item[1]):
            table.add_row(f"  {kind}", f"{count:,}", f"{count / total:.0%}")
    for note in summary.notes:
        table.add_row("[dim]note[/dim]", "", note)
    return table
