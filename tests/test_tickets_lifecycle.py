"""Every status move through the CLI: the allowed ones work, every other one exits 2
naming the allowed moves (docs/architecture.md)."""

from __future__ import annotations

import json

import pytest
from tickets_support import new_ticket, show

from toolkit.tickets.lifecycle import STATUSES, TRANSITIONS, path

SETUP = {
    "new": [],
    "triaged": [("move", "triaged")],
    "in_progress": [("move", "triaged"), ("move", "in_progress")],
    "waiting_user": [("move", "triaged"), ("move", "in_progress"), ("move", "waiting_user")],
    "escalated": [("move", "triaged"), ("move", "in_progress"), ("escalate",)],
    "resolved": [("move", "triaged"), ("move", "in_progress"), ("resolve",)],
    "reopened": [("move", "triaged"), ("move", "in_progress"), ("resolve",), ("reopen",)],
    "closed": [("move", "triaged"), ("move", "in_progress"), ("resolve",), ("verify",),
               ("close",)],
}
RESOLVE = ("--solution", "Freed 20 GB", "--backup", "none needed: nothing deleted",
           "--rollback", "nothing to roll back")


def _do(cli, ticket_id: str, step: tuple[str, ...]):
    kind = step[0]
    if kind == "move":
        return cli("ticket", "move", ticket_id, step[1])
    if kind == "escalate":
        return cli("ticket", "escalate", ticket_id, "--to", "L2")
    if kind == "resolve":
        return cli("ticket", "resolve", ticket_id, *RESOLVE)
    if kind == "reopen":
        return cli("ticket", "reopen", ticket_id, "--reason", "came back")
    if kind == "verify":
        return cli("ticket", "verify", ticket_id, "--fixed")
    return cli("ticket", "close", ticket_id)


def _command_for(target: str) -> tuple[str, ...]:
    return {"escalated": ("escalate",), "resolved": ("resolve",), "reopened": ("reopen",),
            "closed": ("close",)}.get(target, ("move", target))


def _ticket_in(cli, status: str) -> str:
    tid = new_ticket(cli)["id"]
    for step in SETUP[status]:
        r = _do(cli, tid, step)
        assert r.code == 0, (step, r.err)
    assert show(cli, tid)["status"] == status
    return tid


def test_setup_paths_follow_the_table() -> None:
    assert set(SETUP) == set(STATUSES)
    assert path("new", "resolved") == ["triaged", "in_progress", "resolved"]
    assert path("escalated", "resolved") == ["resolved"]
    assert path("closed", "resolved") == []


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", [s for s in STATUSES if s != "new"])
def test_every_move(cli, current: str, target: str) -> None:
    tid = _ticket_in(cli, current)
    if current == "resolved" and target == "closed":
        assert _do(cli, tid, ("verify",)).code == 0  # only a verified ticket closes
    before = show(cli, tid)
    r = _do(cli, tid, _command_for(target))
    after = show(cli, tid)
    if target in TRANSITIONS[current]:
        assert r.code == 0, r.err
        assert after["status"] == target
        last = [h for h in after["history"] if h["action"] == "status"][-1]
        assert (last["detail"]["from"], last["detail"]["to"]) == (current, target)
    else:
        assert r.code == 2, (current, target, r.err)
        assert r.err.startswith("Error: ") and r.err.count("\n") == 1
        assert f"is {current}; it cannot move to {target}" in r.err
        allowed = TRANSITIONS[current]
        if allowed:
            assert f"it can move to: {', '.join(allowed)}" in r.err
        else:
            assert "final" in r.err
        assert after["status"] == current
        assert len(after["history"]) == len(before["history"])  # nothing half-done


def test_moves_that_need_details_name_their_command(cli) -> None:
    tid = _ticket_in(cli, "in_progress")
    for target, command in (("escalated", "ticket escalate"), ("resolved", "ticket resolve"),
                            ("closed", "ticket close")):
        r = cli("ticket", "move", tid, target)
        assert r.code == 2 and command in r.err
    r = cli("ticket", "move", tid, "new")
    assert r.code == 2 and "Invalid value" in r.err


def test_close_needs_verification_and_not_fixed_reopens(cli) -> None:
    tid = _ticket_in(cli, "resolved")
    r = cli("ticket", "close", tid)
    assert r.code == 2 and "not verified" in r.err and "--fixed" in r.err
    r = cli("ticket", "verify", tid, "--not-fixed", "--feedback", "still full next morning")
    assert r.code == 0
    doc = show(cli, tid)
    assert doc["status"] == "reopened" and doc["solution"] is None
    assert doc["verification"]["confirmed"] is False
    assert [h["action"] for h in doc["history"]][-3:] == ["verified", "status",
                                                          "solution_withdrawn"]
    r = cli("ticket", "verify", tid, "--fixed")
    assert r.code == 2 and "only a resolved ticket can be verified" in r.err


def test_verify_needs_an_answer_and_a_valid_rating(cli) -> None:
    tid = _ticket_in(cli, "resolved")
    assert cli("ticket", "verify", tid).code == 2
    assert cli("ticket", "verify", tid, "--fixed", "--satisfaction", "6").code == 2
    r = cli("ticket", "verify", tid, "--fixed", "--satisfaction", "4", "--feedback", "ok",
            "--json")
    assert r.code == 0
    assert json.loads(r.out)["verification"]["satisfaction"] == 4
