"""Pure parsers for routing tables: ``ip -j route``, ``route -n``/``netstat -rn``
(Linux net-tools, IPv4 and IPv6), macOS ``netstat -rn`` and Windows ``route print``.

Every format becomes the same route records (see ``collectors/net_routes.py``);
``default_gateways`` picks the default routes out of them.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

_MAC = re.compile(r"^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}$", re.IGNORECASE)


def _route(destination: str, gateway: str | None, interface: str | None, *,
           family: str, metric: int | None = None, flags: str = "",
           extra: dict[str, Any] | None = None) -> dict[str, Any]:
    default = destination in ("default", "0.0.0.0/0", "::/0")
    return {"destination": "default" if default else destination, "gateway": gateway,
            "interface": interface, "family": family, "metric": metric, "flags": flags,
            "default": default, **(extra or {})}


def _prefix(address: str, mask: str) -> str:
    """'192.168.71.0' + '255.255.255.0' → '192.168.71.0/24' (names stay names)."""
    try:
        length = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return address
    if address == "default":
        return "default"
    return f"{address}/{length}"


def _int(token: str) -> int | None:
    try:
        return int(token)
    except ValueError:
        return None


def parse_ip_json(text: str, family: str | None = None) -> list[dict[str, Any]]:
    """``ip -j route`` / ``ip -j -6 route``: a JSON list of route objects.

    ``family`` is known live (``-4``/``-6`` was given); for a saved output it is
    read from the addresses, and IPv6 routes are the ones carrying ``pref``.
    """
    try:
        data = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ValueError(f"not ip -j route output: {exc.msg}") from None
    if not isinstance(data, list):
        raise ValueError("not ip -j route output: expected a JSON list")
    out = []
    for item in data:
        if not isinstance(item, dict) or "dst" not in item:
            continue
        dst = str(item["dst"])
        v6 = ":" in dst or ":" in str(item.get("gateway", "")) or "pref" in item
        fam = family or ("ipv6" if v6 else "ipv4")
        extra = {k: item[k] for k in ("protocol", "scope", "prefsrc", "type") if k in item}
        out.append(_route(dst, item.get("gateway"), item.get("dev"), family=fam,
                          metric=item.get("metric"), flags=",".join(item.get("flags", [])),
                          extra=extra))
    return out


def _columns(header: str) -> dict[str, int]:
    return {name.lower(): i for i, name in enumerate(header.split())}


def parse_route_n(text: str) -> list[dict[str, Any]]:
    """Linux ``route [-n|-vn|-6 -n]`` and ``netstat -r[n][e][e]`` (net-tools)."""
    lines = [ln.rstrip("\r") for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("Kernel IP"):
        raise ValueError("not route/netstat -r output: no 'Kernel IP… routing table' line")
    v6 = lines[0].startswith("Kernel IPv6")
    cols = _columns(lines[1])
    out = []
    for line in lines[2:]:
        tok = line.split()
        if len(tok) < len(cols) - 1:
            continue
        iface = tok[cols["iface"]] if "iface" in cols else tok[-1]
        if v6:  # "Next Hop" is two words in the header: read by position
            flags, gateway, iface = tok[2], tok[1], tok[-1]
            out.append(_route(tok[0], None if gateway == "::" else gateway, iface,
                              family="ipv6", metric=_int(tok[3]), flags=flags,
                              extra={"reject": "!" in flags}))
            continue
        dest, gateway, mask, flags = tok[0], tok[1], tok[2], tok[3]
        metric = _int(tok[cols["metric"]]) if "metric" in cols else None
        out.append(_route(_prefix(dest, mask) if dest != "default" else "default",
                          None if gateway in ("0.0.0.0", "*") else gateway, iface,
                          family="ipv4", metric=metric, flags=flags))
    return out


def parse_netstat_bsd(text: str) -> list[dict[str, Any]]:
    """macOS/BSD ``netstat -r[n][l]``: the Internet and Internet6 sections.

    Link-layer cache entries (a MAC address or ``link#N`` as gateway on a host
    entry) are neighbours, not routes, and are left out.
    """
    lines = [ln.rstrip() for ln in text.splitlines()]
    if not any(ln.strip() == "Routing tables" for ln in lines):
        raise ValueError("not BSD netstat -r output: no 'Routing tables' line")
    out: list[dict[str, Any]] = []
    family: str | None = None
    cols: dict[str, int] = {}
    for line in lines:
        if line.strip() in ("Internet:", "Internet6:"):
            family, cols = ("ipv6" if line.strip() == "Internet6:" else "ipv4"), {}
            continue
        if family is None or not line.strip():
            continue
        if line.startswith("Destination"):
            cols = _columns(line)
            continue
        tok = line.split()
        if not cols or len(tok) < len(cols) - 1:
            continue
        dest, gateway, flags = tok[0], tok[1], tok[2]
        if _MAC.match(gateway) or (gateway.startswith("link#") and "H" in flags):
            continue
        on_link = gateway.startswith("link#")
        out.append(_route(dest, None if on_link else gateway, tok[cols["netif"]],
                          family=family, flags=flags))
    return out


def parse_route_print(text: str) -> list[dict[str, Any]]:
    """Windows ``route print``: active IPv4 and IPv6 routes (persistent ones are
    listed again under Active Routes when they apply, so that section is skipped)."""
    lines = [ln.rstrip("\r").rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    if not any(ln.strip() == "IPv4 Route Table" for ln in lines):
        raise ValueError("not route print output: no 'IPv4 Route Table' line")
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    section, active, pending = "", False, None
    for line in lines:
        text_ = line.strip()
        if text_ in ("Interface List", "IPv4 Route Table", "IPv6 Route Table"):
            section, active = text_, False
            continue
        if text_ == "Active Routes:":
            active = True
            continue
        if text_.startswith("Persistent Routes:"):
            active = False
            continue
        if text_.startswith("====="):
            continue
        if section == "Interface List":
            m = re.match(r"^\s*(\d+)\.{3}(?:[0-9a-f]{2} )*\.*(.*)$", line, re.IGNORECASE)
            if m:
                names[m.group(1)] = m.group(2).strip(". ")
            continue
        if not active or text_.startswith(("Network Destination", "If Metric")):
            continue
        tok = text_.split()
        if section == "IPv4 Route Table" and len(tok) == 5:
            dest, mask, gateway, iface, metric = tok
            out.append(_route(_prefix(dest, mask), None if gateway == "On-link" else gateway,
                              iface, family="ipv4", metric=_int(metric)))
        elif section == "IPv6 Route Table":
            if len(tok) == 3 and tok[0].isdigit():
                pending = tok  # the gateway is wrapped onto the next line
                continue
            if pending and len(tok) == 1:
                tok, pending = [*pending, tok[0]], None
            if len(tok) == 4 and tok[0].isdigit():
                index, metric, dest, gateway = tok
                out.append(_route(dest, None if gateway == "On-link" else gateway,
                                  names.get(index, index), family="ipv6",
                                  metric=_int(metric)))
    return out


def guess(text: str) -> str | None:
    """Which routing-table format a saved output (or its beginning) is in, or None."""
    head = text.lstrip()
    if head.startswith("["):
        return "ip-json"
    if head.startswith("Kernel IP"):
        return "route-n"
    if "Routing tables" in text[:200]:
        return "netstat"
    if "IPv4 Route Table" in text:
        return "route-print"
    return None


def sniff(text: str) -> str:
    """Which routing-table format a saved output is in."""
    found = guess(text)
    if found:
        return found
    raise ValueError("not a routing table: expected ip -j route, route -n, netstat -rn "
                     "or Windows route print output")


PARSERS = {"ip-json": parse_ip_json, "route-n": parse_route_n, "netstat": parse_netstat_bsd,
           "route-print": parse_route_print}


def parse(text: str, fmt: str | None = None) -> list[dict[str, Any]]:
    """Routes of a saved output, in whichever of the formats above it is."""
    return PARSERS[fmt or sniff(text)](text)


def default_gateways(routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Default routes with a next hop, lowest metric first (the one used)."""
    found = [r for r in routes if r["default"] and r["gateway"] and not r.get("reject")
             and r.get("type") not in ("unreachable", "prohibit", "blackhole")]
    found.sort(key=lambda r: (r["family"] != "ipv4", r["metric"] if r["metric"] is not None
                              else 0))
    return [{"gateway": r["gateway"], "interface": r["interface"], "family": r["family"],
             "metric": r["metric"]} for r in found]
