"""One-time upload tokens: single use, expiring, bound to one ticket, stored hashed.

A token is 32 random bytes (``secrets.token_urlsafe``); only its sha256 is kept, in
``tokens.db`` (SQLite, 0600) in the inbox folder beside the ticket store
(``tickets-inbox/`` beside ``tickets.db``, 0700): whoever reads that file cannot upload.

A token goes through three states, each one guarded transaction (``BEGIN IMMEDIATE``),
so two uploads with the same token cannot both get past ``claim``:

* **issued** — ``issue`` records ticket, who issued it, when it expires, the size cap;
* **claimed** — an upload is streaming with it (``claim``; the claiming server's pid is
  kept). An upload that fails — cut off, too large, a bundle refused — gives the token
  back (``release``), so the user can try again with the same link until it expires. A
  claim whose server process is gone (SIGKILL) is given back when the next one starts;
* **used** — the bundle is attached (``spend``): every later use is refused.

Time is never read here directly: every operation takes ``now``, which the server takes
from its clock (tests give it one).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from toolkit.errors import BadInput

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    ticket TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    max_size INTEGER NOT NULL,
    claimed_at TEXT,
    claimed_pid INTEGER,
    used_at TEXT,
    used_sha256 TEXT
);
"""
MAX_TTL = timedelta(days=30)


class TokenRefused(Exception):
    """Why an upload may not go on, with the HTTP status the inbox answers."""

    def __init__(self, status: int, what: str, fix: str) -> None:
        super().__init__(what)
        self.status, self.what, self.fix = status, what, fix


@dataclass(frozen=True)
class Grant:
    """A claimed token: what the upload may do."""

    hash: str
    ticket: str
    issued_by: str
    issued_at: str
    expires_at: str
    max_size: int


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class TokenStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "tokens.db"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if not self.folder.exists():
            self.folder.mkdir(parents=True, mode=0o700)
        if self.folder.is_symlink() or not self.folder.is_dir():
            raise BadInput(f"{self.folder} is not a folder (a link is refused)",
                           "remove it; supportkit makes it again")
        if not self.path.exists():  # created by us, private, never through a link
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_NOFOLLOW", 0), 0o600))
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def issue(self, ticket: str, by: str, ttl: timedelta, max_size: int,
              now: datetime) -> tuple[str, str]:
        """A new token for ``ticket``: (the token, to be shown once; its expiry)."""
        if ttl <= timedelta(0) or ttl > MAX_TTL:
            raise BadInput(f"--expires must be between a minute and {MAX_TTL.days} days",
                           "e.g. --expires 24h")
        token = secrets.token_urlsafe(32)
        expires = iso(now + ttl)
        with self._tx() as conn:
            conn.execute("INSERT INTO tokens (hash, ticket, issued_at, issued_by, expires_at, "
                         "max_size) VALUES (?,?,?,?,?,?)",
                         (digest(token), ticket, iso(now), by, expires, max_size))
        return token, expires

    def claim(self, token: str, ticket: str, now: datetime) -> Grant:
        """Take the token for one upload to ``ticket``, or raise ``TokenRefused``."""
        key = digest(token)
        with self._tx() as conn:
            row = conn.execute("SELECT ticket, issued_by, issued_at, expires_at, max_size, "
                               "claimed_pid, used_at FROM tokens WHERE hash = ?",
                               (key,)).fetchone()
            if row is None:
                raise TokenRefused(401, "this upload link is not valid",
                                   "ask support for a new link")
            bound, by, issued, expires, cap, pid, used = row
            if bound != ticket:
                raise TokenRefused(403, "this upload link is for another ticket",
                                   "use the link support gave for this ticket")
            if used is not None:
                raise TokenRefused(410, "this upload link was used already",
                                   "each link takes one bundle: ask support for a new one")
            if datetime.fromisoformat(expires) <= now:
                raise TokenRefused(410, f"this upload link expired at {expires}",
                                   "ask support for a new link")
            if pid is not None and _pid_alive(int(pid)):
                raise TokenRefused(409, "another upload with this link is under way",
                                   "wait for it to finish")
            conn.execute("UPDATE tokens SET claimed_at = ?, claimed_pid = ? WHERE hash = ?",
                         (iso(now), os.getpid(), key))
        return Grant(key, bound, by, issued, expires, int(cap))

    def release(self, grant: Grant) -> None:
        """The upload failed: the link may be used again (until it expires)."""
        with self._tx() as conn:
            conn.execute("UPDATE tokens SET claimed_at = NULL, claimed_pid = NULL "
                         "WHERE hash = ? AND used_at IS NULL", (grant.hash,))

    def spend(self, grant: Grant, sha256: str, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE tokens SET used_at = ?, used_sha256 = ?, claimed_pid = NULL "
                         "WHERE hash = ?", (iso(now), sha256, grant.hash))

    def release_stale(self) -> int:
        """Give back the claims of server processes that are gone (killed mid-upload)."""
        if not self.path.exists():
            return 0
        with self._tx() as conn:
            rows = conn.execute("SELECT hash, claimed_pid FROM tokens WHERE claimed_pid IS "
                                "NOT NULL AND used_at IS NULL").fetchall()
            gone = [h for h, pid in rows if int(pid) == os.getpid() or not _pid_alive(int(pid))]
            for h in gone:
                conn.execute("UPDATE tokens SET claimed_at = NULL, claimed_pid = NULL "
                             "WHERE hash = ?", (h,))
        return len(gone)


def inbox_dir(store_file: Path) -> Path:
    """``<store>-inbox/`` beside the ticket store file (as ``<store>-files/`` is): the
    tokens and the uploads in progress."""
    return store_file.with_name(store_file.stem + "-inbox")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d`` (``s`` too)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    try:
        if value[-1:] in units:
            return timedelta(seconds=float(value[:-1]) * units[value[-1]])
        return timedelta(seconds=float(value) * 3600)
    except ValueError:
        raise BadInput(f"--expires {text!r} is not a duration", "e.g. 30m, 24h or 7d") from None


def parse_size(text: str) -> int:
    """``500M``, ``2G``, ``200MB``, ``1024k`` or bytes; decimal units, as disks count."""
    units = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
    value = text.strip().lower().removesuffix("b") if text.strip().lower() != "b" else "1"
    num, unit = value.rstrip("kmgt"), value[len(value.rstrip("kmgt")):]
    try:
        size = int(float(num) * units[unit])
    except (ValueError, KeyError):
        raise BadInput(f"{text!r} is not a size", "e.g. 500M or 2G") from None
    if size <= 0:
        raise BadInput(f"{text!r} is not a size above zero", "e.g. 500M or 2G")
    return size
