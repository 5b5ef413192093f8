"""组织关系转接 through the router: within the region (sent, told, taken in, one person with their
history and account), out of the region (no longer expected nor acting, accounts let go, records
kept), into the region from elsewhere, the listing, who may, and bad input."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from sqlalchemy import select

from handlers.signin import BranchCounts, branch_counts
from jobs.periodic import queue_periodic
from storage.models import Attendance, AuditLog, Branch, Member, MemberAccount, MemberTransfer, PointEntry
from storage.uow import UnitOfWork
from tests.harness import GROUP, REGION_CHAT, Harness
from tests.truth import table

LVYUAN = "绿源群"  # bound to 绿源科技党支部, whose secretary is 刘芳


async def _lvyuan(h: Harness) -> None:
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=LVYUAN)
    await h.tick(seconds=1)  # the binding notices out


async def _branch_of(h: Harness, name: str) -> tuple[str, bool]:
    rows = await h.rows(
        select(Branch.name, Member.active).join(Branch, Branch.id == Member.branch_id).where(Member.name == name)
    )
    return str(rows[0][0]), bool(rows[0][1])


async def test_within_the_region_the_sending_branch_records_and_the_receiving_one_takes_in(h: Harness) -> None:
    await _lvyuan(h)
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    points_before = await h.count(PointEntry)

    sent = await h.say("转出 赵强 绿源科技党支部 No.2026-07", user="u-张伟")
    assert sent == [
        "📤 已登记 赵强 的组织关系转出：红星机械党支部 → 绿源科技党支部，介绍信编号 No.2026-07。"
        "等绿源科技党支部在本支部群发送“转入 赵强”接收；接收前 赵强 仍在红星机械党支部参加组织生活。"
    ]
    assert await _branch_of(h, "赵强") == ("红星机械党支部", True)  # not yet moved
    told = await h.tick(seconds=5)
    assert any("红星机械党支部的 赵强 组织关系转往本支部" in t and "转入 赵强" in t and "刘芳" in t for t in told)
    assert (await h.say("转出 赵强 绿源科技党支部", user="u-张伟"))[0].startswith("赵强 已有一笔待接收的转接")

    taken = await h.say("转入 赵强", user="u-刘芳", chat=LVYUAN)
    assert taken == [
        "📥 赵强 已转入本支部（来自红星机械党支部，介绍信编号 No.2026-07）。"
        "签到、积分、值班和金点子记录随本人保留，已登记的账号照常可用。"
    ]
    assert await _branch_of(h, "赵强") == ("绿源科技党支部", True)
    back = await h.tick(seconds=5)
    assert any("赵强 的组织关系已由绿源科技党支部接收，转接完成" in t for t in back)
    # one person: the same row, the attendance and points kept, the account still theirs
    assert await h.count(Member, Member.name == "赵强") == 1
    assert await h.count(Attendance) == 1 and await h.count(PointEntry) == points_before
    assert "绿源科技党支部" in (await h.say("我是谁", user="u-赵强", chat=LVYUAN))[0]
    assert await h.count(AuditLog, AuditLog.action.in_(["member.transfer_out", "member.transfer_in"])) == 2
    listed = (await h.say("转接记录", user="u-李红", chat=REGION_CHAT))[0]
    assert "赵强：红星机械党支部 → 绿源科技党支部，介绍信编号 No.2026-07，已完成" in listed


async def test_out_of_the_region_the_member_is_no_longer_expected_and_the_records_stay(h: Harness) -> None:
    await h.join("钱多多")
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("签到", user="u-钱多多") == ["✅ 钱多多 签到成功"]
    h.clock.advance(hours=1)  # after the activity day began
    said = await h.say("转出 钱多多 北京市海淀区某科技公司党支部 京组2026-3", user="u-张伟")
    assert said == [
        "📤 钱多多 的组织关系已从红星机械党支部转出至 北京市海淀区某科技公司党支部，介绍信编号 京组2026-3。"
        "从现在起不再计入应到、不再提醒，其账号已解除登记；以往的签到、积分、值班记录保留在台账中。"
    ]
    assert await _branch_of(h, "钱多多") == ("红星机械党支部", False)
    assert await h.count(MemberAccount, MemberAccount.user_id == "u-钱多多") == 0
    assert await h.count(Attendance) == 1  # the sign-in stays
    assert (await h.say("签到", user="u-钱多多"))[0].startswith("⛔ 你还没有登记")
    record = (await h.rows(select(MemberTransfer.direction, MemberTransfer.status, MemberTransfer.place)))[0]
    assert tuple(record) == ("out", "done", "北京市海淀区某科技公司党支部")
    listed = (await h.say("转接记录", user="u-张伟"))[0]
    assert "钱多多：红星机械党支部 → 北京市海淀区某科技公司党支部（转出本联合党委）" in listed
    # the month's ledger still counts him at the day he was a member of, not at what came after
    await h.say("发布 党员活动日 明天 14:00 活动中心", user="u-张伟")
    h.clock.advance(days=1, hours=1)
    book = await _ledger(h, "导出台账 本月", user="u-张伟", chat=GROUP)
    head, *rows = table(book["活动台账"])
    counts = [(r[head.index("应到")], r[head.index("实到")]) for r in rows]
    assert counts[0][1] == 1 and counts[1][0] == counts[0][0] - 1
    assert [r[1] for r in _matrix(book)].count("钱多多") == 1


async def test_into_the_region_from_elsewhere_joins_the_roster(h: Harness) -> None:
    said = await h.say("转入 孙八 上海市某党委 沪组09", user="u-张伟")
    assert said == [
        "📥 已接收 孙八 的组织关系（来自 上海市某党委，介绍信编号 沪组09），已加入本支部花名册。"
        "请本人发送“登记 孙八”登记账号；如有手机号，请管理员补入花名册。"
    ]
    assert await _branch_of(h, "孙八") == ("红星机械党支部", True)
    assert (await h.say("登记 孙八", user="u-孙八"))[0].startswith("📨 已收到登记“孙八”的申请")
    # a name the branch has already, and a branch of the region named as the origin
    assert (await h.say("转入 赵强 外地党委", user="u-张伟"))[0].startswith("红星机械党支部已有一位 赵强")
    refused = (await h.say("转入 吴静 绿源科技党支部", user="u-张伟"))[0]
    assert refused.startswith("绿源科技党支部是本联合党委的支部：请绿源科技党支部先发送“转出 吴静")


async def test_who_may_and_bad_input(h: Harness) -> None:
    await h.join("赵强")
    assert await h.say("转出 钱多多 外地", user="u-赵强") == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
    assert "用法：转出 姓名 去向 [介绍信编号]" in (await h.say("转出 赵强", user="u-张伟"))[0]
    assert "用法：转出 姓名 去向" in (await h.say("转出", user="u-张伟"))[0]
    assert "用法：转入 姓名" in (await h.say("转入", user="u-张伟"))[0]
    assert (await h.say("转入 赵强", user="u-张伟"))[0].startswith("没有转给红星机械党支部的“赵强”")
    assert (await h.say("转入 某人 来处", user="u-李红", chat=REGION_CHAT))[0].startswith(
        "“转入”要在接收支部的群里发送"
    )
    assert (await h.say("转出 赵强 红星机械党支部", user="u-张伟"))[0] == "赵强 已经在红星机械党支部了。"
    assert (await h.say("转出 查无此人 外地", user="u-张伟"))[0].startswith("花名册中没有找到“查无此人”")
    long = "某" * 201
    assert (await h.say(f"转出 赵强 {long}", user="u-张伟"))[0] == "去向或来自太长了（最多 200 字）。"
    # a branch secretary cannot send another branch's member
    await _lvyuan(h)
    assert (await h.say("转出 吴静 外地", user="u-张伟"))[0].startswith("吴静 是其他支部的党员")
    assert await h.count(MemberTransfer) == 0


async def test_a_branch_merged_into_another_moves_its_members_and_closes(h: Harness) -> None:
    await _lvyuan(h)
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    await h.say("发展 冯军 积极分子 2026-06-01 联系人 张伟 赵强", user="u-张伟")
    assert (await h.say("合并支部 红星机械党支部 到 绿源科技党支部", user="u-张伟"))[0].startswith("⛔")  # the region's
    said = (await h.say("合并支部 红星机械党支部 到 绿源科技党支部", user="u-李红", chat=REGION_CHAT))[0]
    assert said.startswith("🔀 已将红星机械党支部并入绿源科技党支部（自 2026年12月1日 起）：4 名党员转入绿源科技党支部")
    assert "红星机械党支部的 1 个群已收到通知并解绑" in said
    assert said.endswith(
        "张伟 原为红星机械党支部书记，在绿源科技党支部为党员（权限以花名册为准；如担任职务，请更新花名册）。"
    )
    assert (await h.say("转出 吴静 外单位", user="u-张伟", chat=LVYUAN))[0].startswith("⛔")  # no secretary of 绿源
    told = await h.tick(seconds=5)
    assert any(
        t.startswith("[红星群]") and "红星机械党支部已并入绿源科技党支部" in t and "已与党建助手解绑" in t for t in told
    )
    assert any(t.startswith(f"[{LVYUAN}]") and "4 名党员转入绿源科技党支部" in t for t in told)
    # one person each, history kept; the old group answers as any unbound group
    assert await _branch_of(h, "赵强") == ("绿源科技党支部", True)
    assert await h.count(Attendance) == 1 and await h.count(Member, Member.name == "赵强") == 1
    assert await h.count(MemberTransfer, MemberTransfer.direction == "within") == 4
    assert "还没有绑定" in (await h.say("签到", user="u-赵强"))[0]
    assert "冯军" in (await h.say("发展党员", user="u-刘芳", chat=LVYUAN))[0]  # the recruit came along
    # closed: not bound again, not a destination, not counted for terms
    assert (
        "已于 2026年12月1日 撤销（或合并），不能再绑定"
        in (await h.say("绑定 红星机械党支部", user="u-李红", chat="新群"))[0]
    )
    assert "撤销（或合并）" in (await h.say("转出 吴静 红星机械党支部", user="u-刘芳", chat=LVYUAN))[0]
    assert "红星" not in (await h.say("换届提醒", user="u-李红", chat=REGION_CHAT))[0]
    h.clock.advance(days=31)  # January: the closed branch is asked for nothing any more
    life = (await h.say("组织生活", user="u-李红", chat=REGION_CHAT))[0]
    assert "绿源科技党支部" in life and "红星机械党支部" not in life
    assert await h.count(AuditLog, AuditLog.action == "branch.merge") == 1


async def test_a_closed_branch_leaves_its_members_waiting_for_transfer(h: Harness) -> None:
    await _lvyuan(h)
    assert (await h.say("撤销支部 绿源科技党支部 2026-11-30", user="u-李红", chat=REGION_CHAT))[0] == (
        "🏁 已撤销绿源科技党支部（自 2026年11月30日 起），以往的活动和台账保留原名；不再计入三会一课、月报和换届要求。"
        "其 1 个群已收到通知并解绑。\n待转接 3 人：刘芳、吴静、郑浩。"
        "请逐一发送“转出 姓名 去向”办理（本联合党委的支部或外单位）。"
    )
    told = [t for t in await h.tick(seconds=5) if t.startswith(f"[{LVYUAN}]")]
    assert told and "绿源科技党支部已撤销" in told[0]
    listed = (await h.say("转接记录", user="u-李红", chat=REGION_CHAT))[0]
    assert (
        "⏳ 待转接 3 人（所在支部已撤销）：刘芳（绿源科技党支部）、吴静（绿源科技党支部）、郑浩（绿源科技党支部）"
        in listed
    )
    # a region officer transfers one into 红星, whose secretary takes them in
    assert "等红星机械党支部" in (await h.say("转出 吴静 红星机械党支部", user="u-李红", chat=REGION_CHAT))[0]
    assert (await h.say("转入 吴静", user="u-张伟"))[0].startswith("📥 吴静 已转入本支部")
    assert "吴静" not in (await h.say("转接记录", user="u-李红", chat=REGION_CHAT))[0].split("待转接")[1]
    assert "已于 2026年11月30日 撤销" in (await h.say("撤销支部 绿源科技党支部", user="u-李红", chat=REGION_CHAT))[0]
    assert "还没到" in (await h.say("撤销支部 红星机械党支部 2026-12-05", user="u-李红", chat=REGION_CHAT))[0]
    assert "合并支部 支部名 到 支部名" in (await h.say("合并支部 红星机械党支部", user="u-李红", chat=REGION_CHAT))[0]


async def _ledger(h: Harness, text: str, *, user: str, chat: str) -> Any:
    replies = await h.send(h.incoming(text, user=user, chat=chat))
    assert replies[0].file is not None, replies[0].text
    return openpyxl.load_workbook(io.BytesIO(replies[0].file.data))


def _event_row(book: Any, kind: str) -> tuple[Any, ...]:
    """活动台账's row of the one event of that kind: (kind, scope, expected, present)."""
    head, *rows = table(book["活动台账"])
    row = next(r for r in rows if r[1] == kind)
    return row[1], row[2], row[head.index("应到")], row[head.index("实到")]


def _matrix(book: Any) -> list[tuple[Any, ...]]:
    """考勤明细's member rows: (branch, name, marks…, rate), subtotals left out."""
    return [r for r in table(book["考勤明细"])[1:] if r[1] != "小计"]


HONGXING, LVYUAN_ID = 2, 3  # the sample's branch ids


async def _lesson_by_branch(h: Harness, event_id: int = 2) -> BranchCounts:
    async def read(conn: Any) -> BranchCounts:
        uow = UnitOfWork(conn, h.clock.now())
        event = await uow.events.get(event_id)
        assert event is not None and event.branch_id is None
        return await branch_counts(uow, event)

    return await h.app.db.read(read)


async def test_a_ledger_of_the_past_counts_each_member_where_they_were_then(h: Harness) -> None:
    """Leavers stay in their old branch's ledger for the time they were there, arrivals count from
    the day they were taken in; the region's ledger attributes each mark to the branch of its day."""
    await _lvyuan(h)
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    await h.say("发布 专题党课 今天 15:00 党校", user="u-李红", chat=REGION_CHAT)
    h.clock.advance(hours=4, minutes=40)  # 13:40
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    h.clock.advance(hours=1, minutes=10)  # 14:50: the lesson's sign-in
    assert (await h.say("签到", user="u-赵强"))[0].startswith("✅ 赵强")
    h.clock.advance(hours=3)
    before = await _ledger(h, "导出台账 本月", user="u-张伟", chat=GROUP)
    asks = [("考勤 #1", "u-张伟", GROUP), ("考勤 #2", "u-张伟", GROUP), ("考勤 #2", "u-李红", REGION_CHAT)]
    summaries = [await h.say(text, user=user, chat=chat) for text, user, chat in asks]
    assert "赵强" in summaries[0][0] and "应到 3" in summaries[0][0]
    lines = await _lesson_by_branch(h)  # a large region's event page: counts per branch
    assert lines[HONGXING][:3] == ("红星机械党支部", 3, 1) and lines[LVYUAN_ID][:3] == ("绿源科技党支部", 3, 0)

    assert (await h.say("转出 赵强 绿源科技党支部", user="u-张伟"))[0].startswith("📤")
    assert (await h.say("转入 赵强", user="u-刘芳", chat=LVYUAN))[0].startswith("📥")
    # each event's summary as it was: he is 红星's at both (in 红星's chat and the region's)
    assert [await h.say(text, user=user, chat=chat) for text, user, chat in asks] == summaries
    assert await _lesson_by_branch(h) == lines
    await h.say("发布 党员活动日 明天 14:00 创业园", user="u-刘芳", chat=LVYUAN)
    h.clock.advance(days=1, hours=-4)  # 2 December 13:50
    assert await h.say("签到", user="u-赵强", chat=LVYUAN) == ["✅ 赵强 签到成功"]
    h.clock.advance(days=1)

    # 红星's December: as it was before he left — expected and present at both, his row its own
    hongxing = await _ledger(h, "导出台账 本月", user="u-张伟", chat=GROUP)
    for kind in ("党员活动日", "专题党课"):
        assert _event_row(hongxing, kind) == _event_row(before, kind)
        assert _event_row(hongxing, kind)[2:] == (3, 1)
    assert [r[:2] for r in _matrix(hongxing) if r[1] == "赵强"] == [("红星机械党支部", "赵强")]
    assert _matrix(hongxing) == _matrix(before)
    assert "赵强" in str(table(hongxing["出席名单与会议记录"]))

    # 绿源's December: he counts from the day he was taken in, not at the lesson before it
    lvyuan = await _ledger(h, "导出台账 本月", user="u-刘芳", chat=LVYUAN)
    assert _event_row(lvyuan, "专题党课")[2:] == (3, 0)
    assert _event_row(lvyuan, "党员活动日") == ("党员活动日", "绿源科技党支部", 4, 1)
    (mine,) = [r for r in _matrix(lvyuan) if r[1] == "赵强"]
    assert mine[0] == "绿源科技党支部" and mine[-1] == 1  # one event expected there, attended
    assert [c for c in mine[3:-1] if c is not None] == ["✓"]

    # the region: a row for each of his stays, each with its own marks; the lesson counted for 红星
    region = await _ledger(h, "导出台账 本月", user="u-李红", chat=REGION_CHAT)
    stays = [(r[0], r[-1]) for r in _matrix(region) if r[1] == "赵强"]
    assert stays == [("红星机械党支部", 1), ("绿源科技党支部", 1)]
    summary = {r[0]: r for r in table(region["汇总"])[1:]}
    assert summary["红星机械党支部"][1] == 3 and summary["绿源科技党支部"][1] == 4  # members now
    # the month's digest counts the same way: 红星 2 events, 2 of 6 expected came; 绿源 2 events (the lesson before
    # he came, its activity day after), 1 of 3 + 4
    await queue_periodic(h.app.services, dormancy_weeks=8)
    digest = next(t for t in await h.tick(days=29, hours=2) if t.startswith(f"[{REGION_CHAT}]") and "党建简报" in t)
    lines = {line.split("：")[0].split("（")[0]: line for line in digest.splitlines()}
    assert lines["· 红星机械党支部"].endswith("：2 次，出席率 33%")
    assert lines["· 绿源科技党支部"].endswith("：2 次，出席率 14%")


async def test_a_merged_branch_s_ledger_keeps_the_members_it_had(h: Harness) -> None:
    await _lvyuan(h)
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)
    assert await h.say("签到", user="u-赵强") == ["✅ 赵强 签到成功"]
    h.clock.advance(hours=3)
    before = await _ledger(h, "导出台账 本月 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    said = (await h.say("合并支部 红星机械党支部 到 绿源科技党支部", user="u-李红", chat=REGION_CHAT))[0]
    assert said.startswith("🔀")
    h.clock.advance(days=1)
    after = await _ledger(h, "导出台账 本月 红星机械党支部", user="u-李红", chat=REGION_CHAT)
    assert _event_row(after, "党员活动日") == _event_row(before, "党员活动日") == (
        "党员活动日", "红星机械党支部", 3, 1,
    )  # fmt: skip
    unroled = [(r[:2], r[3:]) for r in _matrix(after)]  # the role shown is the roster's now (张伟: 党员)
    assert unroled == [(r[:2], r[3:]) for r in _matrix(before)] and len(unroled) == 4
    lvyuan = await _ledger(h, "导出台账 本月 绿源科技党支部", user="u-李红", chat=REGION_CHAT)
    (mine,) = [r for r in _matrix(lvyuan) if r[1] == "赵强"]  # a member there now, nothing expected of him yet
    assert mine[0] == "绿源科技党支部" and set(mine[3:]) == {None}
