"""The support workflow on a ticket store: intake, notes, moves, evidence,
escalation, solution, verification, closure (docs/support-process.md steps 1–6).

One module per stage of the case, as ``cli/ticket/`` is: ``intake`` (steps 1–2),
``work`` (notes, plain moves, corrections — any stage), ``evidence`` (step 3),
``escalation`` (step 4), ``closure`` (steps 5–6); ``common`` holds the one way a
status moves. The clocks are in ``tickets/clocks.py``.

Each operation is one read-modify-write on the store (``store.modify``), so
concurrent writers never lose each other's changes, and each writes what it
did to the ticket's append-only history, with who and when. Operations that
change the case take ``at`` (when it happened; default now), so a case can be
replayed with the times it really had.
"""

from __future__ import annotations

from toolkit.tickets.clocks import sla_state
from toolkit.tickets.workflow.closure import ResolveRequest, close, reopen, resolve, verify
from toolkit.tickets.workflow.common import parse_time
from toolkit.tickets.workflow.escalation import EscalateRequest, deescalate, escalate, respond
from toolkit.tickets.workflow.evidence import attach, bundle_ticket, record_run, same_ticket
from toolkit.tickets.workflow.intake import collect_environment, new_ticket
from toolkit.tickets.workflow.work import Update, add_note, move, update

__all__ = ["EscalateRequest", "ResolveRequest", "Update", "add_note", "attach",
           "bundle_ticket", "close", "collect_environment", "deescalate", "escalate",
           "move", "new_ticket", "parse_time", "record_run", "reopen", "resolve", "respond",
           "same_ticket", "sla_state", "update", "verify"]
