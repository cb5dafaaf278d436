"""A whole case, as real processes: intake → triage → two real ``supportkit run
general --ticket ID`` runs → escalation to L2 → risky fix checked by a second
person → verification → closure with a KB draft. The record must read like a case
a second-line engineer can act on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import run_process


def _sk(*args: str) -> subprocess.CompletedProcess[str]:
    proc = run_process(*args)
    assert proc.returncode == 0, (args, proc.stderr)
    return proc


def test_whole_life_of_a_case(_isolated_home: Path) -> None:
    doc = json.loads(_sk(
        "ticket", "new", "--title", "Laptop very slow, files take minutes to open",
        "--description", "Since Monday every program is slow; Explorer hangs when saving.",
        "--error-message", "There is not enough space on the disk.", "--reporter",
        "alice (finance)", "--channel", "phone", "--occurred-at", "2024-11-18T09:10",
        "--reported-at", "2024-11-18T09:30", "--impact", "medium", "--urgency", "high",
        "--by", "l1-ann", "--json").stdout)
    tid = doc["id"]
    assert doc["environment"]["collected_by"] == "system.info"
    _sk("ticket", "move", tid, "triaged", "--by", "lead-kim")
    _sk("ticket", "move", tid, "in_progress", "--assignee", "l1-ann", "--by", "l1-ann")
    first = _sk("run", "general", "--ticket", tid, "--non-interactive", "--json")
    assert f"Recorded in {tid}" in first.stderr
    _sk("ticket", "note", tid, "--tried", "--text", "Emptied the recycle bin and %TEMP%",
        "--by", "l1-ann")
    second = _sk("run", "general", "--ticket", tid, "--non-interactive", "--json")
    assert f"Recorded in {tid}" in second.stderr, second.stderr
    bundles = [json.loads(p.stdout)["bundle"] for p in (first, second)]
    assert all(Path(b).name.startswith(f"{tid}_") for b in bundles)
    _sk("ticket", "escalate", tid, "--to", "L2-hardware", "--reason",
        "Disk keeps filling up after cleanup; needs root-cause analysis", "--by", "l1-ann")
    _sk("ticket", "note", tid, "--text", "L2 took over; a backup agent writes 5 GB/day of logs",
        "--by", "l2-li")
    _sk("ticket", "resolve", tid, "--solution", "Limited the backup agent's log retention "
        "to 7 days and removed 48 GB of old logs", "--backup", "Logs archived to "
        "\\\\nas\\it\\SUP-logs before deletion", "--rollback", "Restore the archived logs and "
        "the previous agent.conf from the NAS", "--risky", "--checked-by", "l2-wu",
        "--by", "l2-li")
    _sk("ticket", "verify", tid, "--fixed", "--satisfaction", "4", "--feedback",
        "Fast again, thanks", "--by", "l1-ann")
    _sk("ticket", "close", tid, "--kb", "--by", "l1-ann")

    case = json.loads(_sk("ticket", "show", tid, "--json").stdout)
    assert case["status"] == "closed" and case["kb"] == f"KB-{tid}"
    assert case["level"] == "L2" and case["assignee"] == "l1-ann"
    assert len(case["attachments"]) == 2
    assert {a["source"] for a in case["attachments"]} == {"run"}
    assert {a["playbook"] for a in case["attachments"]} == {"general"}
    for att in case["attachments"]:
        stored = _isolated_home / "tickets-files" / att["path"]
        assert run_process("bundle", "verify", str(stored)).returncode == 0
    (esc,) = case["escalations"]
    assert esc["to"] == "L2-hardware" and esc["by"] == "l1-ann"
    assert esc["resources"] == ["second-line engineer", "replacement disk"]  # general: disk
    tried = [t["what"] for t in esc["tried"]]
    assert "Emptied the recycle bin and %TEMP%" in tried
    # general's guide step is an instruction, not a fix attempt: not "tried"
    assert not any(t.startswith("Save your work") for t in tried)
    assert esc["responded_at"] is not None  # L2 answered
    assert case["solution"]["checked_by"] == "l2-wu" and case["solution"]["risky"] is True
    assert case["verification"] == {**case["verification"], "confirmed": True,
                                    "satisfaction": 4}
    actions = [h["action"] for h in case["history"]]
    for expected in ("created", "status", "attached", "run", "note", "escalated", "resolved",
                     "verified", "kb_drafted"):
        assert expected in actions
    moves = [(h["detail"]["from"], h["detail"]["to"]) for h in case["history"]
             if h["action"] == "status"]
    assert moves == [("new", "triaged"), ("triaged", "in_progress"),
                     ("in_progress", "escalated"), ("escalated", "resolved"),
                     ("resolved", "closed")]
    assert {h["by"] for h in case["history"]} >= {"l1-ann", "lead-kim", "l2-li"}
    assert case["sla"]["response"]["state"] == "late"  # reported in 2024, answered today
    assert case["sla"]["escalation"]["state"] == "met"

    md = _sk("ticket", "export", tid, "--format", "md").stdout
    for section in ("## Summary", "## Escalation", "## Problem", "## Error message",
                    "## Environment", "## Already tried", "## Findings", "## Evidence",
                    "## Solution", "## Verification", "## History"):
        assert section in md, section
    assert "second-line engineer, replacement disk" in md
    assert "There is not enough space on the disk." in md
    assert all(a["sha256"] in md for a in case["attachments"])
    assert "yes, checked by l2-wu" in md
