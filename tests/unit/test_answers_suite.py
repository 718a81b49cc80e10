"""math-verify's own regression suite, run through r1's accuracy path: every verdict as expected.

The 267 (gold, pred, expected) cases of math-verify's tests (tests/data/math_verify_cases.json names
the source and licence) are scored twice, as the `accuracy` reward sees them: the pred alone in an
`<answer>` block (verification of an isolated answer) and the pred as the free text it is (extraction
too). Each must give the expected verdict, except the few listed in KNOWINGLY_DIFFERENT, where r1 gives
the verdict written there on purpose; a right verdict for a wrong answer is allowed only where
math-verify itself, in its default configuration, says right too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from r1cli.rewards.accuracy import correctness

CASES = json.loads((Path(__file__).parents[1] / "data" / "math_verify_cases.json").read_text())["cases"]

# id -> (r1's verdict, why it differs from the expected one)
KNOWINGLY_DIFFERENT: dict[str, tuple[bool | None, str]] = {
    "tests/test_all.py::test_complex_math_expressions[7]": (
        False,
        "the test passes precision=2, so 0.33 counts as 1/3; r1 has one precision for every answer "
        "(6 places, or a decimal rounded at 4 places for a value 4 places cannot write), and 0.33 is not 1/3",
    ),
    "tests/test_all.py::test_latex_notation[5]": (
        True,
        "the test restricts math-verify to LaTeX extraction, which does not read a `$` span broken over "
        "lines; r1 reads LaTeX and expressions like math-verify's default configuration (which says right "
        "too): the answer is 9",
    ),
    "tests/test_all.py::test_latex_notation[6]": (
        True,
        "as test_latex_notation[5], with \\( \\) around the 9",
    ),
    "tests/test_all.py::test_set_rel_assymetry[2]": (
        False,
        "expected 1 only with allow_set_relation_comp=True; the same pair is expected 0 with math-verify's "
        "default (test_set_rel_assymetry[3]), which r1 keeps: a gold set is not matched by a relation",
    ),
    "tests/test_numina_cases.py::test_numina_cases[24]": (
        None,
        "the gold `\\\\boxed{W(n) = 1 ...` is never closed and doubles its backslashes; math-verify matches "
        "the fragment `-1` in both; r1 says it cannot read the gold (unknown), never a guess",
    ),
    "tests/test_yujianll.py::test_string_extraction[9]": (
        False,
        "1 - 1/e is not 1 + 1/e: math-verify extracts the fragment `1 - \\frac{1}{` (that is, 1) from both; "
        "r1 refuses an extracted fragment (unbalanced braces) and reads the whole span",
    ),
}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[bool | None]]:
    golds = [case["gold"] for case in CASES]
    isolated = [f"<answer>{case['pred']}</answer>" for case in CASES]
    free_text = [case["pred"] for case in CASES]
    both = correctness(isolated + free_text, golds + golds, workers=2, timeout=10.0)
    return {"isolated": both[: len(CASES)], "free text": both[len(CASES) :]}


def test_the_data_file_holds_the_whole_suite() -> None:
    assert len(CASES) == 267
    assert len({case["id"] for case in CASES}) == len(CASES)
    assert set(KNOWINGLY_DIFFERENT) <= {case["id"] for case in CASES}


@pytest.mark.parametrize("mode", ["isolated", "free text"])
def test_every_verdict_is_the_expected_one_or_knowingly_different(verdicts, mode) -> None:
    wrong = []
    for case, verdict in zip(CASES, verdicts[mode], strict=True):
        wanted = KNOWINGLY_DIFFERENT.get(case["id"], (bool(case["expected"]), ""))[0]
        if verdict != wanted:
            wrong.append(
                f"{case['id']}: {verdict} (wanted {wanted}) {case['gold'][:60]!r} | {case['pred'][:60]!r}"
            )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("mode", ["isolated", "free text"])
def test_no_wrong_answer_is_right_unless_math_verify_says_right_too(verdicts, mode) -> None:
    false_positives = [
        case["id"]
        for case, verdict in zip(CASES, verdicts[mode], strict=True)
        if verdict and not case["expected"] and not case["math_verify"]
    ]
    assert false_positives == []


def test_r1_gets_at_least_as_many_expected_verdicts_as_math_verify_default(verdicts) -> None:
    math_verify = sum(case["math_verify"] == case["expected"] for case in CASES)
    for mode in ("isolated", "free text"):
        r1 = sum(bool(v) == bool(c["expected"]) for c, v in zip(CASES, verdicts[mode], strict=True))
        assert r1 >= math_verify - 2, (mode, r1, math_verify)  # the two deliberate fixes above


BAD_INPUTS = [
    ("a 100 KB gold", "1 + " * 25_000 + "1", "<answer>3</answer>"),
    ("a 100 KB LaTeX gold", "$" + "\\frac{1}{2}+" * 9_000 + "1$", "<answer>3</answer>"),
    ("a 100 KB answer", "3", "<answer>" + "$x$ " * 25_000 + "</answer>"),
    ("a 100 KB free text", "3", "so " + "$\\frac{1}{" * 10_000),
    ("deeply nested braces", "3", "<answer>" + "{" * 5_000 + "3" + "}" * 5_000 + "</answer>"),
    ("a deeply nested gold", "\\boxed{" + "{" * 5_000 + "3" + "}" * 5_000 + "}", "<answer>3</answer>"),
    ("boxes never closed", "3", "\\boxed{" * 20_000),
    ("a 10,000-digit number", "1" * 10_000, "<answer>" + "1" * 10_000 + "</answer>"),
    ("a 10,000-digit LaTeX number", "$" + "1" * 10_000 + "$", "$" + "1" * 9_999 + "2$"),
    ("a division by zero", "3", "<answer>$\\frac{1}{0}$</answer>"),
]


def test_bad_input_gets_a_verdict_or_none_quickly_and_loses_no_worker() -> None:
    started = time.perf_counter()
    verdicts = correctness(
        [completion for _, _, completion in BAD_INPUTS],
        [gold for _, gold, _ in BAD_INPUTS],
        workers=2,
        timeout=3.0,
    )
    assert all(verdict in (True, False, None) for verdict in verdicts)
    assert verdicts[0] is None and verdicts[1] is None  # golds too long to be an answer: unknown
    assert verdicts[3] is False and verdicts[-1] is False
    assert time.perf_counter() - started < 15
    # The workers are still there and still right.
    assert correctness(["<answer>$\\frac{1}{3}$</answer>"], ["0.333333"], workers=2, timeout=3.0) == [True]


def test_an_undefined_gold_is_equal_only_to_the_same_writing() -> None:
    # latex2sympy reads \gamma^{2} as the gamma function at its pole: both sides become zoo.
    gold = r"m_{p} c^{2}\left(\gamma^{2}-1\right) \sin ^{2} \theta"
    wrong = r"<answer>m_{p} c^{2}\left(\gamma^{2}-8\right) \sin ^{2} \theta</answer>"
    right = f"<answer>{gold}</answer>"
    assert correctness([wrong, right, "<answer>$1:00$</answer>"], [gold, gold, "$12:00$"], workers=2) == [
        False,
        True,
        False,
    ]
