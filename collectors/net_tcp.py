"""network.tcp — can a TCP connection to HOST:PORT be opened, and how fast.

Each attempt is a plain connect (no data is sent), timed, and classified the
way a network engineer reads it:

- ``open`` — the handshake completed;
- ``refused`` — the host answered with a reset: it is reachable, but nothing
  listens on that port (or a firewall rejects with a reset);
- ``filtered`` — no answer at all within ``timeout``: a firewall drops the
  packets silently, or the host is down behind a router that does not say so;
- ``unreachable`` — a router or the local stack said there is no way there
  (no route, host/network unreachable, administratively prohibited);
- ``error`` — anything else, with the system's message.

Output::

    {
      "host": "db.example", "port": 5432, "address": "10.0.0.7", "family": "ipv4",
      "resolve_ms": 1.2,
      "status": "open" | "refused" | "filtered" | "unreachable" | "error",
      "connect_ms": 0.41 | null,                  # median of the open attempts
      "attempts": [{"status": "open", "connect_ms": 0.41, "detail": ""}],
      "open": 3, "sent": 3
    }

``status`` is that of the majority of attempts (ties: the worst). A name that
does not resolve fails the step with the lookup error.
"""

from __future__ import annotations

import errno
import socket
import statistics
import time
from typing import Any

from toolkit.collector import Collector, Context, Failed, Param
from toolkit.plans import Plan, host_port, text
from toolkit.schema import INT, NUM, STR, arr, enum, nullable, obj

_STATUS = enum("open", "refused", "filtered", "unreachable", "error")
OUTPUT = obj(
    host=STR, port=INT, address=STR, family=enum("ipv4", "ipv6"), resolve_ms=NUM,
    status=_STATUS, connect_ms=nullable(NUM),
    attempts=arr(obj(status=_STATUS, connect_ms=nullable(NUM), detail=STR)),
    open=INT, sent=INT,
)

_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM,
                getattr(errno, "EHOSTDOWN", errno.EHOSTUNREACH)}
_ORDER = ("open", "refused", "unreachable", "filtered", "error")  # best to worst


def classify(exc: BaseException | None) -> tuple[str, str]:
    """(status, detail) for the outcome of one connect."""
    if exc is None:
        return "open", ""
    if isinstance(exc, TimeoutError):
        return "filtered", "no answer (timed out): packets dropped on the way or at the host"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", "connection refused: the host is reachable but nothing listens there"
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return "unreachable", f"{exc.strerror or exc}: no route to that host or network"
    return "error", str(exc)


def connect_once(address: str, family: int, port: int, timeout: float
                 ) -> dict[str, Any]:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    t0 = time.monotonic()
    err: BaseException | None = None
    try:
        sock.connect((address, port))
    except OSError as exc:
        err = exc
    finally:
        took = (time.monotonic() - t0) * 1000
        sock.close()
    status, detail = classify(err)
    return {"status": status, "connect_ms": round(took, 3) if status == "open" else None,
            "detail": detail}


def overall(attempts: list[dict[str, Any]]) -> str:
    counts = {s: sum(a["status"] == s for a in attempts) for s in _ORDER}
    best = max(counts.values())
    return max((s for s in _ORDER if counts[s] == best), key=_ORDER.index)


def resolve(host: str, port: int) -> tuple[str, int, float]:
    t0 = time.monotonic()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise Failed(f"cannot resolve '{host}': {reason} — check the name and the DNS "
                     "settings (collect network.dns)") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(infos[0][4][0]), int(infos[0][0]), (time.monotonic() - t0) * 1000


def plan(params: dict[str, Any]) -> Plan:
    return Plan(network=[host_port(params.get("host"), params.get("port"), "tcp")],
                notes=[f"{text(params.get('count'))} connects, no data sent; the name is "
                       "resolved first"])


def gather(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    host, port = (params.get("host") or "").strip(), params.get("port")
    if not host or port is None:
        raise Failed("host and port are needed — pass -p host=NAME -p port=NUMBER")
    if not 0 < port < 65536 or params["timeout"] <= 0 or not 1 <= params["count"] <= 100:
        raise Failed("port must be 1-65535, timeout above 0 and count 1-100")
    address, family, resolve_ms = resolve(host, port)
    attempts = []
    for i in range(params["count"]):
        left = ctx.remaining() - 0.5
        if left <= 0.05:
            break  # return what was measured before the runner's deadline
        if i:
            time.sleep(min(params["interval"], left / 2))
        attempts.append(connect_once(address, family, port, min(params["timeout"], left)))
    opened = [a["connect_ms"] for a in attempts if a["status"] == "open"]
    return {"host": host, "port": port, "address": address,
            "family": "ipv6" if family == socket.AF_INET6 else "ipv4",
            "resolve_ms": round(resolve_ms, 3), "status": overall(attempts),
            "connect_ms": round(statistics.median(opened), 3) if opened else None,
            "attempts": attempts, "open": len(opened), "sent": len(attempts)}


COLLECTOR = Collector(
    name="network.tcp",
    output=OUTPUT,
    summary="TCP connect to host:port: time, or refused / filtered / unreachable",
    gather=gather,
    params=(
        Param("host", "str", None, "name or address"),
        Param("port", "int", None, "TCP port", min=1, max=65535),
        Param("count", "int", 3, "connection attempts", min=1),
        Param("interval", "float", 0.2, "seconds between attempts", min=0),
        Param("timeout", "float", 3.0, "seconds to wait for each handshake", min=0.1),
    ),
    plan=plan,
    doc=__doc__ or "",
)
