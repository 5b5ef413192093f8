"""How long stored text may be, in one place, read from the columns themselves.

Input is checked against these before it is stored, so SQLite (which would keep any length) and
PostgreSQL (which refuses with "value too long") give the same clear answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String

from storage.models import Branch, Event, Member, PointEntry, ScheduleRule, StoreItem


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
