"""Who is who, who may act on whom, who sees what: identity, targets and privacy through the router."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.cli.roster import import_roster
from bot.delivery.render import to_plain
from storage.models import (
    Attendance,
    AuditLog,
    ChatBinding,
    Event,
    Idea,
    LinkRequest,
    Member,
    MemberAccount,
    Outbox,
    Redemption,
)
from tests.harness import GROUP, PHONES, REGION, REGION_CHAT, ROSTER, Harness

GREEN = "绿源群"  # bound to 绿源科技党支部


async def accounts_of(h: Harness, name: str) -> list[tuple[str, str]]:
    rows = await h.rows(
        select(MemberAccount.platform, MemberAccount.user_id)
        .join(Member, Member.id == MemberAccount.member_id)
        .where(Member.name == name)
        .order_by(MemberAccount.platform)
    )
    return [(p, u) for p, u in rows]


# -- identity ------------------------------------------------------------------------------------
async def test_a_stranger_naming_an_admin_gets_a_request_not_the_role(h: Harness) -> None:
    claim = await h.dm("登记 王建国", user="stranger")  # the regional secretary, not yet registered
    assert claim[0].startswith("📨 已收到登记“王建国”的申请。如果花名册里有这个名字")  # no branch, no role
    assert await accounts_of(h, "王建国") == []
    # acting as him is refused: a pending request is not an identity
    assert (await h.dm("通知 全体 请点击链接重新登记", user="stranger"))[0].startswith("⛔ 你还没有登记")
    assert (await h.say("绑定 城东联合党委", user="stranger", chat="自建群"))[0].startswith("⛔ 你还没有登记")
    # the card goes to the region's chats only (a privileged role), with its buttons
    pushed = await h.tick(seconds=1)
    assert len(pushed) == 1 and pushed[0].startswith(f"[{REGION_CHAT}] 🤖 🪪 登记申请 #1：控制台 用户“stranger”")
    # a branch secretary may not approve a privileged member's account; a region officer may
    refused = await h.press("link_ok:1", user="u-张伟")
    assert to_plain(refused[0].text) == "⛔ 王建国 担任书记或管理员职务，其账号只能由联合党委书记或管理员处理。"
    rejected = await h.press("link_no:1", user="u-李红", chat=REGION_CHAT)
    assert to_plain(rejected[0].text) == "❎ 已拒绝“stranger”登记为 王建国 的申请。"
    told = await h.tick(seconds=1)
    assert told == ["[@stranger] 🤖 ❎ 登记为 王建国 的申请没有通过。如有疑问请联系支部书记。"]
    assert await accounts_of(h, "王建国") == []
    again = await h.press("link_ok:1", user="u-李红", chat=REGION_CHAT)
    assert to_plain(again[0].text) == "登记申请 #1 已经处理过了（已拒绝）。"
    audit = await h.rows(select(AuditLog.action).where(AuditLog.action.like("account.%")).order_by(AuditLog.id))
    assert [a for (a,) in audit][-2:] == ["account.request", "account.reject"]


async def test_a_branch_secretary_approves_a_member_of_their_branch(h: Harness) -> None:
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=GREEN)
    await h.join("刘芳")  # 绿源's secretary
    assert (await h.say("登记 吴静", user="u-吴静", chat=GREEN))[0].startswith("📨 已收到登记“吴静”的申请")
    pushed = [p for p in await h.tick(seconds=1) if "🪪 登记申请" in p]
    assert sorted(p.split("]")[0] for p in pushed) == sorted([f"[{GREEN}", f"[{REGION_CHAT}"])
    assert (await h.press("link_ok:1", user="u-张伟", chat=GROUP))[0].text.startswith("⛔")  # 红星's secretary
    assert (
        to_plain((await h.press("link_ok:1", user="u-刘芳", chat=GREEN))[0].text) == "✅ 已同意：“u-吴静”登记为 吴静。"
    )
    assert await accounts_of(h, "吴静") == [("console", "u-吴静")]
    assert await h.say("签到", user="u-吴静", chat=GREEN) == ["现在没有正在签到的活动。"]  # she is herself now
    assert (await h.say("登记申请", user="u-刘芳", chat=GREEN)) == ["没有等待审核的登记申请。"]


async def test_a_shared_contact_is_proof_and_someone_elses_is_not(h: Harness) -> None:
    assert await h.join("孙丽") == ["✅ 登记成功：孙丽（城东联合党委机关党支部）"]
    assert await h.join("孙丽") == ["你已登记为 孙丽。"]
    other = await h.send(h.incoming(user="u-x", chat="@u-x", private=True, contact=""))  # a forwarded card
    assert to_plain(other[0].text).startswith("请分享你自己的联系方式")
    unknown = await h.send(h.incoming(user="u-x", chat="@u-x", private=True, contact="+86 139 9999 9999"))
    assert to_plain(unknown[0].text).startswith("花名册中没有这个手机号")
    # the roster's phone in another spelling is the same phone
    spelled = await h.send(h.incoming(user="u-周", chat="@u-周", private=True, contact="+86 138-0000-0041"))
    assert to_plain(spelled[0].text) == "✅ 登记成功：周涛（新兴物流党支部）"


async def test_one_account_per_platform_and_no_claim_across_platforms_without_proof(h: Harness) -> None:
    # 张伟 is linked on the console; a WeCom account naming him waits for approval
    wecom = await h.send(h.incoming("登记 张伟", user="zhangwei-wecom", chat="wx-group", platform="wecom"))
    assert to_plain(wecom[0].text).startswith("📨 已收到登记“张伟”的申请")
    assert await accounts_of(h, "张伟") == [("console", "u-张伟")]
    pushed = await h.tick(seconds=1)
    assert any("注意：张伟 已登记了控制台账号，请确认是本人。" in p for p in pushed)
    # a second console account for him gets no card (answered as any stranger is)
    second = await h.dm("登记 张伟", user="u-张伟2")
    assert second[0].startswith("📨 已收到登记“张伟”的申请") and not [
        p for p in await h.tick(seconds=1) if "u-张伟2" in p
    ]
    phone = await h.send(h.incoming(user="u-张伟2", chat="@u-张伟2", private=True, contact=PHONES["张伟"]))
    assert to_plain(phone[0].text).startswith("“张伟”已经登记了这个平台的账号")


async def test_a_wecom_userid_issued_by_the_enterprise_links_at_once(h: Harness, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    text = ROSTER.read_text(encoding="utf-8").replace(
        "吴静,绿源科技党支部,党员,13800000022,,", "吴静,绿源科技党支部,党员,13800000022,,wujing"
    )
    roster.write_text(text, encoding="utf-8")
    await import_roster(h.app.db, roster, REGION, h.clock.now())
    assert await accounts_of(h, "吴静") == [("wecom", "wujing")]  # the roster links it
    await h.say("解绑 吴静", user="u-李红", chat=REGION_CHAT)
    assert await accounts_of(h, "吴静") == []
    # another WeCom account cannot take her name; the one the enterprise issued to her can
    other = await h.send(h.incoming("登记 吴静", user="wu-fake", chat="wx", platform="wecom"))
    assert to_plain(other[0].text).startswith("📨 已收到登记“吴静”的申请")
    hers = await h.send(h.incoming("登记 吴静", user="wujing", chat="wx", platform="wecom"))
    assert to_plain(hers[0].text) == "✅ 登记成功：吴静（绿源科技党支部）"
    assert await h.count(LinkRequest, LinkRequest.status == "pending") == 1  # wu-fake's still waits


async def test_managers_list_and_undo_links(h: Harness) -> None:
    listing = (await h.say("账号列表", user="u-张伟"))[0]
    assert "· 赵强（党员）：控制台" in listing and "冯军（入党积极分子）：控制台" in listing
    assert "刘芳" not in listing  # another branch's members are not listed in this chat
    assert (await h.say("解绑 张伟", user="u-张伟"))[0].startswith("⛔ 张伟 担任书记或管理员职务")  # not his own
    assert await h.say("解绑 刘芳", user="u-张伟") == [
        "刘芳 是其他支部的党员，请在其所在支部的群里，或在联合党委群里操作。"
    ]
    assert await h.say("解绑 赵强", user="u-张伟") == ["✂️ 已解除 赵强 的控制台账号。本人可重新“登记 姓名”并验证。"]
    assert await accounts_of(h, "赵强") == []
    assert (await h.say("签到", user="u-赵强"))[0].startswith("⛔ 你还没有登记")
    assert await h.say("解绑 赵强", user="u-张伟") == ["赵强 没有登记这样的账号。"]
    audit = await h.rows(select(AuditLog.detail).where(AuditLog.action == "account.unlink"))
    assert '"console:u-赵强"' in audit[0][0]


async def test_a_deactivated_member_is_not_expected_and_cannot_act(h: Harness) -> None:
    assert (await h.say("停用 张伟", user="u-张伟"))[0].startswith("⛔ 张伟 担任书记或管理员职务")
    assert (await h.say("停用 李红", user="u-张伟"))[0].startswith("李红 是其他支部的党员")
    assert await h.say("停用 赵强", user="u-张伟") == [
        "⏸ 已停用 赵强：不再计入应到，不再提醒，也不能再操作。发送“启用 赵强”可恢复。"
    ]
    assert await h.say("签到", user="u-赵强") == ["⛔ 你在花名册中的信息已停用，不能再操作。如有疑问请联系支部书记。"]
    await h.say("发布 支部党员大会 今天 14:00 办公室", user="u-张伟")
    pushed = await h.tick(hours=5, minutes=11)  # 14:11: after the nudge
    nudge = next(p for p in pushed if "还没有签到" in p)
    assert "钱多多" in nudge and "赵强" not in nudge
    summary = (await h.say("考勤", user="u-张伟"))[0]
    assert "应到 2 人" in summary and "赵强" not in summary
    assert await h.say("启用 赵强", user="u-张伟") == ["▶️ 已恢复 赵强。"]
    assert (await h.say("签到", user="u-赵强"))[0].startswith("✅ 赵强 签到成功")


async def test_an_import_that_moves_a_member_keeps_one_identity(h: Harness, tmp_path: Path) -> None:
    await h.say("调整积分 赵强 +7 先进个人", user="u-李红", chat=REGION_CHAT)
    before = await h.rows(select(Member.id, Member.branch_id).where(Member.name == "赵强"))
    moved = tmp_path / "moved.csv"
    text = ROSTER.read_text(encoding="utf-8").replace("赵强,红星机械党支部", "赵强,绿源科技党支部")
    moved.write_text(text, encoding="utf-8")
    result = await import_roster(h.app.db, moved, REGION, h.clock.now())
    assert result.members_moved == 1 and result.members_created == 0
    after = await h.rows(select(Member.id, Member.branch_id, Member.active).where(Member.name == "赵强"))
    assert len(after) == 1 and after[0][0] == before[0][0] and after[0][1] != before[0][1]
    assert await accounts_of(h, "赵强") == [("console", "u-赵强")]
    h.app.services.directory.clear()
    assert (await h.dm("我的积分", user="u-赵强"))[0].startswith("💰 赵强 的积分：7")
    # now of another branch: 红星's chat is not his any more
    assert (await h.say("签到", user="u-赵强"))[0].startswith("⛔ 本群属于其他支部")
    # and the move is a transfer on record (组织关系转接)
    listed = (await h.say("转接记录", user="u-李红", chat=REGION_CHAT))[0]
    assert "赵强：红星机械党支部 → 绿源科技党支部，已完成" in listed


# -- who may act on whom ----------------------------------------------------------------------
async def test_no_make_up_for_a_member_of_another_branch(h: Harness) -> None:
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=GREEN)
    await h.say("发布 专题党课 今天 14:00 党校", user="u-李红", chat=REGION_CHAT)  # region-wide
    await h.tick(hours=6)  # 15:00, after the start
    refused = await h.say("补签 刘芳", user="u-张伟")
    assert refused == ["刘芳 是其他支部的党员，请在其所在支部的群里，或在联合党委群里操作。"]
    assert await h.count(Attendance, Attendance.status == "makeup") == 0
    assert (await h.say("补签 钱多多", user="u-张伟"))[0].startswith("✅ 已为 钱多多 补签")
    assert (await h.say("补签 刘芳", user="u-李红", chat=REGION_CHAT))[0].startswith("✅ 已为 刘芳 补签")


async def test_a_member_of_another_region_cannot_redeem_or_submit_here(h: Harness, tmp_path: Path) -> None:
    west = tmp_path / "west.csv"
    west.write_text("姓名,支部,角色,手机\n钱西,西郊党支部,党员,13900000001\n", encoding="utf-8")
    await import_roster(h.app.db, west, "城西联合党委", h.clock.now())
    await h.send(h.incoming(user="u-钱西", chat="@u-钱西", private=True, contact="13900000001"))
    await h.say("上架 保温杯 1 5", user="u-李红", chat=REGION_CHAT)
    assert (await h.say("兑换 保温杯", user="u-钱西"))[0].startswith("⛔ 你不属于本群所在的联合党委")
    assert (await h.say("金点子：跨区来的建议", user="u-钱西"))[0].startswith("⛔ 你不属于本群所在的联合党委")
    assert await h.count(Redemption) == 0 and await h.count(Idea) == 0


# -- who sees what --------------------------------------------------------------------------------
async def test_a_region_wide_event_shows_a_branch_chat_only_its_own_names(h: Harness) -> None:
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=GREEN)
    await h.join("吴静")
    await h.say("发布 专题党课 今天 14:00 党校 学习党章", user="u-李红", chat=REGION_CHAT)
    await h.say("请假 出差", user="u-吴静", chat=GREEN)
    await h.tick(hours=4, minutes=40)
    await h.say("签到", user="u-赵强")
    branch_view = (await h.say("考勤", user="u-赵强"))[0]
    assert "本支部应到 3 人，已签到 1 人" in branch_view and "全区应到 14 人，已签到 1 人" in branch_view
    assert "赵强" in branch_view and "钱多多" in branch_view  # 红星's own names
    for foreign in ("吴静", "刘芳", "李红", "王建国"):
        assert foreign not in branch_view
    region_view = (await h.say("考勤", user="u-李红", chat=REGION_CHAT))[0]
    assert "吴静（出差）" in region_view and "全区应到" not in region_view
    pushed = await h.tick(hours=1, minutes=21)  # 15:01: the summary at window close, to every chat
    in_group = next(p for p in pushed if p.startswith(f"[{GROUP}]") and "签到结果" in p)
    assert "吴静" not in in_group and "刘芳" not in in_group and "钱多多" in in_group
    in_green = next(p for p in pushed if p.startswith(f"[{GREEN}]") and "签到结果" in p)
    assert "吴静（出差）" in in_green and "赵强" not in in_green


async def test_rankings_stay_within_what_a_chat_may_see(h: Harness) -> None:
    await h.say("调整积分 赵强 +5 好", user="u-李红", chat=REGION_CHAT)
    await h.say("调整积分 刘芳 +9 好", user="u-李红", chat=REGION_CHAT)
    branch = (await h.say("积分排行", user="u-赵强"))[0]
    assert "赵强 5" in branch and "刘芳" not in branch
    assert (await h.say("积分排行 区域", user="u-赵强"))[0].startswith("全区积分排行含各支部党员姓名")
    region = (await h.say("积分排行", user="u-李红", chat=REGION_CHAT))[0]
    assert region.index("刘芳 9") < region.index("赵强 5")
    assert "刘芳" not in (await h.dm("积分排行", user="u-赵强"))[0]  # privately: a member sees their branch


async def test_an_anonymous_idea_from_a_private_chat(h: Harness) -> None:
    filed = await h.dm("匿名金点子：食堂错峰就餐", user="u-赵强")
    assert filed[0].startswith("💡 金点子 #1 已收到（匿名）") and "群里能看到" not in filed[0]
    in_group = await h.say("匿名金点子：班车改线路", user="u-钱多多")
    assert "想完全匿名，请私聊机器人" in in_group[0]
    listing = (await h.say("金点子列表", user="u-李红", chat=REGION_CHAT))[0]
    assert "#1 [待审] 食堂错峰就餐" in listing
    await h.say("采纳 #1 下月试行", user="u-李红", chat=REGION_CHAT)
    told = await h.tick(seconds=1)  # the author hears it in their private chat, still unnamed
    assert told == ["[@u-赵强] 🤖 ✅ 金点子 #1 采纳：下月试行，作者获得 5 积分。"]


async def test_idea_points_are_capped_and_duplicates_refused(h: Harness) -> None:
    for i in range(4):
        reply = (await h.say(f"金点子：建议{i}", user="u-赵强"))[0]
        assert ("作者获得 1 积分" in reply) == (i < 3), reply
    assert "本月前 3 条金点子计提交积分" in reply
    same = await h.say("金点子：建议0", user="u-钱多多")
    assert same == ["这条金点子和 #1 内容相同，一天内不重复收录。可以为 #1 点 👍 支持。"]
    assert await h.count(Idea) == 4
    h.clock.advance(days=1, minutes=1)
    assert (await h.say("金点子：建议0", user="u-钱多多"))[0].startswith("💡 金点子 #5")


async def test_a_secretary_meeting_is_not_published_in_a_branch_chat(h: Harness) -> None:
    refused = await h.say("发布 书记例会 今天 14:00 党群服务中心", user="u-张伟")
    assert refused == ["书记例会面向各支部书记，请在联合党委（书记）群里发布；支部群里的书记例会没有人能签到。"]
    assert await h.count(Event) == 0
    assert (await h.say("发布 书记例会 今天 14:00 党群服务中心", user="u-李红", chat=REGION_CHAT))[0].startswith(
        "📌 已发布 #1 书记例会"
    )


async def test_binding_again_does_not_post_a_board_twice(h: Harness) -> None:
    published = await h.say(
        "发布 支部党员大会 今天 9:20 办公室", user="u-张伟"
    )  # the window is open: board in the reply
    assert "签到已开放" in published[0]
    await h.say("绑定 红星机械党支部", user="u-张伟")
    await h.say("绑定 红星机械党支部", user="u-李红")
    pushed = await h.tick(minutes=1)
    assert not any("开始签到" in p for p in pushed), pushed
    rows = await h.rows(select(Outbox.status).where(Outbox.purpose == "signin_open", Outbox.chat_id == GROUP))
    assert rows == [("sent",)]


async def test_a_bound_chat_moves_to_another_branch_only_when_confirmed(h: Harness) -> None:
    async def bound_to() -> list[tuple[int | None]]:
        return list(await h.rows(select(ChatBinding.branch_id).where(ChatBinding.chat_id == GROUP)))

    before = await bound_to()
    (ask,) = await h.send(h.incoming("绑定 绿源科技党支部", user="u-李红"))
    assert to_plain(ask.text).startswith("⚠️ 本群现在绑定的是“红星机械党支部”。确定改为绑定到“绿源科技党支部”吗？")
    assert await bound_to() == before  # nothing changed yet
    yes, no = (b.data for b in ask.buttons)
    assert [to_plain(r.text) for r in await h.press(no, user="u-李红")] == ["好的，本群的绑定不变。"]
    assert await bound_to() == before
    # the secretary of this branch may not hand the chat to another branch by pressing the button
    refused = [to_plain(r.text) for r in await h.press(yes, user="u-张伟")]
    assert refused and refused[0].startswith("⛔") and await bound_to() == before
    # binding again to what it is bound to needs no confirmation
    assert (await h.say("绑定 红星机械党支部", user="u-李红"))[0].startswith("✅ 本群已绑定到支部：红星机械党支部")
    done = [to_plain(r.text) for r in await h.press(yes, user="u-李红")]
    assert done[0].startswith("✅ 本群已绑定到支部：绿源科技党支部") and await bound_to() != before


# -- bound chats -----------------------------------------------------------------------------------
async def test_a_new_binding_is_told_and_can_be_undone_from_any_chat_of_the_node(h: Harness) -> None:
    """张伟 binds a second group to his branch: the branch's group and the region's chat hear of it
    with a 解绑 button; 群列表 shows who bound what and when; the node's managers unbind it from any
    of its chats (a member, or another branch's secretary, may not)."""
    assert (await h.say("绑定 红星机械党支部", user="u-张伟", chat="新群"))[0].startswith("✅")
    [(new_id,)] = await h.rows(select(ChatBinding.id).where(ChatBinding.chat_id == "新群"))
    pushed = await h.tick(seconds=1)
    news = [p for p in pushed if "把一个控制台群" in p]
    assert sorted(p.split("]")[0] for p in news) == sorted([f"[{GROUP}", f"[{REGION_CHAT}"])
    assert all(f"（#{new_id}）绑定到了“红星机械党支部”" in p and "张伟" in p and "解绑" in p for p in news)
    listing = (await h.say("群列表", user="u-张伟"))[0]
    assert f"· #{new_id} 控制台群 → 红星机械党支部，张伟 12月1日 09:00 绑定" in listing
    assert "城东联合党委，" not in listing  # a branch's list: its own chats
    everything = (await h.say("群列表", user="u-李红", chat=REGION_CHAT))[0]
    assert "→ 城东联合党委，李红" in everything and f"#{new_id}" in everything
    assert (await h.say(f"解绑群 #{new_id}", user="u-赵强"))[0].startswith("⛔")
    await h.join("刘芳")
    assert (await h.dm(f"解绑群 #{new_id}", user="u-刘芳"))[0].startswith("⛔")  # another branch's secretary
    assert await h.say(f"解绑群 #{new_id}", user="u-张伟") == [
        f"🔓 已把群 #{new_id} 从“红星机械党支部”解绑：它不再收到通知，也不能再代表“红星机械党支部”。"
    ]
    assert (await h.say("签到", user="u-赵强", chat="新群"))[0].startswith("本群还没有绑定支部")
    # bound again, and undone by the region's officer with the button under the news
    await h.say("绑定 红星机械党支部", user="u-张伟", chat="新群")
    [(again,)] = await h.rows(select(ChatBinding.id).where(ChatBinding.chat_id == "新群"))
    await h.tick(seconds=1)
    pressed = await h.press(f"unbind:{again}", user="u-李红", chat=REGION_CHAT)
    assert to_plain(pressed[0].text).startswith(f"🔓 已把群 #{again} 从“红星机械党支部”解绑")
    assert await h.say(f"解绑群 #{again}", user="u-李红", chat=REGION_CHAT) == [
        f"本联合党委没有编号为 #{again} 的已绑定群。发送“群列表”查看。"
    ]
    actions = [r[0] for r in await h.rows(select(AuditLog.action).where(AuditLog.action == "chat.unbind"))]
    assert actions == ["chat.unbind", "chat.unbind"]


async def test_a_stranger_learns_nothing_from_the_roster_and_cannot_flood_the_managers(h: Harness) -> None:
    """登记 answers the same words for a roster name, an unknown one, a taken one and an ambiguous
    one; an account's requests post one card per ten minutes, a name at most three."""
    real = await h.dm("登记 王建国", user="s1")
    unknown = await h.dm("登记 查无此人", user="s2")
    taken = await h.dm("登记 张伟", user="s3")  # 张伟 has his account already
    words = [r[0].replace("王建国", "X").replace("查无此人", "X").replace("张伟", "X") for r in (real, unknown, taken)]
    assert words[0] == words[1] == words[2]
    assert "支部" not in real[0].split("。")[0] and "书记或管理员审核" not in real[0]
    # one account naming eleven people: one card; twenty accounts naming one: three cards
    for name in ("赵强", "钱多多", "冯军", "刘芳", "吴静", "郑浩", "陈明", "何平", "许晴", "周涛", "马超"):
        await h.dm(f"登记 {name}", user="flooder")
    for n in range(20):
        await h.dm("登记 孙丽", user=f"bot-{n}")
    cards = [p for p in await h.tick(seconds=1) if "🪪 登记申请" in p]
    assert sum("的 孙丽（讲师）" in c for c in cards) == 3
    assert sum("“flooder”" in c for c in cards) == 0  # 赵强 is registered: kept silently; then one at a time
    assert sum("“s1”" in c for c in cards) == 1 and not [c for c in cards if "“s2”" in c or "“s3”" in c]
    listed = await h.send(h.incoming("登记申请", user="u-李红", chat=REGION_CHAT))
    assert len(listed) == 4  # 王建国's and three for 孙丽: nothing for names the roster lacks
    h.clock.advance(minutes=11)  # later, the same account may ask again (its earlier request withdrawn)
    await h.dm("登记 马超", user="flooder")
    assert [p for p in await h.tick(seconds=1) if "“flooder”" in p and "的 马超（" in p]


async def test_a_name_two_branches_share_is_addressed_with_its_branch(h: Harness, tmp_path: Path) -> None:
    roster = tmp_path / "more.csv"
    roster.write_text(
        "姓名,支部,角色,手机,telegram_id,wecom_userid\n王芳,红星机械党支部,党员,,,\n王芳,绿源科技党支部,党员,,,\n",
        encoding="utf-8",
    )
    await import_roster(h.app.db, roster, REGION, h.clock.now())
    asked = await h.say("调整积分 王芳 +5 表彰", user="u-李红", chat=REGION_CHAT)
    assert asked == [
        "花名册中有 2 位“王芳”（红星机械党支部、绿源科技党支部）。请写明支部，例如“王芳（红星机械党支部）”。"
    ]
    done = await h.say("调整积分 王芳（绿源科技党支部） +5 表彰", user="u-李红", chat=REGION_CHAT)
    assert done[0].startswith("✏️ 已为 王芳 调整积分 +5")
