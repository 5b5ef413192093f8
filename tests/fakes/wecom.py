"""Fakes of WeCom's remote side: the AI bot long-connection server and the group robot webhook.

FakeWeComServer speaks the documented frames on ws://127.0.0.1: it checks aibot_subscribe, answers
ping, delivers aibot_msg_callback / aibot_event_callback, records aibot_respond_msg and
aibot_send_msg, and, like WeCom, closes an older connection when the same bot subscribes again.
FakeWebhook serves POST /cgi-bin/webhook/send?key=… and enforces 20 messages per key per window,
answering WeCom's error codes (45009 over the limit, 93000 for an unknown key).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

FILE_MAX_BYTES = 20 * 1024 * 1024  # WeCom takes a file of at most 20 MB (media upload, either way)

BOT_ID, SECRET = "aib-test", "s3cret"


@dataclass
class FakeWeComServer:
    bot_id: str = BOT_ID
    secret: str = SECRET
    sent: list[dict[str, Any]] = field(default_factory=list)  # frames the bot sent (not pings)
    connections: list[ServerConnection] = field(default_factory=list)
    subscribed: int = 0
    pings: int = 0
    _current: ServerConnection | None = None
    _server: Server | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None
    media: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # uploads: id -> type, name, data
    _uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse_uploads: bool = False  # answer upload frames with an error (the bot falls back to the webhook)
    echo_cmd: bool = False  # answers carry the cmd they answer (the SDKs match by req_id either way)
    omit_errcode: bool = False  # answers without errcode (the SDKs count that as a failure)
    early: list[dict[str, Any]] = field(default_factory=list)  # callbacks sent before the subscription's answer
    subscribe_frames: list[dict[str, Any]] = field(default_factory=list)  # every aibot_subscribe received
    clicks: dict[str, float] = field(default_factory=dict)  # req_id of each card click -> when it was sent
    refused_replies: list[dict[str, Any]] = field(default_factory=list)  # replies WeCom would refuse (846605)

    async def start(self, port: int = 0) -> int:
        """Listen (on `port`: start again where it listened before an outage)."""
        self._changed = self._changed or asyncio.Condition()
        self._server = await serve(self._serve, "127.0.0.1", port)
        return int(next(iter(self._server.sockets)).getsockname()[1])

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, ws: ServerConnection) -> None:
        self.connections.append(ws)
        async for raw in ws:
            frame = json.loads(raw)
            cmd, req_id = frame.get("cmd"), frame["headers"]["req_id"]
            if cmd == "aibot_subscribe":
                self.subscribe_frames.append(frame)
                body = frame.get("body", {})
                if (body.get("bot_id"), body.get("secret")) != (self.bot_id, self.secret):
                    await ws.send(json.dumps(self._answer(cmd, req_id, errcode=40014, errmsg="invalid")))
                    continue
                old, self._current = self._current, ws
                self.subscribed += 1
                for early in self.early:  # WeCom may deliver a callback before it answers
                    req = f"req-{next(self._ids)}"
                    await ws.send(json.dumps({"cmd": "aibot_msg_callback", "headers": {"req_id": req}, "body": early}))
                self.early = []
                await ws.send(json.dumps(self._answer(cmd, req_id)))
                if old is not None and old is not ws:
                    await old.close()  # WeCom keeps one connection per bot: the newer one wins
            elif cmd == "ping":
                self.pings += 1
                await ws.send(json.dumps(self._answer(cmd, req_id)))
            elif cmd and cmd.startswith("aibot_upload_media_"):
                answer = self._upload(cmd, frame.get("body", {}))
                await ws.send(json.dumps({**self._answer(cmd, req_id), **answer}))
            elif cmd == "aibot_respond_msg" and req_id in self.clicks:  # a click takes only a card update
                self.refused_replies.append(frame)
                await ws.send(json.dumps(self._answer(cmd, req_id, errcode=846605, errmsg="invalid req_id for reply")))
            else:
                self.sent.append(frame)
                await ws.send(json.dumps(self._answer(cmd, req_id)))
            await self._notify()

    def _answer(self, cmd: str, req_id: str, errcode: int = 0, errmsg: str = "ok") -> dict[str, Any]:
        answer: dict[str, Any] = {"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg}
        if self.omit_errcode and cmd != "aibot_subscribe":
            del answer["errcode"]
        if self.echo_cmd:
            answer["cmd"] = cmd
        return answer

    def _upload(self, cmd: str, body: dict[str, Any]) -> dict[str, Any]:
        """The three upload frames: init (size, chunks, md5), chunk (base64), finish -> media_id."""
        if self.refuse_uploads:
            return {"errcode": 600039, "errmsg": "upload not allowed"}
        if cmd == "aibot_upload_media_init":
            if int(body.get("total_size") or 0) > FILE_MAX_BYTES:
                return {"errcode": 40006, "errmsg": "invalid file size"}
            upload_id = f"up-{next(self._ids)}"
            self._uploads[upload_id] = {**body, "chunks": {}}
            return {"errcode": 0, "errmsg": "ok", "body": {"upload_id": upload_id}}
        upload = self._uploads.get(str(body.get("upload_id")))
        if upload is None:
            return {"errcode": 40001, "errmsg": "invalid upload_id"}
        if cmd == "aibot_upload_media_chunk":
            upload["chunks"][int(body["chunk_index"])] = base64.b64decode(body["base64_data"])
            return {"errcode": 0, "errmsg": "ok"}
        data = b"".join(upload["chunks"][i] for i in sorted(upload["chunks"]))
        if len(upload["chunks"]) != upload["total_chunks"] or hashlib.md5(data).hexdigest() != upload["md5"]:
            return {"errcode": 40002, "errmsg": "upload incomplete"}
        media_id = f"media-{next(self._ids)}"
        self.media[media_id] = (str(upload["type"]), str(upload["filename"]), data)
        return {"errcode": 0, "errmsg": "ok", "body": {"media_id": media_id, "type": upload["type"]}}

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def until(self, check: Any, within: float = 10.0) -> None:
        """Wait until check() holds (the bot is another task: wait on what the server saw)."""
        assert self._changed is not None
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(check)

    # -- what WeCom sends ---------------------------------------------------------------------
    async def raw(self, text: str, ws: ServerConnection | None = None) -> None:
        ws = ws or self._current
        assert ws is not None
        await ws.send(text)

    async def callback(
        self, body: dict[str, Any], cmd: str = "aibot_msg_callback", ws: ServerConnection | None = None
    ) -> str:
        req_id = f"req-{next(self._ids)}"
        if _dict_of(body.get("event")).get("eventtype") == "template_card_event":
            self.clicks[req_id] = time.monotonic()
        frame = {"cmd": cmd, "headers": {"req_id": req_id}, "body": body}
        await self.raw(json.dumps(frame, ensure_ascii=False), ws)
        return req_id

    async def newer_connection(self) -> None:
        """As WeCom does when the same bot subscribes elsewhere: the disconnected event, then close."""
        assert self._current is not None
        current, self._current = self._current, None
        body = {"msgid": f"evt-{next(self._ids)}", "aibotid": self.bot_id, "msgtype": "event"}
        await self.callback({**body, "event": {"eventtype": "disconnected_event"}}, "aibot_event_callback", current)
        await current.close()

    async def drop(self) -> None:
        """The network drops the current connection."""
        assert self._current is not None
        current, self._current = self._current, None
        await current.close()

    def replies(self, req_id: str) -> list[dict[str, Any]]:
        return [f["body"] for f in self.sent if f["cmd"] == "aibot_respond_msg" and f["headers"]["req_id"] == req_id]

    def card_updates(self, req_id: str) -> list[dict[str, Any]]:
        """The card updates answering a click: (their body, with when they arrived) in order."""
        return [
            f["body"] for f in self.sent if f["cmd"] == "aibot_respond_update_msg" and f["headers"]["req_id"] == req_id
        ]

    def pushes(self, chatid: str) -> list[dict[str, Any]]:
        return [f["body"] for f in self.sent if f["cmd"] == "aibot_send_msg" and f["body"].get("chatid") == chatid]


_msgids = itertools.count(1)


def _dict_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text_message(user: str, text: str, chatid: str | None = "wr-group", msgid: str | None = None) -> dict[str, Any]:
    """A text message as WeCom delivers it: in a group it starts with the @-mention of the bot."""
    body: dict[str, Any] = {
        "msgid": msgid or f"msg-{next(_msgids)}",
        "aibotid": BOT_ID,
        "chattype": "group" if chatid else "single",
        "from": {"userid": user},
        "msgtype": "text",
        "text": {"content": text},
    }
    if chatid:
        body["chatid"] = chatid
    return body


def encrypt_media(data: bytes, aeskey: str) -> bytes:
    """As WeCom stores a member's picture: AES-256-CBC, IV = the key's first 16 bytes, PKCS#7 to 32."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(aeskey + "=" * (-len(aeskey) % 4))
    pad = 32 - len(data) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


def picture_message(
    user: str, url: str, aeskey: str, text: str | None, chatid: str | None = "wr-group"
) -> dict[str, Any]:
    """A picture with text in one message (图文混排, "mixed"); without text, a plain image message."""
    image = {"msgtype": "image", "image": {"url": url, "aeskey": aeskey}}
    body: dict[str, Any] = {
        "msgid": f"m{next(_msgids)}",
        "aibotid": BOT_ID,
        "chattype": "group" if chatid else "single",
        "from": {"userid": user},
    }
    if chatid:
        body["chatid"] = chatid
    if text is None:
        return {**body, **image}
    items = [{"msgtype": "text", "text": {"content": text}}, image]
    return {**body, "msgtype": "mixed", "mixed": {"msg_item": items}}


def card_click(
    user: str, key: str, chatid: str = "wr-group", *, task_id: str = "card_x", flat: bool = False
) -> dict[str, Any]:
    """A button press on a card: the event nested as documented, or `flat` (the node SDK's types)."""
    event: dict[str, Any] = {"eventtype": "template_card_event"}
    detail = {"card_type": "button_interaction", "event_key": key, "task_id": task_id}
    event.update(detail if flat else {"template_card_event": detail})
    return {
        "msgid": f"evt-{next(_msgids)}",
        "aibotid": BOT_ID,
        "chattype": "group",
        "chatid": chatid,
        "from": {"userid": user},
        "msgtype": "event",
        "event": event,
    }


def content_of(body: dict[str, Any]) -> str:
    """The text of a reply or push body, whatever its message type."""
    if body.get("msgtype") == "stream":
        return str(body["stream"]["content"])
    if body.get("msgtype") == "markdown":
        return str(body["markdown"]["content"])
    card = body["template_card"]
    return f"{card['main_title']['title']}\n{card.get('sub_title_text', '')}"


@dataclass
class FakeWebhook:
    keys: set[str] = field(default_factory=set)
    per_window: int = 20
    window_s: float = 60.0
    received: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    refused: int = 0
    down: bool = False  # an outage: every request answers HTTP 502
    failed_calls: int = 0  # requests met by the outage
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # upload_media: id -> name, data
    downloads: dict[str, bytes] = field(default_factory=dict)  # GET /media/<name>: what members sent, encrypted
    _windows: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _arrived: asyncio.Event | None = None

    def answer(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        if key not in self.keys:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        now = time.monotonic()
        window = self._windows[key]
        while window and now - window[0] >= self.window_s:
            window.popleft()
        if len(window) >= self.per_window:
            self.refused += 1
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        window.append(now)
        self.received.append((now, key, body))
        if self._arrived is not None:
            self._arrived.set()
        return {"errcode": 0, "errmsg": "ok"}

    async def until(self, check: Any, within: float = 5.0) -> None:
        """Wait until check() holds for what the robot received (the bot sends from another task)."""
        self._arrived = self._arrived or asyncio.Event()
        async with asyncio.timeout(within):
            while not check():
                self._arrived.clear()
                await self._arrived.wait()

    def serve(self, port: int) -> Any:
        from tornado.httpserver import HTTPServer
        from tornado.web import Application, RequestHandler

        fake = self

        class Send(RequestHandler):
            def post(self) -> None:
                if fake.down:
                    fake.failed_calls += 1
                    self.set_status(502)
                    self.finish("Bad Gateway")
                    return
                answer = fake.answer(self.get_query_argument("key", ""), json.loads(self.request.body or b"{}"))
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps(answer))

        class Upload(RequestHandler):
            def post(self) -> None:
                parts = self.request.files.get("media") or []
                if self.get_query_argument("key", "") not in fake.keys or not parts:
                    answer: dict[str, Any] = {"errcode": 93000, "errmsg": "invalid webhook url"}
                elif len(parts[0]["body"]) > FILE_MAX_BYTES:
                    answer = {"errcode": 40006, "errmsg": "invalid file size"}
                else:
                    media_id = f"hook-media-{len(fake.uploads) + 1}"
                    fake.uploads[media_id] = (parts[0]["filename"], parts[0]["body"])
                    answer = {"errcode": 0, "errmsg": "ok", "type": "file", "media_id": media_id}
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps(answer))

        class Media(RequestHandler):
            def get(self, name: str) -> None:
                if name not in fake.downloads:
                    self.set_status(404)
                    self.finish()
                    return
                self.finish(fake.downloads[name])

        server = HTTPServer(
            Application(
                [
                    (r"/cgi-bin/webhook/send", Send),
                    (r"/cgi-bin/webhook/upload_media", Upload),
                    (r"/media/(\w+)", Media),
                ]
            )
        )
        server.listen(port, address="127.0.0.1")
        return server
