"""Estimate the memory a recipe's training run needs, from the model's config alone.

The model is instantiated on the `meta` device (no weights, no memory) to count parameters and
LoRA-targeted linear layers exactly; the rest is arithmetic stated in each row's note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from r1cli.plumbing.errors import R1Error
from r1cli.recipe.provenance import Recipe

GIB = 1024**3
BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
ASSUMED_PROMPT_TOKENS = 256


@dataclass
class MemoryEstimate:
    """Rows of (component, bytes, note), the total, and what the device has."""

    model: str
    parameters: int
    trainable: int
    rows: list[tuple[str, float, str]] = field(default_factory=list)
    device: str = "cpu"
    device_bytes: float = 0.0

    @property
    def total(self) -> float:
        return sum(size for _, size, _ in self.rows)

    @property
    def fits(self) -> bool:
        return self.total <= self.device_bytes


def _meta_model(recipe: Recipe):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from r1cli.models.loading import resolve_model_path

    path = resolve_model_path(recipe.section("model"), recipe.section("tiny"))
    trust = bool(recipe.get("model.trust_remote_code"))
    try:
        config = AutoConfig.from_pretrained(
            path, revision=recipe.get("model.revision"), trust_remote_code=trust
        )
    except (OSError, ValueError) as exc:
        raise R1Error(
            f"cannot read the config of '{path}' for a memory estimate: {exc}".splitlines()[0]
        ) from None
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, trust_remote_code=trust)
    return config, model


def _lora_params(model, recipe: Recipe) -> int:
    import torch

    targets = recipe.get("lora.target_modules")
    rank = recipe.get("lora.r")
    output_layer = model.get_output_embeddings()
    total = 0
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        if targets == "all-linear":
            if module is output_layer:
                continue
        elif name.rsplit(".", 1)[-1] not in targets:
            continue
        total += rank * (module.in_features + module.out_features)
    return total


def _device_memory() -> tuple[str, float]:
    import psutil
    import torch

    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return props.name, float(props.total_memory)
    return "cpu (RAM)", float(psutil.virtual_memory().total)


def estimate_memory(recipe: Recipe, stage: str = "grpo") -> MemoryEstimate:
    """Memory for one training process of `stage` (grpo or sft) under this recipe."""
    config, model = _meta_model(recipe)
    params = sum(p.numel() for p in model.parameters())
    embeddings = model.get_input_embeddings().weight.numel()
    output = model.get_output_embeddings()
    if output is not None and output.weight is not model.get_input_embeddings().weight:
        embeddings += output.weight.numel()
    dtype = recipe.get("model.dtype")
    width = BYTES.get(dtype, 4)
    lora = bool(recipe.get("lora.enabled"))
    trainable = _lora_params(model, recipe) if lora else params

    rows: list[tuple[str, float, str]] = []
    if recipe.get("quantization.load_in_4bit") or recipe.get("quantization.load_in_8bit"):
        bits = 4 if recipe.get("quantization.load_in_4bit") else 8
        quantized = (params - embeddings) * bits / 8 * 1.03  # + block scales
        rows.append(
            ("weights", quantized + embeddings * width, f"{bits}-bit linear layers, embeddings {dtype}")
        )
    else:
        rows.append(("weights", params * width, f"{params / 1e6:,.1f}M params in {dtype}"))
    grad_width = 4 if lora else width
    rows.append(("gradients", trainable * grad_width, f"{trainable / 1e6:,.2f}M trainable params"))
    rows.append(("optimizer", trainable * 8, "AdamW: two fp32 states per trainable param"))
    section = recipe.section(stage)
    if stage == "grpo" and section.get("beta", 0) and not lora:
        rows.append(("reference model", params * width, "beta > 0 keeps a frozen copy"))

    layers = getattr(config, "num_hidden_layers", 0)
    heads = getattr(config, "num_attention_heads", 1)
    kv_heads = getattr(config, "num_key_value_heads", heads) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    vocab = config.vocab_size
    prompt = recipe.get("data.max_prompt_tokens") or ASSUMED_PROMPT_TOKENS
    per_device = section.get("per_device_train_batch_size", 1)
    if stage == "grpo":
        completion = section.get("max_completion_length") or 256
        sequence = prompt + completion
        generated = section.get("generation_batch_size") or per_device * (
            section.get("steps_per_generation") or section.get("gradient_accumulation_steps") or 1
        )
        kv = 2 * layers * kv_heads * head_dim * width * generated * sequence
        rows.append(("generation KV cache", kv, f"{generated} sequences x {sequence} tokens"))
    else:
        sequence = section.get("max_length") or 1024
    hidden = config.hidden_size
    checkpointing = section.get("activation_checkpointing", section.get("gradient_checkpointing"))
    per_layer = 2 if checkpointing else 16  # rough bytes-per-hidden-unit kept for backward
    activations = per_device * sequence * hidden * layers * per_layer * width / 2
    rows.append(("activations", activations, "rough; gradient checkpointing cuts it ~8x"))
    rows.append(("logits", per_device * sequence * vocab * 4 * 2, "fp32 logits and their gradient"))
    device, available = _device_memory()
    return MemoryEstimate(
        model=str(recipe.get("model.name_or_path")),
        parameters=params,
        trainable=trainable,
        rows=rows,
        device=device,
        device_bytes=available,
    )
