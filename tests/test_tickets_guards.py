"""Guard rails around the case (issue 16): a run for a closed ticket, a bundle made for
another ticket, the environment taken from the machine the evidence came from, and
``bundle show`` on a bundle that does not verify. The terminal side (warn and ask) is
in test_tickets_transcripts.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bundle_forge import forge, members
from conftest import run_process
from tickets_support import PLAYBOOK, make_bundle, new_ticket, show

RESOLVE = ("--solution", "Freed 20 GB", "--backup", "none needed", "--rollback", "none")
SYSINFO_PLAYBOOK = """\
id: tk-sys
version: 1
title: Machine facts
category: hardware
timeout: 30
steps:
  - collect: system.info
    id: sys
    with: {sample_s: 0.05}
"""


def _closed(cli) -> str:
    tid = new_ticket(cli)["id"]
    for args in (("move", tid, "triaged"), ("move", tid, "in_progress"), ("resolve", tid,
                 *RESOLVE), ("verify", tid, "--fixed"), ("close", tid)):
        assert cli("ticket", *args).code == 0, args
    return tid


# --------------------------------------------------------------------------- closed ticket

def test_an_unattended_run_for_a_closed_ticket_is_refused_unless_forced(cli,
                                                                     tmp_path: Path) -> None:
    tid = _closed(cli)
    pb = tmp_path / "tk-test.yaml"
    pb.write_text(PLAYBOOK, encoding="utf-8")
    out = tmp_path / "out"
    proc = run_process("run", str(pb), "--ticket", tid, "--non-interactive", "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"Error: {tid} is closed — ") and "--force" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not out.exists() or list(out.iterdir()) == []  # nothing was run
    before = len(show(cli, tid)["history"])
    proc = run_process("run", str(pb), "--ticket", tid, "--non-interactive", "--force",
                       "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"Recorded in {tid} (status closed)" in proc.stderr
    doc = show(cli, tid)
    run = [h for h in doc["history"][before:] if h["action"] == "run"][0]
    assert run["detail"]["forced"] is True and run["detail"]["on_closed_ticket"] is True
    assert doc["status"] == "closed"
    # --plan runs nothing, so it needs nothing
    assert run_process("run", str(pb), "--ticket", tid, "--plan").returncode == 0


# --------------------------------------------------------------------------- other ticket

def test_a_bundle_made_for_another_ticket_is_refused_unattended(cli, tmp_path: Path) -> None:
    first = new_ticket(cli)["id"]
    second = new_ticket(cli)["id"]
    bundle, _ = make_bundle(tmp_path / "b", ticket=first)
    r = cli("ticket", "attach", second, str(bundle))
    assert r.code == 2 and r.err.count("\n") == 1
    assert f"was made for {first}, not {second}" in r.err and "--force" in r.err
    assert show(cli, second)["attachments"] == []
    assert cli("ticket", "attach", first, str(bundle)).code == 0  # its own: no question
    r = cli("ticket", "attach", second, str(bundle), "--force", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert len(doc["attachments"]) == 1
    assert any(f"made for {first}; attached to {second} on purpose" in h["detail"].get("text",
               "") for h in doc["history"])
    # the workflow refuses it too, whoever calls it
    from toolkit.errors import BadInput
    from toolkit.tickets import workflow
    from toolkit.tickets.store import open_store

    third = new_ticket(cli)["id"]
    store = open_store()
    try:
        with pytest.raises(BadInput, match=f"made for {first}"):
            workflow.attach(store, third, bundle, "api")
    finally:
        store.close()


@pytest.mark.parametrize("named", ["SUP-000002", "sup-2", "2", "SUP-2"])
def test_the_same_ticket_written_differently_is_the_same(named: str) -> None:
    from toolkit.tickets.workflow import same_ticket

    assert same_ticket(named, "SUP-000002")
    assert not same_ticket(named.replace("2", "3"), "SUP-000002")
    assert not same_ticket("HD-000002", "SUP-000002")


# --------------------------------------------------------------------------- environment

@pytest.fixture
def machine_bundle(tmp_path: Path) -> Path:
    """A real bundle whose system.info step ran on this machine."""
    pb = tmp_path / "tk-sys.yaml"
    pb.write_text(SYSINFO_PLAYBOOK, encoding="utf-8")
    proc = run_process("run", str(pb), "--non-interactive", "--out", str(tmp_path / "sys"),
                       "--quiet")
    assert proc.returncode == 0, proc.stderr
    return Path(proc.stdout.strip())


def _other_machine(src: Path, dst: Path, host: str = "pc-0042",
                   created: str | None = None) -> Path:
    """The same bundle as if made on the user's PC (and, given ``created``, then)."""
    _, content = members(src)
    rel = next(r for r in content if r.endswith("-system.info/result.json"))
    result = json.loads(content[rel])
    result["hostname"] = host
    result["device"] = {"vendor": "LENOVO", "model": "20XW0026GE",
                        "version": "ThinkPad X1 Carbon Gen 9", "firmware": None}
    result["os"]["pretty_name"] = "Windows 11 Pro"

    def when(m: dict) -> None:
        if created:
            m["created"] = created
    return forge(src, dst, manifest=when, files={rel: json.dumps(result).encode()})


def test_the_environment_comes_from_the_machine_the_evidence_came_from(
        cli, tmp_path: Path, machine_bundle: Path) -> None:
    import socket

    tid = new_ticket(cli)["id"]  # --no-collect: nothing known yet
    r = cli("ticket", "attach", tid, str(machine_bundle))
    assert r.code == 0 and "environment is now the bundle's machine" in r.err
    env = show(cli, tid)["environment"]
    assert env["source"] == "bundle" and env["hostname"] == socket.gethostname()
    assert env["collected_by"] == "system.info" and env["os"]
    sha = show(cli, tid)["attachments"][0]["sha256"]
    assert env["bundle"].startswith(sha[:12])
    # L1 writes down what the user said about the device: kept over the evidence.
    r = cli("ticket", "update", tid, "--env", "device=Dell Latitude 7440", "--json")
    assert json.loads(r.out)["env_typed"] == ["device"]
    user_pc = _other_machine(machine_bundle, tmp_path / "user-pc.zip")
    assert cli("ticket", "attach", tid, str(user_pc)).code == 0
    doc = show(cli, tid)
    env = doc["environment"]
    assert env["hostname"] == "pc-0042" and env["os"] == "Windows 11 Pro"
    assert env["device"] == "Dell Latitude 7440"
    entry = [h for h in doc["history"] if h["action"] == "environment"][-1]
    assert entry["detail"]["kept"] == ["device"]
    assert entry["detail"]["changed"]["hostname"] == {"from": socket.gethostname(),
                                                      "to": "pc-0042"}
    # An older bundle attached afterwards does not take the environment back.
    old = _other_machine(machine_bundle, tmp_path / "old.zip", host="pc-old",
                         created="2020-01-01T00:00:00+00:00")
    assert cli("ticket", "attach", tid, str(old)).code == 0
    assert len(show(cli, tid)["attachments"]) == 3
    assert show(cli, tid)["environment"] == env
    # Clearing the typed fact lets the evidence fill it at the next bundle.
    cli("ticket", "update", tid, "--env", "device=")
    assert "device" not in show(cli, tid)["environment"]
    md = cli("ticket", "export", tid).out
    assert "the machine the evidence came from" in md and "pc-0042" in md


def test_a_run_recorded_takes_its_machine_too(cli, tmp_path: Path) -> None:
    tid = new_ticket(cli)["id"]
    pb = tmp_path / "tk-sys.yaml"
    pb.write_text(SYSINFO_PLAYBOOK, encoding="utf-8")
    proc = run_process("run", str(pb), "--ticket", tid, "--non-interactive",
                       "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    doc = show(cli, tid)
    assert doc["environment"]["source"] == "bundle"
    assert "environment" in [h["action"] for h in doc["history"]]


# --------------------------------------------------------------------------- bundle show

def test_bundle_show_warns_loudly_on_a_bundle_that_does_not_verify(cli, tmp_path: Path) -> None:
    bundle, _ = make_bundle(tmp_path / "b")
    r = cli("bundle", "show", str(bundle), "--json")
    doc = json.loads(r.out)
    assert r.code == 0 and doc["verified"] is True and doc["problems"] == []
    _, content = members(bundle)
    bad = forge(bundle, tmp_path / "bad.zip", rehash=False,
                files={"findings.json": content["findings.json"].replace(b"97%", b"12%")})
    r = cli("bundle", "show", str(bad))
    assert r.code == 4
    assert r.err.startswith(f"WARNING: {bad} does not verify: findings.json")
    assert r.out.startswith(f"UNVERIFIED: {bad} — 1 problem(s)")
    assert "Disk C: is 12% full" in r.out  # still shown, under the warning
    r = cli("bundle", "show", str(bad), "--json")
    assert r.code == 4 and r.err.startswith("WARNING: ")
    doc = json.loads(r.out)  # one document, extended
    assert doc["verified"] is False and doc["problems"][0].startswith("findings.json")
    assert doc["findings"][0]["finding"] == "Disk C: is 12% full"
