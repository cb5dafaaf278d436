"""A tracker (or a proxy before it) that echoes the request back in an error body gets
nothing of the secret printed or stored: not raw, not base64, not URL-encoded."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from fake_trackers import Fake, FakeJira, Reply, Request, basic
from tickets_support import new_ticket

import toolkit.connectors.registry

# '/', '+', '=', '&' and '~' change under quote, quote(safe=""), quote_plus and base64.
TOKEN = "s3cr/t+k=y&7f3a~x9Qw"
USER = "agent@example.com"


def _leaks(text: str, user: str) -> list[str]:
    """Every form of the token a server could hand back, worked out here on its own."""
    pair = f"{user}:{TOKEN}".encode()
    forms = {"raw": TOKEN, "quote": quote(TOKEN), "quote-safe": quote(TOKEN, safe=""),
             "quote_plus": quote_plus(TOKEN), "b64": base64.b64encode(TOKEN.encode()).decode(),
             "b64-pair": base64.b64encode(pair).decode(),
             "b64url-pair": base64.urlsafe_b64encode(pair).decode().rstrip("=")}
    return [name for name, form in forms.items() if form in text or form.lower() in text]


def echo(req: Request, status: int) -> Reply:
    """What a careless server or proxy says: the request back, in several encodings."""
    said = []
    for name in ("authorization", "x-redmine-api-key"):
        value = req.headers.get(name)
        if not value:
            continue
        credential = value.split(" ", 1)[-1]
        said += [f"{name}: {value}", f"base64: {base64.b64encode(value.encode()).decode()}",
                 f"url: {quote(value, safe='')}", f"form: {quote_plus(value)}"]
        if value.startswith("Basic "):
            login = base64.b64decode(credential).decode()
            token = login.split(":", 1)[1]
            said += [f"login: {login}", f"token b64: {base64.b64encode(token.encode()).decode()}",
                     f"token url: {quote(token)}", f"token form: {quote_plus(token)}"]
        else:
            said += [f"key b64: {base64.b64encode(credential.encode()).decode()}",
                     f"key url: {quote(credential)}", f"key form: {quote_plus(credential)}"]
    said += [f"query: {req.query}", f"body: {req.body[:300].decode('utf-8', 'replace')}"]
    return status, {"errors": said, "message": "; ".join(said)}, {}


class EchoAll(Fake):
    """Answers every request with the echo."""

    def __init__(self, auth: str | None, status: int) -> None:
        super().__init__(auth)  # type: ignore[arg-type]
        self.status = status

    def handle(self, req: Request) -> Reply:
        return echo(req, self.status)


class JiraEchoOnCreate(FakeJira):
    """A real Jira until the issue is created; that one answer is the echo."""

    def handle(self, req: Request) -> Reply:
        if req.method == "POST" and req.path == "/rest/api/2/issue":
            return echo(req, 400)
        return super().handle(req)


@pytest.fixture(autouse=True)
def _fresh_connectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.connectors.registry, "_CONNECTORS", None)


def _configure(home: Path, monkeypatch: pytest.MonkeyPatch, kind: str, url: str) -> str:
    home.mkdir(parents=True, exist_ok=True)
    extra = {"redmine": "    project: it-support\n",
             "jira": f"    project: OPS\n    user: {USER}\n",
             "zendesk": f"    user: {USER}\n"}[kind]
    (home / "config.yaml").write_text(f"connectors:\n  t:\n    type: {kind}\n    url: {url}\n"
                                      f"    retries: 0\n{extra}", encoding="utf-8")
    monkeypatch.setenv("SUPPORTKIT_T_TOKEN", TOKEN)
    return {"redmine": "", "jira": USER, "zendesk": f"{USER}/token"}[kind]


def _store_bytes(home: Path) -> str:
    return "".join(p.read_bytes().decode("latin-1") for p in home.glob("tickets.db*"))


AUTH = {"redmine": None, "jira": basic(USER, TOKEN), "zendesk": basic(f"{USER}/token", TOKEN)}


@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("kind", ["redmine", "jira", "zendesk"])
def test_an_echoing_server_gets_no_form_of_the_secret_printed_or_stored(
        cli, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
        status: int) -> None:
    fake = EchoAll(AUTH[kind], status)
    try:
        user = _configure(_isolated_home, monkeypatch, kind, fake.url)
        tid = new_ticket(cli)["id"]
        r = cli("ticket", "push", tid, "--to", "t")
    finally:
        fake.close()
    assert fake.requests, "the connector never reached the fake"
    assert r.code == 1, r.err
    assert "[REDACTED]" in r.err  # the echo was shown, scrubbed
    assert _leaks(r.out + r.err, user) == []
    assert _leaks(_store_bytes(_isolated_home), user) == []


def test_an_echo_after_the_login_worked_leaks_nothing_either(
        cli, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = JiraEchoOnCreate(basic(USER, TOKEN))
    try:
        _configure(_isolated_home, monkeypatch, "jira", fake.url)
        tid = new_ticket(cli)["id"]
        r = cli("ticket", "push", tid, "--to", "t", "--json")
        show = cli("ticket", "show", tid, "--json")
    finally:
        fake.close()
    assert r.code == 1 and "Jira" in r.err and "[REDACTED]" in r.err
    assert _leaks(r.out + r.err + show.out, USER) == []
    assert _leaks(_store_bytes(_isolated_home), USER) == []


def test_connectors_masks_a_password_in_the_url(cli, _isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "config.yaml").write_text(
        "connectors:\n  jira:\n    url: https://agent:hunter2-pass@jira.example.com/x\n"
        "    project: OPS\n    user: agent\n", encoding="utf-8")
    r = cli("connectors")
    assert "hunter2-pass" not in r.out + r.err
    assert "https://agent:***@jira.example.com/x" in r.out
    doc: dict[str, Any] = json.loads(cli("connectors", "--json").out)
    assert doc["configured"][0]["url"] == "https://agent:***@jira.example.com/x"
