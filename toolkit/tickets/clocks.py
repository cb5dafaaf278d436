"""The clocks of one ticket: where each stands, and how they stand still while the
ticket waits on the user.

Three clocks run on a case (docs/support-process.md steps 1 and 4): the first
**response** and the **resolution**, both from the moment it was reported, and
**L2's response** to the latest escalation (``escalation``), from that escalation.
Each is ``pending`` until its target is met, then ``met`` (or ``late``); past its
due time unmet it is ``breached``.

**Pauses.** While a ticket is ``waiting_user`` the ball is with the user, and with
``tickets.pause_while_waiting`` (on by default, as GLPI does) its pending clocks are
``paused``. Nothing is moved while the pause lasts; when the ticket leaves
``waiting_user`` each clock that was still pending when the pause began gets the
time it had left then, counted again from the moment the pause ended (business
time, or real time for around-the-clock priorities: ``Calendar.carry``). A clock
met before the pause, or already overdue when it began, is left as it is — a pause
never turns a breach into a success. Each pause is kept on the ticket
(``pauses``: since, until, its length, every due time it moved from → to) and in
the history (``sla_paused``, ``sla_resumed``); a new priority recomputes the due
times from the report and applies the recorded pauses again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from toolkit.tickets.config import TicketConfig
from toolkit.tickets.lifecycle import DONE
from toolkit.tickets.model import Ticket
from toolkit.tickets.sla import Calendar, iso
from toolkit.tickets.store.interface import Changes, utc_key

CLOCKS = ("response", "resolution", "escalation")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _pending_at(due: str | None, done: str | None, since: datetime) -> bool:
    """The clock was still running at ``since``: not met by then, not overdue."""
    d = utc_key(due)
    return d is not None and d > since and (done is None or _at(done) > since)


def escalation_done(t: Ticket) -> str | None:
    """When L2's clock of the latest escalation stopped: L2 responded, or the case was
    resolved (whoever resolved it answered the case)."""
    if not t.escalations:
        return None
    last = t.escalations[-1]
    if last.responded_at:
        return last.responded_at
    if t.status in DONE:
        end = t.resolved_at or t.closed_at
        if end and _at(end) >= _at(last.at):
            return end
    return None


# --------------------------------------------------------------------------- pauses

def begin_pause(t: Ticket, ch: Changes, cfg: TicketConfig) -> None:
    """The ticket starts waiting on the user: its clocks stand still from now."""
    if not cfg.pause_while_waiting or t.paused_since:
        return
    t.paused_since = ch.at
    ch.log("sla_paused", since=ch.at)


def end_pause(t: Ticket, ch: Changes, cal: Calendar) -> None:
    """The ticket stops waiting on the user: every clock that was pending when the pause
    began gets back the time it had left then (see the module's docstring)."""
    if not t.paused_since:
        return
    since, until = _at(t.paused_since), _at(ch.at)
    until = max(until, since)
    moved: dict[str, dict[str, Any]] = {}

    def carry(name: str, due: str) -> str:
        new = iso(cal.carry(datetime.fromisoformat(due), since, until, t.priority))
        moved[name] = {"from": due, "to": new}
        return new
    if _pending_at(t.response_due, t.responded_at, since):
        t.response_due = carry("response", t.response_due)
    if _pending_at(t.resolution_due, t.resolved_at or t.closed_at, since):
        t.resolution_due = carry("resolution", t.resolution_due)
    if t.escalations:
        last = t.escalations[-1]
        if _at(last.at) <= since and _pending_at(last.response_due, last.responded_at, since):
            last.response_due = carry("escalation", last.response_due)
            moved["escalation"]["index"] = len(t.escalations) - 1
    record = {"since": t.paused_since, "until": iso(until),
              "paused_s": int((until - since).total_seconds()), "moved": moved}
    t.pauses.append(record)
    t.paused_since = None
    ch.log("sla_resumed", **record)


def reapply(t: Ticket, cal: Calendar) -> None:
    """Due times just recomputed from the report (a new priority): move them again by
    every recorded pause, in order, as if they had been due then."""
    for p in t.pauses:
        since, until = _at(p["since"]), _at(p["until"])
        if _pending_at(t.response_due, t.responded_at, since):
            t.response_due = iso(cal.carry(datetime.fromisoformat(t.response_due), since,
                                           until, t.priority))
        if _pending_at(t.resolution_due, t.resolved_at or t.closed_at, since):
            t.resolution_due = iso(cal.carry(datetime.fromisoformat(t.resolution_due), since,
                                             until, t.priority))


def paused_s(t: Ticket, now: datetime) -> int:
    """How long the ticket has waited on the user with its clocks stopped, in all."""
    total = sum(int(p.get("paused_s") or 0) for p in t.pauses)
    if t.paused_since:
        total += max(0, int((now - _at(t.paused_since)).total_seconds()))
    return total


# --------------------------------------------------------------------------- state

def sla_state(t: Ticket, now: datetime, cfg: TicketConfig | None = None) -> dict[str, Any]:
    """Per clock: ``met``, ``late`` (met after its due time), ``pending``, ``breached`` or
    ``paused`` — with ``due``, ``left_s`` (seconds to the due time: negative when
    overdue; for a paused clock, to the due time it gets if the pause ends now, which
    is also ``due_if_resumed``) and ``paused_s`` (how long pauses held it)."""
    since = utc_key(t.paused_since)
    cal: list[Calendar] = []  # made once, only when a paused clock needs it

    def held(name: str, index: int | None = None) -> int:
        total = 0
        for p in t.pauses:
            m = (p.get("moved") or {}).get(name)
            if m is not None and (index is None or m.get("index") == index):
                total += int(p.get("paused_s") or 0)
        return total

    def one(due: str | None, done: str | None, name: str, index: int | None = None
            ) -> dict[str, Any]:
        d = utc_key(due)
        if d is None:
            return {"due": None, "state": None}
        if done:
            return {"due": due, "state": "met" if _at(done) <= d else "late", "at": done,
                    "paused_s": held(name, index)}
        if since is not None and d > since:
            if not cal:
                from toolkit.tickets import config

                cal.append(Calendar(cfg or config.load()))
            then = cal[0].carry(d, since, max(now, since), t.priority)
            return {"due": due, "state": "paused", "paused_since": t.paused_since,
                    "due_if_resumed": iso(then),
                    "left_s": int((then - now).total_seconds()),
                    "paused_s": held(name, index) + int((now - since).total_seconds())}
        return {"due": due, "state": "breached" if now > d else "pending",
                "left_s": int((d - now).total_seconds()), "paused_s": held(name, index)}
    out = {"response": one(t.response_due, t.responded_at, "response"),
           "resolution": one(t.resolution_due, t.resolved_at or t.closed_at, "resolution")}
    if t.escalations:
        last = t.escalations[-1]
        out["escalation"] = one(last.response_due, escalation_done(t), "escalation",
                                len(t.escalations) - 1)
    return out
