"""`dangjian demo`: a scripted secretary meeting on a fresh SQLite file, on an accelerated clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_app
from bot.cli.roster import import_roster
from bot.console.transport import ConsoleChat, ConsoleTransport
from bot.runtime import Runtime
from bot.settings import Settings
from handlers.core.ports import FakeClock, SystemClock
from handlers.lessons import put_lecturer
from handlers.signin import build_summary
from storage.uow import UnitOfWork

SAMPLE_ROSTER = Path(__file__).with_name("sample_roster.csv")
REGION = "城东联合党委"
INSTRUCTOR_PHONE = "13800000005"  # 周敏, the region's Party-building instructor (added to the roster in the demo)
# a neighbouring committee whose department branch pairs with 红星 (结对 across regions)
WEST, WEST_ADMIN_PHONE = "城西联合党委", "13900000001"
WEST_ROSTER = (
    "姓名,支部,角色,手机\n"
    f"钱西,城西联合党委机关党支部,管理员,{WEST_ADMIN_PHONE}\n"
    "孙西,区财政局机关党支部,支部书记,13900000011\n"
    "周西,区财政局机关党支部,党员,13900000012\n"
)
START = "2026-12-01T09:00:00+08:00"  # the first Tuesday of December: the month's secretary meeting


def _roster_phones() -> dict[str, str]:
    """Name -> phone of the sample roster: the demo's members prove who they are with these."""
    rows = SAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()[1:]
    return {row.split(",")[0]: row.split(",")[3] for row in rows if row}


def _remove_database(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


async def run_demo(db_path: Path, out: Callable[[str], None] = print) -> dict[str, int]:
    """Play the scenario, print the transcript, return the final attendance counts."""
    _remove_database(db_path)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{db_path}", media_dir=str(db_path.parent / "demo-media"))
    clock = FakeClock(datetime.fromisoformat(START))
    app = await build_app(settings, clock)
    try:
        tz = settings.tz
        transport = ConsoleTransport(app, out, stamp=lambda: f"{clock.now().astimezone(tz):%m-%d %H:%M}", files=None)
        chat = ConsoleChat(transport, chat_id="城东联合党委书记群")
        runtime = Runtime(app, {"console": transport}, calendar_jobs=False)

        def stamp(note: str, at: datetime | None = None) -> None:
            out(f"\n⏰ {(at or clock.now()).astimezone(tz):%m月%d日 %H:%M} {note}")

        async def skip(note: str, *, jobs: bool = False, **delta: float) -> None:
            """Time passes quickly to the next scene; every push goes out at its own time on the way
            (`jobs`: the hourly jobs run too, as in a running process: the periodic pushes queued)."""
            target = clock.now() + timedelta(**delta)
            stamp(note, target)
            await (runtime.travel_to(target) if jobs else runtime.advance_to(target))

        stamp(f"导入花名册 {SAMPLE_ROSTER.name}")
        result = await import_roster(app.db, SAMPLE_ROSTER, REGION, clock.now())
        out(f"（{REGION}：新建支部 {result.branches_created} 个，党员 {result.members_created} 人）")

        phones = _roster_phones()
        stamp("管理员李红分享自己的手机号验证身份（与花名册一致即登记），绑定本群，发布本月书记例会，设置季度专题党课")
        for line in (
            "/as 李红",
            f"/contact {phones['李红']}",
            "绑定 城东联合党委",
            "发布 书记例会 今天 14:00 党群服务中心 学习贯彻全会精神 讲师：孙丽",
            "例会设置 专题党课 每季度 第三个月15日 19:00 党校报告厅 基层党建工作实务 讲师：孙丽 提醒：1天",
        ):
            await chat.say(line)
        for name in ("王建国", "张伟", "刘芳", "陈明"):
            await chat.say(f"/as {name}")
            await chat.say(f"/contact {phones[name]}")
        stamp("周涛没有验证手机号，只发了“登记 周涛”：申请交给管理员审核，李红点“同意”")
        await chat.say("/as 周涛")
        await chat.say("登记 周涛")
        await runtime.deliver()  # the approval card reaches the region's chat
        await chat.say("/as 李红")
        await chat.say("/press 1")
        await runtime.deliver()
        await chat.say("/as 陈明")
        await chat.say("请假 在外地参加展会")
        await chat.say("我昨天就说了要请假")  # chatter: the bot stays quiet

        await skip("快进到开始前 30 分钟：途中有开始前 1 小时的提醒，然后开放签到", hours=4, minutes=30)
        await chat.say("/as 王建国")
        await chat.say("/press 1")
        await chat.say("签到")  # twice: a friendly reminder, no second row

        await skip("会议开始 8 分钟后", minutes=38)
        await chat.say("/as 张伟")
        await chat.say("签到")
        await chat.say("/as 刘芳")
        await chat.say("远程签到")
        await chat.say("/as 李红")
        await chat.say("考勤")

        await skip("快进到签到截止：开始 10 分钟后催签，截止时自动发布签到结果", minutes=52)

        stamp("会后管理员为周涛补签")
        await chat.say("补签 周涛")
        await chat.say("考勤")
        final = await app.db.read(lambda c: counts(UnitOfWork(c, clock.now())))

        stamp("服务中心值班：张伟上岗打卡")
        await chat.say("添加值班 今天 15:00-17:30 党群服务中心 张伟")
        await chat.say("/as 张伟")
        await chat.say("上岗")
        await chat.say("值班表")

        stamp("金点子：刘芳提交，管理员采纳，积分到账")
        await chat.say("/as 刘芳")
        await chat.say("金点子：在园区设立党员先锋岗，亮身份、作表率 #管理")
        await chat.say("/as 王建国")
        await chat.say("/press 1")  # 👍
        await chat.say("/as 李红")
        await chat.say("采纳 #1 下月起在三家企业试点")
        await chat.say("/as 刘芳")
        await chat.say("我的积分")

        stamp("积分超市：刘芳兑换，管理员批准")
        await chat.say("/as 李红")
        await chat.say("上架 党建读本 5 10")
        await chat.say("/as 刘芳")
        await chat.say("兑换 党建读本")
        await chat.say("/as 李红")
        await chat.say("/press 1")  # 批准
        await chat.say("/as 刘芳")
        await chat.say("我的积分")

        stamp("会议记录：李红记下书记例会的内容，附一张会场照片")
        await chat.say("/as 李红")
        await chat.say("会议记录 #1 传达学习全会精神；部署年底党员发展和组织生活会；各支部月底前报送年度总结。")
        photo = db_path.parent / "demo-会场.png"
        _demo_photo(photo)
        await chat.say(f"/photo {photo} #1")
        await chat.say("会议记录 #1")

        stamp("讲师团与点单：孙丽加入讲师团；张伟为红星机械党支部点一堂党史课，孙丽在私聊中接单，党课自动发布")
        out(
            await app.db.unit(
                lambda c: put_lecturer(UnitOfWork(c, clock.now()), "孙丽", ["党史", "基层党建"], [REGION])
            )
        )
        for line in (
            "/as 孙丽",
            "/dm",
            f"/contact {phones['孙丽']}",
            "/as 李红",
            "/chat 红星群",
            "绑定 红星机械党支部",
        ):
            await chat.say(line)
        await chat.say("/as 张伟")
        await chat.say(f"/contact {phones['张伟']}")
        await chat.say("点单 党史学习教育 12月20日 14:00 红星厂三楼会议室")
        await chat.say("/press 1")  # 请 孙丽
        await runtime.deliver()  # the request reaches 孙丽's private chat with the bot
        await chat.say("/as 孙丽")
        await chat.say("/dm")
        await chat.say("/press 1")  # 接受
        await runtime.deliver()  # the branch's group hears: the lesson is published
        await chat.say("/as 李红")
        await chat.say("/chat 城东联合党委书记群")

        stamp("组织关系转接、换届登记、发展党员、党费收缴（基数只在私聊中设定）")
        for line in (
            "/as 张伟",
            "/chat 红星群",
            "转出 赵强 绿源科技党支部 No.2026-07",
            "换届 2023-12-28 书记 张伟 委员 赵强、钱多多",
            "发展 冯军 积极分子 2025-12-20 联系人 张伟 钱多多",
            "思想汇报 冯军",
            "流动 钱多多 江苏省苏州市工业园区 参加 苏州城东驻外党支部",
            "/dm",
            "党费基数 赵强 6000",
            "党费基数 钱多多 2800",
            "/chat 红星群",
            "党费已交 赵强 本月 No.0012",
            "党费",
            "/as 李红",
            "/chat 城东联合党委书记群",
            "换届提醒",
        ):
            await chat.say(line)

        stamp("联合党委调整积分规则（从今天起，已得积分不变），支部登记志愿服务，联合党委表彰")
        for line in (
            "设置积分 志愿服务 3",
            "积分规则",
            "/as 张伟",
            "/chat 红星群",
            "志愿服务 钱多多 2小时 社区义诊",
            "/as 李红",
            "/chat 城东联合党委书记群",
            "表彰 红星机械党支部 先进基层党组织",
            "表彰记录",
        ):
            await chat.say(line)

        stamp("党建指导员：花名册加入指导员周敏，联合党委指派她指导两个支部，她走访红星机械党支部后登记指导记录")
        instructor = db_path.parent / "demo-指导员.csv"
        row = f"周敏,城东联合党委机关党支部,党建指导员,{INSTRUCTOR_PHONE}"
        instructor.write_text(f"姓名,支部,角色,手机\n{row}\n", "utf-8")
        await import_roster(app.db, instructor, REGION, clock.now())
        for line in (
            "指导员 周敏 红星机械党支部 绿源科技党支部",
            "/as 周敏",
            "/dm",
            f"/contact {INSTRUCTOR_PHONE}",
            "/chat 红星群",
            "指导记录 红星机械党支部 查阅本季度“三会一课”记录，指导规范会议记录格式",
            "/as 李红",
            "/chat 城东联合党委书记群",
            "指导员",
        ):
            await chat.say(line)

        stamp(
            "党总支与结对共建：联合党委设立机械产业党总支（张伟任书记，每月15日活动日，本级规范每月一次党员活动日），"
            "张伟把总支群绑定到党总支，红星机械党支部与兴业商户联合党支部结对，张伟发布两个支部的联合主题党日"
        )
        for line in (
            "党总支 机械产业党总支 红星机械党支部 绿源科技党支部",
            "党总支 机械产业党总支 书记 张伟",
            "党总支 机械产业党总支 活动日 15",
            "党总支 机械产业党总支 规范 党员活动日 每月1次",
            "/as 张伟",
            "/chat 机械产业党总支群",
            "绑定 机械产业党总支",
            "签到",
            "/as 陈明",
            "/chat 兴业群",
            "绑定 兴业商户联合党支部",
            "/as 李红",
            "/chat 城东联合党委书记群",
            "结对 红星机械党支部 兴业商户联合党支部 支部联谊",
            "/as 张伟",
            "/chat 红星群",
            "发布 党员活动日 12月10日 9:00 党群服务中心 重温入党誓词 联合：兴业商户联合党支部",
            "/as 李红",
            "/chat 城东联合党委书记群",
            "党总支",
            "结对",
        ):
            await chat.say(line)

        stamp(
            "跨党委结对：城西联合党委的区财政局机关党支部与红星机械党支部结对，城东提出、城西同意后生效；"
            "张伟发布的联合党课在城西那边有它自己的一份，财政局的党员在本群签到，计入城西的组织生活"
        )
        west = db_path.parent / "demo-城西.csv"
        west.write_text(WEST_ROSTER, "utf-8")
        await import_roster(app.db, west, WEST, clock.now())
        for line in (
            "/as 钱西",
            "/dm",
            f"/contact {WEST_ADMIN_PHONE}",
            "/chat 城西联合党委书记群",
            "绑定 城西联合党委",
            "/chat 财政局群",
            "绑定 区财政局机关党支部",
            "/as 李红",
            "/chat 城东联合党委书记群",
            "结对 红星机械党支部 城西联合党委 区财政局机关党支部 机关支部与企业支部联谊",
            "/as 钱西",
            "/chat 城西联合党委书记群",
            "结对",
            "结对 区财政局机关党支部 城东联合党委 红星机械党支部",
            "/as 张伟",
            "/chat 红星群",
            "发布 党课 2027-01-08 15:00 党群服务中心 新时代民营企业党建 联合：区财政局机关党支部",
            "/as 钱西",
            "/chat 财政局群",
            "活动列表",
            "/as 李红",
            "/chat 城东联合党委书记群",
        ):
            await chat.say(line)

        await skip(
            "快进两周：联合主题党日的提醒（两个支部的群都收到）、党总支活动日和专题党课前一天的通知",
            jobs=True,
            days=13,
            hours=4,
        )
        await chat.say("日程")
        for line in ("/as 张伟", "/chat 机械产业党总支群", "组织生活 本月", "/as 李红", "/chat 城东联合党委书记群"):
            await chat.say(line)

        stamp("导出本月台账（Excel），发出勤率图表")
        ledger = db_path.parent / "demo-台账.xlsx"
        chart = db_path.parent / "demo-出勤率.png"
        for line, path in (("导出台账 本月", ledger), ("图表 出勤", chart)):
            for reply in await chat.say(line):
                if reply.file is not None:
                    path.write_bytes(reply.file.data)
        out(f"\n📒 台账 / ledger: {ledger}\n📊 图表 / chart: {chart}")

        stamp("快进到下个月：1日的月度简报和月报征集，4日提醒未报送的支部，5日汇总成联合党委月报")
        await chat.say("/as 张伟")
        await chat.say("/chat 红星群")
        await runtime.travel_to(datetime(2027, 1, 3, 12, 0, tzinfo=tz))
        await chat.say("12月工作情况 开展主题党日1次，点单党史学习教育党课1次")
        await runtime.travel_to(datetime(2027, 1, 5, 9, 30, tzinfo=tz))
        out(await _console_link(app, db_path))
        return final
    finally:
        await transport.close()
        await app.close()


async def _console_link(app: Any, db_path: Path) -> str:
    """How to open the demo's web console: the command that serves it and a one-time link for the
    regional secretary's admin 李红 (made on the real clock: valid for ten minutes from now)."""
    from handlers.weblink import issue_link

    now = SystemClock().now()

    async def work(conn: Any) -> str:
        uow = UnitOfWork(conn, now)
        member = await uow.org.member_in_branch(1, "李红")
        assert member is not None
        return await issue_link(uow, app.services.policy, member.id)

    link = await app.db.unit(work)
    return (
        "\n🌐 网页后台 / web console:\n"
        f"   DANGJIAN_DATABASE_URL=sqlite+aiosqlite:///{db_path} .venv/bin/dangjian web\n"
        f"   然后打开 / then open (10 分钟内有效、只能用一次 / valid 10 minutes, once): {link}"
    )


def _demo_photo(path: Path) -> None:
    """A picture to attach to the meeting record (a red banner on a light wall)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420), "#f5efe6")
    ImageDraw.Draw(image).rectangle((60, 40, 580, 120), fill="#c00000")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")


async def counts(uow: UnitOfWork) -> dict[str, int]:
    """The secretary meeting's attendance, as the summary counts it."""
    event = next(e for e in await uow.events.recent_for_node(1, None, 5) if e.kind == "secretary_meeting")
    s = await build_summary(uow, event)
    return {
        "expected": len(s.expected),
        "present": s.present,
        "late": len(s.late),
        "leave": len(s.leave),
        "remote": len(s.remote),
        "makeup": len(s.makeup),
        "absent": len(s.absent),
    }
