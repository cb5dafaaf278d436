"""network.dns — the configured resolvers, and how each answers the given names.

Resolvers come from the platform: ``/etc/resolv.conf`` on Linux and macOS
(with systemd-resolved, also the upstream servers behind its 127.0.0.53 stub),
``ipconfig /all`` on Windows. Each name in ``names`` is then asked of every
server in ``servers`` (default: the configured ones) with a plain DNS query
over UDP built here (RFC 1035), all at once, each timed; the answer is told
apart as ``ok``, ``nodata`` (the name exists, no record of that type),
``nxdomain`` (no such name), ``servfail`` (the resolver could not get an
answer), ``refused``, ``timeout`` (no answer within ``timeout``), ``malformed``
(a reply came that cannot be read: cut short, damaged or hostile; ``reason`` says
where it breaks) or ``error``. A reply with the TC bit (the answer did not fit in UDP)
is asked again over TCP within the same ``timeout`` (RFC 7766), and the TCP answer is
reported (``transport: "tcp"``, ``truncated: true``); when TCP fails the status is
``error`` or ``timeout`` and ``detail`` says so: a firewall that lets DNS through on
UDP only breaks large answers. A negative answer (``nxdomain``, ``nodata``) carries
the SOA of the zone that gave it, and ``negative_ttl``: how long resolvers keep the
"no" (RFC 2308), which is how long a newly added record may still be missed.
Replies that do not match a question asked (other ID, other question, another
source address) are not taken as answers; the wait goes on.
With ``system=true`` each name is also resolved the way applications do
(``getaddrinfo``: hosts file, then DNS), timed; for type A and AAAA only.

``addresses`` holds the answer's records of the type asked: addresses for A and
AAAA, ``"PREFERENCE HOST"`` for MX, the text for TXT (its strings joined).

Names that are IP addresses, and ``localhost`` names (RFC 6761: never sent to
DNS servers), are not asked: they are listed in ``not_asked`` with the reason.
A server is ``ADDRESS`` or ``ADDRESS:PORT`` (``[ADDRESS]:PORT`` for IPv6).
The reply parser is hand-written (``collectors/_dnswire.py`` says why, with figures).

Output::

    {
      "resolvers": {"configured": ["127.0.0.53"], "upstream": ["10.0.0.1"],
                    "search": ["corp.example"], "options": ["edns0"],
                    "source": "/etc/resolv.conf"},
      "servers": ["10.0.0.1"],                 # the servers asked
      "type": "A",                             # A | AAAA | MX | TXT
      "queries": [{"name": "intranet", "server": "10.0.0.1", "status": "ok",
                   "rcode": "NOERROR" | null, "time_ms": 12.3 | null,
                   "addresses": ["10.1.2.3"], "cnames": [], "ttl": 300 | null,
                   "authoritative": false, "truncated": false,
                   "transport": "udp" | "tcp",
                   "soa": {"zone": "corp.example", "primary": "ns1.corp.example",
                           "serial": 2024061101, "negative_ttl": 600} | null,
                   "reason": "",               # status malformed: "the reply from
                                               # 10.0.0.1 is cut short at byte 37
                                               # (answer record 2)"; also in detail
                   "detail": ""}],
      "system": [{"name": "intranet", "status": "ok" | "error", "time_ms": 15.2,
                  "addresses": ["10.1.2.3"], "detail": ""}],
      "not_asked": [{"name": "127.0.0.1", "reason": "an IP address needs no lookup"}],
      "failed": ["intranet"],                  # names no server answered with a record
                                               # of the type asked
      "timeouts": 1, "slowest_ms": 12.3 | null
    }
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import select
import socket
import struct
import time
from pathlib import Path
from typing import Any

from collectors import _dnswire
from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan, host_port, is_template, listed, text
from toolkit.schema import BOOL, INT, NUM, STR, arr, enum, nullable, obj

OUTPUT = obj(
    resolvers=obj(configured=arr(STR), upstream=arr(STR), search=arr(STR),
                  options=arr(STR), source=nullable(STR)),
    servers=arr(STR), type=enum("A", "AAAA", "MX", "TXT"),
    queries=arr(obj(
        name=STR, server=STR,
        status=enum("ok", "nodata", "nxdomain", "servfail", "refused", "timeout",
                    "malformed", "error"),
        rcode=nullable(STR), time_ms=nullable(NUM), addresses=arr(STR), cnames=arr(STR),
        ttl=nullable(INT), authoritative=BOOL, truncated=BOOL, transport=enum("udp", "tcp"),
        soa=nullable(obj(zone=STR, primary=STR, serial=INT, negative_ttl=INT)),
        reason=STR, detail=STR)),
    system=arr(obj(name=STR, status=enum("ok", "error"), time_ms=NUM, addresses=arr(STR),
                   detail=STR)),
    not_asked=arr(obj(name=STR, reason=STR)),
    failed=arr(STR), timeouts=INT, slowest_ms=nullable(NUM),
)


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


def _blank(name: str, server: str) -> dict[str, Any]:
    return {"name": name, "server": server, "status": "timeout", "rcode": None,
            "time_ms": None, "addresses": [], "cnames": [], "ttl": None,
            "authoritative": False, "truncated": False, "transport": "udp", "soa": None,
            "reason": "", "detail": ""}


def _query_all(servers: list[str], names: list[str], qtype: str, timeout: float
               ) -> list[dict[str, Any]]:
    """Every (server, name) question at once; answers matched by server, query id and
    question. A reply with the TC bit is asked again over TCP in the same wait."""
    pending: dict[tuple[int, int], dict[str, Any]] = {}
    targets = [parse_server(spec) for spec in servers]
    socks: list[socket.socket] = []
    retries: dict[socket.socket, _TcpRetry] = {}
    results: list[dict[str, Any]] = []
    base = int.from_bytes(os.urandom(2), "big")
    try:
        for s_index, spec in enumerate(servers):
            address, port = targets[s_index]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            socks.append(sock)
            for n_index, name in enumerate(names):
                record = _blank(name, spec)
                results.append(record)
                ident = (base + n_index) & 0xFFFF
                try:
                    query = _dnswire.build_query(ident, name, qtype)
                    record["_sent"] = time.monotonic()
                    sock.sendto(query, (address, port))
                except (OSError, ValueError) as exc:
                    record.update(status="error", detail=str(exc))
                    continue
                record["_query"] = query
                pending[(s_index, ident)] = record
        deadline = time.monotonic() + timeout
        while (pending or retries) and (left := deadline - time.monotonic()) > 0:
            reading = socks + [t.sock for t in retries.values() if not t.out]
            writing = [t.sock for t in retries.values() if t.out]
            # A failed connect shows as writable, or on Windows as exceptional.
            ready, writable, failed = select.select(reading, writing, writing, left)
            for sock in dict.fromkeys(writable + failed):
                retries[sock].send()
            for sock in ready:
                if sock in retries:
                    retries[sock].receive(qtype)
                    continue
                s_index = socks.index(sock)
                retry = _receive(sock, s_index, targets[s_index], pending, qtype)
                if retry is not None:
                    retries[retry.sock] = retry
            for sock in [s for s, t in retries.items() if t.done]:
                retries.pop(sock).sock.close()
    finally:
        for sock in socks + list(retries):
            sock.close()
    for retry in retries.values():
        retry.record.update(status="timeout", detail=f"{_TC_WHY}; no answer over TCP within "
                            f"{timeout:g}s")
    for record in results:
        record.pop("_sent", None)
        record.pop("_query", None)
        stray = record.pop("_stray", None)
        if record["status"] == "timeout" and not record["detail"]:
            record["detail"] = f"no answer within {timeout:g}s"
            if stray:
                record["detail"] += (f"; an answer to this question came from {stray} "
                                     "instead, which applications ignore too")
    return results


_TC_WHY = "the answer did not fit in a UDP reply (TC bit)"


def _same_host(peer: tuple[Any, ...], target: tuple[str, int]) -> bool:
    try:
        # .packed leaves an IPv6 scope (%eth0) out of the comparison
        return (ipaddress.ip_address(peer[0]).packed == ipaddress.ip_address(target[0]).packed
                and peer[1] == target[1])
    except ValueError:
        return False


def _receive(sock: socket.socket, s_index: int, target: tuple[str, int],
             pending: dict[tuple[int, int], dict[str, Any]], qtype: str) -> _TcpRetry | None:
    now = time.monotonic()
    try:
        data, peer = sock.recvfrom(65535)
    except ConnectionRefusedError:
        # An ICMP port unreachable: nothing listens there. Every question to this
        # server fails the same way.
        for key in [k for k in pending if k[0] == s_index]:
            pending.pop(key).update(status="error", detail="connection refused: no DNS "
                                    "server listens on that address and port")
        return None
    except OSError:
        return None
    ident = _dnswire.reply_id(data)
    if ident is None or (record := pending.get((s_index, ident))) is None:
        return None  # not an answer to a question of ours; keep waiting
    kind, found = _dnswire.judge_reply(data, ident, record["name"], qtype)
    if kind == "ignore":
        return None
    if not _same_host(peer, target):
        # A spoofer, or a multi-homed server answering from another address; glibc drops
        # these too ("reply from unexpected source"), and the record says so on timeout.
        if kind == "answer":
            record["_stray"] = f"[{peer[0]}]:{peer[1]}" if ":" in peer[0] else \
                f"{peer[0]}:{peer[1]}"
        return None
    pending.pop((s_index, ident))
    if kind == "malformed":
        _malformed(record, f"the reply from {record['server']} {found}", now)
        return None
    parsed = found
    record.update(_dnswire.summarise(parsed, qtype))
    record["time_ms"] = round((now - record["_sent"]) * 1000, 3)
    if not parsed["truncated"]:
        return None
    try:
        return _TcpRetry(record, target, record["_query"])
    except OSError as exc:
        record.update(status="error", detail=_tcp_failed(exc))
        return None


def _tcp_failed(exc: OSError) -> str:
    why = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        why = "connection refused: nothing listens on that TCP port, or a firewall rejects " \
              "it (DNS needs TCP as well as UDP)"
    return f"{_TC_WHY}; asking again over TCP failed: {why}"


def _malformed(record: dict[str, Any], reason: str, now: float) -> None:
    record.update(status="malformed", reason=reason, detail=reason,
                  time_ms=round((now - record["_sent"]) * 1000, 3))


class _TcpRetry:
    """The same question again over TCP after a UDP reply with the TC bit, so the user sees
    the whole answer (RFC 7766 §5; messages carry a two-byte length, RFC 1035 §4.2.2)."""

    def __init__(self, record: dict[str, Any], target: tuple[str, int], query: bytes) -> None:
        self.record, self.target = record, target
        self.out = struct.pack("!H", len(query)) + query
        self.buf = b""
        self.done = False
        family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        err = self.sock.connect_ex(target)
        if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
            self.sock.close()
            raise OSError(err, os.strerror(err))

    def _fail(self, exc: OSError) -> None:
        self.record.update(status="error", detail=_tcp_failed(exc))
        self.done = True

    def send(self) -> None:
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._fail(OSError(err, os.strerror(err)))
            return
        try:
            self.out = self.out[self.sock.send(self.out):]
        except OSError as exc:
            self._fail(exc)

    def receive(self, qtype: str) -> None:
        now = time.monotonic()
        # Never more than the message the length prefix announces (at most 65535 bytes).
        want = (2 + int.from_bytes(self.buf[:2], "big") if len(self.buf) >= 2 else 2)
        try:
            chunk = self.sock.recv(want - len(self.buf))
        except OSError as exc:
            self._fail(exc)
            return
        if not chunk:
            self._fail(ConnectionError("the server closed the connection without answering"))
            return
        self.buf += chunk
        if len(self.buf) < 2 or len(self.buf) < 2 + int.from_bytes(self.buf[:2], "big"):
            return
        data, self.buf = self.buf[2:], b""
        record = self.record
        ident = _dnswire.reply_id(record["_query"]) or 0
        kind, found = _dnswire.judge_reply(data, ident, record["name"], qtype)
        if kind == "ignore":
            return  # not the answer to our question; keep reading until the deadline
        self.done = True
        if kind == "malformed":
            _malformed(record, f"the reply over TCP from {record['server']} {found}", now)
            return
        parsed = found
        record.update(_dnswire.summarise(parsed, qtype), truncated=True, transport="tcp",
                      time_ms=round((now - record["_sent"]) * 1000, 3))


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


def plan(params: dict[str, Any]) -> Plan:
    from toolkit import _platform

    command = _platform.RESOLVER_COMMAND
    found = Plan(commands=[list(command)] if command else [],
                 files=list(_platform.RESOLVER_FILES))
    names = [n.strip() for n in listed(params.get("names")) if n.strip()]
    asked = [n for n in names if is_template(n) or not not_asked_reason(n)]
    found.notes.extend(f"{n}: not asked ({not_asked_reason(n)})" for n in names
                       if n not in asked)
    if not asked:
        found.notes.append("no name to look up: the resolvers are listed, nothing is asked")
        return found
    for spec in listed(params.get("servers")):
        try:
            host, port = (spec, 53) if is_template(spec) else parse_server(spec)
        except ValueError:  # refused when the step runs
            host, port = spec, 53
        found.network.extend([host_port(host, port, "udp"), host_port(host, port, "tcp")])
    if not found.network:
        found.notes.append("the servers asked are the configured ones (read first)")
    found.notes.append(f"{text(params.get('type'), 'A')} queries for: {', '.join(asked)}; TCP "
                       "only when a UDP answer is truncated")
    if params.get("system") is not False:
        found.notes.append("each name is also resolved as applications do (getaddrinfo: the "
                           "hosts file, then DNS)")
    return found


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
    # getaddrinfo knows only addresses: for MX or TXT there is nothing to compare.
    system = _system(asked, qtype) if params["system"] and qtype in ("A", "AAAA") else []
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
    output=OUTPUT,
    summary="Configured DNS resolvers; names resolved per resolver with timing",
    gather=gather,
    params=(
        Param("names", "list", (), "names to resolve (none: only list the resolvers)"),
        Param("servers", "list", (), "DNS servers to ask, ADDRESS[:PORT] (default: the "
              "configured ones)"),
        Param("type", "str", "A", "record type asked", choices=("A", "AAAA", "MX", "TXT")),
        Param("timeout", "float", 2.0, "seconds to wait for the answers", min=0.1),
        Param("system", "bool", True, "also resolve each name as applications do "
              "(getaddrinfo: hosts file, then DNS)"),
    ),
    plan=plan,
    doc=__doc__ or "",
)
