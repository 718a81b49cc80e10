"""Rejection sampling (the seed's "Rejection Sampling"): K samples per problem, scored, the best accepted kept.

    r1 sample reject --model M --data PROBLEMS --output OUT.jsonl [--num-samples K] [--keep N] [--keep-all]

Each sample is scored with the reward registry (default: accuracy, format, language_consistency; any
registry reward can be named). A sample is accepted when its accuracy and format rewards are 1 (those
of them that are scored) and, with a threshold, its weighted total reaches it. Per problem the best
accepted sample is kept (highest total, then the earliest), or the best `keep` with distinct texts.

The selection is pure (`is_accepted`, `select_accepted`), so other stages filter the same way:

    >>> samples = [
    ...     {"sample": 0, "completion": "a", "rewards": {"accuracy": 0.0, "format": 1.0}, "total": 1.0},
    ...     {"sample": 1, "completion": "b", "rewards": {"accuracy": 1.0, "format": 1.0}, "total": 2.0},
    ... ]
    >>> [s["sample"] for s in select_accepted(samples)]
    [1]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.jsonl import json_lines

if TYPE_CHECKING:
    from r1cli.recipe.provenance import Recipe

DEFAULT_REWARDS = ("accuracy", "format", "language_consistency")
# Rewards that must be exactly 1 for a sample to be accepted, when they are scored.
REQUIRED_REWARDS = ("accuracy", "format")


def check_acceptance(names: Sequence[str], min_total: float | None) -> None:
    """Refuse a reward list that leaves nothing to accept by (no accuracy, no format, no threshold)."""
    if min_total is None and not any(name in names for name in REQUIRED_REWARDS):
        raise R1Error(
            f"nothing to accept samples by: the rewards ({', '.join(names)}) include neither accuracy nor format",
            hint="add accuracy or format to --rewards, or give --min-total",
        )
    if min_total is not None and (isinstance(min_total, bool) or not math.isfinite(min_total)):
        raise R1Error(f"--min-total = {min_total!r}: must be a finite number")


def is_accepted(rewards: Mapping[str, float | None], total: float, min_total: float | None = None) -> bool:
    """Accuracy and format (those scored) are 1, and the weighted total reaches `min_total` when given.

    A required reward that could not be computed (None: no gold, verification timed out) rejects.

    >>> is_accepted({"accuracy": 1.0, "format": 1.0, "language_consistency": None}, 2.0)
    True
    >>> is_accepted({"accuracy": None, "format": 1.0}, 1.0)
    False
    >>> is_accepted({"accuracy": 1.0, "format": 1.0, "reasoning_steps": 0.3}, 2.3, min_total=2.5)
    False
    """
    if any(name in rewards and rewards[name] != 1.0 for name in REQUIRED_REWARDS):
        return False
    return min_total is None or total >= min_total


def select_accepted(
    samples: Iterable[Mapping[str, Any]], keep: int = 1, min_total: float | None = None
) -> list[Mapping[str, Any]]:
    """The best `keep` accepted samples of one problem: highest `total` first, then the lowest `sample`
    index; a text already kept (same `completion`, spaces aside) is not kept again.

    Each sample needs `completion` (text), `rewards` ({name: value}) and `total`; `sample` orders ties.
    """
    if keep < 1:
        raise R1Error(f"--keep = {keep}: must be at least 1")
    accepted = [s for s in samples if is_accepted(s["rewards"], s["total"], min_total)]
    accepted.sort(key=lambda s: (-s["total"], s.get("sample", 0)))
    chosen, texts = [], set()
    for sample in accepted:
        text = " ".join(str(sample["completion"]).split())
        if text in texts:
            continue
        texts.add(text)
        chosen.append(sample)
        if len(chosen) == keep:
            break
    return chosen


@dataclass
class RejectSummary:
    """What a rejection-sampling run found, over every scored sample (kept or not)."""

    samples: int = 0
    accepted: int = 0
    problems: int = 0
    problems_accepted: int = 0
    # Problems with at least one correct sample (accuracy 1), over problems whose accuracy was known.
    problems_correct: int = 0
    problems_judged: int = 0
    written: int = 0
    reward_sums: dict[str, float] = field(default_factory=dict)
    reward_counts: dict[str, int] = field(default_factory=dict)

    def add_problem(self, samples: Sequence[Mapping[str, Any]], min_total: float | None = None) -> None:
        """Count one problem's scored samples."""
        self.problems += 1
        self.samples += len(samples)
        flags = [is_accepted(s["rewards"], s["total"], min_total) for s in samples]
        self.accepted += sum(flags)
        self.problems_accepted += any(flags)
        accuracies = [s["rewards"].get("accuracy") for s in samples]
        if any(value is not None for value in accuracies):
            self.problems_judged += 1
            self.problems_correct += any(value == 1.0 for value in accuracies)
        for sample in samples:
            for name, value in sample["rewards"].items():
                self.reward_sums.setdefault(name, 0.0)
                self.reward_counts.setdefault(name, 0)
                if value is not None:
                    self.reward_sums[name] += value
                    self.reward_counts[name] += 1

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.samples if self.samples else None

    @property
    def pass_at_k(self) -> float | None:
        """Fraction of problems with at least one correct sample among their K (None without accuracy)."""
        return self.problems_correct / self.problems_judged if self.problems_judged else None

    def reward_means(self) -> dict[str, float | None]:
        return {
            name: (self.reward_sums[name] / count if count else None)
            for name, count in self.reward_counts.items()
        }


def read_mix(path: Path) -> list[dict[str, Any]]:
    """Non-reasoning SFT rows to append (`--mix`): `messages`, or ShareGPT `conversations` (+ `system`).

    Each becomes {id: "mix-<n>", sample: 0, messages, mix: true}; R1Error names the first unusable line.
    """
    from r1cli.data.prompts import to_messages

    if not path.is_file():
        shown = "not found" if not path.exists() else "not a file"
        raise R1Error(f"--mix file {shown}: {path}", hint="pass a .jsonl file of `messages` or ShareGPT rows")
    rows = []
    for number, row, problem in json_lines(path.read_bytes()):
        if row is not None:
            turns = row.get("conversations", row.get("messages"))
            messages = to_messages(turns, row.get("system") if "conversations" in row else None)
            if not isinstance(messages, str):
                rows.append({"id": f"mix-{len(rows)}", "sample": 0, "messages": messages, "mix": True})
                continue
            problem = messages if turns is not None else "no `messages` or `conversations`"
        raise R1Error(
            f"{path}:{number}: {problem}", hint="each --mix line needs `messages` or `conversations`"
        )
    if not rows:
        raise R1Error(f"--mix file {path} is empty", hint="give at least one conversation")
    return rows


@dataclass
class Scorer:
    """The rewards a run scores with: names, built functions, weights (from the recipe's [rewards] table)."""

    names: list[str]
    functions: list[Any]
    weights: list[float]

    @classmethod
    def from_recipe(cls, rewards_cfg: Mapping[str, Any], names: Sequence[str] | None = None) -> Scorer:
        from r1cli.rewards.registry import build_reward_functions, reward_weights

        names = list(DEFAULT_REWARDS if names is None else names)
        return cls(names, build_reward_functions(rewards_cfg, names), reward_weights(rewards_cfg, names))

    def needs_solution(self) -> list[str]:
        from r1cli.rewards.registry import NEEDS_SOLUTION

        return [name for name in self.names if name in NEEDS_SOLUTION]


def score_samples(
    item: Mapping[str, Any], completions: Sequence[str], scorer: Scorer, min_total: float | None = None
) -> list[dict[str, Any]]:
    """Every sample of one problem as an output row: id, sample, completion, rewards, total, accepted,
    messages (the prompt's turns + the completion, SFT-ready), and the gold when the problem has one.

    `item` holds `id`, `prompt` (chat messages) and, for the correctness rewards, `solution`.
    """
    from r1cli.data.problems import gold_of
    from r1cli.rewards.scoring import score_rows

    gold = gold_of(item)
    inputs = [{"completion": text, "prompt": item["prompt"], **gold} for text in completions]
    if scorer.needs_solution() and "solution" not in gold:
        inputs = [{**row, "solution": None} for row in inputs]  # no gold: the correctness rewards give None
    scored, _ = score_rows(inputs, scorer.names, scorer.functions, scorer.weights)
    rows = []
    for index, (text, score) in enumerate(zip(completions, scored, strict=True)):
        rows.append(
            {
                "id": item["id"],
                "sample": index,
                "completion": text,
                "rewards": score["rewards"],
                "total": score["total"],
                "accepted": is_accepted(score["rewards"], score["total"], min_total),
                "messages": [*item["prompt"], {"role": "assistant", "content": text}],
                **gold,
            }
        )
    return rows


def rows_to_write(
    samples: list[dict[str, Any]], keep: int = 1, keep_all: bool = False, min_total: float | None = None
) -> list[dict[str, Any]]:
    """What goes to the output for one problem: every sample (`keep_all`) or the kept accepted ones."""
    if keep_all:
        return samples
    return [dict(sample) for sample in select_accepted(samples, keep, min_total)]


@dataclass
class RejectResult:
    """What `run_reject` did: the output, rows written now, the summary of this run's samples."""

    path: Path
    written: int
    resumed: int
    summary: RejectSummary
    names: list[str]
    weights: list[float]
    mixed: int = 0


def _item(prompt: Any) -> dict[str, Any]:
    """What the rewards get of one problem: id, prompt (chat messages) and, where it has one, its gold."""
    from r1cli.data.problems import gold_of

    return {"id": prompt.id, "prompt": prompt.messages, **gold_of(prompt.row)}


def run_reject(
    recipe: Recipe,
    output: Path,
    *,
    model: str | None = None,
    num_samples: int | None = None,
    rewards: Sequence[str] | None = None,
    keep: int = 1,
    keep_all: bool = False,
    min_total: float | None = None,
    mix: Path | None = None,
    overwrite: bool = False,
    generator: Any = None,
) -> RejectResult:
    """K samples per problem of the recipe's data.dataset, scored; the best accepted (or all) written."""
    from r1cli.data.problems import read_problems
    from r1cli.generation.engine import generate_jsonl
    from r1cli.rewards.custom import row_arguments, source_digests
    from r1cli.rewards.registry import check_user_rewards

    if num_samples is not None and (isinstance(num_samples, bool) or num_samples < 1):
        raise R1Error(f"--num-samples = {num_samples}: must be at least 1")
    if keep < 1:
        raise R1Error(f"--keep = {keep}: must be at least 1")
    rewards_cfg = recipe.section("rewards")
    scorer = Scorer.from_recipe(rewards_cfg, rewards)
    check_acceptance(scorer.names, min_total)
    mixed = read_mix(Path(mix)) if mix is not None else []
    data_cfg = recipe.section("data")
    prompts = read_problems(data_cfg["dataset"], data_cfg)
    needs = scorer.needs_solution()
    if needs and not any("solution" in p.row for p in prompts):
        raise R1Error(
            f"no problem in {data_cfg['dataset']} has a gold answer, which {', '.join(needs)} needs",
            hint="give each row an `answer` or `solution`, or choose --rewards without accuracy",
        )
    check_user_rewards(scorer.names, scorer.functions, row_arguments(_item(prompts[0])))
    summary = RejectSummary()

    def make_rows(prompt: Any, samples: list[Any]) -> list[dict[str, Any]]:
        scored = score_samples(_item(prompt), [s.text for s in samples], scorer, min_total)
        summary.add_problem(scored, min_total)
        return rows_to_write(scored, keep, keep_all, min_total)

    sources = source_digests(scorer.names)  # the user's own reward files: a rerun needs them unchanged
    settings = {
        "rewards": scorer.names,
        **({"reward_sources": sources} if sources else {}),
        "weights": scorer.weights,
        "min_total": min_total,
        "keep": "all" if keep_all else keep,
        "mix": _mix_digest(mixed),
    }
    generated = generate_jsonl(
        prompts, output, recipe, command="r1 sample reject", model=model, make_rows=make_rows,
        settings=settings, overwrite=overwrite, num_samples=num_samples, generator=generator,
    )  # fmt: skip
    summary.written = generated.rows_written
    result = RejectResult(
        generated.path, generated.rows_written, generated.resumed, summary, scorer.names, scorer.weights
    )
    if mixed:
        result.mixed = _append_mix(generated.path, mixed)
    return result


def _mix_digest(rows: list[dict[str, Any]]) -> str | None:
    if not rows:
        return None
    import hashlib
    import json

    text = json.dumps([row["messages"] for row in rows], ensure_ascii=False)
    return f"{len(rows)} rows, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _append_mix(output: Path, rows: list[dict[str, Any]]) -> int:
    """Append the --mix rows after the generated ones (once: a rerun finds them and skips them)."""
    from r1cli.plumbing.jsonl import AppendWriter

    with AppendWriter(output, key=lambda row: (row.get("id"), row.get("sample"))) as writer:
        return writer.append(rows)
