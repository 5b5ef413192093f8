"""Serving the web console with uvicorn, beside the bot (`dangjian run` with DANGJIAN_WEB_LISTEN)
or alone (`dangjian web`); and the one-time links the command line prints."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from bot import workers as workers_
from bot.app import App, policy_from
from bot.settings import Settings
from bot.signals import until_signalled
from bot.workers import bind, split_listen
from handlers.core.ports import SystemClock
from handlers.weblink import issue_link
from storage.db import Database
from storage.uow import UnitOfWork

STOP_GRACE_S = 10  # stopping, a page still being made (the database holds it up) is given this long

log = logging.getLogger(__name__)


class WebServer:
    """The console on uvicorn, in this event loop; `stop` ends it."""

    def __init__(self, app: App, listen: str, sock: socket.socket | None = None) -> None:
        from bot.web.app import create_web

        host, port = split_listen(listen)
        config = uvicorn.Config(
            create_web(app), host=host, port=port, log_level="warning", lifespan="off", proxy_headers=True,
            timeout_graceful_shutdown=STOP_GRACE_S,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.sock = sock  # a socket of its own on a port several worker processes share
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock] if self.sock else None))
        while not self.server.started:
            if self.task.done():
                await self.task  # it failed to start (the port is taken): say why
                raise RuntimeError("the web console stopped at start")
            await asyncio.sleep(0.02)
        log.info("web console on %s", self.url)

    @property
    def url(self) -> str:
        """Where it answers (the port the system gave, if 0 was asked for)."""
        sockets = [s for server in self.server.servers for s in server.sockets]
        port = sockets[0].getsockname()[1] if sockets else self.server.config.port
        return f"http://{self.server.config.host}:{port}"

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


MakeApp = Callable[[], Awaitable[App]]


def _worker(listen: str, make_app: MakeApp) -> None:
    """One worker process: its own app (storage, caches) and its own socket on the shared port,
    serving until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.WARNING)

    async def serve() -> None:

        stop = until_signalled(None)
        app = await make_app()
        web = WebServer(app, listen, bind(listen, shared=True))
        try:
            await web.start()
            await stop.wait()
        finally:
            await web.stop()
            await app.close()

    asyncio.run(serve())


def start_workers(listen: str, workers: int, make_app: MakeApp) -> list[Any]:
    """`workers` processes serving one port: a page is Python work, so a second core doubles what
    the console answers. The port is checked free first. `make_app` must be a module-level
    function (it is sent to a fresh interpreter)."""
    bind(listen, shared=True).close()  # taken by another program: say so here, not in every worker
    return workers_.start(workers, _worker, listen, make_app)


async def login_link(settings: Settings, member_id: int) -> str:
    """A one-time login link for a member (the operator vouches for them)."""
    db = await Database.open(settings.database_url)
    try:
        now = SystemClock().now()
        return await db.unit(lambda conn: issue_link(UnitOfWork(conn, now), policy_from(settings), member_id))
    finally:
        await db.close()
