"""network.ping — ICMP echo to a host: loss and round-trip times, probe by probe.

Live, the first method this process is allowed to use:

1. ``scapy`` — echo requests built and read with scapy over a raw ICMP socket
   (root, or ``cap_net_raw`` on Linux); also reports ICMP errors such as
   "Destination Host Unreachable" per probe. IPv4.
2. ``icmp_dgram`` — an unprivileged ICMP datagram socket (Linux when the
   user's group is inside ``net.ipv4.ping_group_range``; macOS).
3. ``system_ping`` — the system ``ping``, its output parsed.

If none works the step ends ``skipped`` with the fixes. With ``source=FILE``
a saved ping output is analysed instead: Linux iputils (``-O``, ``-D``),
Alpine/busybox, macOS and FreeBSD ``ping``/``ping6``, Windows ``ping``.

Output::

    {
      "source": "live" | "<path of the saved output>",
      "host": "example.com", "address": "93.184.216.34",
      "method": "scapy" | "icmp_dgram" | "system_ping" | "saved",
      "format": null | "iputils" | "busybox" | "bsd" | "windows",
      "sent": 5, "received": 4, "duplicates": 0, "errors": 0,
      "loss_pct": 20.0,
      "rtt_min_ms": 0.041, "rtt_avg_ms": 0.048, "rtt_max_ms": 0.081,
      "rtt_mdev_ms": 0.009,           # iputils mdev / BSD stddev; computed when absent
      "probes": [{"seq": 1, "status": "reply" | "duplicate" | "timeout" |
                  "unreachable" | "error", "address": "93.184.216.34" | null,
                  "ttl": 56 | null, "rtt_ms": 0.041 | null,
                  "detail": "Destination Host Unreachable",    # detail only on errors
                  "timestamp": 1587741624.121}]   # saved ping -D outputs only
    }

Live runs add ``unreachable_from`` (``[{"address": "10.200.3.1", "detail":
"dest unreach host unreachable", "count": 3}]``: who answered "unreachable", so
a dead host behind a live router is told apart from loss) and, when this host
could not send at all, ``send_error`` (``"Network is unreachable"``: no route to
the address; every probe is then an ``error`` "not sent: …", and the step still
ends ``ok`` so the playbook can say so).

``loss_pct`` counts echo replies only: a "Destination Host Unreachable"
answer is a lost probe (Windows ``ping`` counts it as received; its saved
output is recounted). Saved outputs add ``complete`` (the statistics block
was there) and ``unparsed`` (lines that were not understood).
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from typing import Any

from collectors._netparse import parse_ping, ping_summary
from collectors._netprobe import checksum, dgram_allowed, no_access, raw_allowed, resolve
from toolkit.collector import Collector, Context, Failed, Needs, Param, Skipped
from toolkit.plans import Plan, number, text
from toolkit.schema import BOOL, INT, NUM, STR, arr, enum, nullable, obj, opt
from toolkit.sources import SavedOutput, Source

OUTPUT = obj(
    source=STR, host=nullable(STR), address=STR,
    method=enum("scapy", "icmp_dgram", "system_ping", "saved"),
    format=nullable(enum("iputils", "busybox", "bsd", "windows")),
    sent=INT, received=INT, duplicates=INT, errors=INT, loss_pct=nullable(NUM),
    rtt_min_ms=nullable(NUM), rtt_avg_ms=nullable(NUM), rtt_max_ms=nullable(NUM),
    rtt_mdev_ms=nullable(NUM),
    probes=arr(obj(seq=nullable(INT),
                   status=enum("reply", "duplicate", "timeout", "unreachable", "error"),
                   address=nullable(STR), ttl=nullable(INT), rtt_ms=nullable(NUM),
                   detail=opt(STR), timestamp=opt(NUM))),
    complete=opt(BOOL), unparsed=opt(arr(STR)),  # saved outputs only
    unreachable_from=opt(arr(obj(address=STR, detail=STR, count=INT))),  # live only
    send_error=opt(STR),  # live only: the probes could not be sent at all
)

METHODS = ("auto", "scapy", "icmp_dgram", "system_ping")


def _payload(size: int) -> bytes:
    return bytes(i & 0xFF for i in range(size))


class _Echo:
    """One echo session: sends probes, reads answers, keeps per-probe records."""

    def __init__(self, method: str, address: str, family: int, size: int) -> None:
        self.method, self.address, self.family = method, address, family
        self.ident = os.getpid() & 0xFFFF
        self.payload = _payload(size)
        v6 = family == socket.AF_INET6
        if method == "scapy":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        else:
            proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
            self.sock = socket.socket(family, socket.SOCK_DGRAM, proto)
            if not v6 and hasattr(socket, "IP_RECVTTL"):
                self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTTL, 1)
        self.sock.setblocking(False)
        self.sent_at: dict[int, float] = {}
        self.answers: dict[int, dict[str, Any]] = {}
        self.extra: list[dict[str, Any]] = []  # duplicates and ICMP errors
        self.send_error = ""  # why this host refused to send ("Network is unreachable")

    def send(self, seq: int) -> None:
        if self.method == "scapy":
            from scapy.layers.inet import ICMP

            icmp: Any = ICMP(type=8, id=self.ident, seq=seq)
            data = bytes(icmp / self.payload)
        else:
            kind = 128 if self.family == socket.AF_INET6 else 8
            head = struct.pack("!BBHHH", kind, 0, 0, self.ident, seq)
            # The kernel rewrites id and checksum on Linux ping sockets; macOS wants both.
            head = struct.pack("!BBHHH", kind, 0, checksum(head + self.payload), self.ident, seq)
            data = head + self.payload
        self.sent_at[seq] = time.monotonic()
        try:
            self.sock.sendto(data, (self.address, 0))
        except OSError as exc:  # ENETUNREACH: no route; EHOSTUNREACH; ENOBUFS
            reason = exc.strerror or str(exc)
            self.send_error = self.send_error or reason
            self.extra.append({"seq": seq, "status": "error", "address": None, "ttl": None,
                               "rtt_ms": None, "detail": f"not sent: {reason}"})

    def _record(self, seq: int, status: str, src: str, ttl: int | None, now: float,
                detail: str = "") -> None:
        if seq not in self.sent_at:
            return  # another ping's answer on a shared raw socket
        probe: dict[str, Any] = {"seq": seq, "status": status, "address": src, "ttl": ttl,
                                 "rtt_ms": round((now - self.sent_at[seq]) * 1000, 3)
                                 if status == "reply" else None}
        if detail:
            probe["detail"] = detail
        if status == "reply" and seq in self.answers:
            self.extra.append({**probe, "status": "duplicate"})
        elif status == "reply":
            self.answers[seq] = probe
        else:
            self.extra.append(probe)

    def receive(self) -> None:
        now = time.monotonic()
        if self.method == "scapy":
            data, (src, *_) = self.sock.recvfrom(65535)
            self._read_raw(data, src, now)
            return
        data, ancdata, _, addr = self.sock.recvmsg(65535, socket.CMSG_SPACE(4))
        ttl = next((int.from_bytes(d[:4], "little") for lvl, kind, d in ancdata
                    if lvl == socket.IPPROTO_IP and kind == getattr(socket, "IP_TTL", -1)),
                   None)
        from toolkit import _platform

        if self.family == socket.AF_INET and _platform.ICMP_DGRAM_IP_HEADER:
            ttl, data = data[8], data[(data[0] & 0x0F) * 4:]
        if len(data) < 8:
            return
        kind, _, _, _, seq = struct.unpack("!BBHHH", data[:8])
        if kind in (0, 129):  # echo reply (ICMP, ICMPv6)
            self._record(seq, "reply", addr[0], ttl, now)

    def _read_raw(self, data: bytes, src: str, now: float) -> None:
        from scapy.layers.inet import ICMP, IP, ICMPerror

        pkt = IP(data)
        icmp = pkt.getlayer(ICMP)
        if icmp is None:
            return
        if icmp.type == 0 and icmp.id == self.ident:
            self._record(icmp.seq, "reply", src, pkt.ttl, now)
        elif icmp.type in (3, 11, 12):
            quoted = pkt.getlayer(ICMPerror)
            if quoted is not None and quoted.type == 8 and quoted.id == self.ident:
                detail = icmp.sprintf("%ICMP.type% %ICMP.code%").replace("-", " ")
                status = "unreachable" if icmp.type == 3 else "error"
                self._record(quoted.seq, status, src, pkt.ttl, now, detail)

    def run(self, count: int, interval: float, timeout: float, deadline: float) -> None:
        seq, next_send, end = 1, time.monotonic(), deadline
        try:
            while True:
                now = time.monotonic()
                if seq <= count and now >= next_send:
                    self.send(seq)
                    seq, next_send = seq + 1, next_send + interval
                    if seq > count:
                        end = min(deadline, now + timeout)
                if seq > count and (now >= end or len(self.answers) == count):
                    return
                wake = next_send if seq <= count else end
                ready, _, _ = select.select([self.sock], [], [], max(0.0, wake - now))
                if ready:
                    try:
                        self.receive()
                    except (BlockingIOError, InterruptedError):
                        pass
        finally:
            self.sock.close()

    def probes(self) -> list[dict[str, Any]]:
        out = []
        for seq in sorted(self.sent_at):
            extra = [p for p in self.extra if p["seq"] == seq]
            if seq in self.answers:
                out.append(self.answers[seq])
            elif not any(p["status"] == "error" and p["address"] is None for p in extra):
                out.append({"seq": seq, "status": "timeout", "address": None, "ttl": None,
                            "rtt_ms": None})
            out.extend(extra)
        return out


def _system_ping(ctx: Context, address: str, family: int, params: dict[str, Any]
                 ) -> dict[str, Any]:
    from toolkit import _platform

    try:
        ctx.require("ping", "iputils-ping")
    except Skipped as exc:  # the last fallback is missing: name every fix
        raise no_access("ping", str(exc)) from None
    argv = _platform.ping_argv(address, count=params["count"], interval=params["interval"],
                               timeout=params["timeout"], size=params["size"],
                               ipv6=family == socket.AF_INET6)
    limit = params["count"] * params["interval"] + params["timeout"] + 5
    res = ctx.run(argv, timeout=limit, save_as="ping.txt")
    err = res.stderr.decode("utf-8", errors="replace").strip()
    try:
        parsed = parse_ping(res.text)
    except ValueError:
        err = err or res.record.error
        lowered = err.lower()
        if "network is unreachable" in lowered or "no route to host" in lowered:
            reason = err.splitlines()[-1].split(": ")[-1].strip()
            probes = [{"seq": n, "status": "error", "address": None, "ttl": None,
                       "rtt_ms": None, "detail": f"not sent: {reason}"}
                      for n in range(1, params["count"] + 1)]
            return {**ping_summary(probes, params["count"]), "probes": probes,
                    "send_error": reason}
        if res.record.returncode == 126 or "not permitted" in err.lower() or \
                "permission" in err.lower():
            raise no_access("ping", f"system ping: {err.splitlines()[-1][:200]}") from None
        raise Failed(f"ping failed (exit {res.record.returncode}): "
                     f"{(err or res.text).strip()[:300] or 'no output'}") from None
    return parsed


def _check(params: dict[str, Any]) -> None:
    if params["count"] < 1 or params["count"] > 100000:
        raise Failed("count must be between 1 and 100000")
    if params["interval"] < 0.01 or params["timeout"] <= 0:
        raise Failed("interval must be at least 0.01 s and timeout above 0")
    if not 0 <= params["size"] <= 65000:
        raise Failed("size must be between 0 and 65000 bytes")


def from_ping(saved: SavedOutput) -> dict[str, Any]:
    """Pure: a saved ping output (iputils, busybox, macOS/BSD, Windows) → the result."""
    parsed = parse_ping(saved.text)
    fmt = parsed.pop("format")
    return {"source": saved.path, "method": "saved", "format": fmt, **parsed}


def plan(params: dict[str, Any]) -> Plan:
    from toolkit import _platform

    host, wanted = text(params.get("host"), "HOST"), params.get("method") or "auto"
    ways = {"scapy": "a raw ICMP socket (root or cap_net_raw, IPv4)",
            "icmp_dgram": "an ICMP datagram socket (net.ipv4.ping_group_range)",
            "system_ping": "the system ping, given the address the name resolves to"}
    tried = [way for name, way in ways.items() if wanted in ("auto", name)]
    commands = [_platform.ping_argv(
        host, count=int(number(params.get("count"), 5)),
        interval=number(params.get("interval"), 0.5), timeout=number(params.get("timeout"), 2.0),
        size=int(number(params.get("size"), 56)), ipv6=":" in host)] \
        if wanted in ("auto", "system_ping") else []
    return Plan(commands=commands, network=[f"{host}/icmp"],
                notes=["the first that works of: " + "; ".join(tried)] if len(tried) > 1
                else [f"only {tried[0]}"] if tried else [])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _check(params)
    address, family = resolve(params.get("host") or "")
    wanted = params.get("method") or "auto"
    v4 = family == socket.AF_INET
    if wanted in ("auto", "scapy") and v4 and raw_allowed():
        method = "scapy"
    elif wanted in ("auto", "icmp_dgram") and dgram_allowed(family):
        method = "icmp_dgram"
    elif wanted in ("auto", "system_ping"):
        parsed = _system_ping(ctx, address, family, params)
        parsed.pop("unparsed", None)
        parsed.pop("complete", None)
        parsed.pop("host", None)
        parsed.pop("format", None)
        return {"source": "live", "host": params["host"], **parsed, "address": address,
                "method": "system_ping", "format": None}
    else:
        raise no_access(f"ping method '{wanted}' is not available")
    echo = _Echo(method, address, family, params["size"])
    # Leave a moment before the runner's own deadline to return what was measured.
    echo.run(params["count"], params["interval"], params["timeout"], ctx.deadline - 0.5)
    probes = echo.probes()
    result = {"source": "live", "host": params["host"], "address": address, "method": method,
              "format": None, **ping_summary(probes, len(echo.sent_at)), "probes": probes,
              "unreachable_from": unreachable_from(probes)}
    if echo.send_error:
        result["send_error"] = echo.send_error
    return result


def unreachable_from(probes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The routers (or this host) that answered "unreachable", with what they said and
    how often: a dead host behind a live router, not loss on the path."""
    seen: dict[tuple[str, str], int] = {}
    for p in probes:
        if p["status"] == "unreachable" and p.get("address"):
            key = (str(p["address"]), str(p.get("detail") or "unreachable"))
            seen[key] = seen.get(key, 0) + 1
    return [{"address": a, "detail": d, "count": n} for (a, d), n in seen.items()]


COLLECTOR = Collector(
    name="network.ping",
    output=OUTPUT,
    summary="ICMP echo to a host: loss and round-trip times per probe",
    gather=gather,
    needs=Needs(commands=("ping",), root=True,
                notes="raw ICMP (root or cap_net_raw) or net.ipv4.ping_group_range for "
                      "unprivileged sockets; otherwise the system ping is used"),
    params=(
        Param("host", "str", None, "name or address to ping"),
        Param("count", "int", 5, "echo requests to send", min=1),
        Param("interval", "float", 0.5, "seconds between requests", min=0),
        Param("timeout", "float", 2.0, "seconds to wait for the last reply", min=0.1),
        Param("size", "int", 56, "payload bytes per request", min=0, max=65507),
        Param("method", "str", "auto", "force one method (tests, comparisons)",
              choices=METHODS),
        Param("source", "str", None, "analyse a saved ping output instead"),
    ),
    sources=(Source("ping", from_ping, "a saved ping output: Linux iputils or busybox, "
                    "macOS/BSD, Windows"),),
    plan=plan,
    doc=__doc__ or "",
)
