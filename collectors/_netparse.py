"""Pure parsers for saved ``ping`` and ``traceroute``/``tracert`` outputs.

Shared by ``network.ping`` and ``network.traceroute``: the live probes build
the same records (``ping_summary``, ``hop_record``, ``loss_starts_at``), so a
pasted output and a live run read alike in a bundle.

Formats read:

- ping: Linux iputils (``-O``, ``-D``, ``-p``, ``-s``, source address,
  duplicates, unreachable), Alpine/busybox, macOS and FreeBSD
  ``ping``/``ping6``, Windows ``ping``.
- traceroute: Linux (Butskoy), macOS and FreeBSD ``traceroute``/``traceroute6``
  (several addresses per hop, AS numbers, ``!H``-style flags), Windows ``tracert``.
"""

from __future__ import annotations

import math
import re
from typing import Any

# --- ping -----------------------------------------------------------------

_PING_HEADERS = (
    # iputils IPv4: "PING host (addr) [from src iface:] 56(84) bytes of data."
    re.compile(r"^PING (?P<host>\S*) \((?P<addr>[^)]*)\)(?: from \S+ .*?)?:? \d+\(\d+\) bytes"),
    # iputils IPv6: "PING host(name (addr)) 56 data bytes" / "PING addr(addr) from src : …"
    re.compile(r"^PING (?P<host>\S*?)\((?:\S+ \()?(?P<addr>[0-9a-fA-F:.%\w]+)\)?\)"),
    # BSD and busybox: "PING host (addr): 56 data bytes"
    re.compile(r"^PING (?P<host>\S*) \((?P<addr>[^)]*)\): \d+ data bytes"),
    # BSD ping6: "PING6(56=40+8+8 bytes) src --> dst"
    re.compile(r"^PING6\(.*\) \S+ --> (?P<addr>\S+)"),
    # Windows: "Pinging host [addr] with 32 bytes of data:" / "Pinging addr with …"
    re.compile(r"^Pinging (?P<host>\S+)(?: \[(?P<addr>[^\]]+)\])? with \d+ bytes"),
)
_REPLY = re.compile(
    r"^(?:\[(?P<ts>\d+\.\d+)\] )?\d+ bytes from (?P<src>[^,]+?)[:,] "
    r"(?:icmp_)?seq=(?P<seq>\d+) (?:ttl|hlim)=(?P<ttl>\d+) time=(?P<rtt>[\d.]+) ?ms(?P<rest>.*)$")
_OTHER_FROM = re.compile(r"^(?:\[(?P<ts>\d+\.\d+)\] )?\d+ bytes from (?P<src>[^,]+?)[:,] "
                         r"(?P<msg>.+)$")
_ICMP_FROM = re.compile(r"^(?:\[(?P<ts>\d+\.\d+)\] )?From (?P<src>\S+)(?: \([^)]*\))?:? "
                        r"icmp_seq=(?P<seq>\d+) (?P<msg>.+)$")
_NO_ANSWER = re.compile(r"^(?:\[\d+\.\d+\] )?no answer yet for icmp_seq=(\d+)")
_BSD_TIMEOUT = re.compile(r"^Request timeout for icmp_seq (\d+)")
_WIN_REPLY = re.compile(r"^Reply from (?P<src>[^:]+(?::[^:\s]+)*): "
                        r"(?:bytes=\d+ )?time(?P<lt>[=<])(?P<rtt>\d+)ms(?: TTL=(?P<ttl>\d+))?")
_WIN_OTHER = re.compile(r"^Reply from (?P<src>\S+?): (?P<msg>.+)$")
_STATS = re.compile(r"^(?P<sent>\d+) packets transmitted, (?P<recv>\d+)(?: packets)? received"
                    r"(?:, \+(?P<dup>\d+) duplicates)?(?:, \+(?P<err>\d+) errors)?"
                    r"(?:, (?P<loss>[\d.]+)% packet loss)?")
_RTT = re.compile(r"^(?:rtt|round-trip) min/avg/max(?:/(?:mdev|stddev|std-dev))? = "
                  r"(?P<vals>[\d./]+) ms")
_WIN_STATS = re.compile(r"Packets: Sent = (\d+), Received = (\d+), Lost = (\d+)")
_WIN_RTT = re.compile(r"Minimum = (\d+)ms, Maximum = (\d+)ms, Average = (\d+)ms")
# BSD prints the quoted IP header after an ICMP error: skip it, it is not a probe.
_BSD_DUMP = re.compile(r"^(?:Vr HL TOS|\s*\d+\s+\d+\s+[0-9a-f]{2}\s+[0-9a-f]{4})")


def _address(src: str) -> str:
    """'name (addr)' → 'addr'; a bare address stays as it is."""
    m = re.search(r"\(([^()]+)\)\s*$", src)
    return m.group(1) if m else src.strip()


def _ping_format(lines: list[str]) -> str:
    text = "\n".join(lines)
    if re.search(r"^Pinging |^Ping statistics for ", text, re.M):
        return "windows"
    if re.search(r"^PING6\(|^round-trip min/avg/max/(?:stddev|std-dev)", text, re.M):
        return "bsd"
    if re.search(r"^round-trip min/avg/max =|: seq=\d+ ttl=", text, re.M):
        return "busybox"
    if re.search(r"^PING .*: \d+ data bytes$", text, re.M) and "packets received" in text:
        return "bsd"
    return "iputils"


def _stdev(values: list[float]) -> float:
    # iputils' mdev: the population standard deviation of the round-trip times.
    if not values:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(max(0.0, sum(v * v for v in values) / len(values) - mean * mean))


def ping_summary(probes: list[dict[str, Any]], sent: int) -> dict[str, Any]:
    """Counts and round-trip statistics from probe records (live runs, partial outputs)."""
    replies = [p["rtt_ms"] for p in probes if p["status"] == "reply" and p["rtt_ms"] is not None]
    received = sum(1 for p in probes if p["status"] == "reply")
    return {
        "sent": sent,
        "received": received,
        "duplicates": sum(1 for p in probes if p["status"] == "duplicate"),
        "errors": sum(1 for p in probes if p["status"] in ("unreachable", "error")),
        "loss_pct": round(100.0 * (sent - received) / sent, 1) if sent else None,
        "rtt_min_ms": round(min(replies), 3) if replies else None,
        "rtt_avg_ms": round(sum(replies) / len(replies), 3) if replies else None,
        "rtt_max_ms": round(max(replies), 3) if replies else None,
        "rtt_mdev_ms": round(_stdev(replies), 3) if replies else None,
    }


def _probe(seq: int | None, status: str, address: str | None = None, ttl: int | None = None,
           rtt: float | None = None) -> dict[str, Any]:
    return {"seq": seq, "status": status, "address": address, "ttl": ttl, "rtt_ms": rtt}


def _parse_ping_line(line: str, probes: list[dict[str, Any]], seen: set[int],
                     fmt: str) -> bool:
    """Add the probe a line describes; False when the line is not a probe."""
    m = _REPLY.match(line)
    if m:
        seq = int(m["seq"])
        # iputils marks duplicates; BSD ping only repeats the sequence number.
        dup = "(DUP!)" in m["rest"] or (fmt != "iputils" and seq in seen)
        seen.add(seq)
        probe = _probe(seq, "duplicate" if dup else "reply", _address(m["src"]), int(m["ttl"]),
                       float(m["rtt"]))
        if m["ts"]:
            probe["timestamp"] = float(m["ts"])
        probes.append(probe)
        return True
    m = _WIN_REPLY.match(line)
    if m:  # ping.exe prints no sequence numbers: replies are numbered as they come
        rtt = 0.0 if m["lt"] == "<" else float(m["rtt"])  # "<1ms" is 0 in its own statistics
        probes.append(_probe(len(probes) + 1, "reply", m["src"],
                             int(m["ttl"]) if m["ttl"] else None, rtt))
        return True
    m = _NO_ANSWER.match(line) or _BSD_TIMEOUT.match(line)
    if m:
        probes.append(_probe(int(m.group(1)), "timeout"))
        return True
    if fmt == "windows" and line.strip() in ("Request timed out.", "General failure.",
                                             "PING: transmit failed. General failure."):
        status = "timeout" if line.strip() == "Request timed out." else "error"
        probes.append({**_probe(len(probes) + 1, status),
                       **({"detail": line.strip()} if status == "error" else {})})
        return True
    m = _ICMP_FROM.match(line)
    if m:
        msg = m["msg"].strip()
        status = "unreachable" if "unreachable" in msg.lower() else "error"
        probes.append({**_probe(int(m["seq"]), status, m["src"]), "detail": msg})
        return True
    m = _WIN_OTHER.match(line) or _OTHER_FROM.match(line)
    if m:
        msg = m["msg"].strip()
        status = "unreachable" if "unreachable" in msg.lower() else "error"
        number = len(probes) + 1 if fmt == "windows" else None  # BSD quotes it in hex only
        probes.append({**_probe(number, status, _address(m["src"])), "detail": msg.rstrip(".")})
        return True
    return False


def parse_ping(text: str) -> dict[str, Any]:
    """Parse a saved ping output of any supported system into the network.ping result."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    host = address = None
    for line in lines:
        for pattern in _PING_HEADERS:
            m = pattern.match(line)
            if m:
                groups = m.groupdict()
                address = groups.get("addr") or groups.get("host")
                host = groups.get("host", address)
                break
        if address:
            break
    if address is None:
        raise ValueError("not ping output: no 'PING host (address)' or 'Pinging host' line")
    fmt = _ping_format(lines)
    probes: list[dict[str, Any]] = []
    seen: set[int] = set()
    unparsed: list[str] = []
    stats: dict[str, Any] = {}
    rtt: list[float] = []
    in_stats = False
    for line in lines:
        if not line.strip() or line.startswith(("PING", "Pinging", "PATTERN:", "WARNING:")):
            continue
        if line.startswith("---") or line.startswith("Ping statistics"):
            in_stats = True
            continue
        m = _STATS.match(line)
        if m:
            stats = {"sent": int(m["sent"]), "received": int(m["recv"])}
            # Counters the tool left out (BSD never prints "+N errors") are recounted.
            stats.update({k: int(m[g]) for k, g in (("duplicates", "dup"), ("errors", "err"))
                          if m[g] is not None})
            continue
        m = _RTT.match(line)
        if m:
            rtt = [float(v) for v in m["vals"].split("/")]
            continue
        m = _WIN_STATS.search(line)
        if m:
            stats = {"sent": int(m.group(1)), "received": int(m.group(2))}
            continue
        m = _WIN_RTT.search(line)
        if m:
            low, high, avg = (float(g) for g in m.groups())
            rtt = [low, avg, high]
            continue
        if in_stats or _BSD_DUMP.match(line) or line.startswith(("Approximate round trip",
                                                                   "pipe ")):
            continue
        if not _parse_ping_line(line, probes, seen, fmt):
            unparsed.append(line.strip())
    sent = stats.get("sent") or len({p["seq"] for p in probes if p["seq"] is not None})
    result: dict[str, Any] = {"format": fmt, "host": host or None, "address": address,
                              **ping_summary(probes, sent)}
    if stats:
        # The tool's own counters win over a recount: the output may have lost lines.
        result["received"] = stats["received"]
        if fmt == "windows":
            # ping.exe counts "Destination host unreachable" answers as received
            # (https://learn.microsoft.com/troubleshoot/windows-server/networking/
            # ping-command-reports-destination-host-unreachable): count echo replies only.
            result["received"] = sum(1 for p in probes if p["status"] == "reply")
        result.update({k: stats[k] for k in ("duplicates", "errors") if k in stats})
        sent_n, recv_n = result["sent"], result["received"]
        result["loss_pct"] = round(100.0 * (sent_n - recv_n) / sent_n, 1) if sent_n else None
    if rtt:
        result.update(rtt_min_ms=rtt[0], rtt_avg_ms=rtt[1], rtt_max_ms=rtt[2])
        if len(rtt) > 3:
            result["rtt_mdev_ms"] = rtt[3]
    result["complete"] = bool(stats)
    result["probes"] = probes
    result["unparsed"] = unparsed
    return result


# --- traceroute -----------------------------------------------------------

_TR_HEADER = re.compile(r"^traceroute6? to (?P<name>\S+)\s+\((?P<addr>[^)]+)\)"
                        r"(?: from (?P<src>\S+?))?, (?P<max>\d+) hops max")
_TRACERT_HEADER = re.compile(r"^Tracing route to (?P<name>\S+)(?: \[(?P<addr>[^\]]+)\])?")
_TRACERT_MAX = re.compile(r"over a maximum of (\d+) hops")
_HOP_START = re.compile(r"^\s*(\d+)\s+(.*)$")
_TRACERT_PROBE = r"(\*|<?\d+ ms)"
_TRACERT_LINE = re.compile(rf"^\s*(\d+)\s+{_TRACERT_PROBE}\s+{_TRACERT_PROBE}\s+"
                           rf"{_TRACERT_PROBE}\s+(.*)$")
_TRACERT_REPORT = re.compile(r"^\s*(\d+)\s+(\S+)\s+reports: (.+)$")
_RTT_TOKEN = re.compile(r"^\d+(?:\.\d+)?$")


def hop_record(ttl: int, probes: list[dict[str, Any]],
               names: dict[str, str] | None = None) -> dict[str, Any]:
    """One hop from its probes (``{address, rtt_ms}``; address None = no answer)."""
    answered = [p for p in probes if p["address"] is not None]
    counts: dict[str, int] = {}
    for p in answered:
        counts[p["address"]] = counts.get(p["address"], 0) + 1
    # The address most probes came back from names the hop; ties go to the first seen.
    address = max(counts, key=lambda a: counts[a]) if counts else None
    sent = len(probes)
    rtts = [p["rtt_ms"] for p in answered if p["rtt_ms"] is not None]
    hop: dict[str, Any] = {
        "ttl": ttl,
        "address": address,
        "name": (names or {}).get(address) if address else None,
        "addresses": list(counts),
        "rtts_ms": rtts,
        "sent": sent,
        "loss_pct": round(100.0 * (sent - len(answered)) / sent, 1) if sent else None,
    }
    flags = [p["flag"] for p in probes if p.get("flag")]
    if flags:
        hop["flags"] = flags
    return hop


def _parse_unix_hop(rest: str, names: dict[str, str]) -> list[dict[str, Any]]:
    """Probes of one traceroute line (after the TTL): '*', 'name (addr) 1.2 ms !H', …"""
    probes: list[dict[str, Any]] = []
    current: str | None = None
    tokens = rest.split()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "*":
            probes.append({"address": None, "rtt_ms": None})
        elif tok.startswith("[") and tok.endswith("]"):
            pass  # AS number (traceroute -A / macOS -a): not part of the result
        elif _RTT_TOKEN.match(tok) and i + 1 < len(tokens) and tokens[i + 1] == "ms":
            probes.append({"address": current, "rtt_ms": float(tok)})
            i += 1
        elif tok.startswith("!"):
            if probes:
                probes[-1]["flag"] = tok
        elif tok.startswith("(") and tok.endswith(")"):
            pass  # consumed with the name before it
        else:
            name, current = tok, tok
            if i + 1 < len(tokens) and tokens[i + 1].startswith("(") and \
                    tokens[i + 1].endswith(")"):
                current = tokens[i + 1][1:-1]
                if name != current:
                    names[current] = name
                i += 1
        i += 1
    return probes


def _parse_tracert_probe(token: str) -> float | None:
    if token == "*":
        return None
    value = token.split()[0]
    return 0.0 if value.startswith("<") else float(value)  # "<1 ms", as tracert's own rounding


def _tracert_host(rest: str, names: dict[str, str]) -> str | None:
    """'name [addr]' / 'addr' / 'Request timed out.' → the address, or None."""
    rest = rest.strip()
    if not rest or rest.startswith("Request timed out"):
        return None
    m = re.match(r"^(\S+) \[([^\]]+)\]$", rest)
    if m:
        names[m.group(2)] = m.group(1)
        return m.group(2)
    return rest.split()[0]


def parse_traceroute(text: str) -> dict[str, Any]:
    """Parse a saved traceroute/traceroute6 (Linux, macOS, BSD) or Windows tracert output."""
    lines = text.replace("\r\n", "\n").split("\n")
    target = address = None
    max_hops = None
    fmt = "unix"
    names: dict[str, str] = {}
    by_ttl: dict[int, list[dict[str, Any]]] = {}
    order: list[int] = []
    ttl: int | None = None
    for line in lines:
        m = _TR_HEADER.match(line)
        if m:
            target, address, max_hops = m["name"], m["addr"], int(m["max"])
            continue
        m = _TRACERT_HEADER.match(line)
        if m:
            fmt, target, address = "tracert", m["name"], m["addr"] or m["name"]
            hops_max = _TRACERT_MAX.search(line)  # one line when the target is an address
            max_hops = int(hops_max.group(1)) if hops_max else None
            continue
        m = _TRACERT_MAX.search(line)
        if m:
            max_hops = int(m.group(1))
            continue
        if fmt == "tracert":
            m = _TRACERT_REPORT.match(line)
            if m:  # "  3  10.0.0.1  reports: Destination host unreachable."
                ttl = int(m.group(1))
                by_ttl[ttl] = [{"address": m.group(2), "rtt_ms": None,
                                "flag": m.group(3).rstrip(".")}]
                order.append(ttl)
                continue
            m = _TRACERT_LINE.match(line)
            if m:
                ttl = int(m.group(1))
                addr = _tracert_host(m.group(5), names)
                rtts = [_parse_tracert_probe(token) for token in m.group(2, 3, 4)]
                by_ttl[ttl] = [{"address": addr if rtt is not None else None, "rtt_ms": rtt}
                               for rtt in rtts]
                order.append(ttl)
            continue
        if not line.strip() or line.startswith(("traceroute:", "traceroute6:")):
            continue
        m = _HOP_START.match(line)
        if m and not line.startswith("    "):
            ttl = int(m.group(1))
            by_ttl[ttl] = _parse_unix_hop(m.group(2), names)
            order.append(ttl)
        elif ttl is not None and line.startswith(" "):
            by_ttl[ttl].extend(_parse_unix_hop(line, names))  # another address for this TTL
    if not order:
        raise ValueError("not traceroute output: no numbered hop lines")
    hops = [hop_record(t, by_ttl[t], names) for t in order]
    return {"format": fmt, "target": target, "address": address, "max_hops": max_hops,
            "reached": reached(hops, address), "hops": hops}


def reached(hops: list[dict[str, Any]], address: str | None) -> bool | None:
    """Whether any hop answered from the target address (None: the output never says which)."""
    if address is None:
        return None
    return any(address in hop["addresses"] for hop in hops)


def loss_starts_at(hops: list[dict[str, Any]]) -> int | None:
    """The TTL where loss starts and carries on to the end of the path, mtr-style.

    Loss at one router that later hops do not show is that router limiting its
    ICMP replies, not lost traffic; hops that never answer are skipped.
    """
    start = None
    for hop in reversed(hops):
        if not hop["addresses"]:
            continue  # a silent router says nothing either way
        if hop["loss_pct"] and hop["loss_pct"] > 0:
            start = hop["ttl"]
        else:
            break
    return start
