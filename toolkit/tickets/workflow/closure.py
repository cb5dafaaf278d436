"""Steps 5–6 of the case: the solution with its risk plan, the user's confirmation,
reopening a fix that did not hold, closure (with a knowledge-base draft)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from toolkit.errors import BadInput
from toolkit.tickets import lifecycle
from toolkit.tickets.config import TicketConfig
from toolkit.tickets.model import Ticket
from toolkit.tickets.store import Changes, TicketStore
from toolkit.tickets.workflow.common import move_status, stamp, touch


@dataclass
class ResolveRequest:
    solution: str
    backup: str
    rollback: str
    by: str
    risky: bool = False
    checked_by: str | None = None
    steps: list[str] = field(default_factory=list)


def resolve(store: TicketStore, ticket_id: str, req: ResolveRequest,
            cfg: TicketConfig | None = None, at: datetime | None = None) -> Ticket:
    """docs/support-process.md step 5: the solution with its risk plan (backup, rollback); a risky
    change (data or configuration) needs a second person's check."""
    for name, value in (("--solution", req.solution), ("--backup", req.backup),
                        ("--rollback", req.rollback)):
        if not value.strip():
            raise BadInput(f"{name} is empty", "a solution records what was done, the backup "
                           "taken and how to roll it back ('none needed: …' is an answer)")
    if req.risky and not (req.checked_by or "").strip():
        raise BadInput("a risky change needs a second person's check",
                       "add --checked-by NAME (someone other than you)")
    if req.checked_by and req.checked_by.strip().lower() == req.by.strip().lower():
        raise BadInput(f"--checked-by {req.checked_by} is the person resolving",
                       "the second-person check must be done by someone else")

    def change(t: Ticket, ch: Changes) -> None:
        move_status(t, ch, "resolved", cfg)
        t.solution = {"text": req.solution.strip(), "steps": req.steps or [req.solution.strip()],
                      "source": "support", "backup": req.backup.strip(),
                      "rollback": req.rollback.strip(), "risky": req.risky,
                      "checked_by": req.checked_by, "by": req.by, "at": ch.at}
        t.verification = None
        ch.log("resolved", solution=req.solution.strip(), backup=req.backup.strip(),
               rollback=req.rollback.strip(), risky=req.risky, checked_by=req.checked_by)
        touch(t, ch)
    return store.modify(ticket_id, change, req.by, at=stamp(at))


def verify(store: TicketStore, ticket_id: str, fixed: bool, by: str,
           satisfaction: int | None = None, feedback: str = "") -> Ticket:
    """docs/support-process.md step 6: the user confirmed (or not) that the problem is gone."""
    def change(t: Ticket, ch: Changes) -> None:
        if t.status != "resolved":
            raise BadInput(f"{t.id} is {t.status}; only a resolved ticket can be verified",
                           "resolve it first with 'supportkit ticket resolve'")
        t.verification = {"confirmed": fixed, "satisfaction": satisfaction,
                          "feedback": feedback, "by": by, "at": ch.at}
        ch.log("verified", confirmed=fixed, satisfaction=satisfaction, feedback=feedback)
        if not fixed:
            move_status(t, ch, "reopened", None, reason="the fix did not hold (verification)")
            ch.log("solution_withdrawn", solution=(t.solution or {}).get("text"))
            t.solution = None
        touch(t, ch)
    return store.modify(ticket_id, change, by)


def reopen(store: TicketStore, ticket_id: str, by: str, reason: str = "") -> Ticket:
    def change(t: Ticket, ch: Changes) -> None:
        move_status(t, ch, "reopened", None, reason=reason)
        if t.solution:
            ch.log("solution_withdrawn", solution=t.solution.get("text"))
        t.solution, t.verification = None, None
        touch(t, ch)
    return store.modify(ticket_id, change, by)


def close(store: TicketStore, ticket_id: str, by: str, draft_kb: bool = False) -> Ticket:
    """Close a verified ticket; ``draft_kb`` writes a knowledge-base draft from it."""
    from toolkit.tickets import kbdraft

    current = store.get(ticket_id)
    _closable(current)
    draft = kbdraft.write(current) if draft_kb else None

    def change(t: Ticket, ch: Changes) -> None:
        _closable(t)
        move_status(t, ch, "closed", None)
        if draft is not None:
            t.kb = draft[0]
            ch.log("kb_drafted", kb=draft[0], path=str(draft[1]))
        touch(t, ch)
    try:
        return store.modify(ticket_id, change, by)
    except BaseException:
        if draft is not None and draft[2]:
            draft[1].unlink(missing_ok=True)
        raise


def _closable(t: Ticket) -> None:
    if t.status == "resolved" and not (t.verification or {}).get("confirmed"):
        raise BadInput(f"{t.id} is resolved but not verified; only a verified ticket is closed",
                       f"confirm with the user, then 'supportkit ticket verify {t.id} --fixed'")
    lifecycle.check(t.id, t.status, "closed", t.level)
