"""Repositories: Core statements over one connection. They never commit; the unit of work does."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Insert, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage.models import (
    Attendance,
    AuditLog,
    Branch,
    CacheVersion,
    ChatBinding,
    DutyAssignment,
    Event,
    EventDraft,
    Idea,
    LinkRequest,
    Member,
    MemberAccount,
    Outbox,
    ProcessedUpdate,
    Region,
    ScheduleRule,
    SentMessage,
)

if TYPE_CHECKING:
    from storage.duty import DutyRepo, RotationRepo
    from storage.engage import IdeaRepo, PointsRepo, StoreRepo
    from storage.groups import GroupRepo
    from storage.lessons import LessonRepo
    from storage.web import WebRepo
from storage.records import (
    ATTENDED,
    AttendanceRec,
    BindingRec,
    BoundChat,
    BranchRec,
    EventRec,
    LinkRequestRec,
    MemberRec,
    OutboxRec,
    RegionRec,
    RuleRec,
)


def insert_ignoring_conflicts(conn: AsyncConnection | Connection | str, table: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the connection's (or the named) dialect."""
    t: Table = table.__table__ if hasattr(table, "__table__") else table
    dialect = conn if isinstance(conn, str) else conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(t).on_conflict_do_nothing()
    return sqlite.insert(t).on_conflict_do_nothing()


async def upsert(conn: AsyncConnection, model: Any, keys: dict[str, Any], values: dict[str, Any]) -> bool:
    """Insert the row named by `keys`, or change `values` of the one already there; True if it
    was inserted."""
    inserted = await conn.execute(insert_ignoring_conflicts(conn, model).values(**keys, **values))
    if inserted.rowcount:
        return True
    await conn.execute(update(model).where(*(getattr(model, k) == v for k, v in keys.items())).values(**values))
    return False


async def bump_version(conn: AsyncConnection, name: str) -> None:
    """Tell every process's lookup cache that data of this family ('org', 'events') changed."""
    await conn.execute(update(CacheVersion).where(CacheVersion.name == name).values(version=CacheVersion.version + 1))


async def cache_versions(conn: AsyncConnection) -> dict[str, int]:
    return {n: int(v) for n, v in await conn.execute(select(CacheVersion.name, CacheVersion.version))}


_MEMBER_COLS = (
    Member.id,
    Member.region_id,
    Member.branch_id,
    Member.name,
    Member.role,
    Member.is_mobile,
    Member.active,
    Member.phone,
    Member.wecom_userid,
)
_EVENT_COLS = (
    Event.id,
    Event.region_id,
    Event.branch_id,
    Event.kind,
    Event.topic,
    Event.place,
    Event.lecturer,
    Event.starts_at,
    Event.opens_at,
    Event.late_after,
    Event.closes_at,
    Event.status,
    Event.rule_id,
    Event.group_id,
)
_RULE_COLS = (
    ScheduleRule.id,
    ScheduleRule.region_id,
    ScheduleRule.branch_id,
    ScheduleRule.kind,
    ScheduleRule.text,
    ScheduleRule.spec,
    ScheduleRule.at_time,
    ScheduleRule.place,
    ScheduleRule.topic,
    ScheduleRule.lecturer,
    ScheduleRule.holiday_policy,
    ScheduleRule.reminders,
    ScheduleRule.status,
)
_BINDING_COLS = (
    ChatBinding.id,
    ChatBinding.platform,
    ChatBinding.chat_id,
    ChatBinding.region_id,
    ChatBinding.branch_id,
    ChatBinding.active,
    ChatBinding.locale,
    ChatBinding.nudges,
)


_REQUEST_COLS = (
    LinkRequest.id,
    LinkRequest.member_id,
    LinkRequest.platform,
    LinkRequest.user_id,
    LinkRequest.display,
    LinkRequest.chat_id,
    LinkRequest.private,
    LinkRequest.status,
    LinkRequest.created_at,
)


def _member(row: Any) -> MemberRec:
    return MemberRec(*row)


def _event(row: Any) -> EventRec:
    return EventRec(*row)


# statements every page and board asks, built once (building one costs more than running it)
_EVENT_BY_ID = select(*_EVENT_COLS).where(Event.id == bindparam("event_id"))
_EVENT_AND_BRANCH = (
    select(*_EVENT_COLS, Branch.name)
    .outerjoin(Branch, Branch.id == Event.branch_id)
    .where(Event.id == bindparam("event_id"))
)
_MEMBERS_OF_REGION = (
    select(*_MEMBER_COLS)
    .where(Member.region_id == bindparam("region_id"), Member.active.is_(True))
    .order_by(Member.branch_id, Member.id)
)
_MEMBERS_OF_BRANCH = _MEMBERS_OF_REGION.where(Member.branch_id == bindparam("branch_id"))
_ATTENDANCE_OF_EVENT = (
    select(Attendance.member_id, Attendance.status, Attendance.reason, Attendance.recorded_by, Attendance.recorded_at)
    .where(Attendance.event_id == bindparam("event_id"))
    .order_by(Attendance.recorded_at, Attendance.id)
)
_NAMES_OF = select(Member.id, Member.name, Member.branch_id).where(Member.id.in_(bindparam("ids", expanding=True)))


def _binding(row: Any) -> BindingRec:
    return BindingRec(*row)


_REGION_COLS = (Region.id, Region.name, Region.created_at, Region.started_on)


@dataclass
class OrgRepo:
    conn: AsyncConnection

    async def region_by_name(self, name: str) -> RegionRec | None:
        row = (await self.conn.execute(select(*_REGION_COLS).where(Region.name == name))).first()
        return RegionRec(*row) if row else None

    async def region(self, region_id: int) -> RegionRec:
        row = (await self.conn.execute(select(*_REGION_COLS).where(Region.id == region_id))).one()
        return RegionRec(*row)

    async def ensure_region(self, name: str, now: datetime) -> RegionRec:
        found = await self.region_by_name(name)
        if found:
            return found
        rid = (
            await self.conn.execute(insert(Region).values(name=name, created_at=now).returning(Region.id))
        ).scalar_one()
        return RegionRec(rid, name, now)

    async def set_start(self, region_id: int, day: date) -> None:
        """启用日期: the day the region's figures count from."""
        await self.conn.execute(update(Region).where(Region.id == region_id).values(started_on=day))

    async def regions(self) -> list[RegionRec]:
        rows = await self.conn.execute(select(*_REGION_COLS).order_by(Region.id))
        return [RegionRec(*r) for r in rows]

    async def branches(self, region_id: int) -> list[BranchRec]:
        rows = await self.conn.execute(
            select(Branch.id, Branch.region_id, Branch.name).where(Branch.region_id == region_id).order_by(Branch.id)
        )
        return [BranchRec(*r) for r in rows]

    async def branch(self, branch_id: int) -> BranchRec:
        row = (
            await self.conn.execute(select(Branch.id, Branch.region_id, Branch.name).where(Branch.id == branch_id))
        ).one()
        return BranchRec(*row)

    async def find_branches(self, name: str) -> list[BranchRec]:
        rows = await self.conn.execute(select(Branch.id, Branch.region_id, Branch.name).where(Branch.name == name))
        return [BranchRec(*r) for r in rows]

    async def ensure_branch(self, region_id: int, name: str, now: datetime) -> BranchRec:
        row = (
            await self.conn.execute(
                select(Branch.id, Branch.region_id, Branch.name).where(
                    Branch.region_id == region_id, Branch.name == name
                )
            )
        ).first()
        if row:
            return BranchRec(*row)
        bid = (
            await self.conn.execute(
                insert(Branch).values(region_id=region_id, name=name, created_at=now).returning(Branch.id)
            )
        ).scalar_one()
        return BranchRec(bid, region_id, name)

    async def member(self, member_id: int) -> MemberRec | None:
        row = (await self.conn.execute(select(*_MEMBER_COLS).where(Member.id == member_id))).first()
        return _member(row) if row else None

    async def member_in_branch(self, branch_id: int, name: str) -> MemberRec | None:
        row = (
            await self.conn.execute(select(*_MEMBER_COLS).where(Member.branch_id == branch_id, Member.name == name))
        ).first()
        return _member(row) if row else None

    async def members_named(
        self, region_id: int, name: str, branch_id: int | None = None, *, active_only: bool = True
    ) -> list[MemberRec]:
        q = select(*_MEMBER_COLS).where(Member.region_id == region_id, Member.name == name)
        if active_only:
            q = q.where(Member.active.is_(True))
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        return [_member(r) for r in await self.conn.execute(q.order_by(Member.id))]

    async def role_counts(self, region_id: int) -> dict[tuple[int | None, str], int]:
        """Active members of a region, counted by (branch, role)."""
        q = (
            select(Member.branch_id, Member.role, func.count())
            .where(Member.region_id == region_id, Member.active.is_(True))
            .group_by(Member.branch_id, Member.role)
        )
        return {(b, str(r)): int(n) for b, r, n in (await self.conn.execute(q)).all()}

    async def members_of(self, region_id: int, branch_id: int | None = None) -> list[MemberRec]:
        if branch_id is None:
            rows = await self.conn.execute(_MEMBERS_OF_REGION, {"region_id": region_id})
        else:
            rows = await self.conn.execute(_MEMBERS_OF_BRANCH, {"region_id": region_id, "branch_id": branch_id})
        return [_member(r) for r in rows]

    async def upsert_member(
        self,
        *,
        region_id: int,
        branch_id: int,
        name: str,
        role: str,
        phone: str | None,
        is_mobile: bool,
        now: datetime,
        wecom_userid: str | None = None,
        member_id: int | None = None,
    ) -> tuple[int, bool]:
        """Create or update a roster member (`member_id`: that very member, e.g. one moving to
        this branch, keeping their accounts and points); returns (id, changed)."""
        found = await self.member(member_id) if member_id is not None else await self.member_in_branch(branch_id, name)
        values = {
            "branch_id": branch_id,
            "name": name,
            "role": role,
            "phone": phone,
            "wecom_userid": wecom_userid,
            "is_mobile": is_mobile,
            "active": True,
        }
        if found is None:
            mid = (
                await self.conn.execute(
                    insert(Member).values(region_id=region_id, created_at=now, **values).returning(Member.id)
                )
            ).scalar_one()
            await bump_version(self.conn, "org")
            return mid, True
        before = (found.branch_id, found.name, found.role, found.phone, found.wecom_userid, found.is_mobile, True)
        if before == tuple(values.values()) and found.active:
            return found.id, False
        await self.conn.execute(update(Member).where(Member.id == found.id).values(**values))
        await bump_version(self.conn, "org")
        return found.id, True

    async def members_by_phone(self, phone: str) -> list[MemberRec]:
        """Active members of any region whose roster phone is this (normalized) number."""
        q = select(*_MEMBER_COLS).where(Member.phone == phone, Member.active.is_(True)).order_by(Member.id)
        return [_member(r) for r in await self.conn.execute(q)]

    async def members_named_anywhere(self, name: str) -> list[MemberRec]:
        q = select(*_MEMBER_COLS).where(Member.name == name, Member.active.is_(True)).order_by(Member.id)
        return [_member(r) for r in await self.conn.execute(q)]

    async def members_in_region(self, region_id: int, *, active_only: bool = True) -> list[MemberRec]:
        q = select(*_MEMBER_COLS).where(Member.region_id == region_id)
        if active_only:
            q = q.where(Member.active.is_(True))
        return [_member(r) for r in await self.conn.execute(q.order_by(Member.id))]

    async def set_member_active(self, member_id: int, active: bool) -> bool:
        res = await self.conn.execute(
            update(Member).where(Member.id == member_id, Member.active.is_(not active)).values(active=active)
        )
        if res.rowcount:
            await bump_version(self.conn, "org")
        return bool(res.rowcount)

    async def unlink(self, member_id: int, platform: str | None = None) -> list[tuple[str, str]]:
        """Remove a member's account links (of one platform, or all); returns what was removed."""
        cond = [MemberAccount.member_id == member_id]
        if platform is not None:
            cond.append(MemberAccount.platform == platform)
        rows = list((await self.conn.execute(select(MemberAccount.platform, MemberAccount.user_id).where(*cond))).all())
        if rows:
            await self.conn.execute(delete(MemberAccount).where(*cond))
            await bump_version(self.conn, "org")
        return [(p, u) for p, u in rows]

    async def accounts_in(self, region_id: int, branch_id: int | None) -> list[tuple[MemberRec, dict[str, str]]]:
        """The members of a node (inactive ones too) with their linked accounts by platform."""
        q = select(*_MEMBER_COLS).where(Member.region_id == region_id)
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        members = [_member(r) for r in await self.conn.execute(q.order_by(Member.branch_id, Member.id))]
        links: dict[int, dict[str, str]] = {}
        rows = await self.conn.execute(
            select(MemberAccount.member_id, MemberAccount.platform, MemberAccount.user_id)
            .join(Member, Member.id == MemberAccount.member_id)
            .where(Member.region_id == region_id)
        )
        for member_id, platform, user_id in rows:
            links.setdefault(member_id, {})[platform] = user_id
        return [(m, links.get(m.id, {})) for m in members]

    # -- link requests: accounts waiting for a manager's approval ---------------------------
    async def request_link(
        self,
        *,
        member_id: int | None,
        name: str,
        platform: str,
        user_id: str,
        display: str,
        chat_id: str,
        private: bool,
        now: datetime,
    ) -> int:
        """A new pending request; the same account's earlier pending ones are withdrawn."""
        await self.withdraw_requests(platform, user_id)
        res = await self.conn.execute(
            insert(LinkRequest)
            .values(
                member_id=member_id,
                name=name,
                platform=platform,
                user_id=user_id,
                display=display[:100],
                chat_id=chat_id,
                private=private,
                status="pending",
                created_at=now,
            )
            .returning(LinkRequest.id)
        )
        return int(res.scalar_one())

    async def open_request(self, platform: str, user_id: str) -> LinkRequestRec | None:
        """The account's pending request, if it has one."""
        row = (
            await self.conn.execute(
                select(*_REQUEST_COLS).where(
                    LinkRequest.platform == platform, LinkRequest.user_id == user_id, LinkRequest.status == "pending"
                )
            )
        ).first()
        return LinkRequestRec(*row) if row else None

    async def open_requests_for(self, member_id: int) -> int:
        """How many accounts are waiting to be linked to this member."""
        got = await self.conn.execute(
            select(func.count()).where(LinkRequest.member_id == member_id, LinkRequest.status == "pending")
        )
        return int(got.scalar_one())

    async def withdraw_requests(self, platform: str, user_id: str) -> None:
        await self.conn.execute(
            update(LinkRequest)
            .where(LinkRequest.platform == platform, LinkRequest.user_id == user_id, LinkRequest.status == "pending")
            .values(status="withdrawn")
        )

    async def link_request(self, request_id: int) -> LinkRequestRec | None:
        row = (await self.conn.execute(select(*_REQUEST_COLS).where(LinkRequest.id == request_id))).first()
        return LinkRequestRec(*row) if row else None

    async def decide_request(self, request_id: int, status: str, by: int | None, now: datetime) -> bool:
        """pending -> approved / rejected; False if it was decided (or withdrawn) meanwhile."""
        res = await self.conn.execute(
            update(LinkRequest)
            .where(LinkRequest.id == request_id, LinkRequest.status == "pending")
            .values(status=status, decided_by=by, decided_at=now)
        )
        return bool(res.rowcount)

    async def pending_requests(self, region_id: int, branch_id: int | None) -> list[LinkRequestRec]:
        q = (
            select(*_REQUEST_COLS)
            .join(Member, Member.id == LinkRequest.member_id)
            .where(Member.region_id == region_id, LinkRequest.status == "pending")
        )
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        return [LinkRequestRec(*r) for r in await self.conn.execute(q.order_by(LinkRequest.id))]

    async def account_member(self, platform: str, user_id: str) -> MemberRec | None:
        row = (
            await self.conn.execute(
                select(*_MEMBER_COLS)
                .join(MemberAccount, MemberAccount.member_id == Member.id)
                .where(MemberAccount.platform == platform, MemberAccount.user_id == user_id)
            )
        ).first()
        return _member(row) if row else None

    async def accounts_by_platform(self, platform: str) -> dict[str, MemberRec]:
        rows = await self.conn.execute(
            select(MemberAccount.user_id, *_MEMBER_COLS)
            .join(MemberAccount, MemberAccount.member_id == Member.id)
            .where(MemberAccount.platform == platform)
        )
        return {r[0]: _member(r[1:]) for r in rows}

    async def bindings_of(self, platform: str) -> dict[str, BindingRec]:
        rows = await self.conn.execute(select(*_BINDING_COLS).where(ChatBinding.platform == platform))
        return {r.chat_id: _binding(r) for r in rows}

    async def accounts_of(self, member_id: int) -> dict[str, str]:
        rows = await self.conn.execute(
            select(MemberAccount.platform, MemberAccount.user_id).where(MemberAccount.member_id == member_id)
        )
        return {p: u for p, u in rows}

    async def platform_accounts(self, platform: str, member_ids: Iterable[int]) -> dict[int, str]:
        """member id -> the member's user id on a platform, for those who have one."""
        rows = await self.conn.execute(
            select(MemberAccount.member_id, MemberAccount.user_id).where(
                MemberAccount.platform == platform, MemberAccount.member_id.in_(list(member_ids))
            )
        )
        return {m: u for m, u in rows}

    async def link_account(
        self, member_id: int, platform: str, user_id: str, now: datetime, dm_chat: str | None = None
    ) -> bool:
        """Link a chat account to a member (`dm_chat`: its private chat with the bot, when linked
        there); False if that account is linked to someone already, or the member has another
        account on that platform."""
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, MemberAccount).values(
                member_id=member_id, platform=platform, user_id=user_id, linked_at=now, dm_chat=dm_chat
            )
        )
        if res.rowcount:
            await bump_version(self.conn, "org")
        return bool(res.rowcount)

    async def note_dm_chat(self, platform: str, user_id: str, chat_id: str) -> None:
        """Remember an account's private chat with the bot (where it may be asked privately)."""
        await self.conn.execute(
            update(MemberAccount)
            .where(MemberAccount.platform == platform, MemberAccount.user_id == user_id)
            .where(or_(MemberAccount.dm_chat.is_(None), MemberAccount.dm_chat != chat_id))
            .values(dm_chat=chat_id)
        )

    async def dm_chats(self, member_id: int) -> list[tuple[str, str]]:
        """(platform, chat) of each private chat the member has had with the bot."""
        rows = await self.conn.execute(
            select(MemberAccount.platform, MemberAccount.dm_chat).where(
                MemberAccount.member_id == member_id, MemberAccount.dm_chat.is_not(None)
            )
        )
        return [(str(p), str(c)) for p, c in rows]

    async def binding(self, platform: str, chat_id: str) -> BindingRec | None:
        row = (
            await self.conn.execute(
                select(*_BINDING_COLS).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
            )
        ).first()
        return _binding(row) if row else None

    async def bind_chat(
        self, *, platform: str, chat_id: str, region_id: int, branch_id: int | None, by: int | None, now: datetime
    ) -> None:
        await bump_version(self.conn, "org")
        existing = await self.binding(platform, chat_id)
        if existing is None:
            await self.conn.execute(
                insert(ChatBinding).values(
                    platform=platform,
                    chat_id=chat_id,
                    region_id=region_id,
                    branch_id=branch_id,
                    active=True,
                    bound_by=by,
                    created_at=now,
                )
            )
        else:
            await self.conn.execute(
                update(ChatBinding)
                .where(ChatBinding.id == existing.id)
                .values(region_id=region_id, branch_id=branch_id, active=True, bound_by=by, created_at=now)
            )

    async def bound_chats(self, region_id: int, branch_id: int | None) -> list[BoundChat]:
        """A node's bound chats (a region node: the region's and every branch's), with who bound
        each and when, oldest first."""
        binder = aliased(Member)
        q = (
            select(*_BINDING_COLS, binder.name, ChatBinding.created_at)
            .outerjoin(binder, binder.id == ChatBinding.bound_by)
            .where(ChatBinding.region_id == region_id)
        )
        if branch_id is not None:
            q = q.where(ChatBinding.branch_id == branch_id)
        rows = await self.conn.execute(q.order_by(ChatBinding.id))
        return [BoundChat(_binding(r[:-2]), None if r[-2] is None else str(r[-2]), r[-1]) for r in rows]

    async def binding_by_id(self, binding_id: int) -> BindingRec | None:
        row = (await self.conn.execute(select(*_BINDING_COLS).where(ChatBinding.id == binding_id))).first()
        return _binding(row) if row else None

    async def unbind(self, binding_id: int) -> bool:
        """Take a chat's binding away (it answers as an unbound group again); False if it was gone."""
        await bump_version(self.conn, "org")
        res = await self.conn.execute(delete(ChatBinding).where(ChatBinding.id == binding_id))
        return bool(res.rowcount)

    async def set_binding_active(self, platform: str, chat_id: str, active: bool) -> None:
        await bump_version(self.conn, "org")
        await self.conn.execute(
            update(ChatBinding)
            .where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
            .values(active=active)
        )

    async def set_binding_options(self, platform: str, chat_id: str, **options: object) -> None:
        """Change a chat's own settings (locale, nudges)."""
        await bump_version(self.conn, "org")
        await self.conn.execute(
            update(ChatBinding)
            .where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
            .values(**options)
        )

    async def push_key(self, platform: str, chat_id: str) -> str | None:
        got = await self.conn.execute(
            select(ChatBinding.push_key).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
        )
        return got.scalar()

    async def set_push_key(self, platform: str, chat_id: str, key: str | None) -> bool:
        res = await self.conn.execute(
            update(ChatBinding)
            .where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
            .values(push_key=key, active=True)
        )
        return bool(res.rowcount)

    async def migrate_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """A group became a supergroup with a new id: move its binding, pushes and boards."""
        if await self.binding(platform, new_chat_id) is not None:
            return False
        await bump_version(self.conn, "org")
        for table in (ChatBinding, Outbox, SentMessage):
            await self.conn.execute(
                update(table)
                .where(table.platform == platform, table.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
        return True

    async def branch_last_activity(self, region_id: int, now: datetime) -> list[tuple[str, datetime | None]]:
        """Each branch's name and its latest sign of life up to now: an event of its own held, a
        sign-in by one of its members (to any event), a duty check-in or a golden idea."""
        held = dict(
            (
                await self.conn.execute(
                    select(Event.branch_id, func.max(Event.starts_at))
                    .where(Event.region_id == region_id, Event.status != "cancelled", Event.starts_at <= now)
                    .group_by(Event.branch_id)
                )
            ).all()
        )
        signed = dict(
            (
                await self.conn.execute(
                    select(Member.branch_id, func.max(Attendance.recorded_at))
                    .join(Attendance, Attendance.member_id == Member.id)
                    .where(Member.region_id == region_id, Attendance.status.in_(ATTENDED))
                    .group_by(Member.branch_id)
                )
            ).all()
        )
        by_member = (
            select(Member.branch_id, func.max(DutyAssignment.checked_in_at))
            .join(DutyAssignment, DutyAssignment.member_id == Member.id)
            .where(Member.region_id == region_id)
            .group_by(Member.branch_id)
        )
        duty = dict((await self.conn.execute(by_member)).all())
        ideas = dict(
            (
                await self.conn.execute(
                    select(Member.branch_id, func.max(Idea.created_at))
                    .join(Idea, Idea.member_id == Member.id)
                    .where(Member.region_id == region_id)
                    .group_by(Member.branch_id)
                )
            ).all()
        )
        out = []
        for branch in await self.branches(region_id):
            marks = (held.get(branch.id), signed.get(branch.id), duty.get(branch.id), ideas.get(branch.id))
            times = [t for t in marks if t is not None]
            out.append((branch.name, max(times) if times else None))
        return out

    async def chats_for(self, region_id: int, branch_id: int | None, *, include_branch_chats: bool) -> list[BindingRec]:
        """Active chats bound to the node; for a region node optionally every branch chat too."""
        cond = [ChatBinding.region_id == region_id, ChatBinding.active.is_(True)]
        if branch_id is not None:
            cond.append(ChatBinding.branch_id == branch_id)
        elif not include_branch_chats:
            cond.append(ChatBinding.branch_id.is_(None))
        rows = await self.conn.execute(select(*_BINDING_COLS).where(*cond).order_by(ChatBinding.id))
        return [_binding(r) for r in rows]


@dataclass
class EventRepo:
    conn: AsyncConnection

    async def create(self, **values: Any) -> int:
        await bump_version(self.conn, "events")
        return int((await self.conn.execute(insert(Event).values(**values).returning(Event.id))).scalar_one())

    async def add_draft(self, platform: str, chat_id: str, member_id: int, command: str, now: datetime) -> int:
        """Keep an event announced in plain words until its 发布 or 取消 button."""
        values = dict(platform=platform, chat_id=chat_id, member_id=member_id, command=command, created_at=now)
        return int((await self.conn.execute(insert(EventDraft).values(**values).returning(EventDraft.id))).scalar_one())

    async def draft(self, draft_id: int) -> tuple[str, str, int, str, str] | None:
        """(platform, chat, member, command, status) of a draft."""
        row = (
            await self.conn.execute(
                select(
                    EventDraft.platform, EventDraft.chat_id, EventDraft.member_id, EventDraft.command, EventDraft.status
                ).where(EventDraft.id == draft_id)
            )
        ).first()
        return (str(row[0]), str(row[1]), int(row[2]), str(row[3]), str(row[4])) if row else None

    async def settle_draft(self, draft_id: int, status: str, event_id: int | None = None) -> bool:
        """Mark an open draft published or dropped; False when it was settled already."""
        res = await self.conn.execute(
            update(EventDraft)
            .where(EventDraft.id == draft_id, EventDraft.status == "open")
            .values(status=status, event_id=event_id)
        )
        return bool(res.rowcount)

    async def get(self, event_id: int) -> EventRec | None:
        row = (await self.conn.execute(_EVENT_BY_ID, {"event_id": event_id})).first()
        return _event(row) if row else None

    async def with_branch(self, event_id: int) -> tuple[EventRec, str | None] | None:
        """An event and the name of its branch (None: region-wide), in one statement."""
        row = (await self.conn.execute(_EVENT_AND_BRANCH, {"event_id": event_id})).first()
        return (_event(row[:-1]), None if row[-1] is None else str(row[-1])) if row else None

    async def get_many(self, event_ids: Iterable[int]) -> dict[int, EventRec]:
        ids = set(event_ids)
        if not ids:
            return {}
        rows = await self.conn.execute(select(*_EVENT_COLS).where(Event.id.in_(ids)))
        return {e.id: e for e in map(_event, rows)}

    async def active_in_region(self, region_id: int, now: datetime) -> list[EventRec]:
        """Scheduled events whose sign-in window has not closed yet."""
        rows = await self.conn.execute(
            select(*_EVENT_COLS)
            .where(Event.region_id == region_id, Event.status == "scheduled", Event.closes_at >= now)
            .order_by(Event.starts_at)
        )
        return [_event(r) for r in rows]

    async def recent_for_node(self, region_id: int, branch_id: int | None, limit: int = 1) -> list[EventRec]:
        """The latest started events visible from a chat's node (its branch's and the region's)."""
        node = (
            Event.branch_id.is_(None)
            if branch_id is None
            else or_(Event.branch_id.is_(None), Event.branch_id == branch_id)
        )
        rows = await self.conn.execute(
            select(*_EVENT_COLS)
            .where(Event.region_id == region_id, node, Event.status != "cancelled")
            .order_by(Event.starts_at.desc())
            .limit(limit)
        )
        return [_event(r) for r in rows]

    async def upcoming_for_node(
        self, region_id: int, branch_id: int | None, now: datetime, limit: int = 10
    ) -> list[EventRec]:
        node = (
            Event.branch_id.is_(None)
            if branch_id is None
            else or_(Event.branch_id.is_(None), Event.branch_id == branch_id)
        )
        rows = await self.conn.execute(
            select(*_EVENT_COLS)
            .where(Event.region_id == region_id, node, Event.status == "scheduled", Event.closes_at >= now)
            .order_by(Event.starts_at)
            .limit(limit)
        )
        return [_event(r) for r in rows]

    async def set_status(self, event_id: int, status: str) -> None:
        await bump_version(self.conn, "events")
        await self.conn.execute(update(Event).where(Event.id == event_id).values(status=status))

    async def reschedule(self, event_id: int, **times: datetime) -> None:
        await self.change(event_id, **times)

    async def change(self, event_id: int, **values: Any) -> None:
        """Change an event in place (its details, times, nominal date): its number stays."""
        await bump_version(self.conn, "events")
        await self.conn.execute(update(Event).where(Event.id == event_id).values(**values))

    async def between(self, region_id: int, start: datetime, end: datetime) -> list[EventRec]:
        """Events of a region (any node) starting in [start, end), not cancelled."""
        rows = await self.conn.execute(
            select(*_EVENT_COLS)
            .where(
                Event.region_id == region_id,
                Event.status != "cancelled",
                Event.starts_at >= start,
                Event.starts_at < end,
            )
            .order_by(Event.starts_at)
        )
        return [_event(r) for r in rows]

    async def occurrences(self, rule_id: int) -> dict[date, EventRec]:
        """The events a rule has materialised, by nominal date."""
        rows = await self.conn.execute(
            select(Event.occurs_on, *_EVENT_COLS).where(Event.rule_id == rule_id, Event.occurs_on.is_not(None))
        )
        return {r[0]: _event(r[1:]) for r in rows if r[0] is not None}

    async def detach_future(self, rule_id: int, now: datetime) -> list[int]:
        """Cancel a rule's occurrences that have not started and free their dates, so the rule
        can be expanded afresh (after an edit) or not at all (paused, cancelled)."""
        ids = list(
            (
                await self.conn.execute(
                    select(Event.id).where(Event.rule_id == rule_id, Event.status == "scheduled", Event.starts_at > now)
                )
            ).scalars()
        )
        if ids:
            await bump_version(self.conn, "events")
            await self.conn.execute(update(Event).where(Event.id.in_(ids)).values(status="cancelled", occurs_on=None))
        return ids


@dataclass
class RuleRepo:
    conn: AsyncConnection

    async def create(self, **values: Any) -> int:
        return int(
            (await self.conn.execute(insert(ScheduleRule).values(**values).returning(ScheduleRule.id))).scalar_one()
        )

    async def get(self, rule_id: int) -> RuleRec | None:
        row = (await self.conn.execute(select(*_RULE_COLS).where(ScheduleRule.id == rule_id))).first()
        return RuleRec(**row._mapping) if row else None

    async def of_region(self, region_id: int) -> list[RuleRec]:
        rows = await self.conn.execute(
            select(*_RULE_COLS)
            .where(ScheduleRule.region_id == region_id, ScheduleRule.status != "cancelled")
            .order_by(ScheduleRule.id)
        )
        return [RuleRec(**r._mapping) for r in rows]

    async def active(self) -> list[RuleRec]:
        rows = await self.conn.execute(select(*_RULE_COLS).where(ScheduleRule.status == "active"))
        return [RuleRec(**r._mapping) for r in rows]

    async def change(self, rule_id: int, **values: Any) -> None:
        await self.conn.execute(update(ScheduleRule).where(ScheduleRule.id == rule_id).values(**values))


@dataclass
class AttendanceRepo:
    conn: AsyncConnection

    async def for_event(
        self, event_id: int, branch_id: int | None = None, known: Mapping[int, MemberRec] | None = None
    ) -> list[AttendanceRec]:
        """The event's attendance rows (of one branch's members, if given), in the order recorded.
        The members are looked up by id afterwards: joined, PostgreSQL would rather read the whole
        members table than look up an event's few dozen."""
        rows = (await self.conn.execute(_ATTENDANCE_OF_EVENT, {"event_id": event_id})).all()
        if not rows:
            return []
        who: dict[int, tuple[str, int]] = {m.id: (m.name, m.branch_id) for m in (known or {}).values()}
        ids = sorted({int(r[0]) for r in rows} - who.keys())  # names not known already (guests)
        for at in range(0, len(ids), 1000):  # a bound parameter each: drivers cap how many
            found = await self.conn.execute(_NAMES_OF, {"ids": ids[at : at + 1000]})
            who.update((int(m[0]), (str(m[1]), int(m[2]))) for m in found)
        return [
            AttendanceRec(r[0], who[r[0]][0], who[r[0]][1], r[1], r[2], r[3], r[4])
            for r in rows
            if branch_id is None or who[r[0]][1] == branch_id
        ]

    async def totals(self, event_id: int, region_id: int, roles: Sequence[str]) -> tuple[int, int]:
        """(expected, present) of an event over the whole region, as counts only."""
        expected = (Member.region_id == region_id, Member.active.is_(True), Member.role.in_(list(roles)))
        count_expected = select(func.count()).select_from(Member).where(*expected)
        count_present = (
            select(func.count())
            .select_from(Attendance)
            .join(Member, Member.id == Attendance.member_id)
            .where(Attendance.event_id == event_id, Attendance.status.in_(ATTENDED), *expected)
        )
        return int((await self.conn.execute(count_expected)).scalar_one()), int(
            (await self.conn.execute(count_present)).scalar_one()
        )

    async def present_by(
        self, event_ids: Sequence[int], statuses: Collection[str] = ATTENDED
    ) -> dict[tuple[int, int, str], int]:
        """Who came to these events (or had another of these marks, e.g. leave), counted by
        (event, branch, role) of the members."""
        if not event_ids:
            return {}
        q = (
            select(Attendance.event_id, Member.branch_id, Member.role, func.count())
            .join(Member, Member.id == Attendance.member_id)
            .where(Attendance.event_id.in_(event_ids), Attendance.status.in_(list(statuses)))
            .group_by(Attendance.event_id, Member.branch_id, Member.role)
        )
        return {(int(e), int(b), str(r)): int(n) for e, b, r, n in (await self.conn.execute(q)).all()}

    async def status_of(self, event_id: int, member_id: int) -> str | None:
        return (
            await self.conn.execute(
                select(Attendance.status).where(Attendance.event_id == event_id, Attendance.member_id == member_id)
            )
        ).scalar_one_or_none()

    async def remove(self, event_id: int, member_id: int, *, absent_at: datetime | None) -> None:
        """Take a member's attendance back: no row, or 'absent' if the window has closed."""
        row = (Attendance.event_id == event_id) & (Attendance.member_id == member_id)
        if absent_at is None:
            await self.conn.execute(delete(Attendance).where(row))
        else:
            await self.conn.execute(
                update(Attendance)
                .where(row)
                .values(status="absent", reason=None, recorded_by=None, platform=None, recorded_at=absent_at)
            )

    async def mark_absent(self, event_id: int, member_ids: Iterable[int], now: datetime) -> int:
        rows = [{"event_id": event_id, "member_id": m, "status": "absent", "recorded_at": now} for m in member_ids]
        if not rows:
            return 0
        res = await self.conn.execute(insert_ignoring_conflicts(self.conn, Attendance).values(rows))
        return int(res.rowcount or 0)


_OUTBOX_COLS = (
    Outbox.id,
    Outbox.dedupe_key,
    Outbox.purpose,
    Outbox.event_id,
    Outbox.platform,
    Outbox.chat_id,
    Outbox.payload,
    Outbox.due_at,
    Outbox.status,
    Outbox.attempts,
)


@dataclass
class OpsRepo:
    conn: AsyncConnection

    async def claim_update(self, platform: str, key: str, now: datetime) -> bool:
        """Record an update as processed; False if it already was (a redelivery)."""
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, ProcessedUpdate).values(
                platform=platform, update_key=key, processed_at=now
            )
        )
        return bool(res.rowcount)

    async def save_replies(self, platform: str, key: str, replies: list[dict[str, object]]) -> None:
        """Keep the answer of a processed update, for its redelivery."""
        await self.conn.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.platform == platform, ProcessedUpdate.update_key == key)
            .values(replies=replies)
        )

    async def replies_of(self, platform: str, key: str) -> list[dict[str, Any]] | None:
        got = await self.conn.execute(
            select(ProcessedUpdate.replies).where(
                ProcessedUpdate.platform == platform, ProcessedUpdate.update_key == key
            )
        )
        return got.scalar()

    async def audit(
        self, *, actor: int | None, platform: str | None, action: str, detail: dict[str, Any], now: datetime
    ) -> None:
        await self.conn.execute(
            insert(AuditLog).values(
                at=now,
                actor_id=actor,
                platform=platform,
                action=action,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            )
        )

    async def enqueue(
        self,
        *,
        key: str,
        purpose: str,
        event_id: int | None,
        platform: str,
        chat_id: str,
        due_at: datetime,
        payload: dict[str, object] | None = None,
        status: str = "pending",
    ) -> bool:
        """Queue a push under its unique key (False: that key is queued already). status "sent":
        record a message that went out another way (a reply), so the key is never sent again."""
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, Outbox).values(
                dedupe_key=key,
                purpose=purpose,
                event_id=event_id,
                platform=platform,
                chat_id=chat_id,
                payload=payload or {},
                due_at=due_at,
                status=status,
                attempts=0,
                sent_at=due_at if status == "sent" else None,
            )
        )
        return bool(res.rowcount)

    async def claim(self, now: datetime, limit: int, owner: str) -> list[OutboxRec]:
        """Take up to `limit` due rows for sending. On PostgreSQL rows another process is taking
        are skipped (FOR UPDATE SKIP LOCKED), so each row is claimed by exactly one process."""
        pick = (
            select(Outbox.id)
            .where(Outbox.status == "pending", Outbox.due_at <= now)
            .order_by(Outbox.due_at, Outbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self.conn.execute(
            update(Outbox)
            .where(Outbox.id.in_(pick.scalar_subquery()), Outbox.status == "pending")
            .values(status="sending", claimed_at=now, claimed_by=owner)
            .returning(*_OUTBOX_COLS)
        )
        return sorted((OutboxRec(**r._mapping) for r in rows), key=lambda r: (r.due_at, r.id))

    async def release_claims(self, owner: str, *, keep: Collection[int]) -> int:
        """Put back to pending the rows `owner` holds as being sent, except those in `keep`."""
        res = await self.conn.execute(
            update(Outbox)
            .where(Outbox.status == "sending", Outbox.claimed_by == owner, Outbox.id.not_in(list(keep)))
            .values(status="pending", claimed_at=None, claimed_by=None)
        )
        return int(res.rowcount or 0)

    async def finish(self, results: Sequence[tuple[int, str, str | None, datetime | None]], now: datetime) -> None:
        """Record sending results: (row id, new status, error, next due time for a retry)."""
        sent = [r[0] for r in results if r[1] == "sent"]
        if sent:
            await self.conn.execute(
                update(Outbox)
                .where(Outbox.id.in_(sent))
                .values(status="sent", sent_at=now, attempts=Outbox.attempts + 1, last_error=None)
            )
        for row_id, status, error, due_at in results:
            if status == "sent":
                continue
            values: dict[str, Any] = {"status": status, "attempts": Outbox.attempts + 1, "last_error": error}
            if due_at is not None:
                values["due_at"] = due_at
            await self.conn.execute(update(Outbox).where(Outbox.id == row_id).values(**values))

    async def expire(self, now: datetime, *, grace: timedelta, stale: timedelta) -> list[OutboxRec]:
        """Rows that can no longer be sent on time become 'missed': pending rows due before
        now - grace (the process was down), and rows taken for sending long ago by a process that
        never reported back (whether they went out is unknown, so they are not sent again)."""
        too_old = (Outbox.status == "pending") & (Outbox.due_at < now - grace)
        lost = (Outbox.status == "sending") & (Outbox.claimed_at < now - stale)
        rows = await self.conn.execute(
            update(Outbox)
            .where(too_old | lost)
            .values(status="missed", last_error="past the grace window")
            .returning(*_OUTBOX_COLS)
        )
        return [OutboxRec(**r._mapping) for r in rows]

    async def next_due(self) -> datetime | None:
        """When the earliest pending row falls due."""
        return (await self.conn.execute(select(func.min(Outbox.due_at)).where(Outbox.status == "pending"))).scalar()

    async def drop_pending(self, key_prefix: str) -> int:
        """Forget pushes not sent yet whose key starts so (what they were about changed, and they
        are queued again under the same keys)."""
        res = await self.conn.execute(
            delete(Outbox).where(Outbox.dedupe_key.startswith(key_prefix, autoescape=True), Outbox.status == "pending")
        )
        return int(res.rowcount or 0)

    async def void_for_event(self, event_id: int, keep: Sequence[str] = ()) -> int:
        """Void an event's pending pushes, but those under the `keep` keys (which, if voided
        before, are pending again: an event moved back to a time it had)."""
        cond = [Outbox.event_id == event_id, Outbox.status == "pending"]
        if keep:
            cond.append(Outbox.dedupe_key.not_in(keep))
        res = await self.conn.execute(update(Outbox).where(*cond).values(status="void"))
        if keep:
            await self.conn.execute(
                update(Outbox)
                .where(Outbox.event_id == event_id, Outbox.status == "void", Outbox.dedupe_key.in_(keep))
                .values(status="pending")
            )
        return int(res.rowcount or 0)

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.conn.execute(select(Outbox.status, func.count()).group_by(Outbox.status))
        return {s: int(n) for s, n in rows}


@dataclass
class MessageRepo:
    conn: AsyncConnection

    async def remember(self, platform: str, chat_id: str, edit_key: str, message_id: str, now: datetime) -> None:
        await self.conn.execute(
            delete(SentMessage).where(
                SentMessage.platform == platform, SentMessage.chat_id == chat_id, SentMessage.edit_key == edit_key
            )
        )
        await self.conn.execute(
            insert(SentMessage).values(
                platform=platform, chat_id=chat_id, edit_key=edit_key, message_id=message_id, sent_at=now
            )
        )

    async def find(self, platform: str, chat_id: str, edit_key: str) -> str | None:
        return (
            await self.conn.execute(
                select(SentMessage.message_id).where(
                    SentMessage.platform == platform, SentMessage.chat_id == chat_id, SentMessage.edit_key == edit_key
                )
            )
        ).scalar_one_or_none()


class UnitOfWork:
    """All repositories over one connection inside one transaction, plus the time it runs at."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self.org = OrgRepo(conn)
        self.events = EventRepo(conn)
        self.attendance = AttendanceRepo(conn)
        self.ops = OpsRepo(conn)
        self.messages = MessageRepo(conn)
        self.rules = RuleRepo(conn)

    # ideas, points and the store live in storage/engage.py, which builds on this module
    @property
    def points(self) -> PointsRepo:
        from storage.engage import PointsRepo

        return PointsRepo(self.conn)

    @property
    def ideas(self) -> IdeaRepo:
        from storage.engage import IdeaRepo

        return IdeaRepo(self.conn)

    @property
    def store(self) -> StoreRepo:
        from storage.engage import StoreRepo

        return StoreRepo(self.conn)

    @property
    def duty(self) -> DutyRepo:
        from storage.duty import DutyRepo

        return DutyRepo(self.conn)

    @property
    def rotation(self) -> RotationRepo:
        from storage.duty import RotationRepo

        return RotationRepo(self.conn)

    @property
    def groups(self) -> GroupRepo:
        from storage.groups import GroupRepo

        return GroupRepo(self.conn)

    @property
    def lessons(self) -> LessonRepo:
        from storage.lessons import LessonRepo

        return LessonRepo(self.conn)

    @property
    def web(self) -> WebRepo:
        from storage.web import WebRepo

        return WebRepo(self.conn)


def expected_filter(kind: str) -> Sequence[str]:
    """Roles expected (应到) at an event of this kind; activists may attend but are not counted.
    A 支委会 expects the branch committee (its secretary and the 支委), a 书记例会 the secretaries;
    lecturers (讲师) are never expected: they come to give their own lessons."""
    if kind == "secretary_meeting":
        return ("branch_secretary", "regional_secretary")
    if kind == "committee":
        return ("branch_secretary", "committee_member")
    return ("member", "committee_member", "branch_secretary", "regional_secretary", "admin")


__all__ = ["AttendanceRepo", "EventRepo", "OpsRepo", "OrgRepo", "UnitOfWork", "and_", "expected_filter"]
