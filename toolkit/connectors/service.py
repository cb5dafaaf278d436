"""Push a ticket to a configured connector, pull its status back.

Idempotence lives here, not in each connector: the ``Link`` read from the
ticket tells the connector which remote issue is this ticket's and which
bundles are already there; what the push did is written back to the ticket
before the command returns. The remote issue is recorded the moment it
exists (``Events.created``), so a push that dies during a long upload is
finished by the next one instead of being repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolkit.connectors import _tickets, config
from toolkit.connectors.base import (
    Connector,
    ConnectorConfigError,
    Events,
    Link,
    PushResult,
    RemoteStatus,
    Settings,
    digest,
)
from toolkit.tickets.store import TicketStore


def open_connector(name: str, progress: Callable[[str], None]) -> tuple[Settings, Connector]:
    """The configured connector NAME, with its secret, ready to use."""
    from toolkit.connectors.registry import load_connectors

    settings = config.get(name)
    spec = load_connectors().connectors[settings.type]
    secret = config.secret(settings, spec)
    return settings, spec.connector_class()(settings, secret, Events(progress=progress))


@dataclass
class PushOutcome:
    ticket: str
    connector: str
    result: PushResult
    missing: list[str] = field(default_factory=list)
    proxy: dict[str, Any] | None = None  # {url, source, used, note}; the URL without login

    def as_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "connector": self.connector, **self.result.as_json(),
                "missing": self.missing, "proxy": self.proxy}


def push(store: TicketStore, ticket_id: str, name: str, by: str, new: bool = False,
         progress: Callable[[str], None] = lambda line: None) -> PushOutcome:
    _, conn = open_connector(name, progress)  # a bad configuration is refused first
    t = store.get(ticket_id)
    case = _tickets.case_of(t, store)
    files, missing = _tickets.files_of(store, t)
    link = Link() if new else _tickets.link_of(t, name)

    def created(remote_id: str, url: str) -> None:
        if remote_id != link.remote_id:
            _tickets.record_link(store, t.id, by, name, (remote_id, url))
    conn.events.created = created
    result = conn.push(case, files, link)
    note = digest(case.summary) if case.summary else link.note_digest
    _tickets.record_push(store, t.id, by, name, result, (note, case.status))
    return PushOutcome(t.id, name, result, missing, conn.proxy())


@dataclass
class PullOutcome:
    ticket: str
    connector: str
    status: RemoteStatus
    local: str  # our status now
    in_sync: bool  # their status is what ours maps to (or maps back to ours)
    changed: bool  # their status differs from the last pull

    def as_json(self) -> dict[str, Any]:
        s = self.status
        return {"ticket": self.ticket, "connector": self.connector, "remote_id": s.remote_id,
                "url": s.url, "remote_status": s.name, "remote_closed": s.closed,
                "mapped": s.mapped, "local": self.local, "in_sync": self.in_sync,
                "changed": self.changed}


def pull(store: TicketStore, ticket_id: str, names: list[str], by: str,
         progress: Callable[[str], None] = lambda line: None) -> list[PullOutcome]:
    """The remote status from each connector this ticket was pushed to (or ``names``)."""
    t = store.get(ticket_id)
    linked = _tickets.linked_connectors(t)
    wanted = names or linked
    if not wanted:
        raise ConnectorConfigError(f"{t.id} was never pushed to a tracker",
                                   f"push it first: supportkit ticket push {t.id} --to NAME")
    out = []
    for name in wanted:
        link = _tickets.link_of(t, name)
        if not link.remote_id:
            raise ConnectorConfigError(f"{t.id} was never pushed to '{name}'",
                                       "linked: " + (", ".join(linked) or "none"))
        settings, conn = open_connector(name, progress)
        status = conn.pull(link.remote_id)
        forward = settings.status_map.get(t.status, "")
        in_sync = status.mapped == t.status or forward.casefold() == status.name.casefold()
        changed = status.name != link.remote_status
        if changed:
            t = _tickets.record_pull(store, t.id, by, name, status)
        out.append(PullOutcome(t.id, name, status, t.status, in_sync, changed))
    return out
