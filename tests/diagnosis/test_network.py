"""network-connectivity, run unattended from the client namespace of the test
network (tests/netns_topology.py: client — router1 — router2 — server) with a real
fault injected: loss at each hop (nftables), a dead host and a dead target behind
live routers, no route, no carrier, a refused and a filtered port, failing DNS
servers (a resolver in the server namespace), 400 ms of delay (a tun device in
router2, no netem needed) and a link flap. Each asserts the finding that names
the cause, words of its text, and who must act; the healthy path raises nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import Diagnosis, diagnose
from netns_topology import CLIENT, DEAD, ROUTER1, ROUTER2, SERVER, Topology, running

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(not all(shutil.which(t) for t in ("ip", "nft")),
                       reason="needs iproute2 and nftables"),
]

PLAYBOOK = "network-connectivity"


@pytest.fixture
def topo() -> Iterator[Topology]:
    with running("skd") as t:  # a crashed earlier run's namespaces go first
        yield t


def _run(topo: Topology, tmp: Path, **answers: Any) -> Diagnosis:
    return diagnose(PLAYBOOK, tmp, {"target": SERVER, **answers},
                    prefix=[shutil.which("ip") or "ip", "netns", "exec", topo.client])


def _nft(topo: Topology, ns: str, hook: str, *rule: str) -> None:
    topo.ns(ns, "nft", "add", "table", "inet", "skdiag")
    topo.ns(ns, "nft", "add", "chain", "inet", "skdiag", hook,
            f"{{ type filter hook {hook} priority 0 ; }}")
    topo.ns(ns, "nft", "add", "rule", "inet", "skdiag", hook, *rule)


def _step(result: Diagnosis, step: str) -> dict[str, Any]:
    return result.steps()[step]


def _no_loss_blamed(result: Diagnosis) -> None:
    for wrong in ("loss_hop", "target_loss", "gateway_loss"):
        assert wrong not in result.findings, result.findings[wrong]


# --- loss ---------------------------------------------------------------------

def test_loss_at_hop_1(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "40% loss on the link into router1 (hop 1)", "loss_hop", "L2-network")
    _nft(topo, topo.router1, "prerouting", "iifname", "v1b", "numgen", "random", "mod", "100",
         "lt", "40", "drop")
    result = _run(topo, tmp_path, check_gateway=True)
    assert result.text("loss_hop").startswith(f"Loss starts at hop 1 ({ROUTER1})")
    assert "gateway_loss" in result.findings  # the router itself loses answers: local link
    assert result.escalation_to == "L2-network"


def test_loss_at_hop_2(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "router1 drops 30% of what it forwards (hop 2)", "loss_hop", "L2-network")
    topo.drop(topo.router1, 30)
    result = _run(topo, tmp_path, check_gateway=True)
    text = result.text("loss_hop")
    assert text.startswith(f"Loss starts at hop 2 ({ROUTER2})"), text
    assert "the hops before it lose nothing" in text
    assert "gateway_loss" not in result.findings
    assert result.escalation_to == "L2-network"
    assert f"hop 2 ({ROUTER2})" in result.escalation_reason


def test_loss_at_hop_3(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "router2 drops 30% of what it forwards (hop 3)", "loss_hop", "L2-network")
    topo.drop(topo.router2, 30)
    result = _run(topo, tmp_path)
    assert result.text("loss_hop").startswith(f"Loss starts at hop 3 ({SERVER})")
    assert result.escalation_to == "L2-network"


# --- dead hosts, no route, no carrier -------------------------------------------

def test_dead_host_is_not_loss(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "dead host (nobody at the address; router2 says host unreachable)",
             "target_unreachable", "service owner")
    result = _run(topo, tmp_path, target=DEAD, check_gateway=True)
    text = result.text("target_unreachable")
    assert "host unreachable" in text and ROUTER2 in text, text
    assert "switched off" in text
    _no_loss_blamed(result)
    trace = _step(result, "trace")
    assert trace["outcome"] == "ok"
    assert result.escalation_to == "service owner"
    assert result.escalation_reason == text
    assert "loss" not in result.escalation_reason.replace("100% loss", "")


def test_dead_host_behind_a_router_out_of_icmp_budget(topo: Topology, tmp_path: Path,
                                                     scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "dead host, router2 rate-limits ICMP to one per 3 s (budget spent on the "
             "rounds)", "target_unreachable", "service owner")
    # Its "time exceeded" answers to the rounds use up the budget before its ARP for the
    # address gives up: the "host unreachable" comes only for the trace's last probe.
    topo.ns(topo.router2, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=3000")
    result = _run(topo, tmp_path, target=DEAD)
    text = result.text("target_unreachable")
    assert "host unreachable" in text and ROUTER2 in text, text
    _no_loss_blamed(result)
    assert result.escalation_to == "service owner"


def test_dead_target_behind_live_routers(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "target drops everything (silent behind live routers)",
             "target_unreachable", "L2-network")
    _nft(topo, topo.server, "input", "drop")
    result = _run(topo, tmp_path)
    text = result.text("target_unreachable")
    assert f"the path ends after hop 2 ({ROUTER2})" in text, text
    _no_loss_blamed(result)
    assert result.escalation_to == "L2-network"


def test_dead_gateway(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "gateway gone (its address removed: no ARP answer)",
             "target_unreachable", "L2-network")
    topo.ns(topo.router1, "ip", "addr", "del", f"{ROUTER1}/24", "dev", "v1b")
    result = _run(topo, tmp_path, check_gateway=True)
    text = result.text("target_unreachable")
    assert f"this machine itself ({CLIENT})" in text and "next hop" in text, text
    assert "100.0% packet loss to the gateway" in result.text("gateway_loss")
    assert "loss_hop" not in result.findings
    assert result.escalation_to == "L2-network"


def test_no_route_is_a_finding_not_a_crash(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "no route at all (default route removed)", "no_route", "L1")
    topo.ns(topo.client, "ip", "route", "del", "default")
    result = _run(topo, tmp_path, check_gateway=True)
    assert result.rc == 0, result.stderr  # complete, not "incomplete"
    text = result.text("no_route")
    assert "Network is unreachable" in text and "no default gateway" in text, text
    assert "no_gateway" in result.findings
    assert "target_unreachable" not in result.findings
    assert result.escalation_to == "L1"


def test_cable_pulled_names_the_adapter(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "cable pulled (peer end down: no carrier)", "no_link", "L1")
    topo.unplug()
    result = _run(topo, tmp_path, check_gateway=True)
    text = result.text("no_link")
    assert "v1a" in text and "no carrier" in text, text
    _no_loss_blamed(result)
    assert "local network" not in " ".join(f["finding"] for f in result.findings.values())
    assert result.escalation_to == "L1" and "v1a" in result.escalation_reason


def test_cable_pulled_on_the_adapter_with_the_route(topo: Topology, tmp_path: Path,
                                                    scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "no carrier on the default route's adapter, another one up",
             "route_link_down", "L1")
    # A second adapter with a working link (to the server, no route through it).
    subprocess.run(["ip", "link", "add", "v9a", "netns", topo.client, "type", "veth", "peer",
                    "name", "v9b", "netns", topo.server], check=True, timeout=30)
    topo.ns(topo.client, "ip", "addr", "add", "10.200.9.2/24", "dev", "v9a")
    topo.ns(topo.client, "ip", "link", "set", "v9a", "up")
    topo.ns(topo.server, "ip", "link", "set", "v9b", "up")
    topo.unplug()
    result = _run(topo, tmp_path, check_gateway=True)
    text = result.text("route_link_down")
    assert text.startswith("The adapter v1a, which carries the default route") and "v9a" in text
    _no_loss_blamed(result)
    assert result.escalation_to == "L1"


def test_link_flap_shows_the_counter_that_is_not_zero(topo: Topology, tmp_path: Path,
                                                      scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "link flap (peer down while sending, then up again)", "link_errors")
    topo.unplug()
    subprocess.run(["ip", "netns", "exec", topo.client, "ping", "-c", "3", "-i", "0.1", "-W",
                    "0.2", ROUTER1], capture_output=True, timeout=30, check=False)
    topo.ns(topo.router1, "ip", "link", "set", "v1b", "up")
    time.sleep(0.5)
    result = _run(topo, tmp_path)
    text = result.text("link_errors")
    assert text.startswith("v1a: ") and "outgoing packets dropped" in text, text
    assert " 0 " not in text  # only the counters that are not zero
    assert result.serious() == [] and result.escalation_to is None


# --- ports ----------------------------------------------------------------------

def test_refused_port_goes_to_the_service_owner(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "refused port (nothing listens on 8443)", "port_closed", "service owner")
    result = _run(topo, tmp_path, port=8443)
    text = result.text("port_closed")
    assert "is refused" in text and "no service listens" in text, text
    assert result.escalation_to == "service owner"
    assert "loses packets" not in result.escalation_reason


def test_filtered_port_goes_to_the_network_team(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "filtered port (nft drop on the server)", "port_closed", "L2-network")
    _nft(topo, topo.server, "input", "tcp", "dport", "8443", "drop")
    result = _run(topo, tmp_path, port=8443)
    text = result.text("port_closed")
    assert "is filtered" in text and "firewall" in text, text
    assert result.escalation_to == "L2-network"


# --- delay ------------------------------------------------------------------------

def test_delay_names_the_hop_where_it_starts(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "400 ms delay into the server's subnet (tun in router2)", "delay_hop",
             "L2-network")
    topo.delay(400)
    result = _run(topo, tmp_path)
    text = result.text("delay_hop")
    assert f"at hop 3 ({SERVER})" in text, text
    added = result.finding("delay_hop")["finding"].split("jump by ")[1].split(" ms")[0]
    assert 300 <= int(added) <= 600
    assert "slow_path" in result.findings
    assert result.escalation_to == "L2-network" and "hop 3" in result.escalation_reason
    _no_loss_blamed(result)


# --- DNS --------------------------------------------------------------------------

@pytest.fixture
def resolver(topo: Topology) -> Iterator[Any]:
    """Set the client's configured DNS server (``ip netns exec`` mounts
    /etc/netns/NAME/resolv.conf over /etc/resolv.conf), so applications and the
    playbook ask it, as on a machine whose DHCP hands out a failing resolver."""
    folder = Path("/etc/netns") / topo.client

    def use(address: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "resolv.conf").write_text(f"nameserver {address}\n"
                                            "options timeout:1 attempts:1\n")

    yield use
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def dns_server(topo: Topology, resolver: Any) -> str:
    """A resolver at the server's address, port 53 (tests/diagnosis/dns_serve.py),
    configured as the client's DNS server."""
    script = Path(__file__).with_name("dns_serve.py")
    proc = subprocess.Popen(["ip", "netns", "exec", topo.server, sys.executable, str(script),
                             SERVER, "53"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    topo.helpers.append(proc)
    for _ in range(100):
        ss = subprocess.run(["ip", "netns", "exec", topo.server, "ss", "-uln"],
                            capture_output=True, text=True, timeout=10).stdout
        if f"{SERVER}:53" in ss:
            break
        time.sleep(0.1)
    resolver(SERVER)
    return SERVER


@pytest.mark.parametrize(("name", "status", "words", "team"), [
    ("missing.test", "nxdomain", "does not exist", "L1"),
    ("broken.test", "servfail", "fails to answer", "L2-network"),
    ("silent.test", "timeout", "fails to answer", "L2-network"),
])
def test_dns_answers(topo: Topology, dns_server: str, tmp_path: Path, name: str, status: str,
                     words: str, team: str, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, f"configured DNS server answers {status.upper()} for {name}",
             "dns_failed", team)
    result = _run(topo, tmp_path, target=name)
    text = result.text("dns_failed")
    assert f"{dns_server} {status}" in text and words in text, text
    assert result.escalation_to == team
    assert _step(result, "ping")["outcome"] == "skipped"  # nothing to probe, not a failure


def test_dns_server_down(topo: Topology, resolver: Any, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "configured DNS server down (nothing on port 53)", "dns_failed",
             "L2-network")
    resolver(SERVER)
    result = _run(topo, tmp_path, target="server.test")
    text = result.text("dns_failed")
    assert f"{SERVER} " in text and "fails to answer" in text, text
    assert result.escalation_to == "L2-network"


def test_dns_server_behind_a_firewall(topo: Topology, dns_server: str, tmp_path: Path,
                                      scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "DNS server behind a firewall that drops UDP 53 (timeouts)",
             "dns_failed", "L2-network")
    _nft(topo, topo.router2, "forward", "udp", "dport", "53", "drop")
    result = _run(topo, tmp_path, target="server.test")
    assert f"{dns_server} timeout" in result.text("dns_failed")
    assert result.escalation_to == "L2-network"


# --- healthy controls ---------------------------------------------------------------

def test_healthy_path(topo: Topology, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "none (healthy path through two routers, gateway and port checked)")
    topo.helpers.append(subprocess.Popen(  # killed with the topology
        ["ip", "netns", "exec", topo.server, sys.executable, "-c",
         "import socket,time; s=socket.socket(); s.bind(('0.0.0.0', 8080)); s.listen();"
         " time.sleep(600)"]))
    time.sleep(0.3)
    result = _run(topo, tmp_path, check_gateway=True, port=8080)
    assert result.serious() == [], result.findings
    assert result.escalation_to is None
    trace = _step(result, "trace")
    assert trace["outcome"] == "ok"
    assert CLIENT  # the run starts at the client's address


def test_healthy_dns(topo: Topology, dns_server: str, tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    scenario(PLAYBOOK, "none (the name resolves at the configured DNS server)")
    result = _run(topo, tmp_path, target="server.test")
    assert result.serious() == [], result.findings
    assert _step(result, "ping")["outcome"] == "ok"
    assert result.escalation_to is None
