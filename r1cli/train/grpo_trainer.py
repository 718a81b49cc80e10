"""trl's GRPOTrainer with r1's dynamic sampling (`[dynamic_sampling]`), trl's own code left untouched.

    trainer = R1GRPOTrainer(model=..., reward_funcs=..., args=config, dynamic_sampling=settings, ...)

With `vllm_engine` (grpo.use_vllm in colocate mode), trl's vLLM engine is built and synced as
r1cli/train/vllm_colocate.py says.

The trainer overrides two of trl's hooks and calls the originals: `_calculate_rewards` (to keep each
reward function's values of the latest batch) and `_generate_and_score_completions` (to drop the
groups that teach nothing and generate groups of further train prompts in their place; see
r1cli/train/dynamic_sampling.py). The further prompts are drawn with a generator seeded from
grpo.seed, the step and the round, not from the global random stream, so a resumed run draws the
same prompts as the run it continues.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

import torch
from trl import GRPOTrainer

from r1cli.plumbing.console import note
from r1cli.train.dynamic_sampling import fill_batch
from r1cli.train.settings import TOTAL, DynamicSampling
from r1cli.train.vllm_colocate import colocated_engine


class R1GRPOTrainer(GRPOTrainer):
    def __init__(
        self,
        *args: Any,
        dynamic_sampling: DynamicSampling | None = None,
        vllm_engine: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        with colocated_engine(vllm_engine) if vllm_engine is not None else contextlib.nullcontext():
            super().__init__(*args, **kwargs)
        self.dynamic_sampling = dynamic_sampling or DynamicSampling()
        self._latest_rewards: torch.Tensor | None = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._latest_rewards = rewards
        return rewards

    def _filter_values(self) -> torch.Tensor:
        """The latest batch's values that decide whether a group is informative."""
        rewards = self._latest_rewards
        assert rewards is not None
        if self.dynamic_sampling.reward == TOTAL:
            weights = self.reward_weights.to(rewards.device).unsqueeze(0)
            total = (rewards * weights).nansum(dim=1)
            total[torch.isnan(rewards).all(dim=1)] = torch.nan
            return total
        return rewards[:, self.reward_func_names.index(self.dynamic_sampling.reward)]

    def _generate_and_score_completions(self, inputs):
        if not self.dynamic_sampling.enabled or not self.model.training:
            return super()._generate_and_score_completions(inputs)

        def score(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], torch.Tensor]:
            return super(R1GRPOTrainer, self)._generate_and_score_completions(rows), self._filter_values()

        pad = self.processing_class.pad_token_id
        batch, counts = fill_batch(
            inputs,
            score,
            self._further_prompts,
            num_generations=self.num_generations,
            max_rounds=self.dynamic_sampling.max_rounds,
            pad_token_id=pad if pad is not None else 0,
        )
        for key, value in counts.metrics().items():
            self._metrics["train"][key].append(value)
        if counts.short:
            note(
                f"dynamic sampling: {counts.short} of {counts.kept + counts.short} groups still had equal "
                f"'{self.dynamic_sampling.reward}' after {counts.rounds} extra rounds; the batch trained on "
                "the rest (dynamic_sampling/groups_short in metrics.jsonl)",
                once=True,
            )
        return batch

    def _further_prompts(self, count: int, round_: int) -> list[dict[str, Any]]:
        """`count` train prompts, each repeated num_generations times, from a stream seeded by step and round."""
        key = f"{self.args.seed}:{self.state.global_step}:{round_}".encode()
        seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % (2**63)
        generator = torch.Generator().manual_seed(seed)
        dataset = self.train_dataset
        picks = torch.randperm(len(dataset), generator=generator)[:count].tolist()
        return [dataset[i] for i in picks for _ in range(self.num_generations)]
