"""Pure helpers for log collectors: severities and recurring patterns (timestamps: _logtime).

Kept apart from ``logs_files`` so that the journal, event-log and macOS
collectors summarise their logs the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from collectors import _logheaders as _lh
from collectors import _logtemplates as _lt

# The timestamps live in _logtime; these names stay here for the collectors that read them.
from collectors._logtime import (  # noqa: E402,F401
    FORMATS,
    TimeFormat,
    iso,
    parse_when,
    sniff,
    stamp,
    stamp_at,
    year_reference,
)
from toolkit.schema import BOOL, INT, STR, arr, enum, nullable, obj, opt

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

_HEADER_LEVEL = {"failure": "error", "fine": "debug", "perf": "info", "v": "debug", "d": "debug",
                 "i": "info", "w": "warning", "e": "error", "f": "critical", "a": "critical"}
_ERRORS = ("critical", "error")
TOP_SLOTS = 6  # variables shown per pattern


def header_level(name: str | None) -> str | None:
    """The severity a header's level field names (INFO, WARN, logcat's E, CBS's Info)."""
    if not name:
        return None
    low = name.lower()
    return _LEVEL_NAME.get(low) or _HEADER_LEVEL.get(low) or (
        "debug" if low.startswith("trace") else None)


class Summary:
    """Lines per severity and the recurring patterns of every line (``_logtemplates``),
    with the values their variables took, in bounded memory.

    ``redact`` cleans each line before it is masked: masking first could split a
    token ("ghp_abc123…" → "ghp_abc<N>…") so that no rule knows it, and the patterns,
    examples and values all come from the cleaned text. ``redact_lines`` does the same
    for many lines at once (``Redactor.lines``: one trigger scan per block, faster).
    """

    def __init__(self, redact: Callable[[str], str], max_patterns: int = 2000,
                 redact_lines: Callable[[Iterable[str]], Iterable[str]] | None = None) -> None:
        self.redact = redact
        self.redact_lines = redact_lines
        self.max_patterns = max_patterns  # patterns listed at most (all are counted)
        self.levels: Counter[str] = Counter()
        self.miner = _lt.Miner()
        self.lines = 0
        self._judged: dict[str, str] = {}  # masked message → the severity its words say

    def clean(self, lines: list[str]) -> list[str]:
        """``lines`` redacted, one for one (a removed key block falls back to each line)."""
        if self.redact_lines is None:
            return [self.redact(line) for line in lines]
        text = "".join(self.redact_lines(line + "\n" for line in lines))
        out = text.split("\n")[:-1]
        return out if len(out) == len(lines) else [self.redact(line) for line in lines]

    def add(self, line: str, when: float | None, message_from: int = 0,
            level: str | None = None, *, shape: _lh.Shape | None = None,
            source: str | None = None, clean: bool = False) -> _lt.Pattern | None:
        """Count one line and return its pattern. ``message_from``: where the text after
        the timestamp starts; ``shape``: the file's header shape; ``level``: the severity
        a structured log recorded (journald PRIORITY, event Level), else the header's or
        the words'; ``source``: the program a structured log names; ``clean``: the line
        is redacted already (``clean()``)."""
        if not clean:
            line = self.redact(line)
        self.lines += 1
        if source is not None:
            fields: dict[str, str] = {"program": source} if source else {}
            start = message_from
        else:
            header = _lh.split(shape, line, message_from)
            fields, start = header.fields, header.start
        message = line[start:].strip()
        pattern = self.miner.add(message)
        if not level:
            level = header_level(fields.get("level"))
        if not level:
            # judged on the masked message: the same words, read once per template
            key = self.miner.key
            level = self._judged.get(key)
            if level is None:
                if len(self._judged) >= 20_000:
                    self._judged.clear()
                level = self._judged[key] = severity(key)
        self.levels[level] += 1
        if pattern is None:
            return None
        pattern.count += 1
        levels = pattern.levels
        levels[level] = levels.get(level, 0) + 1
        if when is not None:
            if pattern.first is None or when < pattern.first:
                pattern.first = when
            if pattern.last is None or when > pattern.last:
                pattern.last = when
        if pattern.example is None:
            pattern.example = message[:300]
        for name, value in fields.items():
            if name == "level":
                continue
            slot = pattern.values.get(name)
            if slot is None:
                slot = pattern.values[name] = _lt.Values()
            counts = slot.counts
            if value in counts:  # Values.add's common case, inline
                counts[value] += 1
                slot.total += 1
            else:
                slot.add(value[:80])
        return pattern

    def result(self, top: int = 20) -> dict[str, Any]:
        live = list(self.miner.live())
        errors = [p for p in live if any(p.levels.get(k) for k in _ERRORS)]
        warnings = [p for p in live if p.levels.get("warning")]
        untracked = self.miner.untracked

        def ranked(patterns: list[_lt.Pattern], levels: tuple[str, ...]) -> list[_lt.Pattern]:
            n = min(top, self.max_patterns)
            return sorted(patterns, key=lambda p: (-sum(p.levels.get(k, 0) for k in levels),
                                                   p.id))[:n]

        return {
            "severity": {k: self.levels[k] for k in SEVERITIES if self.levels[k]},
            "top_errors": [describe(p, _ERRORS) for p in ranked(errors, _ERRORS)],
            "top_warnings": [describe(p, ("warning",)) for p in ranked(warnings, ("warning",))],
            "distinct_error_patterns": len(errors) + (1 if untracked else 0),
            "distinct_warning_patterns": len(warnings),
            "distinct_patterns": len(live),
            "lines": self.lines,
            "patterns_not_tracked": untracked,
        }


def describe(p: _lt.Pattern, levels: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One pattern as the summary lists it: counted at ``levels`` (all lines: None)."""
    count = sum(p.levels.get(k, 0) for k in levels) if levels else p.count
    if levels is None:
        sev = max(p.levels, key=lambda k: (p.levels[k], -SEVERITIES.index(k)))
    else:
        sev = next((k for k in levels if p.levels.get(k)), levels[0])
    return {"id": p.id, "pattern": p.template()[:240], "count": count, "severity": sev,
            "first_seen": iso(p.first), "last_seen": iso(p.last), "example": p.example or "",
            "variables": values_of(p)}


_IP = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?|\[?[0-9a-fA-F]*:[0-9a-fA-F:]*:[0-9a-fA-F.]+\]?"
                 r"(?:%\w+)?")
_KINDS = (
    ("ip", _IP), ("email", re.compile(r"[^@\s]+@[\w.-]+")),
    ("url", re.compile(r"[a-zA-Z][\w+.-]*://\S*")),
    ("path", re.compile(r"(?:[A-Za-z]:)?[\\/]\S*")),
    ("time", re.compile(r"\d{1,2}:\d\d(?::\d\d)?(?:[.,]\d+)?")),
    ("number", re.compile(r"[-+]?\d+(?:[.,]\d+)?\s?[A-Za-z%]{0,5}")),
    ("hex", re.compile(r"(?:0[xX])?[0-9a-fA-F]+")),
    ("host", re.compile(r"(?:[\w-]+\.)+[A-Za-z]{2,}(?::\d+)?")),
)
_USERS = {"user", "users", "ruser", "logname", "login", "account", "username", "for", "by"}
_RANK = {"user": 0, "ip": 1, "host": 1, "email": 1, "url": 1, "path": 2, "program": 3,
         "component": 3, "text": 4, "time": 6, "number": 5, "hex": 6}


def _kind(values: list[str]) -> str:
    for kind, rx in _KINDS:
        if values and all(rx.fullmatch(v) for v in values):
            return kind
    return "text"


def _name(tokens: list[str], pos: int) -> str:
    """What a variable is called: the key of ``key=<*>``, else the word before it."""
    token = tokens[pos]
    key = re.match(r"[(\[]?([A-Za-z_][\w.-]*)[=:]", token)
    if key and token != _lt.W:
        return key.group(1).lower()
    back = pos - 1
    if back > 0 and tokens[back] in ("=", ":", "-", "->", "=>"):
        back -= 1  # "id = <*>": the word before the sign
    before = tokens[back].strip("[](),:;=\"'") if back >= 0 else ""
    return before.lower() if re.fullmatch(r"[A-Za-z][\w-]*", before) else f"#{pos}"


def values_of(p: _lt.Pattern) -> list[dict[str, Any]]:
    """The variables of a pattern, those that tell most first (users, addresses, hosts,
    paths, the program; then words; numbers last), each with its most frequent values."""
    tokens = p.cluster.tokens
    out: list[dict[str, Any]] = []
    for slot, vals in p.values.items():
        top = vals.top(5)
        if isinstance(slot, str):
            name = kind = slot
        else:
            name, kind = _name(tokens, slot), _kind([v for v, _ in top])
            if kind == "text" and name in _USERS:
                kind = "user"
                name = "user" if name in ("for", "by") else name
        if len(vals.counts) == 1 and isinstance(slot, str) and slot == "component":
            continue  # one class or tag for every line says nothing the pattern does not
        out.append({"name": name, "kind": kind,
                    "top": [{"value": v, "count": n} for v, n in top],
                    "distinct": len(vals.counts), "exact": vals.exact})
    # one value for every line (the only host) tells least: last
    out.sort(key=lambda v: (v["distinct"] == 1, _RANK.get(str(v["kind"]), 4), str(v["name"])))
    return out[:TOP_SLOTS]


# What Summary.result() returns: the "summary" of every log collector. The severities
# are a fixed set, each present only when counted, so a misspelt one is caught.
VALUES = arr(obj(name=STR, kind=enum("user", "ip", "host", "email", "url", "path", "program",
                                     "component", "text", "time", "number", "hex"),
                 top=arr(obj(value=STR, count=INT)), distinct=INT, exact=BOOL))
PATTERN = obj(id=INT, pattern=STR, count=INT, severity=enum(*SEVERITIES),
              first_seen=nullable(STR), last_seen=nullable(STR), example=STR, variables=VALUES)
SUMMARY = obj(
    severity=obj({level: opt(INT) for level in SEVERITIES}),
    top_errors=arr(obj(pattern=STR, count=INT, severity=enum("critical", "error"),
                       first_seen=nullable(STR), last_seen=nullable(STR), example=STR,
                       id=INT, variables=VALUES)),
    top_warnings=arr(obj(pattern=STR, count=INT, severity=enum("warning"),
                         first_seen=nullable(STR), last_seen=nullable(STR), example=STR,
                         id=INT, variables=VALUES)),
    distinct_error_patterns=INT, patterns_not_tracked=INT,
    distinct_warning_patterns=INT, distinct_patterns=INT, lines=INT,
)
