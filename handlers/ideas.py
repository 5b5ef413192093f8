"""Golden ideas (金点子): submitted in the group, numbered per region, supported with 👍, reviewed
by an admin from 待审 to 采纳 / 不采纳 and on to 实施中 / 已实施, with points for the author."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from handlers.core.access import Level, may_manage_member
from handlers.core.context import Context
from handlers.core.errors import AppError, UsageError
from handlers.core.feature import Feature
from handlers.core.i18n import render
from handlers.core.intent import SEE, Phrase
from handlers.core.mentions import mention
from handlers.core.outbox import Personal, PushContext, PushKind, queue
from handlers.core.ports import Button, Reply
from handlers.core.router import Command, Handler, Press
from handlers.core.timeparse import numbered
from storage.repos.ideas import IdeaRec
from storage.uow import UnitOfWork

MAX_IDEA = 1000
_TAG = re.compile(r"#([^\s#]{1,20})\s*$")
# review step -> (from which statuses, note required, points rule)
STEPS: dict[str, tuple[tuple[str, ...], bool, str | None]] = {
    "adopted": (("pending",), False, "idea_adopted"),
    "rejected": (("pending",), True, None),
    "implementing": (("adopted",), False, None),
    "implemented": (("adopted", "implementing"), True, "idea_implemented"),
}


def _body(args: str) -> tuple[str, str | None]:
    """'：内容 #节能降耗' -> ('内容', '节能降耗'); the text is kept as typed otherwise."""
    text = args.lstrip(" :：").strip()
    tag = _TAG.search(text)
    if tag and tag.start() > 0:
        return text[: tag.start()].rstrip(), tag.group(1)
    return text, None


async def _submit(ctx: Context, args: str, anonymous: bool) -> list[Reply]:
    usage = "idea_anon" if anonymous else "idea"
    text, category = _body(args)
    if not text:
        raise UsageError(usage)
    if len(text) > MAX_IDEA:
        raise UsageError(usage, "common.too_long", limit=MAX_IDEA)
    node = ctx.need_node()  # a private chat files the idea to the member's own region
    member = ctx.need_member()
    inc = ctx.incoming
    policy = ctx.services.policy
    award = await ctx.points_for("idea_submitted", node.region_id)
    local = ctx.local(ctx.now)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    async def work(uow: UnitOfWork) -> tuple[int, int, int]:
        same = await uow.ideas.same_text(node.region_id, text, uow.now - timedelta(days=1))
        if same is not None:
            raise AppError("ideas.duplicate", number=same)
        idea_id, number = await uow.ideas.create(
            region_id=node.region_id,
            member_id=member.id,
            anonymous=anonymous,
            text=text,
            category=category,
            status="pending",
            platform=inc.platform,
            chat_id=inc.chat_id,
            created_at=uow.now,
        )
        await uow.ideas.change(idea_id, "pending", None, member.id, uow.now)
        credited = 0
        # points for the first few submissions of a month only: ideas are for ideas, not points
        if award > 0 and await uow.points.credited(member.id, "idea:submitted:%", month) < policy.idea_points_per_month:
            await uow.points.credit(
                member.id,
                award,
                reason=f"idea:submitted:{number}",
                source="idea",
                ref=f"idea:{idea_id}:submitted",
                operator=None,
                now=uow.now,
            )
            credited = award
        return idea_id, number, credited

    idea_id, number, credited = await ctx.unit(work)
    author = None if anonymous else mention(member.id, member.name)
    return [
        ctx.reply(
            "ideas.submitted",
            buttons=(Button("👍", f"idea_vote:{idea_id}"),),
            number=number,
            author=author,
            category=category,
            text=text,
            points=credited,
            capped=award > 0 and not credited,
            limit=policy.idea_points_per_month,
            anonymous_in_group=anonymous and not inc.is_private,
        )
    ]


async def submit(ctx: Context, args: str) -> list[Reply]:
    """金点子：内容 [#分类] — submit a suggestion."""
    return await _submit(ctx, args, anonymous=False)


async def submit_anonymous(ctx: Context, args: str) -> list[Reply]:
    """匿名金点子：内容 — the group does not see who; admins do, and the points still go to the author."""
    return await _submit(ctx, args, anonymous=True)


async def vote(ctx: Context, data: str) -> list[Reply]:
    """The 👍 button: one vote per member per idea."""
    if not data.isdigit():
        return []  # not a button we made
    idea_id = int(data)
    member = ctx.need_member()

    async def work(uow: UnitOfWork) -> tuple[bool, IdeaRec | None]:
        idea = await uow.ideas.get(idea_id)
        if idea is None or idea.region_id != member.region_id:
            return False, None
        if idea.member_id == member.id:
            raise AppError("ideas.own_idea", number=idea.number)  # support is others' to give
        return await uow.ideas.vote(idea_id, member.id, uow.now), await uow.ideas.get(idea_id)

    fresh, idea = await ctx.unit(work)
    if idea is None:
        raise AppError("ideas.not_found", number="?")
    key = "ideas.voted" if fresh else "ideas.already_voted"
    return [ctx.reply(key, private=True, number=idea.number, votes=idea.votes)]


def _ref(args: str, usage: str) -> tuple[int, str]:
    number, rest = numbered(args)
    if number is None:
        raise UsageError(usage)
    return number, rest


def _review(step: str, usage: str) -> Handler:
    allowed, needs_note, rule = STEPS[step]

    async def handler(ctx: Context, args: str) -> list[Reply]:
        number, note = _ref(args, usage)
        if needs_note and not note:
            raise UsageError(usage, "ideas.note_required", step=step)
        if len(note) > MAX_IDEA:
            raise UsageError(usage, "common.too_long", limit=MAX_IDEA)
        binding = ctx.need_binding()
        # a region officer reviews any idea; a branch secretary, in the branch's chat, its own branch's
        admin = ctx.need_manager(binding.region_id, binding.branch_id)
        points = await ctx.points_for(rule, binding.region_id) if rule else 0
        inc = ctx.incoming

        async def work(uow: UnitOfWork) -> IdeaRec:
            idea = await uow.ideas.by_number(binding.region_id, number)
            if idea is None:
                raise AppError("ideas.not_found", number=number)
            if binding.branch_id is not None and idea.author_branch_id != binding.branch_id:
                raise AppError("ideas.other_branch", number=number)
            if idea.status not in allowed:
                raise AppError("ideas.wrong_step", number=number, status=idea.status, step=step)
            await uow.ideas.change(idea.id, step, note or None, admin.id, uow.now)
            if points > 0:
                await uow.points.credit(
                    idea.member_id,
                    points,
                    reason=f"idea:{step}:{number}",
                    source="idea",
                    ref=f"idea:{idea.id}:{step}",
                    operator=admin.id,
                    now=uow.now,
                )
            await uow.audit.record(
                actor=admin.id,
                platform=ctx.incoming.platform,
                action=f"idea.{step}",
                detail={"idea": idea.id, "number": number},
                now=uow.now,
            )
            if (idea.platform, idea.chat_id) != (inc.platform, inc.chat_id):
                private = await uow.chats.binding(idea.platform, idea.chat_id) is None
                payload = IdeaUpdate(idea=idea.id, step=step, note=note, points=points, private=private)
                # tell the chat where the idea was submitted
                await queue(uow, IDEA_UPDATE, idea.platform, idea.chat_id, due=uow.now, payload=payload)
            return idea

        idea = await ctx.unit(work)
        return [ctx.reply("ideas.changed", **update_params(idea, step, note, points, binding.branch_id))]

    return handler


def names_author(idea: IdeaRec, branch_id: int | None) -> bool:
    """Whether a node's chat (or page) names an idea's author: never an anonymous one, and in a
    branch's only one of that branch."""
    return not idea.anonymous and branch_id in (None, idea.author_branch_id)


def update_params(idea: IdeaRec, step: str, note: str, points: int, branch_id: int | None) -> dict[str, Any]:
    """What a chat is told about a review step: the author named as names_author says."""
    author = mention(idea.member_id, idea.author) if names_author(idea, branch_id) else None
    return {"number": idea.number, "step": step, "note": note, "author": author, "points": points}


async def list_ideas(ctx: Context, args: str) -> list[Reply]:
    """金点子列表 — the open ideas with their status and support."""
    node = ctx.need_node()
    ideas = await ctx.read(lambda uow: uow.ideas.open_in(node.region_id))
    return [ctx.reply("ideas.listing", ideas=ideas)]


async def show_idea(ctx: Context, args: str) -> list[Reply]:
    """金点子 #12 — one idea with its history. An anonymous author is shown only in a private chat
    with someone who manages them; a named author of another branch not in a branch's chat."""
    node = ctx.need_node()
    number, _ = _ref(args, "idea_show")
    idea = await ctx.read(lambda uow: uow.ideas.by_number(node.region_id, number))
    if idea is None:
        raise AppError("ideas.not_found", number=number)
    history = await ctx.read(lambda uow: uow.ideas.history(idea.id))
    if idea.anonymous:
        author_rec = await ctx.read(lambda uow: uow.org.member(idea.member_id))
        reveal = (
            ctx.incoming.is_private
            and author_rec is not None
            and (
                (ctx.member is not None and ctx.member.id == author_rec.id) or may_manage_member(ctx.member, author_rec)
            )
        )
    else:
        reveal = node.branch_id in (None, idea.author_branch_id) or ctx.incoming.is_private
    steps = [{"status": s, "note": n, "by": b, "at": ctx.local(a)} for s, n, b, a in history]
    return [ctx.reply("ideas.detail", idea=idea, author=idea.author if reveal else None, steps=steps)]


async def idea_or_show(ctx: Context, args: str) -> list[Reply]:
    """'金点子 #12' shows an idea; '金点子：…' (or anything else after 金点子) submits one."""
    number, rest = numbered(args, hash_required=True)
    if number is not None and not rest:
        return await show_idea(ctx, args)
    return await submit(ctx, args)


M, B = Level.MEMBER, Level.BRANCH


class IdeaUpdate(Personal):
    idea: int
    step: str
    note: str = ""
    points: int = 0


async def _update_push(ctx: PushContext[IdeaUpdate]) -> Reply | None:
    p = ctx.payload
    idea = await ctx.uow.ideas.get(p.idea)
    if idea is None:
        return None
    branch_id = ctx.binding.branch_id if ctx.binding is not None else None
    params = update_params(idea, p.step, p.note, p.points, branch_id)
    return Reply(text=render("ideas.changed", ctx.locale, **params))


IDEA_UPDATE = PushKind(
    "idea_update",
    IdeaUpdate,
    _update_push,
    lambda p: f"idea:{p.idea}:{p.step}",
    label=("金点子进展", "golden idea update"),
)
PUSHES = [IDEA_UPDATE]

COMMANDS = [
    Command("idea", ("金点子",), idea_or_show, "ideas.usage_idea", "ideas.help_idea", access=M),
    Command("idea_anon", ("匿名金点子",), submit_anonymous, "ideas.usage_idea_anon", "ideas.help_idea_anon", access=M),
    Command("ideas", ("金点子列表",), list_ideas, "ideas.usage_ideas", "ideas.help_ideas", access=M, reads=True),
    Command("idea_show", ("查看金点子",), show_idea, "ideas.usage_idea_show", None, access=M, reads=True),
    Command("adopt", ("采纳",), _review("adopted", "adopt"), "ideas.usage_adopt", "ideas.help_adopt", access=B),
    Command("reject", ("不采纳",), _review("rejected", "reject"), "ideas.usage_reject", None, access=B),
    Command("implementing", ("实施中",), _review("implementing", "implementing"), "ideas.usage_implementing", access=B),
    Command("implemented", ("已实施",), _review("implemented", "implemented"), "ideas.usage_implemented", access=B),
]
BUTTONS = [Press("idea_vote", vote, M)]


PHRASES = [
    Phrase(
        r"我?(?:有|想提|要提|提)(?:个|一个|一条|条)(?:金点子|好点子|建议|合理化建议)[\s,:，：]*(?P<text>.+)",
        "金点子",
        "{text}",
        anyone=True,
    ),
    Phrase(SEE + r"(?:大家的|最近的|全部)?金点子(?:情况|有哪些|都有啥|列表)?|(?:有)?(?:哪些|什么)金点子", "金点子列表"),
]

FEATURE = Feature("ideas", topic="ideas", commands=COMMANDS, buttons=BUTTONS, pushes=PUSHES, phrases=PHRASES)
