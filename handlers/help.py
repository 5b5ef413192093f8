"""/help and /start: what the bot does here, by topic, for this member's role; 帮助 <主题> lists a
topic's commands, 帮助 <命令> explains one."""

from __future__ import annotations

from markupsafe import Markup

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError
from handlers.core.intent import Phrase
from handlers.core.ports import Reply
from handlers.core.router import Command, Router, example_names

# the topics, in the order 帮助 shows them, with the words that name them (a feature declares its
# topic; a command may have its own)
TOPICS: dict[str, tuple[str, ...]] = {
    "events": ("活动与签到", "活动", "签到", "会议", "开会", "发布", "日程", "events", "sign-in"),
    "leave": ("请假", "销假", "leave"),
    "duty": ("值班", "排班", "上岗", "duty"),
    "ideas": ("金点子", "建议", "ideas"),
    "points": ("积分与兑换", "积分", "兑换", "积分超市", "points", "store"),
    "life": ("组织生活与报表", "组织生活", "三会一课", "报表", "月报", "考评", "督查", "轮值", "通知", "reports"),
    "ledger": ("台账与图表", "台账", "图表", "导出", "ledger", "charts"),
    "groups": ("党小组与讲师", "党小组", "讲师", "讲师团", "点单", "groups", "lecturers"),
    "people": (
        "党员管理",
        "组织关系",
        "转接",
        "转出",
        "转入",
        "换届",
        "发展党员",
        "入党",
        "党费",
        "交党费",
        "people",
        "transfers",
        "terms",
        "recruits",
        "dues",
    ),
    "settings": ("设置", "绑定", "登记", "账号", "语言", "后台", "党总支", "编组", "结对", "settings"),
}
SHOWN = 4  # commands named per topic in the overview


def topic_of(word: str) -> str | None:
    low = word.strip().lower()
    return next((code for code, names in TOPICS.items() if low in (n.lower() for n in names)), None)


def make_commands(router: Router) -> list[Command]:
    def usable(ctx: Context) -> list[Command]:
        return [c for c, _ in router.help_lines(ctx) if c.name not in ("start", "help")]

    def word(c: Command) -> str:
        return c.keywords[0] if c.keywords else f"/{c.name}"

    async def show_help(ctx: Context, args: str) -> list[Reply]:
        """帮助 [主题|命令] — the topics this member can use here, a topic's commands, or one command."""
        asked = args.strip().split()[0] if args.strip() else ""
        if asked and asked.strip("<>[]【】") not in ("命令", "主题", "命令名", "主题或命令"):  # 帮助 命令, as written
            command = router.find(asked)
            if command is not None:
                await example_names(ctx)
                return [explain(ctx, command)]
            code = topic_of(asked)
            if code is None:
                raise AppError("help.no_such", word=asked)
            await example_names(ctx)
            return [topic(ctx, code)]
        mine = usable(ctx)
        topics = []
        for code in TOPICS:
            words = [word(c) for c in mine if c.topic == code]
            if words:
                topics.append({"code": code, "words": words[:SHOWN], "more": len(words) > SHOWN})
        return [
            ctx.reply(
                "help.overview", topics=topics, bound=ctx.binding is not None, member=ctx.member,
                dm=ctx.incoming.is_private,
            )
        ]  # fmt: skip

    def topic(ctx: Context, code: str) -> Reply:
        lines = [
            {"word": word(c), "help": ctx.t(c.help) if c.help else _first_line(ctx.t(c.usage)), "admin": c.admin}
            for c in usable(ctx)
            if c.topic == code
        ]
        return ctx.reply("help.topic", code=code, lines=lines, member=ctx.member)

    def explain(ctx: Context, command: Command) -> Reply:
        return ctx.reply(
            "help.one",
            name=command.name,
            keywords=command.keywords,
            usage=ctx.t(command.usage),
            help=ctx.t(command.help) if command.help else None,
            access=str(command.access),
        )

    return [
        Command(
            "help", ("帮助",), show_help, "help.usage_help", None, access=Level.ANYONE, topic="settings", unit_chat=True
        ),
        Command("start", (), show_help, "help.usage_help", None, access=Level.ANYONE, topic="settings"),
    ]


def _first_line(text: Markup) -> Markup:
    return Markup(str(text).split("\n", 1)[0])


PHRASES = [
    Phrase(
        r"help|帮助|使用帮助|使用说明|说明书|怎么用|如何使用|怎么使用|(?:有)?(?:哪些|什么)(?:命令|功能)|命令(?:列表|大全)?"
        r"|(?:你)?(?:能|会|可以)(?:做|干)?(?:什么|啥)|菜单|功能",
        "帮助",
    ),
    Phrase(
        r"(?:怎么|如何|怎样)(?P<w>签到|请假|补签|上岗|换班|发布|兑换|绑定|登记|导出台账|点单|远程签到)",
        "帮助",
        "{w}",
    ),
]
