"""The process's timed work, one runtime for every way the bot runs, and `dangjian run`.

`Runtime` is the same in `dangjian run`, the console, the demo and the tests: the dispatcher sends
due pushes through the transports' outbound paths (one delivery round at a time); the calendar's
occurrences are made ahead and the periodic pushes queued by the process holding the scheduler
lease. On the system clock APScheduler runs it; on a fake clock `advance_to` lives through the time
the way a running process would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.app import App, build_app, dispatcher_for
from bot.delivery.transport import Transport
from bot.settings import Settings
from bot.signals import held_up, until_signalled
from handlers.core.ports import FakeClock, Sender
from jobs import calendar, leader
from jobs.dispatcher import Dispatcher
from jobs.leader import Leadership
from jobs.scheduler import Scheduler
from storage.db import Database, is_sqlite
from storage.lease import Lease
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        app: App,
        senders: Mapping[str, Sender],
        *,
        calendar_jobs: bool = True,
        leadership: Leadership | None = None,
    ) -> None:
        self.app = app
        self.dispatcher: Dispatcher = dispatcher_for(app, senders)
        self.calendar_jobs = calendar_jobs  # the tests that drive the calendar themselves leave it out
        self.scheduler = Scheduler(app.settings.tz)
        self.leadership = leadership or Leadership(Lease(app.db))
        self._round = asyncio.Lock()

    async def deliver(self) -> int:
        """One delivery round (never two at once in this process); returns how many were sent."""
        async with self._round:
            return await self.dispatcher.run_once()

    def start(self) -> None:
        """On the system clock: whether this process leads, checked every second; the leader
        delivers every dispatch interval and runs the calendar's jobs (at once when it comes to lead)."""
        settings = self.app.settings
        leadership = self.leadership
        self.scheduler.every("lead", leader.CHECK_S, leadership.check, run_now=True)

        async def deliver() -> None:
            if leadership.leads:
                await self.deliver()

        self.scheduler.every("outbox", settings.dispatch_interval_s, deliver)
        if self.calendar_jobs:
            calendar.register(self.scheduler, self.app.services, leadership, dormancy_weeks=settings.dormancy_weeks)

            async def catch_up() -> None:  # what a leader that died may have left undone
                self.scheduler.run_now("calendar", "periodic")

            leadership.on_gain(catch_up)
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()  # lets a delivery round finish before transports and storage close
        await self.leadership.release()

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
STOP_WAIT_S = 10.0  # on SIGTERM, a delivery round may finish sending this long; then what it holds waits


def configured(settings: Settings) -> list[str]:
    """The transports whose credentials are set."""
    ready = {
        "telegram": settings.telegram_token is not None,
        "wecom": bool(settings.wecom_bot_id) and settings.wecom_bot_secret is not None,
    }
    return [t for t in TRANSPORTS if ready[t]]


async def run(
    settings: Settings, wanted: list[str], stop: asyncio.Event | None = None, *, shared_port: bool = False
) -> None:
    """Start the transports, push due outbox rows on a schedule, and run until stopped. Several
    such processes may serve one bot on PostgreSQL: one leads (jobs/leader.py). `shared_port`:
    one of `--workers` processes sharing the webhook's port."""
    app = await build_app(settings)
    stop = until_signalled(stop)
    senders: dict[str, Transport] = {}
    started: list[object] = []
    runtime: Runtime | None = None
    leadership = Leadership(Lease(app.db))
    try:
        await leadership.check()  # the first process to start leads; the others receive and store
        if "telegram" in wanted:
            from bot.telegram.transport import TelegramTransport

            telegram = TelegramTransport(app, settings, shared_port=shared_port)
            telegram.leading = leadership
            await telegram.start()
            started.append(telegram)
            senders["telegram"] = telegram
        if "wecom" in wanted:
            from bot.wecom.transport import WeComTransport

            wecom = WeComTransport(app, settings)
            wecom.leading = leadership
            await wecom.start()
            started.append(wecom)
            senders["wecom"] = wecom
        for adapter in senders.values():
            leadership.on_gain(adapter.lead)
            if leadership.leads:
                await adapter.lead()  # what a process before this one left open

        if settings.web_listen:
            from bot.web.serve import WebServer

            web_server = WebServer(app, settings.web_listen)
            await web_server.start()
            started.append(web_server)
        runtime = Runtime(app, senders, leadership=leadership)
        runtime.start()
        log.info("dangjian running: %s", ", ".join(wanted + (["web"] if settings.web_listen else [])))
        await stop.wait()
    finally:
        for adapter in senders.values():  # nothing new comes in while the rest winds down
            adapter.stop_intake()
        if runtime is not None:
            stopping = asyncio.ensure_future(runtime.stop())
            done, _ = await asyncio.wait({stopping}, timeout=STOP_WAIT_S)
            if not done:  # a delivery round waits on a platform that does not answer: give its rows back
                log.warning("stopping: pushes still waiting to be sent after %.0f s are put back", STOP_WAIT_S)
                for adapter in senders.values():
                    await adapter.close()  # what waits is answered "stopped"; the round records it and ends
                done, _ = await asyncio.wait({stopping}, timeout=STOP_WAIT_S / 2)
            if not done:  # the database itself holds it up (a lock, a stalled disk): left to the next process
                log.error("stopping: still held up after %.0f s, stopping anyway: %s", STOP_WAIT_S * 1.5, held_up())
                stopping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopping
        for transport in reversed(started):
            await transport.stop()  # type: ignore[attr-defined]
        await leadership.release()
        await app.close()


class WorkersRefused(ValueError):
    """`--workers` above 1 where several processes cannot share the work (said plainly by the CLI)."""


def check_workers(settings: Settings, workers: int) -> None:
    if workers > 1 and is_sqlite(settings.database_url):
        raise WorkersRefused(
            "多个进程需要 PostgreSQL（DANGJIAN_DATABASE_URL），SQLite 只能由一个进程使用 / "
            "several workers need PostgreSQL (DANGJIAN_DATABASE_URL): SQLite is one process's"
        )


def _run_worker(wanted: list[str]) -> None:
    """One of `dangjian run --workers N`: configured from the environment, on the shared port."""
    from bot import logsafe

    settings = Settings()
    logsafe.setup(settings, worker=True)
    try:
        asyncio.run(run(settings, wanted, shared_port=True))
    except Exception:  # logged with secrets hidden (a refused token, say), not printed raw
        log.exception("a dangjian worker stopped on an error")
        raise SystemExit(1) from None


async def run_workers(settings: Settings, wanted: list[str], workers: int, stop: asyncio.Event | None = None) -> None:
    """`workers` bot processes on this machine, sharing the webhook's port (the kernel spreads
    Telegram's posts over them); one leads (jobs/leader.py), and if it dies another takes over
    within seconds. The database is migrated once, before they start; Ctrl+C or SIGTERM stops
    them all."""
    from bot import workers as processes

    check_workers(settings, workers)
    await (await Database.open(settings.database_url)).close()
    stop = until_signalled(stop)
    procs = await asyncio.to_thread(processes.start, workers, _run_worker, wanted)
    log.info("dangjian running in %d processes", workers)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if all(not p.is_alive() for p in procs):
                raise RuntimeError("every worker process stopped (see the log above)")
    finally:
        await asyncio.to_thread(processes.stop, procs)


async def settings_app() -> App:
    """The app as the environment configures it (a web worker process builds its own)."""
    return await build_app(Settings())


async def serve_web(settings: Settings, listen: str, stop: asyncio.Event | None = None, workers: int = 1) -> None:
    """The web console alone (its writes queue pushes; `dangjian run` sends them); with several
    workers, that many processes share its port."""
    from bot import workers as processes
    from bot.web.serve import WebServer, start_workers

    if workers > 1:
        await (await Database.open(settings.database_url)).close()  # migrated once, before the workers
        stop = until_signalled(stop)
        procs = await asyncio.to_thread(start_workers, listen, workers, settings_app)
        print(f"网页后台 / web console: http://{listen}  ({workers} 个进程 / processes; Ctrl+C 退出)", flush=True)
        try:
            await stop.wait()
        finally:
            await asyncio.to_thread(processes.stop, procs)
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
