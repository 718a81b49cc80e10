"""Writing a file all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from r1cli.plumbing.errors import R1Error
from r1cli.plumbing.files import atomic_path, atomic_write_text


def test_atomic_write_text_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("old")
    atomic_write_text(target, "new ü")
    assert target.read_text(encoding="utf-8") == "new ü"
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed half-way")
    assert target.read_text(encoding="utf-8") == "new ü"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary left behind
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # a normal file's mode, not mkstemp's 0o600


def test_unwritable_targets_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(R1Error, match="is not a directory"):
        atomic_write_text(tmp_path / "missing" / "x.txt", "x")
    with pytest.raises(R1Error, match="it is a directory"):
        atomic_write_text(tmp_path, "x")
