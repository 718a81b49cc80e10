r"""Answer kinds other graders' own tests agree on, run through r1's accuracy reward.

tests/data/grader_cases_round2.json holds (gold, answer, expected) cases that the authors of other graders
wrote for their own (NeMo-Skills, SkyThought, lighteval, Hendrycks' MATH: file, commit and licence named per
source), each of one kind: matrices, mixed numbers, everyday number writings, multiple choice, a letter or
word in a font, primed names. Each case is scored as the accuracy reward sees it, the answer alone in an
`<answer>` block, in a `\boxed{}` at the end of a sentence, and as the whole completion. Every verdict must
be the expected one, except those in KNOWINGLY_DIFFERENT, each with the reason r1 differs; and a wrong
answer is never judged right unless math-verify says right too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r1cli.rewards.accuracy import correctness

DATA = json.loads((Path(__file__).parents[1] / "data" / "grader_cases_round2.json").read_text())
CASES = DATA["cases"]
KINDS = ["matrix", "mixed_number"]


def case_id(case: dict) -> str:
    return f"{case['source']}::{case['test']}"


def boxed(answer: str) -> str:
    # A trailing backslash (`185\`, NeMo-Skills' writing) would escape the box's closing brace.
    return f"The final answer is $\\boxed{{{answer}{' ' if answer.endswith(chr(92)) else ''}}}$."


MODES = {
    "answer block": lambda answer: f"<answer>{answer}</answer>",
    "boxed": boxed,
    "free text": lambda answer: answer,
}

# case id -> ({mode: r1's verdict} for the modes where it differs from the expected one, why)
KNOWINGLY_DIFFERENT: dict[str, tuple[dict[str, bool | None], str]] = {}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[bool | None]]:
    golds = [case["gold"] for case in CASES]
    completions = [write(case["answer"]) for write in MODES.values() for case in CASES]
    flat = correctness(completions, golds * len(MODES), workers=2, timeout=10.0)
    return {mode: flat[i * len(CASES) : (i + 1) * len(CASES)] for i, mode in enumerate(MODES)}


def test_every_case_names_its_source_and_kind() -> None:
    sources = DATA["sources"]
    for source in sources.values():
        assert {"repository", "path", "commit", "licence"} <= set(source)
        assert len(source["commit"]) == 40
    assert {case["source"] for case in CASES} == set(sources)
    assert {case["kind"] for case in CASES} >= set(KINDS)
    assert len({case_id(case) for case in CASES}) == len(CASES)
    assert set(KNOWINGLY_DIFFERENT) <= {case_id(case) for case in CASES}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_gets_the_graders_verdicts_or_a_known_difference(verdicts, kind) -> None:
    wrong = []
    for index, case in enumerate(CASES):
        if case["kind"] != kind:
            continue
        differs = KNOWINGLY_DIFFERENT.get(case_id(case), ({}, ""))[0]
        for mode in MODES:
            wanted = differs.get(mode, case["expected"])
            if verdicts[mode][index] != wanted:
                wrong.append(f"{case_id(case)} [{mode}]: {verdicts[mode][index]} (wanted {wanted})")
    assert not wrong, "\n".join(wrong)


def test_no_wrong_answer_is_right_unless_math_verify_says_right_too(verdicts) -> None:
    false_positives = [
        f"{case_id(case)} [{mode}]"
        for mode in MODES
        for case, verdict in zip(CASES, verdicts[mode], strict=True)
        if case["kind"] in KINDS
        and verdict
        and not case["expected"]
        and not (case["math_verify"] or case["math_verify_in_dollars"])
    ]
    assert false_positives == []
