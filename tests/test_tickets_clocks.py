"""The clocks of a case: paused while the ticket waits on the user (business time and
around the clock), L2's response clock, and how ``show`` and ``list`` tell them.

Cases are replayed in-process with explicit times (every operation takes ``at``, and
``sla_state`` the moment to judge at), so nothing here depends on when the suite
runs; what the CLI shows of a live pause is checked on tickets made now."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pexpect
import pytest
from tickets_support import new_ticket, show, table

from toolkit.tickets import workflow
from toolkit.tickets.clocks import sla_state
from toolkit.tickets.config import TicketConfig
from toolkit.tickets.model import Intake, Ticket
from toolkit.tickets.store import SQLiteStore

BERLIN = ZoneInfo("Europe/Berlin")
CFG = TicketConfig(timezone="Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture
def store(tmp_path: Path):
    s = SQLiteStore(tmp_path / "t.db")
    yield s
    s.close()


def _new(store: SQLiteStore, prio: str, reported: str, cfg: TicketConfig = CFG) -> str:
    t = workflow.new_ticket(store, cfg, Intake(title="VPN drops every hour", priority=prio,
                                               reported_at=reported), "l1-ann", now=at(reported))
    return t.id


def _move(store: SQLiteStore, tid: str, status: str, when: str, by: str = "l1-ann",
          cfg: TicketConfig = CFG) -> Ticket:
    return workflow.move(store, tid, status, by, cfg=cfg, at=at(when))


def _working(store: SQLiteStore, prio: str, reported: str, started: str,
             cfg: TicketConfig = CFG) -> str:
    tid = _new(store, prio, reported, cfg)
    _move(store, tid, "triaged", started, cfg=cfg)
    _move(store, tid, "in_progress", started, cfg=cfg)
    return tid


# 2024-11-18 is a Monday; business time is Mon–Fri 09:00–18:00 in Berlin.

def test_a_day_waiting_on_the_user_moves_the_resolution_by_that_day(store) -> None:
    tid = _working(store, "medium", "2024-11-18 10:00", "2024-11-18 10:05")
    t = store.get(tid)
    assert t.resolution_due == "2024-11-21T10:00:00+01:00"  # three business days
    t = _move(store, tid, "waiting_user", "2024-11-18 11:00")
    assert t.paused_since == "2024-11-18T10:00:00+00:00"
    state = sla_state(t, at("2024-11-18 15:00"), CFG)
    assert state["response"]["state"] == "met"  # answered before the pause: not paused
    res = state["resolution"]
    assert res["state"] == "paused" and res["paused_s"] == 4 * 3600
    assert res["due"] == "2024-11-21T10:00:00+01:00"  # nothing moves while it lasts …
    assert res["due_if_resumed"] == "2024-11-21T14:00:00+01:00"  # … 4 h stood still so far
    t = _move(store, tid, "in_progress", "2024-11-19 11:00")
    assert t.paused_since is None
    assert t.resolution_due == "2024-11-22T10:00:00+01:00"  # 9 business hours later
    assert t.response_due == "2024-11-18T14:00:00+01:00"
    (pause,) = t.pauses
    assert pause == {"since": "2024-11-18T10:00:00+00:00", "until": "2024-11-19T10:00:00+00:00",
                     "paused_s": 86400, "moved": {"resolution": {
                         "from": "2024-11-21T10:00:00+01:00",
                         "to": "2024-11-22T10:00:00+01:00"}}}
    actions = [h.action for h in t.history]
    assert actions[-4:] == ["status", "sla_paused", "sla_resumed", "status"]
    assert t.history[-2].detail == pause
    assert sla_state(t, at("2024-11-22 09:00"))["resolution"]["state"] == "pending"
    assert sla_state(t, at("2024-11-22 09:00"))["resolution"]["left_s"] == 3600
    assert sla_state(t, at("2024-11-22 10:01"))["resolution"]["state"] == "breached"
    assert sla_state(t, at("2024-11-22 09:00"))["resolution"]["paused_s"] == 86400


def test_a_weekend_of_waiting_costs_only_the_business_hours_in_it(store) -> None:
    tid = _working(store, "low", "2024-11-22 09:00", "2024-11-22 09:10")  # a Friday
    assert store.get(tid).resolution_due == "2024-11-28T18:00:00+01:00"  # 45 business h
    _move(store, tid, "waiting_user", "2024-11-22 17:00")
    t = _move(store, tid, "in_progress", "2024-11-25 10:00")
    # Fri 17–18 and Mon 9–10 are business time; the weekend is not.
    assert t.resolution_due == "2024-11-29T11:00:00+01:00"
    assert t.pauses[0]["paused_s"] == 65 * 3600


def test_urgent_counts_the_pause_in_real_time(store) -> None:
    tid = _working(store, "urgent", "2024-11-23 22:00", "2024-11-23 22:05")  # a Saturday
    assert store.get(tid).resolution_due == "2024-11-24T02:00:00+01:00"
    _move(store, tid, "waiting_user", "2024-11-23 23:00")
    t = _move(store, tid, "in_progress", "2024-11-24 00:40")
    assert t.resolution_due == "2024-11-24T03:40:00+01:00"


def test_a_clock_overdue_when_the_pause_began_stays_overdue(store) -> None:
    tid = _working(store, "high", "2024-11-18 10:00", "2024-11-18 10:05")
    assert store.get(tid).resolution_due == "2024-11-18T18:00:00+01:00"  # the same day
    _move(store, tid, "waiting_user", "2024-11-18 19:00")
    assert sla_state(store.get(tid), at("2024-11-18 19:30"))["resolution"]["state"] == \
        "breached"
    t = _move(store, tid, "in_progress", "2024-11-19 10:00")
    assert t.resolution_due == "2024-11-18T18:00:00+01:00" and t.pauses[0]["moved"] == {}


def test_l2s_clock_pauses_too_and_l2_asking_the_user_is_its_answer(store) -> None:
    tid = _new(store, "medium", "2024-11-18 10:00")
    t = workflow.escalate(store, CFG, tid, workflow.EscalateRequest("L2-network", "l1-ann"),
                          at=at("2024-11-18 10:00"))
    assert t.escalations[0].response_due == "2024-11-18T11:00:00+01:00"
    # The escalating engineer asks the user something: L2 has not answered yet.
    _move(store, tid, "waiting_user", "2024-11-18 10:20")
    assert sla_state(store.get(tid), at("2024-11-18 10:40"))["escalation"]["state"] == "paused"
    t = _move(store, tid, "escalated", "2024-11-18 10:50")
    assert (t.status, t.level) == ("escalated", "L2")
    assert t.escalations[0].response_due == "2024-11-18T11:30:00+01:00"
    assert store.get(tid).escalations[0].response_due == "2024-11-18T11:30:00+01:00"  # kept
    assert t.pauses[0]["moved"]["escalation"]["index"] == 0
    # L2 asks the user: that is L2's response; its clock is met, not paused.
    t = _move(store, tid, "waiting_user", "2024-11-18 11:10", by="l2-li")
    state = sla_state(t, at("2024-11-18 12:00"))
    assert state["escalation"]["state"] == "met"
    assert state["escalation"]["at"] == "2024-11-18T10:10:00+00:00"
    assert state["escalation"]["paused_s"] == 30 * 60
    assert state["resolution"]["state"] == "paused"
    t = _move(store, tid, "escalated", "2024-11-18 12:10", by="l2-li")
    assert t.escalations[0].response_due == "2024-11-18T11:30:00+01:00"  # met: not moved
    assert set(t.pauses[1]["moved"]) == {"resolution"}


def test_resolving_while_waiting_ends_the_pause(store) -> None:
    tid = _working(store, "medium", "2024-11-18 10:00", "2024-11-18 10:05")
    _move(store, tid, "waiting_user", "2024-11-18 11:00")
    t = workflow.resolve(store, tid, workflow.ResolveRequest(
        "The user reinstalled the VPN client", "none needed", "none needed", "l1-ann"),
        cfg=CFG, at=at("2024-11-18 16:00"))
    assert t.status == "resolved" and t.paused_since is None
    assert t.resolution_due == "2024-11-21T15:00:00+01:00"
    assert sla_state(t, at("2024-11-30 10:00"))["resolution"]["state"] == "met"


def test_the_pause_is_a_team_setting(store) -> None:
    off = TicketConfig(timezone="Europe/Berlin", pause_while_waiting=False)
    tid = _working(store, "medium", "2024-11-18 10:00", "2024-11-18 10:05", off)
    t = _move(store, tid, "waiting_user", "2024-11-18 11:00", cfg=off)
    assert t.paused_since is None
    assert sla_state(t, at("2024-11-18 12:00"), off)["resolution"]["state"] == "pending"
    t = _move(store, tid, "in_progress", "2024-11-19 11:00", cfg=off)
    assert t.resolution_due == "2024-11-21T10:00:00+01:00" and t.pauses == []
    assert "sla_paused" not in [h.action for h in t.history]


def test_a_new_priority_keeps_the_time_the_clocks_stood_still(store) -> None:
    tid = _working(store, "medium", "2024-11-18 10:00", "2024-11-18 10:05")
    _move(store, tid, "waiting_user", "2024-11-18 11:00")
    _move(store, tid, "in_progress", "2024-11-19 11:00")
    t = workflow.update(store, CFG, tid, workflow.Update(priority="low"), "lead-kim")
    assert t.resolution_due == "2024-11-26T10:00:00+01:00"  # 5 business days + 9 h paused


@pytest.mark.parametrize("value", ["false", "true", "off"])
def test_the_setting_must_be_true_or_false(cli, _isolated_home: Path, value: str) -> None:
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        f"tickets:\n  pause_while_waiting: '{value}'\n", encoding="utf-8")
    r = cli("ticket", "new", "--title", "x", "--no-collect")
    assert r.code == 2 and "pause_while_waiting" in r.err and "true or false" in r.err


# --------------------------------------------------------------------------- L2's clock

def _l2_breach_only(_isolated_home: Path) -> str:
    """A ticket whose only overdue clock is L2's: escalated 2h50m ago, nobody answered."""
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        "tickets:\n  around_the_clock: [urgent, high, medium, low]\n", encoding="utf-8")
    from toolkit.tickets import config

    cfg = config.load()
    s = SQLiteStore(_isolated_home / "tickets.db")
    try:
        t0 = datetime.now(timezone.utc) - timedelta(hours=3)
        t = workflow.new_ticket(s, cfg, Intake(title="Sync to the ERP fails", priority="low"),
                                "l1-ann", now=t0)
        workflow.escalate(s, cfg, t.id, workflow.EscalateRequest("L2-dev", "l1-ann"),
                          at=t0 + timedelta(minutes=10))
    finally:
        s.close()
    return t.id


def test_list_breaching_covers_l2s_response_clock(cli, _isolated_home: Path) -> None:
    tid = _l2_breach_only(_isolated_home)
    quiet = new_ticket(cli, "--priority", "low")["id"]
    rows = json.loads(cli("ticket", "list", "--breaching", "--json").out)
    assert [r["id"] for r in rows] == [tid]
    sla = rows[0]["sla"]
    assert sla["escalation"]["state"] == "breached"
    assert sla["response"]["state"] == "met" and sla["resolution"]["state"] == "pending"
    assert rows[0]["escalation_due"] == show(cli, tid)["escalations"][0]["response_due"]
    (row,) = table(cli("ticket", "list", "--breaching").out)
    assert (row["ID"], row["PRIORITY"], row["STATUS"], row["LEVEL"]) == (tid, "low",
                                                                          "escalated", "L2")
    assert (row["RESPONSE"], row["L2"]) == ("met", "breached")
    assert re.fullmatch(r"due \d\d-\d\d \d\d:\d\d", row["RESOLUTION"])
    assert re.fullmatch(r"breached 1h5\dm ago \(L2\)", row["LEFT"]), row
    assert row["TITLE"] == "Sync to the ERP fails"
    assert quiet in cli("ticket", "list").out
    assert "L2 response due" in cli("ticket", "show", tid).out


def test_respond_stops_l2s_clock_even_for_the_same_person(cli, _isolated_home: Path) -> None:
    tid = _l2_breach_only(_isolated_home)
    cli("ticket", "note", tid, "checked the logs", "--by", "l1-ann")  # the escalator: no
    assert show(cli, tid)["sla"]["escalation"]["state"] == "breached"
    r = cli("ticket", "respond", tid, "L2 here: a certificate expired", "--by", "l1-ann")
    assert r.code == 0, r.err
    doc = show(cli, tid)
    assert doc["sla"]["escalation"]["state"] == "late"
    assert doc["notes"][-1]["text"] == "L2 here: a certificate expired"
    assert doc["history"][-1]["action"] == "responded"
    r = cli("ticket", "respond", tid)
    assert r.code == 2 and "nothing on" in r.err and "waits for a response" in r.err


# --------------------------------------------------------------------------- show and list

def test_show_and_list_tell_a_paused_ticket(cli) -> None:
    tid = new_ticket(cli, "--priority", "medium")["id"]
    cli("ticket", "move", tid, "triaged")
    cli("ticket", "move", tid, "in_progress")
    r = cli("ticket", "move", tid, "waiting_user")
    assert r.code == 0 and "the clocks stand still" in r.out
    doc = show(cli, tid)
    assert doc["paused_since"] is not None and doc["sla"]["resolution"]["state"] == "paused"
    assert doc["sla"]["response"]["state"] == "met"
    (row,) = json.loads(cli("ticket", "list", "--json").out)
    assert row["paused_since"] == doc["paused_since"] and row["paused_s"] >= 0
    assert row["sla"]["resolution"]["state"] == "paused"
    (line,) = table(cli("ticket", "list").out)
    assert (line["RESPONSE"], line["RESOLUTION"], line["L2"]) == ("met", "paused", "—")
    assert re.fullmatch(r"paused, \S+ left \(resolution\)", line["LEFT"]), line
    text = cli("ticket", "show", tid).out
    assert "waiting on the user since" in text and "paused, waiting on the user" in text
    assert json.loads(cli("ticket", "list", "--due-within", "100d", "--json").out) == []
    r = cli("ticket", "move", tid, "in_progress")
    assert "the clocks run again after" in r.out
    doc = show(cli, tid)
    assert doc["paused_since"] is None and len(doc["pauses"]) == 1
    assert [h["action"] for h in doc["history"]][-3:] == ["sla_paused", "sla_resumed",
                                                          "status"]


def test_list_is_coloured_on_a_terminal_only(tmp_path: Path) -> None:
    def listing(**env: str) -> str:
        child = pexpect.spawn(sys.executable, ["-m", "toolkit", "ticket", "list"],
                              env={**os.environ, **env}, encoding="utf-8", timeout=30)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        return str(child.before)
    from conftest import run_process

    proc = run_process("ticket", "new", "--title", "Printer jams", "--no-collect",
                       "--reported-at", "2024-11-18T10:00")
    assert proc.returncode == 0
    assert "\x1b[31m" in listing() and "breached" in listing()  # red: overdue
    plain = listing(NO_COLOR="1")
    assert "\x1b[" not in plain and "breached" in plain
    piped = run_process("ticket", "list")
    assert "\x1b[" not in piped.stdout and "breached" in piped.stdout
