"""Composition root: settings -> storage -> services -> router (handlers in explicit order)."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import Settings
from handlers import (
    calendar,
    compliance,
    duty,
    evaluation,
    events,
    help,
    ideas,
    ledger,
    monthly,
    org,
    points,
    records,
    reports,
    signin,
    supervision,
)
from handlers.context import DEFAULT_POINTS, Policy, Services
from handlers.i18n import normalize_locale
from handlers.media import MediaStore
from handlers.ports import Clock, Sender, SystemClock
from handlers.router import Router
from storage.db import Database
from storage.directory import Directory


def parse_minutes(text: str) -> tuple[int, ...]:
    """'1440,60' -> (1440, 60): minutes, largest first, blanks and duplicates dropped."""
    return tuple(sorted({int(p) for p in text.replace("，", ",").split(",") if p.strip()}, reverse=True))


def policy_from(settings: Settings) -> Policy:
    return Policy(
        tz=settings.tz,
        locale=normalize_locale(settings.locale),
        opens_before_min=settings.signin_opens_before_min,
        grace_min=settings.signin_grace_min,
        closes_after_min=settings.signin_closes_after_min,
        reminders_min=parse_minutes(settings.reminders_min),
        nudge_after_min=settings.nudge_after_min,
        points={**DEFAULT_POINTS, **settings.points},
        point_caps=dict(settings.point_caps),
        idea_points_per_month=settings.idea_points_per_month,
    )


def build_router(services: Services, bot_username: str | None = None) -> Router:
    """Every command and button, registered in the order /help lists them."""
    router = Router(services, bot_username)
    features = [signin, events, records, calendar, compliance, monthly, supervision, evaluation, reports, ledger]
    for feature in [*features, duty, ideas, points, org]:
        router.extend(feature.COMMANDS, getattr(feature, "BUTTONS", ()))
    router.extend(help.make_commands(router))
    router.on_contact(org.verify_contact)
    router.on_file(records.attach_photo)
    return router


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    router: Router
    senders: dict[str, Sender] = field(default_factory=dict)

    async def close(self) -> None:
        await self.db.close()
        gc.unfreeze()  # what this app froze at start may be collected again


async def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Open the database (migrating it) and wire the services and the router."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db = await Database.open(settings.database_url)
    services = Services(
        db=db,
        directory=Directory(db, ttl=settings.cache_ttl_s),
        clock=clock or SystemClock(),
        policy=policy_from(settings),
        media=MediaStore(Path(settings.media_dir)),
    )
    app = App(settings, db, services, build_router(services))
    settle_heap()
    return app


def settle_heap() -> None:
    """Move everything built at start (models, compiled statements, templates) out of the
    collector's reach: full collections then walk only what changes, which keeps their
    pauses short (they were the longest stalls of the sign-in path)."""
    gc.collect()
    gc.freeze()
