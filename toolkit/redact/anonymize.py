"""Consistent pseudonyms for personal data (``--anonymize``).

E-mail addresses, IPv4 and IPv6 addresses, MAC addresses, this machine's host
names and its people's user names, payment card numbers (Luhn-valid, issuer
prefixes 2-6), Chinese resident ID numbers (18 characters, date and checksum
valid), IBANs (mod-97 valid) and phone numbers (international +CC…, Chinese mobile
1[3-9]…, North American (NNN) NNN-NNNN) are replaced by pseudonyms; the same value
gets the same pseudonym everywhere in a bundle, so "the same IP in two logs"
stays visible. Pseudonyms come from ranges reserved for documentation
(RFC 5737 IPv4 test networks, RFC 3849 IPv6, locally administered MACs,
``example.invalid`` mail, Ofcom's drama range +44 7700 900xxx for phones), so they
never name a real machine or person; where the real format has a checksum the
pseudonym fails it on purpose (cards start 999999 with a wrong Luhn digit, IDs
start with the unassigned region 000000 and a wrong check character, IBANs use
country XX and check digits 00), so no pseudonym is a valid number. Loopback,
unspecified, link-local multicast and broadcast addresses carry no personal
data and are kept. The mapping is written next to the bundle (``*.mapping.json``,
readable by the owner only), never inside it.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?![\w-])")
_MAC = re.compile(r"(?<![\w:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
                  r"(?![\w:-])")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|"
                   r"\d{1,3}(?:\.\d{1,3}){3})(?:%\w+)?(?![\w:])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
_TEST_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")
KINDS = ("email", "mac", "ipv6", "ipv4", "host", "user", "card", "national_id", "iban",
         "phone")

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"
                   r"(?![A-Za-z0-9])")
_CN_ID = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                    r"\d{3}[\dXx](?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![\d-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\d-])")
_PHONE = re.compile(r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}"
                    r"(?![\w])|(?<![\d.])1[3-9]\d{9}(?![\d.])|\(\d{3}\) ?\d{3}-\d{4}\b")
_NUMBERS = frozenset(("card", "national_id", "iban", "phone"))
_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def cn_id_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _CN_WEIGHTS, strict=True)) % 11]


def iban_ok(text: str) -> bool:
    s = text.replace(" ", "")
    s = s[4:] + s[:4]
    try:
        return int("".join(str(int(c, 36)) for c in s)) % 97 == 1
    except ValueError:
        return False


def _fake_card(n: int, length: int) -> str:
    body = "999999" + f"{n:0{length - 7}d}"[-(length - 7):]
    good = next(d for d in "0123456789" if luhn_ok(body + d))
    return body + str((int(good) + 1) % 10)  # a wrong check digit: never a valid card


def _keep_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (ip.is_loopback or ip.is_unspecified or ip.is_multicast
            or ip == ipaddress.IPv4Address("255.255.255.255"))


@dataclass
class Pseudonymizer:
    hostnames: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    mapping: dict[str, dict[str, str]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS})
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._issued: set[str] = set()
        names = [(n, "host") for n in self.hostnames if len(n) >= 2]
        names += [(n, "user") for n in self.users if len(n) >= 2]
        names.sort(key=lambda item: -len(item[0]))  # longest first: "pc-42.corp" before "pc-42"
        self._kind_of = {n.lower(): kind for n, kind in names}
        self._names = (re.compile(r"(?i)(?<![A-Za-z0-9_-])(?:" + "|".join(
            re.escape(n) for n, _ in names) + r")(?![A-Za-z0-9_-])") if names else None)

    @classmethod
    def for_this_machine(cls) -> Pseudonymizer:
        from toolkit import _platform

        return cls(hostnames=_platform.host_names(), users=_platform.people())

    def _pseudonym(self, kind: str, value: str) -> str:
        # One card or phone number however it is grouped ("4111 1111 …" = "41111111…").
        key = re.sub(r"[^0-9a-z]", "", value.lower()) if kind in _NUMBERS else value.lower()
        table = self.mapping[kind]
        if key in table:
            return table[key]
        n = len(table) + 1
        if kind == "ipv4":
            net, host = divmod(n - 1, 254)
            fake = f"{_TEST_NETS[net]}{host + 1}" if net < len(_TEST_NETS) else f"ipv4-{n}"
        elif kind == "ipv6":
            fake = f"2001:db8::{n:x}"
        elif kind == "mac":
            fake = f"02:00:00:00:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}"
        elif kind == "email":
            fake = f"user{n}@example.invalid"
        elif kind == "card":
            digits = re.sub(r"\D", "", value)
            fake = _regroup(value, _fake_card(n, len(digits)))
        elif kind == "national_id":
            body = "000000" + f"{n:011d}"
            good = cn_id_check(body)
            fake = body + ("0" if good != "0" else "1")  # region 000000, wrong check character
        elif kind == "iban":
            compact = value.replace(" ", "")
            fake = _regroup(value, "XX00TEST" + f"{n:0{max(len(compact) - 8, 4)}d}")
        elif kind == "phone":
            fake = f"+44 7700 900{n - 1:03d}" if n <= 1000 else f"phone-{n}"
        else:
            fake = f"{kind}-{n}"
        table[key] = fake
        self._issued.add(fake.lower())
        return fake

    def _swap(self, kind: str, value: str) -> str:
        if value.lower() in self._issued:  # already a pseudonym (re-redaction): keep it
            return value
        self.counts[kind] += 1
        return self._pseudonym(kind, value)

    def _ip(self, m: re.Match[str], kind: str) -> str:
        text = m.group(0)
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:  # 10:15:30 is a time, 999.1.1.1 a version: not addresses
            return text
        return text if _keep_ip(ip) else self._swap(kind, text)

    def _checked(self, kind: str, m: re.Match[str]) -> str:
        value = m.group(0)
        digits = re.sub(r"\D", "", value)
        if kind == "card":
            good = 13 <= len(digits) <= 19 and luhn_ok(digits) and \
                len(set(re.findall(r"[ -]", value))) <= 1
        elif kind == "national_id":
            good = cn_id_check(value[:17]) == value[17].upper()
        elif kind == "iban":
            good = iban_ok(value)
        else:
            good = 8 <= len(digits) <= 15
        return self._swap(kind, value) if good else value

    def apply(self, text: str) -> str:
        if not text:
            return text
        if "@" in text:
            text = _EMAIL.sub(lambda m: self._swap("email", m.group(0)), text)
        text = _IBAN.sub(lambda m: self._checked("iban", m), text)
        text = _CN_ID.sub(lambda m: self._checked("national_id", m), text)
        text = _CARD.sub(lambda m: self._checked("card", m), text)
        text = _PHONE.sub(lambda m: self._checked("phone", m), text)
        if ":" in text or "-" in text:
            text = _MAC.sub(lambda m: self._swap("mac", m.group(0)), text)
        if ":" in text:
            text = _IPV6.sub(lambda m: self._ip(m, "ipv6"), text)
        if "." in text:
            text = _IPV4.sub(lambda m: self._ip(m, "ipv4"), text)
        if self._names is not None:
            text = self._names.sub(
                lambda m: self._swap(self._kind_of[m.group(0).lower()], m.group(0)), text)
        return text

    def document(self, bundle: str) -> dict[str, Any]:
        """The mapping file: pseudonym → original, per kind (kept off the bundle)."""
        return {"bundle": bundle, "note": "Keep this file private: it reverses the "
                                          "pseudonyms in the bundle of the same name.",
                "pseudonyms": {kind: {fake: real for real, fake in table.items()}
                               for kind, table in self.mapping.items() if table}}

    def summary(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))


def _regroup(original: str, digits: str) -> str:
    """``digits`` laid out like ``original`` (its spaces and dashes where they were)."""
    out, it = [], iter(digits)
    for ch in original:
        out.append(ch if ch in " -" else next(it, ""))
    return "".join(out) + "".join(it)

