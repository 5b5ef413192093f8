"""Between Telegram and the ports: updates to Incoming, Replies to HTML messages."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.ports import Incoming, Reply

MAX_TEXT = 4096
TOAST_LIMIT = 200
ANONYMOUS_ADMIN_ID = 1087968824  # GroupAnonymousBot: a group admin posting as the group
PLATFORM = "telegram"


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split on line breaks into parts of at most `limit` characters, never inside an &entity;."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single overlong line: cut it, not inside an entity
            cut = limit - len(current) - (1 if current else 0)
            if cut <= 0:
                parts.append(current)
                current = ""
                continue
            amp = line.rfind("&", max(0, cut - 10), cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp
            current = f"{current}\n{line[:cut]}" if current else line[:cut]
            parts.append(current)
            current, line = "", line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in reply.buttons]])


def strip_mention(text: str, username: str) -> tuple[str, bool]:
    """'@dangjian_bot 签到' -> ('签到', True): the bot named at the start of a message."""
    stripped = text.lstrip()
    tag = f"@{username}".lower()
    if username and stripped.lower().startswith(tag):
        return stripped[len(tag) :].lstrip(" ,，:："), True
    return text, bool(username) and tag in text.lower()


def to_incoming(update: Update, bot_id: int, username: str) -> Incoming | None:
    """The Incoming for a text message or a button press; None for anything else."""
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
            addressed=True,
        )
    message = update.message
    if message is None or message.text is None or message.from_user is None:
        return None
    text, named = strip_mention(message.text, username)
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
