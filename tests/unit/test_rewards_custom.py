"""Your own reward functions: `module:function` and `file.py:function` next to the built-in names, and the
one-line errors for every way a reference can be wrong, before any model loads."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.rewards.custom import SAMPLE_COMPLETION, row_arguments, source_digests
from r1cli.rewards.registry import build_reward_functions, check_user_rewards, reward_weights

COUNTDOWN = '''
import re

def countdown(completions, target, nums, **kwargs):
    """1.0 when the <answer> uses each of `nums` once and equals `target`."""
    scores = []
    for completion, goal, numbers in zip(completions, target, nums):
        text = completion[0]["content"] if isinstance(completion, list) else completion
        found = re.search(r"<answer>(.*?)</answer>", text, re.S)
        expr = found.group(1).strip() if found else ""
        used = sorted(int(n) for n in re.findall(r"\\d+", expr))
        ok = bool(re.fullmatch(r"[\\d\\s+\\-*/()]+", expr)) and used == sorted(numbers)
        scores.append(1.0 if ok and abs(eval(expr) - goal) < 1e-9 else 0.0)
    return scores

async def slow_one(completions, **kwargs):
    return [0.5 for _ in completions]

def broken(completions, **kwargs):
    return kwargs["no_such_column"]

def two_values(completions, **kwargs):
    return [1.0, 1.0]

def words(completions, **kwargs):
    return ["good" for _ in completions]

NOT_A_FUNCTION = 3
'''


@pytest.fixture
def rewards_dir(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    (tmp_path / "my_rewards.py").write_text(textwrap.dedent(COUNTDOWN))
    monkeypatch.chdir(tmp_path)  # the current folder is importable, as the TRL complaint asks
    monkeypatch.delitem(sys.modules, "my_rewards", raising=False)  # each test imports its own file
    yield tmp_path
    sys.modules.pop("my_rewards", None)


def test_module_and_file_references_score_like_built_in_rewards(rewards_dir: Path) -> None:
    names = ["format", "my_rewards:countdown", f"{rewards_dir / 'my_rewards.py'}:slow_one"]
    functions = build_reward_functions({"functions": names}, names)
    assert [f.__name__ for f in functions] == ["format", "countdown", "slow_one"]  # trl logs these
    completions = [[{"role": "assistant", "content": "<think>x</think><answer>25 * 4 - 2</answer>"}]] * 2
    assert functions[1](completions=completions, target=[98, 99], nums=[[25, 4, 2], [25, 4, 2]]) == [1.0, 0.0]
    assert reward_weights({"functions": names, "weights": [1, 2, 3]}) == [1.0, 2.0, 3.0]
    row = {
        "prompt": [{"role": "user", "content": "Reach 98 with 25, 4, 2"}],
        "target": 98,
        "nums": [25, 4, 2],
    }
    check_user_rewards(names, functions, row_arguments(row))  # async included: no error
    assert row_arguments(row)["completions"] == [[{"role": "assistant", "content": SAMPLE_COMPLETION}]]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("no_such_module:f", "reward 'no_such_module:f': cannot import no_such_module: ModuleNotFoundError"),
        ("my_rewards:missing", "reward 'my_rewards:missing': my_rewards has no attribute 'missing'"),
        ("my_rewards:NOT_A_FUNCTION", "my_rewards.NOT_A_FUNCTION is a int, not a function"),
        ("nowhere/file.py:f", "reward 'nowhere/file.py:f': file not found"),
        ("my_rewards:", "expected module:function or path/to/file.py:function"),
    ],
)
def test_a_reference_that_is_not_a_function_is_one_line(
    rewards_dir: Path, reference: str, message: str
) -> None:
    with pytest.raises(R1Error, match=message) as info:
        build_reward_functions({"functions": [reference]})
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken", "reward 'my_rewards:broken' failed on the first row: KeyError: 'no_such_column'"),
        ("two_values", "reward 'my_rewards:two_values' returned 2 values for 1 completion"),
        ("words", "reward 'my_rewards:words' returned 'good': each value must be a number or None"),
    ],
)
def test_a_reward_that_fails_on_a_real_row_is_one_line(rewards_dir: Path, name: str, message: str) -> None:
    names = [f"my_rewards:{name}"]
    functions = build_reward_functions({"functions": names})
    with pytest.raises(R1Error, match=message):
        check_user_rewards(names, functions, row_arguments({"prompt": "What is 1 + 1?", "solution": "2"}))


def test_the_same_logged_name_twice_is_refused(rewards_dir: Path) -> None:
    with pytest.raises(R1Error, match="'countdown' is listed twice"):
        build_reward_functions({}, ["my_rewards:countdown", f"{rewards_dir / 'my_rewards.py'}:countdown"])


def test_the_digest_follows_the_file(rewards_dir: Path) -> None:
    before = source_digests(["accuracy", "my_rewards:countdown", "./my_rewards.py:countdown"])
    assert set(before) == {"my_rewards:countdown", "./my_rewards.py:countdown"}
    (rewards_dir / "my_rewards.py").write_text(textwrap.dedent(COUNTDOWN) + "\n# changed\n")
    after = source_digests(["my_rewards:countdown"])
    assert after["my_rewards:countdown"] != before["my_rewards:countdown"]
