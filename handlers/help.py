"""/help and /start: what the bot does in this chat, for this member's role; 帮助 命令 explains one."""

from __future__ import annotations

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError
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
