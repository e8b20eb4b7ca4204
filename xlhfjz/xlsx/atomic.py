"""Atomic replacement of an output file: write a hidden temporary file next to it, then move it
into place, so an interrupted write never leaves a half-written file (office.md)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(path: Path, tag: str = "tmp") -> Path:
    """A hidden, unique file name in ``path``'s folder (same file system, so a rename is atomic)."""
    return path.with_name(f".{path.stem}.{secrets.token_hex(6)}.{tag}{path.suffix}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to: moved over ``path`` with
    :func:`os.replace` when the block ends without error, removed in any case otherwise."""
    tmp = temporary_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
