"""The lecturer pool (讲师团) and lesson requests (点单).

A branch secretary (or the region) asks for a lesson: "点单 党史 12月20日 14:00 党群服务中心" lists
the region's lecturers who speak on it, with a button each. The one chosen is asked in their
private chat with the bot and accepts or declines there; an accepted request becomes a 党课 event
(the region's 专题党课 when the region asked) with that lecturer, its reminders and sign-in, and
the requesting chat hears of it. When the lesson's sign-in closes, its attendees are asked to rate
it (1–5, once each). "讲师团" shows the pool with this year's lessons and their average rating.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.core.access import Level
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.mentions import mention
from handlers.core.outbox import Payload, Personal, PushContext, PushKind, queue
from handlers.core.ports import Button, Reply
from handlers.core.router import Command, Press
from handlers.core.timeparse import WhenError, find_when, numbered, parse_when
from handlers.events import EventDraft, audience_chats, check_lengths, create_event, for_branch
from storage.records import ATTENDED
from storage.repos.lessons import LecturerRec, LessonStats, RequestRec
from storage.uow import UnitOfWork

SCORES = range(1, 6)
MAX_TOPIC = 100


def _year_bounds(ctx: Context) -> tuple[datetime, datetime]:
    local = ctx.local(ctx.now)
    return datetime(local.year, 1, 1, tzinfo=ctx.tz), datetime(local.year + 1, 1, 1, tzinfo=ctx.tz)


def _lecturer_params(lecturer: LecturerRec, stats: dict[int, LessonStats]) -> dict[str, Any]:
    got = stats.get(lecturer.id)
    return {
        "name": lecturer.name,
        "topics": "、".join(lecturer.topics),
        "given": got.given if got else 0,
        "average": got.average if got else None,
    }


async def request_lesson(ctx: Context, args: str) -> list[Reply]:
    """点单 主题 [日期 时间 地点] — ask for a lesson: the lecturers who speak on it, a button each."""
    text = args.strip()
    if not text:
        raise UsageError("lesson_request")
    binding = ctx.need_binding()
    try:
        found = find_when(text, ctx.now, ctx.tz)
    except WhenError as err:
        raise UsageError("lesson_request", f"events.{err.code}") from err
    starts_at, place = None, None
    if found is not None:
        begin, end, starts_at = found
        topic, place = text[:begin].strip(), text[end:].strip() or None
        if starts_at <= ctx.now:
            raise UsageError("lesson_request", "events.in_past", at=ctx.local(starts_at))
    else:
        topic = text
    details, named, _ = await for_branch(ctx, topic, "lesson_request")
    topic = details.strip()
    if not topic or len(topic) > MAX_TOPIC:
        raise UsageError("lesson_request")
    check_lengths("lesson_request", place=place or "")
    branch_id = binding.branch_id if named is None else named
    asker = ctx.need_manager(binding.region_id, branch_id)
    inc = ctx.incoming
    year_start, year_end = _year_bounds(ctx)

    async def work(uow: UnitOfWork) -> tuple[int, list[LecturerRec], bool, dict[int, LessonStats]]:
        pool = await uow.lessons.pool(binding.region_id)
        matching = [lecturer for lecturer in pool if lecturer.covers(topic)]
        values = {
            "region_id": binding.region_id,
            "branch_id": branch_id,
            "requested_by": asker.id,
            "topic": topic,
            "starts_at": starts_at,
            "place": place,
            "platform": inc.platform,
            "chat_id": inc.chat_id,
        }
        request_id = await uow.lessons.add_request(values, uow.now)
        await ctx.audit(uow, asker.id, "lesson.request", request=request_id, topic=topic)
        stats = await uow.lessons.stats(binding.region_id, year_start, year_end)
        return request_id, matching or pool, bool(matching), stats

    request_id, shown, matched, stats = await ctx.unit(work)
    if not shown:
        raise AppError("lessons.no_pool")
    buttons = tuple(
        Button(str(ctx.t("lessons.pick", name=lecturer.name)), f"lesson_pick:{request_id}:{lecturer.id}")
        for lecturer in shown
    )
    return [
        ctx.reply(
            "lessons.requested",
            buttons=buttons,
            id=request_id,
            topic=topic,
            starts=ctx.local(starts_at) if starts_at else None,
            place=place,
            matched=matched,
            lecturers=[_lecturer_params(lecturer, stats) for lecturer in shown],
        )
    ]


async def press_pick(ctx: Context, data: str) -> list[Reply]:
    """A manager of the requesting chat picks a lecturer: asked privately, once at a time."""
    request_id, _, lecturer_id = data.partition(":")
    if not request_id.isdigit() or not lecturer_id.isdigit():
        return []
    member = ctx.need_member()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[RequestRec, LecturerRec, bool]:
        request = await uow.lessons.request(int(request_id))
        lecturer = await uow.lessons.lecturer(int(lecturer_id))
        if request is None or lecturer is None or (request.platform, request.chat_id) != (inc.platform, inc.chat_id):
            raise AppError("lessons.no_request", id=int(request_id))
        ctx.need_manager(request.region_id, request.branch_id)
        if not await uow.lessons.serves(lecturer.id, request.region_id):
            raise AppError("lessons.no_request", id=request.id)
        if lecturer.id in request.declined:
            raise AppError("lessons.declined_before", name=lecturer.name)
        if not await uow.lessons.ask(request.id, lecturer.id):
            raise AppError("lessons.not_open", id=request.id, status=request.status)
        chats = await uow.accounts.dm_chats(lecturer.member_id)
        for platform, chat_id in chats:
            payload = LessonPush(request=request.id, private=True)
            await queue(uow, ASKED, platform, chat_id, due=uow.now, payload=payload)
        await ctx.audit(uow, member.id, "lesson.ask", request=request.id, lecturer=lecturer.id)
        return request, lecturer, bool(chats)

    request, lecturer, reached = await ctx.unit(work)
    return [ctx.reply("lessons.asked", id=request.id, name=lecturer.name, topic=request.topic, reached=reached)]


def answer_buttons(locale: str, request_id: int) -> tuple[Button, ...]:
    return (
        Button(str(render("lessons.accept", locale)), f"lesson_yes:{request_id}"),
        Button(str(render("lessons.decline", locale)), f"lesson_no:{request_id}"),
    )


async def my_requests(ctx: Context, args: str) -> list[Reply]:
    """我的点单 — a lecturer's requests waiting for an answer, each with its buttons (in a private
    chat, it is also where the next ones are asked)."""
    member = ctx.need_member()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[LecturerRec | None, list[RequestRec], dict[int, str]]:
        if inc.is_private:
            await uow.accounts.note_dm_chat(inc.platform, inc.user_id, inc.chat_id)
        lecturer = await uow.lessons.lecturer_of(member.id)
        waiting = await uow.lessons.asked_of(lecturer.id) if lecturer else []
        return lecturer, waiting, await _askers(uow, waiting)

    lecturer, waiting, askers = await ctx.unit(work)
    if lecturer is None:
        raise AppError("lessons.not_lecturer")
    if not waiting:
        return [ctx.reply("lessons.none_waiting", private=True)]
    return [
        ctx.reply(
            "lessons.card",
            buttons=answer_buttons(ctx.locale, r.id),
            **_card_params(r, askers, ctx.local),
        )
        for r in waiting
    ]


async def _askers(uow: UnitOfWork, requests: list[RequestRec]) -> dict[int, str]:
    """Where each request comes from: its branch's name, or the region's."""
    names = {}
    for r in requests:
        if r.branch_id is not None:
            names[r.id] = (await uow.org.branch(r.branch_id)).name
        else:
            names[r.id] = (await uow.org.region(r.region_id)).name
    return names


def _card_params(r: RequestRec, askers: dict[int, str], local: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "topic": r.topic,
        "where": askers.get(r.id, ""),
        "starts": local(r.starts_at) if r.starts_at else None,
        "place": r.place,
    }


async def press_accept(ctx: Context, data: str) -> list[Reply]:
    if not data.isdigit():
        return []
    return await _accept(ctx, int(data), None, None)


async def accept_command(ctx: Context, args: str) -> list[Reply]:
    """接单 #n [日期 时间 地点] — accept a request, giving its time and place when it had none."""
    number, rest = numbered(args)
    if number is None:
        raise UsageError("lesson_accept")
    if not rest:
        return await _accept(ctx, number, None, None)
    try:
        when = parse_when(rest, ctx.now, ctx.tz)
    except WhenError as err:
        raise UsageError("lesson_accept", f"events.{err.code}") from err
    if not when.rest:
        raise UsageError("lesson_accept", "events.no_place")
    check_lengths("lesson_accept", place=when.rest)
    return await _accept(ctx, number, when.at, when.rest)


async def _accept(ctx: Context, request_id: int, at: datetime | None, place: str | None) -> list[Reply]:
    member = ctx.need_member()
    inc = ctx.incoming

    async def work(uow: UnitOfWork) -> tuple[RequestRec, int]:
        request, lecturer = await _mine(uow, request_id, member.id)
        starts_at, where = at or request.starts_at, place or request.place
        if starts_at is None or not where:
            raise AppError("lessons.needs_time", id=request.id)
        if starts_at <= uow.now:
            raise AppError("lessons.time_passed", id=request.id, at=ctx.local(starts_at))
        draft = EventDraft(
            request.region_id, request.branch_id, "party_lesson", starts_at, where, request.topic, lecturer.name
        )
        event_id = await create_event(uow, ctx.services.policy, draft, request.requested_by, inc.platform)
        if not await uow.lessons.accept(request.id, lecturer.id, event_id, uow.now):
            raise AppError("lessons.not_open", id=request.id, status="accepted")
        await queue(uow, ANSWER, request.platform, request.chat_id, due=uow.now, payload=LessonPush(request=request.id))
        event = await uow.events.get(event_id)
        assert event is not None
        for chat in await audience_chats(uow, event):
            await queue(
                uow, RATING, chat.platform, chat.chat_id, due=event.closes_at, payload=RatingPush(event=event_id)
            )
        await ctx.audit(uow, member.id, "lesson.accept", request=request.id, event=event_id)
        return request, event_id

    request, event_id = await ctx.unit(work)
    ctx.services.directory.forget_events(request.region_id)
    return [ctx.reply("lessons.accepted", id=request.id, event=event_id, topic=request.topic)]


async def press_decline(ctx: Context, data: str) -> list[Reply]:
    if not data.isdigit():
        return []
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> RequestRec:
        request, lecturer = await _mine(uow, int(data), member.id)
        if not await uow.lessons.decline(request, uow.now):
            raise AppError("lessons.not_open", id=request.id, status=request.status)
        await queue(
            uow,
            ANSWER,
            request.platform,
            request.chat_id,
            due=uow.now,
            payload=LessonPush(request=request.id, declined=lecturer.id),
        )
        await ctx.audit(uow, member.id, "lesson.decline", request=request.id, lecturer=lecturer.id)
        return request

    request = await ctx.unit(work)
    return [ctx.reply("lessons.you_declined", id=request.id, topic=request.topic)]


async def _mine(uow: UnitOfWork, request_id: int, member_id: int) -> tuple[RequestRec, LecturerRec]:
    """The request, asked of this member as a lecturer, and still waiting; else why not."""
    request = await uow.lessons.request(request_id)
    lecturer = await uow.lessons.lecturer_of(member_id)
    if request is None or lecturer is None or request.lecturer_id != lecturer.id:
        raise AppError("lessons.not_yours", id=request_id)
    if request.status != "asked":
        raise AppError("lessons.not_open", id=request.id, status=request.status)
    return request, lecturer


async def press_rate(ctx: Context, data: str) -> list[Reply]:
    """An attendee rates a lesson, once."""
    event_id, _, score = data.partition(":")
    if not event_id.isdigit() or not score.isdigit() or int(score) not in SCORES:
        return []
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[str, int]:
        request = await uow.lessons.of_event(int(event_id))
        event = await uow.events.get(int(event_id))
        if request is None or event is None or event.status == "cancelled":
            raise AppError("lessons.no_lesson")
        if uow.now < event.closes_at:  # rated once it has been given: when its sign-in closes
            raise AppError("lessons.rate_later")
        if await uow.attendance.status_of(event.id, member.id) not in ATTENDED:
            raise AppError("lessons.only_attendees")
        before = await uow.lessons.rating(event.id, member.id)
        if before is not None:
            return "already", before
        await uow.lessons.rate(event.id, member.id, int(score), uow.now)
        await ctx.audit(uow, member.id, "lesson.rate", event=event.id, score=int(score))
        return "rated", int(score)

    outcome, given = await ctx.unit(work)
    return [ctx.reply(f"lessons.{outcome}", private=True, score=given)]


async def pool(ctx: Context, args: str) -> list[Reply]:
    """讲师团 — the region's lecturers, their topics, this year's lessons and average rating."""
    node = ctx.need_node()
    start, end = _year_bounds(ctx)

    async def read(uow: UnitOfWork) -> tuple[list[LecturerRec], dict[int, LessonStats]]:
        return await uow.lessons.pool(node.region_id), await uow.lessons.stats(node.region_id, start, end)

    lecturers, stats = await ctx.read(read)
    return [
        ctx.reply(
            "lessons.pool", year=ctx.local(ctx.now).year, lecturers=[_lecturer_params(x, stats) for x in lecturers]
        )
    ]


MAX_TOPIC = 30  # characters in one topic a lecturer is known for
MAX_TOPICS = 10


def _topics(text: str) -> list[str]:
    """党史,法律 / 党史、法律 / 党史 法律 -> the topics, in order, without repeats."""
    words = text.replace("，", ",").replace("、", ",").replace(";", ",").replace("；", ",").replace(",", " ").split()
    return list(dict.fromkeys(words))


async def _pool_member(ctx: Context, region_id: int, name: str, command: str) -> Any:
    """The one active member of this region so named, or a clear answer."""
    named = await ctx.read(lambda uow: uow.org.members_named(region_id, name))
    if not named:
        raise UsageError(command, "lessons.not_on_roster", name=name)
    if len(named) > 1:
        raise AppError("lessons.name_twice", name=name, count=len(named))
    return named[0]


async def add_lecturer(ctx: Context, args: str) -> list[Reply]:
    """添加讲师 姓名 主题,主题 — put a member of this region's roster into its lecturer pool (again:
    the topics replaced); region officers only."""
    name, _, rest = args.strip().partition(" ")
    topics = _topics(rest)
    if not name or not topics:
        raise UsageError("lecturer_add")
    if len(topics) > MAX_TOPICS or any(len(t) > MAX_TOPIC for t in topics):
        raise UsageError("lecturer_add", "common.too_long", limit=MAX_TOPIC)
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None)
    member = await _pool_member(ctx, node.region_id, name, "lecturer_add")

    async def work(uow: UnitOfWork) -> bool:
        new = await uow.lessons.join_pool(member.id, topics, node.region_id, uow.now)
        await ctx.audit(uow, actor.id, "lecturer.put", member=member.id, topics=topics, region=node.region_id)
        return new

    new = await ctx.unit(work)
    return [ctx.reply("lessons.lecturer_added", name=member.name, topics=topics, new=new)]


async def remove_lecturer(ctx: Context, args: str) -> list[Reply]:
    """移除讲师 姓名 — take a lecturer out of this region's pool (other regions' pools kept)."""
    name = args.strip()
    if not name or " " in name:
        raise UsageError("lecturer_remove")
    node = ctx.need_node()
    actor = ctx.need_manager(node.region_id, None)
    member = await _pool_member(ctx, node.region_id, name, "lecturer_remove")

    async def work(uow: UnitOfWork) -> bool:
        lecturer = await uow.lessons.lecturer_of(member.id)
        if lecturer is None or not await uow.lessons.serves(lecturer.id, node.region_id):
            return False
        await uow.lessons.leave_pool(lecturer.id, node.region_id)
        await ctx.audit(uow, actor.id, "lecturer.remove", member=member.id, region=node.region_id)
        return True

    if not await ctx.unit(work):
        raise AppError("lessons.not_in_pool", name=member.name)
    return [ctx.reply("lessons.lecturer_removed", name=member.name)]


async def put_lecturer(uow: UnitOfWork, name: str, topics: list[str], regions: list[str]) -> str:
    """Put a roster member into the lecturer pool of these regions (again: topics and regions
    replaced), audited; the member is found by name in those regions' rosters and must be the only
    one so named. Raises ValueError with what is wrong; returns what was done."""
    if not topics or not regions or any(not t or len(t) > 30 for t in topics):
        raise ValueError(
            "需要 --topics 和 --regions（逗号分隔，每个主题不超过 30 字）/ --topics and --regions are needed"
        )
    region_ids = []
    found: dict[int, Any] = {}
    for region_name in regions:
        reg = await uow.org.region_by_name(region_name)
        if reg is None:
            raise ValueError(f"没有这个联合党委 / no such region: {region_name}")
        region_ids.append(reg.id)
        found |= {m.id: m for m in await uow.org.members_named(reg.id, name, None)}
    if len(found) != 1:
        raise ValueError(
            f"花名册中{'有多个' if found else '没有'}“{name}”："
            "讲师须先登记在其中一个联合党委的花名册里（角色可填 讲师）"
            f" / {'more than one' if found else 'no'} member named {name} in these regions' rosters"
        )
    [member] = found.values()
    new = await uow.lessons.put_lecturer(member.id, topics, region_ids, uow.now)
    detail = {"member": member.id, "topics": topics, "regions": regions}
    await uow.audit.record(actor=None, platform="cli", action="lecturer.put", detail=detail, now=uow.now)
    verb = "已加入讲师团 / added" if new else "已更新 / updated"
    return f"{verb}: {name}（{'、'.join(topics)}）→ {'、'.join(regions)}"


# -- pushes ------------------------------------------------------------------------------------
class LessonPush(Personal):
    request: int
    declined: int | None = None  # the lecturer who declined, for that answer


class RatingPush(Payload):
    event: int
    at: str = ""  # the close it waits for, when the lesson was moved (改期) after it was queued


async def _asked_push(ctx: PushContext[LessonPush]) -> Reply | None:
    """The lecturer asked, in their private chat, while the request still waits for them."""
    request = await ctx.uow.lessons.request(ctx.payload.request)
    if request is None or request.status != "asked":
        return None
    askers = await _askers(ctx.uow, [request])
    params = _card_params(request, askers, lambda at: at.astimezone(ctx.tz))
    return Reply(text=render("lessons.card", ctx.locale, **params), buttons=answer_buttons(ctx.locale, request.id))


async def _answer_push(ctx: PushContext[LessonPush]) -> Reply | None:
    """The requesting chat hears the answer: the lesson published, or declined (the others offered)."""
    uow = ctx.uow
    request = await uow.lessons.request(ctx.payload.request)
    if request is None:
        return None
    if ctx.payload.declined is not None:
        who = await uow.lessons.lecturer(ctx.payload.declined)
        if who is None or request.status != "open":
            return None
        others = [
            x
            for x in await uow.lessons.pool(request.region_id)
            if x.id not in request.declined and x.covers(request.topic)
        ]
        buttons = tuple(
            Button(str(render("lessons.pick", ctx.locale, name=x.name)), f"lesson_pick:{request.id}:{x.id}")
            for x in others
        )
        text = render(
            "lessons.declined", ctx.locale, id=request.id, name=who.name, topic=request.topic, others=bool(others)
        )
        return Reply(text=text, buttons=buttons)
    event = await uow.events.get(request.event_id) if request.event_id is not None else None
    lecturer = await uow.lessons.lecturer(request.lecturer_id) if request.lecturer_id is not None else None
    if request.status != "accepted" or event is None or lecturer is None or event.status == "cancelled":
        return None
    asker = await uow.org.member(request.requested_by)
    text = render(
        "lessons.published",
        ctx.locale,
        id=request.id,
        event=event.id,
        name=lecturer.name,
        topic=request.topic,
        starts=event.starts_at.astimezone(ctx.tz),
        place=event.place,
        asker=mention(asker.id, asker.name) if asker else "",
    )
    return Reply(text=text)


async def _rating_push(ctx: PushContext[RatingPush]) -> Reply | None:
    """After the lesson: its attendees asked to rate it (nothing if nobody came, or it was
    cancelled). The row is not tied to the event's own pushes, which a move (改期) replaces: a
    lesson moved later is asked about once its new sign-in closes."""
    event = await ctx.uow.events.get(ctx.payload.event)
    if event is None or event.status == "cancelled":
        return None
    if ctx.now < event.closes_at:
        payload = RatingPush(event=event.id, at=event.closes_at.isoformat())
        await queue(ctx.uow, RATING, ctx.row.platform, ctx.row.chat_id, due=event.closes_at, payload=payload)
        return None
    if not any((await ctx.uow.attendance.present_by([event.id])).values()):
        return None
    buttons = tuple(Button(f"{'⭐' * n}", f"lesson_rate:{event.id}:{n}") for n in SCORES)
    text = render("lessons.rate_please", ctx.locale, topic=event.topic, lecturer=event.lecturer or "")
    return Reply(text=text, buttons=buttons)


ASKED = PushKind(
    "lesson_asked", LessonPush, _asked_push, lambda p: f"lesson:{p.request}:asked", label=("点单通知", "lesson request")
)
ANSWER = PushKind(
    "lesson_answer",
    LessonPush,
    _answer_push,
    lambda p: f"lesson:{p.request}:answer:{p.declined or 'accepted'}",
    label=("点单答复", "lesson request answer"),
)
RATING = PushKind(
    "lesson_rating",
    RatingPush,
    _rating_push,
    lambda p: f"lesson_rating:{p.event}" + (f":{p.at}" if p.at else ""),
    writes=True,
    label=("党课评价", "lesson rating"),
)
PUSHES: list[PushKind[Any]] = [ASKED, ANSWER, RATING]

M, B = Level.MEMBER, Level.BRANCH
COMMANDS = [
    Command("lecturers", ("讲师团",), pool, "lessons.usage_lecturers", "lessons.help_lecturers", access=M),
    Command(
        "lesson_request",
        ("点单",),
        request_lesson,
        "lessons.usage_lesson_request",
        "lessons.help_lesson_request",
        access=B,
    ),
    Command("my_lessons", ("我的点单",), my_requests, "lessons.usage_my_lessons", "lessons.help_my_lessons", access=M),
    Command("lesson_accept", ("接单",), accept_command, "lessons.usage_lesson_accept", None, access=M),
    Command(
        "lecturer_add",
        ("添加讲师",),
        add_lecturer,
        "lessons.usage_lecturer_add",
        "lessons.help_lecturer_add",
        access=Level.REGION,
    ),
    Command(
        "lecturer_remove", ("移除讲师",), remove_lecturer, "lessons.usage_lecturer_remove", None, access=Level.REGION
    ),
]
BUTTONS = [
    Press("lesson_pick", press_pick, B),
    Press("lesson_yes", press_accept, M),
    Press("lesson_no", press_decline, M),
    Press("lesson_rate", press_rate, M),
]


PHRASES = [
    Phrase(SEE + r"(?:讲师|讲师团)(?:名单|有哪些|有谁|都有谁)?|(?:有)?(?:哪些|什么)讲师", "讲师团"),
]

FEATURE = Feature("lessons", topic="groups", commands=COMMANDS, buttons=BUTTONS, pushes=PUSHES, phrases=PHRASES)
