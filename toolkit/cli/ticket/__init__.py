"""``supportkit ticket …`` — the case record: intake, classification, evidence,
escalation, solution, verification, closure (docs/support-process.md steps 1–6).

Every command takes ``--store PATH`` (or ``SUPPORTKIT_STORE``), every change
``--by NAME`` (default: the OS user), every command that prints data ``--json``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from toolkit.cli._common import CONTEXT_SETTINGS, F, emit_json, say


def store_option(f: F) -> F:
    return click.option("--store", "store_path", type=click.Path(path_type=Path),
                        envvar="SUPPORTKIT_STORE", metavar="PATH",
                        help="Ticket store file (default: $SUPPORTKIT_HOME/tickets.db; "
                             "env SUPPORTKIT_STORE).")(f)


def ticket_id_argument(f: F) -> F:
    """The ``ID`` argument of every command on one ticket; Tab completes the store's ids."""
    from toolkit.cli.completion import complete_tickets

    return click.argument("ticket_id", metavar="ID", shell_complete=complete_tickets)(f)


def by_option(f: F) -> F:
    return click.option("--by", metavar="NAME", help="Who does this (default: the OS user); "
                        "written to the ticket's history.")(f)


def _open(store_path: Path | None) -> Any:
    """The ticket store for this command, closed when the command ends, however it ends
    (click's context owns it): the one way a ticket command opens the store."""
    from contextlib import closing

    from toolkit.tickets.store import open_store

    store = click.get_current_context().with_resource(closing(open_store(store_path)))
    for line in store.repairs:
        say(f"note: ticket store repaired: {line}", err=True)
    return store


def _who(by: str | None) -> str:
    from toolkit.tickets.model import os_user

    return by.strip() if by and by.strip() else os_user()


def _doc(t: Any) -> dict[str, Any]:
    from toolkit.tickets.clocks import paused_s, sla_state

    now = datetime.now(timezone.utc)
    doc: dict[str, Any] = t.as_json()
    doc["sla"] = sla_state(t, now)
    doc["paused_s"] = paused_s(t, now)
    return doc


def _done(t: Any, as_json: bool, line: str) -> None:
    if as_json:
        emit_json(_doc(t))
    else:
        say(line)


def _when(iso: str | None) -> str:
    return iso.replace("T", " ") if iso else "—"


@click.group(context_settings=CONTEXT_SETTINGS)
def ticket() -> None:
    """Ticket records: intake, classify, attach evidence, escalate, resolve, verify, close.

    \b
    Status moves:  new → triaged → in_progress ⇄ waiting_user → escalated → resolved
                   → closed; resolved → reopened → in_progress. Escalate from any open
                   status; L2 may ask the user (escalated ⇄ waiting_user) or hand the
                   case back (deescalate → in_progress, L1). L1 may resolve from
                   in_progress or waiting_user; any other move exits 2.
    Clocks:        response, resolution and L2's response; they pause while the
                   ticket waits on the user (tickets.pause_while_waiting).
    """


# The commands, by stage of the case; importing them registers them on the group.
from toolkit.cli.ticket import case, inbox, intake, trackers  # noqa: E402,F401
