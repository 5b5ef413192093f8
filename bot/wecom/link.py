"""The WeCom AI bot (智能机器人) long connection: a small client on `websockets`.

Frames are JSON objects `{cmd, headers: {req_id}, body}`; answers to our frames carry the same
req_id with `errcode`/`errmsg`. We send `aibot_subscribe` (bot id and secret) after connecting,
`ping` every `heartbeat_s`, `aibot_respond_msg` to answer a callback (same req_id as the
callback) and `aibot_send_msg` to push into a chat. WeCom sends `aibot_msg_callback` and
`aibot_event_callback`. A connection that drops or stops answering pings is opened again with
exponential backoff (0.5 s doubling to 4 s, so it is back within seconds of WeCom's return; a
refused subscription waits 30 s, and after MAX_REFUSALS in a row the link gives up and says so)
and subscribed again. Malformed frames are logged and skipped.

The frames follow WeCom's official SDKs (wecom-aibot-python-sdk 1.0.2, @wecom/aibot-node-sdk
1.0.7): an answer is matched to our frame by its req_id whatever else it carries (with or without
`cmd`), and counts as success only with `errcode` 0; callbacks that arrive while the subscription
is being answered are kept and handled after it; the `disconnected_event` WeCom sends when a newer
connection for the same bot was opened ends this link for good (reconnecting would kick the other
one off, which would kick this one, for ever), with a log line saying another process holds the
bot. The official Python SDK is beta and brings pyee, aiohttp and cryptography along; this is the
part we need.
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

from bot.delivery.ordering import KeyedLocks

log = logging.getLogger(__name__)

Frame = dict[str, Any]
OnFrame = Callable[[Frame], Awaitable[None]]
FIRST_RETRY_S = 0.5  # a dropped connection is opened again this much later, doubling to backoff_max_s
REFUSED_RETRY_S = 30.0  # after a refused subscription
MAX_REFUSALS = 5  # refused subscriptions in a row (a wrong or revoked secret) before the link gives up
CALLBACKS = ("aibot_msg_callback", "aibot_event_callback")


class WeComRefused(Exception):
    """WeCom refused the bot id and secret when the bot started."""


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
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.url, self.bot_id, self.secret = url, bot_id, secret
        self.on_frame = on_frame
        self.on_ready = on_ready  # told each time the link is subscribed again (what waited may go now)
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
        self.refusals = 0  # refused subscriptions in a row
        self.refused = asyncio.Event()  # set when the secret was refused (cleared by a success)
        self.kicked = False  # WeCom said a newer connection took this bot over: the link has ended
        self.gave_up = False  # refused MAX_REFUSALS times in a row: the link has ended

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._closing = False
        self.kicked = self.gave_up = False
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
                    early = await self._subscribe(ws)
                    delay = FIRST_RETRY_S
                    self.connects += 1
                    self.refusals = 0
                    self.refused.clear()
                    self._ready.set()
                    log.info("wecom: connected and subscribed (%s)", self.url)
                    if self.on_ready is not None:
                        self.on_ready()
                    for frame in early:  # callbacks that came before the subscription's answer
                        self._dispatch(frame)
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except LinkError as exc:
                refused = True  # a wrong secret is not tried every few seconds
                self.refusals += 1
                self.refused.set()
                if self.refusals >= MAX_REFUSALS:
                    log.error(
                        "wecom: WeCom refused bot %s's secret %d times (%s); giving up: check "
                        "DANGJIAN_WECOM_BOT_ID and DANGJIAN_WECOM_BOT_SECRET and restart",
                        self.bot_id,
                        self.refusals,
                        exc,
                    )
                    self.gave_up = self._closing = True
                else:
                    log.error("wecom: subscription refused: %s; trying again in %.0f s", exc, REFUSED_RETRY_S)
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

    async def _subscribe(self, ws: ClientConnection) -> list[Frame]:
        """Subscribe; returns the callbacks that arrived before the answer (to be handled)."""
        req_id = self._req_id("aibot_subscribe")
        body = {"bot_id": self.bot_id, "secret": self.secret}
        await ws.send(json.dumps({"cmd": "aibot_subscribe", "headers": {"req_id": req_id}, "body": body}))
        early: list[Frame] = []
        async with asyncio.timeout(self.ack_timeout_s):
            while True:
                frame = _parse(await ws.recv())
                if frame is None:
                    continue
                if frame.get("headers", {}).get("req_id") == req_id:
                    break
                if frame.get("cmd") in CALLBACKS:
                    early.append(frame)
        _check(frame)
        return early

    async def _session(self, ws: ClientConnection) -> None:
        beat = asyncio.create_task(self._heartbeat(ws))
        try:
            async for raw in ws:
                frame = _parse(raw)
                if frame is None:
                    continue
                req_id = str(frame.get("headers", {}).get("req_id", ""))
                fut = self._acks.pop(req_id, None)
                if fut is not None:  # the answer to a frame of ours, whether it echoes a cmd or not
                    if not fut.done():
                        fut.set_result(frame)
                    continue
                if _event_type(frame) == "disconnected_event":
                    log.error(
                        "wecom: WeCom closed this connection: a newer connection for bot %s was opened "
                        "(another process or machine runs this bot); not reconnecting",
                        self.bot_id,
                    )
                    self.kicked = self._closing = True
                    await ws.close()
                    return
                if frame.get("cmd") in CALLBACKS:
                    self._dispatch(frame)
                elif frame.get("cmd"):
                    log.info("wecom: ignoring frame with unknown cmd %r", frame["cmd"])
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    def _dispatch(self, frame: Frame) -> None:
        task = asyncio.create_task(self._handle(frame))
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

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
        _check(answer)
        return answer

    @property
    def connected(self) -> bool:
        return self._ready.is_set()


def _check(answer: Frame) -> None:
    """An answer is a success only with errcode 0 (as the SDKs read it: a missing one is not)."""
    code = answer.get("errcode")
    if code != 0:
        raise LinkError(int(code) if isinstance(code, int) else -1, str(answer.get("errmsg", "no errcode")))


def _event_type(frame: Frame) -> str | None:
    body = frame.get("body")
    event = body.get("event") if isinstance(body, dict) else None
    kind = event.get("eventtype") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else None


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
