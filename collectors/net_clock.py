"""network.clock — this machine's clock against an NTP server (SNTP, RFC 4330).

A clock that is off by minutes breaks TLS (certificates look not yet valid or
expired), Kerberos logins (5 minutes of skew) and any sync that compares
timestamps. Without ``server`` the step is skipped: which time source is
authoritative is the site's choice, and none is guessed.

``count`` client requests are sent ``interval`` apart; the answer with the
shortest round trip gives the offset (the least disturbed by queueing), as
ntpd's clock filter does. The server is ``HOST`` or ``HOST:PORT``.

Output::

    {
      "server": "ntp.corp", "address": "10.0.0.2", "port": 123,
      "status": "ok" | "timeout" | "kiss" | "unsynchronised" | "error",
      "detail": "",
      "offset_ms": -12.4 | null,    # + : this clock is BEHIND the server by that much
      "delay_ms": 0.8 | null,       # network round trip of the best sample
      "skew_s": 0.0124 | null,      # |offset| in seconds, for checks
      "stratum": 2 | null, "leap": "none" | "insert" | "delete" | "unsynchronised" | null,
      "refid": "10.0.0.1" | "GPS" | null,
      "server_time": "2026-11-25T13:11:35.120+00:00" | null, "local_time": "…",
      "samples": [{"offset_ms": -12.4, "delay_ms": 0.8} | {"error": "timeout"}
                  | {"kiss": "RATE"}]
    }

``kiss`` is a "kiss-o'-death" answer (stratum 0: the server refuses, e.g.
``RATE`` or ``DENY``); ``unsynchronised`` a server that says its own clock is
not set (leap indicator 3), whose time must not be trusted.
"""

from __future__ import annotations

import socket
import struct
import time
from datetime import datetime, timezone
from typing import Any

from collectors.net_dns import parse_server
from toolkit.collector import Collector, Context, Failed, Param, Skipped
from toolkit.plans import Plan, host_port, is_template, text
from toolkit.schema import INT, NUM, STR, any_of, arr, enum, nullable, obj

OUTPUT = obj(
    server=STR, address=STR, port=INT,
    status=enum("ok", "timeout", "kiss", "unsynchronised", "error"), detail=STR,
    offset_ms=nullable(NUM), delay_ms=nullable(NUM), skew_s=nullable(NUM),
    stratum=nullable(INT), leap=nullable(enum("none", "insert", "delete", "unsynchronised")),
    refid=nullable(STR), server_time=nullable(STR), local_time=STR,
    samples=arr(any_of(obj(offset_ms=NUM, delay_ms=NUM), obj(error=STR), obj(kiss=STR))),
)

NTP_EPOCH = 2208988800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
_PACKET = struct.Struct("!BBbbII4sQQQQ")
_LEAP = {0: "none", 1: "insert", 2: "delete", 3: "unsynchronised"}


def to_ntp(t: float) -> int:
    return int((t + NTP_EPOCH) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def from_ntp(value: int, near: float) -> float:
    """The Unix time of an NTP timestamp, in the era (136-year wrap: 2036, 2172, …)
    that puts it nearest ``near`` — RFC 5905 §6: timestamps carry no era, the local
    clock chooses it."""
    t = value / (1 << 32) - NTP_EPOCH
    era = 1 << 32
    return t + round((near - t) / era) * era


def build_request(t1: float) -> bytes:
    """A client request (LI 0, version 4, mode 3) carrying t1 as its transmit time."""
    return _PACKET.pack((0 << 6) | (4 << 3) | 3, 0, 0, 0, 0, 0, b"\0" * 4, 0, 0, 0,
                        to_ntp(t1))


def parse_reply(data: bytes, sent: bytes, t4: float) -> dict[str, Any]:
    """Offset and delay from a server reply (RFC 4330 §5), or why it is unusable."""
    if len(data) < _PACKET.size:
        raise ValueError(f"reply too short ({len(data)} bytes)")
    first, stratum, _poll, _prec, _rdelay, _rdisp, refid, _ref, orig, recv, xmit = \
        _PACKET.unpack_from(data)
    mode, leap = first & 0x07, first >> 6
    if mode != 4:
        raise ValueError(f"not a server reply (mode {mode})")
    if orig != _PACKET.unpack_from(sent)[10]:
        raise ValueError("reply does not answer our request (originate time differs)")
    t1, t2, t3 = (from_ntp(stamp, t4) for stamp in (orig, recv, xmit))
    if stratum == 0:
        code = refid.rstrip(b"\0").decode("ascii", errors="replace")
        return {"kiss": code or "?", "stratum": 0, "leap": _LEAP[leap], "refid": code}
    ident = refid.rstrip(b"\0").decode("ascii", errors="replace") if stratum == 1 \
        else socket.inet_ntoa(refid)
    return {"offset_ms": round(((t2 - t1) + (t3 - t4)) / 2 * 1000, 3),
            "delay_ms": round(((t4 - t1) - (t3 - t2)) * 1000, 3),
            "stratum": stratum, "leap": _LEAP[leap], "refid": ident, "server_time": t3}


def _sample(sock: socket.socket, addr: tuple[Any, ...], timeout: float) -> dict[str, Any]:
    request = build_request(time.time())
    sock.sendto(request, addr)
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(1024)
        except TimeoutError:
            break
        except ConnectionRefusedError:
            return {"error": "refused: no NTP server listens there (ICMP port unreachable)"}
        t4 = time.time()
        try:
            return parse_reply(data, request, t4)
        except ValueError:
            continue  # a late answer to an earlier request: keep waiting for ours
    return {"error": "timeout"}


def plan(params: dict[str, Any]) -> Plan:
    spec = text(params.get("server")).strip()
    if not spec:
        return Plan(notes=["no NTP server given: the step is skipped"])
    host, port = (spec, 123) if is_template(spec) else parse_server(spec, default_port=123)
    return Plan(network=[host_port(host, port, "udp")],
                notes=[f"{text(params.get('count'))} SNTP requests; the name is resolved first"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    spec = (params.get("server") or "").strip()
    if not spec:
        raise Skipped("no NTP server given — pass -p server=HOST (the site's time source) "
                      "to compare this clock with it")
    if not 1 <= params["count"] <= 20 or params["timeout"] <= 0:
        raise Failed("count must be 1-20 and timeout above 0")
    host, port = parse_server(spec, default_port=123)
    try:
        family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise Failed(f"cannot resolve NTP server '{host}': "
                     f"{getattr(exc, 'strerror', None) or exc}") from None
    samples: list[dict[str, Any]] = []
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        for i in range(params["count"]):
            left = ctx.remaining() - 0.5
            if left <= 0.05:
                break
            if i:
                time.sleep(min(params["interval"], left / 2))
            samples.append(_sample(sock, addr, min(params["timeout"], left)))
    good = [s for s in samples if "offset_ms" in s]
    best = min(good, key=lambda s: s["delay_ms"]) if good else None
    out: dict[str, Any] = {
        "server": host, "address": str(addr[0]), "port": port, "status": "ok", "detail": "",
        "offset_ms": None, "delay_ms": None, "skew_s": None, "stratum": None, "leap": None,
        "refid": None, "server_time": None,
        "local_time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "samples": [{k: s[k] for k in ("offset_ms", "delay_ms", "error", "kiss") if k in s}
                    for s in samples]}
    kiss = next((s for s in samples if "kiss" in s), None)
    if best:
        out.update({k: best[k] for k in ("offset_ms", "delay_ms", "stratum", "leap", "refid")})
        out["skew_s"] = round(abs(best["offset_ms"]) / 1000, 6)
        out["server_time"] = datetime.fromtimestamp(best["server_time"], timezone.utc
                                                    ).isoformat(timespec="milliseconds")
        if best["leap"] == "unsynchronised":
            out.update(status="unsynchronised",
                       detail="the server says its own clock is not synchronised")
    elif kiss:
        out.update(status="kiss", stratum=0, refid=kiss["kiss"],
                   detail=f"the server refused to answer (kiss code {kiss['kiss']})")
    else:
        errors = [s.get("error", "") for s in samples]
        timeout = all(e == "timeout" for e in errors)
        out.update(status="timeout" if timeout else "error",
                   detail=f"no answer from {host}:{port} within {params['timeout']:g}s "
                   "(UDP 123 blocked, or no NTP server there)" if timeout
                   else "; ".join(sorted(set(errors))))
    return out


COLLECTOR = Collector(
    name="network.clock",
    output=OUTPUT,
    summary="This machine's clock against an NTP server: offset and delay (SNTP)",
    gather=gather,
    params=(
        Param("server", "str", None, "NTP server, HOST[:PORT] (none: the step is skipped)"),
        Param("count", "int", 3, "requests sent; the fastest answer is used", min=1),
        Param("interval", "float", 0.2, "seconds between requests", min=0),
        Param("timeout", "float", 2.0, "seconds to wait for each answer", min=0.1),
    ),
    plan=plan,
    doc=__doc__ or "",
)
