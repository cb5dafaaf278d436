"""Pure helpers for log collectors: timestamps, severities and recurring patterns.

Kept apart from ``logs_files`` so that the journal, event-log and macOS
collectors summarise their logs the same way.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from toolkit.schema import INT, STR, arr, enum, nullable, obj, opt

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_HEAD = 96  # timestamps sit at the start of a line: only this many characters are read


def _local(y: int, mo: int, d: int, h: int, mi: int, s: int, frac: str | None = None) -> float:
    """Epoch seconds of a wall-clock time in this machine's zone (DST resolved by mktime)."""
    base = time.mktime((y, mo, d, h, mi, s, 0, 0, -1))
    return base + (float("0." + frac) if frac else 0.0)


def _zoned(y: int, mo: int, d: int, h: int, mi: int, s: int, frac: str | None,
           zone: str | None) -> float:
    if not zone:
        return _local(y, mo, d, h, mi, s, frac)
    offset = 0
    if zone not in ("Z", "z"):
        digits = zone.replace(":", "")
        offset = (int(digits[1:3]) * 60 + int(digits[3:5])) * (1 if digits[0] == "+" else -1)
    stamp = datetime(y, mo, d, h, mi, s, tzinfo=timezone(timedelta(minutes=offset)))
    return stamp.timestamp() + (float("0." + frac) if frac else 0.0)


def _guess_year(mo: int, d: int, h: int, mi: int, s: int, ref: float,
                frac: str | None = None) -> float:
    """Syslog and logcat omit the year: take the file's year, or the one before
    when that would put the line after the file was last written (December
    lines in a file modified in January)."""
    year = time.localtime(ref).tm_year
    when = _local(year, mo, d, h, mi, s, frac)
    return _local(year - 1, mo, d, h, mi, s, frac) if when > ref + 2 * 86400 else when


def _month(name: str) -> int:
    return MONTHS[name[:3].lower()]


def _us_date(m: re.Match[str]) -> float:
    hour, half = int(m.group(4)), (m.group(7) or "").lower()
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    return _local(int(m.group(3)), int(m.group(1)), int(m.group(2)), hour, int(m.group(5)),
                  int(m.group(6)))


@dataclass(frozen=True)
class TimeFormat:
    name: str
    rx: re.Pattern[str]
    build: Callable[[re.Match[str], float], float]


_I = int
FORMATS: tuple[TimeFormat, ...] = (
    # 1131566461 (Thunderbird, audit.log "msg=audit(1131566461.123:4)"), 13 digits: ms.
    TimeFormat("epoch", re.compile(r"^(?:- |\[|type=\w+ msg=audit\()?(1\d{9})(?:\.(\d+)|(\d{3}))?"
                                   r"(?![\d])"),
               lambda m, ref: float(m.group(1)) + float("0." + (m.group(2) or m.group(3) or "0"))),
    # 2024-11-03T10:00:01.123+01:00, 2015-07-29 17:41:44,747,
    # Windows CBS "2016-09-28 04:30:30, Info"
    TimeFormat("iso8601", re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)"
                                     r"(?:[.,](\d{1,9}))?(?:\s?(Z|[+-]\d\d:?\d\d)(?!\d))?"),
               lambda m, ref: _zoned(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), _I(m[6]),
                                     m[7], m[8])),
    # Apache/nginx access: [10/Oct/2000:13:55:36 -0700]
    TimeFormat("apache_access", re.compile(r"\[(\d\d)/([A-Za-z]{3})/(\d{4}):(\d\d):(\d\d):(\d\d)"
                                           r" ([+-]\d{4})\]"),
               lambda m, ref: _zoned(_I(m.group(3)), _month(m.group(2)), _I(m.group(1)),
                                     _I(m.group(4)), _I(m.group(5)), _I(m.group(6)), None,
                                     m.group(7))),
    # Apache error log, ctime: [Sun Dec 04 04:47:44 2005]
    TimeFormat("ctime", re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) +(\d{1,2}) "
                                   r"(\d\d):(\d\d):(\d\d)(?:\.(\d+))? (\d{4})"),
               lambda m, ref: _local(_I(m.group(7)), _month(m.group(1)), _I(m.group(2)),
                                     _I(m.group(3)), _I(m.group(4)), _I(m.group(5)), m.group(6))),
    # syslog (RFC 3164): Nov  3 10:00:01, the year inferred
    TimeFormat("syslog", re.compile(r"^(?:<\d{1,3}>)?((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
                                    r"Nov|Dec)) +(\d{1,2}) (\d\d):(\d\d):(\d\d)"),
               lambda m, ref: _guess_year(_month(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]),
                                          ref)),
    # Android logcat (threadtime): 03-17 16:13:38.811, the year inferred
    TimeFormat("logcat", re.compile(r"^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})"),
               lambda m, ref: _guess_year(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), ref,
                                          m[6])),
    # Hadoop: 081109 203615
    TimeFormat("yymmdd", re.compile(r"^(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d) "),
               lambda m, ref: _local(2000 + _I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]),
                                     _I(m[6]))),
    # Proxifier and similar: [10.30 16:49:06], the year inferred
    TimeFormat("mmdd_bracket", re.compile(r"^\[(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d)\]"),
               lambda m, ref: _guess_year(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), ref)),
    # Windows setupapi / US locale: 9/28/2016 4:30:30 AM (month first, as en-US writes it)
    TimeFormat("us_date", re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ ,]+(\d{1,2}):(\d\d):(\d\d)"
                                     r"(?:\s*([AaPp])[Mm])?"),
               lambda m, ref: _us_date(m)),
)


def stamp_at(fmt: TimeFormat, line: bytes | str, ref: float) -> tuple[float | None, int]:
    """Epoch seconds of the line's timestamp in format ``fmt`` (or None), and
    where the text after the timestamp starts."""
    head = line[:_HEAD].decode("latin-1") if isinstance(line, bytes) else line[:_HEAD]
    m = fmt.rx.search(head)
    if not m:
        return None, 0
    try:
        return fmt.build(m, ref), m.end()
    except (ValueError, OverflowError, KeyError):
        return None, 0  # 31 February and friends: treat as a line without time


def stamp(fmt: TimeFormat, line: bytes | str, ref: float) -> float | None:
    """Epoch seconds of the line's timestamp in format ``fmt``, or None."""
    return stamp_at(fmt, line, ref)[0]


def sniff(lines: list[bytes], ref: float) -> TimeFormat | None:
    """The format most of these lines start with (None: the lines carry no time)."""
    scores: Counter[str] = Counter()
    for line in lines[:400]:
        for fmt in FORMATS:
            if stamp(fmt, line, ref) is not None:
                scores[fmt.name] += 1
                break
    if not scores:
        return None
    best = scores.most_common(1)[0][0]
    return next(f for f in FORMATS if f.name == best)


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|day|days|w|wk)\s*(?:ago)?\s*$")
_UNIT = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400,
         "days": 86400, "w": 604800, "wk": 604800}


def parse_when(text: str | None, now: float) -> float | None:
    """A window bound: ISO 8601 (local time when no zone), epoch seconds, or an
    age such as 30m, 2h, 3d, 1w. Raises ValueError naming what is accepted."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    rel = _RELATIVE.match(value.lower())
    if rel:
        return now - float(rel.group(1)) * _UNIT[rel.group(2)]
    if re.fullmatch(r"\d{10}(?:\.\d+)?", value):
        return float(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read the time {value!r}: give ISO 8601 "
                         "(2024-11-03T10:00 or 2024-11-03 10:00:00+01:00), epoch seconds, "
                         "or an age such as 30m, 2h, 3d, 1w") from None
    return parsed.timestamp()  # naive: local time, as the machine's logs are written


# ------------------------------------------------------------------------- severity

_LOGCAT = re.compile(r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+ ([VDIWEFA]) ")
_LOGCAT_LEVEL = {"V": "debug", "D": "debug", "I": "info", "W": "warning", "E": "error",
                 "F": "critical", "A": "critical"}
_LEVEL = re.compile(r"(?<![\w-])(emerg(?:ency)?|alert|crit(?:ical)?|fatal|severe|panic|"
                    r"err(?:or)?|warn(?:ing)?|notice|info(?:rmation)?|debug|trace|verbose)"
                    r"(?![\w-])", re.IGNORECASE)
_LEVEL_NAME = {"emerg": "critical", "emergency": "critical", "alert": "critical",
               "crit": "critical", "critical": "critical", "fatal": "critical",
               "severe": "critical", "panic": "critical", "err": "error", "error": "error",
               "warn": "warning", "warning": "warning", "notice": "notice", "info": "info",
               "information": "info", "debug": "debug", "trace": "debug", "verbose": "debug"}
# Lines that name no level (classic syslog) are judged by their words.
_TROUBLE = re.compile(r"\b(?:fail(?:ed|ure|s)?|errors?|exception|denied|refused|timed? ?out|"
                      r"segfault|unable|cannot|could not|invalid|break-in)\b", re.IGNORECASE)
SEVERITIES = ("critical", "error", "warning", "notice", "info", "debug", "unlabelled")


def severity(line: str) -> str:
    """critical | error | warning | notice | info | debug | unlabelled."""
    m = _LOGCAT.match(line)
    if m:
        return _LOGCAT_LEVEL[m.group(1)]
    m = _LEVEL.search(line, 0, 160)
    if m:
        return _LEVEL_NAME[m.group(1).lower()]
    return "error" if _TROUBLE.search(line) else "unlabelled"


# ------------------------------------------------------------------------- patterns

_MASKS = (
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
     "<UUID>"),
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<EMAIL>"),
    (re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"), "<IP>"),
    (re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])"), "<IP>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.$@~+-]+){2,}[\\/]?"), "<PATH>"),
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<HEX>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{6,}\b"), "<HEX>"),
    (re.compile(r"\d+(?:\.\d+)*"), "<N>"),
)
_SPACES = re.compile(r"\s+")


def mask(message: str) -> str:
    """The message with its variable parts replaced: 'timeout after <N> ms'."""
    for rx, token in _MASKS:
        message = rx.sub(token, message)
    return _SPACES.sub(" ", message).strip()[:240]


class Summary:
    """Counts per severity and the top recurring error patterns, in bounded memory.

    ``redact`` cleans each message before it is masked: masking first could
    split a token ("ghp_abc123…" → "ghp_abc<N>…") so that no rule knows it.
    """

    def __init__(self, redact: Callable[[str], str], max_patterns: int = 2000) -> None:
        self.redact = redact
        self.max_patterns = max_patterns
        self.levels: Counter[str] = Counter()
        self.patterns: dict[str, dict[str, Any]] = {}
        self.other = 0

    def add(self, line: str, when: float | None, message_from: int = 0,
            level: str | None = None) -> None:
        """Count one line; ``level`` is the severity a structured log recorded
        (journald PRIORITY, event Level), else it is read from the text."""
        level = level or severity(line)
        self.levels[level] += 1
        if level not in ("critical", "error"):
            return
        message = self.redact(line[message_from:].strip().lstrip("]),:;- \t"))
        key = mask(message)
        entry = self.patterns.get(key)
        if entry is None:
            if len(self.patterns) >= self.max_patterns:
                self.other += 1
                return
            entry = self.patterns[key] = {"pattern": key, "count": 0, "severity": level,
                                          "first": when, "last": when, "example": message[:300]}
        entry["count"] += 1
        if level == "critical":
            entry["severity"] = level
        if when is not None:
            entry["first"] = when if entry["first"] is None else min(entry["first"], when)
            entry["last"] = when if entry["last"] is None else max(entry["last"], when)

    def result(self, top: int = 20) -> dict[str, Any]:
        ranked = sorted(self.patterns.values(), key=lambda e: (-e["count"], e["pattern"]))[:top]
        return {
            "severity": {k: self.levels[k] for k in SEVERITIES if self.levels[k]},
            "top_errors": [{"pattern": e["pattern"], "count": e["count"],
                            "severity": e["severity"], "first_seen": iso(e["first"]),
                            "last_seen": iso(e["last"]), "example": e["example"]}
                           for e in ranked],
            "distinct_error_patterns": len(self.patterns) + (1 if self.other else 0),
            "patterns_not_tracked": self.other,
        }


# What Summary.result() returns: the "summary" of every log collector. The severities
# are a fixed set, each present only when counted, so a misspelt one is caught.
SUMMARY = obj(
    severity=obj({level: opt(INT) for level in SEVERITIES}),
    top_errors=arr(obj(pattern=STR, count=INT, severity=enum("critical", "error"),
                       first_seen=nullable(STR), last_seen=nullable(STR), example=STR)),
    distinct_error_patterns=INT, patterns_not_tracked=INT,
)
