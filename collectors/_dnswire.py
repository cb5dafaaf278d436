"""A minimal DNS client wire format (RFC 1035 §4; AAAA from RFC 3596, OPT from RFC 6891):
build one query, read one reply. Pure functions, no sockets — ``network.dns`` sends.

Only what telling resolvers apart needs: the response code, the answer's A, AAAA, CNAME,
MX and TXT records and their TTL, the SOA a negative answer carries (RFC 2308: which zone
said "no", and for how long that "no" is cached), EDNS, and the flags (authoritative,
truncated, recursion available). Names may be compressed (§4.1.4).

A reply comes from the network and may be cut short, damaged or hostile. Every read is
bounded by the message's length, and a reply that cannot be read raises
:class:`MalformedReply` — never another exception — whose text says where it breaks:
"is cut short at byte 37 (answer record 2)". Guarded as dnspython guards: compression
pointers must point backwards, each before the last (so no loop), at most 128 of them in a
name; labels are at most 63 bytes, names at most 255; a record count that the bytes left
cannot hold is refused before any record is read. A reply with the TC bit set stops, without
error, where its records stop: it is retried over TCP anyway (RFC 7766).

Why hand-written rather than dnspython (``benchmarks/bench_dnswire.py``; docs/decisions.md
has the whole table): on 18,437 messages — every prefix of the real replies in
``tests/fixtures/network.dns/`` and 16,000 mutations — this module and dnspython 2.9.2 both
raise only their own error type (before this hardening: 146 ``struct.error``); this module
imports in 0.4 ms on top of what ``network.dns`` imports anyway, against 41 ms for
``dns.message``, reads a reply in about 40 µs against 250 µs, and is 16 KiB against a
1.1 MiB dependency for the wheel and the one-file builds. It reads every record type the
collector reports; others are kept as hex. dnspython's TCP fallback, one query at a time,
would not fit the collector's all-at-once wait either.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "OPT": 41}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 16: "BADVERS"}
_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, data length
_QR, _AA, _TC, _RD, _RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080
_MAX_POINTERS = 128  # a 255-byte name has at most 127 labels: more pointers is a trap
_SECTIONS = ("answer", "authority", "additional")
# Error replies may leave the question out (RFC 1035 does not require it there).
_QUESTIONLESS_RCODES = {"FORMERR", "SERVFAIL", "NOTIMP", "REFUSED"}


class ReplyError(ValueError):
    """The one error type reading a reply raises."""


class NotAReply(ReplyError):
    """The message is a query (QR bit clear): nobody's answer."""


class MalformedReply(ReplyError):
    """A reply that cannot be read. ``str()`` completes "the reply from 10.0.0.1 …".

    ``question`` is the reply's question when reading got past it (else None), so a caller
    can still tell a broken reply to its own question from a broken reply to someone else's.
    """

    def __init__(self, problem: str, offset: int, where: str,
                 question: dict[str, str] | None = None) -> None:
        super().__init__(f"{problem} at byte {offset} ({where})")
        self.problem, self.offset, self.where, self.question = problem, offset, where, question


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


def reply_id(data: bytes) -> int | None:
    """The message ID, if the message is long enough to have one."""
    return int.from_bytes(data[:2], "big") if len(data) >= 2 else None


def _label_text(raw: bytes) -> str:
    # As dig prints them: a dot, a backslash or an unprintable byte inside a label is
    # escaped (\. \\ \DDD), so a hostile label cannot pose as two labels or carry
    # terminal control characters into a report.
    out = []
    for b in raw:
        if b in (0x2E, 0x5C):
            out.append("\\" + chr(b))
        elif 0x21 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return "".join(out)


def _read_name(data: bytes, offset: int, where: str, limit: int | None = None
               ) -> tuple[str, int]:
    """A possibly compressed name at ``offset``; returns it and the offset after it.

    ``limit``: where the record data holding the name ends; the name's own bytes must stop
    there (the parts it points to lie earlier in the message)."""
    limit = len(data) if limit is None else limit

    def cut() -> MalformedReply:
        if limit < len(data):
            return MalformedReply("has a name running past the end of its record data",
                                  limit, where)
        return MalformedReply("is cut short", len(data), where)

    labels: list[str] = []
    end: int | None = None  # where the name ends in the record (after its first pointer)
    lowest = offset  # each pointer must point before this, which then moves down
    pointers = 0
    wire_length = 1  # the root's zero byte
    while True:
        # Bytes read at ``offset`` belong to this record until the first pointer is
        # followed; after that they are earlier in the message, below ``lowest``.
        bound = limit if end is None else len(data)
        if offset >= bound:
            raise cut()
        length = data[offset]
        if length & 0xC0 == 0xC0:  # pointer: the rest of the name is earlier in the message
            if offset + 1 >= bound:
                raise cut()
            target = ((length & 0x3F) << 8) | data[offset + 1]
            if target >= lowest:
                raise MalformedReply(
                    f"has a compression pointer to byte {target}, which is not before the "
                    "name (a loop, or a pointer forward or past the end)", offset, where)
            pointers += 1
            if pointers > _MAX_POINTERS:
                raise MalformedReply(f"has a name made of more than {_MAX_POINTERS} "
                                     "compression pointers", offset, where)
            if end is None:
                end = offset + 2
            lowest = offset = target
            continue
        if length & 0xC0:
            # 0x40 and 0x80 are label types RFC 6891 retired and RFC 1035 reserved:
            # what is left is a length over 63.
            raise MalformedReply(f"has a label length of {length}, over the 63 allowed",
                                 offset, where)
        if length == 0:
            offset += 1
            break
        wire_length += length + 1
        if wire_length > 255:
            raise MalformedReply("has a name longer than 255 bytes", offset, where)
        if offset + 1 + length > bound:
            raise cut()
        labels.append(_label_text(data[offset + 1:offset + 1 + length]))
        offset += 1 + length
    return ".".join(labels) or ".", end if end is not None else offset


def _rdata(data: bytes, start: int, rtype: int, rdlen: int, where: str) -> Any:
    """The value of one record's data, ``data[start:start + rdlen]`` (already in bounds)."""
    end = start + rdlen
    rdata = data[start:end]

    def exact(value: Any, after: int) -> Any:
        # A name or field inside the data must end where the data length says it does.
        if after != end:
            raise MalformedReply(f"has {TYPE_NAMES[rtype]} record data that does not match "
                                 f"its stated length of {rdlen} bytes", start, where)
        return value

    def name_at(offset: int) -> tuple[str, int]:
        return _read_name(data, offset, where, limit=end)

    if rtype in (1, 28):
        size = 4 if rtype == 1 else 16
        if rdlen != size:
            raise MalformedReply(f"has an {TYPE_NAMES[rtype]} record of {rdlen} bytes (an "
                                 f"address is {size})", start, where)
        return str(ipaddress.IPv4Address(rdata) if rtype == 1 else ipaddress.IPv6Address(rdata))
    if rtype in (2, 5, 12):
        return exact(*name_at(start))
    if rtype == 15:
        if rdlen < 3:
            raise MalformedReply(f"has an MX record of {rdlen} bytes", start, where)
        host, after = name_at(start + 2)
        return exact(f"{int.from_bytes(rdata[:2], 'big')} {host}", after)
    if rtype == 6:
        primary, after = name_at(start)
        mailbox, after = name_at(after)
        if end - after != 20:
            raise MalformedReply(f"has SOA record data that does not match its stated "
                                 f"length of {rdlen} bytes", start, where)
        serial, refresh, retry, expire, minimum = struct.unpack_from("!IIIII", data, after)
        return {"primary": primary, "mailbox": mailbox, "serial": serial, "refresh": refresh,
                "retry": retry, "expire": expire, "minimum": minimum}
    if rtype == 16:
        strings, offset = [], start
        while offset < end:
            size = data[offset]
            if offset + 1 + size > end:
                raise MalformedReply("has a TXT string running past its record", offset, where)
            strings.append(data[offset + 1:offset + 1 + size])
            offset += 1 + size
        # Joined, as SPF and DKIM readers join them (RFC 7208 §3.3).
        return b"".join(strings).decode("utf-8", errors="replace")
    return rdata.hex()


def _section_count_fits(count: int, minimum: int, offset: int, data: bytes, what: str,
                        where: str) -> None:
    # Refused up front: 65535 answers in 40 bytes would otherwise be read one by one
    # until the bytes run out, and the message should say what is wrong with it.
    left = len(data) - offset
    if count * minimum > left:
        raise MalformedReply(f"claims {count} {what}, more than the {left} bytes left can "
                             f"hold (each takes at least {minimum})", offset, where)


def parse_response(data: bytes) -> dict[str, Any]:
    """The parts of a DNS reply that tell what the resolver said.

    Raises :class:`NotAReply` for a query and :class:`MalformedReply` for a reply that
    cannot be read (both are :class:`ReplyError`, a ``ValueError``); nothing else.
    """
    if len(data) < _HEADER.size:
        raise MalformedReply("is cut short", len(data), "header")
    ident, flags, qd, an, ns, ar = _HEADER.unpack_from(data)
    if not flags & _QR:
        raise NotAReply("not a response (QR bit clear)")
    truncated = bool(flags & _TC)
    offset = _HEADER.size
    question: dict[str, str] | None = None
    _section_count_fits(qd, 5, offset, data, "questions", "question")
    for n in range(qd):
        where = "question" if qd == 1 else f"question {n + 1}"
        qname, offset = _read_name(data, offset, where)
        if offset + 4 > len(data):
            raise MalformedReply("is cut short", len(data), where)
        qtype, qclass = struct.unpack_from("!HH", data, offset)
        offset += 4
        if question is None:
            question = {"name": qname, "type": TYPE_NAMES.get(qtype, str(qtype)),
                        "class": str(qclass)}
    records: list[dict[str, Any]] = []
    edns: dict[str, Any] | None = None
    rcode = flags & 0x000F
    try:
        for section, count in zip(_SECTIONS, (an, ns, ar), strict=True):
            _section_count_fits(count, 11, offset, data, f"{section} records",
                                f"{section} section")
            for n in range(count):
                where = f"{section} record {n + 1}"
                rname, offset = _read_name(data, offset, where)
                if offset + _RR_FIXED.size > len(data):
                    raise MalformedReply("is cut short", len(data), where)
                rtype, rclass, ttl, rdlen = _RR_FIXED.unpack_from(data, offset)
                offset += _RR_FIXED.size
                if offset + rdlen > len(data):
                    raise MalformedReply("is cut short", len(data), where)
                if rtype == 41:  # OPT (RFC 6891 §6.1.2): not a record, the sender's EDNS
                    rcode |= (ttl >> 24) << 4
                    edns = {"udp_size": rclass, "version": (ttl >> 16) & 0xFF,
                            "dnssec_ok": bool(ttl & 0x8000)}
                else:
                    records.append({"section": section, "name": rname,
                                    "type": TYPE_NAMES.get(rtype, str(rtype)), "ttl": ttl,
                                    "value": _rdata(data, offset, rtype, rdlen, where)})
                offset += rdlen
    except MalformedReply as exc:
        # A reply that says it is truncated (TC) may stop anywhere after its question
        # (RFC 2181 §9): what it has is kept, and the caller asks again over TCP.
        if not truncated:
            exc.question = question
            raise
    return {"id": ident, "opcode": (flags >> 11) & 0xF, "rcode": RCODES.get(rcode, str(rcode)),
            "authoritative": bool(flags & _AA), "truncated": truncated,
            "recursion_available": bool(flags & _RA), "question": question,
            "records": records, "edns": edns}


def asks_same(question: dict[str, str] | None, rcode: str, name: str, qtype: str) -> bool:
    """Whether a reply's question is ours: the same name (any case: resolvers may echo it
    with 0x20 case randomisation), type and class IN; error replies may carry none."""
    if question is None:
        return rcode in _QUESTIONLESS_RCODES
    ours = ".".join(_label_text(label.encode("idna"))
                    for label in name.rstrip(".").split(".")) or "."
    return (question["name"].rstrip(".").lower() == ours.lower() and
            question["type"] == qtype and question["class"] == "1")


def judge_reply(data: bytes, ident: int, name: str, qtype: str) -> tuple[str, Any]:
    """What one message is to our question ``(ident, name, qtype)``; never raises.

    ``("answer", parsed)``; ``("malformed", MalformedReply)``: ours (our ID, and our question
    as far as it can be read) but unreadable; ``("ignore", why)``: not an answer to it —
    another ID, a query, another question — so the wait for ours goes on.
    """
    if reply_id(data) != ident:
        return "ignore", "another query ID"
    try:
        parsed = parse_response(data)
    except NotAReply:
        return "ignore", "a query, not a reply"
    except MalformedReply as exc:
        if exc.question is not None and not asks_same(exc.question, "", name, qtype):
            return "ignore", "a reply to another question"
        return "malformed", exc
    if parsed["opcode"] != 0 or not asks_same(parsed["question"], parsed["rcode"], name, qtype):
        return "ignore", "a reply to another question"
    return "answer", parsed


def summarise(parsed: dict[str, Any], qtype: str) -> dict[str, Any]:
    """status, values, CNAME chain and lowest TTL of the answer section; the SOA of a
    negative answer (RFC 2308 §5: the "no" is cached for the lower of its TTL and minimum)."""
    answer = [r for r in parsed["records"] if r["section"] == "answer"]
    addresses = [r["value"] for r in answer if r["type"] == qtype]
    rcode = parsed["rcode"]
    status = {"NOERROR": "ok" if addresses else "nodata", "NXDOMAIN": "nxdomain",
              "SERVFAIL": "servfail", "REFUSED": "refused"}.get(rcode, "error")
    soa = next((r for r in parsed["records"] if r["section"] == "authority" and
                r["type"] == "SOA"), None) if not addresses else None
    return {"status": status, "rcode": rcode, "addresses": addresses,
            "cnames": [r["value"] for r in answer if r["type"] == "CNAME"],
            "ttl": min((r["ttl"] for r in answer), default=None),
            "authoritative": parsed["authoritative"], "truncated": parsed["truncated"],
            "soa": None if soa is None else {
                "zone": soa["name"], "primary": soa["value"]["primary"],
                "serial": soa["value"]["serial"],
                "negative_ttl": min(soa["ttl"], soa["value"]["minimum"])}}
