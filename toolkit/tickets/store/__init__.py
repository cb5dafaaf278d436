"""The ticket store: one interface, an embedded SQLite implementation.

``interface`` (``TicketStore``, ``Changes``, ``AttachRequest``), ``sqlite`` (the
embedded store, its transactions, retries and bundle files), ``migrations`` (the
schema, by named steps), ``files`` (the store's files on disk: private modes, no
symbolic links, damage told in one line).
"""

from __future__ import annotations

from toolkit.tickets.store.interface import (
    AttachRequest,
    Changes,
    StoreBusy,
    TicketStore,
    default_path,
    utc_key,
)
from toolkit.tickets.store.migrations import MIGRATIONS
from toolkit.tickets.store.sqlite import SQLiteStore, open_store

__all__ = ["MIGRATIONS", "AttachRequest", "Changes", "SQLiteStore", "StoreBusy", "TicketStore",
           "default_path", "open_store", "utc_key"]
