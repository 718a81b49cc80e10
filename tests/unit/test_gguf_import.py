"""`r1 model import`: every bad input is one line before anything loads (the real import is tested on
SmolLM2-135M-Instruct in tests/e2e/test_real_model.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from r1cli.cli.main import app

runner = CliRunner()


def _gguf(path: Path, architecture: str) -> Path:
    """A GGUF file with only its header and architecture (what transformers reads first)."""
    import gguf

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _refused(args: list[str]) -> str:
    result = runner.invoke(app, ["model", "import", *args])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("r1: error: "), result.stderr
    return result.stderr


def test_a_file_that_is_not_gguf_is_named(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a gguf")
    assert "is not a GGUF file (it starts with b'PK\\x03\\x04'" in _refused(
        [str(fake), "-o", str(tmp_path / "o")]
    )
    assert "file not found" in _refused([str(tmp_path / "missing.gguf"), "-o", str(tmp_path / "o")])
    assert "is a folder, not a GGUF file" in _refused([str(tmp_path), "-o", str(tmp_path / "o")])


def test_an_architecture_transformers_cannot_read_is_one_line_naming_those_it_can(tmp_path: Path) -> None:
    message = _refused([str(_gguf(tmp_path / "rwkv.gguf", "rwkv")), "-o", str(tmp_path / "out")])
    assert "architecture rwkv is not supported" in message and "llama" in message and "qwen2" in message
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_that_is_not_an_import_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    gguf_file = _gguf(tmp_path / "m.gguf", "llama")
    assert "is not empty and is not an earlier `r1 model import` output" in _refused(
        [str(gguf_file), "-o", str(tmp_path / "out")]
    )
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"
    assert "--dtype int8: not a choice" in _refused(
        [str(gguf_file), "-o", str(tmp_path / "x"), "--dtype", "int8"]
    )


def test_the_missing_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gguf_file = _gguf(tmp_path / "m.gguf", "llama")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gguf" else real(name, *a)
    )
    message = _refused([str(gguf_file), "-o", str(tmp_path / "out")])
    assert "needs the 'gguf' package" in message and "pip install 'r1cli[gguf]'" in message
