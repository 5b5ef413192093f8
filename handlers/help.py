"""/help and /start: what the bot does in this chat, for this member's role."""

from __future__ import annotations

from handlers.access import Level
from handlers.context import Context
from handlers.ports import Reply
from handlers.router import Command, Router


def make_commands(router: Router) -> list[Command]:
    async def show_help(ctx: Context, args: str) -> list[Reply]:
        """帮助 — list the commands this member can use here."""
        lines = [
            {"name": c.name, "keywords": c.keywords, "help": ctx.t(c.help), "admin": admin}
            for c, admin in router.help_lines(ctx)
            if c.help
        ]
        return [ctx.reply("help.overview", lines=lines, bound=ctx.binding is not None, member=ctx.member)]

    return [
        Command("help", ("帮助",), show_help, "help.usage_help", None, access=Level.ANYONE),
        Command("start", (), show_help, "help.usage_help", None, access=Level.ANYONE),
    ]
