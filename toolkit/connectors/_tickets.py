"""The one place the connectors touch the ticket package (its API may still move).

* ``case_of`` / ``files_of``: what is pushed, from a ``Ticket``.
* ``link_of``: what earlier pushes left on a connector's side, read back from
  the ticket's history.
* ``record_*``: write what happened as history entries, through
  ``TicketStore.modify``.

Why the history and not a column: the store's schema changes only through
its own named migrations, which belong to the ticket package. The history is
append-only and travels with the ticket (``ticket show --json``, exports),
which is what a link to a remote issue should do; the latest
``connector_linked`` entry for a connector names its remote issue, and the
``connector_pushed`` entries after it the bundles already uploaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from toolkit.connectors.base import Case, FileToSend, Link, PushResult, RemoteStatus
from toolkit.tickets.model import Ticket
from toolkit.tickets.store import Changes, TicketStore

LINKED = "connector_linked"
PUSHED = "connector_pushed"
PULLED = "connector_pulled"

_ENV = (("os", "OS"), ("os_version", "OS version"), ("kernel", "Kernel"), ("hostname", "Host"),
        ("machine", "Architecture"), ("cpu", "CPU"), ("user", "User"))


def _when(iso: str | None) -> str:
    return iso.replace("T", " ") if iso else "—"


def _description(t: Ticket, marker: str) -> str:
    """The stable facts of the case: a re-push changes it only when they change
    (no clocks, no history), so the tracker records no spurious edits."""
    cat = " / ".join(x for x in (t.category, t.subcategory) if x) or "unclassified"
    who = "".join([f" by {t.reporter}" if t.reporter else "",
                   f" via {t.channel}" if t.channel else ""])
    lines = [f"{cat}, priority {t.priority} (impact {t.impact}, urgency {t.urgency})",
             f"Reported {_when(t.reported_at)}{who}"]
    if t.occurred_at:
        lines.append(f"Occurred {_when(t.occurred_at)}")
    lines += ["", t.description.strip() or "(no description given)"]
    if t.error_message.strip():
        lines += ["", "Error message:", t.error_message.strip()]
    env = [f"- {label}: {t.environment[k]}" for k, label in _ENV
           if t.environment.get(k) not in (None, "")]
    if env:
        lines += ["", "Environment:", *env]
    lines += ["", "The evidence bundles are attached; check one with "
              "`supportkit bundle verify BUNDLE` (sha256 in the escalation note).",
              f"{marker}."]
    return "\n".join(lines)


def _summary(t: Ticket) -> str:
    """The escalation summary L2 acts on (docs/support-process.md step 4): target, reason, what
    was tried, findings, resources, evidence. Empty when the case was not escalated."""
    if not t.escalations:
        return ""
    e = t.escalations[-1]
    lines = [f"Escalated to {e.to} by {e.by} at {_when(e.at)}; response due "
             f"{_when(e.response_due)}.", f"Reason: {e.reason or '—'}",
             f"Resources needed: {', '.join(e.resources) or 'none named'}", "",
             "Already tried:"]
    tried = t.tried()
    lines += [f"- {x['what']} — {x['result']} ({x['source']})" for x in tried] or ["- nothing "
                                                                                  "recorded"]
    not_done = t.not_done()
    if not_done:
        lines += ["", "Not done (unattended run; nobody took these steps):"]
        lines += [f"- {x['what']} ({x['source']})" for x in not_done]
    lines += ["", "Findings:"]
    findings = t.findings()
    lines += [f"- [{f.get('severity', '')}] {f.get('finding', '')}"
              + (f" — {f['recommend']}" if f.get("recommend") else "")
              + (f" ({f['kb']})" if f.get("kb") else "") for f in findings] or ["- none"]
    kept = [a for a in t.attachments if not a.missing]
    if kept:
        lines += ["", "Evidence (attached):"]
        lines += [f"- {a.name} — sha256 {a.sha256}, {a.size:,} bytes"
                  + (f", playbook {a.playbook}" if a.playbook else "") for a in kept]
    return "\n".join(lines)


def case_of(t: Ticket, store: TicketStore) -> Case:
    fields = {"id": t.id, "title": t.title, "category": t.category or "",
              "subcategory": t.subcategory or "", "priority": t.priority, "status": t.status,
              "level": t.level, "reporter": t.reporter, "channel": t.channel,
              "assignee": t.assignee or "", "created_at": t.created_at}
    # The store's location and the creation time tell two stores' SUP-000001 apart.
    ref = hashlib.sha256(f"{Path(store.path).resolve()}|{t.id}|{t.created_at}".encode())
    case = Case(id=t.id, title=t.title, description="", priority=t.priority,
                status=t.status, summary=_summary(t), fields=fields, ref=ref.hexdigest()[:12])
    return replace(case, description=_description(t, case.marker))


def files_of(store: TicketStore, t: Ticket) -> tuple[list[FileToSend], list[str]]:
    """The bundles to send, and a line for each one that is missing from the store."""
    files, missing = [], []
    for a in t.attachments:
        path = store.file_of(a)
        if a.missing or not path.is_file():
            missing.append(f"{a.name} ({a.sha256[:12]}…) is missing from the ticket store")
            continue
        files.append(FileToSend(path=path, name=a.name, sha256=a.sha256, size=a.size))
    return files, missing


def link_of(t: Ticket, connector: str) -> Link:
    link = Link()
    for h in t.history:
        d = h.detail
        if d.get("connector") != connector:
            continue
        if h.action == LINKED:  # a (new) remote issue: what was sent to another one is not there
            link = Link(remote_id=str(d.get("remote_id")), url=d.get("url"))
        elif h.action == PUSHED:
            link.remote_id, link.url = str(d.get("remote_id")), d.get("url")
            link.uploaded |= set(d.get("uploaded") or [])
            link.note_digest = d.get("note_digest") or link.note_digest
            link.status_sent = d.get("status_sent") or link.status_sent
        elif h.action == PULLED:
            link.remote_status = d.get("remote_status")
    return link


def linked_connectors(t: Ticket) -> list[str]:
    names: list[str] = []
    for h in t.history:
        name = h.detail.get("connector")
        if h.action == LINKED and name and name not in names:
            names.append(str(name))
    return names


def _log(store: TicketStore, ticket_id: str, by: str, action: str, **detail: Any) -> Ticket:
    def change(t: Ticket, ch: Changes) -> None:
        ch.log(action, **detail)
    return store.modify(ticket_id, change, by)


def record_link(store: TicketStore, ticket_id: str, by: str, connector: str,
                remote: tuple[str, str]) -> None:
    _log(store, ticket_id, by, LINKED, connector=connector, remote_id=remote[0], url=remote[1])


def record_push(store: TicketStore, ticket_id: str, by: str, connector: str,
                result: PushResult, state: tuple[str | None, str]) -> Ticket:
    """``state`` is (digest of the summary now on the remote side, our status sent)."""
    return _log(store, ticket_id, by, PUSHED, connector=connector, remote_id=result.remote_id,
                url=result.url, uploaded=[f.sha256 for f in result.uploaded],
                note_digest=state[0], status_sent=state[1])


def record_pull(store: TicketStore, ticket_id: str, by: str, connector: str,
                status: RemoteStatus) -> Ticket:
    return _log(store, ticket_id, by, PULLED, connector=connector, remote_id=status.remote_id,
                remote_status=status.name, mapped=status.mapped)
