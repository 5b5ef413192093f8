"""Golden ideas, the points ledger and the points store, through chat messages and buttons."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.delivery.render import to_plain
from storage.models import Idea, Member, PointBalance, PointEntry, Redemption, StoreItem
from tests.harness import GROUP, PHONES, REGION_CHAT, Harness


async def points_of(h: Harness, name: str) -> str:
    return (await h.say("我的积分", user=f"u-{name}"))[0].split("\n")[0]


async def reconciled(h: Harness) -> bool:
    """Every balance equals the sum of that member's ledger rows, to the point."""
    per_member = select(PointEntry.member_id, func.sum(PointEntry.amount)).group_by(PointEntry.member_id)
    ledger = dict(await h.rows(per_member))
    balances = dict(await h.rows(select(PointBalance.member_id, PointBalance.balance)))
    return {m: int(v) for m, v in ledger.items()} == {m: v for m, v in balances.items() if v or m in ledger}


async def test_idea_from_submission_to_implementation(h: Harness) -> None:
    reply = await h.send(h.incoming("金点子：车间照明改用感应灯 #节能降耗", user="u-赵强"))
    assert to_plain(reply[0].text).startswith("💡 金点子 #1 已收到（赵强） #节能降耗\n车间照明改用感应灯")
    assert [b.data for b in reply[0].buttons] == ["idea_vote:1"]
    anon = await h.say("匿名金点子：食堂错峰就餐，减少排队", user="u-钱多多")
    assert anon[0].startswith("💡 金点子 #2 已收到（匿名）") and "钱多多" not in anon[0]

    first = await h.press("idea_vote:1", user="u-张伟")
    assert to_plain(first[0].text) == "👍 已支持金点子 #1（共 1 人支持）" and first[0].private
    assert to_plain((await h.press("idea_vote:1", user="u-张伟"))[0].text).startswith("你已经支持过金点子 #1")
    assert "共 2 人支持" in to_plain((await h.press("idea_vote:1", user="u-钱多多"))[0].text)
    own = await h.press("idea_vote:1", user="u-赵强")  # the author's own 👍 counts for nothing
    assert to_plain(own[0].text) == "不能给自己的金点子 #1 点赞。"

    assert await h.say("采纳 #1", user="u-赵强") == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
    adopted = await h.say("采纳 #1 很实用", user="u-李红", chat=REGION_CHAT)
    assert adopted == ["✅ 金点子 #1（赵强） 采纳：很实用，作者获得 5 积分。"]
    told = await h.tick(seconds=1)  # the group where it was submitted is told too
    assert told == [f"[{GROUP}] 🤖 ✅ 金点子 #1（赵强） 采纳：很实用，作者获得 5 积分。"]
    assert "请写明不采纳的原因。" in (await h.say("不采纳 #2", user="u-李红", chat=REGION_CHAT))[0]
    rejected = await h.say("不采纳 #2 成本太高", user="u-李红", chat=REGION_CHAT)
    assert rejected == ["📝 金点子 #2 不采纳：成本太高。"]  # an anonymous author stays unnamed
    assert "现在是“不采纳”" in (await h.say("采纳 #2", user="u-李红", chat=REGION_CHAT))[0]
    assert "找不到金点子 #9" in (await h.say("实施中 #9", user="u-李红", chat=REGION_CHAT))[0]
    assert (await h.say("实施中 #1", user="u-李红", chat=REGION_CHAT))[0].startswith("🔧 金点子 #1")
    assert "请写明实施效果" in (await h.say("已实施 #1", user="u-李红", chat=REGION_CHAT))[0]
    done = await h.say("已实施 #1 每月节电约300度", user="u-李红", chat=REGION_CHAT)
    assert done == ["🏅 金点子 #1（赵强） 已实施：每月节电约300度，作者获得 10 积分。"]

    shown_to_member = (await h.say("金点子 #2", user="u-赵强"))[0]
    assert "作者：匿名" in shown_to_member and "钱多多" not in shown_to_member
    in_group = (await h.say("金点子 #2", user="u-李红", chat=REGION_CHAT))[0]
    assert "作者：匿名" in in_group and "钱多多" not in in_group  # never into a group, not even by an admin
    shown_to_admin = (await h.dm("金点子 #2", user="u-李红"))[0]  # privately, to someone who manages her
    assert "作者：钱多多（匿名提交）" in shown_to_admin and "不采纳（李红）：成本太高" in shown_to_admin
    assert "钱多多" not in (await h.dm("金点子 #2", user="u-赵强"))[0]
    history = (await h.say("金点子 #1", user="u-赵强"))[0]
    assert history.index("采纳（李红）：很实用") < history.index("已实施（李红）：每月节电约300度")
    assert (await h.say("金点子列表", user="u-赵强"))[0].startswith("目前没有正在办理的金点子")

    assert await points_of(h, "赵强") == "💰 赵强 的积分：16"  # 1 submitted + 5 adopted + 10 implemented
    assert await points_of(h, "钱多多") == "💰 钱多多 的积分：1"  # anonymous, and still credited
    assert await reconciled(h)


async def test_a_branch_secretary_reviews_the_ideas_of_the_branch_s_own_members(h: Harness) -> None:
    await h.say("金点子：车间照明改用感应灯", user="u-赵强")  # 红星
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    await h.join("刘芳")
    await h.say("金点子：仓库加装货架", user="u-刘芳", chat="绿源群")  # 绿源
    adopted = await h.say("采纳 #1 先在一车间试点", user="u-张伟")
    assert adopted == ["✅ 金点子 #1（赵强） 采纳：先在一车间试点，作者获得 5 积分。"]
    assert await h.say("采纳 #2", user="u-张伟") == ["金点子 #2 不是本支部党员提的：请在联合党委的群里审核。"]
    assert (await h.say("采纳 #2", user="u-张伟", chat=REGION_CHAT))[0].startswith("⛔")  # nor in the region's chat
    assert (await h.say("采纳 #2 好", user="u-李红", chat=REGION_CHAT))[0].startswith("✅ 金点子 #2")


async def test_idea_input_errors_change_nothing(h: Harness) -> None:
    assert "金点子：内容" in (await h.say("金点子", user="u-赵强"))[0]
    assert "金点子：内容" in (await h.say("金点子：" + "长" * 1001, user="u-赵强"))[0]
    assert (await h.say("金点子：好主意", user="u-陌生人"))[0].startswith("⛔ 你还没有登记")
    assert await h.press("idea_vote:abc", user="u-赵强") == []
    assert await h.count(Idea) == 0 and await h.count(PointEntry) == 0


async def test_sign_in_earns_points_once(h: Harness) -> None:
    await h.say("发布 党员大会 今天 14:00 三楼会议室 学习党章", user="u-张伟")
    assert (await h.say("补签 #1 钱多多", user="u-张伟"))[0].startswith("#1 支部党员大会还没开始（")  # not yet
    await h.tick(hours=5, minutes=5)  # 14:05
    incoming = h.incoming("签到", user="u-赵强")
    await h.send(incoming)
    await h.send(incoming)  # redelivered: no second row, no second credit
    await h.say("签到", user="u-赵强")  # again by hand: 已签到, nothing more
    h.clock.advance(minutes=30)
    await h.say("签到", user="u-钱多多")  # late
    assert await points_of(h, "赵强") == "💰 赵强 的积分：2"
    assert await points_of(h, "钱多多") == "💰 钱多多 的积分：1"
    mine = await h.say("我的积分", user="u-赵强")
    assert "+2 签到（准时）" in mine[0]
    rank = (await h.say("积分排行", user="u-张伟"))[0]
    assert rank.split("\n")[1:3] == ["1. 赵强 2", "2. 钱多多 1"]
    assert "积分排行 [支部|区域]" in (await h.say("积分排行 全国", user="u-张伟"))[0]
    assert await reconciled(h)


async def test_points_store_request_approve_cancel_and_refuse(h: Harness) -> None:
    assert await h.say("上架 保温杯 10 1", user="u-赵强") == ["⛔ 这项操作需要联合党委书记或管理员。"]
    assert await h.say("上架 保温杯 10 1", user="u-李红", chat=REGION_CHAT) == ["🛒 保温杯 已上架：10 分，库存 1 件。"]
    assert "上架 商品名 价格 库存" in (await h.say("上架 保温杯 十 1", user="u-李红", chat=REGION_CHAT))[0]
    assert (await h.say("调整积分 赵强 +12 优秀党员表彰", user="u-李红", chat=REGION_CHAT))[0].endswith("现有 12 分。")
    assert "积分不够（现有 12 分）" in (await h.say("调整积分 赵强 -20 扣错", user="u-李红", chat=REGION_CHAT))[0]
    assert "调整积分 姓名 +5 原因" in (await h.say("调整积分 赵强 +5", user="u-李红", chat=REGION_CHAT))[0]

    assert "积分不够（现有 0 分）" in (await h.say("兑换 保温杯", user="u-钱多多"))[0]
    assert "没有“茶叶”" in (await h.say("兑换 茶叶", user="u-赵强"))[0]
    request = await h.send(h.incoming("兑换 保温杯", user="u-赵强"))
    assert to_plain(request[0].text) == "🧾 兑换申请 #1：赵强 申请兑换 保温杯（10 分），等待管理员批准。"
    assert [b.data for b in request[0].buttons] == ["redeem_ok:1", "redeem_no:1"]
    refused = await h.press("redeem_ok:1", user="u-赵强")
    assert to_plain(refused[0].text) == "⛔ 这项操作需要联合党委书记或管理员。" and refused[0].private
    assert await points_of(h, "赵强") == "💰 赵强 的积分：12"  # nothing debited while pending

    approved = await h.press("redeem_ok:1", user="u-李红", chat=REGION_CHAT)
    assert to_plain(approved[0].text) == "✅ 兑换 #1 已批准：赵强 兑换 保温杯，扣除 10 分。"
    assert await points_of(h, "赵强") == "💰 赵强 的积分：2"
    assert (await h.rows(select(StoreItem.stock)))[0][0] == 0
    assert "已经处理过了（已批准）" in (await h.say("批准兑换 1", user="u-李红", chat=REGION_CHAT))[0]
    assert "“保温杯”已经兑完了" in (await h.say("兑换 保温杯", user="u-赵强"))[0]
    assert await h.say("取消兑换 1", user="u-赵强") == [
        "⛔ 这项操作需要联合党委书记或管理员。"
    ]  # approved: an admin's call
    cancelled = await h.say("取消兑换 1", user="u-李红", chat=REGION_CHAT)
    assert cancelled == ["↩️ 兑换 #1（保温杯）已取消，10 分和商品已退回。"]
    assert await points_of(h, "赵强") == "💰 赵强 的积分：12"
    assert (await h.rows(select(StoreItem.stock)))[0][0] == 1

    await h.say("兑换 保温杯", user="u-赵强")
    rejected = await h.say("驳回兑换 2 本月已发完", user="u-李红", chat=REGION_CHAT)
    assert rejected == ["❎ 兑换 #2 已驳回：赵强 的 保温杯 未兑换，积分未扣除（本月已发完）。"]
    assert await points_of(h, "赵强") == "💰 赵强 的积分：12"
    await h.say("兑换 保温杯", user="u-赵强")
    assert await h.say("取消兑换 3", user="u-赵强") == ["↩️ 兑换 #3（保温杯）已取消。"]  # their own pending request
    store = (await h.say("积分超市", user="u-赵强"))[0]
    assert "· 保温杯：10 分，剩 1 件" in store
    assert await reconciled(h)


async def test_racing_approvals_never_oversell_or_overdraw(db_url: str) -> None:
    """Two processes approve 16 members' requests for an item with 5 in stock at the same time."""
    h = await Harness.start(db_url)
    other = await Harness.start(db_url, setup=False)
    try:
        await h.say("上架 纪念章 10 5", user="u-李红", chat=REGION_CHAT)
        names = list(PHONES)  # everyone on the roster
        for name in names:
            if name not in ("李红", "张伟", "赵强", "钱多多", "冯军"):
                await h.join(name)
            await h.say(f"调整积分 {name} +25 测试", user="u-李红", chat=REGION_CHAT)
        for name in names:
            assert (await h.dm("兑换 纪念章", user=f"u-{name}"))[0].startswith("🧾"), name
        ids = [r[0] for r in await h.rows(select(Redemption.id))]
        assert len(ids) == 16
        other.clock.set(h.clock.now())
        answers = await asyncio.gather(
            *(
                (h if i % 2 else other).say(
                    f"批准兑换 {rid}", user="u-李红", chat=REGION_CHAT, update_id=f"approve-{rid}"
                )
                for i, rid in enumerate(ids)
            )
        )
        approved = [a for a in answers if a[0].startswith("✅")]
        assert len(approved) == 5  # the stock, not more
        assert all("已经兑完了" in a[0] for a in answers if not a[0].startswith("✅"))
        assert await h.count(Redemption, Redemption.status == "approved") == 5
        assert (await h.rows(select(StoreItem.stock)))[0][0] == 0
        balances = dict(await h.rows(select(Member.name, PointBalance.balance).join(Member)))
        assert all(v >= 0 for v in balances.values()) and sum(25 - balances[n] for n in names) == 50
        assert await reconciled(h)
    finally:
        await other.close()
        await h.close()


async def test_undoing_a_make_up_reverses_its_points(h: Harness) -> None:
    await h.say("发布 党员大会 今天 14:00 三楼会议室 学习党章", user="u-张伟")
    assert (await h.say("补签 #1 钱多多", user="u-张伟"))[0].startswith("#1 支部党员大会还没开始（")  # not yet
    await h.tick(hours=5, minutes=5)  # 14:05
    assert (await h.say("补签 钱多多", user="u-张伟"))[0].startswith("✅ 已为 钱多多 补签")
    assert await points_of(h, "钱多多") == "💰 钱多多 的积分：1"
    assert await h.say("撤销补签 钱多多", user="u-赵强") == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
    assert await h.say("撤销补签 钱多多", user="u-张伟") == ["↩️ 已撤销 钱多多 的补签（支部党员大会），收回 1 积分。"]
    assert await h.say("撤销补签 钱多多", user="u-张伟") == ["钱多多 在这次活动没有补签记录。"]
    mine = (await h.say("我的积分", user="u-钱多多"))[0]
    assert mine.startswith("💰 钱多多 的积分：0") and "-1 撤销补签" in mine and "+1 签到（补签）" in mine
    summary = (await h.say("考勤", user="u-张伟"))[0]
    assert "补签" not in summary and "未签到 3：张伟、赵强、钱多多" in summary  # back to not signed in
    assert await reconciled(h)


async def test_yearly_cap_on_sign_in_points_per_kind(db_url: str) -> None:
    h = await Harness.start(db_url, point_caps={"committee": 3})
    try:
        await h.say("发布 支委会 今天 10:00 办公室 第一次", user="u-张伟")
        await h.say("发布 支委会 今天 15:00 办公室 第二次", user="u-张伟")
        await h.tick(minutes=45)
        await h.say("签到 #1", user="u-张伟")  # the secretary: expected at the 支委会, he earns points there
        await h.say("签到", user="u-张伟")
        h.clock.advance(hours=5, minutes=10)
        await h.say("签到", user="u-张伟")
        assert await points_of(h, "张伟") == "💰 张伟 的积分：3"  # 2 + 1: the cap, not 4
        assert await reconciled(h)
    finally:
        await h.close()


async def test_a_redemption_is_told_to_the_managers_and_its_outcome_to_the_member(h: Harness) -> None:
    await h.say("上架 保温杯 10 5", user="u-李红", chat=REGION_CHAT)
    await h.say("上架 纪念章 5 5", user="u-李红", chat=REGION_CHAT)
    await h.say("调整积分 赵强 +30 表彰", user="u-李红", chat=REGION_CHAT)
    assert await h.say("待批兑换", user="u-李红", chat=REGION_CHAT) == ["没有等待审批的兑换申请。"]
    h.pushed.clear()
    await h.say("兑换 保温杯", user="u-赵强")  # in the branch group
    await h.dm("兑换 纪念章", user="u-赵强")  # and privately
    await h.tick(seconds=1)
    asked = [p for p in h.pushed if p.startswith(f"[{REGION_CHAT}]")]
    assert [p.split("🧾 ")[1] for p in asked] == [
        "兑换申请 #1：赵强 申请兑换 保温杯（10 分），等待管理员批准。\n   [1] 批准  [2] 驳回",
        "兑换申请 #2：赵强 申请兑换 纪念章（5 分），等待管理员批准。\n   [1] 批准  [2] 驳回",
    ]
    listing = await h.send(h.incoming("待批兑换", user="u-李红", chat=REGION_CHAT))
    assert "#1 赵强 · 保温杯（10 分）" in to_plain(listing[0].text)
    assert [b.data for b in listing[0].buttons] == ["redeem_ok:1", "redeem_no:1", "redeem_ok:2", "redeem_no:2"]
    assert (await h.say("待批兑换", user="u-张伟"))[0].startswith("⛔")  # a branch secretary: not theirs to decide

    h.pushed.clear()
    await h.press("redeem_ok:1", user="u-李红", chat=REGION_CHAT)
    await h.say("驳回兑换 2 本月已发完", user="u-李红", chat=REGION_CHAT)
    await h.say("取消兑换 1", user="u-李红", chat=REGION_CHAT)  # an approved one: refunded
    await h.tick(seconds=1)
    assert sorted(h.pushed) == sorted(
        [
            f"[{GROUP}] 🤖 ✅ 兑换 #1 已批准：赵强 兑换 保温杯，扣除 10 分。",
            "[@u-赵强] 🤖 ❎ 兑换 #2 已驳回：赵强 的 纪念章 未兑换，积分未扣除（本月已发完）。",
            f"[{GROUP}] 🤖 ↩️ 兑换 #1（保温杯）已取消，10 分和商品已退回。",
        ]
    )  # each where the member asked (the second privately)
    assert await h.say("待批兑换", user="u-李红", chat=REGION_CHAT) == ["没有等待审批的兑换申请。"]


async def test_a_request_counts_the_points_other_requests_already_wait_for(h: Harness) -> None:
    await h.say("上架 保温杯 10 5", user="u-李红", chat=REGION_CHAT)
    await h.say("调整积分 赵强 +15 表彰", user="u-李红", chat=REGION_CHAT)
    await h.say("上架 纪念章 5 5", user="u-李红", chat=REGION_CHAT)
    assert (await h.say("兑换 保温杯", user="u-赵强"))[0].startswith("🧾 兑换申请 #1")
    for _ in range(30):  # the same request again and again: one card, and a clear answer
        assert await h.say("兑换 保温杯", user="u-赵强") == [
            "你已申请兑换 保温杯（#1），正在等待审批；发送“取消兑换 1”可撤回。"
        ]
    assert (await h.say("兑换 纪念章", user="u-赵强"))[0].startswith("🧾 兑换申请 #2")  # 15 − 10 ≥ 5
    assert await h.say("兑换 纪念章", user="u-赵强") == [
        "你已申请兑换 纪念章（#2），正在等待审批；发送“取消兑换 2”可撤回。"
    ]
    await h.say("取消兑换 2", user="u-赵强")
    await h.say("上架 水杯 10 5", user="u-李红", chat=REGION_CHAT)
    assert await h.say("兑换 水杯", user="u-赵强") == [
        "赵强 的积分不够（现有 15 分，其中 10 分已用于待批的兑换申请）。"
    ]
    assert await h.count(Redemption) == 2
    listing = await h.send(h.incoming("待批兑换", user="u-李红", chat=REGION_CHAT))
    assert [b.label for b in listing[0].buttons] == ["批准 #1", "驳回 #1"]  # each button names its request
