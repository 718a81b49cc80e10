"""r1 eval's prompts against the model's context: the ones longer than its positions (after the chat
template, with max_new_tokens left for the answer) are counted per benchmark, and skipped or truncated
(`--long-prompts`), before any weights load.

A benchmark here is r1cli.evaluate.run.Benchmark (its `prompts`, `name` and `too_long`), read duck-typed so
this module stays below evaluate.py.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from r1cli.plumbing.console import note
from r1cli.plumbing.errors import R1Error

if TYPE_CHECKING:
    from r1cli.recipe.provenance import Recipe

LONG_PROMPTS = ("skip", "truncate")


def _token_count(tokenizer: Any, messages: list[dict[str, str]]) -> int:
    from r1cli.generation.backends import prompt_text

    return len(tokenizer(prompt_text(tokenizer, messages), add_special_tokens=False, verbose=False).input_ids)


def _cut_user_turn(prompt: Any, tokenizer: Any, room: int) -> Any:
    """The prompt with its last user turn cut from the start until it fits `room` tokens; None if it cannot."""
    turn = max(i for i, m in enumerate(prompt.messages) if m.get("role") == "user")
    ids = tokenizer(prompt.messages[turn]["content"], add_special_tokens=False, verbose=False).input_ids
    overflow = _token_count(tokenizer, prompt.messages) - room
    while 0 < overflow < len(ids):
        messages = [dict(m) for m in prompt.messages]
        messages[turn]["content"] = tokenizer.decode(ids[overflow:], skip_special_tokens=True)
        if _token_count(tokenizer, messages) <= room:
            return dataclasses.replace(prompt, messages=messages)
        overflow += 1  # decoding and re-encoding may join tokens differently
    return None


def fit_benchmark(benchmark: Any, tokenizer: Any, room: int, long_prompts: str = "skip") -> Any:
    """The benchmark with the prompts longer than `room` tokens (after the chat template) skipped, or, with
    long_prompts="truncate", their user turn cut from the start (kept only if that makes them fit)."""
    if long_prompts not in LONG_PROMPTS:
        raise R1Error(
            f"unknown long-prompt handling '{long_prompts}'", hint=f"use one of {', '.join(LONG_PROMPTS)}"
        )
    kept: list[Any] = []
    too_long = 0
    for prompt in benchmark.prompts:
        if _token_count(tokenizer, prompt.messages) <= room:
            kept.append(prompt)
            continue
        too_long += 1
        if long_prompts == "truncate" and (cut := _cut_user_turn(prompt, tokenizer, room)) is not None:
            kept.append(cut)
    return dataclasses.replace(benchmark, prompts=kept, too_long=too_long)


def model_room(model: str, recipe: Recipe, max_new_tokens: int) -> tuple[Any, int, int] | None:
    """(tokenizer, tokens a prompt may have, the model's max_position_embeddings) without loading weights;
    None when the model does not say how many positions it has."""
    from transformers import AutoConfig

    from r1cli.models.folders import locate_model, tokenizer_source
    from r1cli.models.loading import loading_errors, open_tokenizer

    kind, source, path = locate_model(model, recipe.section("tiny"), quiet=True)
    trust = bool(recipe.get("model.trust_remote_code"))
    with loading_errors(source):
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust)
        positions = getattr(config, "max_position_embeddings", None)
        if not positions:
            return None
        tokenizer = open_tokenizer(tokenizer_source(kind, source, path), trust_remote_code=trust)
    room = int(positions) - max_new_tokens
    if room < 1:
        raise R1Error(
            f"max_new_tokens {max_new_tokens} leaves no room for a prompt in {model}'s {positions} positions",
            hint=f"pass --max-new-tokens below {positions}",
        )
    return tokenizer, room, int(positions)


def fit_to_model(
    model: str, recipe: Recipe, benchmarks: list[Any], max_new_tokens: int, long_prompts: str
) -> list[Any]:
    """The benchmarks with the prompts that do not fit the model skipped or truncated, and a note for each."""
    found = model_room(model, recipe, max_new_tokens)
    if found is None:
        return benchmarks
    tokenizer, room, positions = found
    fitted = []
    for benchmark in benchmarks:
        fit = fit_benchmark(benchmark, tokenizer, room, long_prompts)
        if fit.too_long:
            done = (
                "skipped"
                if long_prompts == "skip"
                else f"cut to fit ({len(benchmark.prompts) - len(fit.prompts)} skipped: too long to cut)"
            )
            note(
                f"{benchmark.name}: {fit.too_long} of {len(benchmark.prompts)} prompts do not fit {model}'s "
                f"{positions} positions with {max_new_tokens} new tokens: {done}"
                + (" (--long-prompts truncate cuts them to fit)" if long_prompts == "skip" else "")
            )
        if not fit.prompts:
            raise R1Error(
                f"no prompt of {benchmark.name} fits {model}'s {positions} positions with {max_new_tokens} new tokens",
                hint="lower --max-new-tokens",
            )
        fitted.append(fit)
    return fitted
