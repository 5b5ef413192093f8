"""Every page of the web console, as an admin, a regional secretary and a branch secretary see it,
over a region with a year behind it and a month ahead: no repr, no None, no raw code, times in
Beijing time, nothing to come counted as missed."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.bot.web.conftest import PAGES, Web
from tests.truth import untrue, visible_text
from tests.year import Year, seed_year

EVENT_LINK = re.compile(r'href="/events/(\d+)"')


async def _read(client: httpx.AsyncClient, path: str) -> tuple[str, str]:
    answer = await client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.text, visible_text(answer.text)


async def _every_page(client: httpx.AsyncClient, locale: str) -> dict[str, str]:
    """Each page and each event page it links to (this month's and the year's): path -> visible text."""
    seen: dict[str, str] = {}
    for path in [*PAGES, "/events?month=2026", "/points?member=5"]:
        html, text = await _read(client, f"{path}{'&' if '?' in path else '?'}lang={locale}")
        seen[path] = text
        for event_id in EVENT_LINK.findall(html):
            if f"/events/{event_id}" not in seen:
                seen[f"/events/{event_id}"] = (await _read(client, f"/events/{event_id}?lang={locale}"))[1]
    return seen


@pytest.mark.parametrize("name", ["李红", "王建国", "张伟"])
async def test_every_page_shows_true_data_in_both_languages(web: Web, name: str) -> None:
    year = await seed_year(web.h)
    client = await web.login(name)
    for locale in ("zh-CN", "en"):
        pages = await _every_page(client, locale)
        assert len(pages) > len(PAGES) + 5, pages.keys()  # event pages were reached too
        for path, text in pages.items():
            assert not untrue(text, locale), (name, locale, path, untrue(text, locale), text[:400])
    await _check_zh_facts(client, year, name)


async def _check_zh_facts(client: httpx.AsyncClient, year: Year, name: str) -> None:
    zh = {path: text for path, text in (await _every_page(client, "zh-CN")).items()}
    duty = zh["/duty"]  # all three shifts are of 红星's members: every reader here sees them
    assert year.night_shift in duty and "2026-12-02 19:00" not in duty  # Beijing time, not UTC
    assert year.day_shift in duty and "已下岗" in duty and "缺岗" in duty and "待上岗" in duty
    assert "（pending）" not in duty and "赵强 → 钱多多" in duty and "待答复" in duty  # the swap, in words
    assert duty.count(year.night_shift) == 2  # the shift and the swap asked for it, both in Beijing time
    for event_id in year.future:
        page = zh.get(f"/events/{event_id}")
        if page is None:
            continue  # not this reader's
        lines = page.splitlines()
        assert "未开始" in lines and "缺席" not in lines and "实到" not in lines, page  # nobody is absent yet
        assert "活动尚未开始" in page
        assert 'id="makeup"' not in (await client.get(f"/events/{event_id}")).text  # no make-up form
    activity = zh.get(f"/events/{year.future[1]}")
    if activity is not None:
        assert "赵强（出差）" in activity  # leave shown before the start
    store = zh["/store"]
    assert "物品" in store and "built-in" not in store
    ideas = zh["/ideas"]
    assert "待审" in ideas and "采纳" in ideas
    if name != "张伟":
        assert ideas.count("不采纳") >= 1  # the review form is offered on what awaits review
    members = zh["/members"]
    assert "支部书记" in members and "branch_secretary" not in members
    terms = zh["/terms"].replace("\n", " ")  # on 2 December: 红星's term ends on the 20th, 绿源's ended on 1 June
    assert "红星机械党支部 张伟 赵强、钱多多 2023-12-20 3 年 2026-12-20 还有 18 天届满" in terms
    if name == "张伟":
        assert "绿源" not in terms  # his branch only
    else:
        assert "绿源科技党支部 刘芳 吴静 2023-06-01 3 年 2026-06-01 已逾期 184 天" in terms
        assert terms.index("绿源") < terms.index("红星") < terms.index("新兴物流党支部 未登记换届")
    recruits_page = zh["/recruits"].replace("\n", " ")
    assert (
        "冯军" in recruits_page
        and "入党积极分子 2025-06-01 张伟、赵强 1 列为发展对象（2026年6月1日 起）" in recruits_page
    )
    assert "孙八" in recruits_page and "入党申请人 2026-11-20" in recruits_page and "activist" not in recruits_page
    dues = zh["/dues"].replace("\n", " ")  # amounts, never a base
    assert "赵强 红星机械党支部 — " in dues or "赵强 — " in dues
    assert "90.00" in dues and "待交" in dues and "6000" not in dues and "2800" not in dues


async def test_a_branch_secretary_sees_the_secretaries_meeting_he_was_expected_at(web: Web) -> None:
    year = await seed_year(web.h)
    client = await web.login("张伟")
    past = year.past[0]  # January's 书记例会: 张伟 and 刘芳 were there
    text = (await _read(client, f"/events/{past}"))[1]
    assert "张伟" in text and "刘芳" in text and "书记例会" in text
    assert 'id="makeup"' not in (await client.get(f"/events/{past}")).text  # not his to make up


async def test_on_the_first_day_the_overview_lists_no_dormant_branch(web: Web) -> None:
    client = await web.login("李红")
    html = (await client.get("/")).text
    text = visible_text(html)
    assert "长期没有活动的支部" not in text
    assert 'class="unmet"' not in html and 'class="open"' in html  # this month is under way, not failed
    assert "本联合党委 2026年12月1日 启用" in text  # said where the quarter's figures begin
