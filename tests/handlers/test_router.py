"""Bad input: chatter is ignored, mistakes get a Chinese answer with the usage line, nothing crashes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.models import Attendance, AuditLog, Event
from tests.harness import Harness


async def test_chatter_is_not_input(h: Harness) -> None:
    for text in ("我昨天忘了签到", "大家好", "签到了吗？", "请假条写好了吗", "今天发布了新通知", "/foo"):
        assert await h.say(text, user="u-赵强") == [], text


async def test_unknown_command_addressed_to_bot_gets_help_hint(h: Harness) -> None:
    assert await h.say("/foo", user="u-赵强", addressed=True) == ["没有这个命令。发送“帮助”或 /help 查看可用命令。"]


async def test_event_usage_errors_change_nothing(h: Harness) -> None:
    cases = {
        "发布": "请写明活动类型和时间。",
        "发布 联欢会 明天 14:00 食堂": "不认识的活动类型“联欢会”。",
        "发布 支委会 某天 14:00 办公室": "没有看懂日期。可以写 12月5日、12.5、5号、明天、周五、下个月5号 或 2026-12-05。",  # noqa: E501
        "发布 支委会 明天 办公室": "请写明开始时间，例如 14:00。",
        "发布 支委会 2月30日 14:00 办公室": "日期不存在，请检查月份和日期。",
        "发布 支委会 明天 25:00 办公室": "时间不对，请检查小时和分钟。",
        "发布 支委会 今天 8:00 办公室": "这个时间（12月1日（周二）08:00）已经过去了。如果会已经开过，请用“补录”登记。",
        "发布 支委会 明天 14:00": "请写明地点。",
        "发布 支委会 明天 3点 办公室": "几点？“3点”可能是凌晨也可能是下午，请写“下午3点”或 15:00。",
        "发布 支委会 8:00 办公室": "今天的这个时间已经过了，是指明天吗？请写上日期，例如“明天 19:00”。",
    }
    for text, first_line in cases.items():
        replies = await h.say(text, user="u-张伟")
        assert len(replies) == 1, text
        lines = replies[0].split("\n")
        assert lines[0] == first_line, text
        assert lines[1].startswith("用法：发布 类型 日期 时间 地点"), text
    assert await h.say("发布 支委会 明天 14:00 办公室", user="u-赵强") == [
        "⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"
    ]
    assert await h.count(Event) == 0


async def test_long_and_hostile_text_is_stored_verbatim_and_rendered_escaped(h: Harness) -> None:
    await h.say("发布 支委会 今天 14:00 办公室", user="u-张伟")
    reason = "<b>出差</b> {{ 7*7 }} *粗体* _x_ 🚄 \u202e逆序"
    out = await h.send(h.incoming(f"请假 {reason}", user="u-赵强"))
    text = str(out[0].text)
    assert "<b>" not in text and "&lt;b&gt;出差&lt;/b&gt;" in text and "{{ 7*7 }}" in text
    stored = await h.rows(Attendance.__table__.select())
    assert stored[0].reason == reason
    long = await h.say("请假 " + "长" * 5000, user="u-钱多多")
    assert long[0].startswith("内容太长了") and "用法：请假 [#编号] 原因" in long[0]
    assert await h.count(Attendance) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda k, t: k + t,
            st.sampled_from(
                [
                    "签到",
                    "请假 ",
                    "发布 ",
                    "补签 ",
                    "登记 ",
                    "绑定 ",
                    "考勤",
                    "/event ",
                    "/signin@dangjian_bot ",
                    "取消活动 #",
                    "远程签到",
                ]
            ),
            st.text(max_size=200),
        ),
    )
)
async def test_any_text_never_crashes_or_leaks_markup(h: Harness, text: str) -> None:
    replies = await h.send(h.incoming(text, user="u-赵强", addressed=True))
    for r in replies:
        body = str(r.text)
        assert "Traceback" not in body and "出了点问题" not in body
        if "<" in text:
            assert "<" not in body.replace("&lt;", "")
    audit_before = await h.count(AuditLog)
    assert audit_before >= 0
