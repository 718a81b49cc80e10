"""Accuracy and cosine rewards: math-verify in worker processes, hard timeouts, no neutral 0.5."""

from __future__ import annotations

import math
import threading
import time

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.accuracy import correctness, make_accuracy, make_cosine
from r1cli.rewards.mathcheck import judge, numerically_different, parse_answer
from r1cli.rewards.quick import number_value, quick_judge
from r1cli.rewards.verifier import Verifier, get_verifier

GSM8K_GOLD = (
    "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
    "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer's market.\n#### 18"
)
RIGHT = "<think>\n16 - 3 - 4 = 9 eggs, 9 * 2 = 18 dollars\n</think>\n<answer>\n18\n</answer>"
WRONG = "<think>\n16 - 3 = 13, 13 * 2 = 26\n</think>\n<answer>\n26\n</answer>"


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def test_accuracy_on_gsm8k_golds_is_never_the_seeds_neutral_half() -> None:
    accuracy = make_accuracy(timeout=5.0, workers=1)
    rewards = accuracy(
        [chat(RIGHT), chat(WRONG), "The answer is 18.", "no answer"], solution=[GSM8K_GOLD] * 4
    )
    assert rewards == [1.0, 0.0, 1.0, 0.0]


def test_accuracy_on_math_golds_uses_math_verify() -> None:
    accuracy = make_accuracy()
    completions = [
        r"<think>half of it</think><answer>$\frac{1}{2}$</answer>",
        r"<think>...</think><answer>0.5</answer>",
        r"so the result is \boxed{\sqrt{2}}",
        r"<think>...</think><answer>x = 5</answer>",
        r"<think>...</think><answer>\frac{1}{3}</answer>",
        r"<think>...</think><answer>1+x^2</answer>",
    ]
    solutions = [
        r"The probability is $\boxed{\dfrac{1}{2}}$.",
        r"\frac{1}{2}",
        r"$\boxed{\sqrt 2}$",
        "5",
        r"\boxed{\frac{1}{2}}",
        "x^2 + 1",
    ]
    assert accuracy(completions, solution=solutions) == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0]


def test_unparseable_gold_scores_none() -> None:
    accuracy = make_accuracy()
    assert accuracy([RIGHT, RIGHT], solution=["A worked solution\nwith no final answer.", None]) == [
        None,
        None,
    ]


def test_missing_solution_column_is_a_user_error() -> None:
    with pytest.raises(R1Error, match="solution"):
        make_accuracy()([RIGHT])


def test_pathological_answer_costs_at_most_the_timeout_and_holds_up_nothing() -> None:
    verifier = Verifier(workers=2, timeout=1.0)
    try:
        assert verifier.judge_many([("x^2", "x x")]) == [True]  # the workers are up
        pairs = [("2", "9^{9^{9^{9}}}"), (r"\frac{1}{2}", "0.5")] + [
            (rf"\frac{{x}}{{{i}}}", rf"\frac{{2 x}}{{{2 * i}}}") for i in range(1, 30)
        ]
        started = time.perf_counter()
        verdicts = verifier.judge_many(pairs)
        elapsed = time.perf_counter() - started
        assert verdicts[0] is None
        assert verdicts[1:] == [True] * 30
        assert verifier.timeouts == 1
        # 1 s of CPU, at most 2 s of wall-clock time on a busy machine, while the other worker goes on.
        assert elapsed < 6
        # The verdict is cached: the same pathological pair costs nothing the second time.
        started = time.perf_counter()
        assert verifier.judge_many([("2", "9^{9^{9^{9}}}")]) == [None]
        assert time.perf_counter() - started < 0.5
    finally:
        verifier.close()


def test_accuracy_works_off_the_main_thread() -> None:
    accuracy = make_accuracy(timeout=5.0, workers=1)
    results: list = []
    thread = threading.Thread(
        target=lambda: results.append(accuracy([r"<answer>\frac{2}{4}</answer>"], solution=[r"\boxed{0.5}"]))
    )
    thread.start()
    thread.join(timeout=60)
    assert results == [[1.0]]


def test_quick_judge_agrees_with_math_verify_on_plain_numbers() -> None:
    for gold, answer in [
        ("18", "18"),
        ("18", "19"),
        ("1234", "1234.0"),
        ("0.5", ".5"),
        ("-3", "-3"),
        ("7", "70"),
        (r"\frac{1}{2}", "0.5"),
        ("4.5e33", "4.6e33"),
        ("2.88e-19", "8.64e-19"),
        ("1e1", "10"),
    ]:
        quick = quick_judge(gold, answer)
        assert quick is not NotImplemented
        assert quick == judge(gold, answer), (gold, answer)
    assert quick_judge("0.3333", "0.33333") is NotImplemented
    assert quick_judge(r"\frac{1}{3}", "0.333333") is NotImplemented
    assert quick_judge("1.e5", "100000") is NotImplemented  # not scientific notation for math-verify
    assert quick_judge("5", None) is False


def test_quick_judge_reads_whole_percentages_as_math_verify_does() -> None:
    """`20\\%` equals 20 and 0.2 for math-verify, but not the decimal gold 20.0; whole percentages against
    plain golds (real GSM8K outputs write them) are decided here with exactly its verdicts."""
    decided = 0
    for number in [0, 1, 5, 10, 20, 25, 33, 40, 50, 99, 100, 150, 12345]:
        golds = [str(number), f"{number}.0", f"{number / 100:g}", str(number + 1), f"{number / 10:g}"]
        golds += [rf"\frac{{{number}}}{{100}}", f"{number / 100 + 1e-7:.7f}", f"{number}.5", "0.333333"]
        for gold in golds:
            for answer in [f"{number}\\%", f"{number}%", f"{number} \\%"]:
                quick = quick_judge(gold, answer)
                if quick is not NotImplemented:
                    decided += 1
                    assert quick == judge(gold, answer), (gold, answer)
    assert decided > 300
    assert quick_judge("12.5", r"12.5\%") is NotImplemented  # math-verify: False, by rules of its own
    assert quick_judge("-5", r"-5\%") is NotImplemented


def test_quick_judge_never_contradicts_math_verify_near_rounding_edges() -> None:
    """Golds from GSM8K and Minerva, answers nudged by 10^-1 .. 10^-8 relatively and absolutely, written
    as decimals and in scientific notation: every verdict decided without sympy is math-verify's."""
    golds = ["4.03188", "7.5e7", "2.7778e-6", "0.822", "2.26e-10", "56.0", "-0.2", "0", "18", r"\frac{3}{4}"]
    decided = 0
    for gold in golds:
        value = float(number_value(gold)[0])
        nudged = [value * (1 + sign * 10.0**-k) for k in (1, 3, 5, 8) for sign in (1, -1)]
        nudged += [value + 10.0**-k for k in (2, 5, 7)]
        for other in nudged:
            for answer in (f"{other:.6g}", f"{other:.3e}"):
                quick = quick_judge(gold, answer)
                if quick is not NotImplemented:
                    decided += 1
                    assert quick == judge(gold, answer), (gold, answer)
    assert decided > 100


def test_numeric_disproof_only_says_different_when_it_is_sure() -> None:
    def first(text: str):
        return parse_answer(text)[0]

    assert numerically_different(first("x^2 + 2x + 1"), first("(x+1)^2 + 1"))
    assert not numerically_different(first("x^2 + 2x + 1"), first("(x+1)^2"))
    assert not numerically_different(first(r"\sin^2 x + \cos^2 x"), first("1"))
    assert not numerically_different(first("x = 1"), first("2"))  # relations are left to math-verify
    assert judge(r"\frac{\sqrt{3}}{2}", r"\cos(\pi/6)") is True
    assert judge(r"e^{-2 t} / 15", r"\frac{e^{-2t}}{15}") is True
    assert judge(r"e^{-2 t} / 15", r"\frac{e^{-3t}}{15}") is False


def test_sums_are_compared_at_whole_number_bounds() -> None:
    def first(text: str):
        return parse_answer(text)[0]

    squares = first(r"\sum_{k=1}^{n} k^2")
    assert not numerically_different(squares, first(r"\frac{n(n+1)(2n+1)}{6}"))  # equal at every whole n
    assert numerically_different(squares, first(r"\frac{n(n+1)(2n+1)}{5}"))
    # From math-verify's suite (a real upper bound made sympy sum by Euler-Maclaurin for a second).
    gold = r"F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}"
    assert judge(gold, r"F_n = \sum_{k=0}^{n-2} F_k F_{n-k-2}") is False
    assert judge(gold, r"F_n = \sum_{k=0}^{n-1} F_{n-k-1} F_k") is True


def test_tiny_numbers_are_not_equal_just_because_they_round_to_zero() -> None:
    assert judge("2.88e-19", "8.64e-19") is False
    assert judge("2.88e-19", r"2.88 \times 10^{-19}") is True
    assert judge("1/3", "0.333333") is True
    assert judge("50", r"50\%") is True


def test_cosine_scales_correctness_by_length() -> None:
    cosine = make_cosine(max_len=100)
    short_right, short_wrong = "<answer>18</answer>", "<answer>17</answer>"
    long_right = "x" * 200 + short_right
    long_wrong = "x" * 200 + short_wrong
    rewards = cosine(
        [short_right, long_right, short_wrong, long_wrong, "none"], solution=["18"] * 4 + ["no answer\nhere"]
    )
    progress = len(short_right) / 100
    assert rewards[0] == pytest.approx(0.8 + 0.1 * (1 + math.cos(progress * math.pi)))
    assert rewards[1] == pytest.approx(0.8)  # past max_len counts as max_len (the seed's cosine wrapped)
    assert rewards[2] == pytest.approx(-0.1 - 0.2 * (1 + math.cos(progress * math.pi)))
    assert rewards[3] == pytest.approx(-0.1)
    assert rewards[4] is None
    with pytest.raises(R1Error):
        make_cosine(max_len=0)


def test_correctness_is_shared_and_cached_across_rewards() -> None:
    verifier = get_verifier(1, 5.0)
    before = len(verifier._cache)
    correctness([r"<answer>\frac{6}{8}</answer>"], [r"\boxed{\frac{3}{4}}"], workers=1, timeout=5.0)
    assert len(verifier._cache) == before + 1
    assert correctness(
        [r"<answer>\frac{6}{8}</answer>"], [r"\boxed{\frac{3}{4}}"], workers=1, timeout=5.0
    ) == [True]


def test_workers_that_cannot_start_are_a_clear_error(monkeypatch) -> None:
    import sys

    monkeypatch.setattr(sys, "executable", "/bin/false")
    verifier = Verifier(workers=1, timeout=1.0)
    with pytest.raises(R1Error, match="exit as soon as they start"):
        verifier.judge_many([("x^2", "x^3")])


def test_equations_are_judged_from_the_golds_solutions_with_math_verifys_verdicts(monkeypatch) -> None:
    from math_verify import grader

    from r1cli.rewards import mathcheck

    pairs = [
        ("x + y = 1", "2 x + 2 y = 2"),
        ("x + y = 1", "x + y = 3"),
        ("a b = c", "b a = c"),
        ("x^2 = 4", "x^2 = 9"),
        (r"y^{\prime}+r y-r x(t)=0", r"y^{\prime}+r y-r x(t)=7"),
        ("x = 2 y + 1", "x - 1 = 2 y"),
        ("y = m x + b", "b = y - m x"),
        ("y = m x + b", "b = y + m x"),
        (r"\sqrt{x} = y", "x = y^2"),
        ("P V = n R T", "V = n R T / P"),
        ("P V = n R T", "V = n R / P"),
    ]
    ours = [judge(gold, answer) for gold, answer in pairs]
    monkeypatch.setattr(grader, "solve", mathcheck._SOLVE)
    monkeypatch.setattr(grader, "sympy_solve_and_compare", mathcheck._SOLVE_AND_COMPARE)
    mathcheck.parse_answer.cache_clear()
    assert ours == [judge(gold, answer) for gold, answer in pairs]
    assert ours[1] is False and ours[4] is False


def test_equations_told_apart_at_a_point_of_the_gold_need_no_solving() -> None:
    from r1cli.rewards import mathcheck
    from r1cli.rewards.mathcheck import equations_differ

    def first(text: str):
        return parse_answer(text)[0]

    slow = r"m l \ddot{\theta}(t)-m g \sin \theta(t)=f(t) \cos \theta(t)"  # solving it takes seconds
    mathcheck._SOLVED.clear()
    started = time.perf_counter()
    assert judge(slow, slow.replace("m l", "2 m l", 1)) is False
    assert time.perf_counter() - started < 2.5  # solving the gold alone takes 5 s and more
    assert not mathcheck._SOLVED  # nothing was solved
    assert equations_differ(first("x + y = 1"), first("x + y = 3"))
    assert equations_differ(first(r"y^{\prime}+r y-r x(t)=0"), first(r"y^{\prime}+r y-r x(t)=1"))
    # Same solutions, or nothing to decide by: left to math-verify.
    assert not equations_differ(first("x + y = 1"), first("2 x + 2 y = 2"))
    assert not equations_differ(first(slow), first(slow.replace("=", "+1=1+", 1)))
    assert not equations_differ(first("x^2 = 4"), first("x^2 = 9"))  # not affine in x: no point found
    assert not equations_differ(first(r"\sqrt{x} = y"), first("x = y^2"))


def test_rates_of_change_are_unknowns_of_their_own() -> None:
    """`dx/dt` parses as the derivative of a symbol, which sympy (and so math-verify) evaluates to 0."""
    ode = r"\frac{d x}{d t}=k x-a"
    assert judge(ode, r"2 \frac{d x}{d t}=k x-a") is False
    assert judge(r"m \frac{d v}{d t}+b v=f", r"2 m \frac{d v}{d t}+b v=f") is False
    assert judge(ode, r"2\frac{d x}{d t}=2 k x-2 a") is True
    assert judge(ode, r"\frac{d x}{d t} - k x + a = 0") is True
    assert judge(r"\frac{dy}{dx}", "0") is False
    assert judge(r"\frac{d}{dx} x^2", "2x") is True  # a derivative to compute is computed
    assert judge(r"\frac{d}{dx} x^2", "3x") is False


def test_a_number_inside_latex_that_does_not_parse_is_not_the_answer() -> None:
    gold = r"\frac{1}{3} E_{1}+\frac{2}{3} E_{2}"  # E_{1} is beyond the LaTeX parser
    assert parse_answer(gold) == (gold,)  # not 2/3, the last fraction in it
    assert judge(gold, r"\frac{2}{3} E_{1}+\frac{2}{3} E_{2}") is False
    assert judge(gold, r"\frac{1}{3} E_{1}+\frac{2}{3} E_{2}") is True


def test_the_faster_latex_parser_gives_math_verifys_own_results(monkeypatch) -> None:
    from latex2sympy2_extended import latex2sympy2
    from math_verify.parser import parse_latex_cached
    from sympy import srepr

    from r1cli.rewards import fast_latex, mathcheck

    answers = [
        r"\frac{1}{2}",
        r"\frac{\sqrt{3}}{2}",
        r"[0, 1)",
        r"\{1, 2\}",
        r"x = 5",
        r"e^{-2t}",
        r"4.5 \times 10^{33}",
        r"\left(\frac{1}{2}\right)^{3}",
        r"\text{Monday}",
        r"1+\sqrt{3} i",
        r"-\sin (3 t) / 5+ C_{1} \sin (2 t)+C_{2} \cos (2 t)",
        r"\frac{v_{0}}{r_{0}} \frac{1}{\left(1+r / r_{0}\right)^{3 / 2}}",
        r"m l \ddot{\theta}(t)-m g \sin \theta(t)=f(t) \cos \theta(t)",
        r"x_{0} \cos (\omega t)+$ $\dot{x}_{0} \sin (\omega t) / \omega",
        r"\left[P_{0}^{2 / 5}-\frac{2}{5} g K^{-3 / 5} z\right]^{5 / 2}",
        "SRAC=LRAC",
        "E_{1},E_{2}",
        r"\{ 1, 2 \} \cup (3, 4]",
        "((",
        "007 + 0.50 + 1,000 + 3.14159265358979323846 + 0.000",
        r"\frac{007}{3} = 2.50",
    ]

    def parsed() -> list:
        mathcheck.parse_answer.cache_clear()
        parse_latex_cached.cache_clear()
        return [[srepr(x) for x in mathcheck.parse_answer(a)] for a in answers]

    two_stage = parsed()
    monkeypatch.setattr(latex2sympy2._Latex2Sympy, "parse", fast_latex.PARSE_LATEX)
    monkeypatch.setattr(latex2sympy2._Latex2Sympy, "parse_number", fast_latex.PARSE_NUMBER)
    assert two_stage == parsed()
    mathcheck.parse_answer.cache_clear()


def test_an_answer_written_as_the_gold_needs_no_worker() -> None:
    verifier = Verifier(workers=1, timeout=1.0)
    try:
        golds = [r"\text{(B)}", r"\frac{e^{-2 t}}{15}+C_{1} e^{t}", "x_{0} \\cos (\\omega t)"]
        assert verifier.judge_many([(gold, gold) for gold in golds]) == [True, True, True]
        assert verifier._server is None  # decided without starting math-verify at all
    finally:
        verifier.close()


def test_workers_start_early_only_for_golds_that_need_math_verify() -> None:
    verifier = Verifier(workers=1, timeout=1.0)
    try:
        verifier.expect(["18", "1234", None, "0.5"])
        assert verifier._server is None  # GSM8K-style golds: everything is decided in this process
        verifier.expect(["18", r"\frac{\sqrt{3}}{2}"])
        assert verifier._server is not None
    finally:
        verifier.close()


def test_a_gold_equation_too_slow_to_solve_is_solved_once_per_run() -> None:
    gold = r"m l \ddot{\theta}(t)-m g \sin \theta(t)=f(t) \cos \theta(t)"
    # The gold times k on both sides: no point tells them apart, only solving the gold (seconds) can.
    answers = [
        rf"{k} m l \ddot{{\theta}}(t)-{k} m g \sin \theta(t)={k} f(t) \cos \theta(t)" for k in (2, 3, 4)
    ]
    verifier = Verifier(workers=1, timeout=1.0)
    try:
        assert verifier.judge_many([("x^2", "x x")]) == [True]  # the worker is up
        started = time.perf_counter()
        assert verifier.judge_many([(gold, answer) for answer in answers]) == [None, None, None]
        elapsed = time.perf_counter() - started
        assert verifier.timeouts == 3
        assert verifier._slow_golds == {gold}  # the first pair ran out of time solving the gold
        assert elapsed < 3 * 2.0  # one timeout (at most 2 s of wall-clock time), not three
        # Other golds' equations are still solved.
        assert verifier.judge_many([("x + y = 1", "x + y = 3")]) == [False]
    finally:
        verifier.close()


def test_a_prestarted_fork_server_is_the_one_the_first_verifier_uses() -> None:
    from r1cli.rewards import verifier as verifier_module

    verifier_module.prestart_server()
    spare = verifier_module._SPARE_SERVERS[0]
    verifier = Verifier(workers=1, timeout=3.0)
    try:
        assert verifier.judge_many([("x^2", "x x")]) == [True]  # needs math-verify
        assert verifier._server is spare and not verifier_module._SPARE_SERVERS
    finally:
        verifier.close()


def test_an_unused_prestarted_fork_server_is_stopped_at_exit() -> None:
    import subprocess
    import sys

    code = (
        "from r1cli.rewards import verifier as v; v.prestart_server(); print(v._SPARE_SERVERS[0].process.pid)"
    )
    pid = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_answers_outside_the_tags_earn_nothing_with_answer_in_tags() -> None:
    """[rewards.accuracy] answer_in = "tags": the R1-Zero rule (a right answer in prose scores 0)."""
    from r1cli.rewards.registry import build_reward_functions

    completions = ["So 2 + 2 = 4.", "<think>2 + 2 = 4</think><answer>4</answer>", "<answer></answer> 4"]
    (anywhere,) = build_reward_functions({"functions": ["accuracy"]}, ["accuracy"])
    (tags,) = build_reward_functions(
        {"functions": ["accuracy"], "accuracy": {"answer_in": "tags"}}, ["accuracy"]
    )
    assert anywhere(completions, solution=["4"] * 3) == [1.0, 1.0, 1.0]
    assert tags(completions, solution=["4"] * 3) == [0.0, 1.0, 0.0]
    with pytest.raises(R1Error, match=r"rewards.accuracy.answer_in = 'box': must be one of anywhere, tags"):
        build_reward_functions({"functions": ["accuracy"], "accuracy": {"answer_in": "box"}}, ["accuracy"])


@pytest.mark.parametrize(
    ("completion", "reward"),
    [
        # SmolLM2-135M-Instruct, step 6 of the first GRPO run on "What is 3 + 54?" (gold 57): it restated
        # the question, math-verify worked the sum out, and the reward paid 1.0 for it.
        ("3 + 54 = 87\n\nThe answer is 3 + 54.", 0.0),
        ("<answer>3+54</answer>", 0.0),
        (r"The answer is $50 \times 1 + 7$.", 0.0),
        ("3 + 54 = 57", 1.0),  # the computation with its value is the value
        ("The answer is 57.", 1.0),
    ],
)
def test_an_answer_that_restates_the_sum_is_not_its_value(completion: str, reward: float) -> None:
    assert make_accuracy()([completion], solution=["57"]) == [reward]
