"""The Party calendar's recurring rules: parsing (Chinese and structured) and expansion.

Structured form (stored as JSON, also accepted as typed text):

    monthly day=8                    每月8日
    monthly nth=1 weekday=2          每月第一个周二        (nth=-1: 每月最后一个周五)
    quarterly month=1 day=15         每季度 第一个月15日
    quarterly month=2 nth=1 weekday=3  每季度第二个月第一个周三
    weekly weekday=3                 每周三
    weekly weekdays=1,3,5            每周一、三、五 / 每周一至周五 / 周末 (weekdays=6,7)
    workdays                         工作日 (every working day: 调休 Saturdays in, holidays out)
    dates 2026-12-05,2027-01-09      12月5日、1月9日
    lunar_last days=4                农历每月最后4天 (the last days of each lunar month)

Weekdays are 1 (Monday) to 7 (Sunday). Expansion uses APScheduler's CronTrigger, so the dates
are the ones the scheduler itself would fire on. An occurrence on a non-working day (weekend or
public holiday, per chinese-calendar, with 调休 working days counted as working) is moved to the
next working day, skipped or kept, as the rule says; a weekend day the rule names itself (每周六,
周末) is its day, not a day off: only a public holiday moves or skips it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Set
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from apscheduler.triggers.cron import CronTrigger
from lunardate import LunarDate

from handlers.core.timeparse import WEEKDAYS, number, resolve_month_day

log = logging.getLogger(__name__)

HOLIDAY_POLICIES = {"顺延": "move", "move": "move", "跳过": "skip", "skip": "skip", "照常": "keep", "keep": "keep"}
_CRON_DOW = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}
_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_WD = r"(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
_NTH = r"(?:第(?P<nth>[一二三四五1-5])个|(?P<last>最后一个))" + _WD
_DAY = r"(?P<day>[0-9]{1,2})\s*[日号]"
_MONTHLY = re.compile(r"^每个?月\s*(?:" + _NTH + "|" + _DAY + ")")
_QUARTERLY = re.compile(r"^每个?季度\s*(?:第(?P<m>[一二三123])个月\s*)?(?:" + _NTH + "|" + _DAY + ")")
_WEEKLY = re.compile(r"^每(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")
_W = r"[一二三四五六日天1-7]"
_WEEK = r"(?:周|星期|礼拜)"
_WEEK_SPAN = re.compile(r"^每?" + _WEEK + r"(?P<a>" + _W + r")\s*(?:至|到|~|～|-|—)\s*" + _WEEK + r"?(?P<b>" + _W + ")")
_WC = r"[一二三四五六日天]"  # a list of days is written in Chinese numerals: 每周一三五, 每周一、三、五
_WEEK_LIST = re.compile(
    r"^每?" + _WEEK + r"(?P<list>" + _WC + r"(?:(?:\s*[、,，和及]\s*)?" + _WEEK + r"?" + _WC + r")+)"
)
_WORKDAYS = re.compile(r"^(?:每个?)?(?:工作日)")
_WEEKEND = re.compile(r"^(?:每个?)?(?:周末|双休日)")
_LUNAR = re.compile(
    r"^(?:每个?月\s*农历|农历\s*(?:每个?月)?|每个?农历月)\s*(?:的)?\s*(?:月底|月末|最后)\s*"
    r"(?P<n>[0-9]{1,2}|[一二两三四五六七八九十])\s*天"
)
LUNAR_MAX_DAYS = 10
_MD = r"[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*[日号]?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
_DATES = re.compile(r"^(?P<list>(?:" + _MD + r")(?:\s*[、,，]\s*(?:" + _MD + r"))*)")
_ISO = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
_STRUCT_ARG = r"\s+(?:[a-z]+=-?[0-9]{1,2}|" + _ISO + "(?:," + _ISO + ")*)"
_STRUCT = re.compile(r"^(?P<freq>monthly|quarterly|weekly|dates)(?P<args>(?:" + _STRUCT_ARG + ")+)", re.I)


_WARNED: set[int] = set()


class RuleError(ValueError):
    """The rule text could not be understood; `code` names why (a template sentence)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ParsedRule:
    spec: dict[str, Any]
    text: str  # the part of the input that was the rule
    rest: str  # what followed it


def parse_rule(text: str, today: date) -> ParsedRule:
    """Read a rule at the start of text: 每月第一个周二, 每月8日, 每季度 第一个月15日, 每周三, dates."""
    s = text.strip()
    if m := _MONTHLY.match(s):
        spec = {"freq": "monthly", **_day_part(m)}
    elif m := _QUARTERLY.match(s):
        spec = {"freq": "quarterly", "month": _NUM.get(m.group("m") or "1", 1), **_day_part(m)}
    elif m := _LUNAR.match(s):
        spec = {"freq": "lunar_last", "days": number(m.group("n").replace("两", "二"))}
    elif m := _WORKDAYS.match(s):
        spec = {"freq": "workdays"}
    elif m := _WEEKEND.match(s):
        spec = {"freq": "weekly", "weekdays": [6, 7]}
    elif m := _WEEK_SPAN.match(s):
        a, b = WEEKDAYS[m.group("a")] + 1, WEEKDAYS[m.group("b")] + 1
        if b <= a:
            raise RuleError("bad_rule")
        spec = {"freq": "weekly", "weekdays": list(range(a, b + 1))}
    elif m := _WEEK_LIST.match(s):
        days = sorted({WEEKDAYS[ch] + 1 for ch in re.findall(_WC, m.group("list"))})
        spec = {"freq": "weekly", "weekdays": days} if len(days) > 1 else {"freq": "weekly", "weekday": days[0]}
    elif m := _WEEKLY.match(s):
        spec = {"freq": "weekly", "weekday": WEEKDAYS[m.group("wd")] + 1}
    elif m := _STRUCT.match(s):
        spec = _structured(m.group("freq").lower(), m.group("args"), today)
    elif m := _DATES.match(s):
        parts = re.split(r"\s*[、,，]\s*", m.group("list"))
        spec = {"freq": "dates", "dates": sorted({_one_date(p, today).isoformat() for p in parts})}
    else:
        raise RuleError("no_rule")
    check(spec)
    return ParsedRule(spec, s[: m.end()].strip(), s[m.end() :].strip())


def _day_part(m: re.Match[str]) -> dict[str, int]:
    if m.group("day"):
        return {"day": int(m.group("day"))}
    nth = -1 if m.group("last") else _NUM[m.group("nth")]
    return {"nth": nth, "weekday": WEEKDAYS[m.group("wd")] + 1}


def _one_date(text: str, today: date) -> date:
    iso = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", text.strip())
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        md = re.fullmatch(r"([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]?", text.strip())
        assert md is not None
        return resolve_month_day(int(md.group(1)), int(md.group(2)), today)
    except ValueError as exc:
        raise RuleError("bad_date") from exc


def _structured(freq: str, args: str, today: date) -> dict[str, Any]:
    if freq == "dates":
        days = {_one_date(p, today).isoformat() for p in args.split(",") if p.strip()}
        return {"freq": "dates", "dates": sorted(days)}
    spec: dict[str, Any] = {"freq": freq}
    for pair in args.split():
        key, _, value = pair.partition("=")
        if key not in ("day", "nth", "weekday", "month") or not re.fullmatch(r"-?[0-9]{1,2}", value):
            raise RuleError("no_rule")
        spec[key] = int(value)
    return spec


def check(spec: dict[str, Any]) -> None:
    """Reject specs that name impossible days; raises RuleError."""
    freq = spec.get("freq")
    ok = True
    if freq in ("monthly", "quarterly"):
        if "day" in spec:
            ok = 1 <= spec["day"] <= 31 and "nth" not in spec
        else:
            ok = spec.get("nth") in _ORDINAL and 1 <= spec.get("weekday", 0) <= 7
        if freq == "quarterly":
            ok = ok and 1 <= spec.get("month", 0) <= 3
    elif freq == "weekly":
        ok = all(1 <= d <= 7 for d in weekdays(spec)) and bool(weekdays(spec))
    elif freq == "workdays":
        ok = True
    elif freq == "dates":
        ok = bool(spec.get("dates"))
    elif freq == "lunar_last":
        ok = 1 <= spec.get("days", 0) <= LUNAR_MAX_DAYS
    else:
        ok = False
    if not ok:
        raise RuleError("bad_rule")


def weekdays(spec: dict[str, Any]) -> list[int]:
    """The weekdays a weekly rule names (1 Monday … 7 Sunday); none for other rules."""
    if spec.get("freq") != "weekly":
        return []
    days = spec.get("weekdays") or ([spec["weekday"]] if "weekday" in spec else [])
    return [int(d) for d in days]


def _trigger(spec: dict[str, Any], at: time, tz: ZoneInfo) -> CronTrigger:
    fields: dict[str, Any] = {"hour": at.hour, "minute": at.minute, "timezone": tz}
    freq = spec["freq"]
    if freq == "weekly":
        return CronTrigger(day_of_week=",".join(_CRON_DOW[d - 1] for d in weekdays(spec)), **fields)
    if "day" in spec:
        fields["day"] = spec["day"]
    else:
        fields["day"] = f"{_ORDINAL[spec['nth']]} {_CRON_DOW[spec['weekday'] - 1]}"
    if freq == "quarterly":
        first = spec["month"]
        fields["month"] = ",".join(str(first + 3 * i) for i in range(4))
    return CronTrigger(**fields)


def nominal_dates(spec: dict[str, Any], at: time, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The rule's own start times in [start, end), before any holiday move."""
    if spec["freq"] == "dates":
        times = [datetime.combine(date.fromisoformat(d), at, tzinfo=tz) for d in spec["dates"]]
        return [t for t in times if start <= t < end]
    if spec["freq"] in ("lunar_last", "workdays"):
        day, found = start.astimezone(tz).date(), []
        while day <= end.astimezone(tz).date():
            moment = datetime.combine(day, at, tzinfo=tz)
            chosen = is_workday(day) if spec["freq"] == "workdays" else in_lunar_month_end(day, spec["days"])
            if start <= moment < end and chosen:
                found.append(moment)
            day += timedelta(days=1)
        return found
    trigger = _trigger(spec, at, tz)
    out: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        out.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return out


def in_lunar_month_end(day: date, days: int) -> bool:
    """Whether a day is one of the last `days` days of its lunar month (a new lunar month, 初一,
    begins within `days` days after it)."""
    return any(
        LunarDate.from_solar_date(later.year, later.month, later.day).day == 1
        for later in (day + timedelta(days=k) for k in range(1, days + 1))
    )


def is_public_holiday(day: date) -> bool:
    """A day of a statutory holiday (春节, 国庆…), weekend or not; 调休 working days are not."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return bool(on_holiday and name is not None)
    except NotImplementedError:
        return (day.month, day.day) in {(1, 1), (5, 1)} or (day.month == 10 and day.day <= 7)


def is_workday(day: date) -> bool:
    """A working day in mainland China: chinese-calendar where it has data (public holidays and
    调休 working days); beyond its years, Monday to Friday except New Year, Labour Day and the
    National Day week, whose dates are fixed."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _WARNED:
            _WARNED.add(day.year)
            log.warning("chinese-calendar has no data for %s; update it for that year's holidays", day.year)
        fixed = (day.month, day.day) in {(1, 1), (5, 1)} or (day.month == 10 and day.day <= 7)
        return day.weekday() < 5 and not fixed


def apply_holiday(
    nominal: datetime, policy: str, avoid: Set[date] = frozenset(), own_days: Set[int] = frozenset()
) -> datetime | None:
    """Where an occurrence lands: the next working day not in `avoid` (move), nowhere (skip) or as
    is (keep). A weekend day in `own_days` (weekdays the rule names) is a day off only when it is a
    public holiday."""
    day = nominal.date()
    off = is_public_holiday(day) if day.isoweekday() in own_days and day.isoweekday() >= 6 else not is_workday(day)
    if policy == "keep" or not off:
        return nominal
    if policy == "skip":
        return None
    moved = nominal
    for _ in range(60):  # the longest break (Spring Festival) with a few taken days is well under this
        moved += timedelta(days=1)
        if is_workday(moved.date()) and moved.date() not in avoid:
            return moved
    return nominal


MOVE_LOOKAHEAD = timedelta(days=45)  # a moved occurrence leaves alone the working days the rule has ahead


def occurrences(
    spec: dict[str, Any],
    at: time,
    policy: str,
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    taken: Set[date] = frozenset(),
) -> list[tuple[date, datetime]]:
    """(nominal date, actual start) of each occurrence whose nominal time is in [start, end). A
    holiday's occurrence moved on (顺延) lands on the next working day holding no other occurrence
    of the rule: not one in `taken` (days that already have one), not one moved there before, not
    a working day the rule falls on itself (so the last days of a lunar month that span a weekend
    become as many shifts on as many days)."""
    used = set(taken)
    if policy == "move":
        ahead = nominal_dates(spec, at, tz, start, end + MOVE_LOOKAHEAD)
        used |= {n.date() for n in ahead if is_workday(n.date()) or n.isoweekday() in weekdays(spec)}
    out = []
    own = frozenset(range(1, 8) if spec["freq"] == "dates" else weekdays(spec))  # days people chose themselves
    for nominal in nominal_dates(spec, at, tz, start, end):
        actual = apply_holiday(nominal, policy, used, own)
        if actual is not None:
            used.add(actual.date())
            out.append((nominal.date(), actual))
    return out
