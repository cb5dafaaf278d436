"""Read the few fields of an X.509 certificate (DER) that support needs.

Python's ``ssl`` only describes a peer certificate it has *verified*; the
self-signed, expired or wrong-host certificate behind a failing connection is
the one support most needs to see. This reads subject, issuer, validity,
serial and subject alternative names from the DER bytes (RFC 5280 §4.1) with
a small DER walker — no third-party dependency.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timezone
from typing import Any

_NAMES = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
          "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "serialNumber",
          "1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC"}
_SAN = "2.5.29.17"
_STRINGS = {0x0C: "utf-8", 0x13: "ascii", 0x14: "latin-1", 0x16: "ascii", 0x1A: "ascii",
            0x1E: "utf-16-be", 0x1C: "utf-32-be"}


def _tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the element at ``offset``."""
    if offset + 2 > len(data):
        raise ValueError("DER element runs past the end")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or offset + n > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[offset:offset + n], "big")
        offset += n
    if offset + length > len(data):
        raise ValueError("DER element runs past the end")
    return tag, offset, offset + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out, offset = [], start
    while offset < end:
        tag, s, e = _tlv(data, offset)
        out.append((tag, s, e))
        offset = e
    return out


def _oid(raw: bytes) -> str:
    first = raw[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def _string(tag: int, raw: bytes) -> str:
    return raw.decode(_STRINGS.get(tag, "latin-1"), errors="replace")


def _name(data: bytes, start: int, end: int) -> list[tuple[str, str]]:
    out = []
    for _, rs, re_ in _children(data, start, end):          # RDN (SET)
        for _, ats, ate in _children(data, rs, re_):        # AttributeTypeAndValue
            (_, os_, oe), (vtag, vs, ve) = _children(data, ats, ate)[:2]
            oid = _oid(data[os_:oe])
            out.append((_NAMES.get(oid, oid), _string(vtag, data[vs:ve])))
    return out


def _time(tag: int, raw: bytes) -> datetime:
    text = raw.decode("ascii").rstrip("Z")
    if tag == 0x17:  # UTCTime: two-digit year, 50-99 → 19xx (RFC 5280 §4.1.2.5.1)
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def _sans(data: bytes, start: int, end: int) -> list[str]:
    out = []
    for tag, s, e in _children(data, start, end):
        if tag == 0x82:
            out.append(f"DNS:{data[s:e].decode('ascii', errors='replace')}")
        elif tag == 0x87 and e - s in (4, 16):
            out.append(f"IP:{ipaddress.ip_address(data[s:e])}")
    return out


def parse_der(der: bytes, now: datetime | None = None) -> dict[str, Any]:
    """subject, issuer, not_before/not_after (ISO 8601 UTC), expires_in_days, serial, san."""
    _, cs, ce = _tlv(der, 0)
    _, ts, te = _children(der, cs, ce)[0]                   # tbsCertificate
    fields = _children(der, ts, te)
    if fields and fields[0][0] == 0xA0:                     # [0] version
        fields = fields[1:]
    serial, _sig, issuer, validity, subject = fields[:5]
    (bt, bs, be), (at, as_, ae) = _children(der, validity[1], validity[2])[:2]
    not_before, not_after = _time(bt, der[bs:be]), _time(at, der[as_:ae])
    san: list[str] = []
    for tag, s, e in fields[5:]:
        if tag != 0xA3:                                     # [3] extensions
            continue
        _, ls, le = _children(der, s, e)[0]
        for _, xs, xe in _children(der, ls, le):
            parts = _children(der, xs, xe)
            if _oid(der[parts[0][1]:parts[0][2]]) == _SAN:
                _, vs, ve = parts[-1]                       # OCTET STRING
                _, ss, se = _tlv(der, vs)
                san = _sans(der, ss, se)
    subject_rdns, issuer_rdns = _name(der, subject[1], subject[2]), _name(der, issuer[1],
                                                                          issuer[2])
    now = now or datetime.now(timezone.utc)
    return {
        "subject": ", ".join(f"{k}={v}" for k, v in subject_rdns),
        "issuer": ", ".join(f"{k}={v}" for k, v in issuer_rdns),
        "common_name": next((v for k, v in subject_rdns if k == "CN"), None),
        "self_signed": subject_rdns == issuer_rdns,
        "serial": der[serial[1]:serial[2]].hex(),
        "not_before": not_before.isoformat(),
        "not_after": not_after.isoformat(),
        "expires_in_days": round((not_after - now).total_seconds() / 86400, 1),
        "san": san,
    }
