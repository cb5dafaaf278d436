"""What every stage of the workflow shares: reading times and choices, the one way a
status moves (its clocks with it), and who counts as having responded."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from toolkit.errors import BadInput
from toolkit.tickets import clocks, lifecycle
from toolkit.tickets.config import TicketConfig
from toolkit.tickets.model import Ticket
from toolkit.tickets.sla import Calendar, iso
from toolkit.tickets.store import Changes


def parse_time(text: str, cal: Calendar, option: str) -> datetime:
    """ISO 8601 (``2026-11-25T14:30+08:00``, ``2026-11-25 14:30``); without an
    offset the time is in the configured time zone."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a date and time",
                       "write it as 2026-11-25T14:30 or 2026-11-25T14:30+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=cal.tz)
    return moment


def choice(value: str | None, options: tuple[str, ...], option: str) -> str | None:
    if value is None or value == "":
        return None
    v = value.strip().lower()
    if v not in options:
        raise BadInput(f"{option} {value!r} is not one of {', '.join(options)}",
                       f"use one of: {', '.join(options)}")
    return v


def config(cfg: TicketConfig | None) -> TicketConfig:
    """The team's settings: given by the caller, else read from config.yaml."""
    if cfg is not None:
        return cfg
    from toolkit.tickets import config as ticket_config

    return ticket_config.load()


def stamp(at: datetime | None) -> str | None:
    """When a change happened, for ``store.modify``: None is now. Tests and callers that
    replay a case give explicit times; a time in the future is refused."""
    if at is None:
        return None
    if at.tzinfo is None:
        raise BadInput("a change's time needs its offset", "write it like 2026-11-25T14:30+01:00")
    if at > datetime.now(timezone.utc) + timedelta(minutes=5):
        raise BadInput(f"{iso(at)} is in the future", "give the time the change happened")
    return iso(at.astimezone(timezone.utc))


def touch(t: Ticket, ch: Changes) -> None:
    """A person acted on the ticket: the first response, and L2's answer to an
    escalation when someone other than the escalating engineer acts (README ›
    Tickets › L2's clock)."""
    if t.responded_at is None:
        t.responded_at = ch.at
    for esc in t.escalations:
        if esc.responded_at is None and ch.by != esc.by:
            esc.responded_at = ch.at


def move_status(t: Ticket, ch: Changes, target: str, cfg: TicketConfig | None,
                **detail: Any) -> None:
    """The one way a status changes: checked against the lifecycle (with the level that
    holds the case), written to the history, the clocks paused or carried on. ``cfg``
    is read from config.yaml when the move needs it and none is given."""
    lifecycle.check(t.id, t.status, target, t.level)
    if t.status == "waiting_user" and target != "waiting_user":
        clocks.end_pause(t, ch, Calendar(config(cfg)))
    ch.log("status", **{"from": t.status, "to": target}, **detail)
    t.status = target
    if target == "waiting_user":
        clocks.begin_pause(t, ch, config(cfg))
    elif target == "resolved":
        t.resolved_at = ch.at
    elif target == "reopened":
        t.resolved_at = None
        if t.level != "L1":  # a fix that did not hold comes back to first line (step 6)
            ch.log("level", **{"from": t.level, "to": "L1"}, reason="reopened")
            t.level = "L1"
    elif target == "closed":
        t.closed_at = ch.at
