"""The process's timed work, one runtime for every way the bot runs, and `dangjian run`.

`Runtime` is the same in `dangjian run`, the console, the demo and the tests: the dispatcher sends
due pushes through the transports' outbound paths (one delivery round at a time); the calendar's
occurrences are made ahead and the periodic pushes queued by the process holding the scheduler
lease. On the system clock APScheduler runs it; on a fake clock `advance_to` lives through the time
the way a running process would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.app import App, build_app, dispatcher_for
from bot.settings import Settings
from bot.signals import until_signalled
from handlers.core.ports import FakeClock, Sender
from jobs import calendar
from jobs.dispatcher import Dispatcher
from jobs.scheduler import Scheduler
from storage.db import Database
from storage.lease import Lease
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, app: App, senders: Mapping[str, Sender], *, calendar_jobs: bool = True) -> None:
        self.app = app
        self.dispatcher: Dispatcher = dispatcher_for(app, senders)
        self.calendar_jobs = calendar_jobs  # the tests that drive the calendar themselves leave it out
        self.scheduler = Scheduler(app.settings.tz)
        self.lease = Lease(app.db)
        self._round = asyncio.Lock()

    async def deliver(self) -> int:
        """One delivery round (never two at once in this process); returns how many were sent."""
        async with self._round:
            return await self.dispatcher.run_once()

    def start(self) -> None:
        """On the system clock: deliver every dispatch interval, and the calendar's jobs."""
        settings = self.app.settings
        self.scheduler.every("outbox", settings.dispatch_interval_s, self.deliver)
        if self.calendar_jobs:
            calendar.register(self.scheduler, self.app.services, self.lease, dormancy_weeks=settings.dormancy_weeks)
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()  # lets a delivery round finish before transports and storage close
        await self.lease.release()

    async def advance_to(self, target: datetime) -> int:
        """On a fake clock: move it to `target`, stopping at every due time on the way and sending
        what is due then (the demo's accelerated clock, the tests); returns how many were sent."""
        clock = self.app.services.clock
        assert isinstance(clock, FakeClock), "advance_to needs the fake clock"
        sent = 0
        while True:
            due = await self.app.db.read(lambda c: UnitOfWork(c, clock.now()).outbox.next_due())
            if due is None or due > target:
                break
            clock.set(max(clock.now(), due))
            sent += await self.deliver()
        clock.set(max(clock.now(), target))
        return sent + await self.deliver()

    async def travel_to(self, target: datetime, step: timedelta = timedelta(hours=6)) -> int:
        """On a fake clock, far ahead (a day, a month): every `step` the hourly jobs run as a
        running process would run them (the calendar made ahead, the periodic pushes queued), and
        every push due on the way goes out at its own time, in order."""
        clock = self.app.services.clock
        assert isinstance(clock, FakeClock), "travel_to needs the fake clock"
        sent = 0
        while True:
            await calendar.timed_work(self.app.services, self.app.settings.dormancy_weeks)
            stop = min(target, clock.now() + step)
            sent += await self.advance_to(stop)
            if stop >= target:
                return sent


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
    stop = until_signalled(stop)
    senders: dict[str, Sender] = {}
    started: list[object] = []
    runtime: Runtime | None = None
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

        if settings.web_listen:
            from bot.web.serve import WebServer

            web = WebServer(app, settings.web_listen)
            await web.start()
            started.append(web)
        runtime = Runtime(app, senders)
        runtime.start()
        log.info("dangjian running: %s", ", ".join(wanted + (["web"] if settings.web_listen else [])))
        await stop.wait()
    finally:
        if runtime is not None:
            await runtime.stop()
        for transport in reversed(started):
            await transport.stop()  # type: ignore[attr-defined]
        await app.close()


async def settings_app() -> App:
    """The app as the environment configures it (a web worker process builds its own)."""
    return await build_app(Settings())


async def serve_web(settings: Settings, listen: str, stop: asyncio.Event | None = None, workers: int = 1) -> None:
    """The web console alone (its writes queue pushes; `dangjian run` sends them); with several
    workers, that many processes share its port."""
    from bot.web.serve import WebServer, start_workers, stop_workers

    if workers > 1:
        await (await Database.open(settings.database_url)).close()  # migrated once, before the workers
        stop = until_signalled(stop)
        procs = await asyncio.to_thread(start_workers, listen, workers, settings_app)
        print(f"网页后台 / web console: http://{listen}  ({workers} 个进程 / processes; Ctrl+C 退出)", flush=True)
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(stop_workers, procs)
        return
    app = await build_app(settings)
    stop = until_signalled(stop)
    web = WebServer(app, listen)
    try:
        await web.start()
        print(f"网页后台 / web console: {web.url}  (Ctrl+C 退出 / to stop)", flush=True)
        await stop.wait()
    finally:
        await web.stop()
        await app.close()
