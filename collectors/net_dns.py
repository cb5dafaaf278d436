"""network.dns — the configured resolvers, and how each answers the given names.

Resolvers come from the platform: ``/etc/resolv.conf`` on Linux and macOS
(with systemd-resolved, also the upstream servers behind its 127.0.0.53 stub),
``ipconfig /all`` on Windows. Each name in ``names`` is then asked of every
server in ``servers`` (default: the configured ones) with a plain DNS query
over UDP built here (RFC 1035), all at once, each timed; the answer is told
apart as ``ok``, ``nodata`` (the name exists, no record of that type),
``nxdomain`` (no such name), ``servfail`` (the resolver could not get an
answer), ``refused``, ``timeout`` (no answer within ``timeout``) or ``error``.
With ``system=true`` each name is also resolved the way applications do
(``getaddrinfo``: hosts file, then DNS), timed.

Names that are IP addresses, and ``localhost`` names (RFC 6761: never sent to
DNS servers), are not asked: they are listed in ``not_asked`` with the reason.
A server is ``ADDRESS`` or ``ADDRESS:PORT`` (``[ADDRESS]:PORT`` for IPv6).

Output::

    {
      "resolvers": {"configured": ["127.0.0.53"], "upstream": ["10.0.0.1"],
                    "search": ["corp.example"], "options": ["edns0"],
                    "source": "/etc/resolv.conf"},
      "servers": ["10.0.0.1"],                 # the servers asked
      "type": "A",
      "queries": [{"name": "intranet", "server": "10.0.0.1", "status": "ok",
                   "rcode": "NOERROR" | null, "time_ms": 12.3 | null,
                   "addresses": ["10.1.2.3"], "cnames": [], "ttl": 300 | null,
                   "authoritative": false, "truncated": false, "detail": ""}],
      "system": [{"name": "intranet", "status": "ok" | "error", "time_ms": 15.2,
                  "addresses": ["10.1.2.3"], "detail": ""}],
      "not_asked": [{"name": "127.0.0.1", "reason": "an IP address needs no lookup"}],
      "failed": ["intranet"],                  # names no server answered with an address
      "timeouts": 1, "slowest_ms": 12.3 | null
    }
"""

from __future__ import annotations

import ipaddress
import os
import re
import select
import socket
import time
from pathlib import Path
from typing import Any

from collectors import _dnswire
from toolkit.collector import Collector, Context, Failed, Param


def parse_resolv_conf(text: str) -> dict[str, list[str]]:
    """nameserver, search/domain and options lines of a resolv.conf (resolv.conf(5))."""
    out: dict[str, list[str]] = {"nameservers": [], "search": [], "options": []}
    for line in text.splitlines():
        line = re.split(r"[#;]", line, maxsplit=1)[0].strip()
        if not line:
            continue
        key, *values = line.split()
        if key == "nameserver" and values:
            out["nameservers"].append(values[0])
        elif key in ("search", "domain"):
            out["search"] = values  # the last search/domain line wins
        elif key == "options":
            out["options"] += values
    return out


def configured_resolvers(ctx: Context) -> dict[str, Any]:
    from toolkit import _platform

    found: dict[str, Any] = {"configured": [], "upstream": [], "search": [], "options": [],
                             "source": None}
    for n, path in enumerate(_platform.RESOLVER_FILES):
        try:
            conf = parse_resolv_conf(Path(path).read_text(encoding="utf-8",
                                                          errors="replace"))
        except OSError:
            continue
        if n == 0:
            found.update(configured=conf["nameservers"], search=conf["search"],
                         options=conf["options"], source=path)
        elif conf["nameservers"] != found["configured"]:
            found["upstream"] = conf["nameservers"]
    if _platform.RESOLVER_COMMAND:
        from collectors._ipconfig import parse_ipconfig

        res = ctx.run(_platform.RESOLVER_COMMAND, timeout=15, save_as="ipconfig.txt")
        try:
            parsed = parse_ipconfig(res.text)
        except ValueError:
            return found
        servers = [s for ad in parsed["adapters"] for s in ad.get("dns_servers") or [] if s]
        found.update(configured=list(dict.fromkeys(servers)),
                     search=parsed["host"].get("dns_suffix_search_list") or [],
                     source=" ".join(_platform.RESOLVER_COMMAND))
    return found


def parse_server(spec: str, default_port: int = 53) -> tuple[str, int]:
    """'10.0.0.1', '10.0.0.1:5353', '[fd00::1]:53' or 'fd00::1' → (address, port)."""
    spec = spec.strip()
    m = re.match(r"^\[([^\]]+)\](?::(\d+))?$", spec)
    if m:
        return m.group(1), int(m.group(2) or default_port)
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, int(port)
    return spec, default_port


def not_asked_reason(name: str) -> str | None:
    try:
        ipaddress.ip_address(name)
        return "an IP address needs no lookup"
    except ValueError:
        pass
    if name.rstrip(".").lower() == "localhost" or name.rstrip(".").lower().endswith(
            ".localhost"):
        return "localhost names are answered locally, never by DNS servers (RFC 6761)"
    return None


def _query_all(servers: list[str], names: list[str], qtype: str, timeout: float
               ) -> list[dict[str, Any]]:
    """Every (server, name) question at once; answers matched by server and query id."""
    pending: dict[tuple[int, int], dict[str, Any]] = {}
    socks: list[socket.socket] = []
    results: list[dict[str, Any]] = []
    base = int.from_bytes(os.urandom(2), "big")
    try:
        for s_index, spec in enumerate(servers):
            address, port = parse_server(spec)
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            socks.append(sock)
            for n_index, name in enumerate(names):
                record: dict[str, Any] = {
                    "name": name, "server": spec, "status": "timeout", "rcode": None,
                    "time_ms": None, "addresses": [], "cnames": [], "ttl": None,
                    "authoritative": False, "truncated": False, "detail": ""}
                results.append(record)
                ident = (base + n_index) & 0xFFFF
                try:
                    query = _dnswire.build_query(ident, name, qtype)
                    record["_sent"] = time.monotonic()
                    sock.sendto(query, (address, port))
                except (OSError, ValueError) as exc:
                    record.update(status="error", detail=str(exc))
                    continue
                pending[(s_index, ident)] = record
        deadline = time.monotonic() + timeout
        while pending and (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select(socks, [], [], left)
            for sock in ready:
                _receive(sock, socks.index(sock), pending, qtype)
    finally:
        for sock in socks:
            sock.close()
    for record in results:
        record.pop("_sent", None)
        if record["status"] == "timeout":
            record["detail"] = f"no answer within {timeout:g}s"
    return results


def _receive(sock: socket.socket, s_index: int, pending: dict[tuple[int, int], dict[str, Any]],
             qtype: str) -> None:
    now = time.monotonic()
    try:
        data, _ = sock.recvfrom(65535)
    except ConnectionRefusedError:
        # An ICMP port unreachable: nothing listens there. Every question to this
        # server fails the same way.
        for key in [k for k in pending if k[0] == s_index]:
            pending.pop(key).update(status="error", detail="connection refused: no DNS "
                                    "server listens on that address and port")
        return
    except OSError:
        return
    try:
        parsed = _dnswire.parse_response(data)
    except ValueError:
        return  # not an answer to us; keep waiting
    record = pending.pop((s_index, parsed["id"]), None)
    if record is None:
        return
    record.update(_dnswire.summarise(parsed, qtype))
    record["time_ms"] = round((now - record["_sent"]) * 1000, 3)


def _system(names: list[str], qtype: str) -> list[dict[str, Any]]:
    family = socket.AF_INET6 if qtype == "AAAA" else socket.AF_INET
    out = []
    for name in names:
        t0 = time.monotonic()
        try:
            infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM)
            out.append({"name": name, "status": "ok",
                        "time_ms": round((time.monotonic() - t0) * 1000, 3),
                        "addresses": list(dict.fromkeys(str(i[4][0]) for i in infos)),
                        "detail": ""})
        except (socket.gaierror, UnicodeError) as exc:
            out.append({"name": name, "status": "error",
                        "time_ms": round((time.monotonic() - t0) * 1000, 3),
                        "addresses": [], "detail": getattr(exc, "strerror", None) or str(exc)})
    return out


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    qtype = params["type"]
    if params["timeout"] <= 0:
        raise Failed("timeout must be above 0")
    resolvers = configured_resolvers(ctx)
    names = [n.strip() for n in params.get("names") or [] if n and n.strip()]
    asked, not_asked = [], []
    for name in names:
        why = not_asked_reason(name)
        if why:
            not_asked.append({"name": name, "reason": why})
        else:
            asked.append(name)
    servers = [s for s in params.get("servers") or [] if s] or \
        resolvers["upstream"] or resolvers["configured"]
    for spec in servers:
        try:
            ipaddress.ip_address(parse_server(spec)[0])
        except ValueError:
            raise Failed(f"server {spec!r} is not an IP address (with an optional :port)"
                         ) from None
    queries = _query_all(servers, asked, qtype, min(params["timeout"], ctx.remaining() - 0.5)
                         ) if asked and servers else []
    system = _system(asked, qtype) if params["system"] else []
    answered = {q["name"] for q in queries if q["addresses"]} | \
        {s["name"] for s in system if s["addresses"]}
    times = [q["time_ms"] for q in queries if q["time_ms"] is not None]
    return {"resolvers": resolvers, "servers": servers if asked else [], "type": qtype,
            "queries": queries, "system": system, "not_asked": not_asked,
            "failed": [n for n in asked if n not in answered],
            "timeouts": sum(q["status"] == "timeout" for q in queries),
            "slowest_ms": max(times, default=None)}


COLLECTOR = Collector(
    name="network.dns",
    summary="Configured DNS resolvers; names resolved per resolver with timing",
    gather=gather,
    params=(
        Param("names", "list", (), "names to resolve (none: only list the resolvers)"),
        Param("servers", "list", (), "DNS servers to ask, ADDRESS[:PORT] (default: the "
              "configured ones)"),
        Param("type", "str", "A", "record type asked", choices=("A", "AAAA")),
        Param("timeout", "float", 2.0, "seconds to wait for the answers", min=0.1),
        Param("system", "bool", True, "also resolve each name as applications do "
              "(getaddrinfo: hosts file, then DNS)"),
    ),
    doc=__doc__ or "",
)
