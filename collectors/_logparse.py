"""Pure helpers for log collectors: severities and recurring patterns (timestamps: _logtime).

Kept apart from ``logs_files`` so that the journal, event-log and macOS
collectors summarise their logs the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

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
from toolkit.schema import INT, STR, arr, enum, nullable, obj, opt

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
