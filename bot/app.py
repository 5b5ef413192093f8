"""Composition root: settings -> storage -> services -> router (handlers in explicit order)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.settings import Settings
from handlers import events, help, org, signin
from handlers.context import Policy, Services
from handlers.i18n import normalize_locale
from handlers.ports import Clock, Sender, SystemClock
from handlers.router import Router
from storage.db import Database
from storage.directory import Directory


def policy_from(settings: Settings) -> Policy:
    return Policy(
        tz=settings.tz,
        locale=normalize_locale(settings.locale),
        opens_before_min=settings.signin_opens_before_min,
        grace_min=settings.signin_grace_min,
        closes_after_min=settings.signin_closes_after_min,
    )


def build_router(services: Services, bot_username: str | None = None) -> Router:
    """Every command and button, registered in the order /help lists them."""
    router = Router(services, bot_username)
    router.extend(signin.COMMANDS)
    router.extend(events.COMMANDS)
    router.extend(org.COMMANDS)
    router.extend(help.make_commands(router))
    for prefix, handler in signin.BUTTONS.items():
        router.add_button(prefix, handler)
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


async def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Open the database (migrating it) and wire the services and the router."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db = await Database.open(settings.database_url)
    services = Services(
        db=db,
        directory=Directory(db, ttl=settings.cache_ttl_s),
        clock=clock or SystemClock(),
        policy=policy_from(settings),
    )
    return App(settings, db, services, build_router(services))
