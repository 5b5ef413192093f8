"""Between Telegram and the ports: updates to Incoming, Replies to HTML messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from handlers.core.ports import Incoming, IncomingFile, Reply

MAX_TEXT = 4096
CAPTION_LIMIT = 1024  # characters of a photo's or document's caption
TOAST_LIMIT = 200
ANONYMOUS_ADMIN_ID = 1087968824  # GroupAnonymousBot: a group admin posting as the group
PLATFORM = "telegram"
FILE_MAX_BYTES = 50 * 1000 * 1000  # a bot sends a document of at most 50 MB (the Bot API's limit)


def _tokens(line: str) -> list[tuple[str, int]]:
    """A line of HTML as (piece, visible length): tags count 0, an &entity; counts 1."""
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(line):
        c = line[i]
        close = line.find(">" if c == "<" else ";", i) if c in "<&" else -1
        if close != -1:
            out.append((line[i : close + 1], 0 if c == "<" else 1))
            i = close + 1
        else:
            out.append((c, 1))
            i += 1
    return out


def visible_len(text: str) -> int:
    """Characters Telegram counts against its limit: the text after its HTML is parsed."""
    return sum(n for line in text.split("\n") for _, n in _tokens(line)) + text.count("\n")


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split into messages of at most `limit` visible characters, on line breaks where possible,
    never inside a tag or an &entity;. Templates close their tags on the line that opens them."""
    parts: list[str] = []
    current, size = "", 0
    for line in text.split("\n"):
        width = visible_len(line)
        if current and size + 1 + width <= limit:
            current, size = f"{current}\n{line}", size + 1 + width
            continue
        if current:
            parts.append(current)
        if width <= limit:
            current, size = line, width
            continue
        piece, size = "", 0  # a single overlong line: cut between tokens
        for token, n in _tokens(line):
            if size + n > limit:
                parts.append(piece)
                piece, size = "", 0
            piece, size = piece + token, size + n
        current = piece
    parts.append(current)
    return parts


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def keyboard(reply: Reply, *, private: bool = False) -> Markup | None:
    """Inline buttons under the message; a "share my contact" button is a one-time reply keyboard
    (Telegram shows those only in private chats, and sends the contact as a message)."""
    if private and any(b.request_contact for b in reply.buttons):
        contact = [KeyboardButton(b.label, request_contact=True) for b in reply.buttons if b.request_contact]
        return ReplyKeyboardMarkup([contact], one_time_keyboard=True, resize_keyboard=True)
    inline = [InlineKeyboardButton(b.label, callback_data=b.data) for b in reply.buttons if not b.request_contact]
    return InlineKeyboardMarkup([inline]) if inline else None


def strip_mention(text: str, username: str) -> tuple[str, bool]:
    """'@dangjian_bot 签到' -> ('签到', True): the bot named at the start of a message."""
    stripped = text.lstrip()
    tag = f"@{username}".lower()
    if username and stripped.lower().startswith(tag):
        return stripped[len(tag) :].lstrip(" ,，:："), True
    return text, bool(username) and tag in text.lower()


Download = Callable[[str], Awaitable[bytes]]


def attached_file(message: Message, download: Download | None) -> IncomingFile | None:
    """A photo (its largest size) or a document sent with the message, fetched on demand."""
    if download is None:
        return None
    if message.photo:
        best = max(message.photo, key=lambda p: p.width * p.height)
        return IncomingFile(best.file_size, partial(download, best.file_id))
    if message.document is not None:
        doc = message.document
        return IncomingFile(doc.file_size, partial(download, doc.file_id), doc.file_name or "")
    return None


def to_incoming(update: Update, bot_id: int, username: str, download: Download | None = None) -> Incoming | None:
    """The Incoming for a text message, a captioned photo or document, or a button press; None for
    anything else."""
    chat = update.effective_chat
    if chat is None or chat.type == "channel":
        return None
    private = chat.type == "private"
    query = update.callback_query
    if query is not None:
        return Incoming(
            platform=PLATFORM,
            chat_id=str(chat.id),
            user_id=str(query.from_user.id),
            button=query.data or "",
            update_id=str(update.update_id),
            user_display=query.from_user.full_name,
            is_private=private,
            file_max=FILE_MAX_BYTES,
            addressed=True,
        )
    message = update.message
    if message is None or message.from_user is None:
        return None
    if message.contact is not None:
        if not private:
            return None  # contact cards in a group are conversation, not for the bot
        # the contact's user_id is the sender's only when they shared their own (the button);
        # a forwarded or typed-in contact card proves nothing
        own = message.contact.user_id == message.from_user.id
        return Incoming(
            platform=PLATFORM,
            chat_id=str(chat.id),
            user_id=str(message.from_user.id),
            update_id=str(update.update_id),
            message_id=str(message.message_id),
            user_display=message.from_user.full_name,
            is_private=private,
            file_max=FILE_MAX_BYTES,
            addressed=True,
            contact_phone=message.contact.phone_number if own else "",
            can_share_contact=True,
        )
    file = attached_file(message, download)
    body = message.caption if file is not None else message.text
    if body is None and file is None:
        return None
    text, named = strip_mention(body or "", username)
    replied_to_bot = bool(
        message.reply_to_message
        and message.reply_to_message.from_user
        and message.reply_to_message.from_user.id == bot_id
    )
    return Incoming(
        platform=PLATFORM,
        chat_id=str(chat.id),
        user_id=str(message.from_user.id),
        text=text,
        update_id=str(update.update_id),
        message_id=str(message.message_id),
        user_display=message.from_user.full_name,
        is_private=private,
        addressed=private or named or replied_to_bot,
        can_share_contact=private,
        file=file,
        file_max=FILE_MAX_BYTES,
    )


def is_anonymous_admin(update: Update) -> bool:
    message = update.message
    return bool(
        message
        and message.from_user
        and message.from_user.id == ANONYMOUS_ADMIN_ID
        and message.sender_chat
        and update.effective_chat
        and message.sender_chat.id == update.effective_chat.id
    )
