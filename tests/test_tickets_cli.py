"""``supportkit ticket …`` and ``supportkit kb …``: every command, its JSON, its errors."""

from __future__ import annotations

import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pexpect
import pytest
from conftest import run_process
from tickets_support import make_bundle, new_ticket, show, table

COMMANDS = ("new", "list", "show", "classify", "attach", "note", "move", "update", "escalate",
            "resolve", "verify", "close", "reopen", "export")
RESOLVE = ("--solution", "Freed 20 GB on C:", "--backup", "none needed: nothing deleted",
           "--rollback", "nothing to roll back")


def _in_progress(cli, *extra: str) -> str:
    tid = new_ticket(cli, *extra)["id"]
    assert cli("ticket", "move", tid, "triaged").code == 0
    assert cli("ticket", "move", tid, "in_progress").code == 0
    return tid


def test_help_for_every_command(cli) -> None:
    r = cli("-h")
    assert "  ticket " in r.out and "  kb " in r.out
    for sub in COMMANDS:
        r = cli("ticket", sub, "--help")
        assert r.code == 0 and "Usage: supportkit ticket" in r.out, sub
    for sub in ("search", "show"):
        assert cli("kb", sub, "--help").code == 0


# --------------------------------------------------------------------------- intake

def test_new_with_flags_returns_the_ticket(cli) -> None:
    r = cli("ticket", "new", "--title", "Outlook crashes on attachments", "--description",
            "Since this morning", "--error-message", "0xc0000005", "--reporter", "alice",
            "--channel", "phone", "--impact", "medium", "--urgency", "high",
            "--no-collect", "--by", "l1-bob", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["id"] == "SUP-000001" and doc["status"] == "new" and doc["level"] == "L1"
    assert doc["priority"] == "high" and doc["category"] == "software"
    assert doc["response_due"][19:] and doc["resolution_due"][-6] in "+-"  # with offset
    assert doc["history"][0]["by"] == "l1-bob" and doc["history"][0]["action"] == "created"
    assert doc["environment"] == {}
    r = cli("ticket", "new", "--title", "second", "--no-collect")
    assert r.code == 0 and r.out.startswith("SUP-000002 recorded")
    assert "response due" in r.out and "resolution due" in r.out


def test_new_fills_the_environment_from_system_info(cli) -> None:
    r = cli("ticket", "new", "--title", "slow", "--json")
    assert r.code == 0 and r.err == ""  # --json: nothing but the document
    env = json.loads(r.out)["environment"]
    assert env["collected_by"] == "system.info", env
    assert env["hostname"] and env["os"] and env["cpus"] >= 1


def test_new_without_title_never_waits_when_stdin_is_not_a_terminal() -> None:
    proc = run_process("ticket", "new", "--no-collect", timeout=30)
    assert proc.returncode == 2
    assert "a ticket needs a title" in proc.stderr and "--title" in proc.stderr


def test_new_interactive_template_on_a_terminal(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "toolkit", "ticket", "new", "--no-collect",
                                           "--json"], env=dict(os.environ), encoding="utf-8",
                          timeout=30)
    for prompt, answer in (("What happens", "Printer prints blank pages"),
                           ("What exactly happens", "Every page comes out empty"),
                           ("error message", ""), ("When did it happen", "2024-11-22 10:00"),
                           ("Who reports it", "carol"), ("Channel", "chat"),
                           ("Impact", "low"), ("Urgency", "")):
        child.expect(prompt)
        child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = child.before
    doc = json.loads(text[text.index("{"):])
    assert doc["title"] == "Printer prints blank pages" and doc["reporter"] == "carol"
    assert doc["category"] == "hardware" and doc["priority"] == "low"  # low × medium


def test_unknown_ticket_and_numeric_lookup(cli) -> None:
    new_ticket(cli)
    r = cli("ticket", "show", "SUP-000099")
    assert r.code == 2 and "no ticket SUP-000099" in r.err
    assert show(cli, "1")["id"] == "SUP-000001"
    assert show(cli, "sup-000001")["id"] == "SUP-000001"


# --------------------------------------------------------------------------- list

def test_list_filters_and_json(cli) -> None:
    a = new_ticket(cli, "--priority", "urgent", "--reported-at", "2024-01-05T10:00")["id"]
    b = new_ticket(cli, "--priority", "low")["id"]
    c = new_ticket(cli, "--priority", "medium", "--category", "network")["id"]
    rows = json.loads(cli("ticket", "list", "--json").out)
    assert [r["id"] for r in rows] == [a, c, b]  # most urgent first
    assert {r["id"] for r in json.loads(cli("ticket", "list", "--breaching", "--json").out)} \
        == {a}
    r = cli("ticket", "list", "--breaching")  # issue 16: a table, not "OVERDUE: …" lines
    assert r.out.splitlines()[0].split() == ["ID", "PRIORITY", "STATUS", "LEVEL", "RESPONSE",
                                             "RESOLUTION", "L2", "LEFT", "TITLE"]
    (row,) = table(r.out)
    assert list(row.values())[:7] == [a, "urgent", "new", "L1", "breached", "breached", "—"]
    assert re.fullmatch(r"breached \d+d(\d+h)? ago \(response\)", row["LEFT"]), row
    assert row["TITLE"] == "Laptop disk is full"
    assert [r["id"] for r in json.loads(cli("ticket", "list", "--category", "network",
                                            "--json").out)] == [c]
    assert [r["id"] for r in json.loads(cli("ticket", "list", "--priority", "low",
                                            "--json").out)] == [b]
    assert json.loads(cli("ticket", "list", "--status", "closed", "--json").out) == []
    soon = json.loads(cli("ticket", "list", "--due-within", "1d", "--json").out)
    assert a not in {r["id"] for r in soon}  # already overdue is --breaching, not "due"
    r = cli("ticket", "list", "--due-within", "soon")
    assert r.code == 2 and "30m, 1h or 2d" in r.err


def test_list_due_within_uses_the_clocks(cli, _isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        "tickets:\n  around_the_clock: [urgent, high, medium, low]\n", encoding="utf-8")
    urgent = new_ticket(cli, "--priority", "urgent")["id"]  # response in 30 min
    new_ticket(cli, "--priority", "low")  # response in 8 h
    ids = [r["id"] for r in json.loads(cli("ticket", "list", "--due-within", "1h",
                                           "--json").out)]
    assert ids == [urgent]


# --------------------------------------------------------------------------- evidence

def test_attach_verifies_and_stores_content_addressed(cli, tmp_path: Path,
                                                       _isolated_home: Path) -> None:
    tid = _in_progress(cli)
    bundle, _ = make_bundle(tmp_path / "b")
    r = cli("ticket", "attach", tid, str(bundle), "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    (att,) = doc["attachments"]
    stored = _isolated_home / "tickets-files" / f"{att['sha256']}.zip"
    assert stored.is_file() and stored.read_bytes() == bundle.read_bytes()
    assert att["playbook"] == "tk-test" and att["findings"][0]["id"] == "disk_full"
    assert doc["findings"][0]["finding"] == "Disk C: is 97% full"
    assert cli("bundle", "verify", str(stored)).code == 0
    r = cli("ticket", "attach", tid, str(bundle))
    assert r.code == 0 and "already attached" in r.out
    assert len(show(cli, tid)["attachments"]) == 1


def test_attach_refuses_tampered_or_missing_bundles(cli, tmp_path: Path,
                                                    _isolated_home: Path) -> None:
    tid = _in_progress(cli)
    bundle, _ = make_bundle(tmp_path / "b")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("findings.json"):
                data = data.replace(b"97%", b"12%")
            zout.writestr(info, data)
    r = cli("ticket", "attach", tid, str(bad))
    assert r.code == 2 and "fails verification" in r.err and "findings.json" in r.err
    r = cli("ticket", "attach", tid, str(tmp_path / "nope.zip"))
    assert r.code == 2 and "no such file" in r.err
    assert show(cli, tid)["attachments"] == []
    assert list((_isolated_home / "tickets-files").iterdir()) == []


def test_run_with_ticket_attaches_and_records(cli, tmp_path: Path) -> None:
    tid = _in_progress(cli)
    make_bundle(tmp_path / "pb")  # writes the playbook file
    pb = tmp_path / "pb" / "tk-test.yaml"
    answers = tmp_path / "answers.yaml"
    answers.write_text("restart: false\n")
    r = cli("run", str(pb), "--ticket", tid, "--answers", str(answers), "--json",
            "--out", str(tmp_path / "out"))
    assert r.code == 0, r.err
    assert f"Recorded in {tid} (status in_progress)" in r.err
    doc = show(cli, tid)
    assert doc["attachments"][0]["source"] == "run"
    assert doc["tried"][0]["what"] == "Restart the application."
    assert doc["tried"][0]["result"] == "not fixed"
    run_entry = [h for h in doc["history"] if h["action"] == "run"][0]
    assert run_entry["detail"]["tried"] == ["restart"]


def test_run_fixed_by_a_guide_step_resolves_the_ticket(cli, tmp_path: Path) -> None:
    tid = new_ticket(cli)["id"]  # still new: the ticket walks the allowed moves
    make_bundle(tmp_path / "pb")
    answers = tmp_path / "answers.yaml"
    answers.write_text("restart: true\n")
    r = cli("run", str(tmp_path / "pb" / "tk-test.yaml"), "--ticket", tid, "--answers",
            str(answers), "--out", str(tmp_path / "out"))
    assert r.code == 0 and "resolved by step restart" in r.err
    doc = show(cli, tid)
    assert doc["status"] == "resolved"
    assert doc["solution"]["text"] == "Restart the application."
    assert doc["solution"]["source"] == "self-help"
    moves = [(h["detail"]["from"], h["detail"]["to"]) for h in doc["history"]
             if h["action"] == "status"]
    assert moves == [("new", "triaged"), ("triaged", "in_progress"),
                     ("in_progress", "resolved")]
    assert doc["tried"] == []


def test_run_with_unknown_ticket_only_names_the_bundle(cli, tmp_path: Path) -> None:
    make_bundle(tmp_path / "pb")
    pb = str(tmp_path / "pb" / "tk-test.yaml")
    r = cli("run", pb, "--ticket", "SUP-000042", "--quiet", "--out", str(tmp_path / "out"))
    assert r.code == 0 and "no ticket store" in r.err and "SUP-000042_" in r.out
    new_ticket(cli)
    r = cli("run", pb, "--ticket", "SUP-000042", "--quiet", "--out", str(tmp_path / "out"))
    assert r.code == 0 and "ticket SUP-000042 is not in" in r.err


# --------------------------------------------------------------------------- notes, moves

def test_note_tried_and_who(cli) -> None:
    tid = new_ticket(cli)["id"]
    assert cli("ticket", "note", tid, "--text", "Called the user back").code == 0
    r = cli("ticket", "note", tid, "--text", "Emptied the recycle bin", "--tried", "--by", "eve",
            "--json")
    doc = json.loads(r.out)
    assert [n["kind"] for n in doc["notes"]] == ["note", "tried"]
    assert doc["notes"][1]["by"] == "eve" and doc["notes"][0]["by"]  # the OS user
    assert doc["tried"][0]["what"] == "Emptied the recycle bin"
    assert doc["responded_at"] is not None
    assert cli("ticket", "note", tid, "--text", "  ").code == 2
    assert cli("ticket", "note", tid).code == 2


def test_update_reclassifies_and_recomputes_due_times(cli) -> None:
    doc = new_ticket(cli, "--priority", "low")
    r = cli("ticket", "update", doc["id"], "--category", "network", "--impact", "high",
            "--urgency", "high", "--priority", "urgent", "--assignee", "net-team", "--json")
    got = json.loads(r.out)
    assert got["category"] == "network" and got["priority"] == "urgent"
    assert got["assignee"] == "net-team" and got["response_due"] < doc["response_due"]
    assert got["history"][-1]["action"] == "updated"
    assert cli("ticket", "update", doc["id"], "--impact", "huge").code == 2


# --------------------------------------------------------------------------- escalation

def test_escalate_records_the_package(cli, tmp_path: Path) -> None:
    tid = _in_progress(cli, "--priority", "urgent", "--description", "C: is full")
    bundle, _ = make_bundle(tmp_path / "b")
    cli("ticket", "attach", tid, str(bundle))
    cli("ticket", "note", tid, "--tried", "--text", "Deleted temp files")
    r = cli("ticket", "escalate", tid, "--to", "L2-hardware", "--by", "l1-ann", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    esc = doc["escalations"][0]
    assert esc["to"] == "L2-hardware" and doc["level"] == "L2" and doc["status"] == "escalated"
    assert esc["resources"] == ["hardware engineer", "replacement disk"]  # from the run
    assert esc["reason"] == "The disk is full and the user cannot free space"
    assert "C: is full" in esc["description"]
    assert [t["what"] for t in esc["tried"]] == ["Restart the application.",
                                                 "Deleted temp files"]
    assert esc["findings"][0]["finding"] == "Disk C: is 97% full"
    from datetime import datetime
    gap = datetime.fromisoformat(esc["response_due"]) - datetime.fromisoformat(esc["at"])
    assert gap.total_seconds() == 3600  # urgent: around the clock
    assert doc["sla"]["escalation"]["state"] == "pending"
    cli("ticket", "note", tid, "--text", "L2 here, looking", "--by", "l2-li")
    assert show(cli, tid)["sla"]["escalation"]["state"] == "met"


def test_escalate_with_given_resources_and_nothing_tried(cli) -> None:
    tid = _in_progress(cli)
    r = cli("ticket", "escalate", tid, "--to", "L2-network", "--resources", "network engineer",
            "--resources", "switch access,packet capture", "--reason", "loss at the core")
    assert r.code == 0 and "nothing is recorded as tried" in r.err
    esc = show(cli, tid)["escalations"][0]
    assert esc["resources"] == ["network engineer", "switch access", "packet capture"]
    assert esc["reason"] == "loss at the core"


# --------------------------------------------------------------------------- solution

def test_resolve_needs_the_risk_plan_and_second_person_for_risky(cli) -> None:
    tid = _in_progress(cli)
    r = cli("ticket", "resolve", tid, "--solution", "x", "--rollback", "y")
    assert r.code == 2 and "--backup" in r.err
    r = cli("ticket", "resolve", tid, *RESOLVE, "--risky")
    assert r.code == 2 and "second person" in r.err and "--checked-by" in r.err
    r = cli("ticket", "resolve", tid, *RESOLVE, "--risky", "--checked-by", "bob", "--by", "bob")
    assert r.code == 2 and "someone else" in r.err
    assert show(cli, tid)["status"] == "in_progress"
    r = cli("ticket", "resolve", tid, *RESOLVE, "--risky", "--checked-by", "dana", "--by", "bob",
            "--step", "stop the service", "--step", "move the logs", "--json")
    assert r.code == 0, r.err
    sol = json.loads(r.out)["solution"]
    assert sol["risky"] and sol["checked_by"] == "dana" and sol["by"] == "bob"
    assert sol["steps"] == ["stop the service", "move the logs"]


def test_verify_close_with_kb_draft_and_reopen(cli, _isolated_home: Path) -> None:
    tid = _in_progress(cli, "--title", "Disk full on the laptop")
    cli("ticket", "resolve", tid, *RESOLVE)
    r = cli("ticket", "reopen", tid, "--reason", "user says it is back", "--json")
    doc = json.loads(r.out)
    assert doc["status"] == "reopened" and doc["solution"] is None and doc["resolved_at"] is None
    cli("ticket", "move", tid, "in_progress")
    cli("ticket", "resolve", tid, *RESOLVE)
    cli("ticket", "verify", tid, "--fixed", "--satisfaction", "5", "--feedback", "great")
    r = cli("ticket", "close", tid, "--kb", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["status"] == "closed" and doc["kb"] == f"KB-{tid}"
    draft = _isolated_home / "kb" / f"KB-{tid}.md"
    assert draft.is_file() and "Freed 20 GB on C:" in draft.read_text(encoding="utf-8")
    r = cli("kb", "show", f"KB-{tid}")
    assert r.code == 0 and "draft from" in r.out and "Freed 20 GB" in r.out
    hits = json.loads(cli("kb", "search", "Disk full on the laptop", "--json").out)
    assert hits[0]["id"] == f"KB-{tid}"


# --------------------------------------------------------------------------- export

@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_export_formats(cli, tmp_path: Path, fmt: str) -> None:
    tid = _in_progress(cli, "--error-message", "Low disk space <C:> | drive")
    cli("ticket", "escalate", tid, "--to", "L2")
    r = cli("ticket", "export", tid, "--format", fmt)
    assert r.code == 0
    if fmt == "json":
        doc = json.loads(r.out)
        assert doc["format"] == "supportkit-escalation-package" and doc["ticket"]["id"] == tid
    elif fmt == "html":
        assert r.out.startswith("<!doctype html>") and "&lt;C:&gt;" in r.out
        assert "<script" not in r.out and "http://" not in r.out and "https://" not in r.out
    else:
        assert r.out.startswith(f"# {tid} — ") and "## Escalation" in r.out
        assert "Low disk space <C:> \\| drive" in r.out or "Low disk space <C:> | drive" in r.out
    out = tmp_path / f"x.{fmt}"
    r = cli("ticket", "export", tid, "--format", fmt, "--out", str(out))
    assert r.code == 0 and out.is_file()


# --------------------------------------------------------------------------- kb

def test_kb_search_and_show(cli) -> None:
    r = cli("kb", "search", "disk", "full", "--json")
    assert json.loads(r.out)[0]["id"] == "KB-DISK-001"
    assert json.loads(cli("kb", "search", "账号", "被锁", "--json").out)[0]["id"] == "KB-ACC-005"
    r = cli("kb", "show", "kb-disk-001", "--lang", "zh")
    assert r.code == 0 and "释放磁盘空间" in r.out
    r = cli("kb", "show", "KB-DISK-001", "--json")
    doc = json.loads(r.out)
    assert set(doc["body"]) == {"en", "zh"} and doc["category"] == "hardware"
    r = cli("kb", "show", "KB-DISK-01")
    assert r.code == 2 and "did you mean" in r.err
    r = cli("kb", "search", "zzzz")
    assert r.code == 0 and "No article" in r.err


def test_every_kb_id_the_playbooks_name_exists_in_both_languages() -> None:
    import re

    from toolkit import kb
    from toolkit.paths import shipped_playbooks_dir

    named = set()
    for pb in shipped_playbooks_dir().glob("*.yaml"):
        named |= set(re.findall(r"^\s*kb:\s*(KB-[A-Z0-9-]+)", pb.read_text(encoding="utf-8"),
                                re.M))
    articles = kb.articles()
    assert named and named <= set(articles), sorted(named - set(articles))
    for art in articles.values():
        if art.path.parent == kb.SHIPPED:
            assert set(art.body) == {"en", "zh"} and set(art.title) == {"en", "zh"}, art.id
            assert art.category and art.keywords, art.id
