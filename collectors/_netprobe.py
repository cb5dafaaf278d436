"""Shared live-probe helpers for network.ping and network.traceroute.

What kind of ICMP socket this process may open is found by trying (a
capability, a setuid bit, a container seccomp profile all change the answer),
while the fixes to suggest are platform facts in ``toolkit._platform``.
"""

from __future__ import annotations

import socket
import struct

from toolkit.collector import Failed, Skipped


def resolve(host: str) -> tuple[str, int]:
    """The address to probe and its family, or ``Failed`` naming the lookup error."""
    if not host:
        raise Failed("no host given — pass -p host=NAME_OR_ADDRESS")
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_RAW)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) and exc.strerror else str(exc)
        raise Failed(f"cannot resolve '{host}': {reason} — check the name and the DNS "
                     "settings (collect network.dns)") from None
    # Prefer IPv4, as ping and traceroute do by default.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, sockaddr = infos[0]
    return str(sockaddr[0]), int(family)


def can_open(kind: int, proto: int, family: int = socket.AF_INET) -> bool:
    try:
        socket.socket(family, kind, proto).close()
    except OSError:
        return False
    return True


def raw_allowed() -> bool:
    return can_open(socket.SOCK_RAW, socket.IPPROTO_ICMP)


def dgram_allowed(family: int = socket.AF_INET) -> bool:
    proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    return can_open(socket.SOCK_DGRAM, proto, family)


def no_access(what: str, extra: str = "") -> Skipped:
    """The skip reason when no probe method is available, with every fix."""
    from toolkit import _platform

    return Skipped(f"{what}: raw ICMP sockets are not allowed for this user — "
                   f"{_platform.raw_socket_fix()}; or {_platform.icmp_dgram_fix()}"
                   + (f"; {extra}" if extra else ""))


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
