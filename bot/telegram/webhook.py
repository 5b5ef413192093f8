"""Telegram's webhook: an update is answered 200 only once it is stored (bot/delivery/inbox.py).

python-telegram-bot's own webhook server answers 200 as soon as an update is queued in memory,
so a crash loses what Telegram will never send again. This small ASGI app checks the secret
before reading anything, refuses bodies over 1 MiB, answers malformed JSON with 400 and one log
line, and stores the rest before answering (503 while the database cannot be reached: Telegram
posts the update again).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.delivery.inbox import Inbox
from bot.workers import bind
from storage.db import unreachable

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # 1 MiB: an update is a few kilobytes
SECRET_HEADER = "x-telegram-bot-api-secret-token"
# stopping, a post still being stored (the database holds it up) is given this long, then dropped
# unanswered: Telegram posts it again to whoever serves next, and the process ends
STOP_GRACE_S = 10


def webhook_app(path: str, secret: str, inbox: Inbox, *, more: Sequence[BaseRoute] = ()) -> Starlette:
    """The webhook at `path`, and `more` routes beside it (/healthz and /metrics)."""
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return Response(status_code=403)  # the body is never read
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return Response(status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response(status_code=413)
        try:
            text = body.decode()
            update = json.loads(text)
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                raise ValueError("no update_id")
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors; nesting
            log.warning("telegram webhook: refused a malformed update of %d bytes", len(body))
            return Response(status_code=400)
        try:
            await inbox.put(str(update_id), text)
        except asyncio.CancelledError:  # stopping, and the database held it up past the grace
            return Response(status_code=503)  # not acknowledged: Telegram posts it again
        except Exception as exc:
            if not unreachable(exc):
                raise
            # not stored, so not acknowledged: Telegram posts it again
            log.warning("telegram webhook: the database cannot be reached; update %s not acknowledged", update_id)
            return Response(status_code=503)
        return Response(status_code=200)

    return Starlette(routes=[Route("/" + path.strip("/"), receive, methods=["POST"]), *more])


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: `dangjian run` decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(
    app: Starlette, host: str, port: int, *, shared: bool = False
) -> tuple[QuietServer, asyncio.Task[None]]:
    """Serve the app in the background; returns once it listens. `shared`: on a socket of its
    own beside the other worker processes' on the same port (the kernel spreads the posts)."""
    # Telegram (and a reverse proxy) keep connections open between posts: don't close them first
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=75,
        timeout_graceful_shutdown=STOP_GRACE_S,
    )  # fmt: skip
    server = QuietServer(config)
    sockets = [bind(f"{host}:{port}", shared=True)] if shared else None
    task = asyncio.get_running_loop().create_task(server.serve(sockets=sockets), name="webhook-server")
    while not server.started:
        if task.done():
            task.result()  # the port was taken, say: raise it here
        await asyncio.sleep(0.01)
    return server, task
