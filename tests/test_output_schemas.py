"""Every built-in collector declares its output schema (``Collector.output``), and every
result it gives — live on this machine, on servers the tests start on 127.0.0.1, and on
every real output under tests/fixtures/ — is valid against it (JSON Schema 2020-12).

The schemas close their objects (``additionalProperties: false``), so a key the code
returns that the schema does not name fails here, and a field the schema names is one
``playbook lint`` lets playbooks read: the two cannot drift apart silently.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from jsonschema import Draft202012Validator
from net_servers import (
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
from test_logs_structured import journal_file  # noqa: F401 - a fixture, used by name

import collectors
from toolkit.collector import Collector, Context, Failed
from toolkit.run.isolation import execute
from toolkit.run.runner import platform_skip

BUILTIN: list[Collector] = [importlib.import_module(m).COLLECTOR for m in collectors.BUILTIN]
BY_NAME = {c.name: c for c in BUILTIN}
DICT_METHODS = {n for n in dir(dict) if not n.startswith("_")}


def validate(collector: Collector, result: dict[str, Any],
             schema: dict[str, Any] | None = None) -> None:
    errors = sorted(Draft202012Validator(schema or collector.output or {}).iter_errors(result),
                    key=lambda e: list(e.absolute_path))
    assert not errors, f"{collector.name}: " + "; ".join(
        f"at {'/'.join(map(str, e.absolute_path)) or 'top'}: {e.message[:300]}"
        for e in errors[:5])


def _objects(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        if "properties" in schema:
            yield where, schema
        for key, value in schema.items():
            yield from _objects(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _objects(value, f"{where}/{i}")


# ------------------------------------------------------------------ the declarations

@pytest.mark.parametrize("collector", BUILTIN, ids=lambda c: c.name)
def test_every_builtin_collector_declares_its_output(collector: Collector) -> None:
    assert collector.output is not None, f"{collector.name} declares no output= schema"
    Draft202012Validator.check_schema(collector.output)
    objects = list(_objects(collector.output))
    assert objects and objects[0][0] == "", "the result is an object with named fields"
    for where, obj in objects:
        # closed, so that a misspelt field is an error, not an unknown
        assert obj.get("additionalProperties") is False, f"{where or 'top'} is left open"
        # jinja2 finds dict methods before keys: steps.x.items would be the method
        clash = set(obj["properties"]) & DICT_METHODS
        assert not clash, f"{where or 'top'}: {clash} cannot be read as steps.<id>.<field>"


def test_collectors_json_shows_each_output_schema(cli: Any) -> None:
    res = cli("collectors", "--json")
    assert res.code == 0
    shown = {c["name"]: c["output"] for c in json.loads(res.out)["collectors"]}
    for collector in BUILTIN:
        assert shown[collector.name] == {"$schema": "https://json-schema.org/draft/2020-12/"
                                                    "schema", **(collector.output or {})}


def test_a_plugin_without_output_shows_null(cli: Any, plugins: Any) -> None:
    plugins("sk_testcollectors")
    res = cli("collectors", "--json")
    shown = {c["name"]: c for c in json.loads(res.out)["collectors"]}
    assert shown["tests.echo"]["output"] is None
    assert shown["system.info"]["output"]["type"] == "object"


def test_a_result_that_leaves_the_schema_is_refused() -> None:
    # The check below is what every other test here relies on: it must be able to fail.
    collector = BY_NAME["network.tcp"]
    good = {"host": "h", "port": 1, "address": "127.0.0.1", "family": "ipv4",
            "resolve_ms": 0.1, "status": "refused", "connect_ms": None,
            "attempts": [{"status": "refused", "connect_ms": None, "detail": "x"}],
            "open": 0, "sent": 1}
    validate(collector, good)
    for bad in ({**good, "extra": 1}, {**good, "status": "closed"},
                {k: v for k, v in good.items() if k != "sent"},
                {**good, "attempts": [{"status": "open", "connect_ms": "fast", "detail": ""}]}):
        with pytest.raises(AssertionError):
            validate(collector, bad)


# ------------------------------------------------------------------ live, on this machine

LIVE: dict[str, dict[str, Any]] = {
    "logs.files": {"paths": ["/var/log/*.log", "/var/log/apt/*.log"]},
    "logs.journal": {"since": "2h"},
    "disk.largest": {"path": "/etc", "max_seconds": 5},
    "disk.health": {"device_timeout": 10},
    "system.processes": {"sample_s": 0.2},
    "disk.io": {"sample_s": 0.3},
    "account.access": {"path": "/etc/shadow"},
    "kb.search": {"query": "printer does not print"},
    "network.ping": {"host": "127.0.0.1", "count": 3, "interval": 0.05},
    "network.traceroute": {"host": "127.0.0.1", "count": 2, "interval": 0.05, "timeout": 1},
    "network.dns": {"names": ["localhost", "127.0.0.1"], "timeout": 0.5},
    "network.tcp": {"host": "127.0.0.1", "port": 1, "count": 1},
    "network.http": {"url": "http://127.0.0.1:1/", "timeout": 2},
    "network.clock": {"server": "127.0.0.1:1", "count": 1, "timeout": 0.3},
    "network.capture": {"duration": 0.5, "filter": "icmp", "interface": "lo"},
}


def run_live(collector: Collector, params: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Run as a playbook step would (a worker process), validate; skip if it skips here."""
    resolved = collector.resolve_params(params)
    why_not = platform_skip(collector, resolved)
    if why_not:
        pytest.skip(f"{collector.name}: {why_not}")
    got = execute(collector, resolved, tmp_path / f"step-{time.monotonic_ns()}", 60)
    if got.outcome == "skipped":
        # a skipped step has no result: nothing for checks to read, nothing to validate
        assert got.result == {} and got.reason
        pytest.skip(f"{collector.name} skips here: {got.reason}")
    assert got.outcome == "ok", f"{collector.name} {got.outcome}: {got.reason}"
    validate(collector, got.result)
    return got.result


@pytest.mark.live
@pytest.mark.parametrize("collector", BUILTIN, ids=lambda c: c.name)
def test_live_result_matches_its_schema(collector: Collector, tmp_path: Path) -> None:
    run_live(collector, LIVE.get(collector.name, {}), tmp_path)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl command line not installed (apt install openssl)")
    return make_cert(tmp_path_factory.mktemp("certs"), "good")


@contextmanager
def _servers(case: str, cert: tuple[Path, Path]) -> Iterator[dict[str, Any]]:
    """The parameters of one case, with the loopback servers it talks to running."""
    with ExitStack() as stack:
        if case == "https-trusted":
            srv = stack.enter_context(HttpServer(cert=cert))
            yield {"url": f"https://127.0.0.1:{srv.port}/", "ca_file": str(cert[0])}
        elif case == "https-untrusted":
            srv = stack.enter_context(HttpServer(cert=cert))
            yield {"url": f"https://127.0.0.1:{srv.port}/"}
        elif case == "http-redirects":
            srv = stack.enter_context(HttpServer())
            yield {"url": f"http://127.0.0.1:{srv.port}/redirect"}
        elif case == "dns-answers":
            dns = stack.enter_context(UdpResponder(dns_reply))
            yield {"names": ["ok.test", "alias.test", "missing.test", "broken.test",
                             "refused.test", "silent.test", "127.0.0.1"],
                   "servers": [f"127.0.0.1:{dns.port}"], "timeout": 0.5, "system": False}
        elif case == "dns-over-tcp":
            udp, tcp = dns_pair(lambda q: dns_big_reply(q, truncate=True),
                                lambda q: dns_big_reply(q, truncate=False))
            stack.enter_context(udp)
            stack.enter_context(tcp)
            yield {"names": ["big.test"], "servers": [f"127.0.0.1:{udp.port}"],
                   "timeout": 2, "system": False}
        elif case in ("clock-skewed", "clock-kiss", "clock-unsynchronised"):
            reply = {"clock-skewed": sntp_reply(skew_s=42.0),
                     "clock-kiss": sntp_reply(kiss=b"RATE"),
                     "clock-unsynchronised": sntp_reply(leap=3)}[case]
            ntp = stack.enter_context(UdpResponder(reply))
            yield {"server": f"127.0.0.1:{ntp.port}", "count": 2, "interval": 0.05}
        elif case == "tcp-open":
            port = stack.enter_context(Listener()).port
            yield {"host": "127.0.0.1", "port": port, "count": 2, "interval": 0.05}
        elif case == "tcp-refused":
            yield {"host": "localhost", "port": closed_port(), "count": 1}
        else:
            raise AssertionError(case)


SERVED = [("network.http", "https-trusted"), ("network.http", "https-untrusted"),
          ("network.http", "http-redirects"), ("network.dns", "dns-answers"),
          ("network.dns", "dns-over-tcp"), ("network.clock", "clock-skewed"),
          ("network.clock", "clock-kiss"), ("network.clock", "clock-unsynchronised"),
          ("network.tcp", "tcp-open"), ("network.tcp", "tcp-refused")]


@pytest.mark.parametrize("name,case", SERVED, ids=[c for _, c in SERVED])
def test_network_results_against_loopback_servers(name: str, case: str, cert: Any,
                                                  tmp_path: Path) -> None:
    with _servers(case, cert) as params:
        result = run_live(BY_NAME[name], params, tmp_path)
    # the shapes these cases exist for were really produced
    if case == "https-trusted":
        assert result["tls"]["certificate"]["common_name"] == "localhost"
    elif case == "https-untrusted":
        assert result["error"]["kind"] == "verify" and result["tls"]["verified"] is False
    elif case == "http-redirects":
        assert len(result["redirects"]) == 2
    elif case == "dns-answers":
        assert {q["status"] for q in result["queries"]} >= {"ok", "nxdomain", "timeout"}
    elif case == "dns-over-tcp":
        assert result["queries"][0]["transport"] == "tcp"
    elif case == "clock-kiss":
        assert result["status"] == "kiss" and "kiss" in result["samples"][0]


def test_dns_system_lookups_match_the_schema(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    # getaddrinfo answered here (pin_names), in this process: no query leaves the machine
    pin_names(monkeypatch, {"ok.test": "192.0.2.10"})
    with UdpResponder(dns_reply) as dns:
        result = _gather(BY_NAME["network.dns"], tmp_path, names=["ok.test", "missing.test"],
                         servers=[f"127.0.0.1:{dns.port}"], timeout=0.5)
    assert {s["status"] for s in result["system"]} == {"ok", "error"}
    validate(BY_NAME["network.dns"], result)


def test_journal_results_match_the_schema(journal_file: Path, tmp_path: Path) -> None:  # noqa: F811
    live = run_live(BY_NAME["logs.journal"], {"file": str(journal_file)}, tmp_path)
    assert live["crash_count"] == 1 and live["summary"]["top_errors"]
    saved = tmp_path / "journal.json"
    saved.write_bytes(subprocess.run(["journalctl", "--file", str(journal_file), "-o", "json"],
                                     capture_output=True, check=True, timeout=60).stdout)
    again = run_live(BY_NAME["logs.journal"], {"source": str(saved), "max_entries": 10},
                     tmp_path)
    assert again["cut"]["reason"] == "max_entries"


# ------------------------------------------------------------------ every real fixture

# Fixtures read with source=: (collector, glob under tests/fixtures).
SAVED = [
    ("disk.usage", "disk.usage/*.out"), ("disk.health", "disk.health/*.json"),
    ("system.processes", "system.processes/*.json"),
    ("system.services", "system.services/*.out"), ("system.services", "system.services/*.json"),
    ("system.updates", "system.updates/*.log"), ("hardware.sensors", "hardware.sensors/*.json"),
    ("crash.dumps", "crash.dumps/*"), ("account.auth_failures", "account.auth_failures/*.log"),
    ("network.interfaces", "network.interfaces/*.json"), ("network.interfaces", "ipconfig/*.out"),
    ("network.ping", "network.ping/*.out"), ("network.traceroute", "network.traceroute/*.out"),
    ("network.routes", "network.routes/*.out"), ("network.routes", "network.routes/*.json"),
    ("logs.eventlog", "logs.eventlog/*.xml"), ("logs.macos", "logs.macos/*.ndjson"),
]
# Real outputs kept for other tests that are no saved output of the collector's kind: it
# refuses them (Failed, saying what it expected) rather than guessing.
NOT_ITS_INPUT = {"disk.health/smartctl_scan_megaraid.json", "disk.health/smartctl_scan_nvme.json",
                 "disk.health/smartctl_scan_simple.json",
                 "system.services/centos-7.7-systemctl-luf.out",
                 "system.services/ubuntu-18.04-systemctl-lj.out"}


def _files(pattern: str) -> list[Path]:
    return sorted(p for p in FIXTURES.glob(pattern) if p.name != "SOURCES.md")


SAVED_CASES = [(name, p) for name, pattern in SAVED for p in _files(pattern)]


def _rel(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def _gather(collector: Collector, tmp_path: Path, **params: Any) -> dict[str, Any]:
    ctx = Context(workdir=tmp_path, deadline=time.monotonic() + 60)
    return collector.collect(ctx, collector.resolve_params(params))  # source= as the worker does


@pytest.mark.parametrize("name,path", SAVED_CASES, ids=[_rel(p) for _, p in SAVED_CASES])
def test_saved_output_result_matches_its_schema(name: str, path: Path, tmp_path: Path) -> None:
    collector = BY_NAME[name]
    if _rel(path) in NOT_ITS_INPUT:
        with pytest.raises(Failed):
            _gather(collector, tmp_path, source=str(path))
        return
    validate(collector, _gather(collector, tmp_path, source=str(path)))


LOGS = _files("logs.files/*.log") + _files("logs.formats/*.log")


@pytest.mark.parametrize("path", LOGS, ids=_rel)
def test_log_file_result_matches_its_schema(path: Path, tmp_path: Path) -> None:
    result = _gather(BY_NAME["logs.files"], tmp_path, paths=[str(path)])
    assert result["totals"]["files"] == 1
    validate(BY_NAME["logs.files"], result)


def test_parsed_snapshots_and_replies_match_their_schemas() -> None:
    from collectors import account_identity, net_dns, system_info
    from collectors._dnswire import parse_response, summarise

    for path in _files("system.info/*.json"):
        validate(system_info.COLLECTOR, system_info.parse(json.loads(path.read_text())))
    out = account_identity.OUTPUT["properties"]
    for path in _files("account.identity/*.txt"):
        password = account_identity.parse_chage(path.read_text(), date(2026, 1, 1))
        validate(account_identity.COLLECTOR, password, out["password"])
    query = net_dns.OUTPUT["properties"]["queries"]["items"]
    for path in _files("network.dns/*.bin"):
        asked = json.loads(path.with_suffix(".json").read_text())
        name = (asked["question"] or {}).get("name") or "unasked.example"
        record = {**net_dns._blank(name, "192.0.2.53"),
                  **summarise(parse_response(path.read_bytes()), asked["qtype"])}
        validate(net_dns.COLLECTOR, record, query)


def test_every_fixture_is_validated_somewhere() -> None:
    covered = {p for _, p in SAVED_CASES} | set(LOGS) | set(_files("system.info/*.json")) | \
        set(_files("account.identity/*.txt")) | set(_files("network.dns/*.bin"))
    left = []
    for path in _files("*/*"):
        # Folders named after a collector hold its inputs (logs.formats: more logs.files
        # inputs; ipconfig: network.interfaces'); the others (redact/, ssh/) other tests'
        # data, and groundtruth.* the log templates' expected grouping.
        if path.parent.name not in {*BY_NAME, "logs.formats", "ipconfig"} or \
                path.name.startswith("groundtruth."):
            continue
        # X.json beside X.out / X.bin is the expected parse of X (jc style), not an input
        twin = any(path.with_suffix(s).exists() for s in (".out", ".bin")) and \
            path.suffix == ".json"
        if path not in covered and not twin:
            left.append(_rel(path))
    assert not left, f"fixtures no schema test reads (add them to SAVED): {left}"
