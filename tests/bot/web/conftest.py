"""The web console over HTTP, on the harness's app (its fake clock, its database)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.web.app import WebConsole
from tests.harness import Harness

# every page of the web console, in its menu's order (the page tests walk them all)
PAGES = [
    "/",
    "/events",
    "/members",
    "/calendar",
    "/duty",
    "/ideas",
    "/points",
    "/store",
    "/recruits",
    "/terms",
    "/dues",
    "/export",
]

LINK = re.compile(r"https?://\S+/login\?t=\S+")


@dataclass
class Web:
    h: Harness
    console: WebConsole
    client: httpx.AsyncClient

    async def link(self, name: str) -> str:
        """The one-time link the bot gives this member for 后台 in a private chat (path and query)."""
        replies = await self.h.dm("后台", user=f"u-{name}")
        found = LINK.search(replies[0])
        assert found, replies
        return found.group(0).split("://", 1)[1].split("/", 1)[1]

    async def login(self, name: str) -> httpx.AsyncClient:
        """A browser of its own, logged in as the member."""
        client = httpx.AsyncClient(transport=self.client._transport, base_url="http://console.test")
        answer = await client.get("/" + await self.link(name))
        assert answer.status_code == 303, answer.text
        return client

    def csrf(self, page: httpx.Response) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text[:500]
        return found.group(1)


@pytest.fixture
async def web(h: Harness) -> AsyncIterator[Web]:
    console = WebConsole(h.app)
    transport = httpx.ASGITransport(app=console.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
        yield Web(h, console, client)
