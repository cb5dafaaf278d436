"""The evidence tells the case as it happened: what the problem was, what a person
really tried (an unattended run tried nothing), and what the checks found."""

from __future__ import annotations

import json
import os
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pexpect
from conftest import run_process
from tickets_support import PLAYBOOK, show

SECRET = "Tr0ub4dor-and-3"


def _ticket(cli: Any) -> str:
    r = cli("ticket", "new", "--title", "Mail program keeps freezing", "--no-collect",
            "--description", f"Outlook hangs when sending; the user typed password={SECRET}",
            "--error-message", "0x800CCC0E: cannot connect to the server",
            "--occurred-at", "2020-01-01T09:00", "--json")
    assert r.code == 0, r.err
    return str(json.loads(r.out)["id"])


def _playbook(tmp_path: Path) -> Path:
    pb = tmp_path / "tk-test.yaml"
    pb.write_text(PLAYBOOK, encoding="utf-8")
    return pb


def _bundle(out: Path) -> Path:
    (bundle,) = out.glob("*.zip")
    return bundle


def _member(bundle: Path, name: str) -> str:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read(next(n for n in zf.namelist() if n.endswith("/" + name))).decode()


def _escalate(cli: Any, tid: str) -> dict[str, Any]:
    for status in ("triaged", "in_progress"):
        assert cli("ticket", "move", tid, status).code == 0
    r = cli("ticket", "escalate", tid, "--to", "L2-hardware", "--json")
    assert r.code == 0, r.err
    return show(cli, tid)


def test_an_unattended_run_tried_nothing(cli, tmp_path: Path) -> None:
    tid = _ticket(cli)
    proc = run_process("run", str(_playbook(tmp_path)), "--ticket", tid, "--non-interactive",
                       "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads(_member(_bundle(tmp_path / "out"), "manifest.json"))
    (step,) = manifest["tried"]
    assert (step["step"], step["done"], step["fixed"]) == ("restart", False, None)
    assert step["answer_source"] == "default"
    doc = _escalate(cli, tid)
    assert doc["tried"] == []
    assert [x["what"] for x in doc["not_done"]] == ["Restart the application."]
    esc = doc["escalations"][-1]
    assert esc["tried"] == [] and esc["not_done"][0]["result"] == "not done (unattended run)"
    md = cli("ticket", "export", tid, "--format", "md").out
    tried = md[md.index("## Already tried"):md.index("## Not done (unattended run)")]
    assert "Nothing recorded as tried." in tried and "Restart the application" not in tried
    assert "Restart the application." in md[md.index("## Not done (unattended run)"):]
    html = _member(_bundle(tmp_path / "out"), "report.html")
    assert "<h2>What was tried</h2>" not in html
    assert "<h2>Not done (unattended run)</h2>" in html


def test_an_answered_not_fixed_is_tried(cli, tmp_path: Path) -> None:
    tid = _ticket(cli)
    child = pexpect.spawn(sys.executable, ["-m", "toolkit", "run", str(_playbook(tmp_path)),
                                           "--ticket", tid, "--out", str(tmp_path / "out")],
                          env=dict(os.environ), encoding="utf-8", timeout=60, cwd=tmp_path)
    child.expect("Restart the application.")
    child.expect(r"Did this fix it\? \[y/N\]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    doc = _escalate(cli, tid)
    assert [(x["what"], x["result"]) for x in doc["tried"]] == [
        ("Restart the application.", "not fixed")]
    assert doc["not_done"] == []
    assert doc["escalations"][-1]["tried"][0]["what"] == "Restart the application."


def test_an_answers_file_counts_as_done(cli, tmp_path: Path) -> None:
    tid = _ticket(cli)
    answers = tmp_path / "answers.yaml"
    answers.write_text("restart: false\n")
    proc = run_process("run", str(_playbook(tmp_path)), "--ticket", tid, "--answers",
                       str(answers), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert [x["result"] for x in show(cli, tid)["tried"]] == ["not fixed"]


def test_bundles_written_before_done_was_recorded_are_read_right(cli, tmp_path: Path) -> None:
    """A bundle whose tried entries carry no ``done`` (older supportkit): the steps'
    answer_source says a default answered, so nobody tried it."""
    proc = run_process("run", str(_playbook(tmp_path)), "--non-interactive",
                       "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    bundle = _bundle(tmp_path / "out")
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(old, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/manifest.json"):
                doc = json.loads(data)
                doc["tried"] = [{"step": "restart", "instruction": "Restart the application.",
                                 "fixed": False}]
                data = json.dumps(doc).encode()
            dst.writestr(info, data)
    tid = _ticket(cli)
    assert cli("ticket", "attach", tid, str(old)).code == 0
    doc = show(cli, tid)
    assert doc["tried"] == [] and len(doc["not_done"]) == 1


def test_the_report_opens_with_the_problem_and_the_machine(cli, tmp_path: Path) -> None:
    tid = _ticket(cli)
    proc = run_process("run", "general", "--ticket", tid, "--non-interactive",
                       "--symptom", "outlook freezes when I send mail",
                       "--out", str(tmp_path / "out"))
    assert proc.returncode in (0, 3), proc.stderr
    bundle = _bundle(tmp_path / "out")
    html = _member(bundle, "report.html")
    manifest = json.loads(_member(bundle, "manifest.json"))
    assert SECRET not in html and SECRET not in json.dumps(manifest)  # redacted on the way in
    info = manifest["ticket_info"]
    assert info["description"].startswith("Outlook hangs when sending")
    assert info["error_message"] == "0x800CCC0E: cannot connect to the server"
    assert manifest["symptom"] == "outlook freezes when I send mail"
    order = [html.index(x) for x in (
        "<h2>The problem</h2>", "Mail program keeps freezing", "outlook freezes when I send mail",
        "Outlook hangs when sending", "0x800CCC0E: cannot connect to the server",
        "<h2>The machine</h2>", 'class="verdict"', "<h2>Steps</h2>")]
    assert order == sorted(order)
    glance = html[html.index("<h2>The machine</h2>"):html.index('class="verdict"')]
    for label in ("<th>OS</th>", "<th>CPU</th>", "<th>Memory</th>", "<th>Disks</th>"):
        assert label in glance
    with zipfile.ZipFile(bundle) as zf:
        name = next(n for n in zf.namelist() if n.endswith("-system.info/result.json"))
        pretty = json.loads(zf.read(name))["os"]["pretty_name"]
    assert pretty in glance


def test_bundle_show_names_a_fired_check_as_a_finding(cli, tmp_path: Path) -> None:
    proc = run_process("run", str(_playbook(tmp_path)), "--non-interactive",
                       "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    r = cli("bundle", "show", str(_bundle(tmp_path / "out")))
    assert r.code == 0
    (line,) = [ln for ln in r.out.splitlines() if re.match(r"\s+\d+\. check", ln)]
    assert line.split()[2:4] == ["disk_full", "finding"]
    assert line.endswith("finding [high] Disk C: is 97% full")
    assert "not done (unattended run)" in r.out
    doc = json.loads(cli("bundle", "show", str(_bundle(tmp_path / "out")), "--json").out)
    check = next(s for s in doc["steps"] if s["kind"] == "check")
    assert check["fired"] is True
