"""Connectors without a tracker: configuration and secrets, the plugin hook, the
HTTP client (streaming, retries, redirects), and push/pull idempotence through a
plugin connector that keeps its remote issues in a file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from fake_trackers import Fake, Reply, Request
from tickets_support import make_bundle, new_ticket, show

import toolkit.connectors.registry
from toolkit.connectors import config
from toolkit.connectors.base import ConnectorConfigError, Secret
from toolkit.connectors.http import Client, HttpError, MultipartBody, _retry_after

TOKEN = "tok-5ecret-value-0123456789"


@pytest.fixture(autouse=True)
def _fresh_connectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.connectors.registry, "_CONNECTORS", None)


def _config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- config, secrets

def test_a_secret_in_config_yaml_is_refused(cli, _isolated_home: Path) -> None:
    _config(_isolated_home, "connectors:\n  redmine:\n    url: https://r.example\n"
            f"    api_key: {TOKEN}\n")
    r = cli("ticket", "push", "1", "--to", "redmine")
    assert r.code == 2
    assert "connectors.redmine.api_key: secrets do not go in config.yaml" in r.err
    assert "SUPPORTKIT_REDMINE_TOKEN" in r.err and "keyring set supportkit redmine" in r.err
    assert TOKEN not in r.err + r.out


def test_unknown_type_and_unknown_name_say_what_exists(cli, _isolated_home: Path) -> None:
    _config(_isolated_home, "connectors:\n  ops:\n    type: redmin\n    url: https://r.example\n")
    r = cli("connectors", "--json")
    assert r.code == 2
    assert "unknown connector type 'redmin' (did you mean 'redmine'?)" in \
        json.loads(r.out)["problems"][0]
    _config(_isolated_home, "connectors:\n  ops:\n    type: redmine\n    url: https://r.example\n")
    new_ticket(cli)
    r = cli("ticket", "push", "1", "--to", "opz")
    assert r.code == 2 and "no connector 'opz'" in r.err and "(did you mean 'ops'?)" in r.err


def test_missing_secret_names_the_variable_and_the_keyring(cli, _isolated_home: Path,
                                                           monkeypatch) -> None:
    monkeypatch.delenv("SUPPORTKIT_REDMINE_TOKEN", raising=False)
    _config(_isolated_home, "connectors:\n  redmine:\n    url: https://r.example\n    project: x\n")
    new_ticket(cli)
    r = cli("ticket", "push", "1", "--to", "redmine")
    assert r.code == 2
    assert r.err.startswith("Error: no Redmine API key for connector 'redmine' — export "
                            "SUPPORTKIT_REDMINE_TOKEN=… or store it in the OS keyring")


def test_connectors_lists_types_and_where_secrets_come_from(cli, _isolated_home: Path,
                                                            monkeypatch) -> None:
    _config(_isolated_home, "connectors:\n  redmine:\n    url: https://r.example\n"
            "    project: it\n  desk:\n    type: zendesk\n    url: https://x.zendesk.com\n"
            "    user: agent@example.com\n    token_env: DESK_TOKEN\n")
    monkeypatch.setenv("SUPPORTKIT_REDMINE_TOKEN", TOKEN)
    monkeypatch.delenv("DESK_TOKEN", raising=False)
    r = cli("connectors", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert {t["name"] for t in doc["types"]} >= {"redmine", "jira", "zendesk"}
    by_name = {c["name"]: c for c in doc["configured"]}
    assert by_name["redmine"]["secret"] == "env SUPPORTKIT_REDMINE_TOKEN"
    assert by_name["desk"]["secret"] == "missing" and by_name["desk"]["secret_env"] == \
        "DESK_TOKEN"
    text = cli("connectors")
    assert "secret MISSING: export DESK_TOKEN=…" in text.out
    assert TOKEN not in r.out + text.out + text.err


def test_a_secret_never_shows_in_repr() -> None:
    s = Secret(TOKEN, "env X")
    assert TOKEN not in repr(s) and TOKEN not in str(s) and TOKEN not in f"{s}"
    assert s.reveal() == TOKEN


def test_maps_are_checked_against_our_statuses(_isolated_home: Path) -> None:
    _config(_isolated_home, "connectors:\n  redmine:\n    url: https://r.example\n"
            "    status_from: {Rejected: closd}\n")
    with pytest.raises(ConnectorConfigError, match="'closd' is not one of our statuses "
                       r"\(did you mean 'closed'\?\)"):
        config.configured()


# --------------------------------------------------------------------------- plugins

def test_plugin_connector_is_listed_and_garbage_reported(cli, plugins) -> None:
    plugins("sk_testconnector")
    doc = json.loads(cli("connectors", "--json").out)
    assert "echo" in {t["name"] for t in doc["types"]}
    assert any("'not a connector spec' is not a ConnectorSpec" in p for p in doc["problems"])


def test_push_twice_updates_and_pull_maps_through_a_plugin(cli, plugins, tmp_path: Path,
                                                           _isolated_home: Path,
                                                           monkeypatch) -> None:
    plugins("sk_testconnector")
    state = tmp_path / "echo.json"
    monkeypatch.setenv("SK_ECHO_STATE", str(state))
    monkeypatch.setenv("SUPPORTKIT_E_TOKEN", TOKEN)
    _config(_isolated_home, "connectors:\n  e:\n    type: echo\n    url: https://echo.example\n")
    tid = new_ticket(cli)["id"]
    bundle, _ = make_bundle(tmp_path / "b", ticket=tid)
    assert cli("ticket", "attach", tid, str(bundle)).code == 0
    first = cli("ticket", "push", tid, "--to", "e", "--json")
    assert first.code == 0, first.err
    doc = json.loads(first.out)
    assert doc["created"] is True and len(doc["uploaded"]) == 1 and doc["remote_id"] == "E-1"
    again = json.loads(cli("ticket", "push", tid, "--to", "e", "--json").out)
    assert again["created"] is False and again["remote_id"] == "E-1"
    assert again["uploaded"] == [] and len(again["already_uploaded"]) == 1
    issues = json.loads(state.read_text())["issues"]
    assert list(issues) == ["E-1"] and len(issues["E-1"]["files"]) == 1
    actions = [h["action"] for h in show(cli, tid)["history"]]
    assert actions.count("connector_linked") == 1 and actions.count("connector_pushed") == 2
    # Their status changes; pull maps it to ours and records it once.
    issues["E-1"]["status"] = "done"
    state.write_text(json.dumps({"issues": issues}))
    pulled = json.loads(cli("ticket", "pull", tid, "--json").out)
    assert pulled[0]["remote_status"] == "done" and pulled[0]["mapped"] == "resolved"
    assert pulled[0]["changed"] is True
    assert json.loads(cli("ticket", "pull", tid, "--json").out)[0]["changed"] is False
    # --new makes a second remote issue on purpose.
    other = json.loads(cli("ticket", "push", tid, "--to", "e", "--new", "--json").out)
    assert other["created"] is True and other["remote_id"] == "E-2"


def test_pull_of_a_ticket_never_pushed_says_push_first(cli) -> None:
    tid = new_ticket(cli)["id"]
    r = cli("ticket", "pull", tid)
    assert r.code == 2 and f"push it first: supportkit ticket push {tid} --to NAME" in r.err


# --------------------------------------------------------------------------- HTTP client

class Echo(Fake):
    """Answers 200 with what it received (size and sha of the body)."""

    def handle(self, req: Request) -> Reply:
        import hashlib

        return 200, {"size": len(req.body), "sha": hashlib.sha256(req.body).hexdigest(),
                     "type": req.headers.get("content-type")}, {}


@pytest.fixture
def echo():
    fake = Echo("Bearer x")
    yield fake
    fake.close()


def _client(fake: Fake, waits: list[float]) -> Client:
    return Client("Test", fake.url, {"Authorization": "Bearer x"}, secrets=("x-secret",),
                  retries=3, sleep=waits.append)


def test_multipart_is_streamed_with_an_exact_length(echo, tmp_path: Path) -> None:
    import hashlib

    data = bytes(range(256)) * 8192  # 2 MiB
    (tmp_path / "b.zip").write_bytes(data)
    body = MultipartBody(tmp_path / "b.zip", "b.zip")
    sent = b"".join(body.chunks())
    assert len(sent) == body.length() and max(len(c) for c in body.chunks()) <= 1 << 20
    got = _client(echo, []).request("POST", "/up", body=body).json()
    assert got["size"] == len(sent) and got["sha"] == hashlib.sha256(sent).hexdigest()
    assert got["type"] == f"multipart/form-data; boundary={body.boundary}"


def test_429_and_5xx_are_retried_honouring_retry_after(echo) -> None:
    waits: list[float] = []
    echo.fail_next = [(429, {}, {"Retry-After": "7"}), (502, {}, {})]
    assert _client(echo, waits).request("GET", "/x").status == 200
    assert waits[0] == 7.0 and 0 < waits[1] <= 3.0 and len(echo.requests) == 3


def test_a_create_is_retried_only_when_the_server_says_it_did_nothing(echo) -> None:
    waits: list[float] = []
    echo.fail_next = [(503, {}, {"Retry-After": "0"})]
    made = _client(echo, waits).request("POST", "/issues", json_body={}, creates=True)
    assert made.status == 200 and waits == [0.0]
    echo.fail_next = [(502, {"errors": ["bad gateway"]}, {})]
    with pytest.raises(HttpError) as info:
        _client(echo, waits).request("POST", "/issues", json_body={}, creates=True)
    assert info.value.status == 502


def test_redirects_are_not_followed(echo) -> None:
    echo.fail_next = [(301, {}, {"Location": "https://elsewhere.example/x"})]
    with pytest.raises(ConnectorConfigError, match="redirects GET /x to "
                       "https://elsewhere.example/x"):
        _client(echo, []).request("GET", "/x")


def test_server_text_is_scrubbed_of_the_secret(echo) -> None:
    echo.fail_next = [(400, {"error": "bad header Authorization: Bearer x-secret"}, {})]
    with pytest.raises(HttpError) as info:
        _client(echo, []).request("GET", "/x")
    from toolkit.connectors.http import error_text

    shown = _client(echo, []).scrub(error_text(info.value.response))
    assert "x-secret" not in shown and "[REDACTED]" in shown


def test_unreachable_service_is_one_clear_error() -> None:
    from toolkit.connectors.base import ConnectorError

    c = Client("Test", "http://127.0.0.1:9", {}, retries=1, sleep=lambda s: None)
    with pytest.raises(ConnectorError, match="cannot reach Test at http://127.0.0.1:9"):
        c.request("GET", "/x")


def test_retry_after_as_an_http_date() -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    got = _retry_after(format_datetime(when, usegmt=True))
    assert got is not None and 25 <= got <= 31
    assert _retry_after("soon") is None and _retry_after("") is None
