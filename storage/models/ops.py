"""Operational tables: idempotency keys, the audit log and the outbox of timed pushes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class ProcessedUpdate(Base):
    """An incoming update already handled; written in the same transaction as its effect. Its
    answer is kept with it (or derived again from what it stored, for sign-ins), so a redelivery
    changes nothing and still gets the answer the first delivery got."""

    __tablename__ = "processed_updates"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    update_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    replies: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)


class InboxUpdate(Base):
    """An update a platform handed us over HTTP (a Telegram webhook post), stored before it is
    acknowledged: whatever got its 200 is handled even if the process dies right after. The
    process that received it handles it (status 'processing', its claimed_at kept fresh); one
    whose claimed_at has gone stale died, and any process takes its rows over."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "update_key"),
        Index("ix_inbox_open", "status", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    update_key: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="processing")  # processing / done
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")


class Outbox(Base):
    """A message due at a time; the unique key makes every push happen at most once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # pending / sending / sent / void (event cancelled or moved) / missed (too late) / failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # taken for sending
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # which process took it


class CacheVersion(Base):
    """A counter bumped with every change to what the lookup cache holds ('org', 'events').

    Processes poll these two integers instead of reloading their caches: a change made by the CLI
    or another bot is seen at the next poll, and nothing is reloaded while nothing changed.
    """

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class SentMessage(Base):
    """A message the bot keeps updating in place (a sign-in board), by chat and key."""

    __tablename__ = "sent_messages"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    edit_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(100))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WeComCard(Base):
    """A template card the bot sent on WeCom, by its task_id: a click is answered by updating the
    card, which needs the card as it was (its text and buttons), in whichever process gets the click."""

    __tablename__ = "wecom_cards"

    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card: Mapped[dict[str, object]] = mapped_column(JSON)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WebToken(Base):
    """A web console credential: a one-time login link ('link', single use, minutes) or a session
    ('session', hours, with its CSRF token). Only the SHA-256 of the secret part is kept."""

    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a link: when it opened a session
    csrf: Mapped[str | None] = mapped_column(String(64))  # a session: the token every form carries


class AppSecret(Base):
    """A secret the processes sharing one database agree on (the web console's signing key when
    DANGJIAN_WEB_SECRET is not set): made once, by whichever process needs it first."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
