"""The web console without a browser: login by one-time link, every route's authorization, CSRF,
security headers, and writes going through the chat's own commands."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from bot.web.app import WebConsole
from storage.models import AuditLog, Redemption
from tests.bot.web.conftest import PAGES, Web
from tests.handlers.test_ledger import png, send_photo, upload
from tests.harness import GROUP, REGION_CHAT, Harness


async def test_a_link_is_given_privately_to_managers_and_opens_one_session(web: Web) -> None:
    h = web.h
    assert (await h.say("后台", user="u-李红", chat=REGION_CHAT))[0].startswith("登录链接只能私聊发送")
    assert (await h.dm("后台", user="u-赵强"))[0].startswith("⛔")  # a member: no console
    path = await web.link("李红")
    first = await web.client.get("/" + path)
    assert first.status_code == 303 and first.headers["location"] == "/"
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert (await web.client.get("/")).status_code == 200
    async with web.client.__class__(transport=web.client._transport, base_url="http://console.test") as other:
        again = await other.get("/" + path)  # the same link a second time
        assert again.status_code == 403 and "已经用过" in again.text
        late = await web.link("李红")
        h.clock.advance(minutes=11)
        assert (await other.get("/" + late)).status_code == 403  # expired
        forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        assert (await other.get("/" + forged)).status_code == 403
    assert await h.count(AuditLog, AuditLog.action == "web.login") == 1


@pytest.mark.parametrize("page", [*PAGES, "/events/1", "/export/ledger.xlsx"])
async def test_without_a_session_every_page_gives_the_login_hint_and_no_data(web: Web, page: str) -> None:
    await web.h.say("发布 党员活动日 明天 15:00 党群服务中心", user="u-张伟")
    answer = await web.client.get(page)
    assert answer.status_code == 401 and "后台" in answer.text
    assert "赵强" not in answer.text and "党群服务中心" not in answer.text
    web.client.cookies.set("dj_session", "forged")
    assert (await web.client.get(page)).status_code == 401


async def test_pages_carry_the_security_headers(web: Web) -> None:
    client = await web.login("李红")
    for page in PAGES:
        answer = await client.get(page)
        assert answer.status_code == 200, page
        assert answer.headers["x-frame-options"] == "DENY"
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "no-store" in answer.headers["cache-control"]
        assert "<script>" not in answer.text  # no inline script anywhere


async def test_a_branch_secretary_sees_their_branch_only(web: Web) -> None:
    h = web.h
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-刘芳", chat="绿源群")
    ours = (await h.say("发布 党员活动日 明天 15:00 车间", user="u-张伟"))[0].split("#")[1].split()[0]
    theirs = (await h.say("发布 支委会 明天 9:00 办公室", user="u-刘芳", chat="绿源群"))[0].split("#")[1].split()[0]
    lesson = (await h.say("发布 专题党课 后天 19:00 党校", user="u-李红", chat=REGION_CHAT))[0].split("#")[1].split()[0]
    await h.say(f"请假 #{lesson} 出差", user="u-刘芳", chat="绿源群")
    client = await web.login("张伟")
    assert (await client.get(f"/events/{ours}")).status_code == 200
    shown = await client.get(f"/events/{lesson}")
    assert shown.status_code == 200 and "刘芳" not in shown.text  # region-wide: its own members' view
    assert "<th>应到</th><td>3</td>" in shown.text.replace("\n", "")  # 张伟, 赵强, 钱多多
    refused = await client.get(f"/events/{theirs}")
    assert refused.status_code == 404 and "办公室" not in refused.text
    assert (await client.get("/events/9999")).text == refused.text  # another branch's and none: alike
    members = (await client.get("/members")).text
    assert "赵强" in members and "吴静" not in members
    listing = (await client.get("/events")).text
    assert f"/events/{ours}" in listing and f"/events/{theirs}" not in listing


async def a_pending_request(web: Web) -> None:
    """赵强 asks for an item in his branch's group: redemption #1, pending."""
    await web.h.say("上架 保温杯 10 5", user="u-李红", chat=REGION_CHAT)
    await web.h.say("调整积分 赵强 +30 表彰", user="u-李红", chat=REGION_CHAT)
    await web.h.say("兑换 保温杯", user="u-赵强", chat=GROUP)


async def test_forms_need_their_csrf_token_and_go_through_the_chat_commands(web: Web) -> None:
    h = web.h
    await a_pending_request(web)
    client = await web.login("李红")
    store = await client.get("/store")
    assert "#1" in store.text and "保温杯" in store.text
    token = web.csrf(store)
    form = {"do": "approve", "id": "1", "back": "/store", "form_id": "f-approve-1"}
    refused = await client.post("/act", data=form)
    assert refused.status_code == 403 and "表单已失效" in refused.text
    assert (await h.rows(select(Redemption.status)))[0][0] == "pending"
    done = await client.post("/act", data={**form, "csrf": token})
    assert done.status_code == 303 and "flash=" in done.headers["location"]
    page = await client.get(done.headers["location"])
    assert "兑换 #1 已批准：赵强 兑换 保温杯，扣除 10 分" in page.text
    crafted = await client.get("/store", params={"flash": "请把登录链接转发给我"})  # a link made elsewhere
    assert "请把登录链接转发给我" not in crafted.text
    again = await client.post("/act", data={**form, "csrf": token})  # the same form sent twice
    assert "已批准" in (await client.get(again.headers["location"])).text
    assert (await h.rows(select(Redemption.status)))[0][0] == "approved"
    approvals = await h.rows(select(AuditLog.platform).where(AuditLog.action == "store.approve"))
    assert approvals == [("web",)]  # audited once, as done from the web
    points = await h.say("我的积分", user="u-赵强")
    assert "20" in points[0]  # debited once
    unknown = await client.post("/act", data={"do": "drop_tables", "csrf": token})
    assert unknown.status_code == 400
    for away in ("//evil.example", "/\\evil.example", "https://evil.example", "/\tevil"):
        sent = await client.post("/act", data={**form, "csrf": token, "form_id": f"f-{away}", "back": away})
        assert sent.status_code == 303 and sent.headers["location"].startswith("/?flash="), away  # home, not away


async def test_a_branch_secretary_cannot_approve_by_posting_the_form(web: Web) -> None:
    h = web.h
    await a_pending_request(web)
    client = await web.login("张伟")
    token = web.csrf(await client.get("/store"))
    answer = await client.post("/act", data={"do": "approve", "id": "1", "csrf": token, "back": "/store"})
    assert "需要联合党委书记或管理员" in (await client.get(answer.headers["location"])).text
    assert (await h.rows(select(Redemption.status)))[0][0] == "pending"


async def test_the_ledger_downloads_as_a_workbook(web: Web) -> None:
    client = await web.login("李红")
    answer = await client.get("/export/ledger.xlsx", params={"period": "本月"})
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    assert "attachment" in answer.headers["content-disposition"]
    secretary = await web.login("张伟")
    other = await secretary.get("/export/ledger.xlsx", params={"period": "本月", "branch": "绿源科技党支部"})
    assert other.status_code == 400 and other.content[:2] != b"PK"


async def test_logout_ends_the_session(web: Web) -> None:
    client = await web.login("李红")
    token = web.csrf(await client.get("/"))
    await client.post("/logout", data={"csrf": token})
    assert (await client.get("/")).status_code == 401


async def test_an_events_photos_are_shown_to_who_may_see_the_event(web: Web) -> None:
    h = web.h
    number = (await h.say("发布 党员活动日 今天 9:20 党群服务中心", user="u-张伟"))[0].split("#")[1].split()[0]
    h.clock.advance(minutes=30)  # held: its record takes photos
    shown = await send_photo(h, f"#{number}", upload(png("blue")), user="u-张伟")
    assert shown and "照片" in shown[0], shown
    client = await web.login("张伟")
    page = await client.get(f"/events/{number}")
    found = re.search(rf'src="(/events/{number}/photos/[0-9a-f]{{64}})"', page.text)
    assert found, page.text[-800:]
    picture = await client.get(found.group(1))
    assert picture.status_code == 200 and picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "no-store" in picture.headers["cache-control"]
    await h.join("刘芳")
    stranger = await web.login("刘芳")  # another branch's secretary
    assert (await stranger.get(found.group(1))).status_code == 404
    assert (await client.get(f"/events/{number}/photos/{'0' * 64}")).status_code == 404


async def test_the_overview_of_a_busy_month_shows_the_nearest_events_and_the_lowest_rates(web: Web) -> None:
    from bot.web.app import OVERVIEW_BARS, OVERVIEW_EVENTS

    for day in range(2, 2 + OVERVIEW_EVENTS + 5):  # more events this month than the overview lists
        await web.h.say(f"发布 党员活动日 12月{day}日 15:00 车间{day}", user="u-张伟")
    page = await (await web.login("李红")).get("/")
    assert page.status_code == 200
    shown = re.findall(r'<a href="/events/(\d+)">', page.text)
    assert len(shown) == OVERVIEW_EVENTS and shown[0] == "1"  # none held yet: the next ones, in order
    assert f"共 {OVERVIEW_EVENTS + 5} 个，这里是最近开过的和即将开始的 {OVERVIEW_EVENTS} 个" in page.text
    assert '<a href="/events">查看本月全部活动</a>' in page.text
    assert OVERVIEW_BARS >= 5  # the sample's five branches all fit: no "lowest" line
    assert "出勤率最低的" not in page.text


async def test_the_session_cookie_is_secure_when_the_console_is_served_over_https(db_url: str) -> None:
    h = await Harness.start(db_url, web_base_url="https://console.example.org")
    try:
        console = WebConsole(h.app)
        transport = httpx.ASGITransport(app=console.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="https://console.example.org") as client:
            link = (await h.dm("后台", user="u-李红"))[0]
            path = link.split("console.example.org", 1)[1].split()[0]
            answer = await client.get(path)
            assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]
    finally:
        await h.close()


async def test_a_branch_secretary_is_not_shown_other_branches_authors(web: Web) -> None:
    h = web.h
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.say("金点子：红星的想法", user="u-赵强")
    await h.say("金点子：绿源的想法", user="u-刘芳", chat="绿源群")
    mine = (await (await web.login("张伟")).get("/ideas")).text
    assert "赵强" in mine and "刘芳" not in mine and "其他支部党员" in mine
    everyone = (await (await web.login("李红")).get("/ideas")).text
    assert "赵强" in everyone and "刘芳" in everyone


async def test_the_overview_s_rates_count_a_member_where_they_were_at_each_event(web: Web) -> None:
    """A member transferred after an activity day stays counted for it in the old branch's rate."""
    h = web.h
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    h.clock.advance(hours=2)
    client = await web.login("李红")

    async def rates() -> dict[str, str]:
        page = await client.get("/")
        assert page.status_code == 200
        return dict(re.findall(r'<tr><td>([^<]+)</td><td class="bar">.*?<td class="num">([^<]+)</td>', page.text))

    before = await rates()
    assert before["红星机械党支部"] == "33%"  # 1 of the 3 expected
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.join("刘芳")
    assert (await h.say("转出 赵强 绿源科技党支部", user="u-张伟"))[0].startswith("📤")
    assert (await h.say("转入 赵强", user="u-刘芳", chat="绿源群"))[0].startswith("📥")
    web.console._overviews.clear()  # its figures are kept 30 s
    assert await rates() == before
