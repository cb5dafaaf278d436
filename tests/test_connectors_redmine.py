"""The Redmine connector against a real Redmine (Debian's package, started on
127.0.0.1 by scripts/redmine): a whole case with a 20 MB bundle, verified by
downloading it back; re-push without duplicates; status pulled back; the
401 and 422 errors as a person reads them. Root only (it installs packages)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from tickets_support import new_ticket, show

import toolkit.connectors.registry

pytestmark = [pytest.mark.needs_root, pytest.mark.redmine]
SCRIPT = ROOT / "scripts" / "redmine"
MB = 1 << 20


@dataclass
class Redmine:
    url: str
    key: str
    project: str
    startup_s: float

    def api(self, method: str, path: str, doc: Any = None, key: str | None = None) -> Any:
        data = json.dumps(doc).encode() if doc is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "X-Redmine-API-Key": key or self.key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 (127.0.0.1 only)
            body = resp.read()
        return json.loads(body) if body.strip() else None

    def set(self, name: str, value: str) -> None:
        subprocess.run([str(SCRIPT), "set", name, value], check=True, timeout=300,
                       capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redmine():
    if os.geteuid() != 0:
        pytest.skip("needs root: scripts/redmine installs Debian packages")
    if not shutil.which("apt-get") or not shutil.which("dpkg-query"):
        pytest.skip("needs apt (Debian/Ubuntu) to install Redmine")
    policy = subprocess.run(["apt-cache", "policy", "redmine"], capture_output=True, text=True)
    if "Candidate: (none)" in policy.stdout or not policy.stdout.strip():
        pytest.skip("no redmine package in the apt sources")
    port = int(os.environ.get("SUPPORTKIT_REDMINE_PORT") or _free_port())
    t0 = time.monotonic()
    proc = subprocess.run([str(SCRIPT), "up", str(port)], capture_output=True, text=True,
                          timeout=1200)
    startup = time.monotonic() - t0
    assert proc.returncode == 0, f"scripts/redmine up failed:\n{proc.stderr[-3000:]}"
    info = dict(line.split("=", 1) for line in proc.stdout.split())
    key = Path(info["key_file"]).read_text().strip()
    print(f"\nRedmine up in {startup:.1f} s ({proc.stderr.strip().splitlines()[-1]})")
    yield Redmine(info["url"], key, info["project"], startup)
    subprocess.run([str(SCRIPT), "down"], capture_output=True, timeout=60)


@pytest.fixture
def configured(redmine: Redmine, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(toolkit.connectors.registry, "_CONNECTORS", None)
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        f"connectors:\n  redmine:\n    url: {redmine.url}\n    project: {redmine.project}\n"
        "    custom_fields: {'Support ticket': '{id}'}\n", encoding="utf-8")
    monkeypatch.setenv("SUPPORTKIT_REDMINE_TOKEN", redmine.key)
    return redmine


def _case_with_bundle(cli, tmp_path: Path, size: int) -> tuple[str, Path]:
    """A ticket, a `run general --attach` of `size` random bytes, escalated to L2."""
    tid = new_ticket(cli, "--impact", "high", "--urgency", "medium")["id"]
    blob = tmp_path / "capture.bin"
    with open(blob, "wb") as fh:
        for _ in range(size // MB):
            fh.write(os.urandom(MB))
    r = cli("run", "general", "--ticket", tid, "--attach", str(blob), "--non-interactive",
            "--quiet", "--out", str(tmp_path / "out"))
    assert r.code in (0, 3), r.err
    for status in ("triaged", "in_progress"):
        assert cli("ticket", "move", tid, status).code == 0
    assert cli("ticket", "note", tid, "--tried", "--text", "Restarted the laptop").code == 0
    assert cli("ticket", "escalate", tid, "--to", "L2-hardware").code == 0
    att = show(cli, tid)["attachments"][0]
    return tid, Path(os.environ["SUPPORTKIT_HOME"]) / "tickets-files" / att["path"]


def _same_bytes(url: str, key: str, local: Path) -> bool:
    req = urllib.request.Request(url, headers={"X-Redmine-API-Key": key})
    with urllib.request.urlopen(req, timeout=120) as resp, open(local, "rb") as fh:  # noqa: S310
        while True:
            got = resp.read(MB)
            want = fh.read(len(got) or MB)
            if got != want:
                return False
            if not got:
                return True


def test_a_whole_case_with_a_20_mb_bundle(cli, configured: Redmine, tmp_path: Path,
                                          capsys) -> None:
    rm = configured
    tid, kept = _case_with_bundle(cli, tmp_path, 20 * MB)
    assert kept.stat().st_size > 20 * MB
    t0 = time.monotonic()
    r = cli("ticket", "push", tid, "--to", "redmine", "--json")
    took = time.monotonic() - t0
    assert r.code == 0, r.err
    assert rm.key not in r.out + r.err
    doc = json.loads(r.out)
    assert doc["created"] is True and len(doc["uploaded"]) == 1 and doc["noted"] is True
    issue = rm.api("GET", f"/issues/{doc['remote_id']}.json?include=attachments,journals")[
        "issue"]
    assert issue["subject"].startswith(f"[{tid}] ")
    assert issue["tracker"]["name"] == "Support" and issue["priority"]["name"] == "High"
    assert issue["status"]["name"] == "In Progress"  # ours: escalated
    assert {f["name"]: f["value"] for f in issue["custom_fields"]}["Support ticket"] == tid
    (att,) = issue["attachments"]
    assert att["filesize"] == kept.stat().st_size
    assert hashlib.sha256(kept.read_bytes()).hexdigest() in att["description"]
    # Redmine's API reports no digest: download it back and compare byte for byte.
    assert _same_bytes(att["content_url"], rm.key, kept)
    notes = [j["notes"] for j in issue["journals"] if j["notes"]]
    assert len(notes) == 1 and "Escalated to L2-hardware" in notes[0]
    assert "Restarted the laptop" in notes[0]
    # The key was in the environment of the run that wrote the bundle, and of the push.
    with zipfile.ZipFile(kept) as zf:
        assert not any(rm.key.encode() in zf.read(n) for n in zf.namelist())
    assert rm.key not in cli("ticket", "show", tid, "--json").out
    with capsys.disabled():
        print(f"\n20 MB case pushed to Redmine in {took:.1f} s (startup {rm.startup_s:.1f} s)")

    # Again: the same issue, no second upload, no second note.
    again = json.loads(cli("ticket", "push", tid, "--to", "redmine", "--json").out)
    assert again["remote_id"] == doc["remote_id"] and again["created"] is False
    assert again["uploaded"] == [] and len(again["already_uploaded"]) == 1
    assert again["noted"] is False
    # Earlier runs pushed their own SUP-000001 (another store): the marker tells them apart.
    marker = issue["description"].splitlines()[-1]
    assert marker.startswith(f"supportkit ticket {tid} (ref ")
    found = rm.api("GET", f"/issues.json?project_id={rm.project}&status_id=*"
                   f"&subject=~{tid}&limit=100")["issues"]
    assert [i["id"] for i in found if marker in i["description"]] == [int(doc["remote_id"])]
    issue = rm.api("GET", f"/issues/{doc['remote_id']}.json?include=attachments,journals")[
        "issue"]
    assert len(issue["attachments"]) == 1
    assert len([j for j in issue["journals"] if j["notes"]]) == 1

    # L2 resolves it in Redmine; pull brings the status back, mapped to ours.
    statuses = rm.api("GET", "/issue_statuses.json")["issue_statuses"]
    resolved = next(s["id"] for s in statuses if s["name"] == "Resolved")
    rm.api("PUT", f"/issues/{doc['remote_id']}.json", {"issue": {"status_id": resolved}})
    (pulled,) = json.loads(cli("ticket", "pull", tid, "--json").out)
    assert pulled["remote_status"] == "Resolved" and pulled["mapped"] == "resolved"
    assert pulled["local"] == "escalated" and pulled["in_sync"] is False
    history = show(cli, tid)["history"]
    assert history[-1]["action"] == "connector_pulled"
    assert history[-1]["detail"]["remote_status"] == "Resolved"
    # A re-push does not undo what L2 set: our status did not change since the last push.
    cli("ticket", "push", tid, "--to", "redmine")
    assert rm.api("GET", f"/issues/{doc['remote_id']}.json")["issue"]["status"]["name"] == \
        "Resolved"


def test_a_wrong_key_is_a_clear_401(cli, configured: Redmine, monkeypatch) -> None:
    tid = new_ticket(cli)["id"]
    monkeypatch.setenv("SUPPORTKIT_REDMINE_TOKEN", "0" * 40)
    r = cli("ticket", "push", tid, "--to", "redmine")
    assert r.code == 1
    assert r.err.startswith("Error: Redmine refused the API key from env "
                            "SUPPORTKIT_REDMINE_TOKEN (HTTP 401) — check the key")
    assert "0" * 40 not in r.err + r.out and configured.key not in r.err + r.out


def test_a_too_small_attachment_max_size_is_a_clear_422(cli, configured: Redmine,
                                                        tmp_path: Path) -> None:
    tid, _ = _case_with_bundle(cli, tmp_path, 2 * MB)
    configured.set("attachment_max_size", "1024")  # KB
    try:
        r = cli("ticket", "push", tid, "--to", "redmine")
    finally:
        configured.set("attachment_max_size", "102400")
    assert r.code == 1
    assert re.search(r"Error: Redmine refused the 2(\.\d)? MB file: attachment_max_size is 1 MB "
                    "— raise it in Administration › Settings › Files", r.err), r.err
