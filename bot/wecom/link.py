"""The WeCom AI bot (智能机器人) long connection: a small client on `websockets`.

Frames are JSON objects `{cmd, headers: {req_id}, body}`; answers to our frames carry the same
req_id with `errcode`/`errmsg`. We send `aibot_subscribe` (bot id and secret) after connecting,
`ping` every `heartbeat_s`, `aibot_respond_msg` to answer a callback (same req_id as the
callback) and `aibot_send_msg` to push into a chat. WeCom sends `aibot_msg_callback` and
`aibot_event_callback`. A connection that drops or stops answering pings is opened again with
exponential backoff (0.5 s doubling to 4 s, so it is back within seconds of WeCom's return; a
refused subscription waits 30 s) and subscribed again. Malformed frames are logged and skipped.

The official Python SDK (wecom-aibot-python-sdk) is beta, does not report being kicked off by a
newer connection and brings pyee, aiohttp and cryptography along; this is the part we need.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from bot.ordering import KeyedLocks

log = logging.getLogger(__name__)

Frame = dict[str, Any]
OnFrame = Callable[[Frame], Awaitable[None]]
FIRST_RETRY_S = 0.5  # a dropped connection is opened again this much later, doubling to backoff_max_s
REFUSED_RETRY_S = 30.0  # after a refused subscription


class LinkError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode


class WeComLink:
    def __init__(
        self,
        url: str,
        bot_id: str,
        secret: str,
        on_frame: OnFrame,
        *,
        heartbeat_s: float = 30.0,
        ack_timeout_s: float = 10.0,
        backoff_max_s: float = 4.0,
    ) -> None:
        self.url, self.bot_id, self.secret = url, bot_id, secret
        self.on_frame = on_frame
        self.heartbeat_s, self.ack_timeout_s, self.backoff_max_s = heartbeat_s, ack_timeout_s, backoff_max_s
        self._ws: ClientConnection | None = None
        self._acks: dict[str, asyncio.Future[Frame]] = {}
        self._ids = itertools.count(1)
        self._runner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._closing = False
        self._handlers: set[asyncio.Task[None]] = set()
        self._serial = KeyedLocks()
        self.connects = 0  # successful subscriptions, for logs and tests

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._closing = False
        self._runner = asyncio.create_task(self._run(), name="wecom-link")

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def wait_ready(self, within: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._ready.wait()
        return self._ready.is_set()

    async def stop(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _run(self) -> None:
        delay = FIRST_RETRY_S
        while not self._closing:
            refused = False
            try:
                async with connect(self.url, open_timeout=10, ping_interval=None, max_size=2**22) as ws:
                    self._ws = ws
                    await self._subscribe(ws)
                    delay = FIRST_RETRY_S
                    self.connects += 1
                    self._ready.set()
                    log.info("wecom: connected and subscribed (%s)", self.url)
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except LinkError as exc:
                log.error("wecom: subscription refused: %s; trying again in %.0f s", exc, REFUSED_RETRY_S)
                refused = True  # a wrong secret is not tried every few seconds
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as exc:
                log.warning("wecom: connection lost (%s); reconnecting in %.1f s", exc, delay)
            finally:
                self._ready.clear()
                self._ws = None
                for fut in self._acks.values():
                    if not fut.done():
                        fut.set_exception(ConnectionError("connection lost"))
                        fut.exception()  # whoever waits still gets it; nobody waiting is no error
                self._acks.clear()
            if self._closing:
                return
            await asyncio.sleep(REFUSED_RETRY_S if refused else delay)
            delay = min(delay * 2, self.backoff_max_s)

    async def _subscribe(self, ws: ClientConnection) -> None:
        req_id = self._req_id("aibot_subscribe")
        body = {"bot_id": self.bot_id, "secret": self.secret}
        await ws.send(json.dumps({"cmd": "aibot_subscribe", "headers": {"req_id": req_id}, "body": body}))
        async with asyncio.timeout(self.ack_timeout_s):
            while True:
                frame = _parse(await ws.recv())
                if frame is not None and frame.get("headers", {}).get("req_id") == req_id:
                    break
        if frame.get("errcode", 0) != 0:
            raise LinkError(int(frame.get("errcode", -1)), str(frame.get("errmsg", "")))

    async def _session(self, ws: ClientConnection) -> None:
        beat = asyncio.create_task(self._heartbeat(ws))
        try:
            async for raw in ws:
                frame = _parse(raw)
                if frame is None:
                    continue
                req_id = str(frame.get("headers", {}).get("req_id", ""))
                if "cmd" not in frame or frame.get("cmd") in ("", None):
                    fut = self._acks.pop(req_id, None)
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
                    continue
                if frame["cmd"] in ("aibot_msg_callback", "aibot_event_callback"):
                    task = asyncio.create_task(self._handle(frame))
                    self._handlers.add(task)
                    task.add_done_callback(self._handlers.discard)
                else:
                    log.info("wecom: ignoring frame with unknown cmd %r", frame["cmd"])
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _handle(self, frame: Frame) -> None:
        try:
            await self.on_frame(frame)
        except Exception:
            log.exception("wecom: handling a callback failed")

    async def _heartbeat(self, ws: ClientConnection) -> None:
        missed = 0
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await self.request("ping", None)
                missed = 0
            except (TimeoutError, ConnectionError, LinkError):
                missed += 1
                if missed >= 2:
                    log.warning("wecom: two heartbeats unanswered; reconnecting")
                    await ws.close()
                    return

    # -- sending ------------------------------------------------------------------------------
    def _req_id(self, cmd: str) -> str:
        return f"{cmd}_{int(time.time() * 1000)}_{next(self._ids)}"

    async def request(self, cmd: str, body: Any, req_id: str | None = None) -> Frame:
        """Send a frame and wait for its answer; raises LinkError for a non-zero errcode."""
        ws = self._ws
        if ws is None:
            raise ConnectionError("not connected")
        req_id = req_id or self._req_id(cmd)
        frame: Frame = {"cmd": cmd, "headers": {"req_id": req_id}}
        if body is not None:
            frame["body"] = body
        async with self._serial.hold(req_id):  # answers to one callback go one after another
            fut: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._acks[req_id] = fut
            await ws.send(json.dumps(frame, ensure_ascii=False))
            try:
                async with asyncio.timeout(self.ack_timeout_s):
                    answer = await fut
            finally:
                self._acks.pop(req_id, None)
        if answer.get("errcode", 0) != 0:
            raise LinkError(int(answer.get("errcode", -1)), str(answer.get("errmsg", "")))
        return answer

    @property
    def connected(self) -> bool:
        return self._ready.is_set()


def _parse(raw: str | bytes) -> Frame | None:
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        log.warning("wecom: dropping a frame of %d bytes that is not JSON", len(raw))
        return None
    if not isinstance(frame, dict) or not isinstance(frame.get("headers", {}), dict):
        log.warning("wecom: dropping a malformed frame of %d bytes", len(str(raw)))
        return None
    return frame
