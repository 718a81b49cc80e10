"""Run by test_vllm.py in a process of its own (vLLM binds threads and starts an engine in it):

    python tests/e2e/vllm_sync_check.py MODEL_DIR

builds GRPO's colocated vLLM engine on the model as `r1 train zero --grpo.use_vllm true` does, changes
every weight of the trained model, syncs, and prints (JSON) the largest difference of vLLM's top-5
next-token log-probabilities from the changed model's and from the original model's, before and after.
"""

from __future__ import annotations

import copy
import json
import sys

import torch
from accelerate import Accelerator
from transformers import AutoModelForCausalLM, AutoTokenizer

from r1cli.train.vllm_colocate import R1VLLMGeneration, engine_settings

PROMPTS = [f"What is {a} + {b}?" for a, b in [(1, 2), (13, 48), (57, 9), (70, 26)]]


def main() -> None:
    from vllm import SamplingParams

    folder = sys.argv[1]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    original = copy.deepcopy(model)
    engine = engine_settings({"dtype": "float32"}, {"kv_cache_gib": 1}, seed=0)
    generation = R1VLLMGeneration(
        model, Accelerator(cpu=True), tokenizer, mode="colocate", max_model_length=256, engine=engine
    )
    params = SamplingParams(temperature=0, max_tokens=1, logprobs=5)

    def engine_logprobs() -> list[dict[int, float]]:
        outputs = generation.llm.generate(PROMPTS, params, use_tqdm=False)
        return [{t: lp.logprob for t, lp in out.outputs[0].logprobs[0].items()} for out in outputs]

    def distance(engine_side: list[dict[int, float]], reference: torch.nn.Module) -> float:
        worst = 0.0
        for prompt, top in zip(PROMPTS, engine_side, strict=True):
            ids = tokenizer(prompt, return_tensors="pt").input_ids
            with torch.no_grad():
                logprobs = torch.log_softmax(reference(ids).logits[0, -1].float(), -1)
            worst = max(worst, *(abs(value - logprobs[token].item()) for token, value in top.items()))
        return worst

    before = engine_logprobs()
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
    generation.sync_weights()
    after = engine_logprobs()
    print(json.dumps({
        "before_to_original": distance(before, original),
        "after_to_changed": distance(after, model),
        "after_to_original": distance(after, original),
        "dtype": str(generation.llm.llm_engine.model_config.dtype),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
