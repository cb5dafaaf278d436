"""The network-connectivity and data-sync playbooks, run as a user would run them:
with their defaults (which stay on 127.0.0.1), with answers pointing at servers the
test starts on loopback, and inside the namespace topology (netns), where loss at a
router must be named by hop and escalated to L2-network. Also network.tcp's
"filtered" and "unreachable" verdicts, which need a firewall: nft in the server
namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import run_process
from net_servers import HttpServer, UdpResponder, make_cert, sntp_reply
from netns_topology import ROUTER1, SERVER, Topology, running


def _run_json(*args: str, prefix: list[str] | None = None, env: dict[str, str] | None = None
              ) -> dict:
    if prefix:
        proc = subprocess.run([*prefix, sys.executable, "-m", "toolkit", *args],
                              capture_output=True, text=True, timeout=180, cwd="/",
                              env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
    else:
        proc = run_process(*args, env=env, timeout=180)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 3), proc.stderr
    return json.loads(proc.stdout)


def _steps(out: dict) -> dict[str, dict]:
    return {s["id"]: s for s in out["steps"]}


def test_the_failing_host_is_required_unattended(tmp_path: Path) -> None:
    # Testing the loopback by default found nothing and said so: the host must be named.
    r = subprocess.run([sys.executable, "-m", "toolkit", "run", "network-connectivity",
                        "--non-interactive", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "target" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("playbook", ["network-connectivity", "data-sync"])
def test_defaults_run_unattended_on_loopback(playbook: str, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("target: 127.0.0.1\n", encoding="utf-8")
    extra = ["--answers", str(answers)] if playbook == "network-connectivity" else []
    out = _run_json("run", playbook, "--non-interactive", "--json", "--out", str(tmp_path),
                    *extra)
    steps = _steps(out)
    assert not [s for s in steps.values() if s["outcome"] in ("failed", "timed_out")]
    # The steps that would reach beyond loopback are off by default.
    for step in ("gateway_ping", "capture", "clock", "logs"):
        if step in steps:
            assert steps[step]["outcome"] == "skipped"
            assert "condition is false" in steps[step]["reason"]


def test_data_sync_finds_expired_certificate_skew_and_log_errors(tmp_path: Path) -> None:
    if not shutil.which("openssl"):
        pytest.skip("openssl command line not installed")
    cert = make_cert(tmp_path / "ca", "expired", expired=True)
    log = tmp_path / "sync.log"
    now = datetime.now(timezone.utc)
    stamp = [(now - timedelta(days=5 - d, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
             for d in range(6)]  # the last five days, inside data-sync's 7-day window
    log.write_text("".join(
        f"{stamp[d]} ERROR sync: upload of batch {d} failed: connection reset by peer\n"
        for d in range(5)) + f"{stamp[5]} INFO sync: idle\n")
    with HttpServer(cert=cert) as https, UdpResponder(sntp_reply(skew_s=-400)) as ntp:
        answers = tmp_path / "answers.yaml"
        answers.write_text(json.dumps({
            "url": f"https://127.0.0.1:{https.port}/api/health", "ca_file": str(cert[0]),
            "ntp_server": f"127.0.0.1:{ntp.port}", "log_paths": str(log)}))
        out = _run_json("run", "data-sync", "--non-interactive", "--json", "--answers",
                        str(answers), "--out", str(tmp_path))
    findings = {f["id"]: f for f in out["findings"]}
    assert "certificate has expired" in findings["tls_failed"]["finding"]
    assert "expired" in findings["cert_expiry"]["finding"]
    assert findings["clock_skew"]["finding"].startswith("This clock is 400 s ahead of")
    assert "5 error lines" in findings["sync_errors"]["finding"]
    assert "tcp_failed" not in findings and "dns_failed" not in findings
    # The certificate ran out years ago: the 400 s skew does not explain it, so the
    # service owner acts (the clock is for L1, named in clock_skew).
    assert out["escalation"]["to"] == "service owner"
    assert out["escalation"]["finding"] == "tls_failed"


# --- inside the namespace topology --------------------------------------------

needs_netns = pytest.mark.skipif(not all(shutil.which(t) for t in ("ip", "nft")),
                                 reason="needs iproute2 and nftables")


@pytest.fixture
def topo() -> Iterator[Topology]:
    with running("skp") as t:  # a crashed earlier run's namespaces go first
        yield t


def _in_client(topo: Topology) -> list[str]:
    return [shutil.which("ip") or "ip", "netns", "exec", topo.client]


@pytest.mark.netns
@needs_netns
def test_connectivity_names_the_hop_where_loss_starts(topo: Topology, tmp_path: Path) -> None:
    topo.drop(topo.router1, 30)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"target": SERVER, "check_gateway": True}))
    out = _run_json("run", "network-connectivity", "--non-interactive", "--json", "--answers",
                    str(answers), "--out", str(tmp_path), prefix=_in_client(topo))
    findings = {f["id"]: f for f in out["findings"]}
    assert findings["loss_hop"]["finding"].startswith("Loss starts at hop 2 (10.200.2.2)")
    assert "target_loss" in findings
    assert "gateway_loss" not in findings  # router1 itself answers every probe
    assert _steps(out)["gateway_ping"]["outcome"] == "ok"
    assert out["escalation"]["to"] == "L2-network"
    assert "loss_hop" in out["escalation"]["findings"]
    # The reason is the finding that decided it, with its hop and figures.
    assert out["escalation"]["finding"] == "loss_hop"
    assert out["escalation"]["reason"] == findings["loss_hop"]["finding"]


@pytest.mark.netns
@needs_netns
def test_connectivity_clean_path_has_no_findings(topo: Topology, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"target": SERVER, "check_gateway": True}))
    out = _run_json("run", "network-connectivity", "--non-interactive", "--json", "--answers",
                    str(answers), "--out", str(tmp_path), prefix=_in_client(topo))
    assert out["findings"] == [] and out["escalation"] is None
    assert _steps(out)["gateway_ping"]["outcome"] == "ok"


def _tcp(topo: Topology, port: int) -> dict:
    out = _run_json("collect", "network.tcp", "--json", "-p", f"host={SERVER}", "-p",
                    f"port={port}", "-p", "count=1", "-p", "timeout=1",
                    prefix=_in_client(topo))
    assert out["outcome"] == "ok", out
    return out["result"]


@pytest.mark.netns
@needs_netns
def test_tcp_refused_filtered_unreachable(topo: Topology) -> None:
    assert _tcp(topo, 8443)["status"] == "refused"  # the server's kernel sends a reset
    topo.ns(topo.server, "nft", "add", "table", "inet", "sktcp")
    topo.ns(topo.server, "nft", "add", "chain", "inet", "sktcp", "in",
            "{ type filter hook input priority 0 ; }")
    topo.ns(topo.server, "nft", "add", "rule", "inet", "sktcp", "in", "tcp", "dport", "8443",
            "drop")
    topo.ns(topo.server, "nft", "add", "rule", "inet", "sktcp", "in", "tcp", "dport", "8444",
            "reject", "with", "icmp", "type", "admin-prohibited")
    filtered = _tcp(topo, 8443)
    assert filtered["status"] == "filtered" and filtered["connect_ms"] is None
    assert _tcp(topo, 8444)["status"] == "unreachable"
    assert ROUTER1  # the path: client → router1 → router2 → server
