"""When something happened, as people say it: one parser for playbook inputs, ask
steps and ``ticket new``.

``parse(text, now)`` returns an aware datetime in ``now``'s time zone, or raises
``ValueError``. It reads, in English and Chinese:

- ISO 8601 and its usual shapes: ``2024-11-03 10:00``, ``2024-11-03T10:00+08:00``,
  ``2024/11/03``, ``2024-11-03``; epoch seconds (10 digits);
- ages: ``30m``, ``2h``, ``3d``, ``1w``, ``2 hours``, ``90 minutes ago``, ``an hour
  ago``, ``2小时``, ``3天前``, ``半小时前``, ``两个小时前``;
- days and parts of days: ``now``, ``just now``, ``today``, ``this morning``,
  ``this afternoon``, ``tonight``, ``yesterday``, ``yesterday evening``, ``last
  night``, ``the day before yesterday``, ``last week``, ``monday``, ``last friday``;
  ``刚才``, ``今天``, ``今天上午``, ``今早``, ``中午``, ``下午``, ``昨天``, ``昨晚``,
  ``前天``, ``上周``, ``周一``;
- with a clock time: ``yesterday 14:30``, ``at 10``, ``10:30``, ``3pm``, ``昨天下午3点``,
  ``今天上午10点半``, ``9点``. A bare clock time later than now means yesterday.

A part of the day starts at a fixed hour (morning 06:00, noon 12:00, afternoon 12:00,
evening 18:00, night 18:00 of the day before for "last night"): the start of the window
in which the problem was seen, which is what a log window wants. A time in the future
is refused: nothing reported can have happened then.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_UNITS = {"s": 1, "sec": 1, "second": 1, "秒": 1, "m": 60, "min": 60, "minute": 60,
          "分": 60, "分钟": 60, "h": 3600, "hr": 3600, "hour": 3600, "小时": 3600,
          "钟头": 3600, "d": 86400, "day": 86400, "天": 86400, "日": 86400,
          "w": 604800, "week": 604800, "周": 604800, "星期": 604800, "礼拜": 604800}
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
               "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
               "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45, "few": 3,
               "couple of": 2, "half an": 0.5, "half a": 0.5}
_WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "wednesday": 2, "wed": 2,
             "thursday": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
             "sunday": 6, "sun": 6}
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# Where a part of the day starts, in hours (the start of the window the person means).
_PARTS = {"morning": 6, "this morning": 6, "early": 6, "noon": 12, "midday": 12,
          "afternoon": 12, "evening": 18, "night": 18, "tonight": 18,
          "早上": 6, "早晨": 6, "上午": 6, "早": 6, "清晨": 5, "凌晨": 0, "中午": 11,
          "下午": 12, "傍晚": 17, "晚上": 18, "晚": 18, "夜里": 20, "半夜": 0}
_PM_PARTS = {"下午", "傍晚", "晚上", "晚", "夜里"}


def _zh_number(text: str) -> float | None:
    """一, 十, 十五, 二十三, 两, 半 — the small numbers people type."""
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if text == "半":
        return 0.5
    if text in _ZH_DIGITS:
        return float(_ZH_DIGITS[text])
    m = re.fullmatch(r"([一二两三四五六七八九])?十([一二三四五六七八九])?", text)
    if m:
        tens = _ZH_DIGITS[m.group(1)] if m.group(1) else 1
        return float(tens * 10 + (_ZH_DIGITS[m.group(2)] if m.group(2) else 0))
    return None


def _age(text: str) -> float | None:
    """Seconds in an age ("2h", "90 minutes ago", "两个小时前", "半小时"), or None."""
    t = text.strip().lower()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|w)(?:\s+ago)?", t)
    if m:
        return float(m.group(1)) * _UNITS[m.group(2)]
    m = re.fullmatch(r"(?:about |around |~)?(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|"
                     r"seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty-five|few|"
                     r"couple of|half an|half a)\s+(second|sec|minute|min|hour|hr|day|week)s?"
                     r"(?:\s+ago)?", t)
    if m:
        n = _EN_NUMBERS.get(m.group(1))
        return (float(m.group(1)) if n is None else n) * _UNITS[m.group(2)]
    m = re.fullmatch(r"(?:大约|大概|约)?([\d.]+|[零〇一二两三四五六七八九十]+|半)\s*(?:个)?\s*(半)?"
                     r"\s*(秒|分钟|分|小时|钟头|天|日|周|星期|礼拜)\s*(?:之前|以前|前)?", t)
    if m:
        n = _zh_number(m.group(1))
        if n is None:
            return None
        return (n + (0.5 if m.group(2) else 0)) * _UNITS[m.group(3)]  # 一个半小时: 1.5 h
    return None


def _clock(text: str) -> tuple[int, int] | None:
    """An hour and minute: "14:30", "3pm", "10", "10点", "3点半", "下午3点" (the part
    of the day is handled by the caller)."""
    t = text.strip().lower()
    m = re.fullmatch(r"(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", t)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        suffix = (m.group(3) or "").replace(".", "")
        if suffix == "pm" and hour < 12:
            hour += 12
        if suffix == "am" and hour == 12:
            hour = 0
        return (hour, minute) if hour < 24 and minute < 60 else None
    m = re.fullmatch(r"([\d]{1,2}|[一二两三四五六七八九十]+)\s*[点時时]"
                     r"(?:\s*(\d{1,2}|[一二三四五六七八九十]+)\s*分?|(半)|(一刻)|(三刻))?"
                     r"(?:钟)?(?:左右)?", t)
    if m:
        hour_n = _zh_number(m.group(1))
        if hour_n is None:
            return None
        minute = 0
        if m.group(2):
            minute = int(_zh_number(m.group(2)) or 0)
        elif m.group(3):
            minute = 30
        elif m.group(4):
            minute = 15
        elif m.group(5):
            minute = 45
        hour = int(hour_n)
        return (hour, minute) if hour < 24 and minute < 60 else None
    return None


def _day(word: str, now: datetime) -> datetime | None:
    """Midnight of the day a word names ("today", "昨天", "last friday", "周一")."""
    w = word.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    table = {"today": 0, "今天": 0, "今日": 0, "今": 0, "yesterday": 1, "昨天": 1, "昨日": 1,
             "昨": 1, "the day before yesterday": 2, "day before yesterday": 2, "前天": 2,
             "前日": 2, "大前天": 3, "last week": 7, "上周": 7, "上星期": 7, "上个星期": 7,
             "上礼拜": 7, "一周前": 7}
    if w in table:
        return midnight - timedelta(days=table[w])
    m = re.fullmatch(r"(?:(last|this|on)\s+)?(monday|mon|tuesday|tue|wednesday|wed|thursday|"
                     r"thu|friday|fri|saturday|sat|sunday|sun)", w)
    if m:
        back = (now.weekday() - _WEEKDAYS[m.group(2)]) % 7  # the most recent one
        if m.group(1) == "last" and back == 0:
            back = 7
        return midnight - timedelta(days=back)
    zh = re.fullmatch(r"(上)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天])", w)
    if zh:
        target = _ZH_WEEKDAYS[zh.group(2)]
        if zh.group(1):  # 上周三: Wednesday of the week before this one
            return midnight - timedelta(days=now.weekday() + 7 - target)
        return midnight - timedelta(days=(now.weekday() - target) % 7)
    return None


def _compose(day: datetime | None, part: str | None, clock: tuple[int, int] | None,
             now: datetime) -> datetime | None:
    base = day or now.replace(hour=0, minute=0, second=0, microsecond=0)
    if clock:
        hour, minute = clock
        if part in _PM_PARTS and hour < 12:
            hour += 12
        when = base.replace(hour=hour, minute=minute)
        if day is None and when > now:
            when -= timedelta(days=1)  # "at 16:00" said at 09:00 means yesterday
        return when
    if part is not None:
        return base.replace(hour=_PARTS[part])
    return base if day is not None else None


def _phrase(t: str, now: datetime) -> datetime | None:
    if t in ("now", "just now", "right now", "现在", "刚刚", "刚才", "刚"):
        return now - timedelta(minutes=15) if t in ("just now", "刚刚", "刚才", "刚") else now
    if t in ("last night", "昨晚", "昨天晚上", "昨夜"):
        return _compose(_day("yesterday", now), "evening", None, now)
    if t in ("this morning", "今早", "今天早上", "今晨"):
        return _compose(_day("today", now), "morning", None, now)
    if t == "tonight":
        return _compose(_day("today", now), "evening", None, now)
    seconds = _age(t)
    if seconds is not None:
        return now - timedelta(seconds=seconds)
    # English: [day] [part] [at clock] in any order people type them.
    m = re.fullmatch(r"(?:(today|yesterday|the day before yesterday|day before yesterday|"
                     r"last week|(?:last |this |on )?(?:monday|mon|tuesday|tue|wednesday|wed|"
                     r"thursday|thu|friday|fri|saturday|sat|sunday|sun))\s*)?"
                     r"(?:(?:in the |this )?(morning|noon|midday|afternoon|evening|night)\s*)?"
                     r"(?:(?:at|around|about)?\s*(\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?))?",
                     t)
    if m and any(m.groups()):
        day = _day(m.group(1), now) if m.group(1) else None
        clock = _clock(m.group(3)) if m.group(3) else None
        if m.group(3) and clock is None:
            return None
        part = m.group(2)
        if part in ("night", "evening") and clock and clock[0] < 12:
            clock = (clock[0] + 12, clock[1])
        if part and clock is None and day is None and part != "morning":
            day = _day("today", now)
        return _compose(day, part, clock, now) if (day or part or clock) else None
    # Chinese: [日] [时段] [钟点], written together: 昨天下午3点, 今天上午, 周一早上9点半.
    m = re.fullmatch(r"(今天|今日|今|昨天|昨日|昨|前天|前日|大前天|上周|上星期|上个星期|上礼拜|"
                     r"上?(?:周|星期|礼拜)[一二三四五六日天])?\s*"
                     r"(早上|早晨|上午|清晨|凌晨|中午|下午|傍晚|晚上|夜里|半夜|早|晚)?\s*"
                     r"(\S*[点时:]\S*|\d{1,2})?", t)
    if m and any(m.groups()):
        day = _day(m.group(1), now) if m.group(1) else None
        clock = _clock(m.group(3)) if m.group(3) else None
        if m.group(3) and clock is None:
            return None
        return _compose(day, m.group(2), clock, now)
    return None


def parse(text: str, now: datetime) -> datetime:
    """The moment ``text`` names, relative to ``now`` (aware). Raises ValueError with a
    short English reason; callers show their own localised message."""
    if now.tzinfo is None:
        raise TypeError("now must be timezone-aware")
    raw = " ".join(str(text).split())
    t = raw.lower().rstrip("。.,，")
    if not t:
        raise ValueError("empty")
    when: datetime | None = None
    if re.fullmatch(r"\d{10}(?:\.\d+)?", t):
        when = datetime.fromtimestamp(float(t), timezone.utc).astimezone(now.tzinfo)
    else:
        iso = re.sub(r"^(\d{4})/(\d{1,2})/(\d{1,2})",
                     lambda m: f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}",
                     raw.strip())
        try:
            parsed = datetime.fromisoformat(iso.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            when = _phrase(t, now)
        else:
            when = parsed.replace(tzinfo=now.tzinfo) if parsed.tzinfo is None else parsed
    if when is None:
        raise ValueError(f"cannot read the time {raw!r}")
    if when > now + timedelta(minutes=1):
        raise FutureTime(f"{raw!r} is in the future")
    return when


class FutureTime(ValueError):
    """The phrase was read, but names a moment after ``now``."""


def local_now() -> datetime:
    """Now, aware, in this machine's time zone (what "yesterday" means at the keyboard)."""
    return datetime.now(timezone.utc).astimezone()
