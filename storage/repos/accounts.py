"""Platform accounts linked to roster members, link requests and private chats."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    LinkRequest,
    Member,
    MemberAccount,
)
from storage.records import (
    LinkRequestRec,
    MemberRec,
)
from storage.repos.org import MEMBER_COLS, member_rec
from storage.sql import bump_version, insert_ignoring_conflicts

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


@dataclass
class AccountRepo:
    conn: AsyncConnection

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
        q = select(*MEMBER_COLS).where(Member.region_id == region_id)
        if branch_id is not None:
            q = q.where(Member.branch_id == branch_id)
        members = [member_rec(r) for r in await self.conn.execute(q.order_by(Member.branch_id, Member.id))]
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
                select(*MEMBER_COLS)
                .join(MemberAccount, MemberAccount.member_id == Member.id)
                .where(MemberAccount.platform == platform, MemberAccount.user_id == user_id)
            )
        ).first()
        return member_rec(row) if row else None

    async def accounts_by_platform(self, platform: str) -> dict[str, MemberRec]:
        rows = await self.conn.execute(
            select(MemberAccount.user_id, *MEMBER_COLS)
            .join(MemberAccount, MemberAccount.member_id == Member.id)
            .where(MemberAccount.platform == platform)
        )
        return {r[0]: member_rec(r[1:]) for r in rows}

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
