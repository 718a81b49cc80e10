r"""Answer kinds other graders' own tests agree on, run through r1's accuracy reward.

tests/data/grader_cases_round2.json holds (gold, answer, expected) cases that the authors of other graders
wrote for their own (NeMo-Skills, SkyThought, lighteval, Hendrycks' MATH: file, commit and licence named per
source), each of one kind: matrices, mixed numbers, everyday number writings, multiple choice, a letter or
word in a font, primed names. Each case is scored as the accuracy reward sees it, the answer alone in an
`<answer>` block, in a `\boxed{}` at the end of a sentence (unless the answer is a model's whole output,
prose that no model would box), and as the whole completion. Every verdict must
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
KINDS = ["matrix", "mixed_number", "number_writing", "multiple_choice", "font", "prime"]


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

ALL_MODES = dict.fromkeys(MODES, False)
AS_OUTPUT = {"answer block": False, "free text": False}
SKY = "skythought/test_math_parsing::"
ABC = "lighteval/test_extractive_match::test_extraction_abc"
# case id -> ({mode: r1's verdict} for the modes where it differs from the expected one, why)
KNOWINGLY_DIFFERENT: dict[str, tuple[dict[str, bool | None], str]] = {
    f"{SKY}test_math_equal[4]": (
        ALL_MODES,
        "3.14159 for 3.1416: SkyThought accepts a relative error below 1e-3; r1 compares decimals at 6 "
        "places as math-verify does (which says wrong too), and 3.14159 is not 3.1416",
    ),
    f"{SKY}test_math_equal[7]": (
        ALL_MODES,
        "2 for 2.0001: the same 1e-3 tolerance, which r1 and math-verify do not have",
    ),
    f"{SKY}test_math_equal[8]": (
        ALL_MODES,
        "75 for 0.75: SkyThought accepts a number 100 times the gold (a percentage without its sign); r1 "
        "accepts 75% for 0.75, not a bare 75 (math-verify says wrong too)",
    ),
    f"{SKY}test_get_multiple_choice_answer[1]": (
        AS_OUTPUT,
        "'B is correct. Or maybe C. Actually let's finalize B': no stated answer; the grader takes the last "
        "letter A-D anywhere in the text, which r1 does not (it would take 'A' from 'I saw a cat')",
    ),
    f"{SKY}test_get_multiple_choice_answer[2]": (
        AS_OUTPUT,
        "'I think it's (D).': no stated answer (no box, no 'the answer is'); r1 does not pick a letter out "
        "of prose",
    ),
    f"{ABC}[1]": (
        AS_OUTPUT,
        "no stated answer (no box, no 'the answer is'), only 'I think it's B' after 'It's not A': r1 does "
        "not pick a letter out of prose, which would pick A here as often as B",
    ),
    f"{ABC}[2]": (
        AS_OUTPUT,
        "'the answer is for sure D, it can't be A or B': r1 reads a choice only where the stated answer "
        "starts with its letter; the first capital letter of a phrase is no choice ('not A but B')",
    ),
    f"{ABC}[3]": (
        AS_OUTPUT,
        "'D, it doesn't make sense for it to be A or B': after a comma r1 cannot tell a reason from a "
        "second option (`A, B` is two of them), so `D,` is no choice on its own",
    ),
    f"{ABC}[4]": (
        {"free text": False},
        "a whole completion 'D. it can't be A or B' states no answer (no box, no 'the answer is', no "
        "number); in an <answer> block it is the answer, and right",
    ),
    f"{ABC}[10]": (
        {"answer block": None, "free text": None},
        "the gold 'A Peter\\nCelina bum' is two lines with no answer marker: r1 finds no gold answer and "
        "says unknown, never a guess",
    ),
    "nemo-skills/test_is_output_correct::test_correct_examples[9]": (
        {"free text": False},
        "a whole completion that is one word (`\\text{odd}`) states no answer for r1 (a word is prose); "
        "in a box or an <answer> block it is right",
    ),
    "nemo-skills/test_is_output_correct::test_correct_examples[9] (swapped)": (
        {"free text": False},
        "as test_correct_examples[9]: the whole completion is the word 'odd'",
    ),
}


def modes(case: dict) -> list[str]:
    return [mode for mode in MODES if not (mode == "boxed" and "answer_is" in case)]


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
        for mode in modes(case):
            wanted = differs.get(mode, case["expected"])
            if verdicts[mode][index] != wanted:
                wrong.append(f"{case_id(case)} [{mode}]: {verdicts[mode][index]} (wanted {wanted})")
    assert not wrong, "\n".join(wrong)


def test_no_wrong_answer_is_right_unless_math_verify_says_right_too(verdicts) -> None:
    false_positives = [
        f"{case_id(case)} [{mode}]"
        for mode in MODES
        for case, verdict in zip(CASES, verdicts[mode], strict=True)
        if mode in modes(case)
        and verdict
        and not case["expected"]
        and not (case["math_verify"] or case["math_verify_in_dollars"])
    ]
    assert false_positives == []


def test_a_mixed_number_gold_is_its_value_wherever_it_is_judged() -> None:
    # r1's own edge case on NeMo-Skills' gold `3128 1/2`: answers that are no plainly written number
    # (`6257/2`) go to math-verify, which read the gold as the product 3128 * 1/2 = 1564.
    answers = ["<answer>6257/2</answer>", "<answer>3128/2</answer>", r"so $\boxed{3128 + \frac{1}{2}}$"]
    assert correctness(answers, ["3128 1/2"] * 3, workers=2) == [True, False, True]
