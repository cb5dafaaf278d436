"""Pure helpers for log timestamps: the formats read, the year of year-less ones, windows.

Every format is one regex and a builder; ``sniff`` picks the one most lines of a file
start with, ``stamp`` reads one line. Syslog, logcat and Proxifier-style stamps carry
no year: ``stamp`` then takes the *latest* date with that month and day that is not
after ``ref`` (plus two days of slack for jitter), so a file whose lines run from
December into January, or from October into the next July, reads in order as long as
it spans less than a year. ``year_reference`` finds that ``ref`` from the evidence a
file carries, strongest first: a line that also names its full date (ftpd's ``at Fri
Jun 17 07:07:00 2005``), the first time of the newer file it was rotated into, the
file's modification time.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_HEAD = 96  # timestamps sit near the start of a line: only this many characters are read
SLACK = 2 * 86400  # a year-less line up to this far after the reference is still this year


@lru_cache(maxsize=8192)
def _base(y: int, mo: int, d: int, h: int, mi: int, s: int) -> float:
    # mktime is the costly part of reading a stamp, and a log repeats its seconds
    return time.mktime((y, mo, d, h, mi, s, 0, 0, -1))


def _local(y: int, mo: int, d: int, h: int, mi: int, s: int, frac: str | None = None) -> float:
    """Epoch seconds of a wall-clock time in this machine's zone (DST resolved by mktime)."""
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
        raise ValueError("not a time")
    return _base(y, mo, d, h, mi, s) + (float("0." + frac) if frac else 0.0)


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
    """The latest time with this month, day and clock not after ``ref`` + SLACK."""
    year = time.localtime(ref + SLACK).tm_year
    when = _local(year, mo, d, h, mi, s, frac)
    return _local(year - 1, mo, d, h, mi, s, frac) if when > ref + SLACK else when


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
    yearless: bool = False  # the year comes from ``ref`` (see year_reference)
    frac: int = 0  # the group of the fraction of a second, if any (whole seconds before it)


_I = int
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
FORMATS: tuple[TimeFormat, ...] = (
    # 1131566461 (Thunderbird, audit.log "msg=audit(1131566461.123:4)"), 13 digits: ms.
    # BGL and Thunderbird lines start with "-" or an alert tag: "KERNDTLB 1118536327 …".
    TimeFormat("epoch", re.compile(r"^(?:- |[A-Z][A-Z_]{2,} |\[|type=\w+ msg=audit\()?(1\d{9})"
                                   r"(?:\.(\d+)|(\d{3}))?(?![\d])"),
               lambda m, ref: float(m.group(1)) + float("0." + (m.group(2) or m.group(3) or "0"))),
    # HealthApp: 20171223-22:15:29:606 (and 22:16:0:119: it does not pad its fields)
    TimeFormat("compact", re.compile(r"^(\d{4})(\d\d)(\d\d)-(\d\d?):(\d\d?):(\d\d?)"
                                     r"(?:[:.](\d{1,6}))?"
                                     r"(?!\d)"),
               lambda m, ref: _local(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), _I(m[6]),
                                     m[7]), frac=7),
    # 2024-11-03T10:00:01.123+01:00, 2015-07-29 17:41:44,747,
    # Windows CBS "2016-09-28 04:30:30, Info"
    TimeFormat("iso8601", re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)"
                                     r"(?:[.,](\d{1,9}))?(?:\s?(Z|[+-]\d\d:?\d\d)(?!\d))?"),
               lambda m, ref: _zoned(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), _I(m[6]),
                                     m[7], m[8]), frac=7),
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
                                     _I(m.group(3)), _I(m.group(4)), _I(m.group(5)), m.group(6)),
               frac=6),
    # syslog (RFC 3164): Nov  3 10:00:01, the year inferred
    TimeFormat("syslog", re.compile(r"^(?:<\d{1,3}>)?(" + _MON + r") +(\d{1,2}) "
                                    r"(\d\d):(\d\d):(\d\d)"),
               lambda m, ref: _guess_year(_month(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]),
                                          ref), yearless=True),
    # Android logcat (threadtime): 03-17 16:13:38.811, the year inferred
    TimeFormat("logcat", re.compile(r"^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})"),
               lambda m, ref: _guess_year(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), ref,
                                          m[6]), yearless=True, frac=6),
    # Hadoop HDFS: 081109 203615
    TimeFormat("yymmdd", re.compile(r"^(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d) "),
               lambda m, ref: _local(2000 + _I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]),
                                     _I(m[6]))),
    # Spark, log4j's "yy/MM/dd HH:mm:ss": 17/06/09 20:10:40
    TimeFormat("yy_slash", re.compile(r"^(\d\d)/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)(?:[.,](\d+))?"
                                      r"(?!\d)"),
               lambda m, ref: _local(2000 + _I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]),
                                     _I(m[6]), m[7]), frac=7),
    # nginx error log, Go's log package: 2024/11/03 10:00:01
    TimeFormat("ymd_slash", re.compile(r"^(\d{4})/(\d\d)/(\d\d)[ T](\d\d):(\d\d):(\d\d)"
                                       r"(?:[.,](\d+))?"),
               lambda m, ref: _local(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), _I(m[6]),
                                     m[7]), frac=7),
    # Proxifier and similar: [10.30 16:49:06], the year inferred
    TimeFormat("mmdd_bracket", re.compile(r"^\[(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d)\]"),
               lambda m, ref: _guess_year(_I(m[1]), _I(m[2]), _I(m[3]), _I(m[4]), _I(m[5]), ref),
               yearless=True),
    # Windows setupapi / US locale: 9/28/2016 4:30:30 AM (month first, as en-US writes it)
    TimeFormat("us_date", re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ ,]+(\d{1,2}):(\d\d):(\d\d)"
                                     r"(?:\s*([AaPp])[Mm])?"),
               lambda m, ref: _us_date(m)),
    # HPC and other RAS exports: the epoch in a later column,
    # "134681 node-246 unix.hw state_change.unavailable 1077804742 1 …"
    TimeFormat("epoch_column", re.compile(r"^(?:[^\s]+ ){1,5}?(1\d{9})(?= )"),
               lambda m, ref: float(m.group(1))),
)


def stamp_at(fmt: TimeFormat, line: bytes | str, ref: float) -> tuple[float | None, int]:
    """Epoch seconds of the line's timestamp in format ``fmt`` (or None), and
    where the text after the timestamp starts."""
    head = line[:_HEAD].decode("latin-1") if isinstance(line, bytes) else line[:_HEAD]
    m = fmt.rx.search(head)
    if not m:
        return None, 0
    text, frac = m.group(), 0.0
    digits = m.group(fmt.frac) if fmt.frac else None
    if digits:  # the second is cached, its fraction added: most lines differ only there
        a, b = m.span(fmt.frac)
        text = text[:a - m.start()] + text[b - m.start():]
        frac = float("0." + digits)
    key = (fmt.name, text, ref)
    when = _BUILT.get(key)  # a log repeats its seconds: each stamp is built once
    if when is None:
        try:
            when = float(round(fmt.build(m, ref) - frac)) if digits else fmt.build(m, ref)
        except (ValueError, OverflowError, KeyError):
            when = -1.0  # 31 February and friends: treat as a line without time
        if len(_BUILT) >= 4096:
            _BUILT.clear()
        _BUILT[key] = when
    return (None, 0) if when == -1.0 else (when + frac, m.end())


_BUILT: dict[tuple[str, str, float], float] = {}


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


# ------------------------------------------------------------------------- the year

# A full date inside a line: ctime ("Fri Jun 17 07:07:00 2005"), or numeric with the
# year first ("2005.11.09", "2005-11-09", "2005/11/09").
_FULL_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w* +(" + _MON + r")\w* +(\d{1,2}) +"
                        r"\d\d:\d\d:\d\d(?:\.\d+)? +((?:19|20)\d\d)\b"
                        r"|\b((?:19|20)\d\d)[-./](\d\d)[-./](\d\d)\b")


def _named_year(text: str, month: int, day: int) -> int | None:
    """The year of a full date in ``text`` that falls on this month and day."""
    for m in _FULL_DATE.finditer(text):
        if m.group(1):
            if _month(m.group(1)) == month and int(m.group(2)) == day:
                return int(m.group(3))
        elif int(m.group(5)) == month and int(m.group(6)) == day:
            return int(m.group(4))
    return None


def _shift_years(epoch: float, years: int) -> float:
    t = time.localtime(epoch)
    day = min(t.tm_mday, 28) if t.tm_mon == 2 else t.tm_mday
    return time.mktime((t.tm_year + years, t.tm_mon, day, t.tm_hour, t.tm_min, t.tm_sec,
                        0, 0, -1)) + (epoch % 1)


def year_reference(fmt: TimeFormat, sample: Iterable[bytes], last_line: bytes | None,
                   mtime: float, newer_first: float | None = None) -> tuple[float, str | None]:
    """The ``ref`` that ``stamp`` needs for this file, and what fixed the year: ``line``
    (a line names its full date), ``rotation`` (the file it was rotated into starts
    at ``newer_first``), ``mtime`` (the file's modification time); None: the format
    carries its year and ``ref`` is ``mtime``.

    ``last_line`` is the file's last stamped line: the reference is *its* time, so
    that earlier lines fall before it (a file running from October to July reads
    October of the year before), not the modification time, which a copy resets.
    """
    if not fmt.yearless:
        return mtime, None
    base, source = mtime, "mtime"
    if newer_first is not None and newer_first < mtime:
        base, source = newer_first, "rotation"
    last = stamp(fmt, last_line, base) if last_line is not None else None
    ref = last if last is not None else base
    for line in sample:
        text = line.decode("utf-8", errors="replace")
        when = stamp(fmt, text, ref)
        if when is None:
            continue
        own = time.localtime(when)
        year = _named_year(text, own.tm_mon, own.tm_mday)
        if year is not None:
            return _shift_years(ref, year - own.tm_year), "line"
    return ref, source


# ------------------------------------------------------------------------- windows

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
