"""r1: the DeepSeek-R1 training pipeline on small models, from one CLI and one recipe file.

Recipes, the tiny offline model, data preparation, rule-based rewards, R1-Zero GRPO, cold-start data,
SFT, rejection sampling, distillation, chat, eval, reports, and `r1 pipeline run` for all of them.
"""

__version__ = "0.1.0"

import logging as _logging

# bitsandbytes warns at import on CPUs with AVX512-BF16 that an optional hub kernel is missing;
# it falls back to its own kernel, so the warning is noise on every `import trl`.
_logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(_logging.ERROR)
