"""Step 4 of the case: escalation to L2, L2's answer, and the hand-back to L1.

**Escalate** from any open status (new, triaged, in_progress, waiting_user,
reopened): the package (description, tried, findings, resources) is written and
L2's response clock starts (``tickets.escalation_response``, 1 h by default).

**L2 responded** — the clock of the latest escalation stops at the first of:

* anything recorded on the ticket by someone other than the engineer who
  escalated it: a note, a move (asking the user: ``waiting_user``), an attached
  bundle, a correction, a solution;
* ``ticket respond ID [TEXT]``, by anyone: the explicit answer, for teams where
  one account does both (or L1 noting that L2 called back);
* ``ticket deescalate ID --reason`` — handing the case back is an answer;
* the ticket resolved, whoever resolves it.

**Deescalate**: L2 hands the case back to L1 with a reason (required): the
ticket moves ``escalated → in_progress`` at level L1; the reason is in the history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from toolkit.errors import BadInput
from toolkit.tickets import lifecycle
from toolkit.tickets.config import TicketConfig
from toolkit.tickets.model import Escalation, Note, Ticket
from toolkit.tickets.sla import Calendar, iso
from toolkit.tickets.store import Changes, TicketStore
from toolkit.tickets.workflow.common import config, move_status, stamp, touch


@dataclass
class EscalateRequest:
    to: str
    by: str
    reason: str = ""
    resources: list[str] = field(default_factory=list)


def level_of(target: str) -> str:
    """The line a target names: ``L2-network`` → L2, ``L3`` → L3; a vendor or a team
    without a line number is second line."""
    m = re.match(r"\s*[Ll](\d+)(?![A-Za-z0-9])", target)
    return f"L{m.group(1)}" if m else "L2"


def _playbook_escalation(playbook_id: str | None) -> tuple[list[str], str]:
    if not playbook_id:
        return [], ""
    from toolkit import playbook

    try:
        pb = playbook.load(playbook.find(playbook_id))
    except Exception:  # a playbook that vanished or broke must not block escalation
        return [], ""
    if pb.escalate is None:
        return [], ""
    reason = pb.escalate.reason.get() if pb.escalate.reason else ""
    if "{{" in reason or "{%" in reason:  # a template needs a run's data: not rendered here
        reason = ""
    return list(pb.escalate.resources), reason


def escalate(store: TicketStore, cfg: TicketConfig, ticket_id: str,
             req: EscalateRequest, at: datetime | None = None) -> Ticket:
    """docs/support-process.md step 4: hand the case to L2 with description, what was
    tried, the findings of the attached bundles and the resources needed; L2's
    response clock starts now."""
    if not req.to.strip():
        raise BadInput("--to is empty", "name the target, e.g. --to L2 or --to L2-network")
    level = level_of(req.to)
    if level == "L1":
        raise BadInput(f"--to {req.to} is first line", "escalate to L2 (or beyond): --to L2")
    cal = Calendar(cfg)
    pb_resources: dict[str | None, tuple[list[str], str]] = {}

    def change(t: Ticket, ch: Changes) -> None:
        if t.status == "waiting_user" and lifecycle.with_l2(t.level):
            raise BadInput(f"{t.id} is already with {t.level}, waiting on the user",
                           f"when the user answers: supportkit ticket move {t.id} escalated")
        skipped = lifecycle.SKIPPED_BY_ESCALATION.get(t.status)
        move_status(t, ch, "escalated", cfg, escalated_to=req.to,
                    **({"skipped": list(skipped)} if skipped else {}))
        # Resources and reason: given; else what the latest run's escalation rule said;
        # else the escalate: section of the playbook last run (or the category's).
        ran = [a for a in t.attachments if a.escalation]
        latest = ran[-1].escalation if ran else None
        pb_id = next((a.playbook for a in reversed(t.attachments) if a.playbook), t.playbook)
        if pb_id not in pb_resources:
            pb_resources[pb_id] = _playbook_escalation(pb_id)
        resources = list(req.resources) or list((latest or {}).get("resources") or []) \
            or pb_resources[pb_id][0]
        reason = req.reason or (latest or {}).get("reason") or pb_resources[pb_id][1]
        parts = [t.title, t.description]
        if t.error_message:
            parts.append(f"Error message: {t.error_message}")
        esc = Escalation(
            at=ch.at, by=req.by, to=req.to, reason=reason,
            description="\n\n".join(p for p in parts if p), tried=t.tried(),
            not_done=t.not_done(), findings=t.findings(), resources=resources,
            response_due=iso(cal.escalation_due(datetime.fromisoformat(ch.at), t.priority)))
        ch.escalations.append(esc)
        ch.log("escalated", to=req.to, reason=reason, resources=resources,
               response_due=esc.response_due, tried=len(esc.tried), findings=len(esc.findings))
        if t.responded_at is None:
            t.responded_at = ch.at
        if t.level != level:
            ch.log("level", **{"from": t.level, "to": level}, reason=f"escalated to {req.to}")
        t.level = level
    return store.modify(ticket_id, change, req.by, at=stamp(at))


def _answer(t: Ticket, ch: Changes) -> Escalation | None:
    """Stop L2's clock of the latest escalation if it still runs; returns it then."""
    if not t.escalations or t.escalations[-1].responded_at is not None:
        return None
    esc = t.escalations[-1]
    esc.responded_at = ch.at
    return esc


def respond(store: TicketStore, ticket_id: str, by: str, text: str = "",
            at: datetime | None = None) -> Ticket:
    """L2 answered the latest escalation (or the case its first response): the clock
    stops now. Refused when no clock waits for an answer."""
    def change(t: Ticket, ch: Changes) -> None:
        first = t.responded_at is None
        esc = _answer(t, ch)
        if esc is None and not first:
            last = t.escalations[-1] if t.escalations else None
            raise BadInput(f"nothing on {t.id} waits for a response (first response at "
                           f"{t.responded_at}" + (f", L2's at {last.responded_at}" if last
                                                  else ", never escalated") + ")",
                           f"to add something, use 'supportkit ticket note {t.id} TEXT'")
        touch(t, ch)
        if text.strip():
            ch.notes.append(Note(ch.at, by, text.strip(), "note"))
        ch.log("responded", to=esc.to if esc else None,
               escalated_at=esc.at if esc else None, response_due=esc.response_due
               if esc else t.response_due, text=text.strip())
    return store.modify(ticket_id, change, by, at=stamp(at))


def deescalate(store: TicketStore, ticket_id: str, reason: str, by: str,
               cfg: TicketConfig | None = None, at: datetime | None = None) -> Ticket:
    """L2 hands the case back to first line with a reason: escalated → in_progress, L1."""
    if not reason.strip():
        raise BadInput("handing a case back to L1 needs a reason",
                       "add --reason 'what L2 found and what L1 should do'")
    settings = config(cfg)

    def change(t: Ticket, ch: Changes) -> None:
        if t.status != "escalated":
            where = (f"{t.id} is {t.status}" + (f" with {t.level}" if t.status ==
                                                 "waiting_user" else ""))
            fix = (f"first take it back from the user: supportkit ticket move {t.id} "
                   "escalated" if t.status == "waiting_user" and lifecycle.with_l2(t.level)
                   else "only an escalated ticket can be handed back to L1")
            raise BadInput(f"{where}; it cannot be handed back to L1", fix)
        esc = _answer(t, ch)
        move_status(t, ch, "in_progress", settings, reason=reason.strip())
        ch.log("deescalated", **{"from": t.level, "to": "L1"}, reason=reason.strip(),
               escalated_to=t.escalations[-1].to if t.escalations else None,
               answered=esc is not None)
        t.level = "L1"
        touch(t, ch)
    return store.modify(ticket_id, change, by, at=stamp(at))
