"""`r1 env`: what a user pastes into a bug report, and the same facts as JSON for tools."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from r1cli import __version__
from r1cli.cli.main import app
from r1cli.models.environment import PACKAGES, package_version

runner = CliRunner()


def test_env_prints_versions_devices_and_cache_as_plain_lines():
    result = runner.invoke(app, ["env"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"r1: {__version__}" in lines
    assert f"torch: {package_version('torch')}" in lines
    for name in ("transformers", "trl", "peft", "accelerate", "datasets", "bitsandbytes", "math-verify"):
        assert any(line.startswith(f"{name}: ") for line in lines), name
    for label in (
        "python: ",
        "torch build: ",
        "gpus: ",
        "cpu cores: ",
        "ram: ",
        "hf cache: ",
        "offline flags: ",
    ):
        assert any(line.startswith(label) for line in lines), label
    assert result.stderr == ""


def test_env_json_is_for_tools_and_names_absent_packages_null(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = runner.invoke(app, ["env", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert set(facts["packages"]) == {"r1", *PACKAGES}
    assert facts["packages"]["trl"] == package_version("trl")
    assert facts["offline"]["HF_HUB_OFFLINE"] == "1"
    assert facts["cpu"]["cores"] >= 1 and facts["ram_gib"]["total"] > 0
    assert isinstance(facts["gpus"], list)
    if package_version("vllm") is None:
        assert facts["packages"]["vllm"] is None
