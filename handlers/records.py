"""Meeting records (会议记录): what an event decided, written by its managers in the chat, and the
photos taken there (a picture captioned "#编号"). Corrections keep every earlier text."""

from __future__ import annotations

import asyncio

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.event_ref import parse_event_ref, visible_in
from handlers.core.feature import Feature
from handlers.core.media import MAX_PHOTO, NotAnImage, Stored
from handlers.core.ports import Reply
from handlers.core.router import Command
from storage.records import EventRec
from storage.uow import UnitOfWork

MAX_RECORD = 20_000  # characters a record may grow to


async def _event(ctx: Context, event_id: int) -> EventRec:
    """The event by number, if this chat (or, in private, the sender) may see it."""
    node = ctx.need_node()
    event = await ctx.read(lambda uow: uow.events.get(event_id))
    if event is None or not visible_in(event, node):
        raise AppError("events.not_found", id=event_id)
    return event


def _writable(ctx: Context, event: EventRec) -> None:
    """Records are written by those who manage the event, once it has begun."""
    ctx.need_manager(event.region_id, event.branch_id)
    if event.status == "cancelled":
        raise AppError("ledger.record_cancelled", number=event.id)
    if event.opens_at > ctx.now:
        raise AppError("ledger.record_future", number=event.id)


async def record(ctx: Context, args: str) -> list[Reply]:
    """会议记录 #编号 [内容] — add to an event's record, or show it."""
    event_id, text = parse_event_ref(args)
    if event_id is None:
        raise UsageError("record")
    event = await _event(ctx, event_id)
    kind = ctx.t("common.kind", k=event.kind)
    if not text.strip():
        got = await ctx.read(lambda uow: uow.records.get(event.id))
        text_now, versions, photos = got or ("", 0, 0)
        return [
            ctx.reply(
                "ledger.record_show",
                number=event.id,
                kind=kind,
                starts=ctx.local(event.starts_at),
                text=text_now,
                photos=photos,
                versions=versions,
            )
        ]
    return await _write(ctx, event, text.strip(), "append")


async def fix_record(ctx: Context, args: str) -> list[Reply]:
    """修改会议记录 #编号 新内容 — replace the record (the earlier text is kept and audited)."""
    event_id, text = parse_event_ref(args)
    if event_id is None or not text.strip():
        raise UsageError("fix_record")
    event = await _event(ctx, event_id)
    return await _write(ctx, event, text.strip(), "correct")


async def _write(ctx: Context, event: EventRec, text: str, change: str) -> list[Reply]:
    _writable(ctx, event)
    member = ctx.need_member()
    inc = ctx.incoming
    command = "record" if change == "append" else "fix_record"
    if len(text) > MAX_RECORD:
        raise UsageError(command, "common.too_long", limit=MAX_RECORD)

    async def work(uow: UnitOfWork) -> str:
        records = uow.records
        current = await records.get(event.id)
        if change == "append" and current is not None and len(current[0]) + len(text) + 1 > MAX_RECORD:
            raise UsageError(command, "common.too_long", limit=MAX_RECORD)
        new = await records.write(event.id, text, change=change, by=member.id, now=uow.now)
        await uow.audit.record(
            actor=member.id,
            platform=inc.platform,
            action=f"record_{change}",
            detail={"event": event.id, "chars": len(text)},
            now=uow.now,
        )
        return new

    new = await ctx.unit(work)
    kind = ctx.t("common.kind", k=event.kind)
    if change == "append":
        return [ctx.reply("ledger.record_added", number=event.id, kind=kind, length=len(new))]
    return [ctx.reply("ledger.record_fixed", number=event.id, kind=kind)]


async def receive_photo(ctx: Context) -> Stored:
    """The picture of this message, fetched within the size limit and kept by its content hash."""
    upload = ctx.incoming.file
    assert upload is not None
    limit_mb = MAX_PHOTO // (1024 * 1024)
    if upload.size is not None and upload.size > MAX_PHOTO:
        raise AppError("ledger.photo_too_big", limit_mb=limit_mb)
    try:
        data = await upload.fetch()
    except OSError as exc:
        raise AppError("ledger.photo_failed") from exc
    if len(data) > MAX_PHOTO:
        raise AppError("ledger.photo_too_big", limit_mb=limit_mb)
    try:
        return await asyncio.to_thread(ctx.services.media.put, data)  # decodes the picture: off the loop
    except NotAnImage as exc:
        raise AppError("ledger.photo_not_image") from exc


async def attach_photo(ctx: Context, caption: str) -> list[Reply]:
    """A photo (or image document) captioned "#编号": kept with that event's record. In a group a
    picture without such a caption is conversation and is left alone."""
    inc = ctx.incoming
    event_id, _rest = parse_event_ref(caption or "")
    if event_id is None:
        return [ctx.reply("ledger.photo_no_number", private=True)] if inc.is_private else []
    event = await _event(ctx, event_id)
    _writable(ctx, event)
    member = ctx.need_member()
    stored = await receive_photo(ctx)

    async def work(uow: UnitOfWork) -> tuple[bool, int]:
        records = uow.records
        added = await records.add_photo(
            event.id, stored.sha256, stored.kind, stored.size, by=member.id, platform=inc.platform, now=uow.now
        )
        if added:
            await uow.audit.record(
                actor=member.id,
                platform=inc.platform,
                action="record_photo",
                detail={"event": event.id, "sha256": stored.sha256[:16], "bytes": stored.size},
                now=uow.now,
            )
        return added, await records.photo_count(event.id)

    added, count = await ctx.unit(work)
    if not added:
        return [ctx.reply("ledger.photo_again", number=event.id)]
    return [ctx.reply("ledger.photo_added", number=event.id, kind=ctx.t("common.kind", k=event.kind), count=count)]


COMMANDS = [
    Command("record", ("会议记录",), record, "ledger.usage_record", "ledger.help_record", access=Level.MEMBER),
    Command("fix_record", ("修改会议记录",), fix_record, "ledger.usage_fix_record", access=Level.BRANCH),
]


FEATURE = Feature("records", topic="events", commands=COMMANDS, on_file=attach_photo)
