"""The data folder of the server (server.md) and its SQLite database.

::

    DIR/
      xlhfjz.db        tokens (hashes only), submissions, audit log (SQLite, WAL mode)
      街道汇总.xlsx     the office workbook (or .xlsm)
      台账/             the latest accepted submission of each community: CODE_名称.xlsx(m)
      报送记录/CODE/    every submission ever received: <id>_2020-12-20T10-31-05_<sha8>.xlsx
      .incoming/        uploads being received (emptied on every start)

Accepting a submission is atomic. Under one lock (and SQLite's ``BEGIN IMMEDIATE`` across
processes): the row is inserted, the complete, fsynced upload is hard-linked to its name in
``报送记录/`` (never overwriting), the transaction commits, and only then is the copy in ``台账/``
replaced (``os.replace`` of a complete file). A process killed before the commit leaves a file
in ``报送记录/`` that no row names, and :meth:`DataFolder.recover` (run on every start) deletes
it; killed after the commit, ``台账/`` is brought back in line with the newest row. So a file and
its row exist together or not at all, and no half-written file is ever under its final name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import secrets
import shutil
import sqlite3
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DB_NAME",
    "INCOMING_DIR",
    "LEDGER_DIR",
    "OFFICE_STEM",
    "RECORDS_DIR",
    "DataFolder",
    "Submission",
    "file_sha256",
    "safe_name",
]

DB_NAME = "xlhfjz.db"
LEDGER_DIR = "台账"
RECORDS_DIR = "报送记录"
INCOMING_DIR = ".incoming"
OFFICE_STEM = "街道汇总"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

log = logging.getLogger("xlhfjz.server")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('community', 'office')),
    community_code TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL,
    community_name TEXT,
    received_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    record_file TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    total REAL,
    result TEXT
);
CREATE INDEX IF NOT EXISTS submissions_by_code ON submissions (community_code, id);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    status INTEGER NOT NULL,
    client TEXT,
    detail TEXT
);
"""

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str | None, fallback: str = "") -> str:
    """A file-name part: without ``\\ / : * ? " < > |`` and control characters, at most 40."""
    cleaned = _UNSAFE.sub("", (text or "").strip()).strip(". ")
    return cleaned[:40] or fallback


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def now_text() -> str:
    """The local time with its offset, to the second: ``2020-12-20T10:31:05+08:00``."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # a directory cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Submission:
    """One stored submission, as the API shows it (server.md)."""

    id: int
    community_code: str
    community_name: str | None
    received_at: str
    sha256: str
    record_file: str
    errors: int
    warnings: int
    total: float | None
    result: str | None

    def to_json(self) -> dict[str, Any]:
        """``{"id", "community_code", "received_at", "sha256", "errors", "warnings", "total",
        "result"}``."""
        return {
            "id": self.id,
            "community_code": self.community_code,
            "received_at": self.received_at,
            "sha256": self.sha256,
            "errors": self.errors,
            "warnings": self.warnings,
            "total": self.total,
            "result": self.result,
        }


_COLUMNS = (
    "id, community_code, community_name, received_at, sha256, record_file, errors, warnings, "
    "total, result"
)


class DataFolder:
    """The server's folder: its layout, database, submissions and audit log."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.db_path = self.root / DB_NAME
        self.ledgers = self.root / LEDGER_DIR
        self.records = self.root / RECORDS_DIR
        self.incoming = self.root / INCOMING_DIR
        self._lock = threading.Lock()

    # ── layout ──────────────────────────────────────────────────────────────────────────────

    def exists(self) -> bool:
        """Whether the folder has been laid out (its database exists)."""
        return self.db_path.is_file()

    def layout(self) -> None:
        """Create the folders and the database (WAL mode) if missing; idempotent."""
        for folder in (self.root, self.ledgers, self.records, self.incoming):
            folder.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    @contextlib.contextmanager
    def connect(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A connection (autocommit off, 10 s busy timeout), closed afterwards. ``durable``:
        each commit is fsynced (``synchronous=FULL``); otherwise a commit survives a killed
        process but maybe not a power cut (``NORMAL``, for the audit log)."""
        con = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        try:
            con.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        finally:
            con.close()

    def lock(self) -> Any:
        """Hold the folder for one server process (``xlhfjz.lock``); None if another holds it.
        Keep the returned handle open as long as the server runs (the lock goes with it)."""
        fh = open(self.root / "xlhfjz.lock", "a+b")  # noqa: SIM115 - held for the process
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return None
        return fh

    def office_path(self) -> Path | None:
        """The office workbook in the folder (``街道汇总.xlsx`` or ``.xlsm``), or None."""
        for suffix in WORKBOOK_SUFFIXES:
            path = self.root / f"{OFFICE_STEM}{suffix}"
            if path.is_file():
                return path
        return None

    def import_office(self, source: str | os.PathLike[str]) -> Path:
        """Copy the office workbook in (atomically), replacing the one there."""
        src = Path(source)
        suffix = src.suffix.lower()
        if suffix not in WORKBOOK_SUFFIXES:
            raise ValueError(f"街道汇总工作簿应为 .xlsx 或 .xlsm 文件，现为“{src.name}”")
        target = self.root / f"{OFFICE_STEM}{suffix}"
        tmp = self.incoming_path(suffix)
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        for other in WORKBOOK_SUFFIXES:
            if other != suffix:
                (self.root / f"{OFFICE_STEM}{other}").unlink(missing_ok=True)
        return target

    def incoming_path(self, suffix: str = "") -> Path:
        """A fresh path in ``.incoming/`` (same file system as the final places)."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        return self.incoming / f"{secrets.token_hex(8)}{suffix}"

    # ── submissions ─────────────────────────────────────────────────────────────────────────

    def store_submission(
        self,
        upload: Path,
        *,
        community_code: str,
        community_name: str | None,
        suffix: str,
        source: str,
        errors: int,
        warnings: int,
        total: float | None,
        result: str | None,
    ) -> Submission:
        """Accept a complete, fsynced upload (a file in ``.incoming/``) as a submission.

        The row, the file in ``报送记录/`` and the copy in ``台账/`` (see the module doc).
        ``upload`` is consumed (removed) whatever happens.
        """
        sha = file_sha256(upload)
        try:
            with self._lock, self.connect() as con:
                con.execute("BEGIN IMMEDIATE")
                received = now_text()
                try:
                    cur = con.execute(
                        "INSERT INTO submissions (community_code, community_name, received_at,"
                        " sha256, record_file, source, errors, warnings, total, result)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (community_code, community_name, received, sha, f".pending-{sha}-"
                         f"{secrets.token_hex(4)}", source, errors, warnings, total, result),
                    )  # fmt: skip
                    sid = int(cur.lastrowid or 0)
                    stamp = received[:19].replace(":", "-")
                    rel = f"{community_code}/{sid}_{stamp}_{sha[:8]}{suffix}"
                    con.execute("UPDATE submissions SET record_file = ? WHERE id = ?", (rel, sid))
                    dest = self.records / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.link(upload, dest)  # never overwrites
                    _fsync_dir(dest.parent)
                except BaseException:
                    con.rollback()
                    raise
                try:
                    con.commit()
                except BaseException:
                    (self.records / rel).unlink(missing_ok=True)
                    raise
                try:
                    self._publish(community_code, community_name, dest)
                except PermissionError:  # the old copy is open in Excel (Windows locks it)
                    log.warning("台账/ copy of %s not replaced: file in use", community_code)
        finally:
            upload.unlink(missing_ok=True)
        return Submission(sid, community_code, community_name, received, sha, rel, errors,
                          warnings, total, result)  # fmt: skip

    def _publish(self, code: str, name: str | None, record: Path) -> None:
        """Make ``record`` the community's file in ``台账/`` (``CODE_名称.xlsx``), alone."""
        target = self.ledgers / f"{code}_{safe_name(name, '社区')}{record.suffix}"
        tmp = self.incoming_path(record.suffix)
        shutil.copyfile(record, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        for other in self._ledger_files(code):
            if other != target:
                other.unlink(missing_ok=True)
        _fsync_dir(self.ledgers)

    def _ledger_files(self, code: str) -> list[Path]:
        return [
            p
            for p in self.ledgers.glob(f"{code}_*")
            if p.suffix.lower() in WORKBOOK_SUFFIXES and p.is_file()
        ]

    def submissions(self, community_code: str | None = None) -> list[Submission]:
        """Stored submissions, newest first; one community's with ``community_code``."""
        sql = f"SELECT {_COLUMNS} FROM submissions"
        args: tuple[Any, ...] = ()
        if community_code is not None:
            sql += " WHERE community_code = ?"
            args = (community_code,)
        with self.connect() as con:
            rows = con.execute(sql + " ORDER BY id DESC", args).fetchall()
        return [Submission(*row) for row in rows]

    def recover(self) -> list[str]:
        """Undo what a killed process left: empty ``.incoming/``, delete files in ``报送记录/``
        that no row names, and make ``台账/`` hold each community's newest submission.
        Returns what was done (Chinese lines)."""
        done: list[str] = []
        for p in self.incoming.iterdir() if self.incoming.is_dir() else ():
            if p.is_file():
                p.unlink()
                done.append(f"删除未完成的上传：{p.name}")
        with self.connect() as con:
            known = {r[0] for r in con.execute("SELECT record_file FROM submissions")}
            latest = con.execute(
                "SELECT community_code, community_name, record_file, sha256 FROM submissions"
                " WHERE id IN (SELECT MAX(id) FROM submissions GROUP BY community_code)"
            ).fetchall()
        for p in sorted(self.records.rglob("*")) if self.records.is_dir() else ():
            if p.is_file() and p.relative_to(self.records).as_posix() not in known:
                p.unlink()
                done.append(f"删除未入库的报送文件：{p.relative_to(self.root).as_posix()}")
        for code, name, rel, sha in latest:
            record = self.records / rel
            if not record.is_file():
                continue
            current = self._ledger_files(code)
            target = self.ledgers / f"{code}_{safe_name(name, '社区')}{record.suffix}"
            if current == [target] and file_sha256(target) == sha:
                continue
            try:
                self._publish(code, name, record)
            except PermissionError:
                done.append(f"台账文件“{target.name}”正被占用，未能更新，请关闭后重启服务器")
                continue
            done.append(f"恢复台账文件：{target.name}")
        return done

    # ── audit ───────────────────────────────────────────────────────────────────────────────

    def audit(
        self, actor: str, action: str, status: int, client: str | None, detail: str | None = None
    ) -> None:
        """One audit row: who (role and community, never the token), what, result, from where."""
        with self.connect(durable=False) as con:
            con.execute(
                "INSERT INTO audit (at, actor, action, status, client, detail)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (now_text(), actor, action, status, client, detail),
            )

    def audit_rows(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest audit rows."""
        with self.connect() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
            return [dict(r) for r in rows]
