"""Write a file all or nothing: into a temporary file next to it, renamed over it only once complete.

    atomic_write_text(Path("results.json"), json.dumps(results))
    with atomic_path(Path("plot.png")) as temporary:     # for writers that want a path (savefig, save_pretrained)
        figure.savefig(temporary, format="png")

A failure half-way (an exception, a full disk, a kill) leaves an existing file as it was and no
temporary file behind (a kill may leave a hidden `.NAME.*.tmp`, never a half-written NAME).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from r1cli.plumbing.errors import R1Error


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path next to `path`; renamed to `path` when the block ends without an error."""
    path = Path(path)
    directory = path.resolve().parent
    if not directory.is_dir():
        raise R1Error(f"cannot write {path}: {directory} is not a directory")
    if path.is_dir():
        raise R1Error(f"cannot write {path}: it is a directory")
    try:
        fd, name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise R1Error(f"cannot write {path}: {exc.strerror}") from None
    temporary = Path(name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        yield temporary
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise R1Error(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` all or nothing."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read a megabyte at a time (model files do not fit in memory twice)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
