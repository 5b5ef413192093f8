"""Chats bound to a region or a branch, and their options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage.models import (
    ChatBinding,
    Member,
    Outbox,
    SentMessage,
)
from storage.records import (
    BindingRec,
    BoundChat,
)
from storage.sql import bump_version

_BINDING_COLS = (
    ChatBinding.id,
    ChatBinding.platform,
    ChatBinding.chat_id,
    ChatBinding.region_id,
    ChatBinding.branch_id,
    ChatBinding.active,
    ChatBinding.locale,
    ChatBinding.nudges,
    ChatBinding.unit_id,
)


def _binding(row: Any) -> BindingRec:
    return BindingRec(*row)


@dataclass
class ChatRepo:
    conn: AsyncConnection

    async def bindings_of(self, platform: str) -> dict[str, BindingRec]:
        rows = await self.conn.execute(select(*_BINDING_COLS).where(ChatBinding.platform == platform))
        return {r.chat_id: _binding(r) for r in rows}

    async def binding(self, platform: str, chat_id: str) -> BindingRec | None:
        row = (
            await self.conn.execute(
                select(*_BINDING_COLS).where(ChatBinding.platform == platform, ChatBinding.chat_id == chat_id)
            )
        ).first()
        return _binding(row) if row else None

    async def bind_chat(
        self,
        *,
        platform: str,
        chat_id: str,
        region_id: int,
        branch_id: int | None,
        by: int | None,
        now: datetime,
        unit_id: int | None = None,
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
                    unit_id=unit_id,
                    active=True,
                    bound_by=by,
                    created_at=now,
                )
            )
        else:
            await self.conn.execute(
                update(ChatBinding)
                .where(ChatBinding.id == existing.id)
                .values(
                    region_id=region_id, branch_id=branch_id, unit_id=unit_id, active=True, bound_by=by, created_at=now
                )
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
        return [BoundChat(_binding(r[:-2]), None if r[-2] is None else str(r[-2]), r.created_at) for r in rows]

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

    async def chats_for(self, region_id: int, branch_id: int | None, *, include_branch_chats: bool) -> list[BindingRec]:
        """Active chats bound to the node; for a region node optionally every branch chat too (a
        党总支's or 编组's own chat is neither: see unit_chats)."""
        cond = [ChatBinding.region_id == region_id, ChatBinding.active.is_(True), ChatBinding.unit_id.is_(None)]
        if branch_id is not None:
            cond.append(ChatBinding.branch_id == branch_id)
        elif not include_branch_chats:
            cond.append(ChatBinding.branch_id.is_(None))
        rows = await self.conn.execute(select(*_BINDING_COLS).where(*cond).order_by(ChatBinding.id))
        return [_binding(r) for r in rows]

    async def unit_chats(self, unit_id: int) -> list[BindingRec]:
        """Active chats bound to a 党总支 or 编组."""
        rows = await self.conn.execute(
            select(*_BINDING_COLS)
            .where(ChatBinding.unit_id == unit_id, ChatBinding.active.is_(True))
            .order_by(ChatBinding.id)
        )
        return [_binding(r) for r in rows]
