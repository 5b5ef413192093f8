"""A recording fake of the Telegram Bot API (the remote side only).

It keeps what the bot sent, answers the methods the transport uses, enforces Telegram's flood
limits (20 messages a minute per group, 30 a second overall: 429 with retry_after beyond that)
and plays scripted errors. Use it in-process through FakeRequest, or over HTTP on 127.0.0.1
through serve_http (for the bot running as a subprocess).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

from telegram.request import BaseRequest, RequestData

BOT = {
    "id": 999,
    "is_bot": True,
    "first_name": "党建助手",
    "username": "dangjian_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": True,
    "supports_inline_queries": False,
}
LIMITED = {"sendMessage", "editMessageText"}
ADMIN_RIGHTS = dict.fromkeys(
    [
        "can_be_edited",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "is_anonymous",
    ],
    False,
)


TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "blockquote"}


class ParseError(ValueError):
    pass


class _Entities(HTMLParser):
    """Telegram's HTML parse mode, as far as the bot uses it: known tags, balanced, escaped text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._link: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            raise ParseError(f'Unsupported start tag "{tag}"')
        self.open.append(tag)
        if tag == "a":
            self._link = (dict(attrs).get("href") or "", len("".join(self.text)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise ParseError(f'Unmatched end tag "{tag}"')
        self.open.pop()
        if tag == "a" and self._link is not None:
            href, start = self._link
            self.links.append((href, "".join(self.text)[start:]))
            self._link = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str) -> tuple[str, list[tuple[str, str]]]:
    """The text a user sees and the links in it; ParseError where Telegram answers 400."""
    parser = _Entities()
    parser.feed(markup)
    parser.close()
    if parser.open:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"')
    return "".join(parser.text), parser.links


@dataclass
class Call:
    at: float
    method: str
    params: dict[str, Any]
    status: int = 0  # the HTTP status the fake answered with

    @property
    def chat(self) -> str:
        return str(self.params.get("chat_id", ""))

    @property
    def html(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def text(self) -> str:
        """What the user sees: the HTML parsed as Telegram parses it."""
        if self.params.get("parse_mode") != "HTML":
            return self.html
        return parse_html(self.html)[0]

    @property
    def links(self) -> list[tuple[str, str]]:
        return parse_html(self.html)[1] if self.params.get("parse_mode") == "HTML" else []


def ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def error(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, body


@dataclass
class FakeBotAPI:
    group_per_minute: int = 20
    overall_per_second: int = 30
    enforce_limits: bool = True
    record: bool = True
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    scripted: dict[str, deque[tuple[int, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(deque))
    member_status: dict[tuple[str, str], str] = field(default_factory=dict)
    texts: dict[tuple[str, int], str] = field(default_factory=dict)
    uploads: list[tuple[str, str, str, bytes]] = field(default_factory=list)  # what the bot sent as files
    files: dict[str, bytes] = field(default_factory=dict)  # what members sent: file_id -> content
    rejected: int = 0
    polls: int = 0  # getUpdates calls (not kept in calls: polling would flood it)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _group_window: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _overall_window: deque[float] = field(default_factory=deque)
    _new_update: asyncio.Event | None = None
    _held: asyncio.Event | None = None  # set: sends are taken (recorded) but not answered
    down: bool = False  # an outage: every call answers 502 Bad Gateway (and is not recorded in calls)
    refused: list[tuple[float, str]] = field(default_factory=list)  # (when, method) of calls met by the outage
    served: list[tuple[float, str]] = field(default_factory=list)  # (when, method) of every call answered 200

    # -- scripting ------------------------------------------------------------------------------
    def queue_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        if self._new_update is not None:
            self._new_update.set()

    def hold_answers(self) -> None:
        """From now on a sent message is taken (and counts as sent) but its answer never comes, as
        when the bot dies while Telegram has its request: the moment a crash makes unknowable."""
        self._held = asyncio.Event()

    def release(self) -> None:
        if self._held is not None:
            self._held.set()
            self._held = None

    def fail_next(self, method: str, status: int, description: str, **parameters: Any) -> None:
        self.scripted[method].append(error(status, description, **parameters))

    # -- reading what happened -------------------------------------------------------------------
    def of(self, method: str, chat: str | int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat is None or c.chat == str(chat))]

    def sent_texts(self, chat: str | int) -> list[str]:
        return [c.text for c in self.of("sendMessage", chat)]

    # -- the API -------------------------------------------------------------------------------
    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        call = Call(time.monotonic(), method, params)
        if self.down:  # the proxy in front of the API answers; Telegram never saw the request
            self.refused.append((call.at, method))
            return error(502, "Bad Gateway")
        if self.record and method != "getUpdates":
            self.calls.append(call)
        status, body = await self._answer(call)
        call.status = status
        if status == 200:
            self.served.append((time.monotonic(), method))
        held = self._held
        if held is not None and method in LIMITED:
            await held.wait()
        return status, body

    async def _answer(self, call: Call) -> tuple[int, dict[str, Any]]:
        if self.scripted.get(call.method):
            return self.scripted[call.method].popleft()
        if call.method in LIMITED and self.enforce_limits:
            limited = self._limit(call.chat, call.at)
            if limited is not None:
                self.rejected += 1
                return limited
        handler = getattr(self, f"_{call.method}", None)
        if handler is None:
            return error(404, f"Not Found: method {call.method}")
        if call.method in LIMITED:
            try:
                shown = call.text
            except ParseError as exc:
                return error(400, f"Bad Request: can't parse entities: {exc}")
            if not shown.strip():
                return error(400, "Bad Request: message text is empty")
            if len(shown) > 4096:
                return error(400, "Bad Request: message is too long")
        result: tuple[int, dict[str, Any]] = await handler(call.params)
        return result

    def _limit(self, chat: str, now: float) -> tuple[int, dict[str, Any]] | None:
        overall = self._overall_window
        while overall and now - overall[0] >= 1.0:
            overall.popleft()
        if len(overall) >= self.overall_per_second:
            return error(429, "Too Many Requests: retry after 1", retry_after=1)
        if chat.startswith("-"):
            window = self._group_window[chat]
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= self.group_per_minute:
                wait = max(1, math.ceil(60.0 - (now - window[0])))
                return error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            window.append(now)
        overall.append(now)
        return None

    async def _getMe(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return ok(BOT)

    async def _getUpdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.polls += 1
        offset = int(params.get("offset", 0) or 0)
        timeout = min(float(params.get("timeout", 0) or 0), 0.5)
        if self._new_update is None:
            self._new_update = asyncio.Event()
        pending = [u for u in self.updates if u["update_id"] >= offset]
        if not pending and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return ok(pending[:100])

    async def _sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat = str(params["chat_id"])
        mid = next(self._ids)
        self.texts[(chat, mid)] = str(params.get("text", ""))
        message = {
            "message_id": mid,
            "date": int(time.time()),
            "chat": {"id": int(chat), "type": "supergroup" if chat.startswith("-") else "private"},
            "from": BOT,
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # only inline keyboards come back
            message["reply_markup"] = markup
        return ok(message)

    async def _send_file(self, params: dict[str, Any], field: str) -> tuple[int, dict[str, Any]]:
        """sendDocument / sendPhoto: the upload is kept in `uploads` (chat, field, name, bytes)."""
        chat = str(params["chat_id"])
        files = params.get("_files", {})
        ref = str(params.get(field, "")).removeprefix("attach://")  # an upload is a part of its own
        name, data = files.get(ref or field, ("", b""))
        if not data:
            return error(400, "Bad Request: file must be non-empty")
        if len(str(params.get("caption", "") or "")) > 1024:
            return error(400, "Bad Request: message caption is too long")
        self.uploads.append((chat, field, name, data))
        mid = next(self._ids)
        message = {
            "message_id": mid,
            "date": int(time.time()),
            "chat": {"id": int(chat), "type": "supergroup" if chat.startswith("-") else "private"},
            "from": BOT,
            "caption": params.get("caption"),
        }
        if field == "photo":
            message["photo"] = [{"file_id": f"up{mid}", "file_unique_id": f"up{mid}", "width": 1, "height": 1}]
        else:
            message["document"] = {"file_id": f"up{mid}", "file_unique_id": f"up{mid}", "file_name": name}
        return ok(message)

    async def _sendDocument(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return await self._send_file(params, "document")

    async def _sendPhoto(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return await self._send_file(params, "photo")

    async def _getFile(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            return error(400, "Bad Request: invalid file_id")
        data = self.files[file_id]
        return ok({"file_id": file_id, "file_unique_id": file_id, "file_size": len(data), "file_path": f"f/{file_id}"})

    async def _editMessageText(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        key = (str(params["chat_id"]), int(params["message_id"]))
        if key not in self.texts:
            return error(400, "Bad Request: message to edit not found")
        if self.texts[key] == params.get("text"):
            return error(400, "Bad Request: message is not modified")
        self.texts[key] = str(params.get("text", ""))
        return ok(
            {
                "message_id": key[1],
                "date": int(time.time()),
                "chat": {"id": int(key[0]), "type": "supergroup"},
                "text": params.get("text", ""),
            }
        )

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return ok(True)

    async def _getChatMember(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status = self.member_status.get((str(params["chat_id"]), str(params["user_id"])), "member")
        member: dict[str, Any] = {
            "status": status,
            "user": {"id": int(params["user_id"]), "is_bot": False, "first_name": "u"},
        }
        if status == "administrator":
            member |= ADMIN_RIGHTS
        if status == "creator":
            member["is_anonymous"] = False
        return ok(member)

    async def _setMyCommands(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return ok(True)

    async def _setWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return ok(True)

    async def _deleteWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return ok(True)

    async def _getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})


def decode_params(raw: dict[str, str]) -> dict[str, Any]:
    """Bot API parameters arrive as strings, objects JSON-encoded."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in "{[":
            try:
                out[key] = json.loads(value)
                continue
            except ValueError:
                pass
        out[key] = value
    return out


class FakeRequest(BaseRequest):
    """PTB's network layer replaced by the fake: no socket is opened."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        if "/file/bot" in url:  # a file download: its bytes, not JSON
            data = self.api.files.get(endpoint)
            return (200, data) if data is not None else (404, b"Not Found")
        params = decode_params(request_data.json_parameters if request_data else {})
        if request_data is not None and request_data.contains_files:
            params["_files"] = {
                key: (part[0], part[1] if isinstance(part[1], bytes) else part[1].read())
                for key, part in request_data.multipart_data.items()
            }
        status, body = await self.api.handle(endpoint, params)
        return status, json.dumps(body).encode()


async def serve_http(api: FakeBotAPI, port: int) -> Any:
    """Serve the fake on http://127.0.0.1:port/bot<token>/<method>; returns the server to stop."""
    from tornado.httpserver import HTTPServer
    from tornado.web import Application, RequestHandler

    class Endpoint(RequestHandler):
        async def post(self, method: str) -> None:
            content_type = self.request.headers.get("Content-Type", "")
            if "json" in content_type:
                raw = json.loads(self.request.body or b"{}")
            else:
                raw = dict(parse_qsl(self.request.body.decode()))
            status, body = await api.handle(method, decode_params(raw))
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(body))

        get = post

    class Seen(RequestHandler):
        """What the fake was asked, for a test or benchmark whose fake runs in another process."""

        def get(self) -> None:
            calls = [{"at": c.at, "method": c.method, "params": c.params, "status": c.status} for c in api.calls]
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"rejected": api.rejected, "calls": calls}, default=str))

    server = HTTPServer(Application([(r"/bot[^/]+/(\w+)", Endpoint), (r"/_fake/calls", Seen)]))
    server.listen(port, address="127.0.0.1")
    return server


# -- updates as Telegram sends them ------------------------------------------------------------
_update_ids = itertools.count(1)


def user(uid: int, name: str = "党员") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name}


def chat(cid: int) -> dict[str, Any]:
    return (
        {"id": cid, "type": "supergroup", "title": "党员群"}
        if cid < 0
        else {"id": cid, "type": "private", "first_name": "u"}
    )


def text_update(
    uid: int, cid: int, text: str, *, update_id: int | None = None, message_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    uid_ = update_id or next(_update_ids)
    message = {
        "message_id": message_id or uid_,
        "date": int(time.time()),
        "chat": chat(cid),
        "from": user(uid),
        "text": text,
        **extra,
    }
    return {"update_id": uid_, "message": message}


def button_update(uid: int, cid: int, data: str, message_id: int, *, update_id: int | None = None) -> dict[str, Any]:
    uid_ = update_id or next(_update_ids)
    message = {"message_id": message_id, "date": int(time.time()), "chat": chat(cid), "from": BOT, "text": "…"}
    return {
        "update_id": uid_,
        "callback_query": {
            "id": f"cb{uid_}",
            "from": user(uid),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        },
    }


def photo_update(
    uid: int, cid: int, file_id: str, size: int, *, caption: str | None = None, document: str | None = None
) -> dict[str, Any]:
    """A photo (or, with `document` as its file name, a file) a member sends, with a caption."""
    message: dict[str, Any] = {
        "message_id": next(_update_ids) + 50_000,
        "date": int(time.time()),
        "chat": chat(cid),
        "from": user(uid),
    }
    if caption is not None:
        message["caption"] = caption
    if document is not None:
        message["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_name": document, "file_size": size}
    else:
        message["photo"] = [
            {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 60, "file_size": 100},
            {"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 853, "file_size": size},
        ]
    return {"update_id": next(_update_ids), "message": message}


def member_update(cid: int, status: str, *, update_id: int | None = None) -> dict[str, Any]:
    uid_ = update_id or next(_update_ids)
    bot_member = {"user": BOT, "status": status}
    if status == "kicked":
        bot_member["until_date"] = 0
    return {
        "update_id": uid_,
        "my_chat_member": {
            "chat": chat(cid),
            "from": user(1),
            "date": int(time.time()),
            "old_chat_member": {"user": BOT, "status": "member"},
            "new_chat_member": bot_member,
        },
    }


def migrate_update(old: int, new: int, *, update_id: int | None = None) -> dict[str, Any]:
    uid_ = update_id or next(_update_ids)
    message = {
        "message_id": uid_,
        "date": int(time.time()),
        "chat": {"id": old, "type": "group", "title": "g"},
        "from": user(1),
        "migrate_to_chat_id": new,
    }
    return {"update_id": uid_, "message": message}


def contact_update(uid: int, phone: str, *, owner: int | None = None, update_id: int | None = None) -> dict[str, Any]:
    """A contact shared in the user's private chat: their own (the 验证手机号 button) unless
    `owner` names someone else (a forwarded contact card)."""
    uid_ = update_id or next(_update_ids)
    contact = {"phone_number": phone, "first_name": "党员", "user_id": owner if owner is not None else uid}
    message = {"message_id": uid_, "date": int(time.time()), "chat": chat(uid), "from": user(uid), "contact": contact}
    return {"update_id": uid_, "message": message}


class RemoteFakeBotAPI(FakeBotAPI):
    """The fake in a process of its own (`python -m tests.fakes.telegram_api PORT --limits
    --record`), so that a test's or benchmark's own load never delays the fake's clock (a busy
    process would stamp requests late and bunched, and count a pace kept as a limit broken).
    `refresh` brings what it was asked into this copy; the queries then read as usual."""

    process: asyncio.subprocess.Process | None = None
    port: int = 0

    @classmethod
    async def start(cls, port: int, *, limits: bool = True) -> RemoteFakeBotAPI:
        import sys

        api = cls(enforce_limits=limits)
        api.port = port
        flags = ["--record"] + (["--limits"] if limits else [])
        api.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.fakes.telegram_api", str(port), *flags
        )
        for _ in range(600):
            try:
                await api.refresh()
                return api
            except OSError:
                await asyncio.sleep(0.05)
        raise AssertionError("the fake Bot API did not start")

    async def refresh(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(b"GET /_fake/calls HTTP/1.0\r\nHost: fake\r\n\r\n")
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        seen = json.loads(raw.partition(b"\r\n\r\n")[2])
        self.rejected = seen["rejected"]
        self.calls = [Call(c["at"], c["method"], c["params"], c["status"]) for c in seen["calls"]]

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def _serve_forever(port: int, *, limits: bool, record: bool) -> None:
    server = await serve_http(FakeBotAPI(enforce_limits=limits, record=record), port)
    try:
        await asyncio.Event().wait()
    finally:
        server.stop()


if __name__ == "__main__":  # a fake for another process's bot: limits off and nothing kept unless asked
    import logging
    import sys

    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    asyncio.run(_serve_forever(int(sys.argv[1]), limits="--limits" in sys.argv, record="--record" in sys.argv))
