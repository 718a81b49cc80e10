"""Eval aggregation on hand-made sample sets whose metrics are known."""

from __future__ import annotations

import doctest
import math

import pytest

import r1cli.evaluate.metrics
from r1cli.evaluate.metrics import JudgedSample, aggregate, ks_for, majority_correct, pass_at_k


def s(answer, correct, formatted=True, tokens=10, truncated=False) -> JudgedSample:
    return JudgedSample(answer, correct, formatted, tokens, truncated)


def test_pass_at_k_matches_the_binomial_formula():
    for n in (1, 4, 16, 64):
        for c in range(n + 1):
            for k in ks_for(n):
                expected = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)


def test_greedy_one_sample_per_problem():
    problems = [
        [s("18", True)],
        [s("3", False, formatted=False)],
        [s(None, False, tokens=32, truncated=True)],
        [s("7", True)],
    ]
    m = aggregate(problems)
    assert m["accuracy"] == 0.5 and m["pass@1"] == 0.5 and m["maj@1"] == 0.5
    assert (m["n"], m["samples"]) == (4, 1)
    assert m["format_rate"] == 0.75
    assert m["mean_completion_tokens"] == (10 + 10 + 32 + 10) / 4
    assert m["truncated_rate"] == 0.25 and m["no_answer_rate"] == 0.25
    assert "pass@2" not in m


def test_four_samples_avg_maj_and_pass_at_k():
    problems = [
        # 1 of 4 right, majority wrong ("5" three times)
        [s("5", False), s("6", True), s("5", False), s("5", False)],
        # 3 of 4 right, majority right
        [s("2", True), s("2", True), s("3", False), s("2", True)],
        # 0 right, no answers at all
        [s(None, False, formatted=False)] * 4,
    ]
    m = aggregate(problems)
    assert m["accuracy"] == pytest.approx((0.25 + 0.75 + 0) / 3)
    assert m["pass@1"] == pytest.approx(m["accuracy"])
    assert m["maj@4"] == pytest.approx(1 / 3)
    # pass@2: problem 1: 1 - C(3,2)/C(4,2) = 0.5; problem 2: 1 - C(1,2)/C(4,2) = 1; problem 3: 0
    assert m["pass@2"] == pytest.approx(0.5)
    assert m["pass@4"] == pytest.approx(2 / 3)
    assert m["format_rate"] == pytest.approx(8 / 12)


def test_majority_ties_go_to_the_first_answer_seen_and_undecided_counts_as_wrong():
    assert majority_correct([s("1", True), s("2", False)]) is True
    assert majority_correct([s("2", False), s("1", True)]) is False
    m = aggregate([[s("x", None)], [s("4", True)]])
    assert m["accuracy"] == 0.5 and m["undecided"] == 1


def test_problems_need_the_same_number_of_samples():
    with pytest.raises(ValueError, match="same number"):
        aggregate([[s("1", True)], [s("1", True), s("2", False)]])
    with pytest.raises(ValueError):
        aggregate([])


def test_docstring_examples():
    assert doctest.testmod(r1cli.evaluate.metrics).failed == 0
