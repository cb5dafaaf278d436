"""Every status move through the CLI: the allowed ones work, every other one exits 2
naming the allowed moves (docs/architecture.md)."""

from __future__ import annotations

import json

import pytest
from tickets_support import new_ticket, show

from toolkit.tickets.lifecycle import STATUSES, allowed, path

# Where a ticket can be: its status, and for waiting_user who asked the user.
SETUP = {
    "new": [],
    "triaged": [("move", "triaged")],
    "in_progress": [("move", "triaged"), ("move", "in_progress")],
    "waiting_user": [("move", "triaged"), ("move", "in_progress"), ("move", "waiting_user")],
    "escalated": [("move", "triaged"), ("move", "in_progress"), ("escalate",)],
    "waiting_user@L2": [("escalate",), ("move", "waiting_user")],
    "resolved": [("move", "triaged"), ("move", "in_progress"), ("resolve",)],
    "reopened": [("move", "triaged"), ("move", "in_progress"), ("resolve",), ("reopen",)],
    "closed": [("move", "triaged"), ("move", "in_progress"), ("resolve",), ("verify",),
               ("close",)],
}
# The lifecycle of issue 16, written out here rather than read from the code under test.
EXPECTED = {
    "new": ("triaged", "escalated"),
    "triaged": ("in_progress", "escalated"),
    "in_progress": ("waiting_user", "escalated", "resolved"),
    "waiting_user": ("in_progress", "escalated", "resolved"),
    "escalated": ("waiting_user", "in_progress", "resolved"),
    "waiting_user@L2": ("escalated", "resolved"),
    "resolved": ("closed", "reopened"),
    "reopened": ("in_progress", "escalated"),
    "closed": (),
}
RESOLVE = ("--solution", "Freed 20 GB", "--backup", "none needed: nothing deleted",
           "--rollback", "nothing to roll back")


def _do(cli, ticket_id: str, step: tuple[str, ...]):
    kind = step[0]
    if kind == "move":
        return cli("ticket", "move", ticket_id, step[1])
    if kind == "escalate":
        return cli("ticket", "escalate", ticket_id, "--to", "L2")
    if kind == "deescalate":
        return cli("ticket", "deescalate", ticket_id, "--reason", "a driver, L1 can do it")
    if kind == "resolve":
        return cli("ticket", "resolve", ticket_id, *RESOLVE)
    if kind == "reopen":
        return cli("ticket", "reopen", ticket_id, "--reason", "came back")
    if kind == "verify":
        return cli("ticket", "verify", ticket_id, "--fixed")
    return cli("ticket", "close", ticket_id)


def _status(where: str) -> str:
    return where.split("@")[0]


def _command_for(where: str, target: str) -> tuple[str, ...]:
    """The command a person uses for the move: back to L2 after the user answered is a
    plain move, handing back to L1 is deescalate."""
    if target == "escalated" and where == "waiting_user@L2":
        return ("move", "escalated")
    if target == "in_progress" and where == "escalated":
        return ("deescalate",)
    return {"escalated": ("escalate",), "resolved": ("resolve",), "reopened": ("reopen",),
            "closed": ("close",)}.get(target, ("move", target))


def _ticket_in(cli, where: str) -> str:
    tid = new_ticket(cli)["id"]
    for step in SETUP[where]:
        r = _do(cli, tid, step)
        assert r.code == 0, (step, r.err)
    doc = show(cli, tid)
    assert doc["status"] == _status(where)
    assert doc["level"] == ("L2" if where in ("escalated", "waiting_user@L2") else "L1")
    return tid


def test_the_table_is_the_one_the_issue_asks_for() -> None:
    for where, moves in EXPECTED.items():
        level = "L2" if where in ("escalated", "waiting_user@L2") else "L1"
        assert allowed(_status(where), level) == moves, where
    assert {_status(w) for w in SETUP} == set(STATUSES)


def test_setup_paths_follow_the_table() -> None:
    assert path("new", "resolved") == ["triaged", "in_progress", "resolved"]  # not via L2
    assert path("escalated", "resolved", "L2") == ["resolved"]
    assert path("waiting_user", "resolved", "L2") == ["resolved"]
    assert path("closed", "resolved") == []


@pytest.mark.parametrize("where", list(SETUP))
@pytest.mark.parametrize("target", [s for s in STATUSES if s != "new"])
def test_every_move(cli, where: str, target: str) -> None:
    current = _status(where)
    tid = _ticket_in(cli, where)
    if current == "resolved" and target == "closed":
        assert _do(cli, tid, ("verify",)).code == 0  # only a verified ticket closes
    before = show(cli, tid)
    r = _do(cli, tid, _command_for(where, target))
    after = show(cli, tid)
    if target in EXPECTED[where]:
        assert r.code == 0, r.err
        assert after["status"] == target
        last = [h for h in after["history"] if h["action"] == "status"][-1]
        assert (last["detail"]["from"], last["detail"]["to"]) == (current, target)
    else:
        assert r.code == 2, (where, target, r.err)
        assert r.err.startswith("Error: ") and r.err.count("\n") == 1
        assert f"{tid} is {current}" in r.err and f"it cannot move to {target}" in r.err
        allowed_here = EXPECTED[where]
        if allowed_here:
            assert f"it can move to: {', '.join(allowed_here)}" in r.err
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


# --------------------------------------------------------------------------- issue 16

def _moves(doc: dict) -> list[tuple[str, str]]:
    return [(h["detail"]["from"], h["detail"]["to"]) for h in doc["history"]
            if h["action"] == "status"]


@pytest.mark.parametrize("start,skipped", [("new", ["triaged", "in_progress"]),
                                           ("triaged", ["in_progress"]),
                                           ("reopened", ["in_progress"]),
                                           ("in_progress", None), ("waiting_user", None)])
def test_escalation_from_any_open_status_records_the_path(cli, start: str,
                                                          skipped: list[str] | None) -> None:
    tid = _ticket_in(cli, start)
    r = cli("ticket", "escalate", tid, "--to", "L2-network", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert (doc["status"], doc["level"]) == ("escalated", "L2")
    move = [h for h in doc["history"] if h["action"] == "status"][-1]
    assert (move["detail"]["from"], move["detail"]["to"]) == (start, "escalated")
    assert move["detail"].get("skipped") == skipped
    assert doc["escalations"][-1]["to"] == "L2-network"


def test_the_wrong_command_names_the_right_one(cli) -> None:
    tid = _ticket_in(cli, "escalated")
    r = cli("ticket", "move", tid, "in_progress")
    assert r.code == 2 and f"ticket deescalate {tid} --reason" in r.err
    r = cli("ticket", "deescalate", tid)
    assert r.code == 2 and "--reason" in r.err
    r = cli("ticket", "deescalate", tid, "--reason", " ")
    assert r.code == 2 and "needs a reason" in r.err
    assert cli("ticket", "move", tid, "waiting_user").code == 0
    r = cli("ticket", "escalate", tid, "--to", "L2")
    assert r.code == 2 and f"ticket move {tid} escalated" in r.err
    r = cli("ticket", "deescalate", tid, "--reason", "x")
    assert r.code == 2 and f"ticket move {tid} escalated" in r.err
    assert show(cli, tid)["status"] == "waiting_user"
    other = _ticket_in(cli, "in_progress")
    r = cli("ticket", "deescalate", other, "--reason", "x")
    assert r.code == 2 and "only an escalated ticket" in r.err
    r = cli("ticket", "escalate", other, "--to", "L1-desk")
    assert r.code == 2 and "first line" in r.err


def test_deescalate_hands_the_case_back_to_l1_and_a_new_escalation_starts_a_new_clock(
        cli) -> None:
    tid = _ticket_in(cli, "in_progress")
    assert cli("ticket", "escalate", tid, "--to", "L2-network", "--by", "l1-ann").code == 0
    r = cli("ticket", "deescalate", tid, "--reason", "the switch is fine; reinstall the NIC "
            "driver", "--by", "l2-li", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert (doc["status"], doc["level"]) == ("in_progress", "L1")
    back = [h for h in doc["history"] if h["action"] == "deescalated"][-1]
    assert back["by"] == "l2-li" and back["detail"]["reason"].startswith("the switch is fine")
    assert (back["detail"]["from"], back["detail"]["to"]) == ("L2", "L1")
    assert _moves(doc)[-1] == ("escalated", "in_progress")
    assert doc["escalations"][0]["responded_at"] is not None  # handing back is an answer
    assert doc["sla"]["escalation"]["state"] == "met"
    r = cli("ticket", "escalate", tid, "--to", "L2-hardware", "--by", "l1-ann", "--json")
    doc = json.loads(r.out)
    assert len(doc["escalations"]) == 2 and doc["escalations"][1]["responded_at"] is None
    assert doc["sla"]["escalation"]["state"] == "pending"  # the second one's own clock
    assert doc["sla"]["escalation"]["due"] == doc["escalations"][1]["response_due"]
    md = cli("ticket", "export", tid).out
    assert "handed back to L1 by L2: the switch is fine" in md


def test_a_reopened_case_comes_back_to_l1(cli) -> None:
    tid = _ticket_in(cli, "escalated")
    assert cli("ticket", "resolve", tid, *RESOLVE).code == 0
    assert show(cli, tid)["level"] == "L2"  # who resolved it
    doc = json.loads(cli("ticket", "verify", tid, "--not-fixed", "--json").out)
    assert (doc["status"], doc["level"]) == ("reopened", "L1")
    assert cli("ticket", "move", tid, "in_progress").code == 0
    assert cli("ticket", "move", tid, "waiting_user").code == 0
    assert cli("ticket", "move", tid, "in_progress").code == 0  # L1's wait returns to L1


def test_a_template_reason_is_not_copied_raw_into_an_escalation_without_a_run(cli) -> None:
    tid = new_ticket(cli, "--title", "VPN drops", "--category", "network",
                     "--subcategory", "intermittent")["id"]
    assert show(cli, tid)["playbook"] == "network-connectivity"  # its reason is a template
    esc = json.loads(cli("ticket", "escalate", tid, "--to", "L2-network", "--json").out)[
        "escalations"][0]
    assert "{{" not in esc["reason"] and "{%" not in esc["reason"]
    assert esc["resources"]  # the playbook's resources are still taken
