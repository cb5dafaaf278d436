"""network.interfaces — every network interface: state, link, addresses, MTU,
speed, duplex and error/drop counters.

Live from psutil (``net_if_addrs``, ``net_if_stats``, ``net_io_counters``).
With ``source=FILE`` a saved Windows ``ipconfig /all`` or Linux ``ip -j addr``
output is analysed instead (those carry no counters: ``counters`` is null).

Output::

    {
      "source": "live" | "<path>", "format": null | "ipconfig" | "ip-json",
      "interfaces": [
        {"name": "eth0", "description": null | "Intel(R) Ethernet …",
         "up": true,                # administratively up
         "link": true | null,       # carrier / media present (null: not known)
         "loopback": false, "mtu": 1500 | null, "speed_mbps": 1000 | null,
         "duplex": "full" | "half" | null, "mac": "52:54:00:12:34:56" | null,
         "addresses": [{"family": "ipv4" | "ipv6", "address": "10.0.0.5",
                        "prefixlen": 24 | null}],
         "counters": {"bytes_sent": 1, "bytes_recv": 2, "packets_sent": 3,
                      "packets_recv": 4, "errin": 0, "errout": 0,
                      "dropin": 0, "dropout": 0} | null,
         # ip -j addr only: "operstate" ("UP", "DOWN", "UNKNOWN"…)
         # ipconfig only: "dhcp_enabled", "default_gateways", "dns_servers"
        }],
      "active": ["eth0"],           # not loopback, up, link not down, an address that is
                                    # not link-local
      "link_down": ["eth1"],        # up but no carrier (cable out, Wi-Fi not joined)
      "with_errors": [{"name": "eth0", "errin": 3, "errout": 0, "dropin": 0, "dropout": 0}]
    }

``link`` comes from the RUNNING flag live (psutil) and ``LOWER_UP``/``NO-CARRIER``
in ``ip -j addr``; ipconfig's "Media disconnected" gives ``up: true, link: false``.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from collectors._ipconfig import parse_ipconfig
from toolkit.collector import Collector, Context, Param
from toolkit.plans import Plan
from toolkit.schema import BOOL, INT, STR, arr, enum, nullable, obj, opt
from toolkit.sources import SavedOutput, Source

OUTPUT = obj(
    source=STR, format=nullable(enum("ipconfig", "ip-json")),
    interfaces=arr(obj(
        name=STR, description=nullable(STR), up=nullable(BOOL), link=nullable(BOOL),
        loopback=BOOL, mtu=nullable(INT), speed_mbps=nullable(INT),
        duplex=nullable(enum("full", "half")), mac=nullable(STR),
        addresses=arr(obj(family=enum("ipv4", "ipv6"), address=STR, prefixlen=nullable(INT))),
        counters=nullable(obj(bytes_sent=INT, bytes_recv=INT, packets_sent=INT,
                               packets_recv=INT, errin=INT, errout=INT, dropin=INT,
                               dropout=INT)),
        operstate=opt(nullable(STR)),  # ip -j addr only
        dhcp_enabled=opt(nullable(BOOL)), default_gateways=opt(arr(STR)),  # ipconfig only
        dns_servers=opt(arr(STR)))),
    active=arr(STR), link_down=arr(STR),
    with_errors=arr(obj(name=STR, errin=INT, errout=INT, dropin=INT, dropout=INT)),
)

_COUNTERS = ("bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "errin", "errout",
             "dropin", "dropout")


def _link_local(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_link_local


def _mask_len(mask: str | None) -> int | None:
    """'255.255.255.0' → 24, 'ffff:ffff:ffff:ffff::' → 64 (psutil gives masks, not lengths)."""
    if not mask:
        return None
    try:
        bits = bin(int(ipaddress.ip_address(mask))).count("1")
    except ValueError:
        return None
    return bits


def _record(name: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": name, "description": None, "up": None, "link": None,
                            "loopback": False, "mtu": None, "speed_mbps": None,
                            "duplex": None, "mac": None, "addresses": [], "counters": None}
    base.update(fields)
    return base


def parse_ip_json(text: str) -> list[dict[str, Any]]:
    """``ip -j addr`` (iproute2): one record per link."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not ip -j addr output: {exc.msg}") from None
    if not isinstance(data, list) or not all(isinstance(i, dict) and "ifname" in i
                                             for i in data):
        raise ValueError("not ip -j addr output: expected a list of links with 'ifname'")
    out = []
    for item in data:
        flags = set(item.get("flags", []))
        link: bool | None = None
        if "NO-CARRIER" in flags:
            link = False
        elif "LOWER_UP" in flags:
            link = True
        addresses = [{"family": "ipv6" if a.get("family") == "inet6" else "ipv4",
                      "address": a.get("local"), "prefixlen": a.get("prefixlen")}
                     for a in item.get("addr_info", []) if a.get("local")]
        out.append(_record(item["ifname"], up="UP" in flags, link=link,
                           loopback="LOOPBACK" in flags, mtu=item.get("mtu"),
                           mac=item.get("address") if item.get("link_type") != "loopback"
                           else None, addresses=addresses,
                           operstate=item.get("operstate")))
    return out


def from_ipconfig(text: str) -> list[dict[str, Any]]:
    """Windows ``ipconfig /all`` adapters as interface records."""
    out = []
    for ad in parse_ipconfig(text)["adapters"]:
        masks = ad.get("subnet_masks") or []
        addresses = []
        for i, a in enumerate(ad.get("ipv4_addresses", [])):
            addresses.append({"family": "ipv4", "address": a["address"],
                              "prefixlen": _mask_len(masks[i] if i < len(masks) else None)})
        for a in ad.get("ipv6_addresses", []):
            addr, _, plen = a["address"].partition("/")
            addresses.append({"family": "ipv6", "address": addr,
                              "prefixlen": int(plen) if plen.isdigit() else None})
        mac = ad.get("physical_address")
        out.append(_record(
            ad["name"], description=ad.get("description"), up=True,
            link=bool(ad.get("connected")), loopback="loopback" in ad["name"].lower(),
            mac=mac.replace("-", ":").lower() if isinstance(mac, str) else None,
            addresses=addresses, dhcp_enabled=ad.get("dhcp_enabled"),
            default_gateways=ad.get("default_gateways", []),
            dns_servers=ad.get("dns_servers") or []))
    return out


def _live() -> list[dict[str, Any]]:
    import socket

    import psutil

    addrs = psutil.net_if_addrs()
    stats = psutil.net_if_stats()
    counters = psutil.net_io_counters(pernic=True)
    duplex: dict[Any, str] = {psutil.NIC_DUPLEX_FULL: "full", psutil.NIC_DUPLEX_HALF: "half"}
    link_family = getattr(psutil, "AF_LINK", None)
    out = []
    for name in sorted(set(addrs) | set(stats)):
        st = stats.get(name)
        flags = set(getattr(st, "flags", "").split(",")) if st else set()
        mac, addresses = None, []
        for a in addrs.get(name, []):
            if a.family == link_family:
                mac = a.address
            elif a.family in (socket.AF_INET, socket.AF_INET6):
                addresses.append({"family": "ipv6" if a.family == socket.AF_INET6 else "ipv4",
                                  "address": a.address, "prefixlen": _mask_len(a.netmask)})
        io = counters.get(name)
        has_flags = bool(flags - {""})
        out.append(_record(
            # psutil's isup also needs RUNNING (a carrier): an adapter whose cable is out
            # would read as switched off, so the UP flag says "administratively up".
            name, up=("up" in flags) if has_flags else (st.isup if st else None),
            # RUNNING is the driver's "link is up"; psutil gives no flags on Windows.
            link=("running" in flags) if has_flags else None,
            loopback="loopback" in flags or name.lower().startswith(("lo", "loopback")),
            mtu=st.mtu if st else None, speed_mbps=(st.speed or None) if st else None,
            duplex=duplex.get(st.duplex) if st else None, mac=mac, addresses=addresses,
            counters={k: getattr(io, k) for k in _COUNTERS} if io else None))
    return out


def summarise(interfaces: list[dict[str, Any]], source: str, fmt: str | None
              ) -> dict[str, Any]:
    active, down, errors = [], [], []
    for i in interfaces:
        if i["loopback"]:
            continue
        if i["up"] and i["link"] is False:
            down.append(i["name"])
        elif i["up"] and any(not _link_local(a["address"]) for a in i["addresses"]):
            active.append(i["name"])
        c = i["counters"]
        if c and any(c[k] for k in ("errin", "errout", "dropin", "dropout")):
            errors.append({"name": i["name"], **{k: c[k] for k in
                                                 ("errin", "errout", "dropin", "dropout")}})
    return {"source": source, "format": fmt, "interfaces": interfaces, "active": active,
            "link_down": down, "with_errors": errors}


def is_ip_json(head: bytes) -> bool:
    return head.lstrip().startswith(b"[")


def saved_ip_json(saved: SavedOutput) -> dict[str, Any]:
    return summarise(parse_ip_json(saved.text), saved.path, "ip-json")


def saved_ipconfig(saved: SavedOutput) -> dict[str, Any]:
    return summarise(from_ipconfig(saved.text), saved.path, "ipconfig")


def plan(params: dict[str, Any]) -> Plan:
    return Plan(notes=["psutil: the interfaces, their addresses, state and counters; no "
                       "command is run"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return summarise(_live(), "live", None)


COLLECTOR = Collector(
    name="network.interfaces",
    output=OUTPUT,
    summary="Network interfaces: state, link, addresses, MTU, speed, error counters",
    gather=gather,
    params=(Param("source", "str", None,
                  "analyse a saved Windows ipconfig /all or Linux ip -j addr output instead"),),
    sources=(Source("ip-json", saved_ip_json, "a saved Linux ip -j addr output",
                    detect=is_ip_json),
             Source("ipconfig", saved_ipconfig, "a saved Windows ipconfig /all output")),
    plan=plan,
    doc=__doc__ or "",
)
