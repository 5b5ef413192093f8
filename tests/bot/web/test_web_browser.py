"""The web console in a real browser: Debian's headless Chromium driven by Playwright, against the
console served by uvicorn on the harness's app. Screenshots of every page go to
data/screens/<test> (not committed)."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import insert, select

from bot.cli.roster import import_roster
from bot.web.serve import WebServer
from storage.models import Attendance, Member, Redemption
from tests.bot.web.conftest import PAGES
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.year import seed_year

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
LINK = re.compile(r"https?://\S+/login\?t=\S+")


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """In the browser on SQLite only: the same pages on PostgreSQL are the HTTP tests' (test_web_http)."""
    return sqlite_url


@pytest.fixture
async def served(h: Harness) -> AsyncIterator[str]:
    server = WebServer(h.app, "127.0.0.1:0")
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert HAVE_CHROMIUM, "the browser tests need Debian's chromium: apt-get install chromium"
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def link_for(h: Harness, name: str, base: str) -> str:
    found = LINK.search((await h.dm("后台", user=f"u-{name}"))[0])
    assert found
    return base + "/login?" + found.group(0).split("?", 1)[1]


async def open_as(browser: Browser, h: Harness, name: str, base: str) -> Page:
    page = await (await browser.new_context(accept_downloads=True)).new_page()
    await page.goto(await link_for(h, name, base))
    return page


async def test_a_secretary_works_through_every_page(
    h: Harness, served: str, browser: Browser, request: pytest.FixtureRequest
) -> None:
    shots = Path("data/screens") / re.sub(r"\W+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    await h.say("上架 保温杯 10 5", user="u-李红", chat=REGION_CHAT)
    await h.say("调整积分 赵强 +30 表彰", user="u-李红", chat=REGION_CHAT)
    await h.say("兑换 保温杯", user="u-赵强", chat=GROUP)
    day = (await h.say("发布 党员活动日 今天 9:20 车间 志愿服务", user="u-张伟"))[0].split("#")[1].split()[0]
    await h.say("签到", user="u-赵强")
    h.clock.advance(minutes=25)  # the activity has started: it counts in this month's rates

    page = await open_as(browser, h, "李红", served)
    assert await page.title() == "党建助手 · 后台"
    assert await page.locator("table.chart meter").count() == 1  # the attendance chart, drawn without any script
    for path in PAGES:
        answer = await page.goto(served + path)
        assert answer is not None and answer.status == 200, path
        await page.screenshot(path=str(shots / f"{path.strip('/') or 'overview'}.png"), full_page=True)

    await page.goto(served + "/store")
    await page.get_by_role("button", name="批准").first.click()
    await page.wait_for_url(re.compile(r"/store\?flash="))
    assert "兑换 #1 已批准" in await page.locator(".flash").inner_text()
    assert (await h.rows(select(Redemption.status)))[0][0] == "approved"

    await page.goto(f"{served}/events/{day}")
    assert "赵强" in await page.locator("table.summary").inner_text()
    await page.locator("#makeup select").select_option("钱多多")
    await page.locator("#makeup button").click()
    await page.wait_for_url(re.compile(rf"/events/{day}\?flash="))
    assert "钱多多" in await page.locator(".flash").inner_text()
    assert "钱多多" not in await page.locator("#absent").inner_text()
    who = select(Attendance.status).join(Member, Member.id == Attendance.member_id).where(Member.name == "钱多多")
    assert await h.rows(who) == [("makeup",)]
    await page.screenshot(path=str(shots / "event.png"), full_page=True)

    await page.goto(served + "/export")
    async with page.expect_download() as info:
        await page.locator("#download").click()
    download = await info.value
    saved = shots / "ledger.xlsx"
    await download.save_as(str(saved))
    assert saved.read_bytes()[:2] == b"PK" and download.suggested_filename.endswith(".xlsx")


async def test_the_browser_is_refused_what_it_may_not_have(h: Harness, served: str, browser: Browser) -> None:
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-刘芳", chat="绿源群")
    theirs = (await h.say("发布 支委会 明天 9:00 办公室", user="u-刘芳", chat="绿源群"))[0].split("#")[1].split()[0]
    link = await link_for(h, "张伟", served)
    page = await (await browser.new_context()).new_page()
    await page.goto(link)
    answer = await page.goto(f"{served}/events/{theirs}")
    assert answer is not None and answer.status == 404  # as for an event that does not exist
    assert "找不到这个页面" in await page.content() and "办公室" not in await page.content()

    used = await (await browser.new_context()).new_page()
    answer = await used.goto(link)  # the link again, elsewhere
    assert answer is not None and answer.status == 403 and "已经用过" in await used.content()
    late = await link_for(h, "张伟", served)
    h.clock.advance(minutes=11)
    answer = await used.goto(late)
    assert answer is not None and answer.status == 403

    posted = await page.request.post(served + "/act", form={"do": "makeup", "event": theirs, "name": "吴静"})
    assert posted.status == 403 and "表单已失效" in await posted.text()
    anonymous = await (await browser.new_context()).new_page()
    answer = await anonymous.goto(served + "/members")
    assert answer is not None and answer.status == 401 and "赵强" not in await anonymous.content()


WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("name", ["李红", "张伟"])
async def test_every_page_reads_well_at_desktop_and_phone_widths(
    h: Harness, served: str, browser: Browser, request: pytest.FixtureRequest, name: str
) -> None:
    """A year of data, every page at 1280 px and 390 px: nothing wider than the screen, the chart's
    every branch on a row of its own, the calendar with its weekdays; screenshots to look at."""
    year = await seed_year(h)
    shots = Path("data/screens") / re.sub(r"\W+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    link = await link_for(h, name, served)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(link)
    paths = [*PAGES, f"/events/{year.past[0]}", f"/events/{year.future[1]}"]
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        for path in paths:
            answer = await page.goto(served + path)
            assert answer is not None and answer.status == 200, path
            scroll = await page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (label, path, scroll)  # no sideways scrolling, not one character a line
            file = (path.strip("/").replace("/", "-") or "overview") + f"-{label}.png"
            await page.screenshot(path=str(shots / file), full_page=True)
        await page.goto(served + "/")
        rows = await page.locator("table.chart tbody tr").all()
        boxes = [await r.bounding_box() for r in rows]
        assert boxes and all(b is not None for b in boxes)
        tops = sorted((b["y"], b["y"] + b["height"]) for b in boxes if b)
        assert all(a[1] <= b[0] + 0.5 for a, b in itertools.pairwise(tops))  # no label over another
        await page.goto(served + "/calendar")
        assert await page.locator("table.month thead th").all_inner_texts() == list("一二三四五六日")
    await context.close()


async def test_a_large_region_wide_event_is_shown_branch_by_branch(
    h: Harness, served: str, browser: Browser, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A Party lesson expecting 600 more members in 30 more branches: the region's counts, a row of
    counts per branch (25 a page), a branch's names only when it is opened; at both widths."""
    shots = Path("data/screens") / re.sub(r"\W+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    roster = tmp_path / "big.csv"
    rows = ["姓名,支部,角色,手机,telegram_id,wecom_userid,流动党员"]
    rows += [f"党员{b:02d}{m:02d},第{b:02d}党支部,{'支部书记' if m == 1 else '党员'},,,,否"
             for b in range(1, 31) for m in range(1, 21)]  # fmt: skip
    roster.write_text("\n".join(rows), encoding="utf-8")
    await import_roster(h.app.db, roster, "城东联合党委", h.clock.now())
    said = await h.say("发布 专题党课 今天 9:30 党校 学习全会精神", user="u-李红", chat=REGION_CHAT)
    lesson = int(said[0].split("#")[1].split()[0])
    marks = {**{f"党员03{m:02d}": "on_time" for m in range(1, 11)}, "党员0311": "late", "党员0312": "leave",
             "党员0401": "on_time"}  # fmt: skip

    async def mark(conn: Any) -> None:
        ids = dict((await conn.execute(select(Member.name, Member.id).where(Member.name.in_(marks)))).all())
        await conn.execute(
            insert(Attendance),
            [{"event_id": lesson, "member_id": ids[name], "status": status, "platform": "telegram",
              "reason": "出差" if status == "leave" else None, "recorded_at": h.clock.now()}
             for name, status in marks.items()],
        )  # fmt: skip

    await h.app.db.unit(mark)
    h.clock.advance(hours=3)  # the lesson is over: who did not come is absent
    page = await open_as(browser, h, "李红", served)
    await page.goto(f"{served}/events/{lesson}")
    summary = await page.locator("table.summary").inner_text()
    expected = int(re.search(r"应到\s+(\d+)", summary).group(1))  # type: ignore[union-attr]
    assert expected > 600 and re.search(r"实到\s+12\b", summary), summary  # 11 in 第03, 1 in 第04
    assert re.search(r"请假\s+1\b", summary) and re.search(rf"缺席\s+{expected - 13}\b", summary), summary
    assert "党员0305" not in await page.content()  # names are folded
    assert await page.locator("table.branches tbody tr").count() == 25
    third = page.locator("table.branches tbody tr", has_text="第03党支部")
    assert re.sub(r"\s+", " ", await third.inner_text()).split("第03党支部", 1)[1].split() == [
        "20", "11", "1", "1", "8", "55%"  # 11 of 20 came (1 late), 1 on leave, 8 absent: 11 ÷ 20
    ]  # fmt: skip
    await third.get_by_role("link").click()
    await page.wait_for_url(re.compile(r"branch=\d+"))
    names = await page.locator("tr.names").inner_text()
    assert "党员0311" in names and "党员0312（出差）" in names and "党员0320" in names and "党员0401" not in names
    assert await page.locator("#makeup select option").count() == 8  # this branch's absentees
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, label
        await page.screenshot(path=str(shots / f"lesson-opened-{label}.png"), full_page=True)
    await page.get_by_role("link", name=re.compile("下一页")).click()
    await page.wait_for_url(re.compile(r"page=2"))
    assert "第 2 / 2 页" in await page.locator("nav.pager").inner_text()
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.screenshot(path=str(shots / "lesson-page2-desktop.png"), full_page=True)


async def test_a_joint_event_is_seen_by_both_sides_with_both_names(
    h: Harness, served: str, browser: Browser, request: pytest.FixtureRequest
) -> None:
    """A pairing's joint event on the web console of the partner branch's secretary: listed, both
    branches named, both sides' members in its summary; at 1280 px and 390 px."""
    shots = Path("data/screens") / re.sub(r"\W+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    await h.say("绑定 兴业商户联合党支部", user="u-李红", chat="兴业群")
    for name in ("陈明", "何平"):
        await h.join(name)
    await h.say("结对 红星机械党支部 兴业商户联合党支部 支部联谊", user="u-李红", chat=REGION_CHAT)
    said = await h.say("发布 党员活动日 今天 9:20 党群服务中心 重温入党誓词 联合：兴业商户联合党支部", user="u-张伟")
    number = said[0].split("#")[1].split()[0]
    await h.say("签到", user="u-何平", chat="兴业群")
    await h.say("签到", user="u-赵强")
    h.clock.advance(minutes=25)
    page = await open_as(browser, h, "陈明", served)
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.goto(served + "/events")
        row = page.locator("table.cards tbody tr", has_text="党员活动日")
        assert "红星机械党支部＋兴业商户联合党支部" in await row.inner_text()
        await page.screenshot(path=str(shots / f"events-{label}.png"), full_page=True)
        await page.goto(f"{served}/events/{number}")
        head = await page.locator("main p").first.inner_text()
        assert "红星机械党支部＋兴业商户联合党支部" in head
        summary = await page.locator("table.summary").inner_text()
        assert "何平" in summary and "赵强" in summary
        # he may make up his own branch's absentees, not the other side's (their secretary's)
        offered = await page.locator("#makeup select option").all_inner_texts()
        assert offered == ["陈明", "许晴"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        await page.screenshot(path=str(shots / f"event-{label}.png"), full_page=True)


async def test_a_units_secretary_switches_branch_in_the_header_and_an_instructor_reads_only(
    h: Harness, served: str, browser: Browser, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The 查看 switch in the header: 张伟, secretary of a 党总支 of 红星 and 绿源, picks 绿源 and sees
    its roster with its forms; 周敏, instructor of both, reads 绿源 with no form; at 1280 and 390 px."""
    shots = Path("data/screens") / re.sub(r"\W+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    for text in ("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", "党总支 机械产业党总支 书记 张伟"):
        await h.say(text, user="u-李红", chat=REGION_CHAT)
    roster = tmp_path / "instructor.csv"
    roster.write_text("姓名,支部,角色,手机\n周敏,城东联合党委机关党支部,党建指导员,13800000005\n", encoding="utf-8")
    await import_roster(h.app.db, roster, "城东联合党委", h.clock.now())
    await h.send(h.incoming(user="u-周敏", chat="@u-周敏", private=True, contact="13800000005"))
    await h.say("指导员 周敏 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    for name, forms in (("张伟", 1), ("周敏", 0)):
        page = await open_as(browser, h, name, served)
        await page.goto(served + "/members")
        await page.select_option("header select[name=place]", label="绿源科技党支部")
        await page.click("header form.place button")
        for label, (width, height) in WIDTHS.items():
            await page.set_viewport_size({"width": width, "height": height})
            await page.goto(served + "/members")  # the choice stays
            names = await page.locator("table.cards tbody td[data-label='姓名']").all_inner_texts()
            assert "吴静" in names and "赵强" not in names, names
            assert await page.locator("header select[name=place] option:checked").inner_text() == "绿源科技党支部"
            assert min(await page.locator("form[action='/act']").count(), 1) == forms
            assert (await page.locator("p.reading").count()) == 1 - forms
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
            await page.screenshot(path=str(shots / f"members-{name}-{label}.png"), full_page=True)
