"""Pure: the header of a log line (host, program, pid, level, thread, class) apart from
its message, for the line formats supportkit recognises.

A header is not part of what a line *says*: ``sshd[24200]:`` or ``INFO [main]
org.apache.Foo:`` in a pattern would split one message into as many patterns as there
are pids, threads and hosts. Each shape is one regex on the text after the timestamp;
``sniff`` picks, per file, the shape most of its lines have (no per-file settings:
what the lines look like decides), and ``split`` falls back to stripping a leading
level word where a line has no header of that shape.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

_LEVELW = (r"(?:TRACE|DEBUG|FINE|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|SEVERE|FATAL|CRIT(?:ICAL)?"
           r"|ALERT|EMERG|FAILURE)")
# prog, prog[pid], prog(pam_unix)[pid], /usr/sbin/prog[pid], then ": "
_PROG = r"(?P<program>[^\s\[\]:]+(?:\([^)\s]*\))?)(?:\[(?P<pid>\d+)\])?(?: \([^)\s]*\))?: "
_BRACKETED = r"\[(?P<thread>(?:[^\[\]]|\[[^\[\]]*\])*)\]"  # one level of nesting: [a[b]c]
_CLASS = r"(?P<component>(?:[\w$-]+[.$])+[\w$-]+:?|[\w$.-]+:)"  # a.b.C, a.b.C: or Word:


@dataclass(frozen=True)
class Shape:
    name: str
    rx: re.Pattern[str]


SHAPES: tuple[Shape, ...] = (
    # BGL/Blue Gene RAS: "2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872
    # R02-M1-N0-C:J12-U11 RAS KERNEL INFO message" (after the epoch)
    Shape("ras", re.compile(r"\s*\d{4}\.\d\d\.\d\d (?P<host>\S+) \d{4}-\d\d-\d\d-\d\d\.\d\d\.\d\d"
                            r"\.\d+ \S+ (?P<component>[A-Z]+ [A-Z_]+) (?P<level>[A-Z]+) ")),
    # Thunderbird-style syslog relayed with an epoch: "2005.11.09 dn228 Nov 9 12:01:01
    # dn228/dn228 crond(pam_unix)[2915]: message"
    Shape("relayed_syslog", re.compile(r"\s*\d{4}\.\d\d\.\d\d \S+ [A-Z][a-z]{2} +\d+ \d\d:\d\d:"
                                       r"\d\d (?P<host>\S+) " + _PROG)),
    # Android logcat threadtime: "  1702  2395 D WindowManager: message"
    Shape("logcat", re.compile(r"\s+(?P<pid>\d+)\s+(?P<thread>\d+) (?P<level>[VDIWEFA]) "
                               r"(?P<component>[^:]*?)\s*: ")),
    # Windows CBS/CSI: ", Info                  CBS    message"
    Shape("cbs", re.compile(r",\s+(?P<level>Info|Warning|Error|Critical|Verbose|Debug|Perf)"
                            r"\s+(?P<component>[A-Za-z][\w-]*)\s+")),
    # Apache error log: "] [notice] message", 2.4: "] [core:error] [pid 12:tid 3] [client …] AH…"
    Shape("apache", re.compile(r"\]?\s*\[(?:[\w.-]+:)?(?P<level>emerg|alert|crit|error|warn"
                               r"|notice|info|debug|trace\d)\]\s+"
                               r"(?:\[(?:pid|client|remote) [^\]]*\]\s+)*")),
    # log4j and kin: "[pid] LEVEL [thread] a.b.Class: message" (HDFS, Hadoop, Spark,
    # ZooKeeper's " - INFO  [thread] - message", OpenStack's "pid LEVEL a.b.c [req-…] message")
    Shape("log4j", re.compile(r"[\s,:-]*(?:(?P<pid>\d+) )?(?P<level>" + _LEVELW + r")\s+"
                              r"(?:" + _BRACKETED + r":?\s+)?"
                              r"(?:- |" + _CLASS + r"\s+(?:\[[^\]]*\]\s+)?(?:- )?)?")),
    # "[thread] LEVEL a.b.Class - message"
    Shape("log4j_thread", re.compile(r"\s*" + _BRACKETED + r"\s+(?P<level>" + _LEVELW + r")\s+"
                                     r"(?:" + _CLASS + r"\s+)?(?:- )?")),
    # after log4j: a log4j line ("INFO a.b.C: …") would read as host INFO, program a.b.C
    # syslog (RFC 3164) after its stamp: "combo sshd(pam_unix)[19939]: message"
    Shape("syslog", re.compile(r"\s*(?P<host>[^\s\[\]:]+) " + _PROG)),
    # HealthApp: "|Step_LSC|30002312|message"
    Shape("pipes", re.compile(r"\|(?P<component>[^|]*)\|(?P<pid>\d+)\|")),
    # Proxifier: "] chrome.exe *64 - message"
    Shape("program_dash", re.compile(r"\]?\s*(?P<program>[^\s\[\]]+(?: \*\d+)?) - ")),
    # HPC: the column after the epoch ("… 1077804742 1 message")
    Shape("ras_column", re.compile(r" -?\d{1,3} ")),
)
_BY_NAME = {s.name: s for s in SHAPES}
_FALLBACK = re.compile(r"[\s\]),:;|-]*(?:\[(?P<level>" + _LEVELW + r")\]|(?P<level2>"
                       + _LEVELW + r")\b)?[\s:\]-]*", re.IGNORECASE)
FIELDS = ("host", "program", "component", "level")
_KEEP = frozenset(FIELDS)


class Header(NamedTuple):
    """What ``split`` found: the fields of the header (those of FIELDS it has) and where
    the message starts. (A tuple: ``split`` runs once a line.)"""

    fields: dict[str, str]
    start: int


def sniff(rests: Iterable[str]) -> Shape | None:
    """The shape most of these texts (each line after its timestamp) start with, if at
    least a third of them do."""
    scores: Counter[str] = Counter()
    total = 0
    for rest in rests:
        total += 1
        for shape in SHAPES:
            if shape.rx.match(rest):
                scores[shape.name] += 1
                break
    if not scores:
        return None
    name, hits = scores.most_common(1)[0]
    return _BY_NAME[name] if hits * 3 >= total else None


def split(shape: Shape | None, text: str, start: int = 0) -> Header:
    """The header of ``text[start:]`` in ``shape`` (or just a leading level word).
    The shapes are anchored by ``match`` at ``start`` (a ``^`` would not be).
    """
    m = shape.rx.match(text, start) if shape is not None else None
    if m is None:
        m = _FALLBACK.match(text, start)
        level = m.group("level") or m.group("level2") if m else None
        return Header({"level": level} if level else {}, m.end() if m else start)
    return Header({k: v for k, v in m.groupdict().items() if v and k in _KEEP}, m.end())
