"""Serving the web console with uvicorn, beside the bot (`dangjian run` with DANGJIAN_WEB_LISTEN)
or alone (`dangjian web`); and the one-time links the command line prints."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from bot.app import App, policy_from
from bot.settings import Settings
from handlers.ports import SystemClock
from handlers.weblink import issue_link
from storage.db import Database
from storage.repositories import UnitOfWork

log = logging.getLogger(__name__)


def split_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:8080' -> ('127.0.0.1', 8080); ':8080' listens on every address."""
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"DANGJIAN_WEB_LISTEN 应为 主机:端口 / must be host:port: {listen}")
    return host or "0.0.0.0", int(port)


class WebServer:
    """The console on uvicorn, in this event loop; `stop` ends it."""

    def __init__(self, app: App, listen: str) -> None:
        from bot.web.app import create_web

        host, port = split_listen(listen)
        config = uvicorn.Config(
            create_web(app), host=host, port=port, log_level="warning", lifespan="off", proxy_headers=True
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
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


async def login_link(settings: Settings, member_id: int) -> str:
    """A one-time login link for a member (the operator vouches for them)."""
    db = await Database.open(settings.database_url)
    try:
        now = SystemClock().now()
        return await db.unit(lambda conn: issue_link(UnitOfWork(conn, now), policy_from(settings), member_id))
    finally:
        await db.close()
