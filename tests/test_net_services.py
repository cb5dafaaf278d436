"""network.http / dns / tcp / clock / interfaces / routes against servers the
tests start on 127.0.0.1 (tests/net_servers.py) — no traffic leaves loopback.

Collectors run in-process through ``gather`` with a real ``Context``: the
same code path as a worker, without a process per case.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import struct
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from net_servers import (
    BIG_ZONE,
    HttpProxy,
    HttpServer,
    Listener,
    UdpResponder,
    closed_port,
    dns_big_reply,
    dns_pair,
    dns_reply,
    make_cert,
    pin_names,
    sntp_reply,
)

from collectors import net_clock, net_dns, net_http, net_interfaces, net_routes, net_tcp
from toolkit import proxy
from toolkit._platform._records import SystemProxy
from toolkit.collector import Context, Failed, Skipped


def run(collector: Any, tmp_path: Path, **given: Any) -> dict[str, Any]:
    params = collector.COLLECTOR.resolve_params(given)
    ctx = Context(workdir=tmp_path, deadline=time.monotonic() + 60)
    return collector.gather(ctx, params)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    if not shutil.which("openssl"):
        pytest.skip("openssl command line not installed (apt install openssl)")
    folder = tmp_path_factory.mktemp("certs")
    return {"good": make_cert(folder / "good", "good"),
            "expired": make_cert(folder / "expired", "expired", expired=True),
            # For a name no client rule takes for loopback, which only the test proxy
            # (and pin_names) resolve: requests to it really go through the proxy.
            "origin": make_cert(folder / "origin", "origin", san="DNS:origin.test")}


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


# --- network.http --------------------------------------------------------------

def test_https_with_trusted_self_signed_certificate(certs: dict, tmp_path: Path) -> None:
    with HttpServer(cert=certs["good"]) as srv:
        res = run(net_http, tmp_path, url=f"https://127.0.0.1:{srv.port}/slow",
                  ca_file=str(certs["good"][0]))
    assert res["ok"] is True and res["status"] == 200 and res["error"] is None
    assert (res["host"], res["port"], res["address"]) == ("127.0.0.1", srv.port, "127.0.0.1")
    timing = res["timing_ms"]
    assert set(timing) == {"dns", "connect", "tls", "first_byte", "total"}
    assert timing["first_byte"] >= 250  # the handler sleeps 0.3 s before answering
    assert timing["total"] >= timing["connect"] + timing["tls"] + timing["first_byte"] - 1
    tls = res["tls"]
    assert tls["verified"] is True and tls["version"].startswith("TLSv1.")
    cert = tls["certificate"]
    assert cert["subject"] == "CN=localhost" and cert["self_signed"] is True
    assert 29 < cert["expires_in_days"] <= 30
    assert cert["san"] == ["DNS:localhost", "IP:127.0.0.1"]
    assert res["proxy"]["used"] is False


def test_untrusted_certificate_is_described_and_the_request_not_sent(
        certs: dict, tmp_path: Path) -> None:
    with HttpServer(cert=certs["good"]) as srv:
        res = run(net_http, tmp_path, url=f"https://localhost:{srv.port}/")
    assert res["ok"] is False and res["status"] is None
    assert res["error"]["stage"] == "tls" and res["error"]["kind"] == "verify"
    assert "self-signed" in res["error"]["detail"]
    assert res["tls"]["verified"] is False
    assert res["tls"]["certificate"]["common_name"] == "localhost"


def test_expired_certificate(certs: dict, tmp_path: Path) -> None:
    with HttpServer(cert=certs["expired"]) as srv:
        res = run(net_http, tmp_path, url=f"https://127.0.0.1:{srv.port}/",
                  ca_file=str(certs["expired"][0]))
        assert "expired" in res["error"]["detail"]
        cert = res["tls"]["certificate"]
        assert cert["not_after"] == "2020-02-01T00:00:00+00:00"
        assert cert["expires_in_days"] < -1000
        # verify=false: the request goes through, the certificate is still reported.
        res = run(net_http, tmp_path, url=f"https://127.0.0.1:{srv.port}/", verify=False)
    assert res["ok"] is True and res["tls"]["verified"] is False
    assert res["tls"]["certificate"]["expires_in_days"] < 0


def test_redirects_are_followed_and_listed(tmp_path: Path) -> None:
    with HttpServer() as srv:
        base = f"http://127.0.0.1:{srv.port}"
        res = run(net_http, tmp_path, url=f"{base}/redirect")
        assert res["status"] == 200 and res["final_url"] == f"{base}/final"
        assert [(r["status"], r["location"]) for r in res["redirects"]] == [
            (302, f"{base}/hop"), (301, f"{base}/final")]
        assert res["tls"] is None and "tls" not in res["timing_ms"]
        res = run(net_http, tmp_path, url=f"{base}/redirect", max_redirects=1)
        assert "more than 1 redirects" in res["error"]["detail"]
        res = run(net_http, tmp_path, url=f"{base}/broken")
        assert res["status"] == 503 and res["ok"] is False and res["error"] is None


def test_http_connection_refused(tmp_path: Path) -> None:
    res = run(net_http, tmp_path, url=f"http://127.0.0.1:{closed_port()}/")
    assert res["error"]["stage"] == "connect" and res["error"]["kind"] == "refused"


def test_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("https_proxy", "http://user:secret@proxy.invalid:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("no_proxy", ".corp.example,localhost")
    got = proxy.choose("https", "api.example.com").as_json()
    assert got["used"] and got["source"] == "env:https_proxy"
    assert got["url"] == "http://proxy.invalid:3128"  # never with user:secret
    assert proxy.choose("http", "api.example.com").as_json()["source"] == "env:HTTP_PROXY"
    assert not proxy.choose("https", "db.corp.example").used
    loop = proxy.choose("https", "127.0.0.1").as_json()
    assert not loop["used"] and "loopback" in loop["note"]
    # A loopback target never goes through the environment's proxy: no traffic to it.
    with HttpServer() as srv:
        res = run(net_http, tmp_path, url=f"http://127.0.0.1:{srv.port}/")
    assert res["ok"] and res["proxy"]["url"] == "http://proxy.invalid:3128"
    assert res["proxy"]["used"] is False


def test_explicit_proxy_is_used_for_plain_http(tmp_path: Path) -> None:
    # The test server answers the absolute-URI request line a proxy receives.
    with HttpServer() as srv:
        res = run(net_http, tmp_path, url="http://app.invalid/",
                  proxy=f"http://127.0.0.1:{srv.port}")
    assert res["proxy"]["used"] is True and res["address"] == "127.0.0.1"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


PROXY_USER, PROXY_PASSWORD = "agent", "p@ss:w/rd"
PROXY_LOGIN = "agent:p%40ss%3Aw%2Frd"  # as written in a proxy URL


def _secret_forms() -> list[str]:
    pair = f"{PROXY_USER}:{PROXY_PASSWORD}"
    return [PROXY_PASSWORD, "p%40ss%3Aw%2Frd", pair, PROXY_LOGIN,
            base64.b64encode(pair.encode()).decode()]


def test_https_goes_through_the_environment_proxy_with_connect(
        certs: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    asked = pin_names(monkeypatch, {})  # origin.test is known to the proxy alone
    with HttpServer(cert=certs["origin"]) as srv, \
            HttpProxy(hosts={"origin.test": "127.0.0.1"}) as px:
        monkeypatch.setenv("HTTPS_PROXY", px.url)
        res = run(net_http, tmp_path, url=f"https://origin.test:{srv.port}/final",
                  ca_file=str(certs["origin"][0]))
    assert res["error"] is None and res["ok"] is True and res["status"] == 200
    assert res["proxy"] == {"url": px.url, "source": "env:HTTPS_PROXY", "used": True,
                            "note": ""}
    assert px.connects() == [f"origin.test:{srv.port}"] and px.problems == []
    assert res["address"] == "127.0.0.1" and asked == []  # the proxy's; no lookup here
    # TLS with the origin inside the tunnel, its certificate checked for origin.test.
    assert res["tls"]["verified"] is True
    assert res["tls"]["certificate"]["san"] == ["DNS:origin.test"]


def test_the_certificate_is_checked_against_the_origin_not_the_proxy(
        certs: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pin_names(monkeypatch, {})
    # The "good" certificate names localhost and 127.0.0.1 (the proxy's address).
    with HttpServer(cert=certs["good"]) as srv, \
            HttpProxy(hosts={"origin.test": "127.0.0.1"}) as px:
        monkeypatch.setenv("https_proxy", px.url)
        res = run(net_http, tmp_path, url=f"https://origin.test:{srv.port}/",
                  ca_file=str(certs["good"][0]))
    assert res["error"]["stage"] == "tls" and res["error"]["kind"] == "verify"
    assert "origin.test" in res["error"]["detail"] and res["proxy"]["used"] is True


def test_proxy_credentials_are_sent_and_never_recorded(
        certs: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pin_names(monkeypatch, {})
    hosts = {"origin.test": "127.0.0.1"}
    with HttpServer(cert=certs["origin"]) as tls_srv, HttpServer() as plain, \
            HttpProxy(hosts=hosts, auth=_basic(PROXY_USER, PROXY_PASSWORD)) as px:
        login_url = f"http://{PROXY_LOGIN}@127.0.0.1:{px.port}"
        monkeypatch.setenv("https_proxy", login_url)
        monkeypatch.setenv("http_proxy", login_url)
        tunnelled = run(net_http, tmp_path, url=f"https://origin.test:{tls_srv.port}/",
                        ca_file=str(certs["origin"][0]))
        direct_form = run(net_http, tmp_path, url=f"http://origin.test:{plain.port}/final")
    for res in (tunnelled, direct_form):
        assert res["ok"] is True and res["proxy"]["used"] is True, res["error"]
        assert res["proxy"]["url"] == px.url and "not shown" in res["proxy"]["note"]
        text = json.dumps(res)
        assert not [form for form in _secret_forms() if form in text]
    connect, get = px.seen
    assert connect.method == "CONNECT" and connect.answer == 200
    assert connect.headers["proxy-authorization"] == _basic(PROXY_USER, PROXY_PASSWORD)
    # Plain HTTP: the whole URL on the request line, the login with it.
    assert (get.method, get.target) == ("GET", f"http://origin.test:{plain.port}/final")
    assert get.headers["proxy-authorization"] == _basic(PROXY_USER, PROXY_PASSWORD)
    assert get.headers["host"] == f"origin.test:{plain.port}"


@pytest.mark.parametrize(("refuse", "login", "words"), [
    (None, "", "HTTP 407 Proxy Authentication Required — the proxy wants a login"),
    (None, "agent:wrong-password@", "HTTP 407 Proxy Authentication Required — the proxy "
     "did not accept the user and password"),
    (403, "", "HTTP 403 Forbidden — the proxy does not allow this host or port"),
    (502, "", "HTTP 502 Bad Gateway — the proxy could not reach the host"),
])
def test_a_refusing_proxy_is_a_clear_error(refuse: int | None, login: str, words: str,
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    pin_names(monkeypatch, {})
    with HttpProxy(auth=_basic(PROXY_USER, PROXY_PASSWORD), refuse=refuse) as px:
        monkeypatch.setenv("https_proxy", f"http://{login}127.0.0.1:{px.port}")
        res = run(net_http, tmp_path, url="https://origin.test:8443/")
    assert res["ok"] is False and res["status"] is None
    assert res["error"]["stage"] == "proxy" and res["error"]["kind"] == "error"
    detail = res["error"]["detail"]
    assert detail.startswith(f"the proxy {px.url} (from env:https_proxy) refused CONNECT "
                             "origin.test:8443: ")
    assert words in detail and "wrong-password" not in json.dumps(res)
    assert [s.method for s in px.seen] == ["CONNECT"]


def test_no_proxy_exempts_the_host(certs: dict, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    asked = pin_names(monkeypatch, {"origin.test": "127.0.0.1"})
    with HttpServer(cert=certs["origin"]) as srv, HttpProxy() as px:
        monkeypatch.setenv("HTTPS_PROXY", px.url)
        monkeypatch.setenv("NO_PROXY", "other.example, .test")
        res = run(net_http, tmp_path, url=f"https://origin.test:{srv.port}/",
                  ca_file=str(certs["origin"][0]))
    assert res["ok"] is True and px.seen == []
    assert res["proxy"] == {"url": px.url, "source": "env:HTTPS_PROXY", "used": False,
                            "note": "the host is listed in no_proxy"}
    assert asked == ["origin.test"]  # looked up and connected to directly


def test_addresses_and_ranges_in_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "proxy.invalid:3128")  # no scheme: http://
    monkeypatch.setenv("no_proxy", "10.0.0.0/8,192.0.2.7,2001:db8::/32")
    assert not proxy.choose("https", "10.20.30.40").used
    assert not proxy.choose("https", "192.0.2.7").used
    assert not proxy.choose("https", "2001:db8::5").used
    chosen = proxy.choose("https", "192.0.2.8")
    assert chosen.used and chosen.as_json()["url"] == "http://proxy.invalid:3128"
    monkeypatch.setenv("https_proxy", "socks5://proxy.invalid:1080")
    with pytest.raises(proxy.ProxyConfigError, match="socks5:// proxy"):
        proxy.choose("https", "192.0.2.8")


def test_the_system_proxy_when_the_environment_names_none(
        certs: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from toolkit import _platform

    pin_names(monkeypatch, {})
    with HttpServer(cert=certs["origin"]) as srv, \
            HttpProxy(hosts={"origin.test": "127.0.0.1"}) as px:
        # What toolkit/_platform/_windows.py reads from the registry on Windows.
        settings = SystemProxy("windows-registry", {"http": px.url, "https": px.url},
                               ("*.corp.example", "10.*"), bypass_simple=True)
        monkeypatch.setattr(_platform, "system_proxy", lambda: settings)
        monkeypatch.setenv("no_proxy", "origin.test")  # no proxy named: not the source
        res = run(net_http, tmp_path, url=f"https://origin.test:{srv.port}/",
                  ca_file=str(certs["origin"][0]))
    assert res["ok"] is True and px.connects() == [f"origin.test:{srv.port}"]
    assert res["proxy"]["source"] == "windows-registry" and res["proxy"]["used"] is True
    for host in ("intranet", "db.corp.example"):
        got = proxy.choose("https", host).as_json()
        assert got["used"] is False
        assert got["note"] == "the host is listed in the proxy exceptions of windows-registry"
    monkeypatch.setattr(_platform, "system_proxy", lambda: None)
    assert proxy.choose("https", "origin.test").as_json() == {
        "url": None, "source": None, "used": False,
        "note": "no https proxy in the environment"}


# --- network.dns ---------------------------------------------------------------

def test_dns_tells_answers_apart(tmp_path: Path) -> None:
    with UdpResponder(dns_reply) as dns:
        server = f"127.0.0.1:{dns.port}"
        res = run(net_dns, tmp_path, names=["ok.test", "silent.test", "alias.test",
                                            "missing.test", "broken.test", "refused.test"],
                  servers=[server], timeout=1.0, system=False)
        arrived = [t for t, _ in dns.received]
    by_name = {q["name"]: q for q in res["queries"]}
    assert by_name["ok.test"]["status"] == "ok"
    assert by_name["ok.test"]["addresses"] == ["192.0.2.10"]
    assert by_name["ok.test"]["ttl"] == 60 and by_name["ok.test"]["authoritative"]
    assert by_name["alias.test"]["cnames"] == ["real.test"]
    assert by_name["missing.test"]["status"] == "nxdomain"
    assert by_name["broken.test"]["status"] == "servfail"
    assert by_name["refused.test"]["status"] == "refused"
    assert by_name["silent.test"]["status"] == "timeout"
    assert by_name["silent.test"]["time_ms"] is None
    assert all(q["time_ms"] is not None for n, q in by_name.items() if n != "silent.test")
    assert res["servers"] == [server] and res["timeouts"] == 1
    assert sorted(res["failed"]) == ["broken.test", "missing.test", "refused.test",
                                     "silent.test"]
    # Asked one after another, the names after silent.test would wait for its 1 s timeout.
    assert len(arrived) == 6 and max(arrived) - min(arrived) < 1.0, "not asked at once"


@pytest.mark.parametrize(("keep", "where"), [
    # alias.test's reply is CNAME then A: cut one byte short of the end, inside the
    # A record's address (the old parser ignored it and waited out the timeout) ...
    (-1, "answer record 2"),
    # ... or inside the question's type (the old one crashed: struct.error escaped)
    (26, "question"),
])
def test_dns_truncated_reply_is_malformed_not_a_crash(cli: Any, keep: int, where: str
                                                      ) -> None:
    sent: list[int] = []

    def short(data: bytes) -> bytes:
        whole = dns_reply(data)
        assert whole is not None
        sent.append(len(whole[:keep]))
        return whole[:keep]

    with UdpResponder(short) as dns:
        r = cli("collect", "network.dns", "-p", "names=alias.test", "-p",
                f"servers=127.0.0.1:{dns.port}", "-p", "system=false", "-p", "timeout=2",
                "--json")
    out = json.loads(r.out)
    assert r.code == 0 and out["outcome"] == "ok", r.err
    (query,) = out["result"]["queries"]
    assert query["status"] == "malformed"
    assert query["reason"] == (f"the reply from 127.0.0.1:{dns.port} is cut short at byte "
                               f"{sent[0]} ({where})")
    assert query["detail"] == query["reason"] and query["time_ms"] is not None
    assert out["result"]["failed"] == ["alias.test"] and out["result"]["timeouts"] == 0


def test_dns_replies_not_ours_are_ignored_until_ours_comes(tmp_path: Path) -> None:
    # Before the real answer: a broken reply under another ID, a broken reply to another
    # question under our ID, and our query echoed back. None of them is the answer.
    def noisy(data: bytes) -> list[bytes]:
        real = dns_reply(data)
        other = dns_reply(data.replace(b"\x02ok", b"\x05alias"))  # same ID, alias.test
        assert real is not None and other is not None
        return [bytes([data[0] ^ 0xFF, data[1]]) + real[2:-1], other[:-1], data, real]

    with UdpResponder(noisy) as dns:
        res = run(net_dns, tmp_path, names=["ok.test"], servers=[f"127.0.0.1:{dns.port}"],
                  timeout=2.0, system=False)
    (query,) = res["queries"]
    assert query["status"] == "ok" and query["addresses"] == ["192.0.2.10"], query


def test_dns_answer_from_another_address_is_not_taken(tmp_path: Path) -> None:
    # The right answer, sent from another port than the one asked: a spoofer, or a
    # multi-homed server. Stub resolvers drop it; the collector too, and says so.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.1", 0))

        def elsewhere(data: bytes) -> None:
            answer = dns_reply(data)
            assert answer is not None
            other.sendto(answer, dns.last_peer)

        with UdpResponder(elsewhere) as dns:
            res = run(net_dns, tmp_path, names=["ok.test"],
                      servers=[f"127.0.0.1:{dns.port}"], timeout=0.5, system=False)
        sender = other.getsockname()[1]
    (query,) = res["queries"]
    assert query["status"] == "timeout" and query["addresses"] == []
    assert f"came from 127.0.0.1:{sender} instead" in query["detail"]


def test_dns_truncated_answer_is_asked_again_over_tcp(tmp_path: Path) -> None:
    udp, tcp = dns_pair(lambda q: dns_big_reply(q, truncate=True),
                        lambda q: dns_big_reply(q, truncate=False))
    with udp, tcp:
        res = run(net_dns, tmp_path, names=["big.test"], servers=[f"127.0.0.1:{udp.port}"],
                  timeout=2.0, system=False)
    (query,) = res["queries"]
    assert query["status"] == "ok" and query["transport"] == "tcp" and query["truncated"]
    assert query["addresses"] == BIG_ZONE
    assert len(udp.received) == 1 and len(tcp.received) == 1
    assert tcp.received[0] == udp.received[0][1], "the same question, again over TCP"


def test_dns_truncated_answer_without_tcp_says_why(tmp_path: Path) -> None:
    # Nothing listens on TCP: the user learns that large answers cannot get through.
    with UdpResponder(lambda q: dns_big_reply(q, truncate=True)) as dns:
        res = run(net_dns, tmp_path, names=["big.test"], servers=[f"127.0.0.1:{dns.port}"],
                  timeout=2.0, system=False)
    (query,) = res["queries"]
    assert query["status"] == "error" and query["truncated"] and query["transport"] == "udp"
    assert "did not fit in a UDP reply (TC bit)" in query["detail"]
    assert "connection refused" in query["detail"]


def test_dns_negative_answer_names_the_zone(tmp_path: Path) -> None:
    nxdomain = (FIXTURES / "network.dns" / "nsd-4.6.1__missing-nxdomain-soa.bin").read_bytes()

    def reply(data: bytes) -> bytes:
        return data[:2] + nxdomain[2:]  # NSD's real reply, under the ID of this query

    with UdpResponder(reply) as dns:
        res = run(net_dns, tmp_path, names=["missing.corp.example"],
                  servers=[f"127.0.0.1:{dns.port}"], timeout=2.0, system=False)
    (query,) = res["queries"]
    assert query["status"] == "nxdomain"
    assert query["soa"] == {"zone": "corp.example", "primary": "ns1.corp.example",
                            "serial": 2024061101, "negative_ttl": 300}


def test_dns_closed_port_and_names_not_asked(tmp_path: Path) -> None:
    res = run(net_dns, tmp_path, names=["ok.test", "127.0.0.1", "localhost", "a.localhost"],
              servers=[f"127.0.0.1:{closed_port()}"], timeout=1.0, system=False)
    assert [q["name"] for q in res["queries"]] == ["ok.test"]
    assert res["queries"][0]["status"] in ("error", "timeout")
    assert [n["name"] for n in res["not_asked"]] == ["127.0.0.1", "localhost", "a.localhost"]
    with pytest.raises(Failed, match="not an IP address"):
        run(net_dns, tmp_path, names=["x.test"], servers=["dns.example"], system=False)


def test_dns_without_names_only_lists_resolvers(tmp_path: Path) -> None:
    res = run(net_dns, tmp_path)
    assert res["queries"] == [] and res["servers"] == [] and res["system"] == []
    assert "configured" in res["resolvers"]


def test_resolv_conf_parser() -> None:
    got = net_dns.parse_resolv_conf(
        "# generated\nnameserver 10.0.0.2\nnameserver fd00::53 # v6\nsearch a.example "
        "b.example\noptions edns0 trust-ad\n; comment\n")
    assert got == {"nameservers": ["10.0.0.2", "fd00::53"], "search": ["a.example",
                   "b.example"], "options": ["edns0", "trust-ad"]}
    assert net_dns.parse_server("[fd00::1]:5353") == ("fd00::1", 5353)
    assert net_dns.parse_server("fd00::1") == ("fd00::1", 53)


# --- network.tcp ---------------------------------------------------------------

def test_tcp_open_and_refused(tmp_path: Path) -> None:
    with Listener() as srv:
        res = run(net_tcp, tmp_path, host="127.0.0.1", port=srv.port, count=3, interval=0.01)
    assert res["status"] == "open" and res["open"] == 3 and res["sent"] == 3
    assert res["connect_ms"] is not None and res["connect_ms"] < 100
    res = run(net_tcp, tmp_path, host="127.0.0.1", port=closed_port(), count=2,
              interval=0.01)
    assert res["status"] == "refused" and res["connect_ms"] is None
    assert "nothing listens" in res["attempts"][0]["detail"]
    with pytest.raises(Failed, match="host and port"):
        run(net_tcp, tmp_path, host="127.0.0.1")


def test_tcp_majority_and_worst_on_ties() -> None:
    assert net_tcp.overall([{"status": "open"}, {"status": "filtered"},
                            {"status": "open"}]) == "open"
    assert net_tcp.overall([{"status": "open"}, {"status": "filtered"}]) == "filtered"


# --- network.clock -------------------------------------------------------------

def test_clock_offset_against_a_skewed_server(tmp_path: Path) -> None:
    with UdpResponder(sntp_reply(skew_s=90.0)) as ntp:
        res = run(net_clock, tmp_path, server=f"127.0.0.1:{ntp.port}", count=3, interval=0.01)
    assert res["status"] == "ok" and res["stratum"] == 2 and res["refid"] == "127.0.0.1"
    assert 89_900 < res["offset_ms"] < 90_100  # this clock is 90 s behind the server
    assert 0 <= res["delay_ms"] < 50 and 89.9 < res["skew_s"] < 90.1
    assert len(res["samples"]) == 3


def test_clock_in_step_kiss_unsynchronised_and_silent(tmp_path: Path) -> None:
    with UdpResponder(sntp_reply()) as ntp:
        res = run(net_clock, tmp_path, server=f"127.0.0.1:{ntp.port}", count=1)
    assert abs(res["offset_ms"]) < 50
    with UdpResponder(sntp_reply(kiss=b"RATE")) as ntp:
        res = run(net_clock, tmp_path, server=f"127.0.0.1:{ntp.port}", count=1)
    assert res["status"] == "kiss" and res["refid"] == "RATE"
    with UdpResponder(sntp_reply(leap=3)) as ntp:
        res = run(net_clock, tmp_path, server=f"127.0.0.1:{ntp.port}", count=1)
    assert res["status"] == "unsynchronised"
    with UdpResponder(lambda data: None) as ntp:
        res = run(net_clock, tmp_path, server=f"127.0.0.1:{ntp.port}", count=2,
                  timeout=0.3, interval=0.01)
    assert res["status"] == "timeout" and res["offset_ms"] is None
    with pytest.raises(Skipped, match="no NTP server given"):
        run(net_clock, tmp_path)


def test_sntp_reply_parser_rejects_answers_to_other_requests() -> None:
    request = net_clock.build_request(time.time())
    reply = sntp_reply()(net_clock.build_request(time.time() - 5))
    assert reply is not None
    with pytest.raises(ValueError, match="originate"):
        net_clock.parse_reply(reply, request, time.time())


@pytest.mark.parametrize("when", ["2026-12-01T12:00:00", "2036-02-07T06:28:15",
                                  "2036-02-07T06:28:17", "2040-06-01T00:00:00"])
def test_sntp_offsets_are_right_across_the_2036_era_wrap(when: str) -> None:
    # NTP seconds wrap on 2036-02-07 06:28:16 UTC; the era is the one nearest our clock.
    t1 = datetime.fromisoformat(when).replace(tzinfo=timezone.utc).timestamp()
    request = net_clock.build_request(t1)
    server = t1 + 2.5 + 0.010  # 2.5 s ahead, 10 ms to get there
    orig = struct.unpack("!Q", request[40:48])[0]
    xmit = net_clock.to_ntp(server)
    reply = struct.pack("!BBbbII4sQQQQ", (4 << 3) | 4, 2, 6, -20, 0, 0,
                        socket.inet_aton("127.0.0.1"), xmit, orig, xmit, xmit)
    got = net_clock.parse_reply(reply, request, t1 + 0.020)
    assert got["offset_ms"] == pytest.approx(2500, abs=1)
    assert got["delay_ms"] == pytest.approx(20, abs=1)
    assert got["server_time"] == pytest.approx(server, abs=0.001)


# --- network.interfaces / routes live (this machine; read-only) ---------------

@pytest.mark.live
def test_interfaces_live_has_loopback(tmp_path: Path) -> None:
    res = run(net_interfaces, tmp_path)
    lo = [i for i in res["interfaces"] if i["loopback"]]
    assert lo and any(a["address"] == "127.0.0.1" for a in lo[0]["addresses"])
    assert lo[0]["addresses"][0]["prefixlen"] == 8
    assert lo[0]["counters"] is not None


@pytest.mark.live
@pytest.mark.skipif(not shutil.which("ip"), reason="iproute2 not installed")
def test_routes_live(tmp_path: Path) -> None:
    res = run(net_routes, tmp_path)
    assert res["source"] == "live" and res["format"] == "ip-json"
    assert (tmp_path / "routes-1.txt").exists()


def test_tls_context_trusts_only_the_given_ca(certs: dict) -> None:
    ctx = net_http._tls_context(net_http.Options("GET", 1, True, str(certs["good"][0]),
                                                 "none"), True)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def test_x509_agrees_with_the_ssl_module_on_system_certificates() -> None:
    # The system's CA bundle is real certificates nobody here wrote; ssl's private
    # decoder is the reference for what the DER walker reads.
    from collectors._x509 import parse_der

    pems = sorted(Path("/etc/ssl/certs").glob("*.pem"))[:60]
    if not pems or not hasattr(ssl._ssl, "_test_decode_cert"):  # type: ignore[attr-defined]
        pytest.skip("no system CA certificates to compare with")
    from datetime import datetime

    for pem in pems:
        ref = ssl._ssl._test_decode_cert(str(pem))  # type: ignore[attr-defined]
        got = parse_der(ssl.PEM_cert_to_DER_cert(pem.read_text()))
        not_after = datetime.strptime(ref["notAfter"], "%b %d %H:%M:%S %Y GMT")
        assert got["not_after"].startswith(not_after.isoformat()), pem
        cn = [v for rdn in ref["subject"] for k, v in rdn if k == "commonName"]
        assert got["common_name"] == (cn[0] if cn else None), pem
        assert int(got["serial"], 16) == int(ref["serialNumber"], 16), pem


def test_no_proxy_rules() -> None:
    def env(host: str, setting: str, port: int = 443) -> bool:
        return proxy.bypassed(host, port, setting.split(","), globs=False)

    assert env("a.corp.example", ".corp.example") and env("a.corp.example", "*.corp.example")
    assert env("corp.example", "corp.example") and env("A.Corp.Example.", "corp.example")
    assert not env("evilcorp.example", "corp.example")
    assert env("anything", "*") and env("anything", "x.example, *")
    assert env("10.1.2.3", "10.0.0.0/8") and not env("11.1.2.3", "10.0.0.0/8")
    assert env("192.168.1.5", "192.168.1.5") and env("fe80::1", "fe80::/10")
    assert env("::1", "[::1]") and not env("10.1.2.3", "fe80::/10")
    # A range never matches a name: deciding would need a lookup.
    assert not env("db.corp.example", "10.0.0.0/8")
    assert env("api.example", "api.example:8443", 8443)
    assert not env("api.example", "api.example:8443", 443)
    # The Windows / macOS exception lists: globs, short ranges, simple names.
    def system(host: str, *entries: str, simple: bool = False) -> bool:
        return proxy.bypassed(host, 443, entries, globs=True, simple=simple)

    assert system("a.corp.example", "*.corp.example")
    assert not system("corp.example", "*.corp.example")
    assert not system("a.corp.example", "corp.example")  # a plain name is only itself
    assert system("169.254.3.3", "169.254/16") and system("10.1.9.9", "10.1")
    assert system("intranet", simple=True) and not system("intranet")
    assert not system("intranet.corp", simple=True)
    assert os.environ.get("https_proxy") is None


# --- network.capture -----------------------------------------------------------

@pytest.mark.needs_root
def test_capture_on_loopback_is_filtered_and_capped(tmp_path: Path) -> None:
    import socket
    import threading

    from collectors import net_capture

    port = closed_port()
    stop = threading.Event()

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while not stop.is_set():
                s.sendto(b"x" * 300, ("127.0.0.1", port))
                s.sendto(b"other", ("127.0.0.1", port + 1 if port < 65535 else port - 1))
                time.sleep(0.02)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        res = run(net_capture, tmp_path, interface="lo", filter=f"udp and dst port {port}",
                  duration=3, max_packets=20)
    finally:
        stop.set()
    assert res["stopped_by"] == "max_packets" and res["packets"] == 20
    assert res["duration_s"] < 3
    assert all(f["dport"] == port for f in res["top_flows"])
    pcap = (tmp_path / "capture.pcap").read_bytes()
    magic, _, _, _, _, snaplen, linktype = net_capture._PCAP_HEADER.unpack_from(pcap)
    assert (magic, snaplen, linktype) == (0xA1B2C3D4, 128, res["linktype"])
    # Each record is cut to snaplen; the original length is kept.
    _, _, caplen, length = net_capture._RECORD.unpack_from(pcap, 24)
    assert caplen == 128 and length > 300
    from scapy.utils import rdpcap

    assert len(rdpcap(str(tmp_path / "capture.pcap"))) == 20  # Wireshark-readable pcap


def test_capture_is_skipped_without_root(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    from collectors import net_capture
    from toolkit import _platform

    monkeypatch.setattr(_platform, "is_admin", lambda: False)
    with pytest.raises(Skipped, match="needs root"):
        run(net_capture, tmp_path, filter="tcp port 443")
