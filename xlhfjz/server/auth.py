"""Tokens and the per-token rate limit (server.md, "Who may do what").

A token is 256 random bits (``secrets.token_urlsafe(32)``) behind the prefix ``xlhfjz_``. Only its
SHA-256 is stored (a token has far too much entropy for a dictionary attack on the hash). Every
request hashes the token it brings and compares that hash with *every* active token's hash with
:func:`hmac.compare_digest`, without stopping at a match, so the time taken does not depend on
which token matched or on how much of one did. Issuing a community's token revokes its old one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from xlhfjz.server.store import DataFolder, now_text

__all__ = [
    "OFFICE",
    "Principal",
    "RateLimiter",
    "authenticate",
    "issue_token",
    "list_tokens",
    "revoke_token",
    "token_hash",
]

OFFICE = "office"
COMMUNITY = "community"
TOKEN_PREFIX = "xlhfjz_"


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a request is: the office, or one community."""

    token_id: int
    role: str
    community_code: str | None

    @property
    def is_office(self) -> bool:
        return self.role == OFFICE

    @property
    def label(self) -> str:
        """For the audit log: ``office`` or ``community:370303009001`` (never the token)."""
        return OFFICE if self.is_office else f"{COMMUNITY}:{self.community_code}"


def issue_token(folder: DataFolder, community_code: str | None) -> str:
    """A new token for a community (``None``: the office); the old one of that holder stops
    working. Returns the token, which is not stored anywhere."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    role = OFFICE if community_code is None else COMMUNITY
    with folder.connect() as con:
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL AND role = ?"
            " AND community_code IS ?",
            (now_text(), role, community_code),
        )
        con.execute(
            "INSERT INTO tokens (role, community_code, token_hash, created_at) VALUES (?, ?, ?, ?)",
            (role, community_code, token_hash(token), now_text()),
        )
        con.commit()
    return token


def revoke_token(folder: DataFolder, community_code: str | None) -> int:
    """Revoke the active token(s) of a community (``None``: the office); how many."""
    role = OFFICE if community_code is None else COMMUNITY
    with folder.connect() as con:
        cur = con.execute(
            "UPDATE tokens SET revoked_at = ? WHERE revoked_at IS NULL AND role = ?"
            " AND community_code IS ?",
            (now_text(), role, community_code),
        )
        con.commit()
        return cur.rowcount


def list_tokens(folder: DataFolder) -> list[dict[str, Any]]:
    """Who has an active token, and since when (never the tokens nor their hashes)."""
    with folder.connect() as con:
        rows = con.execute(
            "SELECT role, community_code, created_at FROM tokens WHERE revoked_at IS NULL"
            " ORDER BY role DESC, community_code"
        ).fetchall()
    return [{"role": r, "community_code": c, "created_at": t} for r, c, t in rows]


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header (None if absent or malformed)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(folder: DataFolder, header: str | None) -> Principal | None:
    """The holder of the header's token, or None (no token, unknown or revoked)."""
    token = bearer(header)
    if token is None or len(token) > 200:
        return None
    wanted = token_hash(token).encode()
    with folder.connect() as con:
        rows = con.execute(
            "SELECT id, role, community_code, token_hash FROM tokens WHERE revoked_at IS NULL"
        ).fetchall()
    found: Principal | None = None
    for tid, role, code, stored in rows:
        if hmac.compare_digest(wanted, stored.encode()) and found is None:
            found = Principal(tid, role, code)
    return found


class RateLimiter:
    """A token bucket per token: ``per_minute`` requests a minute on average, ``burst`` at once."""

    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(per_minute // 2, 1))
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: int) -> bool:
        """Take one request from ``key``'s bucket; False when it is empty."""
        now = time.monotonic()
        with self._lock:
            level, last = self._buckets.get(key, (self.burst, now))
            level = min(self.burst, level + (now - last) * self.rate)
            if level < 1.0:
                self._buckets[key] = (level, now)
                return False
            self._buckets[key] = (level - 1.0, now)
            return True
