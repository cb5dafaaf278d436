"""Priority and due times: the impact × urgency table and the business calendar.

Priority (docs/support-process.md step 2) — rows are impact, columns urgency::

                    urgency high   urgency medium   urgency low
    impact high     urgent         high             medium
    impact medium   high           medium           low
    impact low      medium         low              low

impact: high = core business interrupted or many users blocked; medium = key
functions of some users; low = one user, a non-core function, a question.
urgency: high = blocked now, no workaround; medium = a workaround exists but
hurts; low = it can wait. Not given: both medium (``howto`` tickets: both
low, they are questions). ``--priority`` overrides the table.

Due times (docs/support-process.md steps 1 and 2), from the moment the case was reported:

    priority   response   resolution
    urgent     30 min     4 h         around the clock: nights, weekends and holidays count
    high       2 h        eod         end of the business day the clock starts in
    medium     4 h        3 d         three business days
    low        8 h        5 d         five business days

Business time is Mon–Fri 09:00–18:00 in the configured time zone (default:
this machine's), without the listed holidays; a clock that starts outside it
starts at the next opening. ``eod`` is "resolve the same day": the end of the
business day the clock starts in — unless less than the response time is left
that day (a high case reported at 17:30), then the end of the next business
day. ``Nd`` is N whole business days (same clock time N business days on).
Everything here is configurable (``config.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo

from toolkit.errors import BadInput
from toolkit.tickets.config import Target, TicketConfig

MAX_DAYS = 3660  # a calendar without business days must not loop forever


def zone(cfg: TicketConfig) -> tzinfo:
    """The configured time zone, or this machine's local one."""
    if cfg.timezone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(cfg.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            # On Windows the zone database comes from the 'tzdata' package.
            raise BadInput(f"unknown time zone {cfg.timezone!r} in tickets.timezone",
                           "use an IANA name like Europe/Berlin (on Windows: pip install "
                           "tzdata)") from None
    return _local_zone()


def _local_zone() -> tzinfo:
    """This machine's zone, by IANA name when it can be found (so that daylight
    saving time changes are followed), else its current fixed offset."""
    from zoneinfo import ZoneInfo

    from toolkit import _platform

    name = _platform.timezone_name()
    if name:
        try:
            return ZoneInfo(name)
        except Exception:  # not a zone name (e.g. a POSIX TZ rule string)
            pass
    return datetime.now().astimezone().tzinfo or timezone.utc


def priority(cfg: TicketConfig, impact: str, urgency: str) -> str:
    return cfg.matrix[impact][urgency]


class Calendar:
    def __init__(self, cfg: TicketConfig) -> None:
        self.cfg = cfg
        self.tz = zone(cfg)

    # ------------------------------------------------------------- business days
    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.cfg.days and day not in self.cfg.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        c = self.cfg
        return (datetime.combine(day, c.start, self.tz), datetime.combine(day, c.end, self.tz))

    def day_minutes(self) -> int:
        c = self.cfg
        return (c.end.hour * 60 + c.end.minute) - (c.start.hour * 60 + c.start.minute)

    def next_business_day(self, day: date) -> date:
        """``day`` if it is a business day, else the next one."""
        for _ in range(MAX_DAYS):
            if self.is_business_day(day):
                return day
            day += timedelta(days=1)
        raise BadInput("the business calendar has no working day",
                       "fix tickets.business_hours.days and tickets.holidays")

    def open_at(self, moment: datetime) -> datetime:
        """``moment`` if it is business time, else the next opening."""
        local = moment.astimezone(self.tz)
        day = local.date()
        while True:
            day = self.next_business_day(day)
            start, end = self.window(day)
            if local < end:
                return max(local, start)
            day += timedelta(days=1)

    def add_business(self, moment: datetime, minutes: int) -> datetime:
        """``moment`` plus ``minutes`` of business time (clocks stop outside it)."""
        return self.add_span(moment, timedelta(minutes=minutes))

    def add_span(self, moment: datetime, span: timedelta) -> datetime:
        """``moment`` plus ``span`` of business time (to the second)."""
        cur = self.open_at(moment)
        left = span
        while True:
            _, end = self.window(cur.date())
            room = end.replace(tzinfo=None) - cur.replace(tzinfo=None)  # wall-clock minutes
            if left <= room:
                return (cur.replace(tzinfo=None) + left).replace(tzinfo=self.tz)
            left -= room
            cur = self.open_at(self.window(cur.date())[0] + timedelta(days=1))

    def business_between(self, a: datetime, b: datetime) -> timedelta:
        """The business time from ``a`` to ``b`` (zero when ``b`` is not after ``a``),
        in wall-clock terms like ``add_span``, so that one undoes the other."""
        start = a.astimezone(self.tz).replace(tzinfo=None)
        stop = b.astimezone(self.tz).replace(tzinfo=None)
        total = timedelta(0)
        day = start.date()
        while day <= stop.date():
            if self.is_business_day(day):
                w0, w1 = (w.replace(tzinfo=None) for w in self.window(day))
                overlap = min(w1, stop) - max(w0, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def carry(self, due: datetime, since: datetime, until: datetime, prio: str) -> datetime:
        """The due time of a clock that stood still from ``since`` to ``until``: the time
        it had left when it stopped, counted again from ``until`` — business time, or
        real time for around-the-clock priorities. A clock due inside the pause gets
        what it had left; one already overdue when it stopped must not be passed here."""
        if prio in self.cfg.around_the_clock:
            left = due.astimezone(timezone.utc) - since.astimezone(timezone.utc)
            return (until.astimezone(timezone.utc) + left).astimezone(self.tz)
        return self.add_span(until, self.business_between(since, due))

    # ------------------------------------------------------------- targets
    def due(self, start: datetime, target: Target, prio: str) -> datetime:
        if prio in self.cfg.around_the_clock:
            if target.eod:  # "today" around the clock: the end of this calendar day
                local = start.astimezone(self.tz)
                return datetime.combine(local.date() + timedelta(days=1),
                                        datetime.min.time(), self.tz)
            span = timedelta(days=target.days, minutes=target.minutes)
            return (start.astimezone(timezone.utc) + span).astimezone(self.tz)
        if target.eod:
            opened = self.open_at(start)
            end = self.window(opened.date())[1]
            response = self.cfg.response.get(prio, Target())
            needed = timedelta(minutes=response.minutes + response.days * self.day_minutes())
            if end - opened < needed:
                end = self.window(self.next_business_day(opened.date() + timedelta(days=1)))[1]
            return end
        minutes = target.minutes + target.days * self.day_minutes()
        return self.add_business(start, minutes)

    def response_due(self, start: datetime, prio: str) -> datetime:
        return self.due(start, self.cfg.response[prio], prio)

    def resolution_due(self, start: datetime, prio: str) -> datetime:
        return self.due(start, self.cfg.resolution[prio], prio)

    def escalation_due(self, start: datetime, prio: str) -> datetime:
        return self.due(start, self.cfg.escalation_response, prio)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
