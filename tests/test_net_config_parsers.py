"""Saved-output parsers of network.routes and network.interfaces, on real outputs
(tests/fixtures/network.routes/, network.interfaces/, ipconfig/; see SOURCES.md).

Expected values were read off the raw outputs by hand; each assertion says which
line of the output it comes from.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from collectors import _routeparse, net_interfaces, net_routes
from collectors._dnswire import build_query, parse_response
from toolkit.collector import Context, Failed

FIX = Path(__file__).parent / "fixtures"
ROUTES = FIX / "network.routes"
IFACES = FIX / "network.interfaces"


def _ctx() -> Context:
    # source= is handled by the framework (toolkit.sources), which keeps a copy of the file
    return Context(workdir=Path(tempfile.mkdtemp(prefix="step-")), deadline=time.monotonic() + 30)


def routes(name: str) -> dict:
    return net_routes.COLLECTOR.collect(_ctx(), {"source": str(ROUTES / name)})


@pytest.mark.parametrize(("name", "fmt", "count", "gateway", "iface", "metric"), [
    # "0.0.0.0 192.168.71.2 0.0.0.0 UG 100 … ens33"
    ("centos-7.7__route-vn.out", "route-n", 3, "192.168.71.2", "ens33", 100),
    ("centos-7.7__netstat-rnee.out", "route-n", 3, "192.168.71.2", "ens33", 100),
    ("ubuntu-18.04__netstat-rne.out", "route-n", 3, "192.168.71.2", "ens33", 100),
    # without -n the gateway is a name, and netstat -r prints no metric
    ("ubuntu-18.04__route.out", "route-n", 3, "_gateway", "ens33", 100),
    ("ubuntu-18.04__netstat-r.out", "route-n", 3, "_gateway", "ens33", None),
    ("centos-7.7__netstat-r.out", "route-n", 3, "gateway", "ens33", None),
    # "::/0 fe80::feae:34ff:fea1:3a80 UG 100 1 4 ens33"; the "!n" ::/0 on lo is a reject route
    ("centos-7.7__route-6-n.out", "route-n", 21, "fe80::feae:34ff:fea1:3a80", "ens33", 100),
    # "default 192.168.1.254 UGSc … en0"; 19 link-layer neighbours left out of 30 rows
    ("osx-10.14.6__netstat-rnl.out", "netstat", 42, "192.168.1.254", "en0", None),
    ("osx-10.14.6__netstat-r.out", "netstat", 42, "dsldevice.attlocal", "en0", None),
    # "0.0.0.0 0.0.0.0 192.168.31.1 192.168.31.221 30"
    ("windows__windows-10__route.out", "route-print", 73, "192.168.31.1",
     "192.168.31.221", 30),
    ("debian-12-netns__ip-j-route.json", "ip-json", 2, "10.200.1.1", "v1a", None),
    ("debian-12-netns__ip-j-6-route.json", "ip-json", 3, "fd00:200:1::1", "v1a", 1024),
])
def test_default_gateway(name: str, fmt: str, count: int, gateway: str, iface: str,
                         metric: int | None) -> None:
    got = routes(name)
    assert got["format"] == fmt and len(got["routes"]) == count
    first = got["default_gateways"][0]
    assert (first["gateway"], first["interface"], first["metric"]) == (gateway, iface, metric)
    assert got["default_gateway"] == gateway


def test_route_details() -> None:
    rows = routes("centos-7.7__route-vn.out")["routes"]
    # "172.17.0.0 0.0.0.0 255.255.0.0 U 0 0 0 docker0": on-link, a /16
    assert rows[1] == {"destination": "172.17.0.0/16", "gateway": None,
                       "interface": "docker0", "family": "ipv4", "metric": 0,
                       "flags": "U", "default": False}
    v6 = routes("centos-7.7__route-6-n.out")
    assert len(v6["default_gateways"]) == 1  # the "!n" reject defaults are not gateways
    win = routes("windows__windows-10__route.out")["routes"]
    # IPv6 "57 5256 fe80::a625:de92:858:a42a/128" with "On-link" wrapped onto the next line
    wrapped = [r for r in win if r["destination"] == "fe80::a625:de92:858:a42a/128"]
    assert wrapped == [{"destination": "fe80::a625:de92:858:a42a/128", "gateway": None,
                        "interface": "Hyper-V Virtual Ethernet Adapter #2",
                        "family": "ipv6", "metric": 5256, "flags": "", "default": False}]
    # the persistent route 157.0.0.0 is listed once, from Active Routes
    assert sum(r["destination"] == "157.0.0.0/8" for r in win) == 1
    mac = routes("osx-10.14.6__netstat-rnl.out")["default_gateways"]
    assert [g["interface"] for g in mac] == ["en0", "en0", "utun0", "utun1", "utun2", "utun3"]


def test_router_with_its_uplink_down_has_no_default_route() -> None:
    got = routes("debian-12-netns-router__ip-j-route.json")
    assert got["default_gateway"] is None and got["routes"][0]["scope"] == "link"


def test_routes_rejects_other_text(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("hello\n")
    with pytest.raises(Failed, match="not a routing table"):
        net_routes.COLLECTOR.collect(Context(tmp_path, time.monotonic() + 5),
                                     {"source": str(bad)})
    with pytest.raises(ValueError):
        _routeparse.parse_route_print("nothing")


def interfaces(path: Path) -> dict:
    return net_interfaces.COLLECTOR.collect(_ctx(), {"source": str(path)})


def test_ip_json_link_states() -> None:
    client = interfaces(IFACES / "debian-12-netns__ip-j-addr.json")
    assert client["format"] == "ip-json" and client["active"] == ["v1a"]
    v1a = client["interfaces"][1]
    assert (v1a["up"], v1a["link"], v1a["mtu"], v1a["mac"]) == (True, True, 1500,
                                                                "86:12:cf:6a:02:9c")
    assert v1a["addresses"][0] == {"family": "ipv4", "address": "10.200.1.2", "prefixlen": 24}
    assert v1a["counters"] is None
    # router2: v2b "NO-CARRIER,BROADCAST,MULTICAST,UP", mtu 1400
    r2 = interfaces(IFACES / "debian-12-netns-nocarrier__ip-j-addr.json")
    assert r2["link_down"] == ["v2b"] and r2["active"] == ["v3a"]
    v2b = r2["interfaces"][1]
    assert (v2b["up"], v2b["link"], v2b["mtu"]) == (True, False, 1400)
    # router1: v2a set down by hand — not up, so neither active nor "link down"
    r1 = interfaces(IFACES / "debian-12-netns-linkdown__ip-j-addr.json")
    v2a = next(i for i in r1["interfaces"] if i["name"] == "v2a")
    assert v2a["up"] is False and "v2a" not in r1["link_down"] + r1["active"]


def test_ipconfig_as_interfaces() -> None:
    got = interfaces(FIX / "ipconfig" / "windows__windows-10__ipconfig.out")
    assert got["format"] == "ipconfig" and got["interfaces"]
    for adapter in got["interfaces"]:
        if adapter["link"] is False:
            assert adapter["name"] in got["link_down"]
    with_v4 = [i for i in got["interfaces"] if any(a["family"] == "ipv4"
                                                   for a in i["addresses"])]
    assert with_v4 and all(a["prefixlen"] is not None for i in with_v4
                           for a in i["addresses"] if a["family"] == "ipv4")


def test_dns_wire_against_scapy() -> None:
    # scapy's DNS layer is an independent implementation of RFC 1035.
    from scapy.layers.dns import DNS, DNSQR, DNSRR

    query = DNS(build_query(0x1234, "www.example.org", "AAAA"))
    assert query.id == 0x1234 and query.rd == 1
    assert query[DNSQR].qname == b"www.example.org." and query[DNSQR].qtype == 28
    answer = bytes(DNS(id=7, qr=1, ra=1, qd=query.qd, an=[
        DNSRR(rrname="www.example.org.", type="AAAA", ttl=99, rdata="2001:db8::1")]))
    got = parse_response(answer)
    assert got["rcode"] == "NOERROR" and got["records"][0]["value"] == "2001:db8::1"
    with pytest.raises(ValueError, match="not a response"):
        parse_response(build_query(1, "a.example"))
