"""The words people actually type (意图): a corpus of phrasings, each with what it must produce,
sent through the router on both databases. A read is answered as its command is; a change to
what exists is asked back with a button that runs it; a member's clear intent is acted on; a
private chat is never silent; chatter stays silent."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.render import to_plain
from handlers.core.intent import tidy
from tests.harness import GROUP, REGION_CHAT, Harness

SEC = ("u-张伟", GROUP)  # a branch secretary in the branch's group
ADMIN = ("u-李红", REGION_CHAT)  # the region's admin in the region's group
MEMBER = ("u-赵强", GROUP)  # a member in the branch's group
PRIVATE = ("u-赵强", "@u-赵强")  # the same member, privately

# what a manager says for a read -> the command it means (each said four ways, below)
READS = {
    "谁还没签到": "考勤",
    "谁没来": "考勤",
    "签到情况": "考勤",
    "考勤情况": "考勤",
    "查看考勤": "考勤",
    "出勤情况": "考勤",
    "到会情况": "考勤",
    "来了多少人": "考勤",
    "最近有什么活动": "活动列表",
    "活动安排": "活动列表",
    "下次书记例会什么时候": "活动列表",
    "下次开会是什么时候": "活动列表",
    "什么时候开会": "活动列表",
    "今天谁值班": "值班表",
    "谁在岗": "值班表",
    "值班安排": "值班表",
    "排班表": "值班表",
    "下周谁值班": "值班表 下周",
    "下周值班安排": "值班表 下周",
    "积分": "积分排行",
    "积分排行榜": "积分排行",
    "积分排名": "积分排行",
    "谁的积分最多": "积分排行",
    "我有多少积分": "我的积分",
    "查积分": "我的积分",
    "积分商城": "积分超市",
    "有什么可以兑换": "积分超市",
    "三会一课": "组织生活",
    "三会一课情况": "组织生活",
    "组织生活开展情况": "组织生活",
    "台账": "导出台账",
    "导出本月台账": "导出台账 本月",
    "下载上月台账": "导出台账 上月",
    "本年台账": "导出台账 本年",
    "月报情况": "月报",
    "上月月报": "月报 上月",
    "谁还没交月报": "月报",
    "例会安排": "日程",
    "日程安排": "日程",
    "讲师名单": "讲师团",
    "有哪些讲师": "讲师团",
    "督查情况": "督查清单",
    "整改清单": "督查清单",
    "这个月轮到谁": "本月轮值",
    "本月谁承办": "本月轮值",
    "谁还没登记": "账号列表",
    "登记情况": "账号列表",
    "help": "帮助",
    "怎么用": "帮助",
    "有哪些命令": "帮助",
    "怎么签到": "帮助 签到",
    "如何请假": "帮助 请假",
    "看看金点子": "金点子列表",
    "有哪些金点子": "金点子列表",
}
WAYS = ("{}", "请{}", "{}？", "麻烦{}吧")

# a member's own clear intent, in the group: acted on (the command it becomes)
INTENTS = {
    "请个假 出差": "请假 出差",
    "我要请假，下周去外地": "请假 下周去外地",
    "我想请假：孩子生病": "请假 孩子生病",
    "我有个金点子：组织党员结对帮扶困难职工": "金点子 组织党员结对帮扶困难职工",
    "提个建议，党员活动室晚上开放": "金点子 党员活动室晚上开放",
    "我有多少积分？": "我的积分",
    "签个到": "签到",
    "我到岗了": "上岗",
}

# chatter: silent, from a member (and, where it names nothing, from a manager too)
CHATTER = [
    "大家好",
    "收到",
    "好的",
    "好的，谢谢书记",
    "辛苦了",
    "👍",
    "哈哈哈",
    "1",
    "？",
    "在吗",
    "今天天气不错",
    "明天记得带笔记本",
    "会议室在几楼",
    "我昨天忘了签到",
    "签到了吗",
    "请假的人多吗",
    "积分怎么算的",
    "值班辛苦了",
    "金点子不错",
    "台账我下午弄",
    "月报写好了吗",
    "谁有充电器",
    "下午的会取消了吗",
    "考勤表发群里了",
    "今天谁带钥匙",
    "收到，马上到",
    "我在路上",
    "堵车了",
    "刚到",
    "马上",
    "好",
    "嗯嗯",
    "OK",
    "ok",
    "谢谢",
    "感谢组织",
    "学习了",
    "支持",
    "赞",
    "这个建议好",
    "同意",
    "我也觉得",
    "不知道",
    "问问书记",
    "书记在吗",
    "文件发一下",
    "链接打不开",
    "照片拍好了",
    "上周的会议记录谁写",
    "党费交了吗",
    "下班了吗大家",
    "晚安",
    "早上好",
    "中午吃什么",
    "周末加班吗",
    "请大家按时参加",
    "请各位注意安全",
    "明白",
    "了解",
    "已阅",
    "转发一下",
]
# a manager's read in a group, said by a member: silent (members' chatter stays silent)
MEMBER_READS = ["谁还没签到", "签到情况", "积分", "台账", "三会一课", "今天谁值班", "月报情况", "help"]


async def _answer(h: Harness, text: str, who: tuple[str, str]) -> list[str]:
    user, chat = who
    private = chat.startswith("@")
    replies = await h.send(h.incoming(text, user=user, chat=chat, private=private))
    return [to_plain(r.text) for r in replies]


async def test_what_managers_say_is_answered_as_the_command_they_mean(h: Harness) -> None:
    assert len(READS) * len(WAYS) + len(INTENTS) + len(CHATTER) + len(MEMBER_READS) >= 260
    wrong = []
    answers: dict[tuple[str, tuple[str, str]], list[str]] = {}
    for base, command in READS.items():
        who = ADMIN if command.startswith(("月报", "导出台账")) else SEC
        if (command, who) not in answers:
            answers[command, who] = await _answer(h, command, who)
        meant = answers[command, who]
        for way in WAYS:
            said = way.format(base)
            assert h.app.router.meaning(said) == command, (said, h.app.router.meaning(said))
            got = await _answer(h, said, who)
            if not got or got != meant:
                wrong.append((said, got[:1], meant[:1]))
    assert wrong == []


async def test_a_member_s_clear_intent_is_acted_on_and_chatter_stays_silent(h: Harness) -> None:
    for said, command in INTENTS.items():
        assert h.app.router.meaning(said) == command, (said, h.app.router.meaning(said))
        got = await _answer(h, said, MEMBER)
        assert got and not got[0].startswith(("⛔", "🤔")), (said, got)
    silent = [(line, who) for line in CHATTER for who in (MEMBER, SEC)]
    silent += [(line, MEMBER) for line in MEMBER_READS]
    spoken = [(line, who, got) for line, who in silent if (got := await _answer(h, line, who))]
    assert spoken == []


async def test_a_private_chat_is_never_silent(h: Harness) -> None:
    for line in ("你好", "在吗", "我想问个事", "怎么弄", "？"):
        got = await _answer(h, line, PRIVATE)
        assert len(got) == 1, (line, got)
        menu = got[0]
        assert menu.startswith("🤖 我是党建助手") and "帮助 签到" in menu, (line, menu)
    assert (await _answer(h, "怎么签到", PRIVATE)) == (await _answer(h, "帮助 签到", PRIVATE))
    assert (await _answer(h, "积分", PRIVATE)) == (await _answer(h, "积分排行", PRIVATE))
    # a stranger too: pointed at what they can do
    [menu] = await h.dm("你好", user="u-stranger")
    assert "验证手机号" in menu


async def test_changes_are_asked_back_with_a_button_that_runs_them(h: Harness) -> None:
    await h.say("发布 书记例会 明天 14:00 党群服务中心", user="u-李红", chat=REGION_CHAT)
    tomorrow = (h.clock.now() + timedelta(days=1)).astimezone(h.app.services.policy.tz)
    [asked] = await h.send(h.incoming("取消明天的书记例会", user="u-李红", chat=REGION_CHAT))
    assert to_plain(asked.text) == "🤔 你是想“取消活动 #1”吗？确认请点下面的按钮。"
    assert [(b.label, b.data) for b in asked.buttons] == [("是的", "do:取消活动 #1")]
    [moved] = await h.send(h.incoming("请把明天的书记例会改到下午4点", user="u-李红", chat=REGION_CHAT))
    words = f"改期 #1 {tomorrow.month}月{tomorrow.day}日 下午4点"
    assert [b.data for b in moved.buttons] == [f"do:{words}"], to_plain(moved.text)
    # a member may press nothing of it; the admin's press runs it
    refused = await h.press(f"do:{words}", user="u-赵强", chat=REGION_CHAT)
    assert to_plain(refused[0].text).startswith("⛔")
    done = to_plain((await h.press(f"do:{words}", user="u-李红", chat=REGION_CHAT))[0].text)
    assert "16:00" in done, done
    assert "已取消" in to_plain((await h.press("do:取消活动 #1", user="u-李红", chat=REGION_CHAT))[0].text)
    # no such meeting: what there is, instead of silence
    none = await _answer(h, "取消下周三的党课", ADMIN)
    assert none == await _answer(h, "活动列表", ADMIN)


def test_tidying_keeps_the_words_and_drops_the_politeness() -> None:
    assert tidy("请帮我看一下考勤吧？") == "看考勤"
    assert tidy("麻烦导出一下本月台账！") == "导出本月台账"
    assert tidy("请个假 出差") == "请个假 出差"  # 请 of 请假 is a word, not politeness
    assert tidy("我要请假，下周去外地。") == "请假，下周去外地"
    assert tidy("　积分　") == "积分"


async def test_examples_are_dated_from_tomorrow_and_an_error_is_short(h: Harness) -> None:
    h.clock.advance(days=40)  # long after the day the usage lines were written
    usage = (await h.say("帮助 发布", user="u-张伟"))[0]
    [example] = [line for line in usage.splitlines() if line.startswith("例：")]
    tomorrow = (h.clock.now() + timedelta(days=1)).astimezone(h.app.services.policy.tz)
    assert f" {tomorrow.month}月{tomorrow.day}日 14:00 " in example, example
    sent = await h.say(example.removeprefix("例：").replace("书记例会", "支委会"), user="u-张伟")
    assert sent[0].startswith("📌 已发布"), sent  # the example, sent as is, works
    # a slip gets the reason, the form and one example: not the five-line block
    slip = (await h.say("发布 支委会 明天 25:00 办公室", user="u-张伟"))[0].splitlines()
    assert slip[1].startswith("用法：发布 类型 日期 时间 地点") and slip[2].startswith("例：发布 书记例会")
    assert slip[3:] == ["更多写法：发送“帮助 发布”"], slip


async def test_examples_name_the_asker_s_own_branch_mates(h: Harness) -> None:
    await h.join("刘芳")
    await h.say("绑定 绿源科技党支部", user="u-李红", chat="绿源群")
    usage = (await h.say("帮助 补签", user="u-刘芳", chat="绿源群"))[0]
    example = next(line for line in usage.splitlines() if "例：" in line)
    assert "吴静" in example and "赵强" not in example, example  # 绿源's members, not the sample's
    slip = (await h.say("补签 #99", user="u-张伟"))[0]
    assert "赵强" in slip or "钱多多" in slip, slip  # 红星's, for 红星's secretary
