"""Announcements in plain words: a manager writes in a bound group what anyone would write
("明天下午三点开书记例会", "下周三晚上7点在党校上党课"); the bot answers with what it
understood (kind, time, place) and 发布 / 取消 buttons. 发布 publishes exactly as "发布 …" would.
Members' chatter, however much it looks like an announcement, stays unanswered."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.core.access import Level, refusal
from handlers.core.context import Context
from handlers.core.errors import AppError
from handlers.core.event_ref import KINDS
from handlers.core.feature import Feature
from handlers.core.ports import Button, Reply
from handlers.core.router import Press
from handlers.core.timeparse import WhenError, find_when
from handlers.events import publish_event
from storage.uow import UnitOfWork

# the kind words an announcement names (the generic 活动/其他 are everyday words, not a kind)
_KIND = re.compile("|".join(sorted((w for w in KINDS if w not in ("活动", "其他")), key=len, reverse=True)))
_PLACE = re.compile(
    r"(?:地点\s*[:：]\s*(?P<label>[^\s，,。；;！!？?]{1,40})"
    r"|在(?P<at>[^\s，,。；;！!？?在]{1,30}?)(?=召开|举行|举办|开展|组织|进行|集合|开|上|学|过|$|[\s，,。；;！!？?]))"
)
_TOPIC = re.compile(r"主题\s*[:：]\s*(?P<topic>[^\n。；;]{1,200})")
_ASK_BACK = ("ambiguous_time", "bad_date", "bad_time", "too_far")  # there, but not to be guessed


@dataclass(frozen=True)
class Understood:
    kind: str
    at: datetime
    place: str  # "" when none was written
    topic: str

    def draft(self, unknown_place: str) -> str:
        """What its 发布 button publishes, kept as fields (JSON): the kind and time as 发布 reads
        them, the place and topic exactly as the card shows them (a label typed inside the topic,
        "地点：…" or "讲师：…", stays part of the topic and is never read again)."""
        word = next(w for w, k in KINDS.items() if k == self.kind)
        fields = {"when": f"{word} {self.at:%Y-%m-%d %H:%M}", "place": self.place or unknown_place, "topic": self.topic}
        return json.dumps(fields, ensure_ascii=False)


def may_be_announcement(text: str) -> bool:
    """Cheap test, before anything is read: an event kind and a digit or a day word."""
    return _KIND.search(text) is not None and re.search(r"[0-9０-９点时号日天周]", text) is not None


def understand(text: str, now: datetime, tz: ZoneInfo) -> Understood | None:
    """The event a sentence announces, or None when it names no kind or no date and time.
    Raises WhenError when the date or time is there but impossible or ambiguous."""
    kind = _KIND.search(text)
    if kind is None:
        return None
    found = find_when(text, now, tz)
    if found is None:
        return None
    start, end, at = found
    rest = text[:start] + " " + text[end:]
    place = _PLACE.search(rest)
    topic = _TOPIC.search(rest)
    return Understood(
        kind=KINDS[kind.group(0)],
        at=at.astimezone(tz),
        place=((place.group("label") or place.group("at")) if place else "").strip(),
        topic=topic.group("topic").strip() if topic else "",
    )


async def on_chatter(ctx: Context, text: str) -> list[Reply]:
    """A message that is no command, in a group: a manager's announcement gets its draft card."""
    binding, member = ctx.binding, ctx.member
    if ctx.incoming.is_private or binding is None or not binding.active or member is None:
        return []
    if refusal(member, Level.BRANCH, ctx.node) is not None:
        return []  # a member's chatter, however it reads
    try:
        told = understand(text, ctx.now, ctx.tz)
    except WhenError as err:
        if err.code not in _ASK_BACK:
            return []
        return [ctx.reply("announce.ask_back", private=True, problem=ctx.t(f"events.{err.code}"))]
    if told is None or told.at <= ctx.now:
        return []  # talk about a meeting already held is not an announcement
    if told.kind == "secretary_meeting" and binding.branch_id is not None:
        return []  # the region's meeting, mentioned in a branch group: not this group's to publish
    command = told.draft(ctx.t("announce.place_unknown").strip())

    async def work(uow: UnitOfWork) -> int:
        return await uow.events.add_draft(ctx.incoming.platform, ctx.incoming.chat_id, member.id, command, uow.now)

    draft = await ctx.unit(work)
    buttons = (
        Button(ctx.t("announce.publish_button"), f"announce:ok:{draft}"),
        Button(ctx.t("announce.drop_button"), f"announce:no:{draft}"),
    )
    return [
        ctx.reply(
            "announce.card",
            buttons=buttons,
            private=True,
            kind=told.kind,
            starts=told.at,
            place=told.place,
            topic=told.topic,
        )
    ]


async def press(ctx: Context, arg: str) -> list[Reply]:
    """发布 (ok) or 取消 (no) under a draft card, in the chat the draft was made in."""
    action, _, number = arg.partition(":")
    inc = ctx.incoming
    found = await ctx.read(lambda uow: uow.events.draft(int(number))) if number.isdigit() else None
    if found is None or (found[0], found[1]) != (inc.platform, inc.chat_id):
        raise AppError("announce.gone")
    _platform, _chat, _member, command, status = found
    if status != "open":
        raise AppError("announce.settled")
    if action == "ok":
        fields = json.loads(command)
        return await publish_event(ctx, fields["when"], draft=int(number), fixed=(fields["place"], fields["topic"]))

    async def drop(uow: UnitOfWork) -> bool:
        return await uow.events.settle_draft(int(number), "dropped")

    if not await ctx.unit(drop):
        raise AppError("announce.settled")
    return [ctx.reply("announce.dropped", private=True)]


BUTTONS = [Press("announce", press, Level.BRANCH)]


FEATURE = Feature("announce", buttons=BUTTONS, on_chatter=(may_be_announcement, on_chatter))
