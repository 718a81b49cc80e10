"""The accuracy reward on real model outputs graded by their authors (benchmarks/data/README.md names each
file's source, licence and labels): every verdict agrees with the label, except the rows listed here,
each with the reason r1 differs. A new disagreement, or a listed one that goes away, fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.rewards.accuracy import correctness

DATA = Path(__file__).parents[2] / "benchmarks" / "data"

# The row whose verdict depends on the CPU: its expression runs past the timeout here.
SLOW = "gemma-2-27b-it/math500/232"
# file -> (how its gold is written from a row, {id: (r1's verdict, why it differs from the label)})
FILES = {
    "tora_gsm8k_outputs.jsonl": (
        lambda row: row["gt"].replace(",", ""),
        {
            "tora-code-34b-v1.0/gsm8k/191": (False, "label error: 0.05 pounds for 5 (percentage leniency)"),
            "tora-70b-v1.0/gsm8k/98": (
                False,
                "no boxed answer: the last sentence ends in '15 minutes', the last number r1 can read",
            ),
            "tora-70b-v1.0/gsm8k/288": (False, "no boxed answer: 'Three trucks', a number in words"),
        },
    ),
    "skythought_math_outputs.jsonl": (
        lambda row: row["answer"],
        {
            "Qwen2.5-14B-Instruct/math500/184": (False, "label error: [2, inf) for (2, inf)"),
            "gemma-2-27b-it/math500/290": (False, "label error: 4, 7/2 for 4 (7/2 zeroes a denominator)"),
            "gemma-2-27b-it/math500/293": (False, "label error: an open interval for a half-open one"),
            "Qwen2.5-14B-Instruct/math500/198": (True, "label error: 10080 is 10,\\!080"),
            "gemma-2-27b-it/math500/198": (True, "label error: 10080 is 10,\\!080"),
            "Qwen2.5-14B-Instruct/math500/217": (True, "label error: 11111111100 is 11,\\!111,\\!111,\\!100"),
            "Qwen2.5-14B-Instruct/math500/284": (True, "label error: both roots are 3 \\pm 2\\sqrt{2}"),
            "gemma-2-27b-it/math500/284": (True, "label error: both roots are 3 \\pm 2\\sqrt{2}"),
            "gemma-2-27b-it/math500/313": (True, "label error: 12π is 12\\pi"),
            "gemma-2-27b-it/math500/74": (True, "equal in value, not in the asked form: cos x / sin x"),
            "gemma-2-27b-it/math500/179": (True, "the same plane, coefficients times 4 (not coprime)"),
            "gemma-2-27b-it/math500/351": (True, "an unsimplified sum of cosine products equal to 1/16"),
            SLOW: (None, "an expression in omega sympy cannot settle in time"),
        },
    ),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_verdicts_agree_with_the_authors_labels_except_the_explained_rows(name: str) -> None:
    gold, known = FILES[name]
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    verdicts = correctness(
        [row["completion"] for row in rows],
        [f"The answer is $\\boxed{{{gold(row)}}}$." for row in rows],
        workers=2,
        timeout=5.0,
    )
    differ = {
        row["id"]: verdict for row, verdict in zip(rows, verdicts, strict=True) if verdict != row["label"]
    }
    if SLOW in known and differ.get(SLOW) is None:
        differ[SLOW] = None  # unknown, or settled as wrong (as labelled) on a faster CPU: never right
    assert differ == {row_id: verdict for row_id, (verdict, _why) in known.items()}
