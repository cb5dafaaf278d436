"""Priority table and business calendar: after-hours and weekend rollover, urgent
around the clock, holidays, the 'same day' rule, --reported-at, configuration."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tickets_support import new_ticket

from toolkit.tickets.config import Target, TicketConfig, from_mapping
from toolkit.tickets.sla import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
CFG = TicketConfig(timezone="Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def due(start: str, prio: str, cfg: TicketConfig = CFG) -> tuple[str, str]:
    cal = Calendar(cfg)
    s = at(start)
    return (cal.response_due(s, prio).strftime("%a %Y-%m-%d %H:%M"),
            cal.resolution_due(s, prio).strftime("%a %Y-%m-%d %H:%M"))


# 2026-11-23 is a Monday.
@pytest.mark.parametrize("start,prio,response,resolution", [
    # within business hours
    ("2026-11-23 10:00", "medium", "Mon 2026-11-23 14:00", "Thu 2026-11-26 10:00"),
    ("2026-11-23 10:00", "high", "Mon 2026-11-23 12:00", "Mon 2026-11-23 18:00"),
    ("2026-11-23 10:00", "low", "Mon 2026-11-23 18:00", "Mon 2026-11-30 10:00"),
    # Friday afternoon: the clocks stop for the weekend
    ("2026-11-27 16:00", "medium", "Mon 2026-11-30 11:00", "Wed 2026-12-02 16:00"),
    ("2026-11-27 17:00", "low", "Mon 2026-11-30 16:00", "Fri 2026-12-04 17:00"),
    # reported on Saturday: the clocks start on Monday 09:00
    ("2026-11-28 10:00", "low", "Mon 2026-11-30 17:00", "Fri 2026-12-04 18:00"),
    ("2026-11-28 10:00", "medium", "Mon 2026-11-30 13:00", "Wed 2026-12-02 18:00"),
    # after hours and before opening
    ("2026-11-24 20:30", "high", "Wed 2026-11-25 11:00", "Wed 2026-11-25 18:00"),
    ("2026-11-24 06:15", "medium", "Tue 2026-11-24 13:00", "Thu 2026-11-26 18:00"),
    # 'same day' with less than the response time left: the next business day's end
    ("2026-11-24 17:30", "high", "Wed 2026-11-25 10:30", "Wed 2026-11-25 18:00"),
    ("2026-11-27 17:30", "high", "Mon 2026-11-30 10:30", "Mon 2026-11-30 18:00"),
    # urgent counts around the clock: nights and weekends
    ("2026-11-28 23:50", "urgent", "Sun 2026-11-29 00:20", "Sun 2026-11-29 03:50"),
    ("2026-11-24 17:45", "urgent", "Tue 2026-11-24 18:15", "Tue 2026-11-24 21:45"),
])
def test_business_calendar(start: str, prio: str, response: str, resolution: str) -> None:
    assert due(start, prio) == (response, resolution)


def test_holidays_stop_the_clock_but_not_for_urgent() -> None:
    cfg = TicketConfig(timezone="Europe/Berlin", holidays=frozenset({date(2026, 11, 30)}))
    # Friday 17:00, Monday is a holiday: 1 h on Friday, 3 h on Tuesday.
    assert due("2026-11-27 17:00", "medium", cfg)[0] == "Tue 2026-12-01 12:00"
    assert due("2026-11-30 08:00", "urgent", cfg)[0] == "Mon 2026-11-30 08:30"
    # 'same day' on the eve of a holiday
    assert due("2026-11-27 17:30", "high", cfg)[1] == "Tue 2026-12-01 18:00"


def test_urgent_uses_real_elapsed_time_across_a_dst_change() -> None:
    # 2026-03-29 02:00 CET → 03:00 CEST: 4 real hours from 23:00 end at 04:00 local.
    cal = Calendar(CFG)
    got = cal.resolution_due(at("2026-03-28 23:00"), "urgent")
    assert got.isoformat() == "2026-03-29T04:00:00+02:00"


def test_chinese_calendar_with_national_day_holidays() -> None:
    cfg = from_mapping({"timezone": "Asia/Shanghai",
                        "holidays": [f"2026-10-0{d}" for d in range(1, 8)]})
    cal = Calendar(cfg)
    start = datetime(2026, 9, 30, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert cal.response_due(start, "medium").isoformat() == "2026-10-08T12:00:00+08:00"
    assert cal.resolution_due(start, "medium").isoformat() == "2026-10-12T17:00:00+08:00"


@pytest.mark.parametrize("impact,urgency,expected", [
    ("high", "high", "urgent"), ("high", "medium", "high"), ("high", "low", "medium"),
    ("medium", "high", "high"), ("medium", "medium", "medium"), ("medium", "low", "low"),
    ("low", "high", "medium"), ("low", "medium", "low"), ("low", "low", "low"),
])
def test_priority_matrix(cli, impact: str, urgency: str, expected: str) -> None:
    doc = new_ticket(cli, "--impact", impact, "--urgency", urgency)
    assert doc["priority"] == expected and doc["priority_source"] == "matrix"


def test_priority_flag_overrides_and_howto_defaults_low(cli) -> None:
    doc = new_ticket(cli, "--impact", "low", "--urgency", "low", "--priority", "urgent")
    assert doc["priority"] == "urgent" and doc["priority_source"] == "given"
    r = cli("ticket", "new", "--title", "How do I set up an e-mail signature?", "--no-collect",
            "--json")
    doc = json.loads(r.out)
    assert (doc["category"], doc["priority"]) == ("howto", "low")


def _config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(text, encoding="utf-8")


def test_reported_at_starts_the_clocks(cli, _isolated_home: Path) -> None:
    _config(_isolated_home, "tickets:\n  timezone: Europe/Berlin\n")
    doc = new_ticket(cli, "--reported-at", "2024-11-22T17:30", "--priority", "high",
                     "--occurred-at", "2024-11-22 16:55")
    assert doc["reported_at"] == "2024-11-22T17:30:00+01:00"
    assert doc["occurred_at"] == "2024-11-22T16:55:00+01:00"
    assert doc["response_due"] == "2024-11-25T10:30:00+01:00"  # Fri 17:30 → Mon
    assert doc["resolution_due"] == "2024-11-25T18:00:00+01:00"
    assert doc["sla"]["response"]["state"] in ("pending", "breached")
    # an offset given with the time is kept as the same instant
    doc = new_ticket(cli, "--reported-at", "2024-11-25T08:00:00+00:00", "--priority", "medium")
    assert doc["response_due"] == "2024-11-25T13:00:00+01:00"


def test_reported_at_in_the_future_or_garbage_is_refused(cli) -> None:
    r = cli("ticket", "new", "--title", "x", "--no-collect", "--reported-at", "2999-01-01T10:00")
    assert r.code == 2 and "in the future" in r.err
    r = cli("ticket", "new", "--title", "x", "--no-collect", "--reported-at", "yesterday")
    assert r.code == 2 and "not a date and time" in r.err


def test_everything_is_configurable(cli, _isolated_home: Path) -> None:
    _config(_isolated_home, """\
tickets:
  id_prefix: HD
  timezone: Asia/Dubai
  business_hours: {days: [sun, mon, tue, wed, thu], start: "08:00", end: "16:00"}
  response: {medium: 1h}
  resolution: {medium: 1d}
  escalation_response: 30m
  priority_matrix: {low: {low: medium}}
""")
    doc = new_ticket(cli, "--impact", "low", "--urgency", "low",
                     "--reported-at", "2024-11-21T15:30")  # Thursday, 30 min before closing
    assert doc["id"] == "HD-000001" and doc["priority"] == "medium"
    assert doc["response_due"] == "2024-11-24T08:30:00+04:00"  # Friday and Saturday off
    assert doc["resolution_due"] == "2024-11-24T15:30:00+04:00"


@pytest.mark.parametrize("text,message", [
    ("tickets:\n  timezone: Mars/Olympus\n", "unknown time zone"),
    ("tickets:\n  response: {high: soon}\n", "is not a duration"),
    ("tickets:\n  business_hours: {start: '18:00', end: '09:00'}\n", "end must be after start"),
    ("tickets:\n  holidays: [someday]\n", "is not a date"),
    ("tickets:\n  colour: blue\n", "tickets has no setting 'colour'"),
    ("tickets:\n  business_hours: {days: []}\n", "no working day"),
])
def test_bad_configuration_is_one_clear_line(cli, _isolated_home: Path, text: str,
                                              message: str) -> None:
    _config(_isolated_home, text)
    r = cli("ticket", "new", "--title", "x", "--no-collect", "--priority", "medium")
    assert r.code == 2, r.err
    assert message in r.err and r.err.count("\n") == 1


def test_target_parsing() -> None:
    assert Target.parse("1h30m") == Target(minutes=90)
    assert Target.parse("3d") == Target(days=3)
    assert Target.parse("eod") == Target(eod=True)
