"""Chinese date and time expressions as secretaries type them: 12月2日, 明天, 下周二 14:00, 下午3点半."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}

_SEP = r"[\s,，]*"
_DATE = re.compile(
    r"^(?:"
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"|(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?"
    r"|(?P<m3>\d{1,2})[-/](?P<d3>\d{1,2})(?![\d:：])"
    r"|(?P<rel>大后天|后天|明天|明日|今天|今日)"
    r"|(?P<wk>下下|下|本|这)?\s*(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    r")"
)
_PERIOD = r"(?P<p>上午|早上|早晨|中午|下午|傍晚|晚上|晚)?"
_TIME = re.compile(
    r"^" + _PERIOD + r"\s*(?:"
    r"(?P<h>\d{1,2})\s*[:：]\s*(?P<mi>\d{2})"
    r"|(?P<h2>\d{1,2})\s*[点时]\s*(?:(?P<half>半)|(?P<mi2>\d{1,2})\s*分?)?"
    r")"
)


class WhenError(ValueError):
    """The text has no date, no time, or an impossible one; `code` names which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ParsedWhen:
    at: datetime  # aware, in the given zone
    rest: str  # what followed the date and time


def _resolve_date(m: re.Match[str], today: date) -> date:
    g = m.groupdict()
    try:
        if g["y"]:
            return date(int(g["y"]), int(g["m"]), int(g["d"]))
        if g["m2"] or g["m3"]:
            month, day = (int(g["m2"]), int(g["d2"])) if g["m2"] else (int(g["m3"]), int(g["d3"]))
            return resolve_month_day(month, day, today)
    except ValueError as exc:
        raise WhenError("bad_date") from exc
    if g["rel"]:
        return today + timedelta(days=RELATIVE_DAYS[g["rel"]])
    target = WEEKDAYS[g["wd"]]
    monday = today - timedelta(days=today.weekday())
    prefix = g["wk"] or ""
    if prefix == "下":
        return monday + timedelta(days=7 + target)
    if prefix == "下下":
        return monday + timedelta(days=14 + target)
    this_week = monday + timedelta(days=target)
    if prefix in ("本", "这"):
        return this_week
    return this_week if this_week >= today else this_week + timedelta(days=7)


def resolve_month_day(month: int, day: int, today: date) -> date:
    """A month and day without a year: "1月5日" typed in December means next January, while a
    date a few weeks ago is just past. Raises ValueError for an impossible date."""
    candidate = date(today.year, month, day)
    if (today - candidate).days > 60:
        candidate = date(today.year + 1, month, day)
    return candidate


def _resolve_time(m: re.Match[str]) -> time:
    g = m.groupdict()
    hour = int(g["h"] if g["h"] is not None else g["h2"])
    minute = int(g["mi"]) if g["mi"] is not None else (30 if g["half"] else int(g["mi2"] or 0))
    period = g["p"]
    if (period in ("下午", "傍晚", "晚上", "晚") and hour < 12) or (period == "中午" and hour < 6):
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise WhenError("bad_time")
    return time(hour, minute)


def parse_time(text: str) -> tuple[time, str]:
    """A time at the start of text (14:00, 下午2点, 9点半) and what follows it."""
    s = text.strip()
    tm = _TIME.match(s)
    if not tm or (tm.group("h") is None and tm.group("h2") is None):
        raise WhenError("no_time")
    return _resolve_time(tm), s[tm.end() :].strip()


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> ParsedWhen:
    """Parse a date and a time at the start of text; the date comes first, the time is required."""
    s = text.strip()
    today = now.astimezone(tz).date()
    dm = _DATE.match(s)
    if not dm:
        raise WhenError("no_date")
    day = _resolve_date(dm, today)
    s = re.sub("^" + _SEP, "", s[dm.end() :])
    tm = _TIME.match(s)
    if not tm or (tm.group("h") is None and tm.group("h2") is None):
        raise WhenError("no_time")
    at = datetime.combine(day, _resolve_time(tm), tzinfo=tz)
    return ParsedWhen(at=at, rest=s[tm.end() :].strip())
