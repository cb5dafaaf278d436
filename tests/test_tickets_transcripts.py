"""Issue 16's scenarios on a real terminal (pexpect): escalate a new ticket; L2 asks the
user, the clocks stand still, the user answers and the due time has moved by the
pause; L2 hands the case back; a run for a closed ticket is asked about; a bundle of
another ticket is asked about. Each command is a real process on a pty, as a person
at the keyboard would type it."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path

from terminal_support import Terminal
from tickets_support import PLAYBOOK, make_bundle, new_ticket, show


def typed(*args: str) -> tuple[int, str]:
    term = Terminal(*args)
    code = term.end()
    return code, term.transcript


def test_escalate_a_new_ticket(cli) -> None:
    tid = new_ticket(cli, "--title", "Whole floor loses the network every hour")["id"]
    code, out = typed("ticket", "escalate", tid, "--to", "L2-network", "--reason",
                      "loss starts past the core switch", "--by", "l1-ann")
    assert code == 0, out
    assert "escalated straight from new (skipped triaged, in_progress" in out
    assert f"{tid}: escalated to L2-network; response due " in out
    code, out = typed("ticket", "show", tid)
    assert code == 0
    assert "new → escalated (skipped triaged, in_progress)" in out
    assert "L2 response due" in out and re.search(r"— pending \(\S+ left\)", out), out
    code, out = typed("ticket", "list")
    head, row = [ln for ln in out.splitlines() if ln.strip()][:2]
    assert head.split()[:4] == ["ID", "PRIORITY", "STATUS", "LEVEL"]
    assert row.split()[:4] == [tid, "medium", "escalated", "L2"]


def test_l2_asks_the_user_the_clocks_stand_still_and_the_due_time_moves(cli) -> None:
    tid = new_ticket(cli, "--priority", "urgent")["id"]  # around the clock: real seconds
    assert cli("ticket", "escalate", tid, "--to", "L2-network", "--by", "l1-ann").code == 0
    before = show(cli, tid)
    code, out = typed("ticket", "move", tid, "waiting_user", "--by", "l2-li")
    assert code == 0, out
    assert f"{tid}: waiting_user — the clocks stand still until the user answers" in out
    code, out = typed("ticket", "show", tid)
    assert "paused, waiting on the user" in out and "waiting on the user since" in out
    code, out = typed("ticket", "list")
    row = [ln for ln in out.splitlines() if ln.startswith(tid)][0]
    assert " paused " in row and "paused, " in row
    time.sleep(2.1)  # the user takes a while: the pause must be longer than a second
    code, out = typed("ticket", "move", tid, "escalated", "--by", "l2-li")
    assert code == 0, out
    m = re.search(r"escalated — the clocks run again after (\S+): resolution due (\S+ \S+) → "
                  r"(\S+ \S+)", out)
    assert m, out
    after = show(cli, tid)
    assert (after["status"], after["level"]) == ("escalated", "L2")
    (pause,) = after["pauses"]
    span = datetime.fromisoformat(pause["until"]) - datetime.fromisoformat(pause["since"])
    assert span.total_seconds() >= 2 and pause["paused_s"] == span.total_seconds()
    moved = datetime.fromisoformat(after["resolution_due"]) - datetime.fromisoformat(
        before["resolution_due"])
    assert moved == span  # the due time moved by exactly the paused span
    assert m.group(2) == before["resolution_due"].replace("T", " ")
    assert m.group(3) == after["resolution_due"].replace("T", " ")
    # L2 asking the user was L2's answer: its clock is met and was not moved.
    assert after["sla"]["escalation"]["state"] == "met"
    assert after["escalations"][0]["response_due"] == before["escalations"][0]["response_due"]
    assert after["sla"]["resolution"]["paused_s"] == pause["paused_s"]


def test_l2_hands_the_case_back(cli) -> None:
    tid = new_ticket(cli)["id"]
    assert cli("ticket", "escalate", tid, "--to", "L2-hardware", "--by", "l1-ann").code == 0
    code, out = typed("ticket", "move", tid, "in_progress", "--by", "l2-wu")
    assert code == 2 and f"ticket deescalate {tid} --reason" in out
    code, out = typed("ticket", "deescalate", tid, "--reason",
                      "SMART is clean; reinstall the storage driver", "--by", "l2-wu")
    assert code == 0, out
    assert f"{tid}: handed back to L1 — in_progress" in out
    doc = show(cli, tid)
    assert (doc["status"], doc["level"]) == ("in_progress", "L1")
    code, out = typed("ticket", "show", tid)
    assert "handed back to L1 by L2: SMART is clean" in out
    assert "escalated → in_progress (SMART is clean" in out


def test_a_run_for_a_closed_ticket_is_asked_about(cli, tmp_path: Path) -> None:
    tid = new_ticket(cli)["id"]
    for args in (("move", tid, "triaged"), ("move", tid, "in_progress"),
                 ("resolve", tid, "--solution", "x", "--backup", "none", "--rollback", "none"),
                 ("verify", tid, "--fixed"), ("close", tid)):
        assert cli("ticket", *args).code == 0
    pb = tmp_path / "tk-test.yaml"
    pb.write_text(PLAYBOOK, encoding="utf-8")
    out = tmp_path / "out"
    term = Terminal("run", str(pb), "--ticket", tid, "--out", str(out), cwd=tmp_path)
    term.expect(f"warning: {tid} is closed")
    term.answer(r"Run it for \S+ anyway\? \[y/N\]", "n")
    assert term.end() == 2
    assert f"Error: {tid} is closed; nothing was run" in term.transcript
    assert "--force" in term.transcript
    assert not out.exists() or list(out.iterdir()) == []
    term = Terminal("run", str(pb), "--ticket", tid, "--out", str(out), cwd=tmp_path)
    term.answer(r"Run it for \S+ anyway\? \[y/N\]", "y")
    term.answer(r"Did this fix it\? \[y/N\]", "n")
    assert term.end() == 0, term.transcript
    assert f"Recorded in {tid} (status closed)" in term.transcript
    run = [h for h in show(cli, tid)["history"] if h["action"] == "run"][-1]
    assert run["detail"]["forced"] is True


def test_a_bundle_of_another_ticket_is_asked_about(cli, tmp_path: Path) -> None:
    first, second = new_ticket(cli)["id"], new_ticket(cli)["id"]
    bundle, _ = make_bundle(tmp_path / "b", ticket=first)
    term = Terminal("ticket", "attach", second, str(bundle))
    term.expect(f"was made for {first}, not {second}")
    term.answer(r"Attach it to \S+ anyway\? \[y/N\]", "n")
    assert term.end() == 2
    assert f"supportkit ticket attach {first}" in term.transcript
    assert show(cli, second)["attachments"] == []
    term = Terminal("ticket", "attach", second, str(bundle), "--json")
    term.answer(r"Attach it to \S+ anyway\? \[y/N\]", "y")
    assert term.end() == 0
    text = term.transcript
    assert json.loads(text[text.index("{"):])["attachments"][0]["name"] == bundle.name
