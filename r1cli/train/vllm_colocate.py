"""GRPO's colocated vLLM engine (`grpo.use_vllm = true`, `grpo.vllm_mode = "colocate"`), built with the
recipe's dtype, seed and (on a CPU) KV-cache size, and on a CPU synced through vLLM's own reload route.

trl builds the engine with vLLM's default dtype ("auto": bfloat16 on a CPU, slower than float32 where
the CPU has no native bf16 matmuls) and copies the trained weights in after each optimizer step with
`model.load_weights`. vLLM's CPU build repacks each linear layer's weights for its GEMM kernel at load
and drops the original parameters, so that copy fails (`'Parameter' object has no attribute
'weight_loader'`). vLLM's supported in-place route, `reload_weights` with checkpoint-format tensors,
restores the original parameters, loads, and repacks each layer again; a tied `lm_head` keeps its own
packed copy of the embeddings on a CPU and is repacked after. On a GPU trl's sync is kept as it is.

    with colocated_engine(settings):   # around GRPOTrainer(...): trl builds R1VLLMGeneration
        trainer = GRPOTrainer(...)
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any
from unittest import mock

import trl.generation.vllm_generation as trl_vllm
import trl.trainer.grpo_trainer as trl_grpo


def engine_settings(model_cfg: dict[str, Any], gen: dict[str, Any], seed: int) -> dict[str, Any]:
    """The LLM(...) arguments r1 sets on top of trl's: those of every r1 vLLM engine (dtype, KV cache, eager
    on a CPU), and the GRPO seed (added to trl's per-group seed). On a GPU the KV cache stays trl's
    (grpo.vllm_gpu_memory_utilization); on a CPU that fraction would be of the machine's RAM."""
    import torch

    from r1cli.generation.backends import vllm_engine_arguments

    on_cpu = not torch.cuda.is_available()
    settings = {**vllm_engine_arguments(model_cfg, gen, on_cpu), "seed": seed}
    if not on_cpu:
        del settings["kv_cache_memory_bytes"]
    return settings


class R1VLLMGeneration(trl_vllm.VLLMGeneration):
    """trl's vLLM generation with r1's engine settings and, on a CPU, the reload route for weight sync."""

    def __init__(self, *args: Any, engine: dict[str, Any], **kwargs: Any):
        self.engine = engine
        super().__init__(*args, **kwargs)

    def _init_vllm(self) -> None:
        build = trl_vllm.LLM

        def llm(*args: Any, **kwargs: Any) -> Any:
            # trl seeds each tensor-parallel group apart (its process index); r1's seed shifts them all.
            seed = int(self.engine["seed"]) + int(kwargs.get("seed") or 0)
            return build(*args, **{**kwargs, **self.engine, "seed": seed})

        with mock.patch.object(trl_vllm, "LLM", llm):
            super()._init_vllm()

    def sync_weights(self) -> None:
        import torch

        if self.mode != "colocate" or torch.cuda.is_available():
            return super().sync_weights()
        self.llm.collective_rpc(
            "reload_weights",
            kwargs={"weights_iterator": self._iter_named_params(), "is_checkpoint_format": True},
        )
        self.llm.collective_rpc(_repack_tied_lm_head)
        self.llm.reset_prefix_cache()


def _repack_tied_lm_head(worker: Any) -> None:
    """Runs in vLLM's worker: pack a tied lm_head again from the reloaded embeddings it shares."""
    from vllm.model_executor.layers.utils import dispatch_cpu_unquantized_gemm

    head = getattr(worker.model_runner.model, "lm_head", None)
    if head is not None and hasattr(head, "cpu_linear") and head.weight.numel() > 0:
        dispatch_cpu_unquantized_gemm(head, remove_weight=False)


def colocated_engine(engine: dict[str, Any]) -> contextlib.AbstractContextManager[None]:
    """While open, trl's GRPOTrainer builds its vLLM generation as R1VLLMGeneration with these settings."""
    return mock.patch.object(trl_grpo, "VLLMGeneration", functools.partial(R1VLLMGeneration, engine=engine))
