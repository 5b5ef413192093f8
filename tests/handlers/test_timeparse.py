"""Chinese date and time forms."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.core.timeparse import WhenError, parse_when

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=TZ)  # a Sunday


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("12月2日 14:00 党群服务中心", "2026-12-02 14:00", "党群服务中心"),
        ("12月2号 14：00", "2026-12-02 14:00", ""),
        ("2026-12-05 19:30 a b", "2026-12-05 19:30", "a b"),
        ("2026年12月5日 9点", "2026-12-05 09:00", ""),
        ("12/3 8:05", "2026-12-03 08:05", ""),
        ("明天 下午3点半 会议室", "2026-11-23 15:30", "会议室"),
        ("明天下午2点", "2026-11-23 14:00", ""),
        ("后天 晚上7点", "2026-11-24 19:00", ""),
        ("今天 中午12点", "2026-11-22 12:00", ""),
        ("周二 14:00", "2026-11-24 14:00", ""),
        ("下周二 14:00", "2026-11-24 14:00", ""),  # Sunday: next week starts tomorrow
        ("星期日 9:00", "2026-11-22 09:00", ""),
        ("下下周一 9:00", "2026-11-30 09:00", ""),
        ("1月5日 8点", "2027-01-05 08:00", ""),  # typed in November: next January
        ("上午10点15分 x", None, None),  # a time alone is no date (publish allows it: today)
    ],
)
def test_forms(text: str, expected: str | None, rest: str | None) -> None:
    if expected is None:
        with pytest.raises(WhenError):
            parse_when(text, NOW, TZ)
        return
    got = parse_when(text, NOW, TZ)
    assert got.at.strftime("%Y-%m-%d %H:%M") == expected
    assert got.rest == rest


@pytest.mark.parametrize(
    ("text", "code"),
    [("2月30日 9:00", "bad_date"), ("明天 24:00", "bad_time"), ("明天", "no_time"), ("某天 9:00", "no_date")],
)
def test_errors(text: str, code: str) -> None:
    with pytest.raises(WhenError) as err:
        parse_when(text, NOW, TZ)
    assert err.value.code == code


@given(st.text(max_size=60))
def test_never_raises_anything_but_when_error(text: str) -> None:
    try:
        got = parse_when(text, NOW, TZ)
    except WhenError:
        return
    assert got.at.tzinfo is TZ


@given(st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), st.integers(0, 59))
def test_month_day_roundtrip(month: int, day: int, hour: int, minute: int) -> None:
    got = parse_when(f"{month}月{day}日 {hour}:{minute:02d}", NOW, TZ)
    assert (got.at.month, got.at.day, got.at.hour, got.at.minute) == (month, day, hour, minute)


def test_periods_as_secretaries_name_them() -> None:
    from handlers.core.timeparse import Period, parse_period

    today = date(2026, 11, 28)
    cases = {
        "": (date(2026, 11, 1), date(2026, 12, 1), "month"),
        "本月": (date(2026, 11, 1), date(2026, 12, 1), "month"),
        "上月": (date(2026, 10, 1), date(2026, 11, 1), "month"),
        "本季": (date(2026, 10, 1), date(2027, 1, 1), "quarter"),
        "上季度": (date(2026, 7, 1), date(2026, 10, 1), "quarter"),
        "本年": (date(2026, 1, 1), date(2027, 1, 1), "year"),
        "去年": (date(2025, 1, 1), date(2026, 1, 1), "year"),
        "2026年": (date(2026, 1, 1), date(2027, 1, 1), "year"),
        "２０２５": (date(2025, 1, 1), date(2026, 1, 1), "year"),
        "2026-02": (date(2026, 2, 1), date(2026, 3, 1), "month"),
        "2026年12月": (date(2026, 12, 1), date(2027, 1, 1), "month"),
        "3月": (date(2026, 3, 1), date(2026, 4, 1), "month"),
        "last month": (date(2026, 10, 1), date(2026, 11, 1), "month"),
        "2026-01-05至2026-03-15": (date(2026, 1, 5), date(2026, 3, 16), "range"),  # both days included
        "2026-1-1~2026-3-31": (date(2026, 1, 1), date(2026, 4, 1), "quarter"),
    }
    for text, (start, end, kind) in cases.items():
        assert parse_period(text, today) == Period(start, end, kind), text
    assert parse_period("上月", date(2026, 1, 15)) == Period(date(2025, 12, 1), date(2026, 1, 1), "month")
    for wrong in ("2026-13", "13月", "明年后年", "1999", "本周", "2026-03-01至2026-02-01", "2026-02-30至2026-03-01"):
        assert parse_period(wrong, today) is None, wrong
    assert Period.between(date(2026, 4, 1), date(2026, 7, 1)).kind == "quarter"
    assert Period.between(date(2026, 5, 1), date(2026, 8, 1)).kind == "range"  # not a calendar quarter
    assert Period.between(date(2026, 1, 1), date(2027, 1, 1)).kind == "year"
