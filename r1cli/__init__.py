"""r1: the DeepSeek-R1 training pipeline (R1-Zero GRPO, cold start, SFT, rejection sampling,
distillation) on small models, from one CLI and one recipe file."""

__version__ = "0.1.0"
