"""Rendering of timed pushes from outbox rows: sign-in opening, reminders, nudges, summaries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from handlers import monthly, supervision
from handlers.access import Node
from handlers.compliance import cell_params, dormancy_details, unmet_ending
from handlers.context import Services
from handlers.duty import missed_params
from handlers.i18n import normalize_locale, render
from handlers.ideas import update_params
from handlers.ledger import digest_chart
from handlers.mentions import mention
from handlers.org import request_card
from handlers.ports import Reply
from handlers.reports import digest_params
from handlers.signin import build_summary, render_board
from storage.records import BindingRec, EventRec, OutboxRec
from storage.repositories import UnitOfWork

MISSED_LISTED = 20  # items listed by name in a missed-push report


async def close_window(uow: UnitOfWork, event: EventRec, now: datetime) -> None:
    """At window close the expected members who neither came nor asked for leave are absent."""
    if event.status == "scheduled" and event.closes_at <= now:
        summary = await build_summary(uow, event)
        await uow.attendance.mark_absent(event.id, [m.id for m in summary.absent], now)
        await uow.events.set_status(event.id, "closed")


async def render_push(services: Services, row: OutboxRec) -> Reply | None:
    """The message an outbox row stands for, or None when it must not be sent (event cancelled,
    chat unbound, nobody left to nudge)."""
    now = services.clock.now()
    tz = services.policy.tz

    async def work(uow: UnitOfWork) -> Reply | None:
        binding = await uow.org.binding(row.platform, row.chat_id)
        if binding is not None and binding.active:
            locale = normalize_locale(binding.locale or services.policy.locale)
        elif binding is None and row.payload.get("private"):  # to one person, in their chat with the bot
            locale = normalize_locale(services.policy.locale)
        else:
            return None
        branch_id = binding.branch_id if binding is not None else None
        if row.purpose == "link_request":
            request = await uow.org.link_request(int(str(row.payload["request"])))
            return await request_card(uow, request, locale) if request else None
        if row.purpose == "link_decided":
            request = await uow.org.link_request(int(str(row.payload["request"])))
            member = await uow.org.member(request.member_id) if request else None
            if request is None or member is None:
                return None
            return Reply(
                text=render("org.link_decided", locale, approved=request.status == "approved", name=member.name)
            )
        if row.purpose == "idea_update":
            idea = await uow.ideas.get(int(str(row.payload["idea"])))
            if idea is None:
                return None
            params = update_params(
                idea, str(row.payload["step"]), str(row.payload["note"]), int(str(row.payload["points"])), branch_id
            )
            return Reply(text=render("ideas.changed", locale, **params))
        if binding is None:
            return None  # the rest is for group chats only
        if row.purpose == "missed_report":
            return Reply(text=render("pushes.missed", locale, count=row.payload["count"], items=_items(row, tz)))
        if row.purpose in ("duty_reminder", "duty_missed"):
            return await _duty(uow, row, locale, now, tz)
        if row.purpose == "notice":
            return Reply(text=render("reports.notice", locale, text=row.payload["text"], by=row.payload["by"]))
        if row.purpose == "digest":
            params = await digest_params(uow, binding, str(row.payload["month"]), tz)
            chart = await digest_chart(uow, Node(binding.region_id, binding.branch_id), params["month"], tz, locale)
            return Reply(text=render("reports.digest", locale, **params), file=chart)
        if row.purpose == "dormancy":
            weeks = int(str(row.payload["weeks"]))
            branches = await dormancy_details(uow, binding.region_id, weeks, now, tz)
            # nothing to warn about: nothing is sent
            return Reply(text=render("reports.dormancy", locale, weeks=weeks, branches=branches)) if branches else None
        if row.purpose == "norm_reminder":
            return await _norm_reminder(uow, row, binding, locale, tz)
        if row.purpose.startswith("finding"):
            return await supervision.render_push(uow, row, binding, locale, tz)
        if row.purpose.startswith("report_"):
            return await monthly.render_push(uow, row, binding, locale, tz)
        event = await uow.events.get(row.event_id) if row.event_id is not None else None
        if event is None or event.status == "cancelled":
            return None
        starts = event.starts_at.astimezone(tz)
        if row.purpose == "signin_open":
            return await render_board(uow, event, locale, tz, binding.branch_id)
        if row.purpose == "reminder":
            minutes = int(str(row.payload.get("minutes", 0)))
            return Reply(text=render("pushes.reminder", locale, e=event, starts=starts, minutes=minutes))
        if row.purpose == "nudge":
            return await _nudge(uow, event, binding, locale, starts)
        if row.purpose == "signin_summary":
            await close_window(uow, event, now)
            summary = await build_summary(uow, event, binding.branch_id)
            return Reply(text=render("signin.summary", locale, s=summary, starts=starts, final=True))
        return None

    if row.purpose == "signin_summary":  # closing the window writes; everything else only reads
        return await services.db.unit(lambda conn: work(UnitOfWork(conn, now)))
    return await services.db.read(lambda conn: work(UnitOfWork(conn, now)))


async def _nudge(uow: UnitOfWork, event: EventRec, binding: BindingRec, locale: str, starts: datetime) -> Reply | None:
    if not binding.nudges or event.status != "scheduled":
        return None
    summary = await build_summary(uow, event)
    missing = [m for m in summary.absent if binding.branch_id is None or m.branch_id == binding.branch_id]
    if not missing:
        return None
    names = Markup("、").join(mention(m.id, m.name) for m in missing)
    return Reply(text=render("pushes.nudge", locale, e=event, starts=starts, names=names))


async def _duty(uow: UnitOfWork, row: OutboxRec, locale: str, now: datetime, tz: Any) -> Reply | None:
    """A shift's reminder (its members mentioned) or, at its end, who missed it (nothing if nobody)."""
    slots = await uow.duty.of_shift(int(str(row.payload["shift"])))
    if not slots:
        return None
    first = slots[0]
    if row.purpose == "duty_reminder":
        names = Markup("、").join(mention(s.member_id, s.name) for s in slots)
        starts, ends = first.starts_at.astimezone(tz), first.ends_at.astimezone(tz)
        return Reply(text=render("duty.reminder", locale, starts=starts, ends=ends, place=first.place, names=names))
    missed = [s for s in slots if s.checked_in_at is None and s.ends_at <= now]
    if not missed:
        return None
    return Reply(text=render("duty.missed", locale, items=missed_params(missed, tz)))


async def _norm_reminder(uow: UnitOfWork, row: OutboxRec, binding: BindingRec, locale: str, tz: Any) -> Reply | None:
    """Two weeks before a month ends: the branch's norms ending with it not met yet, its secretary
    mentioned; nothing when all are met."""
    if binding.branch_id is None:
        return None
    month = date.fromisoformat(str(row.payload["month"]))
    unmet = await unmet_ending(uow, binding.region_id, binding.branch_id, month, tz)
    if not unmet:
        return None
    secretaries = [
        m for m in await uow.org.members_of(binding.region_id, binding.branch_id) if m.role == "branch_secretary"
    ]
    names = Markup("、").join(mention(m.id, m.name) for m in secretaries)
    return Reply(text=render("compliance.reminder", locale, names=names, items=cell_params(unmet), ends=month))


def _items(row: OutboxRec, tz: Any) -> list[dict[str, Any]]:
    items = row.payload.get("items")
    assert isinstance(items, list)
    return [dict(it, due=datetime.fromisoformat(it["due"]).astimezone(tz)) for it in items[:MISSED_LISTED]]
