"""Pure parser for a saved Windows ``ipconfig /all`` output (XP to 11, Server 2008/2016).

Every ``Label . . . : value`` line becomes a snake_case key (``Host Name`` →
``host_name``); continuation lines (a value alone, indented) extend the key
above them. Keys that may hold several values are always lists; ``Yes``/``No``
become booleans; an address's ``(Preferred)``/``(Deprecated)`` marker is split
off into ``status``; ``%N`` zone indexes stay on link-local addresses.

Output::

    {"host": {"host_name": "DESKTOP-1", "primary_dns_suffix": null,
              "node_type": "Hybrid", "ip_routing_enabled": false,
              "wins_proxy_enabled": false, "dns_suffix_search_list": ["corp"]},
     "adapters": [
       {"name": "Ethernet 2", "kind": "Ethernet", "connected": true,
        "description": "…", "physical_address": "F8-E4-3B-AD-F2-6D",
        "dhcp_enabled": true, "autoconfiguration_enabled": true,
        "ipv4_addresses": [{"address": "10.50.13.132", "status": "Preferred"}],
        "ipv6_addresses": [{"address": "fe80::…%16", "status": "Preferred",
                            "link_local": true}],
        "subnet_masks": ["255.255.255.0"], "default_gateways": ["10.50.13.1"],
        "dhcp_server": "10.50.13.1", "dns_servers": ["10.50.13.1"],
        "lease_obtained": "Thursday, June 22, 2023 10:39:04 AM", …}]}
"""

from __future__ import annotations

import re
from typing import Any

_FIELD = re.compile(r"^\s{2,}(?P<label>[^:]+?)(?:\s*\.(?:\s*\.)*)?\s*:\s?(?P<value>.*)$")
_ADAPTER = re.compile(r"^(?P<kind>.+?) adapter (?P<name>.+):\s*$")
_LISTS = {"dns_suffix_search_list", "dns_servers", "default_gateway", "ipv4_address",
          "ip_address", "ipv6_address", "temporary_ipv6_address", "link_local_ipv6_address",
          "subnet_mask", "connection_specific_dns_suffix_search_list", "primary_wins_server",
          "secondary_wins_server", "autoconfiguration_ipv4_address"}
_ADDRESS_KEYS = {"ipv4_address": "ipv4", "ip_address": "ipv4",
                 "autoconfiguration_ipv4_address": "ipv4", "ipv6_address": "ipv6",
                 "temporary_ipv6_address": "ipv6", "link_local_ipv6_address": "ipv6"}


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def _value(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    return {"Yes": True, "No": False}.get(text, text)


def _address(text: str) -> dict[str, Any]:
    m = re.match(r"^(?P<addr>\S+?)\((?P<status>[A-Za-z]+)\)$", text)
    addr, status = (m["addr"], m["status"]) if m else (text, None)
    return {"address": addr, "status": status}


def _finish_adapter(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": raw.pop("_name"), "kind": raw.pop("_kind")}
    state = raw.pop("media_state", None)
    out["connected"] = state != "Media disconnected"
    ipv4: list[dict[str, Any]] = []
    ipv6: list[dict[str, Any]] = []
    for key, family in _ADDRESS_KEYS.items():
        for text in raw.pop(key, []) or []:
            entry = _address(text)
            if family == "ipv6":
                entry["link_local"] = key == "link_local_ipv6_address" or \
                    entry["address"].lower().startswith("fe80:")
                if key == "temporary_ipv6_address":
                    entry["temporary"] = True
                ipv6.append(entry)
            else:
                ipv4.append(entry)
    out["ipv4_addresses"] = ipv4
    out["ipv6_addresses"] = ipv6
    out["subnet_masks"] = raw.pop("subnet_mask", [])
    out["default_gateways"] = [_address(g)["address"] for g in raw.pop("default_gateway", [])]
    for key, value in raw.items():
        out[key] = value
    return out


def parse_ipconfig(text: str) -> dict[str, Any]:
    """Parse ``ipconfig /all`` into host settings and one record per adapter."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not any(line.strip() == "Windows IP Configuration" for line in lines):
        raise ValueError("not ipconfig output: no 'Windows IP Configuration' line")
    host: dict[str, Any] = {}
    adapters: list[dict[str, Any]] = []
    current: dict[str, Any] = host
    last_key: str | None = None
    for line in lines:
        if not line.strip() or line.strip() == "Windows IP Configuration":
            continue
        m = _ADAPTER.match(line)
        if m and not line.startswith(" "):
            current = {"_name": m["name"], "_kind": m["kind"]}
            adapters.append(current)
            last_key = None
            continue
        m = _FIELD.match(line)
        if m and not re.match(r"^\s{20,}\S+$", line):
            last_key = _key(m["label"])
            value = _value(m["value"])
            if last_key in _LISTS:
                current[last_key] = [value] if value is not None else []
            else:
                current[last_key] = value
            continue
        if last_key is not None and line.startswith(" "):
            # A value alone on an indented line continues the list above it.
            value = _value(line)
            existing = current.get(last_key)
            if isinstance(existing, list):
                existing.append(value)
            elif existing is None:
                current[last_key] = [value] if last_key in _LISTS else value
            else:
                current[last_key] = [existing, value]
    for key in _LISTS & set(host):
        host[key] = host[key] or []
    host.setdefault("dns_suffix_search_list", [])
    return {"host": host, "adapters": [_finish_adapter(a) for a in adapters]}
