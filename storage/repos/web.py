"""The web console's credentials: one-time login links and sessions (only digests are stored),
and the signing secret the processes sharing a database agree on."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AppSecret, Member, WebToken
from storage.records import MemberRec
from storage.repos.org import MEMBER_COLS, member_rec
from storage.sql import insert_ignoring_conflicts


@dataclass(frozen=True, slots=True)
class SessionRec:
    member_id: int
    csrf: str
    expires_at: datetime


_SESSION = (  # every page asks it: built once
    select(WebToken.csrf, WebToken.expires_at, *MEMBER_COLS)
    .join(Member, Member.id == WebToken.member_id)
    .where(
        WebToken.digest == bindparam("digest"),
        WebToken.kind == "session",
        WebToken.expires_at > bindparam("now", type_=WebToken.expires_at.type),
    )
)


@dataclass
class WebRepo:
    conn: AsyncConnection

    async def secret(self, name: str) -> str:
        """The named secret, made (randomly) by the first process that asks."""
        await self.conn.execute(
            insert_ignoring_conflicts(self.conn, AppSecret).values(name=name, value=secrets.token_urlsafe(48))
        )
        return str((await self.conn.execute(select(AppSecret.value).where(AppSecret.name == name))).scalar_one())

    async def issue(
        self, kind: str, digest: str, member_id: int, now: datetime, expires_at: datetime, csrf: str | None = None
    ) -> None:
        await self.conn.execute(
            insert(WebToken).values(
                kind=kind, digest=digest, member_id=member_id, created_at=now, expires_at=expires_at, csrf=csrf
            )
        )

    async def use_link(self, digest: str, now: datetime) -> int | None:
        """Spend a login link: its member, once, while it is valid; None if used, expired or unknown."""
        res = await self.conn.execute(
            update(WebToken)
            .where(
                WebToken.digest == digest,
                WebToken.kind == "link",
                WebToken.used_at.is_(None),
                WebToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(WebToken.member_id)
        )
        row = res.first()
        return int(row[0]) if row else None

    async def session_member(self, digest: str, now: datetime) -> tuple[SessionRec, MemberRec] | None:
        """A live session and its member, in one query (every page asks it)."""
        row = (await self.conn.execute(_SESSION, {"digest": digest, "now": now})).first()
        if row is None:
            return None
        member = member_rec(row[2:])
        return SessionRec(member.id, str(row[0]), row[1]), member

    async def end(self, digest: str) -> None:
        await self.conn.execute(delete(WebToken).where(WebToken.digest == digest))

    async def purge(self, now: datetime) -> int:
        """Forget credentials that expired (a day's grace keeps a used link's refusal explainable)."""
        res = await self.conn.execute(delete(WebToken).where(WebToken.expires_at < now))
        return int(res.rowcount or 0)
