"""/help and /start: what the bot does in this chat, for this member's role; 帮助 命令 explains one."""

from __future__ import annotations

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError
from handlers.core.intent import Phrase
from handlers.core.ports import Reply
from handlers.core.router import Command, Router


def make_commands(router: Router) -> list[Command]:
    async def show_help(ctx: Context, args: str) -> list[Reply]:
        """帮助 [命令] — the commands this member can use here, or how to use one."""
        if args.strip():
            return [explain(ctx, args.strip())]
        usable = [(c, admin) for c, admin in router.help_lines(ctx) if c.name != "start"]
        lines = [
            {"name": c.name, "keywords": c.keywords, "help": ctx.t(c.help), "admin": admin}
            for c, admin in usable
            if c.help
        ]
        # the rest (a manager's less common commands) by name: 帮助 <name> tells how
        more = [c.keywords[0] if c.keywords else f"/{c.name}" for c, _ in usable if not c.help]
        return [ctx.reply("help.overview", lines=lines, more=more, bound=ctx.binding is not None, member=ctx.member)]

    def explain(ctx: Context, word: str) -> Reply:
        command = router.find(word.split()[0])
        if command is None:
            raise AppError("help.no_such", word=word)
        return ctx.reply(
            "help.one",
            name=command.name,
            keywords=command.keywords,
            usage=ctx.t(command.usage),
            help=ctx.t(command.help) if command.help else None,
            access=str(command.access),
        )

    return [
        Command("help", ("帮助",), show_help, "help.usage_help", None, access=Level.ANYONE),
        Command("start", (), show_help, "help.usage_help", None, access=Level.ANYONE),
    ]


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
