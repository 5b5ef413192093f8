"""`dangjian run`: every configured transport in one process, sharing storage and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import build_app
from bot.dispatcher import deliver_due
from bot.settings import Settings
from handlers.ports import Sender
from jobs.scheduler import Scheduler

log = logging.getLogger(__name__)

TRANSPORTS = ("telegram",)


def configured(settings: Settings) -> list[str]:
    return [t for t in TRANSPORTS if t == "telegram" and settings.telegram_token is not None]


async def run(settings: Settings, wanted: list[str], stop: asyncio.Event | None = None) -> None:
    """Start the transports, push due outbox rows on a schedule, and run until stopped."""
    app = await build_app(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    senders: dict[str, Sender] = {}
    started: list[object] = []
    scheduler = Scheduler(settings.tz)
    try:
        if "telegram" in wanted:
            from bot.telegram.transport import TelegramTransport

            telegram = TelegramTransport(app, settings)
            await telegram.start()
            started.append(telegram)
            senders["telegram"] = telegram

        async def push() -> None:
            await deliver_due(app.services, senders)

        scheduler.every("outbox", settings.dispatch_interval_s, push)
        scheduler.start()
        log.info("dangjian running: %s", ", ".join(wanted))
        await stop.wait()
    finally:
        await scheduler.stop()  # lets a delivery round finish before transports and storage close
        for transport in reversed(started):
            await transport.stop()  # type: ignore[attr-defined]
        await app.close()
