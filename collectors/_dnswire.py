"""A minimal DNS client wire format (RFC 1035 §4; AAAA from RFC 3596): build one
query, read one response. Pure functions, no sockets — ``network.dns`` sends.

Only what telling resolvers apart needs: the response code, the answer's
addresses, CNAME chain and TTL, and the flags (authoritative, truncated,
recursion available). Names in answers may be compressed (§4.1.4).
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED"}
_HEADER = struct.Struct("!HHHHHH")
_QR, _AA, _TC, _RD, _RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080


def encode_name(name: str) -> bytes:
    """'www.example.com' → length-prefixed labels ending in the root's zero byte."""
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if not label:
            raise ValueError(f"empty label in {name!r}")
        raw = label.encode("idna")
        if len(raw) > 63:
            raise ValueError(f"label longer than 63 bytes in {name!r}")
        out += bytes([len(raw)]) + raw
    out += b"\0"
    if len(out) > 255:
        raise ValueError(f"name longer than 255 bytes: {name!r}")
    return bytes(out)


def build_query(ident: int, name: str, qtype: str = "A", recursion: bool = True) -> bytes:
    """One question, class IN, recursion desired (as a stub resolver asks)."""
    flags = _RD if recursion else 0
    return (_HEADER.pack(ident & 0xFFFF, flags, 1, 0, 0, 0) + encode_name(name)
            + struct.pack("!HH", TYPES[qtype], 1))


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    """A possibly compressed name at ``offset``; returns it and the offset after it."""
    labels: list[str] = []
    end: int | None = None
    jumps = 0
    while True:
        if offset >= len(data):
            raise ValueError("name runs past the end of the message")
        length = data[offset]
        if length & 0xC0 == 0xC0:  # pointer: the rest of the name is elsewhere
            if offset + 1 >= len(data):
                raise ValueError("truncated compression pointer")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("compression pointer loop")
            continue
        if length & 0xC0:
            raise ValueError(f"unsupported label type 0x{length:02x}")
        offset += 1
        if length == 0:
            break
        labels.append(data[offset:offset + length].decode("ascii", errors="replace"))
        offset += length
    return ".".join(labels) or ".", end if end is not None else offset


def parse_response(data: bytes) -> dict[str, Any]:
    """The parts of a DNS response that tell what the resolver said."""
    if len(data) < _HEADER.size:
        raise ValueError(f"DNS message too short ({len(data)} bytes)")
    ident, flags, qd, an, ns, _ = _HEADER.unpack_from(data)
    if not flags & _QR:
        raise ValueError("not a response (QR bit clear)")
    offset = _HEADER.size
    question = None
    for _ in range(qd):
        qname, offset = _read_name(data, offset)
        qtype, _qclass = struct.unpack_from("!HH", data, offset)
        offset += 4
        question = {"name": qname, "type": TYPE_NAMES.get(qtype, str(qtype))}
    answers: list[dict[str, Any]] = []
    for section, count in (("answer", an), ("authority", ns)):
        for _ in range(count):
            rname, offset = _read_name(data, offset)
            if offset + 10 > len(data):
                raise ValueError("resource record runs past the end of the message")
            rtype, _rclass, ttl, rdlen = struct.unpack_from("!HHIH", data, offset)
            offset += 10
            rdata = data[offset:offset + rdlen]
            if len(rdata) < rdlen:
                raise ValueError("record data runs past the end of the message")
            value: Any = rdata.hex()
            if rtype == 1 and rdlen == 4:
                value = str(ipaddress.IPv4Address(rdata))
            elif rtype == 28 and rdlen == 16:
                value = str(ipaddress.IPv6Address(rdata))
            elif rtype in (2, 5, 12):
                value, _ = _read_name(data, offset)
            answers.append({"section": section, "name": rname,
                            "type": TYPE_NAMES.get(rtype, str(rtype)), "ttl": ttl,
                            "value": value})
            offset += rdlen
    rcode = flags & 0x000F
    return {"id": ident, "rcode": RCODES.get(rcode, str(rcode)),
            "authoritative": bool(flags & _AA), "truncated": bool(flags & _TC),
            "recursion_available": bool(flags & _RA), "question": question,
            "records": answers}


def summarise(parsed: dict[str, Any], qtype: str) -> dict[str, Any]:
    """status, addresses, CNAME chain and lowest TTL of the answer section."""
    answer = [r for r in parsed["records"] if r["section"] == "answer"]
    addresses = [r["value"] for r in answer if r["type"] == qtype]
    rcode = parsed["rcode"]
    status = {"NOERROR": "ok" if addresses else "nodata", "NXDOMAIN": "nxdomain",
              "SERVFAIL": "servfail", "REFUSED": "refused"}.get(rcode, "error")
    return {"status": status, "rcode": rcode, "addresses": addresses,
            "cnames": [r["value"] for r in answer if r["type"] == "CNAME"],
            "ttl": min((r["ttl"] for r in answer), default=None),
            "authoritative": parsed["authoritative"], "truncated": parsed["truncated"]}
