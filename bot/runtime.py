"""`dangjian run`: every configured transport in one process, sharing storage and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import build_app
from bot.dispatcher import dispatcher_for
from bot.settings import Settings
from handlers.ports import Sender
from jobs import calendar
from jobs.scheduler import Scheduler
from storage.lease import Lease

log = logging.getLogger(__name__)

TRANSPORTS = ("telegram", "wecom")


def configured(settings: Settings) -> list[str]:
    """The transports whose credentials are set."""
    ready = {
        "telegram": settings.telegram_token is not None,
        "wecom": bool(settings.wecom_bot_id) and settings.wecom_bot_secret is not None,
    }
    return [t for t in TRANSPORTS if ready[t]]


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
    lease = Lease(app.db)
    try:
        if "telegram" in wanted:
            from bot.telegram.transport import TelegramTransport

            telegram = TelegramTransport(app, settings)
            await telegram.start()
            started.append(telegram)
            senders["telegram"] = telegram
        if "wecom" in wanted:
            from bot.wecom.transport import WeComTransport

            wecom = WeComTransport(app, settings)
            await wecom.start()
            started.append(wecom)
            senders["wecom"] = wecom

        dispatcher = dispatcher_for(app, senders)
        scheduler.every("outbox", settings.dispatch_interval_s, dispatcher.run_once)
        calendar.register(scheduler, app.services, lease, dormancy_weeks=settings.dormancy_weeks)
        scheduler.start()
        log.info("dangjian running: %s", ", ".join(wanted))
        await stop.wait()
    finally:
        await scheduler.stop()  # lets a delivery round finish before transports and storage close
        await lease.release()
        for transport in reversed(started):
            await transport.stop()  # type: ignore[attr-defined]
        await app.close()
