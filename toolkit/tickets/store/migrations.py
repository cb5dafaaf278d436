"""The store's schema, changed only through these named migrations, applied in order
and recorded in ``schema_migrations``."""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("0001_initial", """
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO counters (name, value) VALUES ('ticket', 0);
        CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE,
            status TEXT NOT NULL,
            priority TEXT NOT NULL,
            category TEXT,
            assignee TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX tickets_status ON tickets (status);
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id TEXT NOT NULL REFERENCES tickets (id),
            at TEXT NOT NULL, by TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL
        );
        CREATE INDEX notes_ticket ON notes (ticket_id);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id TEXT NOT NULL REFERENCES tickets (id),
            sha256 TEXT NOT NULL,
            added_at TEXT NOT NULL,
            missing INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL,
            UNIQUE (ticket_id, sha256)
        );
        CREATE INDEX attachments_sha ON attachments (sha256);
        CREATE TABLE escalations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id TEXT NOT NULL REFERENCES tickets (id),
            at TEXT NOT NULL,
            responded_at TEXT,
            data TEXT NOT NULL
        );
        CREATE TABLE history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id TEXT NOT NULL,
            at TEXT NOT NULL, by TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL
        );
        CREATE INDEX history_ticket ON history (ticket_id);
    """),
    ("0002_history_append_only", """
        CREATE TRIGGER history_no_update BEFORE UPDATE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
        CREATE TRIGGER history_no_delete BEFORE DELETE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
    """),
)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements; triggers keep their inner ``;``."""
    out, buf = [], ""
    for piece in sql.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out
