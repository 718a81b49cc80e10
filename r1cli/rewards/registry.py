"""The reward registry: name -> builder, and the functions GRPO and `r1 reward score` get from a recipe.

    from r1cli.rewards.registry import build_reward_functions, reward_weights
    rewards_cfg = recipe.section("rewards")
    funcs = build_reward_functions(rewards_cfg)          # the recipe's `functions`
    weights = reward_weights(rewards_cfg)                # one float per function
    GRPOTrainer(..., reward_funcs=funcs, args=GRPOConfig(..., reward_weights=weights))

A name with a colon is the user's own function (`module:function`, `path/file.py:function`: r1cli/rewards/
custom.py), logged under the function's name. Builders take the whole `[rewards]` table: configurable rewards read their `[rewards.<name>]` sub-table,
the correctness rewards its `timeout` and `workers`. Every built function's `__name__` is its registry
name, which TRL logs as `rewards/<name>/mean`. Importing this module is cheap (no math-verify).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from r1cli.plumbing.errors import R1Error, did_you_mean
from r1cli.rewards.accuracy import make_accuracy, make_cosine
from r1cli.rewards.custom import check_call, is_reference, load_reward, logged_name
from r1cli.rewards.format import (
    format_reward,
    make_reasoning_steps,
    make_repetition_penalty,
    tag_count_reward,
)
from r1cli.rewards.language import language_consistency_reward
from r1cli.rewards.length import make_length, make_soft_overlong

RewardFunction = Callable[..., list[float | None]]


def verifier_settings(cfg: Mapping[str, Any]) -> dict[str, Any]:
    timeout, workers = cfg.get("timeout", 3.0), cfg.get("workers", 0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise R1Error(f"rewards.timeout = {timeout!r}: must be a number of seconds > 0")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise R1Error(f"rewards.workers = {workers!r}: must be an integer >= 0 (0 = one per CPU core)")
    return {"timeout": float(timeout), "workers": workers}


def _sub_table(cfg: Mapping[str, Any], name: str) -> dict[str, Any]:
    table = cfg.get(name, {})
    if not isinstance(table, Mapping):
        raise R1Error(f"rewards.{name} must be a table of settings, got {table!r}")
    return dict(table)


def _configured(name: str, factory: Callable[..., RewardFunction], *, verifier: bool = False) -> Callable:
    """A builder calling `factory` with the `[rewards.<name>]` sub-table (plus timeout/workers if asked)."""

    def build(cfg: Mapping[str, Any]) -> RewardFunction:
        settings = _sub_table(cfg, name) | (verifier_settings(cfg) if verifier else {})
        try:
            return factory(**settings)
        except TypeError as exc:
            raise R1Error(f"[rewards.{name}] has a setting this reward does not take: {exc}") from None

    return build


REWARD_BUILDERS: dict[str, Callable[[Mapping[str, Any]], RewardFunction]] = {
    "accuracy": _configured("accuracy", make_accuracy, verifier=True),
    "format": lambda cfg: format_reward,
    "tag_count": lambda cfg: tag_count_reward,
    "reasoning_steps": _configured("reasoning_steps", make_reasoning_steps),
    "cosine": _configured("cosine", make_cosine, verifier=True),
    "repetition_penalty": _configured("repetition_penalty", make_repetition_penalty),
    "language_consistency": lambda cfg: language_consistency_reward,
    "soft_overlong": _configured("soft_overlong", make_soft_overlong),
    "length": _configured("length", make_length, verifier=True),
}
REWARD_NAMES: tuple[str, ...] = tuple(REWARD_BUILDERS)
# Rewards that compare against the gold answer: rows scored with them need a `solution`.
NEEDS_SOLUTION: frozenset[str] = frozenset({"accuracy", "cosine", "length"})


def check_reward_names(names: Sequence[str]) -> list[str]:
    """The names as a list; R1Error for an unknown (with the closest known name) or repeated one."""
    if isinstance(names, str) or not names:
        raise R1Error("no reward functions given", hint=f"choose from: {', '.join(REWARD_NAMES)}")
    seen: set[str] = set()
    for name in names:
        if is_reference(str(name)):
            name = logged_name(str(name))
        elif name not in REWARD_BUILDERS:
            hint = did_you_mean(str(name), REWARD_NAMES) or f"known rewards: {', '.join(REWARD_NAMES)}"
            hint += " (or your own: module:function, path/to/file.py:function)"
            raise R1Error(f"unknown reward function '{name}'", hint=hint)
        if name in seen:
            raise R1Error(f"reward function '{name}' is listed twice (rewards are logged by name)")
        seen.add(name)
    return list(names)


def build_reward_functions(
    rewards_cfg: Mapping[str, Any], names: Sequence[str] | None = None
) -> list[RewardFunction]:
    """The reward functions for `names` (default: the table's `functions`), configured from the table."""
    names = check_reward_names(rewards_cfg.get("functions", []) if names is None else names)
    functions = []
    for name in names:
        if is_reference(name):
            function, logged = load_reward(name), logged_name(name)
        else:
            function, logged = REWARD_BUILDERS[name](rewards_cfg), name
        if getattr(function, "__name__", None) != logged:
            function = _renamed(function, logged)
        functions.append(function)
    return functions


def check_user_rewards(
    names: Sequence[str], functions: Sequence[RewardFunction], arguments: Mapping[str, Any]
) -> None:
    """Call each of the user's own rewards once with one real row's arguments (the built-in ones are
    tested here): one line naming the reward if it fails, before any model loads."""
    for name, function in zip(names, functions, strict=True):
        if is_reference(name):
            check_call(function, name, arguments)


def _renamed(function: RewardFunction, name: str) -> RewardFunction:
    if inspect.iscoroutinefunction(function):  # trl awaits async rewards: the wrapper must stay one

        async def async_reward(*args: Any, **kwargs: Any) -> list[float | None]:
            return await function(*args, **kwargs)

        async_reward.__name__ = async_reward.__qualname__ = name
        async_reward.__doc__ = function.__doc__
        return async_reward

    def reward(*args: Any, **kwargs: Any) -> list[float | None]:
        return function(*args, **kwargs)

    reward.__name__ = reward.__qualname__ = name
    reward.__doc__ = function.__doc__
    return reward


def reward_weights(rewards_cfg: Mapping[str, Any], names: Sequence[str] | None = None) -> list[float]:
    """One weight per reward: the table's `weights` ([] = all 1.0), matched by name when `names` differ
    from the table's `functions` (a reward the table does not list gets 1.0)."""
    functions = list(rewards_cfg.get("functions", []))
    names = check_reward_names(functions if names is None else names)
    weights = list(rewards_cfg.get("weights") or [])
    if not weights:
        return [1.0] * len(names)
    if len(weights) != len(functions):
        raise R1Error(
            f"rewards.weights has {len(weights)} values for {len(functions)} functions",
            hint="give one weight per reward function, or [] for all 1.0",
        )
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise R1Error(f"rewards.weights: {weight!r} is not a number")
    by_name = dict(zip(functions, weights, strict=True))
    return [float(by_name.get(name, 1.0)) for name in names]
