"""The yearly evaluation (年评): data scores on five dimensions, the committee's share, stars, tiers."""

from __future__ import annotations

from tests.harness import REGION_CHAT, Harness


async def test_the_yearly_ranking_from_data_and_the_committees_scores(h: Harness) -> None:
    await h.join("王建国")
    await h.say("启用日期 2026-10-01", user="u-李红", chat=REGION_CHAT)  # October and November have ended
    # 红星: an activity day with 2 of its 3 expected members, an idea adopted, a finding rectified in time
    await h.say("发布 党员活动日 今天 10:00 车间", user="u-张伟")
    await h.tick(hours=1)
    await h.say("签到", user="u-张伟")
    await h.say("签到", user="u-赵强")
    await h.say("金点子：车间设立党员先锋岗", user="u-赵强")
    await h.say("采纳 #1", user="u-李红", chat=REGION_CHAT)
    await h.say("督查 红星机械党支部 台账不全 期限：12月10日", user="u-王建国", chat=REGION_CHAT)
    await h.say("整改完成 #1 已补齐", user="u-张伟")
    # what is not due yet is not failed: a shift to come, a finding raised a minute ago without a deadline
    await h.say("添加值班 12月20日 9:00-12:00 党群服务中心 赵强", user="u-李红", chat=REGION_CHAT)
    await h.say("督查 绿源科技党支部 学习记录缺页", user="u-王建国", chat=REGION_CHAT)
    # the committee's own score for 绿源 (30 % of the dimension)
    assert await h.say("评分 绿源科技党支部 组织凝聚力 80 主动联系流动党员", user="u-王建国", chat=REGION_CHAT) == [
        "✅ 已记录 绿源科技党支部 2026年 组织凝聚力 评分 80（占该维度30%）。"
    ]
    assert (await h.say("评分 绿源科技党支部 凝聚力 80", user="u-张伟"))[0].startswith("⛔")
    assert "评分 支部名 维度" in (await h.say("评分 绿源科技党支部 人气 80", user="u-王建国", chat=REGION_CHAT))[0]
    assert "评分 支部名 维度" in (await h.say("评分 绿源科技党支部 凝聚力 120", user="u-王建国", chat=REGION_CHAT))[0]
    ranking = (await h.say("年度考评 2026", user="u-王建国", chat=REGION_CHAT))[0]
    lines = ranking.splitlines()
    assert lines[0] == "🏅 2026年度考评（数据得分占70%，评分占30%）"
    # 红星: cohesion 2/3 = 67, none of the six monthly norms of October and November met = 0, one idea
    # adopted = 20, no shift begun (—, left out), the finding rectified in time = 100: total 47, ★, 预警
    assert lines[1] == "1. 红星机械党支部 47分 ★ 预警：凝聚力67 战斗力0 推动力20 支撑力— 影响力100"
    # 绿源: nothing held (0), the committee's 80 counts 30 %: 24; its finding is not due for 30 days: —
    green = next(line for line in lines if "绿源科技党支部" in line)
    assert green.endswith("绿源科技党支部 8分 ★ 预警：凝聚力24 战斗力0 推动力0 支撑力— 影响力—")
    assert lines[-1].startswith("只计2026年10月1日启用以来到期的事项")
    assert (await h.say("年度考评", user="u-张伟"))[0].startswith("⛔")
    assert "年度考评 [2026]" in (await h.say("年度考评 明年", user="u-王建国", chat=REGION_CHAT))[0]
