"""Atomic replacement of an output file: write a hidden temporary file next to it, then move it
into place, so an interrupted write never leaves a half-written file (office.md).

A temporary name carries the writer's process id (``.<stem>.<pid>-<token>.tmp.xlsx``), so that
the next write to the same output removes what a killed writer left behind — our own naming
only, and only once that process is gone.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TEMP = re.compile(r"\.(?:(\d+)-[0-9a-f]{8}|[0-9a-f]{12})\.(?:tmp2?|raw)\.xls[xm]")
_OLD_TEMP_SECONDS = 24 * 3600


def temp_token() -> str:
    """The middle of a temporary name: this process's id (so a later run can tell whether the
    writer is gone) and a random part."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def temporary_sibling(path: Path, tag: str = "tmp") -> Path:
    """A hidden, unique file name in ``path``'s folder (same file system, so a rename is atomic)."""
    return path.with_name(f".{path.stem}.{temp_token()}.{tag}{path.suffix}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to: moved over ``path`` with
    :func:`os.replace` when the block ends without error, removed in any case otherwise.
    Stale temporary files of ``path`` (:func:`remove_stale_temps`) are removed first."""
    remove_stale_temps(path)
    tmp = temporary_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` left by a writer that was killed: our own naming
    only, and only when that process is gone (on Windows, and for names without a process id
    from earlier versions: when over a day old). Returns what was removed."""
    removed: list[Path] = []
    prefix = f".{path.stem}"
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix):
            continue
        m = _TEMP.fullmatch(name[len(prefix) :])
        if m is None:
            continue
        try:
            # os.kill(pid, 0) would send Ctrl+C on Windows: there, age alone decides
            if m.group(1) is not None and sys.platform != "win32":
                if _alive(int(m.group(1))):
                    continue
            elif time.time() - entry.stat().st_mtime < _OLD_TEMP_SECONDS:
                continue
            entry.unlink()
            removed.append(entry)
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True
