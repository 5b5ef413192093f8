"""Signing in to the web console without a password: a manager sends 后台 to the bot in a private
chat (or an operator runs `dangjian web link`) and gets a one-time link. The link is signed,
valid for ten minutes and opens one session (eight hours); only digests are stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from handlers.core.access import Level, console_places, private_node, refusal
from handlers.core.context import Context, Policy
from handlers.core.errors import AppError
from handlers.core.feature import Feature
from handlers.core.ports import Reply
from handlers.core.router import Command
from storage.uow import UnitOfWork

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
SECRET_NAME = "web"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: str, payload: str) -> str:
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())


async def signing_key(uow: UnitOfWork, policy: Policy) -> str:
    return policy.web_secret or await uow.web.secret(SECRET_NAME)


async def issue_link(uow: UnitOfWork, policy: Policy, member_id: int) -> str:
    """A one-time login link for the member (the caller decided they may have one)."""
    expires = uow.now + LINK_TTL
    payload = f"{member_id}.{int(expires.timestamp())}.{secrets.token_urlsafe(12)}"
    token = f"{_b64(payload.encode())}.{_sign(await signing_key(uow, policy), payload)}"
    await uow.web.issue("link", digest(token), member_id, uow.now, expires)
    return f"{policy.web_url.rstrip('/')}/login?t={token}"


@dataclass(frozen=True)
class Opened:
    member_id: int
    session: str  # the cookie's value
    csrf: str


async def open_session(uow: UnitOfWork, policy: Policy, token: str) -> Opened | None:
    """Spend a login link and open a session; None if the link is forged, expired or used."""
    head, _, signature = token.partition(".")
    try:
        payload = _unb64(head).decode()
        member_text, expires_text, _nonce = payload.split(".", 2)
        member_id, expires = int(member_text), datetime.fromtimestamp(int(expires_text), UTC)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(signature, _sign(await signing_key(uow, policy), payload)) or expires <= uow.now:
        return None
    if await uow.web.use_link(digest(token), uow.now) != member_id:
        return None
    session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await uow.web.issue("session", digest(session), member_id, uow.now, uow.now + SESSION_TTL, csrf)
    await uow.audit.record(actor=member_id, platform="web", action="web.login", detail={}, now=uow.now)
    return Opened(member_id, session, csrf)


async def console_link(ctx: Context, args: str) -> list[Reply]:
    """后台 — a one-time link to the web console, in a private chat only (a group would share it)."""
    if not ctx.incoming.is_private:
        raise AppError("web.private_only")
    member = ctx.need_member()
    if not console_places(member):  # managers, a unit's managers, instructors (to read what they guide)
        refused = refusal(member, Level.BRANCH, private_node(member))
        assert refused is not None
        raise refused
    policy = ctx.services.policy

    async def work(uow: UnitOfWork) -> str:
        return await issue_link(uow, policy, member.id)

    url = await ctx.unit(work)
    return [ctx.reply("web.link", private=True, url=url, minutes=int(LINK_TTL.total_seconds() // 60))]


COMMANDS = [Command("console", ("后台",), console_link, "web.usage_console", "web.help_console", access=Level.MEMBER)]


FEATURE = Feature("weblink", topic="settings", commands=COMMANDS)
