"""``ticket push | pull``: the case in a team's tracker (connectors)."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli._common import (
    CONTEXT_SETTINGS,
    emit_json,
    json_option,
    say,
)
from toolkit.cli.ticket import (
    _open,
    _who,
    by_option,
    store_option,
    ticket,
    ticket_id_argument,
)


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.option("--to", "connector", required=True, metavar="NAME",
              help="A connector configured in config.yaml ('supportkit connectors').")
@click.option("--new", is_flag=True, help="Create another remote issue instead of updating "
              "the linked one.")
@by_option
@store_option
@json_option
def push(ticket_id: str, connector: str, new: bool, by: str | None, store_path: Path | None,
         as_json: bool) -> None:
    """Push the case, its escalation summary and its bundles to a team's tracker.

    Pushing again updates the same remote issue; bundles already there are not sent again.
    """
    from toolkit.connectors import service

    store = _open(store_path)
    done = service.push(store, ticket_id, connector, _who(by), new,
                        progress=lambda line: say(line, err=True))
    for line in done.missing:
        say(f"warning: not sent: {line}", err=True)
    if as_json:
        emit_json(done.as_json())
        return
    r = done.result
    via = done.proxy if done.proxy and done.proxy["used"] else None
    say(f"{done.ticket} → {connector} {r.url} ({'created' if r.created else 'updated'}; "
               f"{len(r.uploaded)} bundle(s) uploaded, {len(r.already)} already there"
               + ("; escalation note added" if r.noted else "")
               + (f"; through the proxy {via['url']} from {via['source']}" if via else "") + ")")


@ticket.command(context_settings=CONTEXT_SETTINGS)
@ticket_id_argument
@click.option("--from", "connectors", multiple=True, metavar="NAME",
              help="Only this connector (default: every one the ticket was pushed to).")
@by_option
@store_option
@json_option
def pull(ticket_id: str, connectors: tuple[str, ...], by: str | None, store_path: Path | None,
         as_json: bool) -> None:
    """Read the remote issue's status back, mapped to ours, into the ticket's history."""
    from toolkit.connectors import service

    store = _open(store_path)
    found = service.pull(store, ticket_id, list(connectors), _who(by),
                         progress=lambda line: say(line, err=True))
    if as_json:
        emit_json([p.as_json() for p in found])
        return
    for p in found:
        s = p.status
        ours = s.mapped or "unmapped (add it to status_from)"
        state = "in step" if p.in_sync else f"the ticket is {p.local}"
        say(f"{p.ticket} ← {p.connector} {s.url}: {s.name} → {ours}; {state}")
        if not p.in_sync and s.mapped and s.mapped != p.local:
            # Not moved here: resolving needs the solution, backup and rollback.
            verb = {"resolved": "resolve", "closed": "close", "reopened": "reopen",
                    "escalated": "escalate"}.get(s.mapped)
            say(f"  to follow it: supportkit ticket {verb} {p.ticket} …" if verb else
                       f"  to follow it: supportkit ticket move {p.ticket} {s.mapped}", err=True)
