"""What a ticket store is: the interface every implementation (SQLite today, a team
store later) gives the workflow, and the change record a modification fills."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from toolkit.errors import SupportkitError
from toolkit.tickets.model import Attachment, Escalation, HistoryEntry, Note, Ticket, now_utc


class StoreBusy(SupportkitError):
    pass


def default_path() -> Path:
    """``--store`` / ``SUPPORTKIT_STORE``, else ``$SUPPORTKIT_HOME/tickets.db``."""
    from toolkit import paths

    env = os.environ.get("SUPPORTKIT_STORE")
    return Path(env).expanduser() if env else paths.home() / "tickets.db"


@dataclass
class Changes:
    """What one read-modify-write adds besides the ticket's own fields."""

    by: str
    at: str = field(default_factory=now_utc)
    history: list[HistoryEntry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)

    def log(self, action: str, **detail: Any) -> None:
        self.history.append(HistoryEntry(self.at, self.by, action, detail))


@dataclass(frozen=True)
class AttachRequest:
    ticket_id: str
    bundle: Path
    by: str
    source: str = "attach"  # attach | run
    # Checks the copied file before it is committed (bundle verification);
    # returns the attachment's metadata or raises.
    inspect: Callable[[Path], dict[str, Any]] | None = None
    # Runs in the same transaction as the insert (e.g. record the run's outcome).
    then: Callable[[Ticket, Changes, Attachment], None] | None = None


class TicketStore(ABC):
    """Every backend keeps the same promises: ids are unique, a change is all
    or nothing, history is append-only, concurrent writers lose nothing."""

    path: Path
    repairs: list[str]

    @abstractmethod
    def create(self, build: Callable[[str], Ticket], by: str) -> Ticket: ...

    @abstractmethod
    def get(self, ticket_id: str) -> Ticket: ...

    @abstractmethod
    def exists(self, ticket_id: str) -> bool: ...

    @abstractmethod
    def find(self, status: tuple[str, ...] = (), category: str | None = None) -> list[Ticket]:
        ...

    @abstractmethod
    def modify(self, ticket_id: str, change: Callable[[Ticket, Changes], None],
               by: str, at: str | None = None) -> Ticket:
        """One read-modify-write; ``at`` is when the change happened (default: now)."""

    @abstractmethod
    def attach(self, req: AttachRequest) -> tuple[Ticket, Attachment, bool]: ...

    @abstractmethod
    def file_of(self, att: Attachment) -> Path: ...

    @abstractmethod
    def reconcile(self) -> list[str]: ...

    @abstractmethod
    def close(self) -> None: ...


def utc_key(iso: str | None) -> datetime | None:
    """An ISO time (any offset) as an aware UTC datetime, for comparisons."""
    if not iso:
        return None
    return datetime.fromisoformat(iso).astimezone(timezone.utc)
