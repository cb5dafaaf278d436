"""Ticket settings: the ``tickets:`` section of ``$SUPPORTKIT_HOME/config.yaml``.

Every number of docs/support-process.md is a default here, never a constant in code::

    tickets:
      id_prefix: SUP                  # SUP-000123
      timezone: Asia/Shanghai         # default: this machine's time zone
      business_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00"}
      holidays: [2026-10-01, 2026-10-02]
      around_the_clock: [urgent]      # priorities whose clocks never stop
      response:   {urgent: 30m, high: 2h, medium: 4h, low: 8h}
      resolution: {urgent: 4h, high: eod, medium: 3d, low: 5d}
      escalation_response: 1h         # L2 answers an escalation within this
      pause_while_waiting: true       # the clocks stand still while waiting on the user
      priority_matrix:                # impact → urgency → priority
        high:   {high: urgent, medium: high,   low: medium}
        medium: {high: high,   medium: medium, low: low}
        low:    {high: medium, medium: low,    low: low}

Durations are ``30m``, ``2h``, ``1h30m`` (business time, or wall time for
around-the-clock priorities), ``3d`` (business days) or ``eod`` (end of the
business day the clock starts in — see ``sla.py``).

``pause_while_waiting`` (on by default, as GLPI does): while a ticket is
``waiting_user`` its pending clocks stop, and the time they stood still is
added back to their due times when it leaves (``clocks.py``). A team that
counts waiting time against itself sets it to ``false``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from toolkit.errors import BadInput

PRIORITIES = ("urgent", "high", "medium", "low")
LEVELS = ("high", "medium", "low")  # impact and urgency
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# ITIL's 3×3 impact × urgency matrix, its five levels folded onto docs/support-process.md's four.
DEFAULT_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "urgent", "medium": "high", "low": "medium"},
    "medium": {"high": "high", "medium": "medium", "low": "low"},
    "low": {"high": "medium", "medium": "low", "low": "low"},
}
DEFAULT_RESPONSE = {"urgent": "30m", "high": "2h", "medium": "4h", "low": "8h"}
# urgent: "handle immediately" — resolution target 4 h of wall time, day and night.
DEFAULT_RESOLUTION = {"urgent": "4h", "high": "eod", "medium": "3d", "low": "5d"}

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.I)


class ConfigError(BadInput):
    def __init__(self, what: str) -> None:
        super().__init__(what, "fix the tickets: section of config.yaml")


@dataclass(frozen=True)
class Target:
    """A due-time target: ``minutes`` and/or business ``days``, or ``eod``."""

    minutes: int = 0
    days: int = 0
    eod: bool = False

    @classmethod
    def parse(cls, text: str, where: str = "duration") -> Target:
        raw = str(text).strip().lower()
        if raw in ("eod", "same_day", "same-day"):
            return cls(eod=True)
        m = _DURATION.match(raw)
        if not raw or not m or not any(m.groups()):
            raise ConfigError(f"{where}: {text!r} is not a duration like 30m, 2h, 3d or eod")
        d, h, mins = (int(g) if g else 0 for g in m.groups())
        return cls(minutes=h * 60 + mins, days=d)


@dataclass(frozen=True)
class TicketConfig:
    id_prefix: str = "SUP"
    timezone: str | None = None  # None: the machine's
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    around_the_clock: frozenset[str] = frozenset({"urgent"})
    response: dict[str, Target] = field(default_factory=lambda: {
        k: Target.parse(v) for k, v in DEFAULT_RESPONSE.items()})
    resolution: dict[str, Target] = field(default_factory=lambda: {
        k: Target.parse(v) for k, v in DEFAULT_RESOLUTION.items()})
    escalation_response: Target = Target(minutes=60)
    pause_while_waiting: bool = True
    matrix: dict[str, dict[str, str]] = field(default_factory=lambda: {
        k: dict(v) for k, v in DEFAULT_MATRIX.items()})


def _clock(value: Any, where: str) -> time:
    try:
        hh, mm = str(value).split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a time like 09:00") from None


def _targets(raw: Any, where: str, defaults: dict[str, str]) -> dict[str, Target]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or set(raw) - set(PRIORITIES):
        raise ConfigError(f"{where} must map {', '.join(PRIORITIES)} to durations")
    merged = {**defaults, **{k: str(v) for k, v in raw.items()}}
    return {k: Target.parse(v, f"{where}.{k}") for k, v in merged.items()}


def _matrix(raw: Any) -> dict[str, dict[str, str]]:
    out = {k: dict(v) for k, v in DEFAULT_MATRIX.items()}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        raise ConfigError("tickets.priority_matrix must map impact → urgency → priority")
    for impact, row in raw.items():
        if impact not in LEVELS or not isinstance(row, dict):
            raise ConfigError(f"tickets.priority_matrix: {impact!r} is not high, medium or low")
        for urgency, prio in row.items():
            if urgency not in LEVELS or prio not in PRIORITIES:
                raise ConfigError(f"tickets.priority_matrix.{impact}.{urgency}: {prio!r} "
                                  f"is not one of {', '.join(PRIORITIES)}")
            out[impact][urgency] = prio
    return out


KNOWN = {"id_prefix", "timezone", "business_hours", "holidays", "around_the_clock",
         "response", "resolution", "escalation_response", "priority_matrix",
         "pause_while_waiting"}


def from_mapping(section: dict[str, Any]) -> TicketConfig:
    unknown = set(section) - KNOWN
    if unknown:
        raise ConfigError(f"tickets has no setting {sorted(unknown)[0]!r}; "
                          f"known: {', '.join(sorted(KNOWN))}")
    kw: dict[str, Any] = {}
    prefix = section.get("id_prefix")
    if prefix is not None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,9}", str(prefix)):
            raise ConfigError(f"tickets.id_prefix {prefix!r}: use 1-10 letters or digits")
        kw["id_prefix"] = str(prefix)
    if section.get("timezone"):
        kw["timezone"] = str(section["timezone"])
    hours = section.get("business_hours") or {}
    if not isinstance(hours, dict):
        raise ConfigError("tickets.business_hours must be {days: [...], start: .., end: ..}")
    if "days" in hours:
        try:
            kw["days"] = tuple(sorted(DAYS.index(str(d).lower()[:3]) for d in hours["days"]))
        except (ValueError, TypeError):
            raise ConfigError(f"tickets.business_hours.days: use {', '.join(DAYS)}") from None
    if "start" in hours:
        kw["start"] = _clock(hours["start"], "tickets.business_hours.start")
    if "end" in hours:
        kw["end"] = _clock(hours["end"], "tickets.business_hours.end")
    if kw.get("end", time(18)) <= kw.get("start", time(9)):
        raise ConfigError("tickets.business_hours: end must be after start")
    holidays = set()
    for item in section.get("holidays") or []:
        try:
            holidays.add(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError:
            raise ConfigError(f"tickets.holidays: {item!r} is not a date like 2026-10-01") \
                from None
    kw["holidays"] = frozenset(holidays)
    if "around_the_clock" in section:
        kw["around_the_clock"] = frozenset(str(p) for p in section["around_the_clock"] or [])
    kw["response"] = _targets(section.get("response"), "tickets.response", DEFAULT_RESPONSE)
    kw["resolution"] = _targets(section.get("resolution"), "tickets.resolution",
                                DEFAULT_RESOLUTION)
    if section.get("escalation_response") is not None:
        kw["escalation_response"] = Target.parse(str(section["escalation_response"]),
                                                 "tickets.escalation_response")
    kw["matrix"] = _matrix(section.get("priority_matrix"))
    if "pause_while_waiting" in section:
        pause = section["pause_while_waiting"]
        if not isinstance(pause, bool):  # a quoted "false" is a string, and true in Python
            raise ConfigError(f"tickets.pause_while_waiting: {pause!r} is not true or false")
        kw["pause_while_waiting"] = pause
    return TicketConfig(**kw)


def load(path: Path | None = None) -> TicketConfig:
    """The ``tickets:`` section of config.yaml; defaults when the file or section is absent."""
    from toolkit import config

    try:
        file, section = config.section("tickets", path)
    except config.ConfigFileError as exc:
        raise ConfigError(str(exc)) from None
    if section is None:
        return TicketConfig()
    if not isinstance(section, dict):
        raise ConfigError(f"{file}: 'tickets' must be a mapping")
    return from_mapping(section)
