"""Working the case at any stage: notes, plain status moves, the lead's corrections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from toolkit.errors import BadInput
from toolkit.tickets import clocks, environment, lifecycle
from toolkit.tickets.config import LEVELS, PRIORITIES, TicketConfig
from toolkit.tickets.model import CATEGORIES, Note, Ticket
from toolkit.tickets.sla import Calendar, iso
from toolkit.tickets.store import Changes, TicketStore
from toolkit.tickets.workflow.common import choice, config, move_status, stamp, touch


def add_note(store: TicketStore, ticket_id: str, text: str, by: str,
             kind: str = "note", at: datetime | None = None) -> Ticket:
    if not text.strip():
        raise BadInput("the note is empty", "give its text: ticket note ID 'what you did'")

    def change(t: Ticket, ch: Changes) -> None:
        ch.notes.append(Note(ch.at, by, text.strip(), kind))
        ch.log("note", kind=kind, text=text.strip())
        touch(t, ch)
    return store.modify(ticket_id, change, by, at=stamp(at))


def move(store: TicketStore, ticket_id: str, target: str, by: str,
         assignee: str | None = None, cfg: TicketConfig | None = None,
         at: datetime | None = None) -> Ticket:
    """A plain status move (triage, start work, wait for the user, back to L2 after the
    user answered); moves that need data have their own command (escalate,
    deescalate, resolve, close)."""
    settings = config(cfg)
    if target in ("resolved", "closed"):  # whatever the ticket is, these need details
        raise BadInput(f"moving to {target} needs its details",
                       f"use 'supportkit {lifecycle.COMMAND_FOR[target]}'")

    def change(t: Ticket, ch: Changes) -> None:
        command = lifecycle.command_for(t.status, t.level, target)
        if command == lifecycle.DEESCALATE:
            raise BadInput(f"{t.id} is with {t.level}; handing it back to L1 needs a reason",
                           f"use 'supportkit {command.replace('ID', t.id)}'")
        if command is not None:
            raise BadInput(f"moving to {target} needs its details",
                           f"use 'supportkit {command.replace('ID', t.id)}'")
        move_status(t, ch, target, settings)
        if assignee is not None and assignee != t.assignee:
            ch.log("assigned", **{"from": t.assignee, "to": assignee})
            t.assignee = assignee
        touch(t, ch)
    return store.modify(ticket_id, change, by, at=stamp(at))


@dataclass
class Update:
    """Field changes (the team lead's review of docs/support-process.md step 2), and
    environment facts typed by hand (step 1)."""

    category: str | None = None
    subcategory: str | None = None
    impact: str | None = None
    urgency: str | None = None
    priority: str | None = None
    assignee: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def update(store: TicketStore, cfg: TicketConfig, ticket_id: str, req: Update,
           by: str) -> Ticket:
    from toolkit.tickets import classify

    category = choice(req.category, CATEGORIES, "--category")
    impact = choice(req.impact, LEVELS, "--impact")
    urgency = choice(req.urgency, LEVELS, "--urgency")
    given = choice(req.priority, PRIORITIES, "--priority")
    for key in req.env:
        if not key.strip() or key in environment.SOURCE_KEYS:
            raise BadInput(f"--env {key!r}: not a fact one can type",
                           "write it as --env device='Dell Latitude 7440'")
    cal = Calendar(cfg)

    def change(t: Ticket, ch: Changes) -> None:
        before = {k: getattr(t, k) for k in ("category", "subcategory", "impact", "urgency",
                                             "priority", "assignee")}
        if category:
            t.category, t.subcategory = category, req.subcategory
            t.classification = {"source": "given"}
        elif req.subcategory:
            t.subcategory = req.subcategory
        t.playbook = classify.playbook_for(t.category, t.subcategory) or t.playbook
        t.impact, t.urgency = impact or t.impact, urgency or t.urgency
        if given:
            t.priority, t.priority_source = given, "given"
        elif (impact or urgency) and t.priority_source == "matrix":
            t.priority = cfg.matrix[t.impact][t.urgency]
        if req.assignee is not None:
            t.assignee = req.assignee
        if t.priority != before["priority"]:  # the clocks still run from the report
            start = datetime.fromisoformat(t.reported_at)
            t.response_due = iso(cal.response_due(start, t.priority))
            t.resolution_due = iso(cal.resolution_due(start, t.priority))
            clocks.reapply(t, cal)  # less the time they stood still
        after = {k: getattr(t, k) for k in before}
        diff = {k: {"from": before[k], "to": after[k]} for k in before if before[k] != after[k]}
        if diff:
            ch.log("updated", **diff)
        if req.env:
            environment.typed(t, ch, req.env)
        if ch.history:
            touch(t, ch)
    return store.modify(ticket_id, change, by)
