"""Ticket statuses and the moves allowed between them (docs/architecture.md).

::

    new → triaged → in_progress ⇄ waiting_user → escalated → resolved → closed
                                                   resolved → reopened → in_progress

Read the chain as the main line of a case, with two decisions written down
here because the arrow notation leaves them open:

* ``in_progress`` and ``waiting_user`` are the same stage of work (the ball is
  with L1 or with the user), so both may move on to ``escalated``.
* L1 may resolve a case directly from ``in_progress`` or ``waiting_user``
  without escalating it: docs/support-process.md step 3 has L1 fix simple problems and
  record the solution; escalation is for what L1 cannot solve.

``closed`` is final: a fix that did not hold is caught at verification
(``resolved → reopened``), before the ticket is closed.
"""

from __future__ import annotations

from collections import deque

from toolkit.errors import BadInput

STATUSES = ("new", "triaged", "in_progress", "waiting_user", "escalated", "resolved",
            "reopened", "closed")

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged",),
    "triaged": ("in_progress",),
    "in_progress": ("waiting_user", "escalated", "resolved"),
    "waiting_user": ("in_progress", "escalated", "resolved"),
    "escalated": ("resolved",),
    "resolved": ("closed", "reopened"),
    "reopened": ("in_progress",),
    "closed": (),
}

# Statuses whose clocks have stopped: the resolution target is met.
DONE = ("resolved", "closed")

# The command that makes each move (a move that needs data has its own command).
COMMAND_FOR = {"escalated": "ticket escalate ID --to L2", "resolved": "ticket resolve ID",
               "closed": "ticket close ID", "reopened": "ticket reopen ID"}


def allowed(current: str) -> tuple[str, ...]:
    return TRANSITIONS.get(current, ())


def check(ticket_id: str, current: str, target: str) -> None:
    """Raise ``BadInput`` (exit 2) naming the allowed moves unless current → target is one."""
    if target not in STATUSES:
        raise BadInput(f"'{target}' is not a ticket status",
                       f"use one of: {', '.join(STATUSES)}")
    if target in allowed(current):
        return
    moves = allowed(current)
    fix = (f"from {current} it can move to: {', '.join(moves)}" if moves
           else f"{current} is final; open a new ticket that refers to {ticket_id}")
    raise BadInput(f"{ticket_id} is {current}; it cannot move to {target}", fix)


def path(current: str, target: str) -> list[str]:
    """The shortest chain of allowed moves from ``current`` to ``target`` (without
    ``current``), or ``[]`` when there is none. Used when a self-help run fixes
    a case: the ticket walks the allowed path, and every move is in its history."""
    if current == target:
        return []
    seen = {current: ""}
    queue = deque([current])
    while queue:
        here = queue.popleft()
        for nxt in allowed(here):
            if nxt in seen:
                continue
            seen[nxt] = here
            if nxt == target:
                chain = [nxt]
                while seen[chain[-1]] != current:
                    chain.append(seen[chain[-1]])
                return chain[::-1]
            queue.append(nxt)
    return []
