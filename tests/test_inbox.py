"""The inbox, against the real server on 127.0.0.1: links that work once, for one ticket,
until they expire; hostile uploads refused; big ones streamed; crashes leave nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from bundle_forge import forge, members
from inbox_support import Inbox, link, put, ticket
from seal_support import make_bundle, signer

from toolkit.serve.client import parse_link


@pytest.fixture
def inbox(tmp_path: Path, _isolated_home: Path):
    server = Inbox(tmp_path / "serve.log")
    yield server
    server.stop()


def _show(cli, tid: str) -> dict:
    r = cli("ticket", "show", tid, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def _upload(cli, bundle: Path, url: str) -> tuple[int, str, str]:
    r = cli("bundle", "upload", str(bundle), url, "--json")
    return r.code, r.out, r.err


def test_from_the_users_machine_to_the_ticket_in_three_commands(cli, inbox: Inbox,
                                                                 _isolated_home: Path) -> None:
    tid = ticket(cli)
    url = link(cli, tid, inbox)  # 1. L2 makes a link
    token = parse_link(url).token
    r = cli("run", "general", "--non-interactive", "--json", "--only", "system.info",
            "--upload", url)  # 2. the user runs the playbook and sends the bundle
    assert r.code == 0, r.err + inbox.errors()
    doc = json.loads(r.out)
    assert doc["upload"]["ticket"] == tid and doc["upload"]["attachment"]["added"] is True
    case = _show(cli, tid)  # 3. L2 has it on the ticket
    [att] = case["attachments"]
    assert att["source"] == "upload" and att["sha256"] == doc["upload"]["attachment"]["sha256"]
    [entry] = [h for h in case["history"] if h["action"] == "uploaded"]
    assert entry["by"] == "inbox" and entry["detail"]["remote"] == "127.0.0.1"
    assert entry["detail"]["link_issued_by"] and entry["detail"]["signature"] == "unsigned"
    # The token is stored hashed, never as given; the server never logged it.
    db = _isolated_home / "tickets-inbox" / "tokens.db"
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    assert token.encode() not in db.read_bytes() and token not in inbox.errors()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT used_at IS NOT NULL FROM tokens").fetchall() == [(1,)]
    # The same link again: refused, the bundle stays where it is.
    code, _, err = _upload(cli, Path(doc["bundle"]), url)
    assert code == 1 and "HTTP 410" in err and "used already" in err
    assert len(_show(cli, tid)["attachments"]) == 1


def test_a_signed_sealed_bundle_is_opened_with_the_servers_identity(
        cli, tmp_path: Path, _isolated_home: Path) -> None:
    team = cli("keys", "new", "team", "--kind", "seal").out.strip()
    alice = signer("alice")
    server = Inbox(tmp_path / "serve.log")  # started once the identity exists
    try:
        tid = ticket(cli)
        plain = make_bundle(tmp_path / "b", ticket=tid, signer=alice)
        sealed = Path(cli("bundle", "seal", str(plain), "--to", team).out.strip())
        code, out, err = _upload(cli, sealed, link(cli, tid, server))
        assert code == 0, err + server.errors()
        answer = json.loads(out)
        assert answer["sealed"] is True and answer["signature"]["status"] == "trusted"
        assert answer["signature"]["signer"] == "alice"
        [entry] = [h for h in _show(cli, tid)["history"] if h["action"] == "uploaded"]
        assert entry["detail"]["sealed"] is True and entry["detail"]["signer"] == "alice"
        # Sealed to someone else: refused, and the link may be used again.
        from pyrage import x25519

        other = str(x25519.Identity.generate().to_public())
        foreign = Path(cli("bundle", "seal", str(plain), "--to", other, "-o",
                           str(tmp_path)).out.strip())
        url = link(cli, tid, server)
        code, _, err = _upload(cli, foreign, url)
        assert code == 1 and "HTTP 422" in err and "sealed to someone else" in err
    finally:
        server.stop()


def test_expired_tokens_are_refused(cli, inbox: Inbox, tmp_path: Path,
                                    _isolated_home: Path) -> None:
    from toolkit.serve.client import make_link
    from toolkit.serve.tokens import TokenRefused, TokenStore

    tid = ticket(cli)
    tokens = TokenStore(_isolated_home / "tickets-inbox")
    now = datetime.now(timezone.utc)
    # Issued two days ago for one day: the clock is given, not waited for.
    old, _ = tokens.issue(tid, "l2", timedelta(days=1), 10**9, now=now - timedelta(days=2))
    bundle = make_bundle(tmp_path / "b", ticket=tid)
    code, _, err = _upload(cli, bundle, make_link(inbox.url, tid, old))
    assert code == 1 and "HTTP 410" in err and "expired" in err
    # The same decision with an injected clock: valid just before, refused just after.
    fresh, until = tokens.issue(tid, "l2", timedelta(hours=1), 10**9, now=now)
    expiry = datetime.fromisoformat(until)
    with pytest.raises(TokenRefused) as refused:
        tokens.claim(fresh, tid, now=expiry + timedelta(seconds=1))
    assert refused.value.status == 410
    grant = tokens.claim(fresh, tid, now=expiry - timedelta(seconds=1))
    tokens.release(grant)
    assert _upload(cli, bundle, make_link(inbox.url, tid, fresh))[0] == 0


def test_a_token_for_one_ticket_is_refused_for_another(cli, inbox: Inbox,
                                                       tmp_path: Path) -> None:
    a, b = ticket(cli, "first"), ticket(cli, "second")
    url = link(cli, a, inbox)
    bundle = make_bundle(tmp_path / "b")
    stolen = url.replace(f"/tickets/{a}/", f"/tickets/{b}/")
    code, _, err = _upload(cli, bundle, stolen)
    assert code == 1 and "HTTP 403" in err and "another ticket" in err
    assert _show(cli, b)["attachments"] == []
    assert _upload(cli, bundle, url)[0] == 0  # still good for its own ticket


def test_no_token_or_a_made_up_one_is_refused(cli, inbox: Inbox) -> None:
    tid = ticket(cli)
    target = f"{inbox.url}/v1/tickets/{tid}/bundle"
    status, doc = put(target, b"PK..", {})
    assert status == 401 and doc["error"] == "no upload token"
    status, doc = put(target, b"PK..", {"Authorization": "Bearer " + "x" * 43})
    assert status == 401 and "not valid" in doc["error"]


def test_tampered_bombs_and_junk_are_refused_and_the_link_stays_usable(
        cli, inbox: Inbox, tmp_path: Path) -> None:
    tid = ticket(cli)
    url = link(cli, tid, inbox)
    good = make_bundle(tmp_path / "b", ticket=tid, signer=signer("alice"))
    _, content = members(good)
    findings = json.loads(content["findings.json"])
    findings["findings"] = []
    rehashed = forge(good, tmp_path / "rehashed.zip",
                     files={"findings.json": json.dumps(findings).encode()})
    altered = forge(good, tmp_path / "altered.zip", rehash=False,
                    files={"attachments/note.txt": b"something else entirely\n"})
    bomb = forge(good, tmp_path / "bomb.zip", files={"attachments/zeros.bin": bytes(20 << 20)})
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all" * 100)
    auth = {"Authorization": f"Bearer {parse_link(url).token}"}
    for bad, why in ((rehashed, "signature does not match"), (altered, "content differs"),
                     (bomb, "zip bomb"), (junk, "not a readable zip")):
        code, _, err = _upload(cli, bad, url)
        assert code == 1 and "HTTP 422" in err, (bad.name, err)
        status, doc = put(parse_link(url).shown(), bad.read_bytes(), auth)
        assert status == 422 and why in json.dumps(doc), (bad.name, doc)
        assert str(inbox.log.parent) not in json.dumps(doc)  # no server path in an answer
    assert _show(cli, tid)["attachments"] == []
    code, out, err = _upload(cli, good, url)  # refusals gave the link back
    assert code == 0, err
    assert json.loads(out)["signature"]["signer"] == "alice"


def test_a_bundle_larger_than_the_link_allows_is_refused(cli, inbox: Inbox,
                                                         tmp_path: Path) -> None:
    tid = ticket(cli)
    url = link(cli, tid, inbox, "--max-size", "1M")
    big = make_bundle(tmp_path / "b", blob_mb=2)
    code, _, err = _upload(cli, big, url)
    assert code == 1 and "HTTP 413" in err and "up to 1 MB" in err
    small = make_bundle(tmp_path / "s")
    assert _upload(cli, small, url)[0] == 0


def test_twenty_uploads_at_once_are_all_attached(cli, inbox: Inbox, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from toolkit.serve.client import upload

    tid = ticket(cli)
    jobs = [(make_bundle(tmp_path / f"b{n}", note=f"bundle number {n}"), link(cli, tid, inbox))
            for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda job: upload(*job), jobs))
    assert all(a["ticket"] == tid and a["attachment"]["added"] for a in answers)
    case = _show(cli, tid)
    assert len(case["attachments"]) == 20
    assert len({a["sha256"] for a in case["attachments"]}) == 20
    assert len([h for h in case["history"] if h["action"] == "uploaded"]) == 20


def test_push_on_to_a_configured_connector(cli, tmp_path: Path, _isolated_home: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_trackers import FakeJira, basic

    jira = FakeJira(basic("ops@example.com", "jira-token-123"))
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        f"connectors:\n  jira:\n    url: {jira.url}\n    project: OPS\n"
        "    user: ops@example.com\n", encoding="utf-8")
    monkeypatch.setenv("SUPPORTKIT_JIRA_TOKEN", "jira-token-123")
    server = Inbox(tmp_path / "serve.log", "--push", "jira")
    try:
        tid = ticket(cli)
        code, out, err = _upload(cli, make_bundle(tmp_path / "b"), link(cli, tid, server))
        assert code == 0, err + server.errors()
        pushed = json.loads(out)["pushed"]
        assert pushed["ok"] is True and pushed["remote_id"] == "OPS-1"
        assert jira.problems == [] and len(jira.issues["OPS-1"].attachments) == 1
    finally:
        server.stop()
        jira.close()


def test_tls_with_the_operators_certificate(cli, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                           "-keyout", str(key), "-out", str(cert), "-days", "3650", "-subj",
                           "/CN=inbox.test", "-addext", "subjectAltName=IP:127.0.0.1"],
                          capture_output=True)
    if made.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")
    server = Inbox(tmp_path / "serve.log", "--tls-cert", str(cert), "--tls-key", str(key),
                   cafile=cert)
    try:
        tid = ticket(cli)
        url = link(cli, tid, server)
        bundle = make_bundle(tmp_path / "b")
        code, _, err = _upload(cli, bundle, url)
        assert code == 1 and "certificate" in err  # not trusted yet: refused, not ignored
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the operator's CA, given to the client
        code, out, err = _upload(cli, bundle, url)
        assert code == 0, err + server.errors()
    finally:
        server.stop()


def test_partial_uploads_leave_no_attachment_and_a_restart_cleans_them(
        cli, tmp_path: Path, _isolated_home: Path) -> None:
    import http.client

    server = Inbox(tmp_path / "serve.log")
    tid = ticket(cli)
    url = link(cli, tid, server)
    bundle = make_bundle(tmp_path / "b", blob_mb=8)
    size = bundle.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("PUT", parse_link(url).path)
        conn.putheader("Authorization", f"Bearer {parse_link(url).token}")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        with open(bundle, "rb") as fh:
            conn.send(fh.read(size // 2))  # half of it, then the server dies
        uploads = _isolated_home / "tickets-inbox" / "uploads"
        partial = _wait_for(lambda: [p for p in uploads.rglob("body.partial")
                                     if p.stat().st_size > 0])
        server.kill()
    finally:
        conn.close()
    assert partial[0].exists()  # SIGKILL: nothing could clean up…
    assert _show(cli, tid)["attachments"] == []  # …and nothing was attached
    with zipfile.ZipFile(bundle):
        pass
    server.start()  # the next start removes it, and gives the link back
    try:
        assert not partial[0].exists() and list(uploads.iterdir()) == []
        assert "removed the partial upload" in server.errors()
        code, _, err = _upload(cli, bundle, url)
        assert code == 0, err + server.errors()
        assert len(_show(cli, tid)["attachments"]) == 1
    finally:
        server.stop()


def _wait_for(probe, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_upload_link_takes_the_public_address_from_a_safe_config(
        cli, _isolated_home: Path) -> None:
    import os

    tid = ticket(cli)
    config = _isolated_home / "config.yaml"
    config.write_text("serve:\n  url: https://inbox.example.com/support\n")
    r = cli("ticket", "upload-link", tid, "--expires", "2h", "--max-size", "50M", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    found = parse_link(doc["url"])
    assert found.base_url == "https://inbox.example.com/support" and found.ticket == tid
    assert doc["max_size"] == 50_000_000
    issued = datetime.fromisoformat(doc["expires_at"]) - datetime.now(timezone.utc)
    assert timedelta(minutes=119) < issued <= timedelta(hours=2)
    os.chmod(config, 0o666)  # anyone could send the users' bundles elsewhere
    r = cli("ticket", "upload-link", tid)
    assert r.code == 2 and "not safe to use" in r.err
    for bad in (["--expires", "45d"], ["--expires", "soon"], ["--max-size", "lots"]):
        assert cli("ticket", "upload-link", tid, "--url", "http://x", *bad).code == 2, bad
