"""Dates and times as they are written in Chinese groups: every way a secretary may write a
moment reads back as that moment; an hour that could be night or afternoon, and a time of day
that has passed, are asked back rather than guessed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handlers.core.timeparse import WhenError, find_when, parse_when

TZ = ZoneInfo("Asia/Shanghai")
CN = "零一二三四五六七八九"
WEEK = "一二三四五六日"


def cn(n: int) -> str:
    """12 -> 十二, 5 -> 五, 20 -> 二十, 31 -> 三十一."""
    if n < 10:
        return CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


def date_forms(d: date, today: date) -> list[str]:
    """Every way of writing d that must mean d when typed on `today`."""
    m, day = d.month, d.day
    forms = [
        f"{d.year}-{m:02d}-{day:02d}",
        f"{d.year}年{m}月{day}日",
        f"{d.year}/{m}/{day}",
        f"{m}月{day}日",
        f"{m}月{day}号",
        f"{m}.{day}",
        f"{m}.{day:02d}",
        f"{m}-{day}",
        f"{m}/{day}",
        f"{cn(m)}月{cn(day)}日",
        f"{cn(m)}月{cn(day)}号",
    ]
    offset = (d - today).days
    forms += {0: ["今天"], 1: ["明天"], 2: ["后天"], 3: ["大后天"]}.get(offset, [])
    if 0 <= offset <= 6:
        forms += [f"周{WEEK[d.weekday()]}", f"星期{WEEK[d.weekday()]}"]
    monday = today - timedelta(days=today.weekday())
    if 7 <= (d - monday).days <= 13:
        forms.append(f"下周{WEEK[d.weekday()]}")
    if (d.year, m) == (today.year, today.month):
        forms += [f"{day}号", f"{cn(day)}号", f"本月{day}号"]
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    if (d.year, m) == (next_month.year, next_month.month):
        forms.append(f"下个月{day}号")
        if day < today.day:
            forms += [f"{day}号", f"{day}日"]
    return forms


def time_forms(hour: int, minute: int) -> list[str]:
    """Every way of writing hour:minute that must read as exactly that time."""
    forms = [f"{hour}:{minute:02d}", f"{hour:02d}:{minute:02d}", f"{hour}：{minute:02d}"]
    twelve = hour - 12 if hour > 12 else hour
    period = "上午" if hour < 12 else ("中午" if hour == 12 else ("下午" if hour < 18 else "晚上"))
    if hour == 0:
        return forms
    tail = {0: "", 30: "半", 15: "一刻", 45: "三刻"}
    if minute in tail:
        forms += [f"{period}{twelve}点{tail[minute]}", f"{period}{cn(twelve)}点{tail[minute]}"]
        if hour not in range(1, 8):
            forms.append(f"{hour}点{tail[minute]}")
    forms += [f"{period}{twelve}点{minute}分", f"{period}{cn(twelve)}点{cn(minute)}分"]
    if minute >= 10:
        forms.append(f"{period}{twelve}点{minute}")
    if hour >= 8:
        forms += [f"{hour}点{minute}分", f"{hour}时{minute}分", f"{cn(hour)}点{cn(minute)}分"]
    return forms


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda naive: naive.replace(second=0, microsecond=0, tzinfo=TZ)
)


@settings(max_examples=300, deadline=None)
@given(now=moments, ahead=st.integers(1, 170 * 24 * 60), data=st.data())
def test_every_written_form_reads_back(now: datetime, ahead: int, data: st.DataObject) -> None:
    target = now + timedelta(minutes=ahead)
    written_date = data.draw(st.sampled_from(date_forms(target.date(), now.date())), label="date")
    written_time = data.draw(st.sampled_from(time_forms(target.hour, target.minute)), label="time")
    joiner = data.draw(st.sampled_from([" ", ""] if not written_date[-1].isdigit() else [" "]), label="joiner")
    text = f"{written_date}{joiner}{written_time} 党群服务中心 学习"
    got = parse_when(text, now, TZ)
    assert got.at == target, text
    assert got.rest == "党群服务中心 学习"
    # the same words inside a sentence are found where they stand
    sentence = f"各位：{written_date}{joiner}{written_time}在党校开会"
    found = find_when(sentence, now, TZ)
    assert found is not None and found[2] == target, sentence
    assert sentence[found[1] :] == "在党校开会"


@given(now=moments, hour=st.integers(1, 7), word=st.sampled_from(["点", "点半", "点10分", "时"]), digits=st.booleans())
def test_a_bare_small_hour_is_asked_back(now: datetime, hour: int, word: str, digits: bool) -> None:
    written = f"{hour if digits else cn(hour)}{word}"
    with pytest.raises(WhenError) as err:
        parse_when(f"明天 {written} 党校", now, TZ)
    assert err.value.code == "ambiguous_time"
    # with the part of the day it is exact
    assert parse_when(f"明天 下午{written} 党校", now, TZ).at.hour == hour + 12


@given(now=moments, back=st.integers(1, 600))
def test_a_time_alone_is_today_unless_it_has_passed(now: datetime, back: int) -> None:
    start = now.replace(hour=0, minute=0)
    later = now + timedelta(minutes=back)
    if later.date() == now.date():
        assert parse_when(f"{later:%H:%M} 党校", now, TZ, date_optional=True).at == later
    earlier = now - timedelta(minutes=back)
    assume(earlier >= start)
    with pytest.raises(WhenError) as err:
        parse_when(f"{earlier:%H:%M} 党校", now, TZ, date_optional=True)
    assert err.value.code == "time_passed"
    with pytest.raises(WhenError):  # without the option a date is required
        parse_when(f"{later:%H:%M} 党校", now, TZ)


@pytest.mark.parametrize(
    "text",
    ["13.5 19:00", "2月30号 9:00", "十三月五日 9:00", "二五号 9:00", "下个月31号 9:00", "明天 二十五点"],
)
def test_impossible_dates_and_times_are_refused(text: str) -> None:
    now = datetime(2026, 1, 29, 10, 0, tzinfo=TZ)  # next month is February
    with pytest.raises(WhenError) as err:
        parse_when(text, now, TZ)
    assert err.value.code in ("bad_date", "bad_time", "no_date")


def test_chatter_without_a_time_is_not_an_announcement() -> None:
    now = datetime(2026, 11, 29, 10, 0, tzinfo=TZ)
    for text in ("我3号楼下午见", "明天见", "周五吃饭吗", "12.5 元一份", "大家辛苦了"):
        assert find_when(text, now, TZ) is None, text


def test_a_leap_day_without_a_year_is_the_next_one() -> None:
    typed_on = datetime(2027, 11, 30, 10, 0, tzinfo=TZ)
    assert parse_when("2月29日 9:00 党校", typed_on, TZ).at == datetime(2028, 2, 29, 9, 0, tzinfo=TZ)
    with pytest.raises(WhenError):  # 2026 and 2027 have no 29 February
        parse_when("2月29日 9:00 党校", datetime(2026, 3, 5, 10, 0, tzinfo=TZ), TZ)
