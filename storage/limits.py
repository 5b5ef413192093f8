"""How long stored text may be, in one place, read from the columns themselves, and what a name
may hold. Input is checked against these before it is stored, by chat and command line alike, so
SQLite (which would keep any length) and PostgreSQL (which refuses with "value too long") give the
same clear answer.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String

from storage.models import Branch, ChatBinding, Event, Member, PointEntry, ScheduleRule, StoreItem


def length(column: Any) -> int:
    kind = column.property.columns[0].type
    assert isinstance(kind, String) and kind.length, column
    return int(kind.length)


MEMBER_NAME = length(Member.name)
BRANCH_NAME = length(Branch.name)
PLACE = length(Event.place)  # events, calendar rules and duty shifts alike
LECTURER = length(Event.lecturer)
RULE_TEXT = length(ScheduleRule.text)
ITEM_NAME = length(StoreItem.name)
POINT_REASON = length(PointEntry.reason)  # with its prefix ("manual:", "store:" …)
TOPIC = 200  # stored as text; a topic is a line, not a document
REASON = 500  # a leave request's reason, likewise
DUTY_LOG = 1000  # one entry of a shift's log (值班日志)
CHAT_ID = length(ChatBinding.chat_id)

# the fields a command takes, by the name it gives them
FIELDS = {"place": PLACE, "topic": TOPIC, "lecturer": LECTURER, "rule": RULE_TEXT, "item": ITEM_NAME, "chat": CHAT_ID}
# zero-width and direction marks, and control characters: a name holding one looks like another
INVISIBLE = re.compile("[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def over_limit(**fields: str | None) -> tuple[str, int] | None:
    """The first field longer than it may be stored (its name and limit), else None."""
    for name, value in fields.items():
        if value is not None and len(value) > FIELDS[name]:
            return name, FIELDS[name]
    return None


def unreadable(name: str) -> bool:
    """A name that is empty, blank or holds an invisible character (never one a person typed to read)."""
    return not name.strip() or INVISIBLE.search(name) is not None
