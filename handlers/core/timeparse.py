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
PAST_DAYS = 183  # a month and day at most half a year ago is that past day; further back, next year's
MAX_YEARS_AHEAD = 2  # a date further away is a typo, not a plan
MAX_YEARS_BACK = 10  # a day that has been (an election held): further back is a typo
# full-width digits and signs are what a Chinese input method types: read as ASCII (one for one,
# so positions in the text stay the same); other scripts' digits are not numbers here
FULL_WIDTH = str.maketrans("０１２３４５６７８９：－／．", "0123456789:-/.")


def ascii_digits(text: str) -> str:
    """Full-width digits and separators as ASCII, length kept."""
    return text.translate(FULL_WIDTH)


_SEP = r"[\s,，]*"
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_N = r"(?:[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3})"  # 5, 05, 五, 十二, 二十五
_DATE = re.compile(
    r"^(?:"
    r"(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})\s*[日号]?"
    rf"|(?P<m2>{_N})\s*月\s*(?P<d2>{_N})\s*[日号]?"
    r"|(?P<m3>[0-9]{1,2})[-/.](?P<d3>[0-9]{1,2})(?![0-9:：.])"
    rf"|(?P<nm>下个?月|上个?月|本月|这个?月)\s*(?P<d4>{_N})\s*[日号]"
    r"|(?P<rel>大后天|后天|明天|明日|今天|今日)"
    r"|(?P<part>今晚|明晚|今早|明早)"
    r"|(?P<wk>下下|下|上|本|这)?\s*(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    rf"|(?P<d5>{_N})\s*[日号]"
    r")"
)
_DATE_STARTS = frozenset("0123456789零〇一二两三四五六七八九十今明后大下上本这周星礼")
_PARTS = {"今晚": (0, "晚上"), "明晚": (1, "晚上"), "今早": (0, "早上"), "明早": (1, "早上")}
_PERIOD = r"(?P<p>凌晨|上午|早上|早晨|中午|下午|傍晚|晚上|夜里|晚)?"
_TIME = re.compile(
    r"^" + _PERIOD + r"\s*(?:"
    r"(?P<h>[0-9]{1,2})\s*[:：]\s*(?P<mi>[0-9]{2})"
    rf"|(?P<h2>{_N})\s*[点时]\s*(?:(?P<half>半)|(?P<q>一刻|三刻)|(?P<mi2>[0-9]{{1,2}})\s*分?"
    r"|(?P<mi3>[零〇一二两三四五六七八九十]{1,3})\s*分|(?P<mi4>[二三四五]?十[一二三四五六七八九]?))?"
    r")"
)
AMBIGUOUS_HOURS = range(1, 8)  # "3点" alone: 3:00 or 15:00? asked back ("下午3点", "15:00")
_EVENING = ("下午", "傍晚", "晚上", "夜里", "晚")


def number(text: str) -> int:
    """12, 05, 五, 十二, 二十五, 三十一 as an integer (ValueError for what is not one)."""
    if text.isascii():
        return int(text)
    tens, ten, ones = text.partition("十")
    if not ten:
        if len(text) != 1:
            raise ValueError(text)
        return _CN_DIGITS[text]
    if len(tens) > 1 or len(ones) > 1 or (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
        raise ValueError(text)
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


class WhenError(ValueError):
    """The text has no date, no time, or an impossible, ambiguous or past one; `code` names which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ParsedWhen:
    at: datetime  # aware, in the given zone
    rest: str  # what followed the date and time


def _resolve_date(m: re.Match[str], today: date, *, past: bool = False) -> date:
    g = m.groupdict()
    earliest, latest = (MAX_YEARS_BACK, 1) if past else (1, MAX_YEARS_AHEAD)  # past: next year read, then refused
    if g["y"] and not today.year - earliest <= int(g["y"]) <= today.year + latest:
        raise WhenError("too_far")
    try:
        if g["y"]:
            return date(int(g["y"]), int(g["m"]), int(g["d"]))
        if g["m2"] or g["m3"]:
            month, day = (number(g["m2"]), number(g["d2"])) if g["m2"] else (int(g["m3"]), int(g["d3"]))
            return resolve_month_day(month, day, today)
        if g["nm"]:
            first = today.replace(day=1)
            if g["nm"].startswith("下"):
                first = (first + timedelta(days=32)).replace(day=1)
            elif g["nm"].startswith("上"):
                first = (first - timedelta(days=1)).replace(day=1)
            return first.replace(day=number(g["d4"]))
        if g["d5"]:
            return resolve_day(number(g["d5"]), today)
    except ValueError as exc:
        raise WhenError("bad_date") from exc
    if g["rel"]:
        return today + timedelta(days=RELATIVE_DAYS[g["rel"]])
    if g["part"]:
        return today + timedelta(days=_PARTS[g["part"]][0])
    target = WEEKDAYS[g["wd"]]
    monday = today - timedelta(days=today.weekday())
    prefix = g["wk"] or ""
    if prefix == "下":
        return monday + timedelta(days=7 + target)
    if prefix == "下下":
        return monday + timedelta(days=14 + target)
    if prefix == "上":
        return monday - timedelta(days=7 - target)
    this_week = monday + timedelta(days=target)
    if prefix in ("本", "这"):
        return this_week
    return this_week if this_week >= today else this_week + timedelta(days=7)


def resolve_day(day: int, today: date) -> date:
    """ "5号" alone: this month's 5th if it is still to come (or today), else next month's.
    Raises ValueError when that month has no such day."""
    if day >= today.day:
        return today.replace(day=day)
    return (today.replace(day=1) + timedelta(days=32)).replace(day=day)


def resolve_month_day(month: int, day: int, today: date) -> date:
    """A month and day without a year is the nearer of this year's and next year's: "1月5日"
    typed in December means next January, "9月1日" typed in December the September just past
    (a past date: refused, or recorded as held with 补录), never next September silently.
    2月29日 in a year without one is the next leap day within a year. Raises ValueError for an
    impossible date."""
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return date(today.year + 1, month, day)  # ValueError again: no such day in either year
    if (today - candidate).days > PAST_DAYS:
        candidate = date(today.year + 1, month, day)
    return candidate


def _resolve_time(m: re.Match[str], implied: str | None = None) -> time:
    g = m.groupdict()
    period = g["p"] or implied
    try:
        if g["h"] is not None:
            hour, minute = int(g["h"]), int(g["mi"])
        else:
            hour = number(g["h2"])
            if g["half"]:
                minute = 30
            elif g["q"]:
                minute = 15 if g["q"] == "一刻" else 45
            else:
                spelled = g["mi2"] or g["mi3"] or g["mi4"]
                minute = number(spelled) if spelled else 0
    except ValueError as exc:
        raise WhenError("bad_time") from exc
    if g["h"] is None and period is None and hour in AMBIGUOUS_HOURS:
        raise WhenError("ambiguous_time")
    if (period in _EVENING and hour < 12) or (period == "中午" and hour < 6):
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise WhenError("bad_time")
    return time(hour, minute)


def _time_match(text: str) -> re.Match[str] | None:
    tm = _TIME.match(ascii_digits(text))
    return tm if tm and (tm.group("h") is not None or tm.group("h2") is not None) else None


def parse_time(text: str) -> tuple[time, str]:
    """A time at the start of text (14:00, 下午2点, 9点半, 晚上七点) and what follows it (as typed)."""
    s = text.strip()
    tm = _time_match(s)
    if tm is None:
        raise WhenError("no_time")
    return _resolve_time(tm), s[tm.end() :].strip()


def parse_when(text: str, now: datetime, tz: ZoneInfo, *, date_optional: bool = False) -> ParsedWhen:
    """Parse a date and a time at the start of text; the date comes first, the time is required.
    With `date_optional`, a time alone is today's (asked back when it has passed). What follows
    them is returned as typed."""
    s = text.strip()
    today = now.astimezone(tz).date()
    dm = _DATE.match(ascii_digits(s))
    implied = None
    if dm:
        day = _resolve_date(dm, today)
        implied = _PARTS[dm.group("part")][1] if dm.group("part") else None
        s = re.sub("^" + _SEP, "", s[dm.end() :])
    elif date_optional and _time_match(s) is not None:
        day = today
    else:
        raise WhenError("no_date")
    tm = _time_match(s)
    if tm is None:
        raise WhenError("no_time")
    at = datetime.combine(day, _resolve_time(tm, implied), tzinfo=tz)
    if not dm and at <= now:
        raise WhenError("time_passed")
    return ParsedWhen(at=at, rest=s[tm.end() :].strip())


def find_when(text: str, now: datetime, tz: ZoneInfo) -> tuple[int, int, datetime] | None:
    """The first date and time written anywhere in a sentence ("明天下午三点开书记例会",
    "下周三晚上7点在党校上党课"): (start, end, when), or None when there is none. A date or time
    that is there but impossible or ambiguous raises WhenError (to be asked back)."""
    text = text.rstrip()
    digits = ascii_digits(text)
    for start, char in enumerate(digits):
        if char not in _DATE_STARTS or (start and digits[start - 1].isdigit()):
            continue  # a date starts with one of these, a number from its first digit
        dm = _DATE.match(digits[start:])
        if dm is None:
            continue
        if _time_match(re.sub("^" + _SEP, "", text[start + dm.end() :])) is None:
            continue
        got = parse_when(text[start:], now, tz)
        return start, len(text) - len(got.rest), got.at
    return None


def parse_date(text: str, today: date, *, past: bool = False) -> date:
    """A date alone, in any form parse_when reads (2026-12-07, 2026/12/7, 12月5日, 明天 …).
    `past`: a day that has been (an election held): a year up to MAX_YEARS_BACK ago, and a month
    and day without a year the latest such day up to today."""
    s = text.strip()
    dm = _DATE.match(ascii_digits(s))
    if not dm or s[dm.end() :].strip():
        raise WhenError("no_date")
    found = _resolve_date(dm, today, past=past)
    if past and found > today and (dm.group("m2") or dm.group("m3")):
        try:
            return found.replace(year=today.year - 1) if found.year == today.year else found.replace(year=today.year)
        except ValueError as exc:  # 2月29日 of a year without one
            raise WhenError("bad_date") from exc
    return found


_NUMBERED = re.compile(r"^\s*(#|＃)?\s*([0-9]+)(?![0-9])\s*(.*)$", re.S | re.A)
NOT_FOUND = 0  # a number too long to be anyone's: looked up, found nothing


def numbered(args: str, *, hash_required: bool = False) -> tuple[int | None, str]:
    """'#12 rest' / '12 rest' -> (12, 'rest' as typed); full-width digits and ＃ read too. A number
    of more than 9 digits is NOT_FOUND (0), never an error; none at all -> (None, args)."""
    m = _NUMBERED.match(ascii_digits(args))
    if not m or (hash_required and not m.group(1)):
        return None, args.strip()
    digits = m.group(2)
    return (int(digits) if len(digits) <= 9 else NOT_FOUND), args[m.start(3) :].strip()


def whole_number(text: str, low: int, high: int) -> int | None:
    """An integer typed with ASCII or full-width digits (and a sign) within [low, high]; else None
    ("²", "٣", 99999999999 are not accepted)."""
    m = re.fullmatch(r"([+-]?)([0-9]{1,12})", ascii_digits(text.strip()).replace("＋", "+"), re.A)
    if not m:
        return None
    value = int(m.group(1) + m.group(2))
    return value if low <= value <= high else None


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in local dates; kind says how to name it (month / quarter / year / range)."""

    start: date
    end: date
    kind: str

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        """[start, end): named as a month, quarter or year when it is exactly one."""
        if start.day == 1 and end.day == 1:
            months = (end.year - start.year) * 12 + end.month - start.month
            kind = {1: "month", 3: "quarter", 12: "year"}.get(months)
            if (
                kind is not None
                and (kind != "quarter" or start.month % 3 == 1)
                and (kind != "year" or start.month == 1)
            ):
                return cls(start, end, kind)
        return cls(start, end, "range")

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as local midnights (aware datetimes)."""
        return (
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=tz),
            datetime(self.end.year, self.end.month, self.end.day, tzinfo=tz),
        )


def _month(year: int, month: int, months: int = 1) -> Period:
    index = year * 12 + month - 1 + months
    kind = {1: "month", 3: "quarter", 12: "year"}.get(months, "range")
    return Period(date(year, month, 1), date(index // 12, index % 12 + 1, 1), kind)


def _iso(day: str) -> str:
    year, month, dd = day.split("-")
    return f"{year}-{int(month):02d}-{int(dd):02d}"


_PERIOD_WORDS = {
    "本月": (0, 1), "这个月": (0, 1), "this month": (0, 1),
    "上月": (-1, 1), "上个月": (-1, 1), "last month": (-1, 1),
    "本季": (0, 3), "本季度": (0, 3), "this quarter": (0, 3),
    "上季": (-3, 3), "上季度": (-3, 3), "last quarter": (-3, 3),
    "本年": (0, 12), "今年": (0, 12), "this year": (0, 12),
    "去年": (-12, 12), "上年": (-12, 12), "last year": (-12, 12),
}  # fmt: skip
_YEAR = re.compile(r"^(20\d\d)\s*年?$")
_YEAR_MONTH = re.compile(r"^(20\d\d)\s*(?:年|-|/|\.)\s*(\d{1,2})\s*月?$")


_RANGE = re.compile(r"^(20\d\d-\d{1,2}-\d{1,2})\s*(?:至|到|~|～|\.\.)\s*(20\d\d-\d{1,2}-\d{1,2})$")


def parse_period(text: str, today: date) -> Period | None:
    """'本月' '上月' '本季' '上季' '本年' '去年' '2026年' '2026' '2026-11' '2026年11月' '11月'
    '2026-01-01至2026-03-15' (both days included) -> the period; '' is this month; None when it is
    not a period (or a range that ends before it starts)."""
    s = ascii_digits(text.strip()).lower()
    if not s:
        s = "本月"
    if m := _RANGE.match(s):
        try:
            first, last = date.fromisoformat(_iso(m.group(1))), date.fromisoformat(_iso(m.group(2)))
        except ValueError:
            return None
        return Period.between(first, last + timedelta(days=1)) if first <= last else None
    if s in _PERIOD_WORDS:
        shift, months = _PERIOD_WORDS[s]
        first_month = today.month if months == 1 else (1 if months == 12 else (today.month - 1) // 3 * 3 + 1)
        index = today.year * 12 + first_month - 1 + shift
        return _month(index // 12, index % 12 + 1, months)
    if m := _YEAR.match(s):
        return _month(int(m.group(1)), 1, 12)
    if (m := _YEAR_MONTH.match(s)) and 1 <= int(m.group(2)) <= 12:
        return _month(int(m.group(1)), int(m.group(2)))
    if (m := re.match(r"^(\d{1,2})\s*月$", s)) and 1 <= int(m.group(1)) <= 12:
        return _month(today.year, int(m.group(1)))
    return None
