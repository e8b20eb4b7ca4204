"""The hidden temporary files our writers rename into place (``.<stem>.<pid>-<token>.tmp.xlsx``),
and their removal when a killed writer left them behind."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

_TEMP = re.compile(r"\.(?:(\d+)-[0-9a-f]{8}|[0-9a-f]{12})\.tmp2?\.xls[xm]")
_OLD_TEMP_SECONDS = 24 * 3600


def temp_token() -> str:
    """The middle of a temporary name: this process's id (so a later run can tell whether the
    writer is gone) and a random part."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` left by a writer that was killed: our own naming
    only, and only when that process is gone (names without a process id, from earlier
    versions, when over a day old). Returns what was removed."""
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
            if m.group(1) is not None:
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
