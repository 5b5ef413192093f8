"""Recognise our commands and keywords in a message and dispatch them to feature handlers.

Ordinary chatter is not input: a keyword counts only as the whole message or its start
("签到", "请假 出差"), never in the middle ("我昨天忘了签到").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace

from markupsafe import Markup

from handlers.core.access import Level, refusal
from handlers.core.context import Context, Duplicate, Meanwhile, Services
from handlers.core.errors import AppError, UsageError
from handlers.core.i18n import these_names_are, this_day_is
from handlers.core.intent import Phrase, tidy, understood
from handlers.core.ports import Button, Incoming, Reply
from storage.db import out_of_room
from storage.records import BindingRec, MemberRec
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Context, str], Awaitable[list[Reply]]]
ButtonHandler = Callable[[Context, str], Awaitable[list[Reply]]]

MAX_TEXT = 4096
DO = "do"  # the button under "你是想…吗？": its argument is the command to run
MAX_BUTTON_BYTES = 64  # Telegram's callback data
_TRAILING = " \t\r\n!！。.~～"
_SLASH = re.compile(r"^/(?P<cmd>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]{1,64}))?(?:\s+(?P<args>.*))?$", re.S)


@dataclass(frozen=True)
class Command:
    name: str  # the slash command, e.g. "signin"
    keywords: tuple[str, ...]  # Chinese keywords, e.g. ("签到",)
    handler: Handler
    usage: str  # template key of the usage line, e.g. "signin.usage_signin"
    help: str | None = None  # template key of the one-line description in /help
    access: Level = Level.MEMBER  # who may send it, in the chat it is sent in (handlers/core/access.py)
    reads: bool = False  # it only shows what is there: a branch's instructor may send it in that branch's chat
    files: bool = False  # also sent as the caption of a photo (the handler finds it on the incoming message)
    unit_chat: bool = False  # also answered in a 党总支's or 编组's own chat (it knows which unit's it is)
    topic: str | None = None  # the topic 帮助 lists it under (its feature's, unless it has its own)

    @property
    def admin(self) -> bool:
        """A manager's command (listed as such in /help)."""
        return self.access in (Level.BRANCH, Level.REGION)


@dataclass(frozen=True)
class Press:
    """A button a feature puts under its messages: callback data "prefix:argument"."""

    prefix: str
    handler: ButtonHandler
    access: Level = Level.MEMBER
    unit_chat: bool = False  # also pressed in a 党总支's or 编组's own chat


Identify = Callable[[Incoming], Awaitable[tuple[BindingRec | None, MemberRec | None]]]


def _answered_in(ctx: Context, unit_chat: bool) -> bool:
    """Whether a command or button is answered in this chat: anywhere but in a 党总支's or 编组's
    own chat, which answers only those marked unit_chat (the rest are its branches' chats')."""
    return ctx.unit_chat is None or unit_chat


class Router:
    def __init__(self, services: Services, bot_username: str | None = None) -> None:
        self.services = services
        self.bot_username = (bot_username or "").lower() or None
        self.commands: list[Command] = []
        self._by_name: dict[str, Command] = {}
        self._keywords: list[tuple[str, Command]] = []
        self._buttons: dict[str, Press] = {}
        self._contact: Handler | None = None
        self._file: Handler | None = None
        self._chatter: tuple[Callable[[str], bool], Handler] | None = None
        self._phrases: list[Phrase] = []
        self._buttons[DO] = Press(DO, self._do, Level.ANYONE)
        # platforms that say themselves who is acting, for which node (the web console's session)
        self._identify: dict[str, Identify] = {}

    def add(self, command: Command) -> None:
        taken = {k for k, _ in self._keywords}
        if command.name in self._by_name or taken & set(command.keywords):
            raise ValueError(f"command {command.name!r} (or one of its keywords) is registered twice")
        self.commands.append(command)
        self._by_name[command.name] = command
        self._keywords.extend((k, command) for k in command.keywords)
        self._keywords.sort(key=lambda kc: -len(kc[0]))  # longest keyword first: 远程签到 before 签到

    def add_button(self, press: Press) -> None:
        self._buttons[press.prefix] = press

    def on_contact(self, handler: Handler) -> None:
        """The handler of a shared contact (its phone is the argument); anyone may share one."""
        self._contact = handler

    def on_file(self, handler: Handler) -> None:
        """The handler of a photo or document sent with a caption (the caption is the argument)."""
        self._file = handler

    def on_chatter(self, wants: Callable[[str], bool], handler: Handler) -> None:
        """The handler of a group message that is no command (a manager's announcement in plain
        words). `wants` looks at the text alone, so ordinary chatter costs no storage read."""
        self._chatter = (wants, handler)

    def add_phrases(self, phrases: Iterable[Phrase]) -> None:
        """Ways of saying a command (handlers/core/intent.py), tried in the order added; a phrase
        naming no command is refused at start."""
        for phrase in phrases:
            if self.match(phrase.command)[0] is None:
                raise ValueError(f"phrase {phrase.pattern!r} names no command: {phrase.command!r}")
            self._phrases.append(phrase)

    def extend(self, commands: Iterable[Command], buttons: Iterable[Press] = ()) -> None:
        for c in commands:
            self.add(c)
        for b in buttons:
            self.add_button(b)

    @property
    def buttons(self) -> list[Press]:
        return list(self._buttons.values())

    def match(
        self, text: str, *, is_private: bool = False, addressed: bool = False
    ) -> tuple[Command | None, str, bool]:
        """Return (command, arguments, addressed-to-us) for a message; command None means chatter."""
        s = text.strip()
        if s.startswith("/"):
            m = _SLASH.match(s)
            if not m:
                return None, "", False
            bot = (m.group("bot") or "").lower()
            if bot and self.bot_username and bot != self.bot_username:
                return None, "", False  # meant for another bot
            to_us = bool(bot) or is_private or addressed
            return self._by_name.get(m.group("cmd").lower()), (m.group("args") or "").strip(), to_us
        for kw, cmd in self._keywords:
            if not s.startswith(kw):
                continue
            rest = s[len(kw) :]
            if not rest.strip(_TRAILING):
                return cmd, "", True
            if rest[0] in " \t\n:：,，\u3000":
                return cmd, rest.lstrip(" \t\n:：,，\u3000").strip(), True
        return None, "", False

    async def dispatch(self, incoming: Incoming, *, meanwhile: Meanwhile | None = None) -> list[Reply]:
        """Handle one message or button press: a user's mistake is answered; anything else (a bug,
        the storage gone) is raised to the transport, which answers with the error reply.
        `meanwhile`: where a line said before the answer goes (a long export's "being made")."""
        ctx: Context | None = None
        try:
            if incoming.button is not None:
                prefix, _, arg = incoming.button.partition(":")
                press = self._buttons.get(prefix)
                if press is None:
                    return []
                ctx = await self._context(incoming, meanwhile)
                self._placed(ctx, press.unit_chat)
                self._allow(ctx, press.access)
                return await self._finish(ctx, await press.handler(ctx, arg))
            if incoming.contact_phone is not None and self._contact is not None:
                ctx = await self._context(incoming, meanwhile)
                return await self._finish(ctx, await self._contact(ctx, incoming.contact_phone))
            text = incoming.text or ""
            cmd, args, to_us = self.match(text, is_private=incoming.is_private, addressed=incoming.addressed)
            if incoming.file is not None and (cmd is None or not cmd.files):
                if self._file is None:
                    return []
                ctx = await self._context(incoming, meanwhile)
                if ctx.unit_chat is not None:
                    return []  # photos of a meeting go to its branch's chat
                return await self._finish(ctx, await self._file(ctx, text))
            if cmd is None:
                if to_us:  # an unknown /command addressed to us
                    ctx = await self._context(incoming, meanwhile)
                    return await self._finish(ctx, [ctx.reply("common.unknown_command")])
                if len(text) <= MAX_TEXT and (said := self._said(text)) is not None:
                    ctx = await self._context(incoming, meanwhile)
                    meant = await self._meant(ctx, *said)
                    if meant is not None:
                        return await self._finish(ctx, meant)
                if self._chatter is not None and not incoming.is_private and self._chatter[0](text):
                    ctx = await self._context(incoming, meanwhile)
                    replies = [] if ctx.unit_chat is not None else await self._chatter[1](ctx, text[:MAX_TEXT])
                    if replies or ctx.claimed:
                        return await self._finish(ctx, replies)
                if incoming.is_private or incoming.addressed:  # spoken to: never silence
                    ctx = await self._context(incoming, meanwhile)
                    menu = replace(ctx.reply("intent.menu", private=True), refused=True)  # not understood
                    return await self._finish(ctx, [menu])
                return []
            ctx = await self._context(incoming, meanwhile)
            if len(text) > MAX_TEXT:
                raise UsageError(cmd.name, "common.too_long", limit=MAX_TEXT)
            self._placed(ctx, cmd.unit_chat)
            self._allow(ctx, cmd.access, reading=cmd.reads)
            return await self._finish(ctx, await cmd.handler(ctx, args))
        except Duplicate:
            return await self._again(incoming, ctx)
        except AppError as err:
            if ctx is None:
                ctx = await self._context(incoming, meanwhile)
            if isinstance(err, UsageError):
                await example_names(ctx)
            return await self._finish(ctx, self._error_replies(ctx, err))

    def _said(self, text: str) -> tuple[Phrase | None, re.Match[str] | None, Command, str] | None:
        """What a message that is no command means, by its words alone (no storage read): a phrase
        a feature declared, or a command's keyword once the politeness around it is gone
        ("请帮我看一下考勤吧" -> 考勤); None when it says nothing we know."""
        tidied = tidy(text)
        found = understood(self._phrases, tidied)
        if found is not None:
            phrase, m = found
            cmd, _, _ = self.match(phrase.command)
            assert cmd is not None  # checked when the phrase was added
            return phrase, m, cmd, ""
        if tidied and tidied != text.strip():
            cmd, args, _ = self.match(tidied)
            if cmd is not None:
                return None, None, cmd, args
        return None

    def meaning(self, text: str) -> str | None:
        """The command a message that is no command says, by its words alone (what a phrase that
        needs no lookup makes of it, or a keyword freed of politeness); None if nothing."""
        said = self._said(text)
        if said is None:
            return None
        phrase, m, cmd, args = said
        if phrase is None or m is None:
            return f"{(cmd.keywords or (cmd.name,))[0]} {args}".strip()
        return phrase.words(m, text) if phrase.resolve is None else None

    async def _meant(
        self, ctx: Context, phrase: Phrase | None, m: re.Match[str] | None, cmd: Command, args: str
    ) -> list[Reply] | None:
        """Act on what was meant, if this sender in this chat is one to be understood (a manager,
        or anyone speaking to the bot; a member's own clear intent anywhere) and may use the
        command; None: stay silent."""
        inc = ctx.incoming
        spoken_to = inc.is_private or inc.addressed
        manager = ctx.member is not None and refusal(ctx.member, Level.BRANCH, ctx.node) is None
        if not (spoken_to or manager or (phrase is not None and phrase.anyone)):
            return None
        if not _answered_in(ctx, cmd.unit_chat):
            return None  # a unit's chat: said in a branch's chat, it would mean something
        if refusal(ctx.member, cmd.access, ctx.node, reading=cmd.reads) is not None:
            return None  # what they cannot do is not what they meant
        if phrase is not None and m is not None:
            original = ctx.incoming.text or ""
            words = await phrase.resolve(ctx, m) if phrase.resolve is not None else phrase.words(m, original)
            if words is None:
                return None
            found, args, _ = self.match(words)
            if found is None:
                raise ValueError(f"phrase {phrase.pattern!r} resolved to no command: {words!r}")
            if found is not cmd:  # not what it seemed (no such meeting): what there is, instead
                refused = refusal(ctx.member, found.access, ctx.node, reading=found.reads)
                if not _answered_in(ctx, found.unit_chat) or refused is not None:
                    return None
                return await found.handler(ctx, args)
            if phrase.confirm:
                data = f"{DO}:{words}"
                if len(data.encode()) > MAX_BUTTON_BYTES:
                    return [ctx.reply("intent.say_it", private=True, words=words)]
                button = Button(ctx.t("intent.yes"), data)
                return [ctx.reply("intent.did_you_mean", private=True, words=words, buttons=(button,))]
        return await cmd.handler(ctx, args)

    async def _do(self, ctx: Context, words: str) -> list[Reply]:
        """The button under "你是想…吗？": the command run as if typed by who pressed it."""
        cmd, args, _ = self.match(words)
        if cmd is None:
            raise AppError("intent.gone")
        self._placed(ctx, cmd.unit_chat)
        self._allow(ctx, cmd.access, reading=cmd.reads)
        return await cmd.handler(ctx, args)

    @staticmethod
    def _placed(ctx: Context, unit_chat: bool) -> None:
        """A 党总支's or 编组's own chat answers only what concerns the unit (help, 组织生活, binding,
        its language); everything else is its branches' chats' (said so, with what works here)."""
        if not _answered_in(ctx, unit_chat):
            raise AppError("units.unit_chat_only")

    @staticmethod
    def _allow(ctx: Context, level: Level, *, reading: bool = False) -> None:
        """The one authorization rule, asked before any feature runs (features ask it again about
        the members, events and branches they touch)."""
        refused = refusal(ctx.member, level, ctx.node, reading=reading)
        if refused is not None:
            raise refused

    def _error_replies(self, ctx: Context, err: AppError) -> list[Reply]:
        text = ctx.t(err.template, **err.params)
        if isinstance(err, UsageError):
            cmd = self._by_name.get(err.command)
            if cmd is not None:
                text = text + Markup("\n") + ctx.t("common.usage_prefix") + self._short_usage(ctx, cmd)
        return [replace(ctx.reply("common.plain", body=text, private=True), refused=True)]

    @staticmethod
    def _short_usage(ctx: Context, cmd: Command) -> Markup:
        """An error's usage: the command's form and one example, and where the rest is (a group
        need not read the whole block again after every slip)."""
        lines = str(ctx.t(cmd.usage)).splitlines()
        kept = lines[:1] + [line for line in lines[1:] if line.startswith(("例", "e.g."))][:1]
        short = Markup("\n".join(kept))
        if len(kept) < len(lines):
            word = cmd.keywords[0] if cmd.keywords else f"/{cmd.name}"
            short += Markup("\n") + ctx.t("common.more_usage", word=word)
        return short

    async def _finish(self, ctx: Context, replies: list[Reply]) -> list[Reply]:
        """Record the update as processed if the handler did not write (a redelivery of a question
        is simply answered again); keep the answer of one that wrote, for its redelivery."""
        inc = ctx.incoming
        if inc.update_id is None:
            return replies
        if not ctx.claimed:

            async def nothing(_uow: UnitOfWork) -> None:
                return None

            try:
                await ctx.unit(nothing)
            except Duplicate:
                pass
            except Exception as exc:
                if not out_of_room(exc):
                    raise
                # nothing can be written (storage full): a question is still answered, and a
                # redelivery of it simply answered again
        elif replies and not ctx.rederivable:
            kept = [r.to_data() for r in replies]
            try:
                await self.services.db.unit(
                    lambda c: UnitOfWork(c, ctx.now).updates.save_replies(inc.platform, str(inc.update_id), kept)
                )
            except Exception as exc:
                if not out_of_room(exc):
                    raise
                # the write itself committed: say so (a redelivery then gets a plain "done")
                log.warning("update %s: its answer could not be kept (no room); answered anyway", inc.update_id)
        return replies

    async def _again(self, incoming: Incoming, ctx: Context | None) -> list[Reply]:
        """A redelivered update changes nothing and gets the answer its first delivery got (if the
        process died between the commit and keeping the answer, a plain "done")."""
        key = str(incoming.update_id)
        now = self.services.clock.now()
        stored = await self.services.db.read(lambda c: UnitOfWork(c, now).updates.replies_of(incoming.platform, key))
        if stored:
            return [Reply.from_data(d) for d in stored]
        ctx = ctx or await self._context(incoming)
        return [ctx.reply("common.already_done", private=True)]

    def identify(self, platform: str, resolve: Identify) -> None:
        """A platform whose transport has already proven who acts (the web console: a session
        opened by a one-time link) gives the member and the node it acts for itself, instead of a
        chat binding and a linked account."""
        self._identify[platform] = resolve

    async def _context(self, incoming: Incoming, meanwhile: Meanwhile | None = None) -> Context:
        d = self.services.directory
        resolve = self._identify.get(incoming.platform)
        if resolve is not None:
            binding, member = await resolve(incoming)
        else:
            binding = await d.binding(incoming.platform, incoming.chat_id)
            member = await d.account(incoming.platform, incoming.user_id)
        now = self.services.clock.now()
        this_day_is(now.astimezone(self.services.policy.tz).date())
        these_names_are(())  # an earlier asker's branch-mates never name this one's examples
        return Context(incoming, self.services, binding, member, now, meanwhile=meanwhile)

    def help_lines(self, ctx: Context) -> list[tuple[Command, bool]]:
        """The commands this sender may use in this chat (a newcomer: the members' ones), in the
        order they were registered."""

        def usable(c: Command) -> bool:
            if not _answered_in(ctx, c.unit_chat):
                return False
            if ctx.member is None:
                return c.access in (Level.ANYONE, Level.MEMBER)
            return refusal(ctx.member, c.access, ctx.node, reading=c.reads) is None

        return [(c, c.admin) for c in self.commands if usable(c)]

    def find(self, word: str) -> Command | None:
        """The command a word names: its /name or one of its keywords."""
        word = word.strip().lstrip("/")
        return self._by_name.get(word.lower()) or next((c for k, c in self._keywords if k == word), None)


async def example_names(ctx: Context) -> None:
    """The asker's branch-mates' names for the example lines of a usage about to be shown (a
    mistake, 帮助 <命令>): examples read as the asker's own."""
    member = ctx.member
    if member is None:
        return
    these_names_are(tuple(await ctx.read(lambda uow: uow.org.names_in_branch(member.branch_id, 3, but=member.id))))
