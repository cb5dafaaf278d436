"""Consistent pseudonyms for personal data (``--anonymize``).

E-mail addresses, IPv4 and IPv6 addresses, MAC addresses, this machine's host
names and its people's user names are replaced by pseudonyms; the same value
gets the same pseudonym everywhere in a bundle, so "the same IP in two logs"
stays visible. Pseudonyms come from ranges reserved for documentation
(RFC 5737 IPv4 test networks, RFC 3849 IPv6, locally administered MACs,
``example.invalid`` mail), so they never name a real machine. Loopback,
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
KINDS = ("email", "mac", "ipv6", "ipv4", "host", "user")


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
        key = value.lower()
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

    def apply(self, text: str) -> str:
        if not text:
            return text
        if "@" in text:
            text = _EMAIL.sub(lambda m: self._swap("email", m.group(0)), text)
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
