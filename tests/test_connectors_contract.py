"""Jira and Zendesk connectors against fakes that check the documented request
shapes (tests/fake_trackers.py). No live Jira or Zendesk was available: these
are contract tests, not proof against the real services (README › Connectors)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fake_trackers import FakeJira, FakeZendesk, basic
from net_servers import HttpProxy, closed_port, make_cert, pin_names
from tickets_support import make_bundle, new_ticket, show

import toolkit.connectors.registry

TOKEN = "jira-or-zd-token-7f3a9c"
USER = "agent@example.com"


@pytest.fixture(autouse=True)
def _fresh_connectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.connectors.registry, "_CONNECTORS", None)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):  # not the machine's
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def _escalated_case(cli, folder: Path) -> tuple[str, Path]:
    """A ticket with one bundle, something tried, escalated to L2."""
    tid = new_ticket(cli, "--impact", "high", "--urgency", "high")["id"]
    bundle, _ = make_bundle(folder, ticket=tid, big_bytes=300_000)
    assert cli("ticket", "attach", tid, str(bundle)).code == 0
    for status in ("triaged", "in_progress"):
        assert cli("ticket", "move", tid, status).code == 0
    assert cli("ticket", "note", tid, "--tried", "--text", "Emptied the recycle bin").code == 0
    assert cli("ticket", "escalate", tid, "--to", "L2-hardware").code == 0
    return tid, bundle


def _store_file(cli, tid: str, home: Path) -> bytes:
    att = show(cli, tid)["attachments"][0]
    return (home / "tickets-files" / att["path"]).read_bytes()


def _push(cli, tid: str, name: str) -> dict[str, Any]:
    r = cli("ticket", "push", tid, "--to", name, "--json")
    assert r.code == 0, r.err
    assert TOKEN not in r.out + r.err
    doc: dict[str, Any] = json.loads(r.out)
    return doc


# --------------------------------------------------------------------------- Jira

@pytest.fixture
def jira(_isolated_home: Path, monkeypatch: pytest.MonkeyPatch):
    fake = FakeJira(basic(USER, TOKEN))
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        f"connectors:\n  jira:\n    url: {fake.url}\n    project: OPS\n    user: {USER}\n"
        "    custom_fields: {customfield_10042: '{id}'}\n", encoding="utf-8")
    monkeypatch.setenv("SUPPORTKIT_JIRA_TOKEN", TOKEN)
    yield fake
    fake.close()


def test_jira_push_creates_attaches_comments_transitions(cli, jira, tmp_path: Path,
                                                         _isolated_home: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    doc = _push(cli, tid, "jira")
    assert jira.problems == []
    assert doc["created"] is True and doc["remote_id"] == "OPS-1"
    assert doc["url"] == f"{jira.url}/browse/OPS-1"
    issue = jira.issues["OPS-1"]
    assert issue.fields["summary"].startswith(f"[{tid}] ")
    assert issue.fields["priority"] == {"name": "Highest"}  # ours: urgent
    assert issue.fields["issuetype"] == {"name": "Task"}
    assert issue.fields["customfield_10042"] == tid
    # The bundle arrived whole, as the multipart field "file".
    (att,) = issue.attachments
    assert jira.files[att["id"]] == _store_file(cli, tid, _isolated_home)
    assert len(issue.comments) == 1 and "Escalated to L2-hardware" in issue.comments[0]
    assert "Emptied the recycle bin" in issue.comments[0]
    assert issue.status == "In Progress" and doc["status_set"] == "In Progress"


def test_jira_push_again_neither_duplicates_nor_uploads(cli, jira, tmp_path: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    _push(cli, tid, "jira")
    again = _push(cli, tid, "jira")
    assert again["created"] is False and again["remote_id"] == "OPS-1"
    assert again["uploaded"] == [] and again["noted"] is False
    assert jira.count("POST", "/rest/api/2/issue") == 1
    assert jira.count("POST", "/attachments") == 1 and jira.count("POST", "/comment") == 1
    assert jira.count("PUT", "/rest/api/2/issue/OPS-1") == 1  # fields kept up to date
    assert jira.problems == []


def test_jira_pull_maps_the_status_and_its_category(cli, jira, tmp_path: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    _push(cli, tid, "jira")
    jira.issues["OPS-1"].status, jira.issues["OPS-1"].category = "Done", "done"
    (doc,) = json.loads(cli("ticket", "pull", tid, "--json").out)
    assert doc["remote_status"] == "Done" and doc["mapped"] == "resolved"
    assert doc["remote_closed"] is True and doc["local"] == "escalated"
    jira.issues["OPS-1"].status, jira.issues["OPS-1"].category = "Waiting for QA", \
        "indeterminate"
    (doc,) = json.loads(cli("ticket", "pull", tid, "--json").out)
    assert doc["mapped"] == "in_progress"  # unlisted status: mapped by its category


def test_jira_wrong_token_is_a_clear_401(cli, jira, tmp_path: Path, monkeypatch) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    monkeypatch.setenv("SUPPORTKIT_JIRA_TOKEN", "wrong-" + TOKEN)
    r = cli("ticket", "push", tid, "--to", "jira")
    assert r.code == 1
    assert "Error: Jira refused the credentials from env SUPPORTKIT_JIRA_TOKEN (HTTP 401)" \
        in r.err
    assert TOKEN not in r.err + r.out and not jira.issues


def test_jira_413_names_the_size_and_where_to_raise_it(cli, jira, tmp_path: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    original = jira.handle

    def too_big(req):
        if req.path.endswith("/attachments"):
            return 413, {"errorMessages": ["Request Entity Too Large"]}, {}
        return original(req)
    jira.handle = too_big  # type: ignore[method-assign]
    r = cli("ticket", "push", tid, "--to", "jira")
    assert r.code == 1
    assert "Jira refused the 29" in r.err and "file as too large (HTTP 413)" in r.err
    assert "Administration › System › Attachments" in r.err
    # The issue was made and recorded before the upload failed: the next push reuses it.
    jira.handle = original  # type: ignore[method-assign]
    again = _push(cli, tid, "jira")
    assert again["created"] is False and again["remote_id"] == "OPS-1"
    assert len(again["uploaded"]) == 1 and jira.count("POST", "/rest/api/2/issue") == 1


def test_jira_429_waits_as_asked(cli, jira, tmp_path: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    jira.fail_next = [(429, {"errorMessages": ["Rate limit exceeded"]}, {"Retry-After": "1"})]
    r = cli("ticket", "push", tid, "--to", "jira")
    assert r.code == 0, r.err
    assert "Jira: HTTP 429 for GET /rest/api/2/myself; retrying in 1.0 s" in r.err


def test_jira_data_center_uses_a_bearer_token(cli, jira, tmp_path: Path,
                                              _isolated_home: Path) -> None:
    jira.auth = f"Bearer {TOKEN}"
    (_isolated_home / "config.yaml").write_text(
        f"connectors:\n  jira:\n    url: {jira.url}\n    project: OPS\n", encoding="utf-8")
    tid, _ = _escalated_case(cli, tmp_path / "b")
    assert _push(cli, tid, "jira")["created"] is True and jira.problems == []


# --------------------------------------------------------------------------- Zendesk

@pytest.fixture
def zendesk(_isolated_home: Path, monkeypatch: pytest.MonkeyPatch):
    fake = FakeZendesk(basic(f"{USER}/token", TOKEN))
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        f"connectors:\n  desk:\n    type: zendesk\n    url: {fake.url}\n    user: {USER}\n"
        "    custom_fields: {'360001': '{category}'}\n", encoding="utf-8")
    monkeypatch.setenv("SUPPORTKIT_DESK_TOKEN", TOKEN)
    yield fake
    fake.close()


def test_zendesk_push_creates_uploads_and_comments(cli, zendesk, tmp_path: Path,
                                                   _isolated_home: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    doc = _push(cli, tid, "desk")
    assert zendesk.problems == []
    assert doc["created"] is True and doc["url"].endswith(f"/agent/tickets/{doc['remote_id']}")
    ticket = zendesk.tickets[int(doc["remote_id"])]
    assert ticket["external_id"] == tid and ticket["priority"] == "urgent"
    assert ticket["status"] == "hold"  # ours: escalated
    first, summary = zendesk.comments[int(doc["remote_id"])]
    assert first["public"] is False and f"supportkit ticket {tid}" in first["body"]
    assert summary["public"] is False and "Escalated to L2-hardware" in summary["body"]
    (att,) = summary["attachments"]
    token = next(t for t, u in zendesk.uploads.items() if u["id"] == att["id"])
    assert zendesk.uploads[token]["content"] == _store_file(cli, tid, _isolated_home)


def test_zendesk_push_again_neither_duplicates_nor_uploads(cli, zendesk,
                                                           tmp_path: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    first = _push(cli, tid, "desk")
    again = _push(cli, tid, "desk")
    assert again["remote_id"] == first["remote_id"] and again["created"] is False
    assert again["uploaded"] == [] and again["noted"] is False
    assert zendesk.count("POST", "/tickets.json") == 1
    assert zendesk.count("POST", "/uploads.json") == 1
    assert len(zendesk.comments[int(first["remote_id"])]) == 2 and zendesk.problems == []


def test_zendesk_finds_a_ticket_whose_push_died_before_recording_it(
        cli, zendesk, tmp_path: Path, monkeypatch) -> None:
    from toolkit.connectors import _tickets

    tid, _ = _escalated_case(cli, tmp_path / "b")
    real = _tickets.record_link

    def killed(*args: Any, **kw: Any) -> None:
        raise KeyboardInterrupt  # as if the process died right after the create
    monkeypatch.setattr(_tickets, "record_link", killed)
    assert cli("ticket", "push", tid, "--to", "desk").code == 130
    assert len(zendesk.tickets) == 1
    monkeypatch.setattr(_tickets, "record_link", real)
    doc = _push(cli, tid, "desk")
    assert doc["created"] is False and int(doc["remote_id"]) in zendesk.tickets
    assert zendesk.count("POST", "/tickets.json") == 1
    # Another store's ticket with the same number is a namesake, not this case.
    other = tmp_path / "other.db"
    assert cli("ticket", "new", "--title", "x", "--no-collect", "--store", str(other)).code == 0
    r = cli("ticket", "push", tid, "--to", "desk", "--store", str(other), "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["created"] is True and len(zendesk.tickets) == 2


def test_zendesk_pull_maps_solved(cli, zendesk, tmp_path: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    rid = int(_push(cli, tid, "desk")["remote_id"])
    zendesk.tickets[rid]["status"] = "solved"
    r = cli("ticket", "pull", tid)
    assert r.code == 0, r.err
    assert ": solved → resolved; the ticket is escalated" in r.out
    assert f"to follow it: supportkit ticket resolve {tid} …" in r.err


def test_zendesk_422_says_what_it_refused(cli, zendesk, tmp_path: Path) -> None:
    tid, _ = _escalated_case(cli, tmp_path / "b")
    zendesk.fail_next = [(200, {"user": {"id": 1}}, {}), (200, {"tickets": []}, {}),
                         (422, {"error": "RecordInvalid", "description": "Record validation "
                                "errors", "details": {"priority": [{"description":
                                                                    "Priority: is invalid"}]}},
                          {})]
    r = cli("ticket", "push", tid, "--to", "desk")
    assert r.code == 1
    assert "Zendesk refused to create tickets: Record validation errors; RecordInvalid; " \
        "Priority: is invalid — check connectors.desk" in r.err


# --------------------------------------------------------------------------- proxies
# The trackers are named tracker.test, a name only the test proxy resolves (pin_names
# refuses it here): a connector that went around the proxy would fail to connect.

PROXY_USER, PROXY_PASSWORD = "pxuser", "px:pass@w0rd"
PROXY_LOGIN = "pxuser:px%3Apass%40w0rd"  # as written in the proxy URL
HOSTS = {"tracker.test": "127.0.0.1"}


def _proxy_secrets() -> list[str]:
    pair = f"{PROXY_USER}:{PROXY_PASSWORD}"
    return [PROXY_PASSWORD, "px%3Apass%40w0rd", pair, PROXY_LOGIN,
            base64.b64encode(pair.encode()).decode()]


def _leaks(text: str, home: Path) -> list[str]:
    """Proxy secrets found in ``text`` or in any file of the ticket store's home."""
    found = [s for s in _proxy_secrets() if s in text]
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {s}" for s in _proxy_secrets() if s.encode() in data]
    return found


def _config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(text, encoding="utf-8")


def test_jira_push_through_a_proxy_over_plain_http(cli, tmp_path: Path, _isolated_home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    asked = pin_names(monkeypatch, {})
    with HttpProxy(HOSTS, auth=basic(PROXY_USER, PROXY_PASSWORD)) as px:
        jira = FakeJira(basic(USER, TOKEN), name="tracker.test")
        try:
            _config(_isolated_home, f"connectors:\n  jira:\n    url: {jira.url}\n"
                    f"    project: OPS\n    user: {USER}\n")
            monkeypatch.setenv("SUPPORTKIT_JIRA_TOKEN", TOKEN)
            monkeypatch.setenv("http_proxy", f"http://{PROXY_LOGIN}@127.0.0.1:{px.port}")
            tid, _ = _escalated_case(cli, tmp_path / "b")
            doc = _push(cli, tid, "jira")
            human = cli("ticket", "push", tid, "--to", "jira")
        finally:
            jira.close()
    assert doc["created"] is True and jira.problems == [] and px.problems == []
    assert len(jira.issues["OPS-1"].attachments) == 1  # the bundle went through it too
    assert doc["proxy"] == {"url": px.url, "source": "env:http_proxy", "used": True,
                            "note": "with the credentials in the proxy URL (not shown)"}
    assert human.code == 0 and f"through the proxy {px.url} from env:http_proxy" in human.out
    # Absolute-form requests, each with the proxy's login, which the tracker never got.
    assert px.seen and all(s.target.startswith(f"{jira.url}/rest/api/2/") for s in px.seen)
    assert {s.headers["proxy-authorization"] for s in px.seen} == {
        basic(PROXY_USER, PROXY_PASSWORD)}
    assert not [r for r in jira.requests if "proxy-authorization" in r.headers]
    assert asked == [] and _leaks(json.dumps(doc) + human.out + human.err, _isolated_home) == []


@pytest.fixture(scope="module")
def tracker_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl command line not installed (apt install openssl)")
    return make_cert(tmp_path_factory.mktemp("certs"), "tracker", san="DNS:tracker.test")


def _zendesk_over_https(home: Path, monkeypatch: pytest.MonkeyPatch,
                        cert: tuple[Path, Path]) -> FakeZendesk:
    desk = FakeZendesk(basic(f"{USER}/token", TOKEN), cert=cert, name="tracker.test")
    _config(home, f"connectors:\n  desk:\n    type: zendesk\n    url: {desk.url}\n"
            f"    user: {USER}\n    retries: 0\n")
    monkeypatch.setenv("SUPPORTKIT_DESK_TOKEN", TOKEN)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # the one CA the client trusts
    return desk


def test_zendesk_push_through_a_proxy_over_https_connect(
        cli, tmp_path: Path, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch,
        tracker_cert: tuple[Path, Path]) -> None:
    asked = pin_names(monkeypatch, {})
    with HttpProxy(HOSTS, auth=basic(PROXY_USER, PROXY_PASSWORD)) as px:
        desk = _zendesk_over_https(_isolated_home, monkeypatch, tracker_cert)
        try:
            monkeypatch.setenv("HTTPS_PROXY", f"http://{PROXY_LOGIN}@127.0.0.1:{px.port}")
            tid, _ = _escalated_case(cli, tmp_path / "b")
            doc = _push(cli, tid, "desk")
        finally:
            desk.close()
    assert doc["created"] is True and desk.problems == [] and px.problems == []
    assert doc["url"].startswith("https://tracker.test:")
    assert doc["proxy"]["used"] is True and doc["proxy"]["source"] == "env:HTTPS_PROXY"
    port = desk.server.server_address[1]
    # One tunnel per request, each to the tracker's name (TLS checked for tracker.test).
    assert px.connects() and set(px.connects()) == {f"tracker.test:{port}"}
    assert all(s.method == "CONNECT" for s in px.seen)
    assert asked == [] and _leaks(json.dumps(doc), _isolated_home) == []


def test_a_proxy_refusing_the_tunnel_is_one_line_naming_it(
        cli, tmp_path: Path, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch,
        tracker_cert: tuple[Path, Path]) -> None:
    pin_names(monkeypatch, {})
    with HttpProxy(HOSTS, auth=basic(PROXY_USER, PROXY_PASSWORD)) as px:
        desk = _zendesk_over_https(_isolated_home, monkeypatch, tracker_cert)
        try:
            monkeypatch.setenv("https_proxy",
                               f"http://{PROXY_USER}:wrong-password@127.0.0.1:{px.port}")
            tid, _ = _escalated_case(cli, tmp_path / "b")
            r = cli("ticket", "push", tid, "--to", "desk")
        finally:
            desk.close()
    assert r.code == 1 and r.out == "" and desk.requests == []
    (line,) = r.err.strip().splitlines()
    assert line == (f"Error: cannot reach Zendesk at {desk.url}: the proxy {px.url} (from "
                    f"env:https_proxy) refused CONNECT tracker.test:{desk.server.server_address[1]}"
                    ": HTTP 407 Proxy Authentication Required — the proxy did not accept the "
                    "user and password in the proxy URL: check them with IT")
    assert "wrong-password" not in r.err and _leaks(r.err, _isolated_home) == []


@pytest.mark.parametrize("case", ["login wanted", "no proxy there"])
def test_a_plain_http_proxy_failing_is_one_line_naming_it(
        case: str, cli, tmp_path: Path, _isolated_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pin_names(monkeypatch, {})
    with HttpProxy(HOSTS, auth=basic(PROXY_USER, PROXY_PASSWORD)) as px:
        jira = FakeJira(basic(USER, TOKEN), name="tracker.test")
        try:
            _config(_isolated_home, f"connectors:\n  jira:\n    url: {jira.url}\n"
                    f"    project: OPS\n    user: {USER}\n    retries: 0\n")
            monkeypatch.setenv("SUPPORTKIT_JIRA_TOKEN", TOKEN)
            where = px.url if case == "login wanted" else f"http://127.0.0.1:{closed_port()}"
            monkeypatch.setenv("http_proxy", where)
            tid, _ = _escalated_case(cli, tmp_path / "b")
            r = cli("ticket", "push", tid, "--to", "jira")
        finally:
            jira.close()
    assert r.code == 1 and jira.requests == []
    (line,) = r.err.strip().splitlines()
    start = f"Error: cannot reach Jira at {jira.url}: "
    if case == "login wanted":
        assert line == start + (
            f"the proxy {px.url} (from env:http_proxy) answered HTTP 407 Proxy Authentication "
            "Required — the proxy wants a login: put it in the proxy URL "
            "(http://USER:PASSWORD@HOST:PORT) or ask IT for access")
    else:
        assert line.startswith(start + f"cannot connect to the proxy {where} (from "
                               "env:http_proxy): Connection refused — check the proxy setting")


def test_a_tracker_on_loopback_never_goes_through_the_proxy(
        cli, jira, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with HttpProxy(refuse=403) as px:
        monkeypatch.setenv("HTTP_PROXY", px.url)
        monkeypatch.setenv("HTTPS_PROXY", px.url)
        tid, _ = _escalated_case(cli, tmp_path / "b")
        doc = _push(cli, tid, "jira")
    assert doc["created"] is True and px.seen == []
    assert doc["proxy"] == {"url": px.url, "source": "env:HTTP_PROXY", "used": False,
                            "note": "loopback targets are never sent through a proxy"}
