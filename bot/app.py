"""Composition root: settings -> storage -> services -> router (handlers in explicit order)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.settings import Settings
from handlers import (
    announce,
    appraisals,
    bulletins,
    calendar,
    commendations,
    compliance,
    dues,
    duty,
    duty_rules,
    evaluation,
    events,
    groups,
    help,
    hosting,
    ideas,
    instructors,
    ledger,
    lessons,
    mobile,
    monthly,
    org,
    points,
    pushes,
    records,
    recruits,
    signin,
    supervision,
    terms,
    transfers,
    units,
    weblink,
)
from handlers.core.context import DEFAULT_POINTS, Policy, Services
from handlers.core.feature import Feature, edits, push_kinds, the_one
from handlers.core.i18n import normalize_locale
from handlers.core.media import MediaStore
from handlers.core.ports import Clock, Reply, Sender, SystemClock
from handlers.core.router import Router
from jobs.dispatcher import Dispatcher
from storage.db import Database
from storage.directory import Directory
from storage.uow import UnitOfWork

# every feature, in the order 帮助 lists their commands (help itself lists them: it is added last)
FEATURES: list[Feature] = [
    signin.FEATURE, events.FEATURE, records.FEATURE, calendar.FEATURE, compliance.FEATURE, monthly.FEATURE,
    supervision.FEATURE, evaluation.FEATURE, appraisals.FEATURE, commendations.FEATURE, instructors.FEATURE,
    bulletins.FEATURE, ledger.FEATURE, duty.FEATURE, duty_rules.FEATURE, hosting.FEATURE, groups.FEATURE,
    lessons.FEATURE, ideas.FEATURE, points.FEATURE, org.FEATURE, units.FEATURE, transfers.FEATURE, terms.FEATURE,
    recruits.FEATURE, mobile.FEATURE, dues.FEATURE, weblink.FEATURE, announce.FEATURE, pushes.FEATURE,
]  # fmt: skip
PUSHES = push_kinds(FEATURES)  # purpose -> kind
EDITS = edits(FEATURES)  # edit key prefix -> the feature's renderer


log = logging.getLogger(__name__)


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
        web_url=settings.web_base_url,
        web_secret=settings.web_secret.get_secret_value() if settings.web_secret else None,
    )


def build_router(services: Services, bot_username: str | None = None) -> Router:
    """Every feature's commands and buttons, in the order of FEATURES, and 帮助 listing them."""
    router = Router(services, bot_username)
    for feature in FEATURES:
        commands = [c if c.topic else replace(c, topic=feature.topic) for c in feature.commands]
        router.extend(commands, feature.buttons)
    router.extend(help.make_commands(router))
    for feature in FEATURES:
        router.add_phrases(feature.phrases)
    router.add_phrases(help.PHRASES)
    if (contact := the_one(FEATURES, "on_contact")) is not None:
        router.on_contact(contact)
    if (chatter := the_one(FEATURES, "on_chatter")) is not None:
        router.on_chatter(*chatter)
    if (photo := the_one(FEATURES, "on_file")) is not None:
        router.on_file(photo)
    return router


EDITS_AT_ONCE = 8


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    router: Router
    senders: dict[str, Sender] = field(default_factory=dict)
    # boards re-rendered at the same moment: a burst dirties every group's board at once, and each
    # render reads (the pool has 30 connections, shared with the handlers and the dispatcher)
    _editing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(EDITS_AT_ONCE))

    async def render_edit(self, platform: str, chat_id: str, edit_key: str) -> tuple[str, Reply] | None:
        """A message kept up to date in place (a sign-in board): the platform's id of the message
        and how it should read now, from the renderer its feature registered; None if there is none."""
        prefix, _, ref = edit_key.partition(":")
        edit = EDITS.get(prefix)
        if edit is None:
            return None
        services = self.services

        async def load(conn: Any) -> tuple[str, Reply] | None:
            uow = UnitOfWork(conn, services.clock.now())
            message_id = await uow.messages.find(platform, chat_id, edit_key)
            if message_id is None:
                return None
            binding = await uow.chats.binding(platform, chat_id)
            locale = normalize_locale((binding.locale if binding else None) or services.policy.locale)
            reply = await edit(uow, ref, binding, locale, services.policy.tz)
            return (message_id, reply) if reply is not None else None

        async with self._editing:
            return await self.db.read(load)

    async def chat_locale(self, platform: str, chat_id: str) -> str:
        """The language a chat has chosen, else the deployment's."""
        binding = await self.services.directory.binding(platform, chat_id)
        return normalize_locale((binding.locale if binding else None) or self.services.policy.locale)

    async def set_chat_active(self, platform: str, chat_id: str, active: bool) -> None:
        """The bot was added back to a chat, or removed or blocked (a platform said so, or a send
        found it gone): its binding is switched on or off, here and nowhere else."""
        now = self.services.clock.now()
        await self.db.unit(lambda c: UnitOfWork(c, now).chats.set_binding_active(platform, chat_id, active))
        self.services.directory.forget_binding(platform, chat_id)
        log.info("%s chat %s is now %s", platform, chat_id, "active" if active else "inactive")

    async def close(self) -> None:
        await self.db.close()
        gc.unfreeze()  # what this app froze at start may be collected again


async def build_app(settings: Settings, clock: Clock | None = None, *, settle: bool = True) -> App:
    """Open the database (migrating it) and wire the services and the router. `settle`: move what
    was built out of the collector's reach (a long-lived process; a test's short-lived app need not)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db = await Database.open(settings.database_url)
    services = Services(
        db=db,
        directory=Directory(db, ttl=settings.cache_ttl_s),
        clock=clock or SystemClock(),
        policy=policy_from(settings),
        media=MediaStore(Path(settings.media_dir)),
        pushes=PUSHES,
        periodic=[step for feature in FEATURES for step in feature.periodic],
        on_missed=the_one(FEATURES, "on_missed"),
    )
    app = App(settings, db, services, build_router(services))
    if settle:
        settle_heap()
    return app


def settle_heap() -> None:
    """Move everything built at start (models, compiled statements, templates) out of the
    collector's reach: full collections then walk only what changes, which keeps their
    pauses short (they were the longest stalls of the sign-in path)."""
    gc.collect()
    gc.freeze()


def dispatcher_for(app: App, senders: Mapping[str, Sender]) -> Dispatcher:
    """The dispatcher of an app, with its configured grace window."""
    return Dispatcher(app.services, senders, grace=timedelta(minutes=app.settings.push_grace_min))
