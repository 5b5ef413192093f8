"""流动党员 through the router: recorded away with where they take part (then signing in remotely),
listed apart with their remote sign-ins, how to reach them shown privately only, back home, who may
and bad input, and the 流动党员台账."""

from __future__ import annotations

import io

import openpyxl

from storage.models import AuditLog, MobileRecord
from tests.harness import REGION_CHAT, Harness
from tests.truth import table


async def test_a_member_away_signs_in_remotely_and_is_listed_apart(h: Harness) -> None:
    await h.say("发布 党员活动日 今天 14:00 活动中心", user="u-张伟")
    h.clock.advance(hours=4, minutes=40)
    assert "仅限流动党员" in (await h.say("远程签到", user="u-赵强"))[0]
    said = await h.say("流动 赵强 广东省深圳市南山区 联系 微信 zq2026 参加 深圳城东驻外党支部", user="u-张伟")
    assert said == [
        "🧳 已登记 赵强 外出流动：广东省深圳市南山区，在深圳城东驻外党支部参加组织生活，"
        "联系方式已记录（只在私聊中显示）。赵强 可以用“远程签到”参加本支部的活动。\n"
        "请同步在花名册“流动党员”列填“是”，否则下次导入花名册会改回。"
    ]
    assert (await h.say("远程签到", user="u-赵强"))[0].startswith("✅")
    listed = (await h.say("流动党员", user="u-钱多多"))[0]
    assert listed == (
        "🧳 流动党员 1 人（离乡离土不离党）：\n"
        "· 赵强：广东省深圳市南山区（12月1日起），在深圳城东驻外党支部参加组织生活，今年远程签到 1 次"
    )  # no contact in a group
    assert "联系方式：微信 zq2026" in (await h.dm("流动党员", user="u-张伟"))[0]
    assert "联系方式" not in (await h.dm("流动党员", user="u-钱多多"))[0]  # a member sees no one's
    region = (await h.say("流动党员", user="u-李红", chat=REGION_CHAT))[0]
    assert "· 红星机械党支部 赵强：广东省深圳市南山区" in region
    assert "· 绿源科技党支部 刘芳：去向未登记（发送“流动 姓名 去向”登记）" in region  # the roster's own
    life = (await h.say("组织生活", user="u-张伟"))[0]  # listed apart in the branch's organizational life
    assert "（流动党员 1 人，远程签到 1 次）" in life
    # changed, not doubled; then back home
    await h.say("流动 赵强 广东省广州市", user="u-张伟")
    assert await h.count(MobileRecord) == 1
    assert (await h.say("流动返回 赵强", user="u-张伟"))[0].startswith("🏠 赵强 已返回")
    assert "仅限流动党员" in (await h.say("远程签到", user="u-赵强"))[0]
    assert "现在不是流动党员" in (await h.say("流动返回 赵强", user="u-张伟"))[0]
    assert await h.count(AuditLog, AuditLog.action.in_(["member.mobile", "member.back"])) == 3


async def test_who_may_and_bad_input_and_the_ledger(h: Harness) -> None:
    await h.join("王建国")
    assert (await h.say("流动 钱多多 北京", user="u-赵强"))[0].startswith("⛔")
    assert "流动 姓名 去向" in (await h.say("流动 钱多多", user="u-张伟"))[0]
    assert "流动 姓名 去向" in (await h.say("流动 钱多多 北京 联系", user="u-张伟"))[0]
    assert "最多 200 字" in (await h.say("流动 钱多多 " + "远" * 201, user="u-张伟"))[0]
    assert "刘芳" in (await h.say("流动 刘芳 北京", user="u-张伟"))[0]  # another branch's member: refused, named
    await h.say("流动 钱多多 北京市朝阳区 参加 北京城东驻外党支部", user="u-张伟")
    replies = await h.send(h.incoming("导出台账 本月", user="u-王建国", chat=REGION_CHAT))
    assert replies[0].file is not None
    rows = table(openpyxl.load_workbook(io.BytesIO(replies[0].file.data))["流动党员台账"])
    assert rows[0] == ("支部", "姓名", "流动去向", "参加组织生活", "联系方式", "外出日期", "返回日期", "期间远程签到")
    got = {r[1]: (r[0], r[2], r[3], r[7]) for r in rows[1:]}
    assert got["钱多多"] == ("红星机械党支部", "北京市朝阳区", "北京城东驻外党支部", 0)
    assert got["郑浩"] == ("绿源科技党支部", "去向未登记", None, 0)  # on the roster as mobile
