"""What the GRPO training logs are computed from: per-sample completions and rewards, and the machine.

GRPO's callbacks never see the trainer, so `RewardRecorder.wrap` puts a thin wrapper around each
reward function: TRL calls every function in turn on the same generation batch, the wrappers note
the completions and each function's rewards, and the recorder folds every finished batch into a
`SampleWindow` (format compliance, lengths, reward min/max, best and worst sample). The logging
callback takes the window at each logging step (`consume`). Raw texts are kept for one batch only.

    recorder = RewardRecorder(["accuracy", "format"], [1.0, 1.0])
    reward_funcs = recorder.wrap([accuracy_reward, format_reward])   # same __name__, same results
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from r1cli.rewards.completions import prompt_text, scored_texts
from r1cli.rewards.format import count_reasoning_steps, is_well_formed


def tag_content(text: str, tag: str) -> str | None:
    """The stripped text inside <tag>...</tag> (to the end when unclosed), or None without the tag."""
    start = text.find(f"<{tag}>")
    if start < 0:
        return None
    start += len(tag) + 2
    end = text.find(f"</{tag}>", start)
    return text[start : end if end >= 0 else len(text)].strip()


@dataclass
class Example:
    """One sample with its reward breakdown (None = the function gave no reward) and weighted total."""

    total: float
    completion: str
    prompt: str
    rewards: dict[str, float | None]


@dataclass
class SampleWindow:
    """Everything the reward functions saw since the last logging step, folded into sums."""

    samples: int = 0
    batches: int = 0
    completion_tokens: int = 0
    tokens_known: bool = True
    completion_chars: int = 0
    format_ok: int = 0
    think_count: int = 0
    think_chars: int = 0
    answer_count: int = 0
    answer_chars: int = 0
    reasoning_indicators: int = 0
    reward_min: dict[str, float] = field(default_factory=dict)
    reward_max: dict[str, float] = field(default_factory=dict)
    best: Example | None = None
    worst: Example | None = None

    def metrics(self, prefix: str = "r1/") -> dict[str, float]:
        """The window as flat metrics; empty if no samples.

        `format_compliance` is a fraction; `*_chars` are mean lengths in characters (think/answer:
        over the completions that have the tag); `reasoning_indicators` is per completion.
        """
        if not self.samples:
            return {}
        out: dict[str, float] = {}
        for name, low in self.reward_min.items():
            out[f"{prefix}rewards/{name}/min"] = low
            out[f"{prefix}rewards/{name}/max"] = self.reward_max[name]
        out[f"{prefix}format_compliance"] = self.format_ok / self.samples
        out[f"{prefix}completion_chars"] = self.completion_chars / self.samples
        if self.think_count:
            out[f"{prefix}think_chars"] = self.think_chars / self.think_count
        if self.answer_count:
            out[f"{prefix}answer_chars"] = self.answer_chars / self.answer_count
        out[f"{prefix}reasoning_indicators"] = self.reasoning_indicators / self.samples
        return out


@dataclass
class _Batch:
    prompts: Sequence[Any]
    completions: Sequence[Any]
    rendered_prompts: Sequence[Any] | None
    token_counts: list[int] | None
    rewards: list[list[float] | None]


def _callable_name(func: Callable) -> str:
    """The name TRL gives a reward function's metrics (`trl.trainer.utils.get_callable_name`)."""
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", type(func).__name__)


def _is_async(func: Callable) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(type(func).__call__)


class RewardRecorder:
    """Sees every generation batch through wrapped reward functions; `consume()` hands over the window."""

    def __init__(self, names: list[str], weights: list[float]):
        weights = list(weights) or [1.0] * len(names)
        if len(weights) != len(names):
            raise ValueError(f"{len(weights)} reward weights for {len(names)} reward functions")
        self.names = list(names)
        self.weights = [float(w) for w in weights]
        # The names TRL logs them under (the wrapped functions' __name__), set by wrap().
        self.metric_names = list(names)
        self._lock = threading.Lock()
        self._pending: _Batch | None = None
        self._window = SampleWindow()

    def label(self, metric_name: str) -> str:
        """The recipe's name for a reward TRL logs as `rewards/<metric_name>/...`."""
        if metric_name in self.metric_names:
            return self.names[self.metric_names.index(metric_name)]
        return metric_name

    def wrap(self, funcs: list[Callable]) -> list[Callable]:
        """Wrappers that record each call and return the function's rewards unchanged, under the same name."""
        if len(funcs) != len(self.names):
            raise ValueError(f"{len(funcs)} reward functions for {len(self.names)} names")
        self.metric_names = [_callable_name(func) for func in funcs]
        return [self._wrap_one(index, func) for index, func in enumerate(funcs)]

    def _wrap_one(self, index: int, func: Callable) -> Callable:
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(func, torch.nn.Module):
            return func  # a reward model: TRL calls it on token ids, there is nothing to record
        if _is_async(func):

            async def wrapper(*args: Any, **kwargs: Any) -> list[float | None]:
                rewards = await func(*args, **kwargs)
                self.record(index, kwargs, rewards)
                return rewards

        else:

            def wrapper(*args: Any, **kwargs: Any) -> list[float | None]:
                rewards = func(*args, **kwargs)
                self.record(index, kwargs, rewards)
                return rewards

        wrapper.__name__ = wrapper.__qualname__ = self.metric_names[index]
        wrapper.__doc__ = getattr(func, "__doc__", None)
        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper

    def record(self, index: int, kwargs: dict[str, Any], rewards: Sequence[float | None]) -> None:
        """Note function `index`'s rewards for the batch in kwargs (prompts=, completions=, completion_ids=)."""
        completions = kwargs.get("completions")
        if completions is None or len(rewards) != len(completions):
            return  # TRL itself rejects a wrong-length result; nothing sensible to record
        values = [math.nan if r is None else float(r) for r in rewards]
        with self._lock:
            batch = self._pending
            # TRL hands the same list object to every function of one generation batch.
            if batch is None or batch.completions is not completions or batch.rewards[index] is not None:
                if batch is not None:
                    self._fold(batch)
                ids = kwargs.get("completion_ids")
                batch = self._pending = _Batch(
                    prompts=kwargs.get("prompts") or [""] * len(completions),
                    completions=completions,
                    rendered_prompts=kwargs.get("rendered_prompt"),
                    token_counts=[len(x) for x in ids] if ids is not None else None,
                    rewards=[None] * len(self.names),
                )
            batch.rewards[index] = values
            if all(r is not None for r in batch.rewards):
                self._fold(batch)
                self._pending = None

    def consume(self) -> SampleWindow:
        """Everything recorded since the last call (an unfinished batch included); starts a new window."""
        with self._lock:
            if self._pending is not None:
                self._fold(self._pending)
                self._pending = None
            window, self._window = self._window, SampleWindow()
        return window

    def _fold(self, batch: _Batch) -> None:
        w = self._window
        n = len(batch.completions)
        w.samples += n
        w.batches += 1
        if batch.token_counts is None:
            w.tokens_known = False
        else:
            w.completion_tokens += sum(batch.token_counts)
        # A completion whose prompt opened <think> is read as starting inside it, as the format rewards do.
        texts = scored_texts(batch.completions, batch.prompts, batch.rendered_prompts)
        for text in texts:
            w.completion_chars += len(text)
            w.format_ok += is_well_formed(text)
            if (think := tag_content(text, "think")) is not None:
                w.think_count += 1
                w.think_chars += len(think)
            if (answer := tag_content(text, "answer")) is not None:
                w.answer_count += 1
                w.answer_chars += len(answer)
            w.reasoning_indicators += count_reasoning_steps(text)

        totals = [0.0] * n
        for name, weight, values in zip(self.metric_names, self.weights, batch.rewards, strict=True):
            if values is None:
                continue
            finite = [v for v in values if not math.isnan(v)]
            if finite:
                w.reward_min[name] = min(w.reward_min.get(name, math.inf), min(finite))
                w.reward_max[name] = max(w.reward_max.get(name, -math.inf), max(finite))
            for i, v in enumerate(values):
                if not math.isnan(v):  # as TRL: a missing reward adds nothing to the weighted sum
                    totals[i] += weight * v
        best = max(range(n), key=totals.__getitem__, default=None)
        worst = min(range(n), key=totals.__getitem__, default=None)
        if best is not None and (w.best is None or totals[best] > w.best.total):
            w.best = self._example(batch, texts, totals, best)
        if worst is not None and (w.worst is None or totals[worst] < w.worst.total):
            w.worst = self._example(batch, texts, totals, worst)

    def _example(self, batch: _Batch, texts: list[str], totals: list[float], i: int) -> Example:
        rewards: dict[str, float | None] = {}
        for label, values in zip(self.names, batch.rewards, strict=True):
            value = None if values is None else values[i]
            rewards[label] = None if value is None or math.isnan(value) else value
        prompt = batch.prompts[i] if i < len(batch.prompts) else ""
        return Example(total=totals[i], completion=texts[i], prompt=prompt_text(prompt), rewards=rewards)


def system_metrics() -> dict[str, float]:
    """Process RAM, system RAM %, system CPU % (since the last call) and, with CUDA in use, GPU memory."""
    import psutil

    out = {
        "r1/ram_gb": psutil.Process().memory_info().rss / 1e9,
        "r1/ram_percent": psutil.virtual_memory().percent,
        "r1/cpu_percent": psutil.cpu_percent(interval=None),
    }
    out.update(gpu_memory())
    return out


def gpu_memory() -> dict[str, float]:
    """Peak allocated and currently reserved CUDA memory of this process's device, in GB ({} without CUDA)."""
    torch = sys.modules.get("torch")  # never the one to import torch or start CUDA
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return {}
    return {
        "r1/gpu_mem_gb": torch.cuda.max_memory_allocated() / 1e9,
        "r1/gpu_mem_reserved_gb": torch.cuda.memory_reserved() / 1e9,
    }
