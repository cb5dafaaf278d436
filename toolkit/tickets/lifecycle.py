"""Ticket statuses and the moves allowed between them (docs/architecture.md).

::

    new → triaged → in_progress ⇄ waiting_user → escalated → resolved → closed
                                                   resolved → reopened → in_progress

Read the chain as the main line of a case, with the decisions the arrow notation
leaves open written down here:

* **Escalation from any open status.** What L1 cannot solve goes to L2 as soon as
  L1 knows it (docs/support-process.md step 4): ``new``, ``triaged``,
  ``in_progress``, ``waiting_user`` and ``reopened`` may all move to
  ``escalated``. The statuses of the main line it skipped are written into the
  move's history entry (``skipped``), so the path the case took stays readable.
* **L2 works the case too.** From ``escalated``, L2 may ask the user
  (``escalated → waiting_user``; the user's answer returns the case to
  ``escalated``, not to L1), hand it back to L1 with a reason (``ticket
  deescalate``: ``escalated → in_progress`` at level L1) or resolve it.
* **Who holds the case is the level.** ``waiting_user`` means different things
  with L1 and with L2: the ticket's ``level`` says which (``escalate`` sets L2,
  ``deescalate`` and ``reopen`` set L1 again: a fix that did not hold comes back
  to first line, who may escalate again — L2's clock then starts anew).
* ``in_progress`` and ``waiting_user`` are the same stage of work (the ball is
  with the engineer or with the user), so L1 may resolve from both without
  escalating: step 3 has L1 fix simple problems and record the solution.

``closed`` is final: a fix that did not hold is caught at verification
(``resolved → reopened``), before the ticket is closed.
"""

from __future__ import annotations

from collections import deque

from toolkit.errors import BadInput

STATUSES = ("new", "triaged", "in_progress", "waiting_user", "escalated", "resolved",
            "reopened", "closed")

# Every move, whoever holds the case.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "escalated"),
    "triaged": ("in_progress", "escalated"),
    "in_progress": ("waiting_user", "escalated", "resolved"),
    "waiting_user": ("in_progress", "escalated", "resolved"),
    "escalated": ("waiting_user", "in_progress", "resolved"),
    "resolved": ("closed", "reopened"),
    "reopened": ("in_progress", "escalated"),
    "closed": (),
}

# While L2 holds the case, the user's answer goes back to L2: a waiting_user ticket
# returns to escalated (or is resolved), never straight to L1's in_progress.
WITH_L2: dict[str, tuple[str, ...]] = {
    "waiting_user": ("escalated", "resolved"),
}

# Statuses a case is still open in, and the ones whose clocks have stopped.
OPEN = ("new", "triaged", "in_progress", "waiting_user", "reopened")
DONE = ("resolved", "closed")

# The statuses of the main line an escalation from an early status jumps over.
SKIPPED_BY_ESCALATION: dict[str, tuple[str, ...]] = {
    "new": ("triaged", "in_progress"),
    "triaged": ("in_progress",),
    "reopened": ("in_progress",),
}

# The command that makes each move (a move that needs data has its own command).
COMMAND_FOR = {"escalated": "ticket escalate ID --to L2", "resolved": "ticket resolve ID",
               "closed": "ticket close ID", "reopened": "ticket reopen ID"}
DEESCALATE = "ticket deescalate ID --reason TEXT"


def with_l2(level: str | None) -> bool:
    """Second line (or beyond: L3, a vendor) holds the case."""
    return bool(level) and level != "L1"


def allowed(current: str, level: str | None = "L1") -> tuple[str, ...]:
    if with_l2(level) and current in WITH_L2:
        return WITH_L2[current]
    return TRANSITIONS.get(current, ())


def command_for(current: str, level: str | None, target: str) -> str | None:
    """The command that makes ``current → target`` when it is not ``ticket move``."""
    if target == "escalated" and current == "waiting_user" and with_l2(level):
        return None  # the user answered L2: the case simply goes back to L2's work
    if target == "in_progress" and current == "escalated":
        return DEESCALATE
    if target == "reopened":
        return None  # plain move allowed too (kept from the first version of the CLI)
    return COMMAND_FOR.get(target)


def check(ticket_id: str, current: str, target: str, level: str | None = "L1") -> None:
    """Raise ``BadInput`` (exit 2) naming the allowed moves unless current → target is one."""
    if target not in STATUSES:
        raise BadInput(f"'{target}' is not a ticket status",
                       f"use one of: {', '.join(STATUSES)}")
    moves = allowed(current, level)
    if target in moves:
        return
    where = f" (with {level}, asked the user)" if with_l2(level) and current in WITH_L2 else ""
    fix = (f"from {current} it can move to: {', '.join(moves)}" if moves
           else f"{current} is final; open a new ticket that refers to {ticket_id}")
    raise BadInput(f"{ticket_id} is {current}{where}; it cannot move to {target}", fix)


def path(current: str, target: str, level: str | None = "L1") -> list[str]:
    """The shortest chain of allowed moves from ``current`` to ``target`` (without
    ``current``), or ``[]`` when there is none. Used when a self-help run fixes a
    case: the ticket walks the allowed path, and every move is in its history. The
    path never passes through ``escalated``: self-help escalates nothing."""
    if current == target:
        return []
    seen = {current: ""}
    queue = deque([current])
    while queue:
        here = queue.popleft()
        for nxt in allowed(here, level):
            if nxt in seen or (nxt == "escalated" and nxt != target):
                continue
            seen[nxt] = here
            if nxt == target:
                chain = [nxt]
                while seen[chain[-1]] != current:
                    chain.append(seen[chain[-1]])
                return chain[::-1]
            queue.append(nxt)
    return []
