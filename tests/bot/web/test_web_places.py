"""The web console for those whose reach is wider than one branch: a 党总支's secretary switches to
each branch of the unit and manages it there through the one rule, nowhere else; a 党建指导员 reads
the branches they guide and can change nothing; a plain member gets no link."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.models import Branch, Member
from tests.bot.web.conftest import PAGES, Web
from tests.handlers.test_instructors import _instructor
from tests.harness import REGION_CHAT

POST_FORM = 'method="post" action="/act"'


async def _branch_ids(web: Web) -> dict[str, int]:
    return {name: bid for bid, name in await web.h.rows(select(Branch.id, Branch.name))}


async def _active(web: Web, name: str) -> bool:
    return bool((await web.h.rows(select(Member.active).where(Member.name == name)))[0][0])


async def test_a_units_secretary_switches_to_each_of_its_branches_and_manages_them_there(web: Web) -> None:
    h = web.h
    for text in ("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", "党总支 机械产业党总支 书记 张伟"):
        await h.say(text, user="u-李红", chat=REGION_CHAT)
    ids = await _branch_ids(web)
    green, other = ids["绿源科技党支部"], ids["新兴物流党支部"]
    client = await web.login("张伟")
    home = await client.get("/")
    assert home.status_code == 200 and '查看：<select name="place">' in home.text
    assert f'<option value="{ids["红星机械党支部"]}" selected>红星机械党支部</option>' in home.text
    assert f'<option value="{green}">绿源科技党支部</option>' in home.text
    assert "新兴物流党支部</option>" not in home.text  # not in his 党总支

    members = await client.get("/members", params={"place": str(green)})
    assert "吴静" in members.text and "赵强" not in members.text  # 绿源's roster, not 红星's
    assert f'<option value="{green}" selected>' in members.text
    kept = await client.get("/members")  # the choice is kept for the session
    assert "吴静" in kept.text and "赵强" not in kept.text

    form = {"do": "deactivate", "name": "吴静", "back": "/members", "csrf": web.csrf(kept), "form_id": "f-wu"}
    done = await client.post("/act", data=form)
    assert "已停用" in (await client.get(done.headers["location"])).text
    assert not await _active(web, "吴静")  # managed on 绿源, through the chat's command and rule

    elsewhere = await client.get("/members", params={"place": str(other)})  # not his: his own branch
    assert "赵强" in elsewhere.text and "吴静" not in elsewhere.text
    assert "selected>红星机械党支部</option>" in elsewhere.text


async def test_an_instructor_reads_the_branches_she_guides_and_changes_nothing(web: Web, tmp_path: Path) -> None:
    h = web.h
    await _instructor(h, tmp_path)
    await h.say("指导员 周敏 红星机械党支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    ids = await _branch_ids(web)
    client = await web.login("周敏")
    members = await client.get("/members")
    assert members.status_code == 200
    assert "赵强" in members.text and "只读：你是本支部的党建指导员" in members.text  # 红星, the first she guides
    assert POST_FORM not in members.text  # no form to deactivate or unlink
    for path in PAGES:  # every page reads as the branch's secretary's does, none offers a form
        page = await client.get(path)
        assert page.status_code == 200 and POST_FORM not in page.text, path
    green = await client.get("/members", params={"place": str(ids["绿源科技党支部"])})
    assert "吴静" in green.text and "赵强" not in green.text
    assert "城东联合党委机关党支部</option>" not in green.text  # her own branch is not hers to manage

    form = {"do": "deactivate", "name": "吴静", "back": "/members", "csrf": web.csrf(green), "form_id": "f-try"}
    sent = await client.post("/act", data=form)  # a form made by hand anyway
    assert "⛔" in (await client.get(sent.headers["location"])).text
    assert await _active(web, "吴静")

    ledger = await client.get("/export/ledger.xlsx", params={"period": "本月"})
    assert ledger.status_code == 200 and ledger.content[:2] == b"PK"  # 导出台账 reads: hers to download


async def test_a_member_who_manages_nothing_gets_no_link(web: Web) -> None:
    said = await web.h.dm("后台", user="u-赵强")
    assert said == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
