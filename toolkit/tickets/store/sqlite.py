"""The embedded ticket store: one SQLite file, bundles beside it by sha256.

Many processes may write at once (agents, scripts and people on one store),
so every read-modify-write is one ``BEGIN IMMEDIATE`` transaction: the write
lock is taken before the ticket is read, two writers can never both change
the version they read (no lost update). WAL mode lets readers go on while
one process writes; ``busy_timeout`` waits for the lock, and a retry with
jittered exponential backoff covers the cases SQLite reports at once
(``database is locked`` while another process switches the journal mode or
recovers). Only after ``PATIENCE_S`` does the user see an error, and it
says what to do.

Bundles are kept content-addressed, ``<store>-files/<sha256>.zip``. Attach
writes a temporary file, fsyncs it, and then, inside the write transaction,
renames it into place and inserts the row. A process killed at any point
leaves either a temporary file (removed at the next open once its process is
gone) or a file whose row was never committed (removed at the next open,
under the write lock, when no row names it); a row whose file disappeared
is marked missing and reported. The schema changes only through the named
migrations below, applied in order and recorded in ``schema_migrations``.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import TypeVar

from toolkit.errors import BadInput, SupportkitError
from toolkit.tickets.model import Attachment, Escalation, HistoryEntry, Note, Ticket, now_utc
from toolkit.tickets.store import files as storefs
from toolkit.tickets.store.blobs import BundleFiles
from toolkit.tickets.store.interface import (
    Changes,
    StoreBusy,
    TicketStore,
    default_path,
)
from toolkit.tickets.store.migrations import MIGRATIONS, _statements

T = TypeVar("T")
PATIENCE_S = 60.0
BUSY_TIMEOUT_MS = 5000


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text




_TICKET_SCALARS = [f.name for f in fields(Ticket)
                   if f.name not in ("notes", "attachments", "escalations", "history")]


_ESCALATION_FIELDS = {f.name for f in fields(Escalation)}


def _escalation_data(e: Escalation) -> str:
    return json.dumps({k: v for k, v in asdict(e).items() if k != "responded_at"},
                      ensure_ascii=False, default=str)


def _ticket_data(t: Ticket) -> str:
    return json.dumps({k: getattr(t, k) for k in _TICKET_SCALARS}, ensure_ascii=False,
                      default=str)


class SQLiteStore(BundleFiles, TicketStore):
    def __init__(self, path: Path, id_prefix: str = "SUP") -> None:
        path, identity = storefs.prepare(path)  # no links; created private (0600/0700)
        self.path = path
        self.files = path.with_name(path.stem + "-files")
        self.id_prefix = id_prefix
        self.repairs = []
        try:
            self.conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000,
                                        isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise SupportkitError(f"cannot open the ticket store {path}: {exc}",
                                  "check the path and its permissions, or choose another "
                                  "with --store") from None
        storefs.check_same(path, identity)
        self.conn.row_factory = sqlite3.Row
        self._retry(self._setup)
        self._retry(self._migrate)
        self.repairs = self.reconcile()

    # ------------------------------------------------------------- plumbing
    def _retry(self, fn: Callable[[], T]) -> T:
        deadline = time.monotonic() + PATIENCE_S
        delay = 0.005
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if not _busy(exc):
                    raise SupportkitError(f"the ticket store {self.path} failed: {exc}",
                                          "check the disk; 'sqlite3 FILE \"PRAGMA "
                                          "integrity_check\"' tells whether it is damaged") \
                        from None
                if time.monotonic() > deadline:
                    raise StoreBusy(f"the ticket store {self.path} stayed busy for "
                                    f"{PATIENCE_S:g}s", "another process holds it; "
                                    "try again in a moment") from None
                time.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 0.25)
            except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise storefs.damaged(self.path, exc) from None

    def _setup(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        storefs.check_schema(self.conn, self.path)  # before WAL mode rewrites its header
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # e.g. a network file system without shared memory
            self.repairs.append(f"journal mode is {mode}, not WAL: concurrent writers wait")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def _tx(self, kind: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        self.conn.execute(f"BEGIN {kind}")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._tx("IMMEDIATE") as conn:
                return fn(conn)
        return self._retry(attempt)

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._tx("DEFERRED") as conn:  # one snapshot for the ticket and its rows
                return fn(conn)
        return self._retry(attempt)

    def _migrate(self) -> None:
        with self._tx("IMMEDIATE") as conn:
            storefs.check_schema(conn, self.path)  # again, under the write lock
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                         "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
            known = {name for name, _ in MIGRATIONS}
            if done - known:
                raise SupportkitError(
                    f"the ticket store {self.path} was written by a newer supportkit "
                    f"(migration {sorted(done - known)[-1]})", "upgrade supportkit")
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                # executescript() would commit; run the statements one by one instead.
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, now_utc()))

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------- loading
    def _resolve_id(self, conn: sqlite3.Connection, ticket_id: str) -> str:
        raw = ticket_id.strip().upper()
        row = conn.execute("SELECT id FROM tickets WHERE id = ?", (raw,)).fetchone()
        if row is None and raw.isdigit():
            row = conn.execute("SELECT id FROM tickets WHERE seq = ?", (int(raw),)).fetchone()
        if row is None:
            raise BadInput(f"no ticket {ticket_id} in {self.path}",
                           "'supportkit ticket list' shows the tickets (or choose the store "
                           "with --store)")
        return str(row[0])

    def _load(self, conn: sqlite3.Connection, ticket_id: str, full: bool = True) -> Ticket:
        row = conn.execute("SELECT data, version FROM tickets WHERE id = ?",
                           (ticket_id,)).fetchone()
        try:
            data = json.loads(row["data"])
            data["version"] = row["version"]
            t = Ticket(**{k: v for k, v in data.items() if k in _TICKET_SCALARS})
        except (ValueError, TypeError, AttributeError):
            raise storefs.damaged(self.path, sqlite3.DatabaseError(
                f"ticket {ticket_id}'s record is not readable")) from None
        if not full:
            return t
        for r in conn.execute("SELECT at, by, kind, text FROM notes WHERE ticket_id = ? "
                              "ORDER BY id", (ticket_id,)):
            t.notes.append(Note(r["at"], r["by"], r["text"], r["kind"]))
        for r in conn.execute("SELECT data, missing FROM attachments WHERE ticket_id = ? "
                              "ORDER BY id", (ticket_id,)):
            t.attachments.append(Attachment(**{**json.loads(r["data"]),
                                               "missing": bool(r["missing"])}))
        for r in conn.execute("SELECT data, responded_at FROM escalations WHERE ticket_id = ? "
                              "ORDER BY id", (ticket_id,)):
            # Fields a newer supportkit may have added are left out, not fatal.
            data = {k: v for k, v in json.loads(r["data"]).items() if k in _ESCALATION_FIELDS}
            t.escalations.append(Escalation(**{**data, "responded_at": r["responded_at"]}))
        for r in conn.execute("SELECT at, by, action, detail FROM history WHERE ticket_id = ? "
                              "ORDER BY id", (ticket_id,)):
            t.history.append(HistoryEntry(r["at"], r["by"], r["action"],
                                          json.loads(r["detail"])))
        return t

    def get(self, ticket_id: str) -> Ticket:
        return self._read(lambda conn: self._load(conn, self._resolve_id(conn, ticket_id)))

    def exists(self, ticket_id: str) -> bool:
        try:
            self._read(lambda conn: self._resolve_id(conn, ticket_id))
        except BadInput:
            return False
        return True

    def find(self, status: tuple[str, ...] = (), category: str | None = None) -> list[Ticket]:
        def fetch(conn: sqlite3.Connection) -> list[Ticket]:
            sql, args = "SELECT id FROM tickets WHERE 1 = 1", []
            if status:
                sql += f" AND status IN ({', '.join('?' * len(status))})"
                args += list(status)
            if category:
                sql += " AND category = ?"
                args.append(category)
            ids = [r[0] for r in conn.execute(sql + " ORDER BY seq", args)]
            return [self._load(conn, i) for i in ids]
        return self._read(fetch)

    # ------------------------------------------------------------- writing
    def _save(self, conn: sqlite3.Connection, t: Ticket, ch: Changes, before: int) -> None:
        t.version = before + 1
        t.updated_at = ch.at
        cur = conn.execute(
            "UPDATE tickets SET status = ?, priority = ?, category = ?, assignee = ?, "
            "updated_at = ?, version = ?, data = ? WHERE id = ? AND version = ?",
            (t.status, t.priority, t.category, t.assignee, t.updated_at, t.version,
             _ticket_data(t), t.id, before))
        if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; refuse rather than lose
            raise SupportkitError(f"{t.id} changed while it was being written",
                                  "run the command again")
        self._children(conn, t, ch)

    def _children(self, conn: sqlite3.Connection, t: Ticket, ch: Changes) -> None:
        for n in ch.notes:
            conn.execute("INSERT INTO notes (ticket_id, at, by, kind, text) VALUES (?,?,?,?,?)",
                         (t.id, n.at, n.by, n.kind, n.text))
            t.notes.append(n)
        rows = conn.execute("SELECT id FROM escalations WHERE ticket_id = ? ORDER BY id",
                            (t.id,)).fetchall()
        for row, esc in zip(rows, t.escalations, strict=False):
            # responded_at as L2 answers; the data too, as a pause moves the due time
            conn.execute("UPDATE escalations SET responded_at = ?, data = ? WHERE id = ?",
                         (esc.responded_at, _escalation_data(esc), row[0]))
        for e in ch.escalations:
            conn.execute("INSERT INTO escalations (ticket_id, at, responded_at, data) "
                         "VALUES (?,?,?,?)", (t.id, e.at, e.responded_at, _escalation_data(e)))
            t.escalations.append(e)
        for h in ch.history:
            conn.execute("INSERT INTO history (ticket_id, at, by, action, detail) "
                         "VALUES (?,?,?,?,?)", (t.id, h.at, h.by, h.action,
                                                json.dumps(h.detail, ensure_ascii=False,
                                                           default=str)))
            t.history.append(h)

    def create(self, build: Callable[[str], Ticket], by: str) -> Ticket:
        def insert(conn: sqlite3.Connection) -> Ticket:
            conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'ticket'")
            seq = conn.execute("SELECT value FROM counters WHERE name = 'ticket'").fetchone()[0]
            t = build(f"{self.id_prefix}-{seq:06d}")
            ch = Changes(by, at=t.created_at)
            ch.log("created", status=t.status, priority=t.priority, category=t.category,
                   response_due=t.response_due, resolution_due=t.resolution_due)
            t.version = 1
            conn.execute("INSERT INTO tickets (id, seq, status, priority, category, assignee, "
                         "created_at, updated_at, version, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (t.id, seq, t.status, t.priority, t.category, t.assignee,
                          t.created_at, t.updated_at, t.version, _ticket_data(t)))
            self._children(conn, t, ch)
            return t
        return self._write(insert)

    def modify(self, ticket_id: str, change: Callable[[Ticket, Changes], None],
               by: str, at: str | None = None) -> Ticket:
        def rmw(conn: sqlite3.Connection) -> Ticket:
            t = self._load(conn, self._resolve_id(conn, ticket_id))
            ch = Changes(by, at=at) if at else Changes(by)
            change(t, ch)
            if ch.history or ch.notes or ch.escalations:
                self._save(conn, t, ch, t.version)
            return t
        return self._write(rmw)

    # ------------------------------------------------------------- attachments


def open_store(path: Path | None = None) -> SQLiteStore:
    from toolkit.tickets.config import load

    return SQLiteStore(path or default_path(), load().id_prefix)
