"""Ticket records and the support workflow (docs/support-process.md, docs/architecture.md).

``model`` (the record), ``store`` (interface + SQLite), ``config`` (the
``tickets:`` settings), ``sla`` (priority table, business calendar),
``clocks`` (each ticket's clocks and their pauses), ``classify`` (the
classification dictionary), ``lifecycle`` (statuses and allowed moves),
``environment`` (the machine the evidence came from), ``workflow`` (the
operations, by stage of the case), ``export`` (the escalation package),
``kbdraft`` (knowledge-base drafts). Imported lazily by the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def ticket_header(ticket_id: str) -> dict[str, Any] | None:
    """What the report's ticket header shows (id, title, priority, status, level, SLA due
    times), read-only; None when there is no store or no such ticket."""
    from datetime import datetime, timezone

    from toolkit.errors import SupportkitError
    from toolkit.tickets.classify import category_title
    from toolkit.tickets.clocks import sla_state
    from toolkit.tickets.store import default_path, open_store

    path = default_path()
    db = path / "tickets.db" if path.is_dir() else path
    if not db.is_file():
        return None
    try:
        store = open_store(path)
        try:
            if not store.exists(ticket_id):
                return None
            t = store.get(ticket_id)
        finally:
            store.close()
    except SupportkitError:
        return None
    # The case as reported goes into the bundle with it (redacted like everything
    # else): L2 reading the report sees what the problem was, not only what was found.
    return {"id": t.id, "title": t.title, "priority": t.priority, "status": t.status,
            "level": getattr(t, "level", None), "category": t.category,
            "description": t.description, "error_message": t.error_message,
            "occurred_at": t.occurred_at, "reported_at": t.reported_at,
            "category_title": {lang: title for lang in ("en", "zh")
                               if t.category and (title := category_title(t.category, lang))},
            "sla": sla_state(t, datetime.now(timezone.utc))}


def after_run(ticket_id: str, bundle_path: Path, run_result: Any,
              forced: bool = False) -> tuple[bool, str]:
    """What ``supportkit run --ticket ID`` does once its bundle is written: attach it
    to the ticket and record the run when the ticket is in the store. Returns
    (recorded, a line for stderr). Never raises: the bundle is written either way.
    ``forced``: the ticket was closed and the person went on (``run --force``)."""
    from toolkit.errors import SupportkitError
    from toolkit.tickets.store import default_path, open_store
    from toolkit.tickets.workflow import record_run

    path = default_path()
    db = path / "tickets.db" if path.is_dir() else path
    if not db.is_file():
        return False, f"note: no ticket store at {db}; the bundle is named after {ticket_id} only"
    try:
        store = open_store(path)
        try:
            if not store.exists(ticket_id):
                return False, (f"note: ticket {ticket_id} is not in {db}; the bundle is named "
                               "after it only")
            t = record_run(store, ticket_id, bundle_path, run_result, forced=forced)
        finally:
            store.close()
    except SupportkitError as exc:
        return False, (f"warning: the run was not recorded in {ticket_id}: {exc.one_line()} "
                       f"(attach it later: supportkit ticket attach {ticket_id} {bundle_path})")
    what = f"resolved by step {run_result.resolved_by}" if t.status == "resolved" and \
        run_result.resolved_by else f"status {t.status}"
    return True, f"Recorded in {t.id} ({what})."
