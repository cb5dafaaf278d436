"""network.ping and network.traceroute on a namespace topology the test builds.

client — router1 — router2 — server, veth pairs only (tests/netns_topology.py):
no packet can leave for a real network. Each test gets a fresh topology so the
routers' ICMP rate-limit budgets start full, as on a path nobody probed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest
from netns_topology import DEAD, ROUTER1, ROUTER2, SERVER, Topology, running

pytestmark = pytest.mark.netns

if not all(shutil.which(tool) for tool in ("ip", "nft")):
    pytest.skip("needs iproute2 and nftables", allow_module_level=True)


@pytest.fixture
def topo() -> Iterator[Topology]:
    with running("sk") as t:  # a crashed earlier run's namespaces go first
        yield t


SETPRIV = shutil.which("setpriv") or "setpriv"
NOBODY = [SETPRIV, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
NO_CAPS = [SETPRIV, "--bounding-set=-all", "--inh-caps=-all"]


def unprivileged() -> list[str]:
    """Run as nobody; where nobody cannot start this interpreter (a Python under
    /root, as on some dev boxes), as root stripped of every capability instead."""
    probe = subprocess.run([*NOBODY, sys.executable, "-c",
                            "import os, sys; sys.exit(not os.access(sys.executable, os.X_OK))"],
                           capture_output=True, timeout=30, cwd="/", check=False)
    return NOBODY if probe.returncode == 0 else NO_CAPS


def collect(topo: Topology, name: str, *params: str, prefix: list[str] | None = None,
            env: dict[str, str] | None = None) -> dict:
    argv = [*(prefix or []), sys.executable, "-m", "toolkit", "collect", name, "--json"]
    for p in params:
        argv += ["-p", p]
    ip = shutil.which("ip") or "ip"  # found before a test's PATH hides the system tools
    proc = subprocess.run([ip, "netns", "exec", topo.client, *argv], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})}, cwd="/")
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def addresses(result: dict) -> list:
    return [h["address"] for h in result["hops"]]


@pytest.mark.parametrize("mode", ["icmp", "udp", "tcp"])
def test_traceroute_lists_routers_and_server(topo: Topology, mode: str) -> None:
    out = collect(topo, "network.traceroute", f"host={SERVER}", f"mode={mode}")
    assert out["outcome"] == "ok", out["reason"]
    res = out["result"]
    assert res["method"] == "scapy" and res["reached"] is True
    assert addresses(res) == [ROUTER1, ROUTER2, SERVER]
    assert all(h["loss_pct"] == 0.0 for h in res["hops"])


def test_traceroute_to_dead_address_ends_after_one_timeout_and_the_last_word(
        topo: Topology) -> None:
    out = collect(topo, "network.traceroute", f"host={DEAD}", "timeout=1.5")
    res = out["result"]
    assert out["outcome"] == "ok" and res["reached"] is False
    # router2 gives up on the address's ARP only after the 1.5 s: its "host unreachable"
    # comes for the one last probe, sent to the first hop that stayed silent.
    assert addresses(res) == [ROUTER1, ROUTER2, ROUTER2]
    assert res["unreachable"]["address"] == ROUTER2 and res["unreachable"]["flag"] == "!H"
    # Not a speed test (that is benchmarks/bench_traceroute.py): one TTL after another
    # would wait 1.5 s for each of the silent TTLs, many times this bound.
    assert out["duration_s"] < 1.5 + 4 + 2, "probes were not sent in parallel"


def test_traceroute_system_fallback_parses(topo: Topology) -> None:
    if not shutil.which("traceroute"):
        pytest.skip("traceroute not installed")
    out = collect(topo, "network.traceroute", f"host={SERVER}", "method=system")
    res = out["result"]
    assert out["outcome"] == "ok" and res["method"] == "system_traceroute"
    assert res["reached"] is True and addresses(res) == [ROUTER1, ROUTER2, SERVER]


def test_ping_counts_exactly(topo: Topology) -> None:
    out = collect(topo, "network.ping", f"host={SERVER}", "count=5", "interval=0.1")
    res = out["result"]
    assert res["method"] == "scapy"
    assert (res["sent"], res["received"], res["loss_pct"]) == (5, 5, 0.0)
    assert [p["seq"] for p in res["probes"]] == [1, 2, 3, 4, 5]
    assert all(p["ttl"] == 62 for p in res["probes"])  # two routers on the way
    out = collect(topo, "network.ping", f"host={DEAD}", "count=3", "interval=0.1",
                     "timeout=0.5")
    res = out["result"]
    assert (res["sent"], res["received"], res["loss_pct"]) == (3, 0, 100.0)


@pytest.mark.parametrize("method", ["system_ping"])
def test_ping_fallback_methods_agree(topo: Topology, method: str) -> None:
    out = collect(topo, "network.ping", f"host={SERVER}", "count=3", "interval=0.2",
                     f"method={method}")
    res = out["result"]
    assert res["method"] == method
    assert (res["sent"], res["received"], res["loss_pct"]) == (3, 3, 0.0)


def test_loss_at_a_router_shows_from_the_next_hop_on(topo: Topology) -> None:
    # router1 drops 30% of what it forwards: hop 1 (router1 itself) answers
    # every probe; router2 and the server lose probes or replies.
    topo.drop(topo.router1, 30)
    out = collect(topo, "network.traceroute", f"host={SERVER}", "count=10")
    res = out["result"]
    rows = {r["ttl"]: r for r in res["summary"]}
    assert rows[1]["loss_pct"] == 0.0 and rows[1]["sent"] == 10
    assert rows[2]["loss_pct"] > 0 and rows[3]["loss_pct"] > 0
    assert res["loss_starts_at"] == 2, json.dumps(res["summary"])
    ping = collect(topo, "network.ping", f"host={SERVER}", "count=20", "interval=0.05",
                      "timeout=0.5")
    assert ping["result"]["loss_pct"] > 0


def test_ping_with_ping_group_range_uses_an_unprivileged_socket(topo: Topology) -> None:
    topo.ns(topo.client, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
    home = _shared_home()
    out = collect(topo, "network.ping", f"host={SERVER}", "count=3", "interval=0.2",
                     prefix=unprivileged(), env={"SUPPORTKIT_HOME": home})
    res = out["result"]
    assert out["outcome"] == "ok" and res["method"] == "icmp_dgram"
    assert (res["sent"], res["received"]) == (3, 3)


def _shared_home() -> str:
    home = tempfile.mkdtemp(prefix="sk-nobody-")
    os.chmod(home, 0o777)
    return home


def test_unprivileged_runs_fall_back_or_skip_with_the_fix(topo: Topology) -> None:
    env = {"SUPPORTKIT_HOME": _shared_home()}
    who = unprivileged()
    ping = collect(topo, "network.ping", f"host={SERVER}", "count=2", "interval=0.2",
                      prefix=who, env=env)
    trace = collect(topo, "network.traceroute", f"host={SERVER}", prefix=who, env=env)
    for out in (ping, trace):
        if out["outcome"] == "ok":  # the system tool, setcap'd or UDP-based, stepped in
            assert out["result"]["method"] in ("system_ping", "system_traceroute")
        else:
            assert out["outcome"] == "skipped"
            assert "setcap cap_net_raw" in out["reason"]
    # Without any system tool on PATH nothing is left: skipped, with both fixes.
    bare = {**env, "PATH": "/nonexistent"}
    for name in ("network.ping", "network.traceroute"):
        out = collect(topo, name, f"host={SERVER}", prefix=who, env=bare)
        assert out["outcome"] == "skipped", out
        assert "setcap cap_net_raw+ep" in out["reason"]
        assert "ping_group_range" in out["reason"] or "install" in out["reason"]


def test_dead_host_is_unreachable_not_reached_and_not_loss(topo: Topology) -> None:
    # Long enough for router2's neighbour lookup to give up and answer "host unreachable".
    out = collect(topo, "network.traceroute", f"host={DEAD}", "count=8", "interval=0.5",
                  "timeout=1")
    res = out["result"]
    assert out["outcome"] == "ok" and res["reached"] is False
    assert res["unreachable"]["flag"] == "!H" and res["unreachable"]["address"] == ROUTER2
    assert res["loss_starts_at"] is None, json.dumps(res["summary"])
    assert res["delay_starts_at"] is None  # the slow "unreachable" answers are not delay
    ping = collect(topo, "network.ping", f"host={DEAD}", "count=3", "interval=0.2",
                   "timeout=3.5")["result"]
    assert ping["loss_pct"] == 100.0
    assert [u["address"] for u in ping["unreachable_from"]] == [ROUTER2]


@pytest.mark.parametrize("method", ["scapy", "system_ping"])
def test_no_route_is_reported_not_a_crash(topo: Topology, method: str) -> None:
    topo.ns(topo.client, "ip", "route", "del", "default")
    ping = collect(topo, "network.ping", f"host={SERVER}", "count=2", "interval=0.1",
                   f"method={method}")
    assert ping["outcome"] == "ok", ping["reason"]
    assert ping["result"]["send_error"] == "Network is unreachable"
    assert ping["result"]["loss_pct"] == 100.0
    if method == "scapy":
        trace = collect(topo, "network.traceroute", f"host={SERVER}", "count=2")
        assert trace["outcome"] == "ok", trace["reason"]
        assert trace["result"]["send_error"] == "Network is unreachable"
        assert trace["result"]["hops"] == [] and trace["result"]["reached"] is False
